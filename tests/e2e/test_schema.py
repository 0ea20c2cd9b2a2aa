"""The provider's schema as the cores see it, the examples, and the generated docs."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.core import Core, write_config
from tests.support.schema import REQUIRED_PROVIDERS, SCHEMA_KINDS, description_of, provider_schema, walk_block

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
DOCS = REPO_ROOT / "docs"


def undescribed(block: dict[str, Any], owner: str) -> list[str]:
    """``owner`` and the paths under it (attributes, nested blocks) without a description."""
    missing = [] if block.get("description", "").strip() else [f"{owner} (the block itself)"]
    missing += [f"{owner}: {path}" for path, item in walk_block(block) if not description_of(item).strip()]
    return missing


def test_schema_lists_described_resources(core: Core, workdir: Path) -> None:
    schema = provider_schema(core, workdir)
    assert "ode_state_backend" in schema.get("resource_schemas", {}), sorted(schema.get("resource_schemas", {}))

    missing = undescribed(schema["provider"]["block"], "provider")
    checked = 0
    for kind in SCHEMA_KINDS:
        for name, entry in sorted(schema.get(kind, {}).items()):
            block = entry["block"]
            assert block.get("attributes") or block.get("block_types"), f"{kind} {name} has an empty schema"
            missing += undescribed(block, f"{kind} {name}")
            checked += 1
    assert checked, "the provider lists no resources"
    assert not missing, "without a description:\n  " + "\n  ".join(missing)


def example_dirs() -> list[Path]:
    """examples/provider and examples/resources/<type>: the snippets the docs embed."""
    dirs = [EXAMPLES / "provider"] if (EXAMPLES / "provider").is_dir() else []
    dirs += sorted(p for p in (EXAMPLES / "resources").glob("*") if p.is_dir())
    return dirs


@pytest.mark.parametrize("example", example_dirs(), ids=lambda p: p.name)
def test_doc_examples_validate(core: Core, workdir: Path, example: Path) -> None:
    """Each example snippet is valid configuration for the provider as it is."""
    sources = sorted(example.glob("*.tf"))
    assert sources, f"{example} has no .tf file"
    for source in sources:
        shutil.copy(source, workdir / f"example_{source.name}")
    if not any("required_providers" in source.read_text() for source in sources):
        write_config(workdir, REQUIRED_PROVIDERS)
    core.init(workdir)
    core.validate(workdir)


def generated_files(root: Path) -> dict[str, str]:
    """The files scripts/gen_docs.py owns under ``root``, by relative path."""
    paths = [root / "index.md", *sorted((root / "resources").glob("*.md")), *sorted((root / "functions").glob("*.md"))]
    return {str(p.relative_to(root)): p.read_text() for p in paths if p.is_file()}


def test_docs_up_to_date(provider_bin: Path, tmp_path: Path) -> None:
    """docs/ is what scripts/gen_docs.py makes of the current schema and examples."""
    out = tmp_path / "docs"
    env = {**os.environ, "ODE_PROVIDER_BIN": str(provider_bin)}
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "gen_docs.py"), "--out", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"gen_docs.py failed:\n{result.stdout}\n{result.stderr}"

    want, have = generated_files(out), generated_files(DOCS)
    assert want, "gen_docs.py wrote nothing"
    problems = [f"docs/{name} is missing" for name in sorted(set(want) - set(have))]
    problems += [f"docs/{name} is stale: no such resource" for name in sorted(set(have) - set(want))]
    for name in sorted(set(want) & set(have)):
        if want[name] != have[name]:
            diff = difflib.unified_diff(
                have[name].splitlines(), want[name].splitlines(), f"docs/{name}", "generated", lineterm="", n=1
            )
            problems.append("\n".join(diff))
    assert not problems, "docs/ is out of date; run `make docs`.\n" + "\n".join(problems)
