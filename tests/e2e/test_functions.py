"""Provider functions through a real core (OpenTofu; Terraform >= 1.8 has them too)."""

from __future__ import annotations

import pytest

from tests.support.core import Core, write_config
from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block

pytestmark = pytest.mark.e2e


def needs_functions(core: Core) -> None:
    if core.name == "terraform":
        pytest.skip("Terraform 1.5 has no provider functions (they arrived in 1.8)")


def test_subnet_layout_function(core: Core, emulator: EmulatorClient, workdir) -> None:
    needs_functions(core)
    write_config(
        workdir,
        provider_block(emulator)
        + """
output "layout" {
  value = provider::ode::subnet_layout("10.0.0.0/16", ["us-east-1a", "us-east-1c"])
}
""",
    )
    core.init(workdir)
    core.apply(workdir)
    layout = core.output_json(workdir)["layout"]
    assert layout == {
        "public": {"us-east-1a": "10.0.0.0/21", "us-east-1c": "10.0.16.0/21"},
        "isolated": {"us-east-1a": "10.0.64.0/21", "us-east-1c": "10.0.80.0/21"},
        "private": {"us-east-1a": "10.0.128.0/20", "us-east-1c": "10.0.160.0/20"},
    }


def test_subnet_layout_function_errors_name_the_argument(core: Core, emulator: EmulatorClient, workdir) -> None:
    needs_functions(core)
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
