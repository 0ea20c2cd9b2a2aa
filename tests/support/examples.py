"""The repository's examples and documentation snippets as configurations to run.

* :func:`collect`: every example root (``examples/*``, ``examples/*/*``,
  ``modules/*/examples/*``, as tests/modules/layout.py finds them) and every ```hcl /
  ```terraform fenced snippet of the documentation pages (:data:`DOC_PAGES`) that is a
  configuration, each with a stable id: the folder (``examples/provider``) or the page
  and the snippet's 1-based index among the page's HCL fences (``README.md#2``).
* :meth:`Example.prepare`: a copy of the example in a scratch tree that mirrors the
  repository (so that ``../../modules/network`` and ``./modules/network`` resolve),
  its ``terraform.tfvars.example`` as ``terraform.tfvars``, and an override file that
  points the ``ode`` provider at the emulator and swaps any backend for a local one.
  The example's own files are never edited.

A snippet is a configuration, and is run, when it holds a ``resource``, ``data``,
``module`` or ``output`` block or a ``terraform`` block (a complete root module); any
other fenced HCL (a lone ``provider`` or ``variable`` block, ...) is a fragment.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tests.modules.layout import (
    REPO_ROOT,
    SNIPPET_MIN_CORE,
    SNIPPET_PROVIDERS,
    SNIPPET_PROVIDERS_FILE,
    copy_hcl_tree,
    hcl_dirs,
)

from .helpers import ENDPOINT_SERVICES

# Pages whose ```hcl / ```terraform blocks are checked.
DOC_PAGE_GLOBS = ("README.md", "ARCHITECTURE.md", "docs/**/*.md", "modules/**/*.md", "examples/**/*.md")

# Info strings of the fences that hold HCL.
HCL_FENCES = ("hcl", "terraform", "tf")

# A fenced block, possibly indented (inside a list item); group 1 is the indent.
_FENCE = re.compile(r"^([ \t]*)```[ \t]*([\w+-]*)[^\n]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
# A top-level block: its type at the start of a line, then labels, then "{".
_TOP_BLOCK = re.compile(r'^([a-z_]+)(?:[ \t]+(?:"[^"\n]*"|[\w-]+))*[ \t]*\{', re.M)
# Top-level blocks that make a snippet a configuration rather than a fragment.
CONFIGURATION_BLOCKS = ("resource", "data", "module", "output", "terraform")

_PROVIDER_BLOCK = re.compile(r'^provider[ \t]+"ode"[ \t]*\{', re.M)
_BACKEND_BLOCK = re.compile(r'^[ \t]+backend[ \t]+"[\w-]+"[ \t]*\{', re.M)
_CLOUD_BLOCK = re.compile(r"^[ \t]+cloud[ \t]*\{", re.M)
_ALIAS = re.compile(r"^[ \t]+alias[ \t]*=", re.M)
_PROVIDER_FUNCTION = re.compile(r"\bprovider::ode::\w+")

OVERRIDE_FILE = "zz_emulator_override.tf"
PROVIDER_FILE = "zz_emulator_provider.tf"
PROBE_FILE = "zz_probe.tf"
SNIPPET_FILE = "snippet.tf"

# A resource added to a configuration that declares a provider block but nothing that
# uses it: cores never configure an unused provider, so without it the provider block
# (assume_role, default_tags, ...) would not be exercised at all.
PROBE = """resource "ode_state_backend" "probe" {
  bucket     = "ode-example-probe"
  lock_table = "ode-example-probe"
}
"""


def doc_pages() -> list[Path]:
    """The documentation pages, relative to the repository root, sorted."""
    found: set[Path] = set()
    for pattern in DOC_PAGE_GLOBS:
        found.update(p.relative_to(REPO_ROOT) for p in REPO_ROOT.glob(pattern) if p.is_file())
    return sorted(found)


def hcl_fences(text: str) -> list[str]:
    """The contents of the page's HCL fenced blocks, in order, dedented."""
    blocks = []
    for match in _FENCE.finditer(text):
        indent, info, body = match.group(1), match.group(2).lower(), match.group(3)
        if info not in HCL_FENCES:
            continue
        lines = [line[len(indent) :] if line.startswith(indent) else line for line in body.splitlines()]
        blocks.append("\n".join(lines).rstrip("\n") + "\n")
    return blocks


