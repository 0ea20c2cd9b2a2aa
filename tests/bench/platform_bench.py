"""Whole-platform figures (a benchmark, not a test): AWS calls and wall time to apply,
refresh and destroy the `platform` module (examples/local/3-platform, remote state in
step 1's bucket) on the emulator, the same apply with 100 ms added to every AWS call
against its critical path, and the provider's peak RSS during a whole-platform plan.

Run with `make bench` (or `python -m tests.bench.platform_bench`); ODE_PROVIDER_BIN
selects the provider binary.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from tests.bench.common import peak_rss_mb, report_latency
from tests.e2e.test_platform import Platform
from tests.support.core import CORE_BINARIES, Core
from tests.support.emulator import EmulatorClient, running_emulator
from tests.support.mirror import build_mirror, provider_binary

LATENCY_MS = 100
# The state backend's own calls (S3, DynamoDB for the lock) are counted too: they
# are part of every run with remote state.


def counted(emulator: EmulatorClient) -> Counter:
    by = Counter(c["service"] for c in emulator.calls())
    emulator.reset_calls()
    return by


def show(label: str, by: Counter, seconds: float) -> None:
    detail = ", ".join(f"{s} {n}" for s, n in sorted(by.items()))
    print(f"  {label:8} {sum(by.values()):4d} calls in {seconds:6.2f} s  ({detail})")


def timed(fn) -> float:
    started = time.monotonic()
    fn()
    return time.monotonic() - started


def main() -> None:
    binary = provider_binary()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with running_emulator(tmp / "emulator") as emulator:
            core = Core("tofu", CORE_BINARIES["tofu"], build_mirror(binary, tmp / "mirror"), emulator.url)
            p = Platform(core, emulator, tmp)
            core.init(p.step1, env=p.env)
            core.apply(p.step1, env=p.env)
            core.run(p.step3, "init", "-input=false", "-backend-config=backend.hcl", env=p.env)
            emulator.reset_calls()
            print(f"platform benchmark (provider {binary}), the seed's defaults")
            print("\nAWS calls (all services, the state backend's included) and wall time:")
            apply_s = timed(lambda: core.apply(p.step3, env=p.env))
            show("apply", counted(emulator), apply_s)
            stop, rss = threading.Event(), []
            sampler = threading.Thread(target=peak_rss_mb, args=(stop, rss))
            sampler.start()
            refresh_s = timed(lambda: core.run(p.step3, "plan", "-refresh-only", "-input=false", env=p.env))
            stop.set()
            sampler.join()
            show("refresh", counted(emulator), refresh_s)
            destroy_s = timed(lambda: core.destroy(p.step3, env=p.env))
            show("destroy", counted(emulator), destroy_s)
            print(f"\npeak RSS of the provider during the whole-platform refresh plan: {rss[0]:.1f} MB")

            emulator.set_latency(LATENCY_MS)
            emulator.reset_calls()
            wall = timed(lambda: core.apply(p.step3, env=p.env))
            calls = emulator.calls()
            report_latency("apply", LATENCY_MS, calls, wall, apply_s)
            emulator.set_latency(0)
            p.down()


if __name__ == "__main__":
    main()
