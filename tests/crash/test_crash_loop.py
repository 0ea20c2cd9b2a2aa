"""The crash loop (issue 20): see tests/crash/conftest.py.

``test_crash_loop`` runs one kill point: the composite brought cleanly to the start of
the step, the core and its providers killed with SIGKILL right after the step's first
call of that operation (the emulator holds that call's answer and every later call, so
nothing more happens), the step run again with the same configuration and whatever
local state and lock the killed core left; then the run must have succeeded, the next
plan must be empty, the emulator must hold what the clean run left after that step (no
duplicate, nothing missing), and after a destroy nothing the clean destroy does not
leave (no orphan).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.crash.composites import COMPOSITES, MIN_KILL_POINTS
from tests.crash.loop import PHASES, clean_findings, run_killpoint
from tests.support.core import Core
from tests.support.emulator import EmulatorClient

pytestmark = [pytest.mark.e2e, pytest.mark.no_chaos]


def test_clean_run(composite_id: str, recording: dict[str, Any]) -> None:
    """The recorded clean run: every step made mutating calls, converged (empty plan),
    made nothing twice and left nothing behind; the kill points are at least
    MIN_KILL_POINTS unless the composite says why its life has fewer kinds of call."""
    composite = COMPOSITES[composite_id]
    recorded = recording["composites"][composite_id]
    findings = clean_findings(composite, recorded)
    assert not findings, "\n".join(findings)
    counts = {phase: len(recorded["phases"][phase]["points"]) for phase in PHASES}
    assert all(counts.values()), counts
    assert sum(counts.values()) >= MIN_KILL_POINTS or composite.fewer_kill_points, counts


def test_crash_loop(
    kill_point: tuple[str, str, str, str],
    core: Core,
    emulator: EmulatorClient,
    workdir: Path,
    recording: dict[str, Any],
    request: pytest.FixtureRequest,
) -> None:
    name, phase, service, action = kill_point
    recorded = recording["composites"][name]
    outcome = run_killpoint(core, emulator, COMPOSITES[name], workdir, recorded, phase, service, action)
    request.node.user_properties.append(("crash", json.dumps({**outcome.as_dict(), "core": core.name})))
    assert outcome.outcome == "converged", f"{name} {phase} killed after {service}:{action}: {outcome.outcome}\n" + "\n".join(
        outcome.detail
    )
