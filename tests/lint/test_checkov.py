"""The checkov custom policies for ode_* resources (policies/checkov), run by the
checkov that scripts/install-checkov.sh installs, as a platform's CI would run them.

* ``test_checkov_production_passes``: each root of examples/production (with the values
  of its terraform.tfvars.example, which a user copies to terraform.tfvars) passes
  every CKV_ODE policy, and every policy was evaluated on each ode_* resource the
  example makes inside the local modules: the passed results are counted per policy
  and their addresses lie under ``module.``, so a policy that never loaded or never
  saw a resource fails the test.
* ``test_checkov_bad_example_fails_each_policy``: tests/fixtures/checkov-bad fails
  each policy on exactly the resources meant to fail it (the rest pass), and every
  failure names the attribute to fix.
* ``test_checkov_bad_example_is_valid``: the provider accepts the bad example
  (``validate`` on each core), so each failure is a configuration a user can write.
* ``test_policies_listed_in_readme``: policies/checkov/README.md lists every policy
  the directory defines, with its name, and no other.

The three scans run concurrently, once per module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.core import Core
from tests.support.tools import TOOLS

pytestmark = pytest.mark.lint

REPO_ROOT = Path(__file__).resolve().parents[2]
POLICIES = REPO_ROOT / "policies" / "checkov"
PRODUCTION = REPO_ROOT / "examples" / "production"
BAD = REPO_ROOT / "tests" / "fixtures" / "checkov-bad"
CHECKOV = TOOLS / "checkov-venv" / "bin" / "checkov"
TIMEOUT_S = 300

# The resource type each policy checks.
POLICY_RESOURCE = {
    "CKV_ODE_1": "ode_data_tier",
    "CKV_ODE_2": "ode_data_tier",
    "CKV_ODE_3": "ode_data_tier",
    "CKV_ODE_4": "ode_data_tier",
    "CKV_ODE_5": "ode_data_tier",
    "CKV_ODE_6": "ode_network",
    "CKV_ODE_7": "ode_registry",
    "CKV_ODE_8": "ode_eks_stack",
    "CKV_ODE_9": "ode_eks_stack",
    "CKV_ODE_10": "ode_state_backend",
}

# The ode_* resources each root of examples/production makes through the modules:
# step 1 the state backend, step 2 the platform module's four composites.
PRODUCTION_RESOURCES = {
    "1-bootstrap": {"ode_state_backend": 1},
    "2-platform": {"ode_network": 1, "ode_eks_stack": 1, "ode_data_tier": 1, "ode_registry": 1},
}

# The resources of tests/fixtures/checkov-bad, and the ones each policy must fail.
BAD_RESOURCES = {
    "ode_state_backend": {"ode_state_backend.careless"},
    "ode_network": {"ode_network.leaky"},
    "ode_eks_stack": {"ode_eks_stack.open"},
    "ode_data_tier": {"ode_data_tier.exposed", "ode_data_tier.staging"},
    "ode_registry": {"ode_registry.mutable"},
}
BAD_FAILURES = {
    "CKV_ODE_1": {"ode_data_tier.exposed"},
    "CKV_ODE_2": {"ode_data_tier.exposed"},
    "CKV_ODE_3": {"ode_data_tier.exposed"},
    "CKV_ODE_4": {"ode_data_tier.exposed"},
    "CKV_ODE_5": {"ode_data_tier.exposed"},
    "CKV_ODE_6": {"ode_network.leaky"},
    "CKV_ODE_7": {"ode_registry.mutable"},
    "CKV_ODE_8": {"ode_eks_stack.open"},
    "CKV_ODE_9": {"ode_eks_stack.open"},
    "CKV_ODE_10": {"ode_state_backend.careless"},
}
# What each policy's failure must name: the attribute to change.
FAILURE_NAMES = {
    "CKV_ODE_1": "redis.at_rest_encryption",
    "CKV_ODE_2": "allowed_cidr_blocks",
    "CKV_ODE_3": "subnet_ids",
    "CKV_ODE_4": "postgres.deletion_protection",
    "CKV_ODE_5": "redis.transit_encryption",
    "CKV_ODE_6": "isolated.tags",
    "CKV_ODE_7": "immutable_tags",
    "CKV_ODE_8": "kms_key_arn",
    "CKV_ODE_9": "public_access_cidrs",
    "CKV_ODE_10": "force_destroy",
}


@dataclass
class Scan:
    """One checkov run over one directory: its results by policy ID."""

    directory: Path
    command: list[str]
    returncode: int
    stderr: str
    passed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def describe(self) -> str:
        return f"$ {' '.join(self.command)}\nexit {self.returncode}\n{self.stderr[-4000:]}"

    def addresses(self, results: dict[str, list[dict[str, Any]]], policy: str) -> list[str]:
        return sorted(result["resource"] for result in results.get(policy, []))


def defined_policies() -> dict[str, str]:
    """Policy ID -> name, as the policy files define them."""
    found: dict[str, str] = {}
    for source in sorted(POLICIES.glob("*.py")):
        text = source.read_text()
        for match in re.finditer(r'name="([^"]+)",\s*id="(CKV_ODE_\d+)"', text):
            found[match.group(2)] = match.group(1)
    return found


def checkov_environment() -> dict[str, str]:
    """The caller's environment without anything that changes what checkov or the
    variables evaluate to (TF_VAR_*, checkov's and Prisma Cloud's settings)."""
    scrubbed = ("TF_VAR_", "CKV_", "BC_", "CHECKOV_", "PRISMA_", "LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrubbed)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def start_scan(directory: Path) -> tuple[list[str], subprocess.Popen]:
    command = [
        str(CHECKOV),
        "--directory",
        str(directory.relative_to(REPO_ROOT)),
        "--framework",
        "terraform",
        "--external-checks-dir",
        str(POLICIES.relative_to(REPO_ROOT)),
        "--check",
        "CKV_ODE_*",
        "--output",
        "json",
        # Nothing from Prisma Cloud: no network, the same result everywhere.
        "--skip-download",
    ]
    example = directory / "terraform.tfvars.example"
    if example.is_file():
        command += ["--var-file", str(example.relative_to(REPO_ROOT))]
    proc = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=checkov_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return command, proc


def finish_scan(directory: Path, command: list[str], proc: subprocess.Popen) -> Scan:
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    scan = Scan(directory, command, proc.returncode, stderr)
    # 0: nothing failed, 1: something failed; anything else is checkov's own failure.
    assert proc.returncode in (0, 1), f"checkov did not finish its scan\n{scan.describe()}"
    for problem in ("Cannot load external check", "Failed to run check"):
        assert problem not in stderr, f"checkov could not run a policy\n{scan.describe()}"
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"checkov's output is not JSON ({error})\n{scan.describe()}") from None
    reports = report if isinstance(report, list) else [report]
    for item in reports:
        results = item.get("results", {})
        for key, into in (("passed_checks", scan.passed), ("failed_checks", scan.failed)):
            for result in results.get(key, []):
                into.setdefault(result["check_id"], []).append(result)
    return scan


@pytest.fixture(scope="module")
def checkov() -> Path:
    if not os.access(CHECKOV, os.X_OK):
        pytest.fail(
            f"checkov is not installed at {CHECKOV}: run scripts/install-checkov.sh",
            pytrace=False,
        )
    return CHECKOV


@pytest.fixture(scope="module")
def scans(checkov: Path) -> dict[str, Scan]:
    """examples/production's roots and the bad example, scanned concurrently."""
    roots = sorted(path.name for path in PRODUCTION.iterdir() if path.is_dir() and any(path.glob("*.tf")))
    assert roots == sorted(PRODUCTION_RESOURCES), f"examples/production's root modules are {roots}: update the test"
    directories = {name: PRODUCTION / name for name in PRODUCTION_RESOURCES}
    directories["bad"] = BAD
    started = {name: start_scan(directory) for name, directory in directories.items()}
    try:
        return {name: finish_scan(directories[name], *started[name]) for name in started}
    finally:
        for _, proc in started.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


