"""Provider functions through a real core: OpenTofu runs them; Terraform 1.5 (the
oldest supported core) predates them and must refuse the configuration."""

from __future__ import annotations

import pytest

from tests.support.core import Core, write_config
from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block

pytestmark = pytest.mark.e2e


LAYOUT_OUTPUT = """
output "layout" {
  value = provider::ode::subnet_layout("10.0.0.0/16", ["us-east-1a", "us-east-1c"])
}
"""


@pytest.mark.cores("terraform")
def test_terraform_15_rejects_provider_functions(core: Core, emulator: EmulatorClient, workdir) -> None:
    """Provider functions arrived in Terraform 1.8: 1.5 refuses the syntax itself, at
    init, with an error on the call, before the provider is asked anything."""
    write_config(workdir, provider_block(emulator) + LAYOUT_OUTPUT)
    result = core.run(workdir, "init", "-input=false", check=False)
    if result.returncode == 0:
        result = core.validate(workdir, check=False)
    assert result.returncode != 0, result.describe()
    assert "provider::ode::subnet_layout" in result.output, result.describe()


@pytest.mark.cores("tofu")
def test_subnet_layout_function(core: Core, emulator: EmulatorClient, workdir) -> None:
    write_config(workdir, provider_block(emulator) + LAYOUT_OUTPUT)
    core.init(workdir)
    core.apply(workdir)
    layout = core.output_json(workdir)["layout"]
    assert layout == {
        "public": {"us-east-1a": "10.0.0.0/21", "us-east-1c": "10.0.16.0/21"},
        "isolated": {"us-east-1a": "10.0.64.0/21", "us-east-1c": "10.0.80.0/21"},
        "private": {"us-east-1a": "10.0.128.0/20", "us-east-1c": "10.0.160.0/20"},
    }


@pytest.mark.cores("tofu")
def test_subnet_layout_function_errors_name_the_argument(core: Core, emulator: EmulatorClient, workdir) -> None:
    write_config(
        workdir,
        provider_block(emulator)
        + """
output "layout" {
  value = provider::ode::subnet_layout("10.0.0.1/16", ["us-east-1a"])
}
""",
    )
    core.init(workdir)
    result = core.plan(workdir, ok_codes=(1,))
    assert "host bits set" in result.output, result.describe()
