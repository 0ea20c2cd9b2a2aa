"""The demo's core: `make demo` runs a supported `tofu` or `terraform` it finds on PATH
and builds the pinned OpenTofu only when there is none (scripts/install-tools.sh,
`--demo-core` to ask which, `demo-core` to install it).

Scenarios, each on a PATH made for it (the tool's few system commands, no `go`, so
that any attempt to build would fail):

* ``demo_core_falls_back``: an old `tofu` and an old `terraform` on PATH are refused,
  each named with its version; the pinned OpenTofu is chosen, and installing the
  demo's core finds it present and builds nothing. With the pinned one missing, it
  would have to be built: without Go that fails, saying what to install instead.
* ``demo_core_from_path``: the pinned binaries on PATH as `tofu` and `terraform`: tofu
  is chosen at its PATH location, and installing the demo's core creates no tool at
  all; the core recorded by a demo that exists wins while it is there; without tofu,
  terraform 1.5.7 is chosen.
* ``demo_core_forced``: ODE_DEMO_CORE wins over PATH: `pinned`, the pinned Terraform
  1.5.7, or an unsupported binary, which is refused (exit 1, no fallback). The version
  limits: OpenTofu 1.6.0 and Terraform 1.5.0 pass, OpenTofu 1.5.7 and Terraform 1.4.7
  do not, nor does a binary that reports no version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.core import CORE_BINARIES

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
INSTALL_TOOLS = REPO / "scripts" / "install-tools.sh"
PINNED_TOFU = CORE_BINARIES["tofu"]
PINNED_TERRAFORM = CORE_BINARIES["terraform"]
# The system commands install-tools.sh runs on these paths.
SYSTEM_COMMANDS = ("dirname", "mkdir", "mktemp", "rm", "flock", "timeout", "head")


def pinned(binary: Path) -> Path:
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is not installed: run `make tools` (scripts/install-tools.sh)", pytrace=False)
    return binary


def fake_core(folder: Path, name: str, first_line: str) -> Path:
    """An executable ``folder/name`` whose `version` prints ``first_line`` like a core."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'#!/bin/sh\necho "{first_line}"\necho "on linux_amd64"\n')
    path.chmod(0o755)
    return path


def system_bin(tmp_path: Path) -> Path:
    """The commands the script needs, and stand-ins for the two it only looks for
    (python3 and cargo), which fail if run: nothing here may build."""
    folder = tmp_path / "system-bin"
    folder.mkdir()
    for name in SYSTEM_COMMANDS:
        found = shutil.which(name)
        assert found, f"{name} is not on PATH"
        (folder / name).symlink_to(found)
    for name in ("python3", "cargo"):
        fake = folder / name
        fake.write_text(f"#!/bin/sh\necho '{name} must not be run here' >&2\nexit 99\n")
        fake.chmod(0o755)
    return folder


def run(*args: str, path: list[Path], cache: Path, forced: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "ODE_"))}
    env.update(PATH=os.pathsep.join(map(str, path)), ODE_CACHE=str(cache), HOME=str(cache))
    if forced is not None:
        env["ODE_DEMO_CORE"] = forced
    bash = shutil.which("bash")
    assert bash
    return subprocess.run([bash, str(INSTALL_TOOLS), *args], env=env, capture_output=True, text=True, timeout=120)


