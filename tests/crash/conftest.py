"""The crash loop (issue 20): every composite killed (kill -9, core and providers) right
after each distinct mutating AWS call of its create, update and destroy, then the step
run again; it must converge with no duplicate and no orphan.

The kill points are not written down anywhere: at the start of the session one clean
create, update and destroy of each composite is recorded on an emulator of its own
(tests/crash/loop.py: ``record``), on OpenTofu, and every distinct mutating operation of
each step becomes a kill point, with the inventory after the step as what the killed
run must come back to. Under pytest-xdist the controller records (before the workers
start) and the workers read the recording; the provider binary is copied once, so
that every worker runs the one that was recorded. ``ODE_CRASH_COMPOSITES`` (resource
types, comma-separated) limits the run.

The session ends with tests/.reports/crash-loop.md: one row per kill point with its
outcome, and the recording (tests/.reports/crash-points.json).

tests/crash runs only when named (``make test-crash``); ``make test`` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.crash.composites import COMPOSITES, MIN_KILL_POINTS
from tests.crash.loop import PHASES, clean_findings, record
from tests.support.core import CORE_BINARIES, Core
from tests.support.emulator import running_emulator
from tests.support.mirror import build_mirror, provider_binary

REPORTS = Path(__file__).resolve().parents[1] / ".reports"
POINTS_FILE = REPORTS / "crash-points.json"
TABLE_FILE = REPORTS / "crash-loop.md"
_ENV = "ODE_CRASH_RECORDING"

#: The recording (see the module docstring), loaded in every process.
RECORDING: dict[str, Any] = {}
#: The outcomes reported (on the controller), by test id.
_OUTCOMES: dict[str, dict[str, Any]] = {}
_STARTED = time.monotonic()


def selected() -> list[str]:
    wanted = [c.strip() for c in (os.environ.get("ODE_CRASH_COMPOSITES") or "").split(",") if c.strip()]
    unknown = [c for c in wanted if c not in COMPOSITES]
    if unknown:
        raise pytest.UsageError(f"ODE_CRASH_COMPOSITES names no composite: {unknown}; known: {sorted(COMPOSITES)}")
    return wanted or list(COMPOSITES)


def _record_all(config: pytest.Config) -> dict[str, Any]:
    """Copy the provider, then record each selected composite on tofu."""
    binary = provider_binary()
    if not os.access(binary, os.X_OK):
        raise pytest.UsageError(f"provider binary not found at {binary}: build it, or point ODE_PROVIDER_BIN at it")
    root = Path(tempfile.mkdtemp(prefix="ode-crash-"))
    config.add_cleanup(lambda: shutil.rmtree(root, ignore_errors=True))
    copy = root / "terraform-provider-ode"
    shutil.copy2(binary, copy)
    cli_config = build_mirror(copy, root / "provider-mirror")
    recording: dict[str, Any] = {"cli_config": str(cli_config), "provider": str(binary), "composites": {}}
    started = time.monotonic()
    with running_emulator(root / "emulator") as emulator:
        core = Core("tofu", CORE_BINARIES["tofu"], cli_config, emulator.url)
        for name in selected():
            workdir = root / "record" / name
            workdir.mkdir(parents=True)
            try:
                recording["composites"][name] = record(core, emulator, COMPOSITES[name], workdir)
            except AssertionError as error:  # the clean run itself failed: say so, test nothing
                recording["composites"][name] = {"error": str(error)[-4000:], "phases": {}}
    recording["seconds"] = round(time.monotonic() - started, 1)
    REPORTS.mkdir(parents=True, exist_ok=True)
    POINTS_FILE.write_text(json.dumps(recording, indent=1) + "\n")
    return recording


def pytest_configure(config: pytest.Config) -> None:
    global RECORDING
    if hasattr(config, "workerinput"):
        RECORDING = json.loads(Path(os.environ[_ENV]).read_text())
        return
    if config.option.collectonly and POINTS_FILE.exists():
        RECORDING = json.loads(POINTS_FILE.read_text())
        return
    RECORDING = _record_all(config)
    # pytest-xdist's workers start after this and inherit the environment.
    os.environ[_ENV] = str(POINTS_FILE)


def kill_points() -> list[tuple[str, str, str, str]]:
    """(composite, phase, service, action) of every kill point recorded."""
    points = []
    for name, recorded in RECORDING.get("composites", {}).items():
        for phase in PHASES:
            for service, action in recorded["phases"].get(phase, {}).get("points", []):
                points.append((name, phase, service, action))
    return points


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "kill_point" in metafunc.fixturenames:
        metafunc.parametrize(
            "kill_point",
            [pytest.param(p, id=f"{p[0]}-{p[1]}-{p[2]}:{p[3]}") for p in kill_points()],
        )
    if "composite_id" in metafunc.fixturenames:
        metafunc.parametrize("composite_id", list(RECORDING.get("composites", {})))


@pytest.fixture(scope="session")
def cli_config() -> Path:
    """The mirror of the provider binary the kill points were recorded with."""
    return Path(RECORDING["cli_config"])


@pytest.fixture
def recording() -> dict[str, Any]:
    return RECORDING


# -- the report ----------------------------------------------------------------------------


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    properties = dict(report.user_properties)
    if "crash" in properties and report.when == "call":
        _OUTCOMES[report.nodeid] = json.loads(properties["crash"])
    elif report.when in ("setup", "call") and report.failed and "kill_point" in report.nodeid and report.nodeid not in _OUTCOMES:
        _OUTCOMES[report.nodeid] = {"nodeid": report.nodeid, "outcome": "error", "detail": [report.longreprtext[-1500:]]}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def table() -> str:
    """tests/.reports/crash-loop.md: counts per composite, then one row per kill point."""
    outcomes = sorted(
        _OUTCOMES.values(),
        key=lambda o: (o.get("composite", ""), PHASES.index(o["phase"]) if o.get("phase") in PHASES else 9, o.get("service", ""), o.get("action", "")),
    )
    lines = [
        "# Crash loop",
        "",
        "Each composite killed (SIGKILL to the core's process group: core and provider) right after",
        "each distinct mutating AWS call of its create, update and destroy, as recorded from a clean",
        "run; then the step run again and judged against the clean run (`make test-crash`,",
        "tests/crash). Generated by tests/crash/conftest.py.",
        "",
        f"Provider: `{RECORDING.get('provider', '?')}`; recording took {RECORDING.get('seconds', '?')} s; "
        f"the session {time.monotonic() - _STARTED:.0f} s.",
        "",
        "| composite | kill points (create / update / delete) | converged | other outcomes | clean run |",
        "|---|---|---|---|---|",
    ]
    for name, recorded in RECORDING.get("composites", {}).items():
        counts = [len(recorded["phases"].get(p, {}).get("points", [])) for p in PHASES]
        mine = [o for o in outcomes if o.get("composite") == name]
        converged = sum(1 for o in mine if o["outcome"] == "converged")
        others: dict[str, int] = {}
        for o in mine:
            if o["outcome"] != "converged":
                others[o["outcome"]] = others.get(o["outcome"], 0) + 1
        note = "; ".join(clean_findings(COMPOSITES[name], recorded)) or "clean"
        fewer = f" (fewer than {MIN_KILL_POINTS}: {COMPOSITES[name].fewer_kill_points})" if sum(counts) < MIN_KILL_POINTS else ""
        lines.append(
            f"| {name} | {sum(counts)} ({' / '.join(map(str, counts))}){_cell(fewer)} | {converged} of {len(mine)} run | "
            f"{_cell(', '.join(f'{k}: {v}' for k, v in sorted(others.items())) or '-')} | {_cell(note)} |"
        )
    lines += ["", "| composite | phase | kill point | outcome | seconds | detail |", "|---|---|---|---|---|---|"]
    for o in outcomes:
        lines.append(
            f"| {o.get('composite', '?')} | {o.get('phase', '?')} | {o.get('service', '?')}:{o.get('action', '?')} | "
            f"{o['outcome']} | {o.get('seconds', '')} | {_cell(' / '.join(o.get('detail', []))[:3000])} |"
        )
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if hasattr(terminalreporter.config, "workerinput") or not _OUTCOMES:
        return
    REPORTS.mkdir(parents=True, exist_ok=True)
    TABLE_FILE.write_text(table())
    terminalreporter.write_line(f"crash loop: {len(_OUTCOMES)} kill points, table in {TABLE_FILE}")
