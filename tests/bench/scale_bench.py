"""Scale figures (a benchmark, not a test): many networks, then many whole platforms,
in one state, applied, refreshed and destroyed with ``-parallelism=10`` against an
emulator that throttles as AWS does (tests/support/ratelimit.py, AWS's figures).

For each size it reports the wall time of apply, refresh (``plan -refresh-only``) and
destroy; the AWS calls, in total and by service; the refresh calls AWS carried out (throttled ones left out)
per network (per platform: by service); the errors (any error diagnostic of the core, and a core that
exits non-zero) and warnings; the calls the emulator refused as throttled; and the peak RSS
(``VmHWM``) of the provider processes the core started. The table is printed at the
end and written to ``tests/.reports/scale.json``.

Networks are small but real: 2 zones, the three tiers, one NAT gateway, the default S3
gateway endpoint. A platform is the ``platform`` module (network, EKS stack, data tier,
registry) over 2 zones with one NAT gateway and no final snapshot, local state, and EKS, RDS and ElastiCache
taking ``--transition-s`` to settle (so that the waiters poll under the rate limits).

Run with ``make bench-scale`` (or ``python -m tests.bench.scale_bench --n 10,20,50
--platforms 5,10 --core tofu``); ODE_PROVIDER_BIN selects the provider binary.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.modules.layout import copy_hcl_tree
from tests.support.core import CORE_BINARIES, Core, write_config
from tests.support.emulator import EmulatorClient, running_emulator
from tests.support.helpers import provider_block
from tests.support.mirror import build_mirror, provider_binary

REPORT = Path(__file__).resolve().parents[1] / ".reports" / "scale.json"
PARALLELISM = 10
# A run of the largest sizes under AWS's rate limits takes long; a core still running
# after this is killed and its phase counted as failed.
PHASE_TIMEOUT_S = 3 * 3600
# /proc truncates process names to 15 bytes.
PROVIDER_COMM = "terraform-provider-ode"[:15]


@dataclass
class Phase:
    """One core command of a run and what it cost."""

    name: str
    wall_s: float
    returncode: int
    calls: int
    calls_by_service: dict[str, int]
    calls_by_action: dict[str, int]
    throttled: int
    throttled_by_bucket: dict[str, int]
    errors: list[str]
    warnings: list[str]
    provider_processes: int
    provider_peak_rss_mb: float


@dataclass
class Run:
    """Apply, refresh and destroy of ``n`` networks or platforms in one state."""

    kind: str
    n: int
    core: str
    phases: dict[str, Phase] = field(default_factory=dict)

    def per_unit(self, phase: str) -> dict[str, float]:
        """The calls of ``phase`` that AWS carried out (the throttled ones left out) per
        network (platform), by service, and in total."""
        measured = self.phases[phase]
        refused = Counter()
        for bucket, count in measured.throttled_by_bucket.items():
            refused[bucket.split(":", 1)[0]] += count
        by = {service: count - refused[service] for service, count in measured.calls_by_service.items()}
        per = {service: round(count / self.n, 2) for service, count in sorted(by.items())}
        per["total"] = round(sum(by.values()) / self.n, 2)
        return per


def _descendants(root: int) -> list[int]:
    """The pids of the processes below ``root``, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        fields = text[text.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class ProviderMemory:
    """Samples the peak RSS (``VmHWM``) of the provider processes below one core."""

    def __init__(self, core_pid: int) -> None:
        self.core_pid = core_pid
        self.peak_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            for pid in _descendants(self.core_pid):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                if f"Name:\t{PROVIDER_COMM}" not in status:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), int(line.split()[1]))
            self._stop.wait(0.1)

    def stop(self) -> tuple[int, float]:
        """(provider processes seen, the highest peak RSS among them in MB)."""
        self._stop.set()
        self._thread.join()
        return len(self.peak_kb), round(max(self.peak_kb.values(), default=0) / 1024, 1)


_DIAGNOSTIC = re.compile(r"^[│╷╵ ]*(Error|Warning): (.*)$")


