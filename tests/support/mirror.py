"""Install the provider binary for the cores through an unpacked filesystem mirror."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PROVIDER_SOURCE = "registry.terraform.io/ode/ode"
PROVIDER_VERSION = "0.1.0"
PLATFORM = "linux_amd64"


def provider_binary() -> Path:
    """Where the provider binary under test is: $ODE_PROVIDER_BIN, else cargo's debug build."""
    explicit = os.environ.get("ODE_PROVIDER_BIN")
    if explicit:
        return Path(explicit)
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache/ode/target")
    return Path(target) / "debug" / "terraform-provider-ode"


def build_mirror(binary: Path, root: Path, version: str = PROVIDER_VERSION) -> Path:
    """Lay out a mirror holding ``binary`` under ``root`` and return its CLI config file.

    The config makes the cores take registry.terraform.io/ode/* from the mirror only;
    it sets no plugin_cache_dir, so every init installs from the mirror afresh.
    """
    mirror = root / "mirror"
    package = mirror / PROVIDER_SOURCE / version / PLATFORM
    package.mkdir(parents=True, exist_ok=True)
    installed = package / f"terraform-provider-ode_v{version}"
    installed.unlink(missing_ok=True)
    try:
        os.link(binary, installed)
    except OSError:  # another file system, or links not allowed
        shutil.copy2(binary, installed)
    installed.chmod(0o755)

    config = root / "cli.tfrc"
    config.write_text(
        f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/ode/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/ode/*"]
  }}
}}
"""
    )
    return config
