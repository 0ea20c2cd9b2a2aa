"""End-to-end scenarios for the ode_registry resource (ECR), run through each core.

Every scenario ends with a destroy and a check that no repository of the registry is
left.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.core import Core, write_config
from tests.support.diagnostics import assert_error_at, attribute_line, destroy_errors, error_diagnostics
from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block

pytestmark = pytest.mark.e2e

NAME = "ode-e2e"
ADDRESS = "ode_registry.this"
NODE_ROLE = "arn:aws:iam::123456789012:role/ode-production-cluster-node"


def registry_config(emulator: EmulatorClient, body: str = "", *, name: str = NAME) -> str:
    return (
        provider_block(emulator)
        + f"""
resource "ode_registry" "this" {{
  name                = "{name}"
  pull_principal_arns = ["{NODE_ROLE}"]
  tags                = {{ Environment = "e2e" }}
{body}
}}

output "registry" {{
  value = ode_registry.this
}}
"""
    )


def registry(core: Core, workdir: Path) -> dict[str, Any]:
    return core.output_json(workdir)["registry"]


def assert_no_changes(core: Core, workdir: Path) -> None:
    plan = core.plan(workdir)
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()


def repositories(emulator: EmulatorClient) -> list[str]:
    return sorted(r["repositoryName"] for r in emulator.client("ecr").describe_repositories()["repositories"])


def apply_registry(core: Core, emulator: EmulatorClient, workdir: Path, body: str = "") -> dict[str, Any]:
    write_config(workdir, registry_config(emulator, body))
    core.init(workdir)
    core.apply(workdir)
    return registry(core, workdir)


@pytest.mark.no_chaos
def test_registry_basic(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """The platform's three repositories: scan on push, immutable tags, lifecycle, pull
    policy for the node role; a refresh is one DescribeRepositories plus one round."""
    r = apply_registry(core, emulator, workdir)
    assert repositories(emulator) == [f"{NAME}-api", f"{NAME}-viewer", f"{NAME}-worker"]
    assert set(r["repository_urls"]) == {"api", "worker", "viewer"}
    assert r["repository_urls"]["api"].endswith(f"/{NAME}-api")
    assert r["compliance"] == "verified"
    ecr = emulator.client("ecr")
    (repo,) = ecr.describe_repositories(repositoryNames=[f"{NAME}-api"])["repositories"]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert repo["imageTagMutability"] == "IMMUTABLE"
    policy = json.loads(ecr.get_repository_policy(repositoryName=f"{NAME}-api")["policyText"])
    assert policy["Statement"][0]["Principal"]["AWS"] in ([NODE_ROLE], NODE_ROLE)
    rules = json.loads(ecr.get_lifecycle_policy(repositoryName=f"{NAME}-api")["lifecyclePolicyText"])["rules"]
    assert [rule["selection"]["countNumber"] for rule in rules] == [7, 30]
    def tags() -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}

    # The claim lives until the core has the registry in its state: the first read
    # (this plan's refresh) ends it, one UntagResource a repository.
    assert tags()["ode:stack"] == NAME and "ode:creating" in tags()
    emulator.reset_calls()
    core.plan(workdir)
    assert [a for s, a in emulator.call_names() if s == "ecr"].count("UntagResource") == 3
    assert "ode:creating" not in tags()

    emulator.reset_calls()
    core.plan(workdir)
    calls = [a for s, a in emulator.call_names() if s == "ecr"]
    assert calls.count("DescribeRepositories") == 1, calls
    assert len(calls) == 1 + 3 * 3, calls
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert repositories(emulator) == []


def test_registry_drift(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Scanning turned off, tags made mutable, the policy deleted and a repository deleted
    outside Terraform: the plan shows it, apply repairs it."""
    apply_registry(core, emulator, workdir)
    ecr = emulator.client("ecr")
    ecr.put_image_scanning_configuration(repositoryName=f"{NAME}-api", imageScanningConfiguration={"scanOnPush": False})
    ecr.put_image_tag_mutability(repositoryName=f"{NAME}-worker", imageTagMutability="MUTABLE")
    ecr.delete_repository_policy(repositoryName=f"{NAME}-viewer")
    plan = core.plan(workdir)
    assert plan.returncode == 2, plan.describe()
    for said in (f"{NAME}-api does not scan on push", f"{NAME}-worker has mutable tags", f"{NAME}-viewer has another repository policy"):
        assert said in plan.stdout, plan.describe()
    core.apply(workdir)
    assert registry(core, workdir)["compliance"] == "verified"
    ecr.delete_repository(repositoryName=f"{NAME}-viewer")
    plan = core.plan(workdir)
    assert plan.returncode == 2 and f"{NAME}-viewer is missing" in plan.stdout, plan.describe()
    core.apply(workdir)
    assert repositories(emulator) == [f"{NAME}-api", f"{NAME}-viewer", f"{NAME}-worker"]
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert repositories(emulator) == []


