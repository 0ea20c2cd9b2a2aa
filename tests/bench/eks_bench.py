"""EKS stack figures (a benchmark, not a test): AWS calls to create, refresh, upgrade
and destroy the seed's ode_eks_stack, apply wall time against the critical path when
every AWS call takes a fixed extra latency, and the provider's peak RSS.

Run with `make bench` (or `python -m tests.bench.eks_bench`); ODE_PROVIDER_BIN
selects the provider binary. The stack runs on an ode_network created first (its
calls are not counted).
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


def config(emulator: EmulatorClient, version: str) -> str:
    return provider_block(emulator) + f"""
resource "ode_network" "net" {{
  name               = "ode-bench-net"
  availability_zones = ["us-east-1a", "us-east-1b"]
  nat_gateways       = "single"
}}

resource "ode_eks_stack" "this" {{
  name               = "ode-bench-cluster"
  kubernetes_version = "{version}"
  subnet_ids         = ode_network.net.private_subnet_ids

  node_groups = {{
    system = {{
      instance_types = ["t3.medium"]
      min_size       = 2
      max_size       = 4
    }}
    worker = {{
      instance_types = ["t3.large"]
      min_size       = 3
      max_size       = 10
    }}
  }}

  addons = {{
    "vpc-cni"    = {{}}
    "kube-proxy" = {{}}
    "coredns"    = {{}}
  }}

  access_entries = {{
    "arn:aws:iam::123456789012:role/platform-admin" = {{}}
  }}

  service_accounts = {{
    "ode/api" = {{
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    }}
  }}
}}
"""


def stack_calls(emulator: EmulatorClient) -> Counter:
    """Calls of the stack's services (EKS, IAM, KMS), by service; resets the recorder."""
    by = Counter(c["service"] for c in emulator.calls() if c["service"] in ("eks", "iam", "kms", "logs"))
    emulator.reset_calls()
    return by


def main() -> None:
    binary = provider_binary()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with running_emulator(tmp / "emulator") as emulator:
            core = Core("tofu", CORE_BINARIES["tofu"], build_mirror(binary, tmp / "mirror"), emulator.url)
            work = tmp / "work"
            work.mkdir()
            write_config(work, config(emulator, "1.29"))
            core.init(work)
            core.apply(work, "-target=ode_network.net")
            emulator.reset_calls()

            stop, rss = threading.Event(), []
            sampler = threading.Thread(target=peak_rss_mb, args=(stop, rss))
            sampler.start()
            print(f"ode_eks_stack benchmark (provider {binary})")
            print("\nAWS calls (EKS, IAM, KMS, CloudWatch Logs) for the seed's stack (2 node groups, 3 add-ons, 1 access entry, 1 IRSA role):")
            core.apply(work)
            print(f"  create   {sum(stack_calls(emulator).values()):3d}")
            core.run(work, "plan", "-refresh-only")
            print(f"  refresh  {sum(stack_calls(emulator).values()):3d} (two dependent rounds)")
            write_config(work, config(emulator, "1.30"))
            core.apply(work)
            print(f"  upgrade  {sum(stack_calls(emulator).values()):3d} (1.29 -> 1.30, with the refresh before it)")
            core.destroy(work, "-target=ode_eks_stack.this")
            print(f"  destroy  {sum(stack_calls(emulator).values()):3d} (with the refresh before it)")
            stop.set()
            sampler.join()
            print(f"\npeak RSS of the provider: {rss[0]:.1f} MB")

            write_config(work, config(emulator, "1.29"))
            started = time.monotonic()
            core.apply(work)
            base = time.monotonic() - started
            core.destroy(work, "-target=ode_eks_stack.this")

            emulator.set_latency(LATENCY_MS)
            emulator.reset_calls()
            started = time.monotonic()
            core.apply(work)
            wall = time.monotonic() - started
            calls = [c for c in emulator.calls() if c["service"] in ("eks", "iam", "kms", "logs", "ec2", "sts")]
            report_latency("create", LATENCY_MS, calls, wall, base)
            emulator.set_latency(0)
            core.destroy(work)


if __name__ == "__main__":
    main()