def top_level_blocks(hcl: str) -> list[str]:
    """The types of the top-level blocks of ``hcl`` (formatted HCL: they start a line)."""
    return _TOP_BLOCK.findall(hcl)


def is_configuration(hcl: str) -> bool:
    return any(kind in CONFIGURATION_BLOCKS for kind in top_level_blocks(hcl))


@dataclass(frozen=True)
class Example:
    """An example root (``snippet`` is None) or a documentation snippet."""

    id: str
    path: Path  # relative to the repository root: the folder, or the page
    snippet: str | None = None
    page_index: int = 0  # 1-based among the page's HCL fences
    fragment: bool = False

    @property
    def is_snippet(self) -> bool:
        return self.snippet is not None

    def sources(self) -> str:
        """All of the example's HCL, for static checks."""
        if self.snippet is not None:
            return self.snippet
        return "\n".join(p.read_text() for p in sorted((REPO_ROOT / self.path).glob("*.tf")))

    def uses_provider_functions(self) -> bool:
        return bool(_PROVIDER_FUNCTION.search(self.sources()))

    def unsupported_by(self, core: str, version: tuple[int, ...]) -> str | None:
        """Why ``core`` at ``version`` cannot load this example (None: it can)."""
        if self.uses_provider_functions():
            minimum = SNIPPET_MIN_CORE["functions"].get(core)
            if minimum and version < minimum:
                return f"provider functions need {core} >= {'.'.join(map(str, minimum))}"
        return None

    # -- preparing a copy ------------------------------------------------------------

    def prepare(self, scratch: Path, endpoint_url: str) -> Path:
        """Copy the example under ``scratch`` ready to run against ``endpoint_url``.

        Returns the working directory (the example's folder in the copied tree).
        """
        tree = copy_hcl_tree(scratch / "repo")
        if self.snippet is None:
            workdir = tree / self.path
            tfvars = workdir / "terraform.tfvars.example"
            if tfvars.is_file():
                shutil.copy(tfvars, workdir / "terraform.tfvars")
        else:
            workdir = self._snippet_dir(tree)
            workdir.mkdir(parents=True, exist_ok=True)
            (workdir / SNIPPET_FILE).write_text(self.snippet)
            if "required_providers" not in self.snippet:
                (workdir / SNIPPET_PROVIDERS_FILE).write_text(SNIPPET_PROVIDERS)
        point_at_emulator(workdir, endpoint_url)
        return workdir

    def _snippet_dir(self, tree: Path) -> Path:
        """Where a snippet runs: its page's folder, so relative paths resolve as a reader
        reads them; a sibling at the same depth when that folder holds HCL of its own
        (modules/network/README.md runs in modules/network.snippet-1)."""
        folder = self.path.parent
        here = tree / folder
        if folder == Path(".") or not any(here.glob("*.tf")):
            return here
        return here.with_name(f"{folder.name}.snippet-{self.page_index}")


def provider_settings(endpoint_url: str) -> str:
    """The body of a provider "ode" block that sends every call to ``endpoint_url``."""
    endpoints = "\n".join(f'    {service:<8} = "{endpoint_url}"' for service in ENDPOINT_SERVICES)
    return f"""  s3_use_path_style           = true
  skip_credentials_validation = false
  endpoints {{
{endpoints}
  }}
"""


