"""Network figures (a benchmark, not a test): AWS calls to create, refresh and
destroy the default ode_network, and apply wall time against the critical path
when every AWS call takes a fixed extra latency.

Run with `make bench` (or `python -m tests.bench.network_bench`); ODE_PROVIDER_BIN
selects the provider binary.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.bench.common import rounds
from tests.support.core import CORE_BINARIES, Core, write_config
from tests.support.emulator import EmulatorClient, running_emulator
from tests.support.helpers import provider_block
from tests.support.mirror import build_mirror, provider_binary

LATENCY_MS = 100
NETWORK = """
resource "ode_network" "this" {
  name = "ode-bench"
}
"""


def count(emulator: EmulatorClient) -> tuple[int, int, Counter]:
    calls = emulator.calls()
    by_action = Counter(c["action"] for c in calls)
    ec2 = sum(1 for c in calls if c["service"] == "ec2")
    emulator.reset_calls()
    return len(calls), ec2, by_action


def main() -> None:
    binary = provider_binary()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with running_emulator(tmp / "emulator") as emulator:
            cli = build_mirror(binary, tmp / "mirror")
            core = Core("tofu", CORE_BINARIES["tofu"], cli, emulator.url)
            work = tmp / "work"
            work.mkdir()
            write_config(work, provider_block(emulator) + NETWORK)
            core.init(work)
            emulator.reset_calls()

            print(f"ode_network benchmark (provider {binary})")
            print("\nAWS calls for the default network (3 AZs, 9 subnets, 3 NAT gateways):")
            core.apply(work)
            total, ec2, _ = count(emulator)
            print(f"  create   {total:3d} calls ({ec2} EC2; the rest: STS and zone lookups at plan)")
            core.run(work, "plan", "-refresh-only")
            total, ec2, by = count(emulator)
            print(f"  refresh  {total:3d} calls ({ec2} EC2, goal <= 8): {dict(by)}")
            core.destroy(work)
            total, ec2, _ = count(emulator)
            print(f"  destroy  {total:3d} calls ({ec2} EC2, including the refresh before destroy)")

            # The core's own share (start-up, planning, state) at no added latency.
            started = time.monotonic()
            core.apply(work)
            base = time.monotonic() - started
            core.destroy(work)

            emulator.set_latency(LATENCY_MS)
            emulator.reset_calls()
            started = time.monotonic()
            core.apply(work)
            wall = time.monotonic() - started
            calls = emulator.calls()
            n = rounds(calls, LATENCY_MS / 1000)
            bound = n * LATENCY_MS / 1000
            print(f"\napply with {LATENCY_MS} ms added to every AWS call:")
            print(f"  {len(calls)} calls in {n} dependent rounds: critical path {bound:.2f} s")
            print(f"  apply wall time {wall:.2f} s = {wall / bound:.2f}x the critical path")
            print(
                f"  apply wall time less the same apply without latency ({base:.2f} s): "
                f"{wall - base:.2f} s = {(wall - base) / bound:.2f}x the critical path (goal <= 1.3x)"
            )
            emulator.set_latency(0)
            core.destroy(work)


if __name__ == "__main__":
    main()
