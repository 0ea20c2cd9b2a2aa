"""Installing before the registry release: `make install`'s script puts the built
provider where the cores look without any configuration, and `init` of a
configuration that requires ode/ode ~> 0.1 then finds it (both cores, a fresh HOME)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.core import Core, write_config

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CONFIG = """
terraform {
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

provider "ode" {
  region                      = "us-east-1"
  skip_credentials_validation = true
}

resource "ode_network" "this" {
  name = "installed"
}
"""


def test_install_then_init_finds_the_provider(core: Core, provider_bin: Path, tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "TOFU_"))}
    installed = subprocess.run(
        ["bash", str(REPO / "scripts" / "install-provider.sh"), str(provider_bin)],
        env={**env, "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    binary = next((home / ".terraform.d" / "plugins").glob("registry.terraform.io/ode/ode/0.1.0/*/terraform-provider-ode_v0.1.0"))
    assert os.access(binary, os.X_OK), binary

    write_config(work, CONFIG)
    # No CLI config at all: the core searches its implied local mirror in HOME.
    no_cli_config = {"HOME": str(home), "TF_CLI_CONFIG_FILE": ""}
    init = core.run(work, "init", "-input=false", env=no_cli_config, check=False)
    assert init.returncode == 0, init.describe()
    lock = (work / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/ode/ode"' in lock and 'version     = "0.1.0"' in lock, lock
    # The installed binary serves its schema: the configuration validates.
    valid = core.run(work, "validate", env=no_cli_config, check=False)
    assert valid.returncode == 0 and "The configuration is valid" in valid.stdout, valid.describe()


def test_install_refuses_a_missing_binary(tmp_path: Path) -> None:
    r = subprocess.run(
        ["bash", str(REPO / "scripts" / "install-provider.sh"), str(tmp_path / "nothing")],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1 and "not an executable" in r.stderr, r.stderr
    assert not (tmp_path / ".terraform.d").exists()
