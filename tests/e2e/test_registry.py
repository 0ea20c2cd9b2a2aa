"""Consumption through the registry protocols, the way users get releases.

A registry (tests/support/registry.py) serves, over HTTPS with a test CA, provider
releases packaged and signed by scripts/release.sh, and module versions made from
modules/. The cores install the provider by its registry address and a version
constraint, verify the signature, write the lock file, and fetch modules by version.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.core import Core, Result, write_config
from tests.support.emulator import EmulatorClient
from tests.support.helpers import ENDPOINT_SERVICES, assert_emulator_empty
from tests.support.registry import ProviderRelease, RegistryServer

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
RELEASE = REPO_ROOT / "scripts" / "release.sh"
VERSION = "0.1.0"
# Every platform release.yml builds; only linux_amd64 can be built here, the others
# carry a stand-in binary (their hashes are what the lock file test needs).
PLATFORMS = [("darwin", "amd64"), ("darwin", "arm64"), ("linux", "amd64"), ("linux", "arm64"), ("windows", "amd64")]


def release(out: Path, binaries: dict[tuple[str, str], Path], gnupg: Path, version: str = VERSION) -> ProviderRelease:
    """Package ``binaries`` as release ``version`` in ``out`` with scripts/release.sh,
    signed with the development key it makes in the keyring ``gnupg``."""
    env = {**os.environ, "ODE_DEV_GNUPGHOME": str(gnupg)}
    env.pop("ODE_GPG_KEY_ID", None)
    for (os_name, arch), binary in binaries.items():
        run([str(RELEASE), "package", "--version", version, "--os", os_name, "--arch", arch,
             "--binary", str(binary), "--out", str(out)], env)
    run([str(RELEASE), "finish", "--version", version, "--out", str(out)], env)
    key_file = next(out.glob(f"terraform-provider-ode_{version}_signing_key.asc"))
    key_id = (out / f"terraform-provider-ode_{version}_signing_key.id").read_text().strip()
    return ProviderRelease(version, out, key_id, key_file.read_text())


def run(argv: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"$ {' '.join(argv)}\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, provider_bin: Path) -> Iterator[RegistryServer]:
    root = tmp_path_factory.mktemp("registry")
    stand_in = root / "stand-in"
    stand_in.write_bytes(b"#!/bin/sh\necho not built on this machine\n")
    binaries = {p: (provider_bin if p == ("linux", "amd64") else stand_in) for p in PLATFORMS}
    gnupg = root / "gnupg"
    gnupg.mkdir(mode=0o700)
    with RegistryServer(root / "server") as server:
        server.registry.providers[VERSION] = release(root / "release", binaries, gnupg)
        for name in ("network", "state-backend", "eks-stack", "data-tier", "registry"):
            server.registry.add_module(REPO_ROOT / "modules" / name, name, "aws", "0.1.0", root / "modules")
        # The umbrella calls its siblings (../network, ...): it ships with them.
        server.registry.add_module(REPO_ROOT / "modules", "platform", "aws", "0.1.0", root / "modules", subdir="platform")
        server.release_root = root  # type: ignore[attr-defined]
        server.gnupg = gnupg  # type: ignore[attr-defined]
        yield server


def required_providers(host: str) -> str:
    return f"""terraform {{
  required_providers {{
    ode = {{
      source  = "{host}/ode/ode"
      version = "~> 0.1"
    }}
  }}
}}
"""


def lock_hashes(workdir: Path, host: str) -> list[str]:
    text = (workdir / ".terraform.lock.hcl").read_text()
    block = re.search(rf'provider "{re.escape(host)}/ode/ode" \{{(.*?)\n\}}', text, re.S)
    assert block, text
    return re.findall(r'"((?:h1|zh):[^"]+)"', block.group(1))


def h1_of_zip(path: Path) -> str:
    """The lock file's h1: hash of a provider package: the dirhash of its contents."""
    lines = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            lines.append(f"{hashlib.sha256(z.read(name)).hexdigest()}  {name}\n")
    return "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()


def init(core: Core, workdir: Path, server: RegistryServer, check: bool = True) -> Result:
    # Only the registry: the test mirror's CLI config must not take part.
    return core.run(workdir, "init", "-input=false", env={**server.environment(), "TF_CLI_CONFIG_FILE": os.devnull}, check=check)


def test_registry_provider_install(core: Core, emulator: EmulatorClient, registry: RegistryServer, workdir: Path) -> None:
    write_config(
        workdir,
        required_providers(registry.host)
        + f"""
provider "ode" {{
  region                      = "us-east-1"
  s3_use_path_style           = true
  endpoints {{
    s3       = "{emulator.url}"
    dynamodb = "{emulator.url}"
    sts      = "{emulator.url}"
  }}
}}

resource "ode_state_backend" "this" {{
  bucket     = "ode-registry-e2e"
  lock_table = "ode-registry-e2e"
}}
""",
    )
    result = init(core, workdir, registry)
    # Terraform calls a key it does not know "self-signed"; OpenTofu just "signed".
    assert re.search(r"Installed 127\.0\.0\.1:\d+/ode/ode v0\.1\.0 \((?:self-)?signed", result.output), result.describe()
    release_ = registry.registry.providers[VERSION]
    hashes = lock_hashes(workdir, registry.host)
    package = release_.zips()[("linux", "amd64")]
    assert h1_of_zip(package) in hashes, hashes
    assert f"zh:{hashlib.sha256(package.read_bytes()).hexdigest()}" in hashes, hashes
    # The installed provider works: apply, an empty plan, destroy.
    env = {**registry.environment(), "TF_CLI_CONFIG_FILE": os.devnull}
    core.run(workdir, "apply", "-input=false", "-auto-approve", env=env)
    assert core.run(workdir, "plan", "-input=false", "-detailed-exitcode", env=env).returncode == 0
    core.run(workdir, "destroy", "-input=false", "-auto-approve", env=env)
    assert_emulator_empty(emulator)