def chosen(result: subprocess.CompletedProcess[str]) -> tuple[str, str, str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    path, name, version = lines[0].split("\t")
    return path, name, version


def test_demo_core_falls_back(tmp_path: Path) -> None:
    fakes = tmp_path / "old-cores"
    old_tofu = fake_core(fakes, "tofu", "OpenTofu v1.5.7")
    old_terraform = fake_core(fakes, "terraform", "Terraform v1.4.7")
    system = system_bin(tmp_path)
    cache = tmp_path / "cache"
    cached = cache / "tools" / "tofu-1.12.6" / "tofu"
    cached.parent.mkdir(parents=True)
    cached.symlink_to(pinned(PINNED_TOFU))

    which = run("--demo-core", path=[fakes, system], cache=cache)
    assert chosen(which) == (str(cached), "OpenTofu", "1.12.6")
    assert f"not using {old_tofu}: OpenTofu 1.5.7 is too old" in which.stderr, which.stderr
    assert f"not using {old_terraform}: Terraform 1.4.7 is too old" in which.stderr, which.stderr
    assert "no supported tofu or terraform on PATH" in which.stderr, which.stderr

    installed = run("demo-core", path=[fakes, system], cache=cache)
    assert installed.returncode == 0, installed.stderr
    assert f"tofu 1.12.6: present ({cached})" in installed.stderr, installed.stderr
    assert cached.is_symlink() and cached.resolve() == PINNED_TOFU.resolve()
    assert sorted(p.name for p in (cache / "tools").iterdir()) == [".demo-core.lock", ".tofu.lock", "tofu-1.12.6"]

    # Without the pinned binary it would have to be built, which needs Go.
    cached.unlink()
    missing = run("demo-core", path=[fakes, system], cache=cache)
    assert missing.returncode == 1, missing.stderr
    assert "'go' is not on PATH: install it, or put OpenTofu >= 1.6 or Terraform >= 1.5 on PATH" in missing.stderr
    assert not cached.exists()


def test_demo_core_from_path(tmp_path: Path) -> None:
    on_path = tmp_path / "cores"
    on_path.mkdir()
    (on_path / "tofu").symlink_to(pinned(PINNED_TOFU))
    (on_path / "terraform").symlink_to(pinned(PINNED_TERRAFORM))
    system = system_bin(tmp_path)
    cache = tmp_path / "cache"

    # Both are supported: tofu comes first.
    which = run("--demo-core", path=[on_path, system], cache=cache)
    assert chosen(which) == (str(on_path / "tofu"), "OpenTofu", "1.12.6")
    assert f"OpenTofu 1.12.6 at {on_path / 'tofu'} (found on PATH)" in which.stderr, which.stderr

    installed = run("demo-core", path=[on_path, system], cache=cache)
    assert installed.returncode == 0, installed.stderr
    assert "(found on PATH)" in installed.stderr and "building" not in installed.stderr, installed.stderr
    assert not (cache / "tools" / "tofu-1.12.6").exists(), "nothing is installed when PATH has a core"

    # While a demo exists, the core that made its state is kept (a core refuses state a
    # newer one wrote), unless it is gone.
    record = cache / "demo" / "core"
    record.parent.mkdir(parents=True)
    record.write_text(f"{on_path / 'terraform'}\n")
    which = run("--demo-core", path=[on_path, system], cache=cache)
    assert chosen(which) == (str(on_path / "terraform"), "Terraform", "1.5.7")
    assert "it made the demo's state" in which.stderr, which.stderr
    record.write_text(f"{tmp_path / 'removed' / 'tofu'}\n")
    which = run("--demo-core", path=[on_path, system], cache=cache)
    assert chosen(which)[0] == str(on_path / "tofu")
    assert f"{tmp_path / 'removed' / 'tofu'} made the demo's state but is gone" in which.stderr, which.stderr
    record.unlink()

    # Terraform >= 1.5 alone is taken as well.
    (on_path / "tofu").unlink()
    which = run("--demo-core", path=[on_path, system], cache=cache)
    assert chosen(which) == (str(on_path / "terraform"), "Terraform", "1.5.7")


def test_demo_core_forced(tmp_path: Path) -> None:
    on_path = tmp_path / "cores"
    on_path.mkdir()
    (on_path / "tofu").symlink_to(pinned(PINNED_TOFU))
    system = system_bin(tmp_path)
    cache = tmp_path / "cache"
    paths = [on_path, system]

    assert chosen(run("--demo-core", path=paths, cache=cache, forced="pinned")) == (
        str(cache / "tools" / "tofu-1.12.6" / "tofu"),
        "OpenTofu",
        "1.12.6",
    )
    terraform = pinned(PINNED_TERRAFORM)
    assert chosen(run("--demo-core", path=paths, cache=cache, forced=str(terraform))) == (
        str(terraform),
        "Terraform",
        "1.5.7",
    )
    # A command name is looked up on PATH.
    assert chosen(run("--demo-core", path=paths, cache=cache, forced="tofu"))[0] == str(on_path / "tofu")

    fakes = tmp_path / "fakes"
    for version_line, accepted in (
        ("OpenTofu v1.6.0", True),
        ("Terraform v1.5.0", True),
        ("OpenTofu v1.5.7", False),
        ("Terraform v1.4.7", False),
        ("Something else 2.0", False),
    ):
        fake = fake_core(fakes / version_line.replace(" ", "-"), "core", version_line)
        result = run("--demo-core", path=paths, cache=cache, forced=str(fake))
        if accepted:
            name, version = version_line.replace(" v", " ").split(" ")
            assert chosen(result) == (str(fake), name, version)
            continue
        # Refused, and never replaced by the supported tofu on PATH.
        assert result.returncode == 1 and result.stdout == "", result
        assert f"error: ODE_DEMO_CORE={fake}: " in result.stderr, result.stderr
        reason = "too old" if version_line[0] in "OT" else "does not report an OpenTofu or Terraform version"
        assert reason in result.stderr, result.stderr

    gone = run("--demo-core", path=paths, cache=cache, forced=str(tmp_path / "nothing"))
    assert gone.returncode == 1 and "is not an executable file or a command on PATH" in gone.stderr, gone.stderr
