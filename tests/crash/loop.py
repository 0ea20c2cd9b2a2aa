"""The crash loop's two halves: recording one clean create, update and destroy of a
composite (which mutating calls each step makes: the kill points; what the emulator
holds after each step), and running one kill point (kill -9 the core and its providers
right after that call, run the step again, check what it converged to).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.crash.composites import Composite
from tests.crash.inventory import Inventory, compare, decode, encode, inventory
from tests.support.core import Core, Result, finish, write_config
from tests.support.emulator import EmulatorClient
from tests.support.killpoint import mutating, operation_name

#: The steps of a composite's life, in order, and the core command each one runs.
PHASES = ("create", "update", "delete")

#: How long a step may run before its kill point must have fired.
FIRE_TIMEOUT_S = 240


def command(core: Core, phase: str) -> tuple[str, ...]:
    if phase == "delete":
        return ("destroy", "-input=false", "-auto-approve")
    return ("apply", "-input=false", "-auto-approve")


def run_step(core: Core, workdir: Path, phase: str, check: bool = True) -> Result:
    return core.run(workdir, *command(core, phase), check=check)


def mutating_calls(emulator: EmulatorClient) -> list[tuple[str, str]]:
    """The distinct mutating operations the recorded calls carried out, first seen first."""
    seen: list[tuple[str, str]] = []
    for call in emulator.calls():
        if not 200 <= call["status"] < 300:
            continue
        point = (call["service"], operation_name(call["service"], call["action"]))
        if mutating(point[1]) and point not in seen:
            seen.append(point)
    return seen


def errors_of(result: Result) -> str:
    """The core's error diagnostics (``Error: ...`` and what follows), on one line each."""
    text = result.stdout + "\n" + result.stderr
    blocks = re.split(r"\n(?=(?:│ )?Error: )", text)
    found = [" ".join(b.replace("│", " ").split()) for b in blocks if b.lstrip("│ ").startswith("Error: ")]
    return " || ".join(found) or f"exit code {result.returncode}: " + " ".join(text.split())[-800:]


def plan_summary(result: Result) -> str:
    lines = [line.strip() for line in result.stdout.splitlines()]
    said = [line for line in lines if line.startswith(("#", "~", "+", "-", "Plan:")) and not line.startswith("---")]
    return " | ".join(said[:40])


# -- recording ----------------------------------------------------------------------------


def prepare(core: Core, emulator: EmulatorClient, composite: Composite, workdir: Path) -> dict[str, str]:
    """A fresh emulator with what ``composite`` stands on, and ``workdir`` initialised
    with its create configuration. Answers the setup."""
    emulator.reset()
    setup = composite.prepare(emulator)
    write_config(workdir, composite.config(emulator, setup, "create"))
    core.init(workdir)
    return setup


def record(core: Core, emulator: EmulatorClient, composite: Composite, workdir: Path) -> dict[str, Any]:
    """One clean create, update and destroy of ``composite``: per phase the mutating
    operations in order (``points``), the inventory after it and whether the next plan
    was empty; ``before``: the inventory before the create (what it stands on)."""
    setup = prepare(core, emulator, composite, workdir)
    recorded: dict[str, Any] = {"before": encode(inventory(emulator)), "phases": {}}
    for phase in PHASES:
        if phase == "update":
            write_config(workdir, composite.config(emulator, setup, "update"))
        emulator.reset_calls()
        started = time.monotonic()
        run_step(core, workdir, phase)
        took = time.monotonic() - started
        points = mutating_calls(emulator)
        entry = {"points": [list(p) for p in points], "seconds": round(took, 1), "inventory": encode(inventory(emulator))}
        if phase != "delete":
            plan = core.plan(workdir)
            entry["plan_empty"] = plan.returncode == 0
            entry["plan"] = "" if plan.returncode == 0 else plan_summary(plan)
        recorded["phases"][phase] = entry
    return recorded


def clean_findings(composite: Composite, recorded: dict[str, Any]) -> list[str]:
    """What is wrong with a clean run already: a plan not empty after a step, an object
    made twice, or one left after the destroy (besides what the composite keeps by
    design)."""
    if recorded.get("error"):
        return [f"the clean run failed: {recorded['error']}"]
    before = decode(recorded["before"])
    found = []
    for phase in PHASES:
        entry = recorded["phases"][phase]
        if entry.get("plan_empty") is False:
            found.append(f"the plan after the clean {phase} is not empty: {entry['plan']}")
        held = decode(entry["inventory"])
        if phase == "delete":
            left = compare(before, held)["extra"]
            found += [f"left after the clean destroy: {line}" for line in left if line.split(" ", 1)[0] not in composite.kept_after_destroy]
        else:
            found += [f"twice after the clean {phase}: {kind} {key}" for (kind, key), n in held.items() if n - before.get((kind, key), 0) > 1]
    return found


