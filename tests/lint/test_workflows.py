"""Static checks of the GitHub Actions workflows with actionlint."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.tools import ACTIONLINT

pytestmark = pytest.mark.lint

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))


@pytest.fixture(scope="module")
def actionlint() -> Path:
    if not os.access(ACTIONLINT, os.X_OK):
        pytest.fail(
            f"actionlint is not installed at {ACTIONLINT}: run `make tools` (scripts/install-tools.sh)",
            pytrace=False,
        )
    return ACTIONLINT


def test_workflows_exist() -> None:
    assert WORKFLOWS, "no workflow under .github/workflows"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint(actionlint: Path, workflow: Path) -> None:
    # shellcheck and pyflakes integrations off: whether they run would otherwise depend
    # on what the machine happens to have on PATH.
    result = subprocess.run(
        [str(actionlint), "-no-color", "-shellcheck=", "-pyflakes=", str(workflow.relative_to(REPO_ROOT))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"actionlint found problems:\n{result.stdout}{result.stderr}"