def test_lockfile_multi_platform(core: Core, registry: RegistryServer, workdir: Path) -> None:
    """The signed checksums cover every released platform, and init records them all."""
    write_config(workdir, required_providers(registry.host))
    init(core, workdir, registry)
    hashes = lock_hashes(workdir, registry.host)
    release_ = registry.registry.providers[VERSION]
    for platform, package in release_.zips().items():
        assert f"zh:{hashlib.sha256(package.read_bytes()).hexdigest()}" in hashes, (platform, hashes)
    assert len(release_.zips()) == len(PLATFORMS)


def tampered_copy(registry: RegistryServer, name: str) -> ProviderRelease:
    """A copy of the release, for breaking one of its files."""
    original = registry.registry.providers[VERSION]
    directory = registry.release_root / name  # type: ignore[attr-defined]
    if directory.exists():
        shutil.rmtree(directory)
    shutil.copytree(original.directory, directory)
    return ProviderRelease(VERSION, directory, original.key_id, original.public_key)


def init_from(core: Core, registry: RegistryServer, broken: ProviderRelease, workdir: Path) -> Result:
    """``init`` in ``workdir`` while the registry serves ``broken`` as the release."""
    good = registry.registry.providers[VERSION]
    registry.registry.providers[VERSION] = broken
    try:
        write_config(workdir, required_providers(registry.host))
        return init(core, workdir, registry, check=False)
    finally:
        registry.registry.providers[VERSION] = good


def test_registry_rejects_a_tampered_package(core: Core, registry: RegistryServer, workdir: Path) -> None:
    broken = tampered_copy(registry, f"tampered-zip-{core.name}")
    package = broken.zips()[("linux", "amd64")]
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0xFF
    package.write_bytes(bytes(data))
    result = init_from(core, registry, broken, workdir)
    assert result.returncode != 0, result.describe()
    assert re.search(r"checksum|hash", result.output, re.I), result.describe()
    assert not (workdir / ".terraform" / "providers").exists() or not any(
        (workdir / ".terraform" / "providers").rglob("terraform-provider-ode_v*")
    ), "a tampered package was installed"


def test_registry_rejects_a_wrong_signature(core: Core, registry: RegistryServer, workdir: Path) -> None:
    broken = tampered_copy(registry, f"wrong-signature-{core.name}")
    other_home = registry.release_root / f"other-gnupg-{core.name}"  # type: ignore[attr-defined]
    if other_home.exists():
        shutil.rmtree(other_home)
    other_home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(other_home)}
    run(["gpg", "--batch", "--passphrase", "", "--quick-generate-key", "Someone Else <else@example.com>", "rsa3072", "sign", "never"], env)
    sums = broken.shasums
    run(["gpg", "--batch", "--yes", "--detach-sign", "-o", f"{sums}.sig", str(sums)], env)
    result = init_from(core, registry, broken, workdir)
    assert result.returncode != 0, result.describe()
    assert re.search(r"signature|signing key|authentication", result.output, re.I), result.describe()


def test_registry_modules(core: Core, emulator: EmulatorClient, registry: RegistryServer, workdir: Path, cli_config: Path) -> None:
    """A root module consumes the modules by registry address and version constraint
    (the state backend, and the whole platform as `<host>/ode/platform/aws`), with the
    provider from the test mirror, and applies on the emulator."""
    endpoints = "\n".join(f'    {service} = "{emulator.url}"' for service in ENDPOINT_SERVICES)
    write_config(
        workdir,
        f"""terraform {{
  required_providers {{
    ode = {{ source = "registry.terraform.io/ode/ode", version = "~> 0.1" }}
  }}
}}

provider "ode" {{
  region            = "us-east-1"
  s3_use_path_style = true
  endpoints {{
{endpoints}
  }}
}}

module "state_backend" {{
  source          = "{registry.host}/ode/state-backend/aws"
  version         = "~> 0.1"
  project         = "ode"
  environment     = "registry"
  bucket_name     = "ode-registry-modules-state"
  lock_table_name = "ode-registry-modules-locks"
}}

module "platform" {{
  source              = "{registry.host}/ode/platform/aws"
  version             = "~> 0.1"
  project             = "ode"
  environment         = "registry"
  az_count            = 2
  deletion_protection = false
  force_destroy       = true
}}

output "cluster_name" {{
  value = module.platform.cluster_name
}}
""",
    )
    env = registry.environment()
    result = core.run(workdir, "init", "-input=false", env=env)
    assert re.search(rf"Downloading {re.escape(registry.host)}/ode/platform/aws 0\.1\.0", result.output), result.describe()
    core.run(workdir, "apply", "-input=false", "-auto-approve", env=env)
    assert core.output_json(workdir)["cluster_name"] == "ode-registry-cluster"
    assert emulator.client("rds").describe_db_instances()["DBInstances"], "the platform's database is missing"
    assert core.run(workdir, "plan", "-input=false", "-detailed-exitcode", env=env).returncode == 0
    core.run(workdir, "destroy", "-input=false", "-auto-approve", env=env)
    assert_emulator_empty(emulator)