"""docs/platform-diagram.md: the Mermaid diagram of modules/platform that
scripts/gen_platform_diagram.py draws from the modules' HCL (no core needed).

* the committed page is what the script makes from the committed modules;
* the diagram follows the HCL: a copy of modules/ with other defaults (two zones, a
  single NAT gateway, other node groups and repositories) gives another diagram;
* ``--check`` fails, with a diff, on a stale page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.modules.layout import MODULES, REPO_ROOT

pytestmark = pytest.mark.lint

SCRIPT = REPO_ROOT / "scripts" / "gen_platform_diagram.py"
PAGE = REPO_ROOT / "docs" / "platform-diagram.md"


def generate(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, SCRIPT, *map(str, args)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )


def mermaid(page: str) -> str:
    blocks = re.findall(r"^```mermaid\n(.*?)^```$", page, re.M | re.S)
    assert len(blocks) == 1, page
    return blocks[0]


def test_committed_diagram_is_current() -> None:
    proc = generate("--check")
    assert proc.returncode == 0, f"run `python scripts/gen_platform_diagram.py`:\n{proc.stdout}{proc.stderr}"


def test_diagram_shows_the_seed_topology() -> None:
    diagram = mermaid(PAGE.read_text())
    assert diagram.startswith("flowchart TB\n")
    for expected in (
        "VPC 10.0.0.0/16: module.network",
        "EKS newest ode-production-cluster: module.eks",
        "node group system<br/>2 x t3.medium (2 to 4)",
        "node group worker<br/>3 x t3.large (3 to 10)",
        "sized by the cluster autoscaler",
        "vpc-cni, kube-proxy, coredns, aws-ebs-csi-driver, metrics-server",
        "ode/ode-api, ode/ode-worker, kube-system/aws-load-balancer-controller, kube-system/cluster-autoscaler",
        "ode-production-postgres",
        "ode-production-redis",
        "ode-production-documents<br/>ode-production-exports<br/>ode-production-fonts",
        "ode-api<br/>ode-worker<br/>ode-viewer",
        "S3 ode-terraform-state",
        "DynamoDB ode-terraform-locks",
        'mod_eks ---|"private subnets"| tier_private',
        'mod_data ---|"isolated subnets"| tier_isolated',
        'mod_eks -->|"5432 and 6379: cluster security group only"| mod_data',
        'mod_eks -->|"image pulls: node role"| ecr',
    ):
        assert expected in diagram, f"{expected!r} not in the diagram:\n{diagram}"
    assert diagram.count("<br/>NAT gateway") == 3
    assert len(re.findall(r"^\s+isolated_\d+\[", diagram, re.M)) == 3


def test_diagram_follows_the_hcl(tmp_path: Path) -> None:
    modules = tmp_path / "modules"
    shutil.copytree(MODULES, modules, ignore=shutil.ignore_patterns(".terraform*"))
    variables = modules / "platform" / "variables.tf"
    text = variables.read_text()
    for old, new in (
        ("default     = 3\n", "default     = 2\n"),
        ('default     = "one_per_az"\n', 'default     = "single"\n'),
        (
            "default     = null\n\n  validation {\n    condition     = var.kubernetes_version",
            'default     = "1.34"\n\n  validation {\n    condition     = var.kubernetes_version',
        ),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    # Other node groups than the seed's.
    text = re.sub(
        r'(variable "node_groups" \{.*?\n  \}\)\)\n)  default = \{\n.*?\n  \}\n',
        lambda m: m.group(1) + '  default = {\n    general = { instance_types = ["m6i.large"], min_size = 1, max_size = 5 }\n  }\n',
        text,
        count=1,
        flags=re.S,
    )
    assert "general = {" in text
    variables.write_text(text)
    registry = modules / "registry" / "variables.tf"
    registry.write_text(registry.read_text().replace("    viewer = {}\n", "    viewer = {}\n    jobs   = {}\n", 1))
    # The registry no longer given the node role: no pull edge.
    main = modules / "platform" / "main.tf"
    main.write_text(main.read_text().replace("[module.eks.node_role_arn]", "[]", 1))

    out = tmp_path / "page.md"
    proc = generate("--modules", modules, "--output", out)
    assert proc.returncode == 0, proc.stderr
    diagram = mermaid(out.read_text())
    assert "2 availability zones with one NAT gateway" in " ".join(out.read_text().split())
    assert diagram.count("<br/>NAT gateway") == 1
    assert "zone 3" not in diagram and "zone 2" in diagram
    assert "EKS 1.34" in diagram
    assert "node group general<br/>1 to 5 x m6i.large" in diagram
    assert "node group system" not in diagram
    assert "ode-jobs" in diagram
    assert "image pulls" not in diagram


def test_check_fails_on_a_stale_page(tmp_path: Path) -> None:
    stale = tmp_path / "page.md"
    stale.write_text(PAGE.read_text().replace("EKS newest", "EKS 1.28"))
    proc = generate("--check", "--output", stale)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "+" in proc.stdout and "EKS newest" in proc.stdout and "out of date" in proc.stderr
    assert "EKS 1.28" in stale.read_text(), "--check must not rewrite the page"
