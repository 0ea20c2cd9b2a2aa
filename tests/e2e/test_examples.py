"""Examples are tested like code: every example and documentation snippet is planned
against the emulator with each core.

``test_example`` takes each item of :func:`tests.support.examples.collect` (example
roots under examples/ and modules/*/examples/, and the ```hcl / ```terraform snippets of
README.md, ARCHITECTURE.md, docs/, modules/ and examples/ pages that are
configurations), copies it into a scratch tree that mirrors the repository, points the
provider at the emulator with an override file, and runs ``init`` and ``plan``. When
the plan creates nothing but cheap resources (state backends) or nothing at all, it is
applied, a second plan must be empty, documented output values (a ``# name = {...}``
comment after the example) must match, and everything is destroyed again.

Provider functions need OpenTofu >= 1.7 or Terraform >= 1.8: on an older core the
test asserts that the core refuses the configuration with its own error.

Test ids are the example's folder (``examples/resources/ode_network``) or the page and
the snippet's 1-based index among that page's HCL fences (``README.md#2``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.modules.layout import core_version
from tests.support.core import Core, CoreError, Result
from tests.support.emulator import EmulatorClient
from tests.support.examples import (
    OVERRIDE_FILE,
    PROBE_FILE,
    PROVIDER_FILE,
    Example,
    collect,
    documented_outputs,
    hcl_fences,
    is_configuration,
    point_at_emulator,
)
from tests.support.helpers import assert_emulator_empty

pytestmark = pytest.mark.e2e

EXAMPLES = collect()

# Resource types cheap enough to apply on every run against the emulator (each
# example's apply, second plan and destroy take a second or two). An example that plans
# any other type is planned only.
CHEAP_TYPES = frozenset({"ode_state_backend", "ode_network"})
PLAN_FILE = "tfplan"


def example_params() -> list:
    """Every configuration; fragments (a tfvars file, a lone provider block) cannot be
    planned on their own and are parsed by test_fragments_parse instead."""
    return [pytest.param(example, id=example.id) for example in EXAMPLES if not example.fragment]


def test_fragments_parse() -> None:
    """Fenced HCL that is not a whole configuration is still valid HCL."""
    import hcl2

    fragments = [example for example in EXAMPLES if example.fragment]
    for example in fragments:
        try:
            hcl2.loads(example.snippet)
        except Exception as e:  # the parser raises several kinds
            pytest.fail(f"{example.id} is not valid HCL: {e}", pytrace=False)
    with pytest.raises(Exception):
        hcl2.loads('aws_region = "us-east-1\n')  # the check itself can fail


def fail(example: Example, step: str, result: Result) -> None:
    pytest.fail(f"{example.id}: {step} failed\n{result.describe()}", pytrace=False)


def run(example: Example, step: str, call, *args, **kwargs) -> Result:
    """``call(*args, **kwargs)``; a CoreError fails the test naming the example."""
    try:
        return call(*args, **kwargs)
    except CoreError as error:
        result = error.result
    # Outside the except clause, so that the report is not doubled by exception chaining.
    fail(example, step, result)
    raise AssertionError("not reached")


def planned_types(core: Core, workdir: Path) -> set[str]:
    """The resource types the saved plan creates, updates or deletes."""
    plan = json.loads(core.run(workdir, "show", "-json", PLAN_FILE).stdout)
    return {
        change["type"]
        for change in plan.get("resource_changes", [])
        if change["change"]["actions"] != ["no-op"]
    }


def assert_rejects_provider_functions(core: Core, workdir: Path, example: Example, reason: str) -> None:
    """The core refuses the configuration itself (a parse error at init or validate)."""
    result = core.run(workdir, "init", "-input=false", check=False)
    if result.returncode == 0:
        result = core.validate(workdir, check=False)
    assert result.returncode != 0, (
        f"{example.id}: {reason}, yet {core.name} accepted it:\n{result.describe()}"
    )
    assert "Error:" in result.output and "provider::ode::" in result.output, (
        f"{example.id}: expected {core.name}'s own error about the provider function call:\n"
        f"{result.describe()}"
    )


@pytest.mark.parametrize("example", example_params())
def test_example(core: Core, emulator: EmulatorClient, example: Example, tmp_path: Path) -> None:
    workdir = example.prepare(tmp_path, emulator.url)

    reason = example.unsupported_by(core.name, core_version(core.binary))
    if reason:
        assert_rejects_provider_functions(core, workdir, example, reason)
        return

    run(example, "init", core.init, workdir)
    plan = run(example, "plan", core.plan, workdir, f"-out={PLAN_FILE}")
    assert plan.returncode in (0, 2), plan.describe()
    types = planned_types(core, workdir)
    if not types <= CHEAP_TYPES:
        # Planned only: nothing was created.
        assert_emulator_empty(emulator)
        return

    run(example, "apply", core.apply, workdir, PLAN_FILE)
    outputs = core.output_json(workdir)
    for name, documented in documented_outputs(example.sources()).items():
        assert name in outputs, f"{example.id} documents output {name!r}, which it does not have: {outputs}"
        assert outputs[name] == documented, (
            f"{example.id}: output {name!r} is not what its comment says\n"
            f"documented: {documented}\napplied:    {outputs[name]}"
        )
    second = run(example, "second plan", core.plan, workdir)
    if second.returncode != 0:
        fail(example, "second plan (expected no changes)", second)
    run(example, "destroy", core.destroy, workdir)
    assert_emulator_empty(emulator)


# -- the harness itself -----------------------------------------------------------------------

# The network example as it was when it validated but did not plan: a /19 private tier
# does not fit the layout of a /16 VPC.
ISSUE_SNIPPET = """resource "ode_network" "this" {
  name         = "ode-production"
  cidr_block   = "10.0.0.0/16"
  az_count     = 3
  nat_gateways = "one_per_az"

  private {
    prefix_length = 19
  }
}
"""


def test_example_that_does_not_plan_fails(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    """A snippet that validates but does not plan is caught, with the core's output."""
    page = Path("docs/resources/broken.md")
    example = Example(id=f"{page}#1", path=page, snippet=ISSUE_SNIPPET, page_index=1)
    workdir = example.prepare(tmp_path, emulator.url)
    core.init(workdir)
    core.validate(workdir)
    result = core.plan(workdir, check=False)
    assert result.returncode == 1, result.describe()
    assert "Subnets do not fit" in result.output, result.describe()


