"""Performance figures of the provider binary (``make bench``); not a test.

Run as ``python -m tests.bench.provider_bench`` with ``ODE_PROVIDER_BIN`` pointing at
the release binary. It measures

* start -> handshake line: spawn the binary as a core does (go-plugin environment with
  an auto-mTLS client certificate) and time until its handshake line is on stdout;
* GetProviderSchema latency over the mTLS gRPC connection the handshake announces;
* the provider's peak RSS (max VmHWM of its processes) while a real OpenTofu runs
  init/apply/plan/destroy of a state backend against the emulator;
* the size of the binary;

and prints them in a table next to their goals. It exits 1 when a measurement could not
be made, and also when a figure is over its goal if ``--strict`` is given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tests.support.core import CORE_BINARIES, Core, Result, write_config
from tests.support.emulator import EmulatorClient, running_emulator
from tests.support.helpers import provider_block
from tests.support.mirror import build_mirror, provider_binary
from tests.support.plugin import Handshake, make_go_plugin_cert, read_handshake_line, serve_environment

GET_PROVIDER_SCHEMA = "/tfplugin6.Provider/GetProviderSchema"
MB = 1_000_000  # figures are in decimal megabytes
RSS_POLL_INTERVAL_S = 0.005

SCENARIO = """
resource "ode_state_backend" "this" {
  bucket     = "ode-bench-terraform-state"
  lock_table = "ode-bench-terraform-locks"
  state_key  = "ode/bench/terraform.tfstate"
  tags       = { ManagedBy = "Terraform", Team = "platform" }
}