# -- one kill point ------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a kill point came to: ``converged``, ``duplicates``, ``orphans``,
    ``missing``, ``not converged`` (the plan after the re-run is not empty), ``failed``
    (the re-run failed) or ``not reached`` (the step never made the call)."""

    composite: str
    phase: str
    service: str
    action: str
    outcome: str = "converged"
    detail: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, outcome: str, detail: str) -> None:
        if self.outcome == "converged":
            self.outcome = outcome
        self.detail.append(detail)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def group_members(pgid: int) -> list[int]:
    """Live processes of the process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # state, ppid, pgrp: a zombie is dead already.
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def kill_at(core: Core, emulator: EmulatorClient, workdir: Path, phase: str, service: str, action: str) -> tuple[dict[str, Any], Result]:
    """Run ``phase`` with the kill point armed at the first ``service:action``; once it
    fired, SIGKILL the core's whole process group (core and providers). Answers the kill
    point's report and what the core printed."""
    emulator.reset_calls()
    emulator.arm_killpoint(service, action)
    proc = core.start(workdir, *command(core, phase), new_session=True)
    report: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + FIRE_TIMEOUT_S
        while True:
            report = emulator.wait_killpoint(1)
            if report["fired"] or proc.poll() is not None or time.monotonic() > deadline:
                break
        if report["fired"]:
            os.killpg(proc.pid, signal.SIGKILL)
            left = []
            for _ in range(50):
                left = group_members(proc.pid)
                if not left:
                    break
                time.sleep(0.1)
            assert not left, f"processes of the killed core's group still alive: {left}"
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        result = finish(proc)
        emulator.release_killpoint()
    return report, result


def run_killpoint(
    core: Core,
    emulator: EmulatorClient,
    composite: Composite,
    workdir: Path,
    recorded: dict[str, Any],
    phase: str,
    service: str,
    action: str,
) -> Outcome:
    """Bring ``composite`` to the start of ``phase`` cleanly, kill the core right after
    the phase's first ``service:action``, run the phase again and judge the result
    against the clean run ``recorded``."""
    outcome = Outcome(composite.id, phase, service, action)
    started = time.monotonic()
    setup = prepare(core, emulator, composite, workdir)
    if phase in ("update", "delete"):
        run_step(core, workdir, "create")
        write_config(workdir, composite.config(emulator, setup, "update"))
    if phase == "delete":
        run_step(core, workdir, "update")

    report, killed = kill_at(core, emulator, workdir, phase, service, action)
    if not report.get("fired"):
        outcome.add("not reached", f"the {phase} ended (exit code {killed.returncode}) without a {service}:{action} call: {errors_of(killed) if killed.returncode else 'it succeeded'}")
        outcome.seconds = round(time.monotonic() - started, 1)
        return outcome

    again = run_step(core, workdir, phase, check=False)
    if again.returncode != 0:
        outcome.add("failed", f"re-run {phase}: {errors_of(again)}")
        outcome.seconds = round(time.monotonic() - started, 1)
        return outcome
    phases = recorded["phases"]
    if phase == "delete":
        left = compare(decode(phases["delete"]["inventory"]), inventory(emulator))
        for line in left["extra"]:
            outcome.add("orphans", f"after the re-run destroy: {line}")
        state = core.run(workdir, "state", "list").stdout.split()
        if state:
            outcome.add("failed", f"state after the re-run destroy still lists {state}")
    else:
        plan = core.plan(workdir)
        if plan.returncode != 0:
            outcome.add("not converged", f"the plan after the re-run {phase} is not empty: {plan_summary(plan)}")
        held = compare(decode(phases[phase]["inventory"]), inventory(emulator))
        for line in held["extra"]:
            outcome.add("duplicates", f"after the re-run {phase}: {line}")
        for line in held["missing"]:
            outcome.add("missing", f"after the re-run {phase}: {line}")
        gone = run_step(core, workdir, "delete", check=False)
        if gone.returncode != 0:
            outcome.add("failed", f"destroy after the re-run {phase}: {errors_of(gone)}")
        else:
            for line in compare(decode(phases["delete"]["inventory"]), inventory(emulator))["extra"]:
                outcome.add("orphans", f"after the final destroy: {line}")
    outcome.seconds = round(time.monotonic() - started, 1)
    return outcome