def test_examples_collected() -> None:
    ids = [example.id for example in EXAMPLES]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    for expected in (
        "examples/provider",
        "examples/resources/ode_network",
        "examples/resources/ode_state_backend",
        "examples/resources/ode_data_tier",
        "examples/resources/ode_eks_stack",
        "examples/resources/ode_registry",
        "examples/functions/subnet_layout",
        "examples/state-backend",
        "examples/local/1-bootstrap",
        "examples/local/2-network",
        "examples/production/1-bootstrap",
        "examples/production/2-platform",
        "modules/network/examples/basic",
        "README.md#1",
        "README.md#2",
        "docs/resources/network.md#1",
    ):
        assert expected in ids, f"{expected} not collected: {ids}"


def test_snippet_classification() -> None:
    page = """Intro.

```hcl
resource "ode_network" "this" {
  name = "x"
}
```

```sh
terraform apply
```

1. A step:

   ```terraform
   module "network" {
     source = "./modules/network"
   }
   ```

```hcl
provider "ode" {
  region = "us-east-1"
}
```

```hcl
terraform {
  required_providers {
    ode = { source = "registry.terraform.io/ode/ode" }
  }
}
```
"""
    fences = hcl_fences(page)
    assert len(fences) == 4, fences
    assert fences[1].startswith('module "network" {\n  source'), fences[1]
    assert [is_configuration(f) for f in fences] == [True, True, False, True]
    # Nested blocks and attributes are not top-level blocks.
    assert not is_configuration('provider "ode" {\n  default_tags {\n    tags = {}\n  }\n}\n')


def test_point_at_emulator(tmp_path: Path) -> None:
    with_provider = tmp_path / "with"
    with_provider.mkdir()
    (with_provider / "main.tf").write_text(
        'terraform {\n  backend "s3" {}\n}\n\nprovider "ode" {\n  region = "eu-west-1"\n}\n'
    )
    written = {p.name for p in point_at_emulator(with_provider, "http://127.0.0.1:1")}
    assert written == {OVERRIDE_FILE, PROBE_FILE}, written
    override = (with_provider / OVERRIDE_FILE).read_text()
    assert 'backend "local" {}' in override and 'ec2      = "http://127.0.0.1:1"' in override, override

    without = tmp_path / "without"
    without.mkdir()
    (without / "main.tf").write_text('resource "ode_state_backend" "this" {\n  bucket = "b"\n}\n')
    written = {p.name for p in point_at_emulator(without, "http://127.0.0.1:1")}
    assert written == {PROVIDER_FILE}, written