output "backend" {
  value = ode_state_backend.this
}
"""
DEFAULT_TAGS = """  default_tags {
    tags = { Environment = "bench", ManagedBy = "default-tags" }
  }"""


class BenchError(RuntimeError):
    """A measurement could not be made."""


@dataclass
class Figure:
    name: str
    value: float  # compared with the goal
    unit: str
    goal: float  # the value must stay below this
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.value < self.goal

    def row(self) -> list[str]:
        return [self.name, f"{self.value:.2f} {self.unit}", f"< {self.goal:g} {self.unit}", "OK" if self.ok else "over", self.detail]


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of ``values``, nearest-rank."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100), at least 1
    return ordered[int(rank) - 1]


def spawn_provider(binary: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(binary)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(timeout=30)
    proc.stdout.close()


# -- start -> handshake line ------------------------------------------------------------


def bench_startup(binary: Path, env: dict[str, str], starts: int) -> Figure:
    times_ms = []
    for _ in range(starts):
        t0 = time.perf_counter()
        proc = spawn_provider(binary, env)
        try:
            read_handshake_line(proc)
            times_ms.append((time.perf_counter() - t0) * 1000)
        finally:
            stop(proc)
    return Figure(
        f"start -> handshake line ({starts} starts)",
        statistics.median(times_ms),
        "ms",
        10,
        f"median; p90 {percentile(times_ms, 90):.2f}, min {min(times_ms):.2f}",
    )


# -- GetProviderSchema -------------------------------------------------------------------


def bench_schema(binary: Path, env: dict[str, str], client: tuple[Path, Path], calls: int) -> Figure:
    import grpc

    proc = spawn_provider(binary, env)
    try:
        handshake = Handshake.parse(read_handshake_line(proc))
        if (handshake.network, handshake.protocol) != ("unix", "grpc"):
            raise BenchError(f"expected a unix socket serving grpc: {handshake}")
        credentials = grpc.ssl_channel_credentials(
            root_certificates=handshake.server_pem,
            private_key=client[1].read_bytes(),
            certificate_chain=client[0].read_bytes(),
        )
        options = [("grpc.ssl_target_name_override", "localhost")]
        with grpc.secure_channel(f"unix:{handshake.address}", credentials, options=options) as channel:
            call = channel.unary_unary(
                GET_PROVIDER_SCHEMA, request_serializer=lambda b: b, response_deserializer=lambda b: b
            )
            # Warm up: connection, TLS handshake, HTTP/2 windows, the provider's caches.
            for _ in range(max(50, calls // 20)):
                response = call(b"", timeout=10)
            times_ms = []
            for _ in range(calls):
                t0 = time.perf_counter()
                response = call(b"", timeout=10)
                times_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        stop(proc)
    return Figure(
        f"GetProviderSchema ({calls} calls)",
        statistics.median(times_ms),
        "ms",
        1,
        f"median; p90 {percentile(times_ms, 90):.3f}; response {len(response)} bytes",
    )


# -- peak RSS during a real core run ------------------------------------------------------


class RssWatcher:
    """Polls /proc for processes running one executable file and keeps their max VmHWM."""

    def __init__(self, executable: Path, also_under: Path):
        st = executable.stat()
        self.identity = (st.st_dev, st.st_ino)
        # A core may copy the binary out of the mirror instead of linking to it.
        self.also_under = str(also_under.resolve()) + os.sep
        self.classified: dict[int, bool] = {}
        self.peak_kib = 0
        self.pids_seen: set[int] = set()

    def _is_provider(self, pid: int) -> bool:
        if pid not in self.classified:
            try:
                exe = f"/proc/{pid}/exe"
                st = os.stat(exe)
                target = os.readlink(exe)
            except OSError:  # gone, a kernel thread, or not ours to look at
                return False
            self.classified[pid] = (st.st_dev, st.st_ino) == self.identity or (
                target.startswith(self.also_under) and os.path.basename(target).startswith("terraform-provider-ode")
            )
        return self.classified[pid]

    def poll(self) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            if not self._is_provider(pid):
                continue
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))
                            self.pids_seen.add(pid)
                            break
            except OSError:
                self.classified.pop(pid, None)

    def watch(self, action: Callable[[], Result]) -> Result:
        """Run ``action`` in a thread, polling until it returns; re-raise its error."""
        outcome: dict[str, object] = {}

        def run() -> None:
            try:
                outcome["result"] = action()
            except BaseException as error:  # handed to the caller below
                outcome["error"] = error

        thread = threading.Thread(target=run, name="core")
        thread.start()
        while thread.is_alive():
            self.poll()
            thread.join(RSS_POLL_INTERVAL_S)
        # The provider's pid numbers may be reused by later commands' processes.
        self.classified.clear()
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["result"]  # type: ignore[return-value]


def bench_peak_rss(binary: Path, scratch: Path) -> Figure:
    tofu = CORE_BINARIES["tofu"]
    if not os.access(tofu, os.X_OK):
        raise BenchError(f"tofu not found at {tofu}; run scripts/install-tools.sh")
    cli_config = build_mirror(binary, scratch / "mirror")
    mirrored = next((scratch / "mirror").rglob("terraform-provider-ode_v*"))
    workdir = scratch / "work"
    workdir.mkdir()
    with running_emulator(scratch / "emulator") as emulator:
        core = Core("tofu", tofu, cli_config, emulator.url)
        write_config(workdir, provider_block(emulator, extra=DEFAULT_TAGS) + SCENARIO)
        watcher = RssWatcher(mirrored, workdir)
        watcher.watch(lambda: core.init(workdir))
        watcher.watch(lambda: core.apply(workdir))
        check_created(emulator)
        plan = watcher.watch(lambda: core.plan(workdir))
        if plan.returncode != 0:
            raise BenchError("the plan after apply is not empty\n" + plan.describe())
        watcher.watch(lambda: core.destroy(workdir))
    if not watcher.pids_seen:
        raise BenchError(f"no provider process running {mirrored} was seen")
    return Figure(
        "peak RSS, state backend init/apply/plan/destroy",
        watcher.peak_kib * 1024 / MB,
        "MB",
        30,
        f"max VmHWM of {len(watcher.pids_seen)} provider processes",
    )


def check_created(emulator: EmulatorClient) -> None:
    calls = emulator.call_names()
    for call in [("s3", "CreateBucket"), ("dynamodb", "CreateTable")]:
        if call not in calls:
            raise BenchError(f"apply did not call {call}; calls: {calls}")


# -- report -----------------------------------------------------------------------------


def print_table(figures: list[Figure]) -> None:
    rows = [["figure", "value", "goal", "", "detail"]] + [f.row() for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--starts", type=int, default=50, help="provider starts to time (default 50)")
    parser.add_argument("--calls", type=int, default=1000, help="GetProviderSchema calls to time (default 1000)")
    parser.add_argument("--skip-core", action="store_true", help="skip the peak RSS scenario (needs tofu)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a figure is over its goal")
    args = parser.parse_args(argv)

    binary = provider_binary()
    if not os.access(binary, os.X_OK):
        print(f"provider binary not found at {binary}; set ODE_PROVIDER_BIN", file=sys.stderr)
        return 1
    print(f"provider: {binary}", flush=True)

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="ode-bench-") as tmp:
        scratch = Path(tmp)
        client = make_go_plugin_cert(scratch, "client")
        # The provider puts its socket under TMPDIR: keep them in the scratch directory.
        sockets = scratch / "sockets"
        sockets.mkdir()
        env = serve_environment(client[0].read_text(), TMPDIR=str(sockets))
        try:
            figures.append(bench_startup(binary, env, args.starts))
            figures.append(bench_schema(binary, env, client, args.calls))
            if not args.skip_core:
                figures.append(bench_peak_rss(binary, scratch / "rss"))
        except (BenchError, AssertionError) as error:
            print_table(figures)
            print(f"\nbench failed: {error}", file=sys.stderr)
            return 1
        figures.append(Figure("release binary size", binary.stat().st_size / MB, "MB", 40, binary.name))

    print()
    print_table(figures)
    over = [f.name for f in figures if not f.ok]
    print(f"\n(MB = 10^6 bytes) {'all figures within their goals' if not over else 'over goal: ' + ', '.join(over)}")
    return 1 if over and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