def test_registry_force_destroy_guard(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A repository holding an image: destroy refuses before deleting anything; with
    force_destroy it goes."""
    apply_registry(core, emulator, workdir)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {}, "layers": []})
    emulator.client("ecr").put_image(repositoryName=f"{NAME}-api", imageManifest=manifest, imageTag="v1")
    diagnosed = destroy_errors(core, workdir)
    said = " ".join(str(e) for e in diagnosed.errors)
    assert diagnosed.failed and f"{NAME}-api (1 images)" in said and "force_destroy = true" in said, said
    assert repositories(emulator) == [f"{NAME}-api", f"{NAME}-viewer", f"{NAME}-worker"]
    write_config(workdir, registry_config(emulator, "  force_destroy = true"))
    core.apply(workdir)
    core.destroy(workdir)
    assert repositories(emulator) == []


def test_registry_repositories_change(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Repositories named explicitly: one added, one dropped, per-repository lifecycle."""
    apply_registry(core, emulator, workdir, "  repositories = {\n    api    = {}\n    worker = {}\n  }")
    assert repositories(emulator) == [f"{NAME}-api", f"{NAME}-worker"]
    write_config(
        workdir,
        registry_config(emulator, "  repositories = {\n    api      = { keep_tagged_images = 5 }\n    renderer = {}\n  }"),
    )
    core.apply(workdir)
    assert repositories(emulator) == [f"{NAME}-api", f"{NAME}-renderer"]
    rules = json.loads(emulator.client("ecr").get_lifecycle_policy(repositoryName=f"{NAME}-api")["lifecyclePolicyText"])["rules"]
    assert rules[1]["selection"]["countNumber"] == 5
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert repositories(emulator) == []


def test_registry_import(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    apply_registry(core, emulator, first)
    write_config(second, registry_config(emulator))
    core.init(second)
    core.import_(second, ADDRESS, NAME)
    # What cannot be read back from ECR (the pull principals, tags) is applied once.
    core.apply(second)
    assert_no_changes(core, second)
    core.run(first, "state", "rm", ADDRESS)
    core.destroy(second)
    assert repositories(emulator) == []


def test_registry_same_name_two_states(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    apply_registry(core, emulator, first)
    write_config(second, registry_config(emulator))
    core.init(second)
    result = core.run(second, "apply", "-input=false", "-auto-approve", check=False)
    assert result.returncode != 0 and f'Registry name "{NAME}" is taken' in result.output, result.describe()
    core.destroy(first)
    assert repositories(emulator) == []


BAD_INPUTS: list[tuple[str, str, str, str]] = [
    ("keep-zero", "  keep_tagged_images = 0", "keep_tagged_images", "must be 1 to 10000"),
    ("untagged-zero", "  untagged_expiry_days = 0", "untagged_expiry_days", "must be 1 to 3650"),
    ("kms-not-arn", '  kms_key_arn = "key"', "kms_key_arn", "is not a valid kms ARN"),
    ("repo-key-upper", '  repositories = {\n    API = {}\n  }', "repositories.API", '"API": keys are lowercase'),
    ("repo-keep-zero", '  repositories = {\n    api = {\n      keep_tagged_images = 0\n    }\n  }', "repositories.api", "must be 1 to 10000"),
    ("timeout-bad", '  timeouts {\n    create = "later"\n  }', "timeouts.create", "unknown unit"),
]


def test_registry_bad_inputs(core: Core, emulator: EmulatorClient, workdir: Path, subtests) -> None:
    write_config(workdir, registry_config(emulator))
    core.init(workdir)
    emulator.reset_calls()
    header = 'resource "ode_registry"'
    for case, body, attribute, message in BAD_INPUTS:
        with subtests.test(case=case):
            hcl = registry_config(emulator, body)
            write_config(workdir, hcl)
            if attribute.startswith("repositories."):
                lines = hcl.splitlines()
                start = next(i for i, text in enumerate(lines) if text.strip().startswith("repositories "))
                line = next(i + 1 for i in range(start, len(lines)) if lines[i].strip().startswith(attribute.split(".")[1]))
            else:
                line = attribute_line(hcl, header, attribute)
            assert_error_at(error_diagnostics(core, workdir), message, "main.tf", line, case=case)
    for case, hcl, attribute, message in (
        ("name-upper", registry_config(emulator, name="ODE"), "name", "repository names are lowercase"),
        (
            "principal-not-arn",
            registry_config(emulator).replace(f'["{NODE_ROLE}"]', '["node-role"]'),
            "pull_principal_arns",
            "is not a valid iam ARN",
        ),
    ):
        with subtests.test(case=case):
            write_config(workdir, hcl)
            assert_error_at(error_diagnostics(core, workdir), message, "main.tf", attribute_line(hcl, header, attribute), case=case)
    writes = [a for s, a in emulator.call_names() if s == "ecr" and not a.startswith(("Describe", "List", "Get"))]
    assert not writes, writes