def point_at_emulator(workdir: Path, endpoint_url: str) -> list[Path]:
    """Add the files that make the configuration in ``workdir`` use the emulator.

    * a ``provider "ode"`` block of the configuration is overridden (``*_override.tf``)
      with the emulator's endpoints and path-style S3; its other arguments and blocks
      (region, assume_role, default_tags) stay;
    * without one, a provider block is added;
    * a ``backend`` block is overridden by ``backend "local" {}``;
    * a configuration with a provider block but no resource, data source or module
      gets :data:`PROBE`.

    Returns the files written.
    """
    texts = [p.read_text() for p in sorted(workdir.glob("*.tf")) if not p.name.endswith("_override.tf")]
    text = "\n".join(texts)
    if _CLOUD_BLOCK.search(text):
        raise AssertionError(f"{workdir}: a `cloud` block cannot be pointed at the emulator")
    has_provider = bool(_PROVIDER_BLOCK.search(text))
    if has_provider and _ALIAS.search(text):
        raise AssertionError(f"{workdir}: aliased provider blocks are not supported by tests/support/examples.py")
    settings = provider_settings(endpoint_url)
    written: list[Path] = []
    override = ""
    if has_provider:
        override += f'provider "ode" {{\n{settings}}}\n'
    else:
        path = workdir / PROVIDER_FILE
        path.write_text(f'provider "ode" {{\n  region                      = "us-east-1"\n{settings}}}\n')
        written.append(path)
    if _BACKEND_BLOCK.search(text):
        override += '\nterraform {\n  backend "local" {}\n}\n'
    if override:
        path = workdir / OVERRIDE_FILE
        path.write_text(override)
        written.append(path)
    kinds = set()
    for t in texts:
        kinds.update(top_level_blocks(t))
    if has_provider and not kinds & {"resource", "data", "module"}:
        path = workdir / PROBE_FILE
        path.write_text(PROBE)
        written.append(path)
    return written


# -- documented results ------------------------------------------------------------------

_DOC_OUTPUT_START = re.compile(r"^#\s*(\w+)\s*=\s*\{\s*$")
_DOC_OUTPUT_ROW = re.compile(r"^#\s+([\w-]+)\s*=\s*\{(.*)\}\s*$")
_DOC_OUTPUT_END = re.compile(r"^#\s*\}\s*$")
_DOC_PAIR = re.compile(r'"?([\w.-]+)"?\s*=\s*"([^"]*)"')


def documented_outputs(hcl: str) -> dict[str, dict[str, dict[str, str]]]:
    """Output values an example documents in a comment after it, as in

    ``# subnets = {`` / ``#   public = { us-east-1a = "10.0.0.0/21", ... }`` / ``# }``:
    {"subnets": {"public": {"us-east-1a": "10.0.0.0/21", ...}, ...}}.
    """
    found: dict[str, dict[str, dict[str, str]]] = {}
    current: dict[str, dict[str, str]] | None = None
    for line in hcl.splitlines():
        if current is None:
            start = _DOC_OUTPUT_START.match(line)
            if start:
                current = found.setdefault(start.group(1), {})
            continue
        row = _DOC_OUTPUT_ROW.match(line)
        if row:
            current[row.group(1)] = dict(_DOC_PAIR.findall(row.group(2)))
        elif _DOC_OUTPUT_END.match(line) or not line.startswith("#"):
            current = None
    return {name: rows for name, rows in found.items() if rows}


# -- collection ----------------------------------------------------------------------------


def example_roots() -> list[Example]:
    """Every example root and examples/ snippet folder (not the reusable modules)."""
    return [Example(id=str(d.path), path=d.path) for d in hcl_dirs() if d.kind != "module"]


def doc_snippets(pages: Iterable[Path] | None = None) -> list[Example]:
    """Every HCL fenced block of the documentation pages, configurations and fragments."""
    found = []
    for page in doc_pages() if pages is None else pages:
        for index, hcl in enumerate(hcl_fences((REPO_ROOT / page).read_text()), start=1):
            found.append(
                Example(
                    id=f"{page}#{index}",
                    path=page,
                    snippet=hcl,
                    page_index=index,
                    fragment=not is_configuration(hcl),
                )
            )
    return found


def collect() -> list[Example]:
    return example_roots() + doc_snippets()