def test_checkov_production_passes(scans: dict[str, Scan]) -> None:
    assert set(defined_policies()) == set(POLICY_RESOURCE), "the test does not know every policy"
    for root, resources in PRODUCTION_RESOURCES.items():
        scan = scans[root]
        failures = [
            f"{policy} {result['resource']}: {'; '.join(result.get('details') or [])}"
            for policy, results in sorted(scan.failed.items())
            for result in results
        ]
        assert not failures, f"examples/production/{root} fails ODE policies:\n" + "\n".join(failures)
        assert scan.returncode == 0, scan.describe()
        for policy, resource_type in POLICY_RESOURCE.items():
            addresses = scan.addresses(scan.passed, policy)
            assert len(addresses) == resources.get(resource_type, 0), (
                f"examples/production/{root}: {policy} passed on {addresses}, expected "
                f"{resources.get(resource_type, 0)} {resource_type}: the policy did not run, or its result was "
                "UNKNOWN because checkov could not evaluate the attribute through the modules\n" + scan.describe()
            )
            for address in addresses:
                # The resources live in the local modules: module.platform.module.eks.ode_eks_stack.this[0].
                assert address.startswith("module.") and f".{resource_type}." in f".{address}", address


def test_checkov_bad_example_fails_each_policy(scans: dict[str, Scan]) -> None:
    scan = scans["bad"]
    assert set(BAD_FAILURES) == set(POLICY_RESOURCE) == set(defined_policies())
    assert scan.returncode == 1, scan.describe()
    for policy, resource_type in POLICY_RESOURCE.items():
        failed = scan.addresses(scan.failed, policy)
        passed = scan.addresses(scan.passed, policy)
        assert failed == sorted(BAD_FAILURES[policy]), f"{policy} failed on {failed}"
        assert passed == sorted(BAD_RESOURCES[resource_type] - BAD_FAILURES[policy]), f"{policy} passed on {passed}"
        for result in scan.failed[policy]:
            details = " ".join(result.get("details") or [])
            assert FAILURE_NAMES[policy] in details, f"{policy} on {result['resource']} says {details!r}"


def test_checkov_bad_example_is_valid(core: Core, workdir: Path) -> None:
    shutil.copy(BAD / "main.tf", workdir / "main.tf")
    core.init(workdir)
    result = core.validate(workdir, check=False)
    assert result.returncode == 0, "the provider refuses the bad example\n" + result.describe()


def test_policies_listed_in_readme() -> None:
    policies = defined_policies()
    assert policies, f"no policy found in {POLICIES}"
    readme = (POLICIES / "README.md").read_text()
    listed = set(re.findall(r"^\| `?(CKV_ODE_\d+)`? \|", readme, flags=re.MULTILINE))
    assert listed == set(policies), f"README lists {sorted(listed)}, the policies are {sorted(policies)}"
    for policy, name in policies.items():
        assert name in readme, f"README does not give {policy}'s name {name!r}"
