"""Where the HCL lives, and helpers shared by the module checks and scenarios.

* :func:`hcl_dirs`: every directory the static checks cover, with its kind:

  - ``module``: a reusable module, ``modules/<name>``
  - ``root``: a root module, ``modules/<name>/examples/<x>``, ``examples/<x>`` or
    ``examples/<x>/<y>``
  - ``snippet``: a documentation fragment embedded into docs/ by scripts/gen_docs.py
    (``examples/provider``, ``examples/resources/<type>``, ``examples/data-sources/<type>``,
    ...): often without a ``terraform`` block, so they are checked in a copy with
    :data:`SNIPPET_PROVIDERS` added when they declare no required_providers.

* :func:`copy_hcl_tree`: ``modules/`` and ``examples/`` copied to a scratch directory,
  relative paths kept, so that ``source = "../../../modules/network"`` still resolves
  and nothing (.terraform, lock files, state) is written into the repository.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from tests.support.mirror import PROVIDER_SOURCE
from tests.support.tools import TOOLS

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = REPO_ROOT / "modules"
EXAMPLES = REPO_ROOT / "examples"

# Keep in step with scripts/install-hcl-tools.sh.
TFLINT_VERSION = "0.64.0"
TFLINT = TOOLS / f"tflint-{TFLINT_VERSION}" / "tflint"
TFLINT_CONFIG = REPO_ROOT / ".tflint.hcl"

# Folders of examples/ that hold documentation fragments, not root modules: the
# provider's own (examples/provider) and one per resource, data source, ...
SNIPPET_DIRS = ("provider",)
SNIPPET_PARENTS = ("resources", "data-sources", "functions", "ephemeral-resources")

# Added to a copy of a snippet so that a core knows where the provider comes from.
SNIPPET_PROVIDERS = f"""terraform {{
  required_version = ">= 1.5.0"
  required_providers {{
    ode = {{
      source  = "{PROVIDER_SOURCE}"
      version = ">= 0.1.0"
    }}
  }}
}}
"""
SNIPPET_PROVIDERS_FILE = "zz_snippet_providers.tf"

# Files and folders never copied: what a core or a local run leaves behind.
_IGNORED = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "terraform.tfvars")


# The oldest core versions that understand a kind of snippet, by examples/ folder.
SNIPPET_MIN_CORE = {
    # Provider-defined functions (provider::ode::...).
    "functions": {"tofu": (1, 7), "terraform": (1, 8)},
}


@dataclass(frozen=True)
class HclDir:
    path: Path  # relative to the repository root
    kind: str  # module, root or snippet

    @property
    def id(self) -> str:
        return str(self.path)

    def unsupported_by(self, core: str, version: tuple[int, ...]) -> str | None:
        """Why ``core`` at ``version`` cannot load this directory, or None when it can."""
        if self.kind != "snippet" or len(self.path.parts) < 2:
            return None
        minimum = SNIPPET_MIN_CORE.get(self.path.parts[1], {}).get(core)
        if minimum and version < minimum:
            wanted = ".".join(map(str, minimum))
            return f"{self.path.parts[1]} snippets need {core} >= {wanted}"
        return None


def core_version(binary: Path) -> tuple[int, ...]:
    """The version of a core installed by install-tools.sh, from its folder (tofu-1.12.6)."""
    return tuple(int(part) for part in binary.parent.name.rsplit("-", 1)[1].split("."))


def _has_tf(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.tf"))


def hcl_dirs() -> list[HclDir]:
    """Every module, module example, example root and snippet, sorted by path."""
    found: list[HclDir] = []
    for module in sorted(MODULES.iterdir()) if MODULES.is_dir() else []:
        if _has_tf(module):
            found.append(HclDir(module.relative_to(REPO_ROOT), "module"))
        for example in sorted((module / "examples").glob("*")):
            if _has_tf(example):
                found.append(HclDir(example.relative_to(REPO_ROOT), "root"))
    for first in sorted(EXAMPLES.iterdir()) if EXAMPLES.is_dir() else []:
        if _has_tf(first):
            kind = "snippet" if first.name in SNIPPET_DIRS else "root"
            found.append(HclDir(first.relative_to(REPO_ROOT), kind))
        for second in sorted(first.glob("*")) if first.is_dir() else []:
            if _has_tf(second):
                kind = "snippet" if first.name in SNIPPET_PARENTS else "root"
                found.append(HclDir(second.relative_to(REPO_ROOT), kind))
    return found


def module_dirs() -> list[Path]:
    """The reusable modules (absolute paths)."""
    return [REPO_ROOT / d.path for d in hcl_dirs() if d.kind == "module"]


def copy_hcl_tree(dest: Path) -> Path:
    """Copy modules/ and examples/ under ``dest`` (created) and return ``dest``.

    Snippet folders get :data:`SNIPPET_PROVIDERS` so that they can be initialised.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("modules", "examples"):
        if (REPO_ROOT / name).is_dir():
            shutil.copytree(REPO_ROOT / name, dest / name, ignore=_IGNORED, dirs_exist_ok=True)
    for hcl in hcl_dirs():
        folder = dest / hcl.path
        if hcl.kind == "snippet" and not any("required_providers" in f.read_text() for f in folder.glob("*.tf")):
            (folder / SNIPPET_PROVIDERS_FILE).write_text(SNIPPET_PROVIDERS)
    return dest


@lru_cache(maxsize=1)
def gen_module_docs() -> ModuleType:
    """scripts/gen_module_docs.py as a Python module (the README generator and HCL reader)."""
    path = REPO_ROOT / "scripts" / "gen_module_docs.py"
    spec = importlib.util.spec_from_file_location("gen_module_docs", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_module_docs", module)
    spec.loader.exec_module(module)
    return module