def diagnostics(output: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) a core printed (``-no-color``): each summary with the lines of
    detail that follow it."""
    found: dict[str, list[str]] = {"Error": [], "Warning": []}
    lines = output.splitlines()
    for i, line in enumerate(lines):
        match = _DIAGNOSTIC.match(line)
        if match is None:
            continue
        # The summary, a blank line, then the detail up to the next blank line.
        detail = []
        for following in lines[i + 2 : i + 12]:
            text = following.strip("│╷╵ ").strip()
            if not text or _DIAGNOSTIC.match(following):
                break
            detail.append(text)
        found[match.group(1)].append(" ".join([match.group(2), *detail])[:600])
    return found["Error"], found["Warning"]


def run_phase(core: Core, emulator: EmulatorClient, workdir: Path, name: str, *args: str) -> Phase:
    """Runs ``core args...`` (a core command) and measures it."""
    refused_before = emulator.rate_limits()["refused"]
    emulator.reset_calls()
    started = time.monotonic()
    proc = core.start(workdir, *args)
    memory = ProviderMemory(proc.pid)
    try:
        stdout, stderr = proc.communicate(timeout=PHASE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        stderr += f"\nError: {name} killed after {PHASE_TIMEOUT_S} s"
    wall = time.monotonic() - started
    processes, peak = memory.stop()
    calls = emulator.calls()
    refused = emulator.rate_limits()["refused"]
    throttled = {b: n - refused_before.get(b, 0) for b, n in refused.items() if n > refused_before.get(b, 0)}
    errors, warnings = diagnostics(stdout + "\n" + stderr)
    if proc.returncode != 0 and not errors:
        errors.append(f"{name} exited {proc.returncode}: {stderr.strip()[-600:]}")
    return Phase(
        name=name,
        wall_s=round(wall, 2),
        returncode=proc.returncode,
        calls=len(calls),
        calls_by_service=dict(sorted(Counter(c["service"] for c in calls).items())),
        calls_by_action=dict(Counter(f"{c['service']}:{c['action']}" for c in calls).most_common()),
        throttled=sum(throttled.values()),
        throttled_by_bucket=dict(sorted(throttled.items())),
        errors=errors,
        warnings=warnings,
        provider_processes=processes,
        provider_peak_rss_mb=peak,
    )


def show(phase: Phase) -> Phase:
    """Prints one phase's figures as it ends."""
    print(
        f"    {phase.wall_s:8.1f} s, {phase.calls} calls, {phase.throttled} throttled, "
        f"{len(phase.errors)} errors, {len(phase.warnings)} warnings, "
        f"provider peak RSS {phase.provider_peak_rss_mb} MB",
        flush=True,
    )
    for kind, texts in (("error", phase.errors), ("warning", phase.warnings)):
        for text in texts[:5]:
            print(f"    {kind}: {text}", flush=True)
    return phase


def lifecycle(core: Core, emulator: EmulatorClient, workdir: Path, run: Run) -> Run:
    """init, then apply, refresh and destroy, each measured (rate limits on)."""
    core.init(workdir)
    emulator.set_rate_limits()
    parallelism = f"-parallelism={PARALLELISM}"
    steps = [
        ("apply", ("apply", "-input=false", "-auto-approve", parallelism)),
        ("refresh", ("plan", "-input=false", "-refresh-only", parallelism)),
        ("destroy", ("destroy", "-input=false", "-auto-approve", parallelism)),
    ]
    for name, args in steps:
        print(f"  {run.kind} x{run.n}: {name} ...", flush=True)
        run.phases[name] = show(run_phase(core, emulator, workdir, name, *args))
        if name == "apply" and run.phases[name].returncode != 0:
            # Destroy what was made, so that the next size starts from nothing.
            print(f"  the apply failed: {run.kind} x{run.n}: destroy ...", flush=True)
            run.phases["destroy"] = show(run_phase(core, emulator, workdir, "destroy", *steps[2][1]))
            break
    emulator.set_rate_limits(enabled=False)
    return run


def networks_hcl(emulator: EmulatorClient, n: int) -> str:
    """``n`` small networks, each its own name and CIDR block."""
    blocks = [
        f"""
resource "ode_network" "n{i:02d}" {{
  name         = "ode-scale-{i:02d}"
  cidr_block   = "10.{i}.0.0/16"
  az_count     = 2
  nat_gateways = "single"
}}
"""
        for i in range(n)
    ]
    return provider_block(emulator) + "".join(blocks)


