"""Data tier and registry figures (a benchmark, not a test): AWS calls to create,
refresh and destroy the seed's ode_data_tier and ode_registry, apply wall time against
the critical path when every AWS call takes a fixed extra latency, and the provider's
peak RSS.

Run with `make bench` (or `python -m tests.bench.data_bench`); ODE_PROVIDER_BIN
selects the provider binary. The tier runs on an ode_network created first (its calls
are not counted).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from tests.bench.common import peak_rss_mb, report_latency
from tests.support.core import CORE_BINARIES, Core, write_config
from tests.support.emulator import EmulatorClient, running_emulator
from tests.support.helpers import provider_block
from tests.support.mirror import build_mirror, provider_binary

LATENCY_MS = 100
SERVICES = ("rds", "elasticache", "ec2", "s3", "kms", "secretsmanager", "ecr")


def config(emulator: EmulatorClient) -> str:
    return provider_block(emulator) + """
resource "ode_network" "net" {
  name               = "ode-bench-net"
  availability_zones = ["us-east-1a", "us-east-1b"]
  nat_gateways       = "single"
}

resource "ode_data_tier" "this" {
  name                = "ode-bench"
  vpc_id              = ode_network.net.vpc_id
  subnet_ids          = ode_network.net.isolated_subnet_ids
  allowed_cidr_blocks = ["10.0.0.0/16"]

  postgres {
    deletion_protection = false
    final_snapshot      = false
  }
  redis {}
}

resource "ode_registry" "this" {
  name = "ode-bench"
}
"""


def calls_of(emulator: EmulatorClient) -> Counter:
    """Calls of the tier's and registry's services, by service; resets the recorder."""
    by = Counter(c["service"] for c in emulator.calls() if c["service"] in SERVICES)
    emulator.reset_calls()
    return by


def show(label: str, by: Counter, note: str = "") -> None:
    detail = ", ".join(f"{s} {n}" for s, n in sorted(by.items()))
    print(f"  {label:8} {sum(by.values()):3d}  ({detail}){note}")


def main() -> None:
    binary = provider_binary()
    targets = ("-target=ode_data_tier.this", "-target=ode_registry.this")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with running_emulator(tmp / "emulator") as emulator:
            core = Core("tofu", CORE_BINARIES["tofu"], build_mirror(binary, tmp / "mirror"), emulator.url)
            work = tmp / "work"
            work.mkdir()
            write_config(work, config(emulator))
            core.init(work)
            core.apply(work, "-target=ode_network.net")
            emulator.reset_calls()

            stop, rss = threading.Event(), []
            sampler = threading.Thread(target=peak_rss_mb, args=(stop, rss))
            sampler.start()
            print(f"ode_data_tier + ode_registry benchmark (provider {binary})")
            print("\nAWS calls for the seed's data tier (PostgreSQL, 2-node Redis, 3 buckets) and registry (3 repositories):")
            core.apply(work)
            show("create", calls_of(emulator))
            core.run(work, "plan", "-refresh-only")
            show("refresh", calls_of(emulator), " - data tier: one round; registry: a list, then one round")
            core.destroy(work, *targets)
            show("destroy", calls_of(emulator), " (with the refresh before it)")
            stop.set()
            sampler.join()
            print(f"\npeak RSS of the provider: {rss[0]:.1f} MB")

            started = time.monotonic()
            core.apply(work)
            base = time.monotonic() - started
            core.destroy(work, *targets)

            emulator.set_latency(LATENCY_MS)
            emulator.reset_calls()
            started = time.monotonic()
            core.apply(work)
            wall = time.monotonic() - started
            calls = [c for c in emulator.calls() if c["service"] in SERVICES + ("sts",)]
            report_latency("create", LATENCY_MS, calls, wall, base)
            emulator.set_latency(0)
            core.destroy(work)


if __name__ == "__main__":
    main()