def platforms_hcl(emulator: EmulatorClient, n: int) -> str:
    """``n`` platforms (the ``platform`` module), each its own project and CIDR block."""
    blocks = [
        f"""
module "p{i:02d}" {{
  source = "../modules/platform"

  project             = "scale{i:02d}"
  environment         = "bench"
  cidr_block          = "10.{i}.0.0/16"
  az_count            = 2
  nat_gateways        = "single"
  public_access_cidrs = ["203.0.113.0/24"]
  deletion_protection = false
  force_destroy       = true
  # A bench platform is thrown away: no final snapshot (and no warning naming it).
  postgres = {{ final_snapshot = false }}
}}
"""
        for i in range(n)
    ]
    return provider_block(emulator) + "".join(blocks)


def table(runs: list[Run]) -> str:
    """The figures of every run, one line per run and phase."""
    head = (
        f"{'what':<14} {'phase':<8} {'wall s':>8} {'calls':>6} {'throttled':>9} {'errors':>6} {'warnings':>8} "
        f"{'RSS MB':>7}  calls by service"
    )
    lines = [head, "-" * len(head)]
    for run in runs:
        for name, phase in run.phases.items():
            by = ", ".join(f"{s} {n}" for s, n in phase.calls_by_service.items())
            lines.append(
                f"{run.kind + ' x' + str(run.n):<14} {name:<8} {phase.wall_s:>8.1f} {phase.calls:>6} "
                f"{phase.throttled:>9} {len(phase.errors):>6} {len(phase.warnings):>8} "
                f"{phase.provider_peak_rss_mb:>7.1f}  {by}"
            )
        if "refresh" in run.phases:
            per = run.per_unit("refresh")
            detail = ", ".join(f"{s} {v:g}" for s, v in per.items() if s != "total")
            lines.append(f"{'':<14} refresh calls carried out per {run.kind[:-1]}: {per['total']:g} ({detail})")
    return "\n".join(lines)


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()] if text.strip() else []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", default="10,20,50", help="numbers of networks, comma-separated ('' for none)")
    parser.add_argument("--platforms", default="5,10", help="numbers of platforms, comma-separated ('' for none)")
    parser.add_argument("--core", choices=sorted(CORE_BINARIES), default="tofu")
    parser.add_argument(
        "--transition-s",
        type=float,
        default=0.5,
        help="seconds EKS, RDS and ElastiCache objects stay creating/updating/deleting",
    )
    args = parser.parse_args(argv)
    binary = provider_binary()
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with running_emulator(tmp / "emulator") as emulator:
            core = Core(args.core, CORE_BINARIES[args.core], build_mirror(binary, tmp / "mirror"), emulator.url)
            repo = copy_hcl_tree(tmp / "repo")
            print(f"scale benchmark (provider {binary}, {args.core}, -parallelism={PARALLELISM}, AWS rate limits on)")
            for n in sizes(args.n):
                emulator.reset()
                workdir = repo / f"networks-{n}"
                workdir.mkdir()
                write_config(workdir, networks_hcl(emulator, n))
                runs.append(lifecycle(core, emulator, workdir, Run("networks", n, args.core)))
            for n in sizes(args.platforms):
                emulator.reset()
                emulator.set_eks_transitions(args.transition_s)
                emulator.set_data_transitions(args.transition_s)
                workdir = repo / f"platforms-{n}"
                workdir.mkdir()
                write_config(workdir, platforms_hcl(emulator, n))
                runs.append(lifecycle(core, emulator, workdir, Run("platforms", n, args.core)))
    print()
    print(table(runs))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "provider": str(binary),
        "core": args.core,
        "parallelism": PARALLELISM,
        "transition_s": args.transition_s,
        "runs": [
            {
                "kind": run.kind,
                "n": run.n,
                "phases": {name: asdict(phase) for name, phase in run.phases.items()},
                "refresh_calls_per_unit": run.per_unit("refresh") if "refresh" in run.phases else None,
            }
            for run in runs
        ],
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {REPORT}")


if __name__ == "__main__":
    main()
