"""Static checks of the HCL modules and examples.

For every module (modules/*), module example (modules/*/examples/*), example root
(examples/*, examples/*/*) and documentation snippet (examples/resources/*):

* ``tofu fmt -check``;
* ``init -backend=false`` and ``validate`` with each core (the provider from the test
  mirror; snippets get a required_providers block in their copy);
* TFLint with .tflint.hcl (bundled terraform ruleset only, run with no network and an
  empty plugin directory; modules also get terraform_standard_module_structure, doc
  snippets are spared the rules about documenting a root module).

For every module: its README's generated tables are current (scripts/gen_module_docs.py
--check), it has a usage section with a formatted example, and every variable has a
description and a type, every output a description.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.modules.layout import (
    REPO_ROOT,
    TFLINT,
    TFLINT_CONFIG,
    TFLINT_VERSION,
    HclDir,
    copy_hcl_tree,
    core_version,
    gen_module_docs,
    hcl_dirs,
    module_dirs,
)
from tests.support.core import CORE_BINARIES, Core

pytestmark = pytest.mark.lint

HCL_DIRS = hcl_dirs()
MODULE_DIRS = module_dirs()
TOFU = CORE_BINARIES["tofu"]
SNIPPET_EXEMPT_RULES = ("terraform_required_version", "terraform_documented_outputs", "terraform_documented_variables")


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def describe(proc: subprocess.CompletedProcess) -> str:
    args = " ".join(str(a) for a in proc.args)
    return f"$ {args}\nexit code {proc.returncode}\n--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"


def plain_env(**extra: str) -> dict[str, str]:
    """This environment without TF_*/AWS_* (the machine's CLI config must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_"))}
    env.update(CHECKPOINT_DISABLE="1", TF_CLI_CONFIG_FILE=os.devnull, **extra)
    return env


def test_hcl_dirs_found() -> None:
    kinds = {d.kind for d in HCL_DIRS}
    assert {"module", "root"} <= kinds, HCL_DIRS
    assert (REPO_ROOT / "modules/network") in MODULE_DIRS
    assert (REPO_ROOT / "modules/state-backend") in MODULE_DIRS


# -- formatting and validation ----------------------------------------------------------


@pytest.mark.parametrize("hcl", HCL_DIRS, ids=lambda d: d.id)
def test_fmt(hcl: HclDir) -> None:
    if not os.access(TOFU, os.X_OK):
        pytest.fail(f"tofu not found at {TOFU}; run scripts/install-tools.sh", pytrace=False)
    proc = run([TOFU, "fmt", "-check", "-diff", "-no-color", "."], REPO_ROOT / hcl.path, plain_env())
    assert proc.returncode == 0, f"not formatted (run `make fmt`):\n{describe(proc)}"


@pytest.mark.parametrize("hcl", HCL_DIRS, ids=lambda d: d.id)
def test_validate(core: Core, hcl: HclDir, tmp_path: Path) -> None:
    reason = hcl.unsupported_by(core.name, core_version(core.binary))
    tree = copy_hcl_tree(tmp_path / "tree")
    workdir = tree / hcl.path
    if reason:
        # Not skipped: the older core must reject it, as its users will see.
        result = core.run(workdir, "init", "-input=false", "-backend=false", check=False)
        if result.returncode == 0:
            result = core.validate(workdir, check=False)
        assert result.returncode != 0, f"{reason}, yet {core.name} accepted it\n{result.describe()}"
        assert "provider::" in result.output, result.describe()
        return
    core.run(workdir, "init", "-input=false", "-backend=false")
    result = core.validate(workdir)
    assert "The configuration is valid" in result.stdout, result.describe()


# -- TFLint ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tflint() -> Path:
    if not os.access(TFLINT, os.X_OK):
        pytest.fail(
            f"tflint {TFLINT_VERSION} is required and not installed at {TFLINT}: run `make tools` "
            "(scripts/install-hcl-tools.sh)",
            pytrace=False,
        )
    return TFLINT


@pytest.fixture(scope="session")
def offline_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """TFLint's environment: an empty plugin directory and every proxy a closed port.

    A TFLint that wanted to download or load a plugin would fail here, so a passing run
    shows that the bundled ruleset is all it uses.
    """
    plugins = tmp_path_factory.mktemp("tflint-plugins")
    dead = "http://127.0.0.1:9"
    return plain_env(
        TFLINT_PLUGIN_DIR=str(plugins),
        HOME=str(tmp_path_factory.mktemp("tflint-home")),
        HTTP_PROXY=dead,
        HTTPS_PROXY=dead,
        http_proxy=dead,
        https_proxy=dead,
        NO_PROXY="",
        GITHUB_TOKEN="",
    )


def test_tflint_version(tflint: Path, offline_env: dict[str, str]) -> None:
    proc = run([tflint, "--version"], REPO_ROOT, offline_env)
    assert proc.returncode == 0, describe(proc)
    assert f"TFLint version {TFLINT_VERSION}" in proc.stdout, describe(proc)
    # The bundled ruleset, not a downloaded one.
    assert "ruleset.terraform" in proc.stdout and "bundled" in proc.stdout, describe(proc)


@pytest.mark.parametrize("hcl", HCL_DIRS, ids=lambda d: d.id)
def test_tflint(tflint: Path, offline_env: dict[str, str], hcl: HclDir, tmp_path: Path) -> None:
    tree = copy_hcl_tree(tmp_path / "tree")
    argv = [tflint, f"--config={TFLINT_CONFIG}", "--format=compact", "--minimum-failure-severity=notice", "--no-color"]
    if hcl.kind == "module":
        argv.append("--enable-rule=terraform_standard_module_structure")
    if hcl.kind == "snippet":
        # Fragments shown in the docs, not root modules: no core constraint, and their
        # outputs are explained by the page around them.
        argv += [f"--disable-rule={rule}" for rule in SNIPPET_EXEMPT_RULES]
    proc = run(argv, tree / hcl.path, offline_env)
    assert proc.returncode == 0, f"tflint found problems:\n{describe(proc)}"


def test_tflint_catches_problems(tflint: Path, offline_env: dict[str, str], tmp_path: Path) -> None:
    """The rules the module library relies on are really on (a config that breaks them)."""
    (tmp_path / "main.tf").write_text(
        """terraform {
  required_version = ">= 1.5.0"
}

variable "undocumented" {}

output "undocumented" {
  value = var.undocumented
}
"""
    )
    proc = run(
        [tflint, f"--config={TFLINT_CONFIG}", "--format=compact", "--no-color"], tmp_path, offline_env
    )
    assert proc.returncode != 0, describe(proc)
    for rule in ("terraform_documented_variables", "terraform_typed_variables", "terraform_documented_outputs"):
        assert rule in proc.stdout, f"{rule} did not fire:\n{describe(proc)}"


def test_install_hcl_tools_warm(tflint: Path) -> None:
    """A second run of the installer finds everything in place, in under a second."""
    start = time.monotonic()
    proc = run(["bash", REPO_ROOT / "scripts/install-hcl-tools.sh"], REPO_ROOT, timeout=600)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, describe(proc)
    assert "present" in proc.stderr, describe(proc)
    assert elapsed < 1.0, f"warm run took {elapsed:.2f} s:\n{describe(proc)}"


# -- module READMEs and interfaces ------------------------------------------------------------


@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_readme_up_to_date(module: Path) -> None:
    proc = run([sys.executable, REPO_ROOT / "scripts/gen_module_docs.py", "--check", module], REPO_ROOT)
    assert proc.returncode == 0, f"README tables are stale (run scripts/gen_module_docs.py):\n{describe(proc)}"
    # The same check in memory, so that a broken --check cannot hide a stale README.
    readme = (module / "README.md").read_text()
    assert gen_module_docs().render_readme(module, readme) == readme


@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_readme_usage(module: Path, tmp_path: Path) -> None:
    readme = (module / "README.md").read_text()
    docs = gen_module_docs()
    assert readme.count(docs.BEGIN) == 1 and readme.count(docs.END) == 1, "generated-table markers missing"
    handwritten = readme.split(docs.BEGIN)[0]
    assert re.search(r"^## Usage$", handwritten, re.M), "no '## Usage' section before the tables"
    blocks = re.findall(r"^```hcl\n(.*?)^```$", handwritten, re.M | re.S)
    assert blocks, "no ```hcl example in the usage section"
    calls = [b for b in blocks if re.search(r'^module "\w+" \{$', b, re.M) and re.search(r'^\s+source\s+= "[^"]+"', b, re.M)]
    assert calls, "no example calls the module with a source"
    # Every example is formatted as `tofu fmt` would.
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.tf"
        path.write_text(block)
        proc = run([TOFU, "fmt", "-check", "-diff", "-no-color", path.name], tmp_path, plain_env())
        assert proc.returncode == 0, f"README example {i} is not formatted:\n{describe(proc)}"


@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_variables_documented_and_typed(module: Path) -> None:
    parsed = gen_module_docs().read_module(module)
    assert parsed.variables, f"{module.name} has no variables"
    problems = [f"variable {v.name}: no description" for v in parsed.variables if not (v.description or "").strip()]
    problems += [f"variable {v.name}: no type" for v in parsed.variables if not v.type]
    problems += [f"output {o.name}: no description" for o in parsed.outputs if not (o.description or "").strip()]
    problems += [f"description of {v.name} does not end with a period" for v in parsed.variables if v.description and not v.description.rstrip().endswith(".")]
    assert not problems, "\n".join(problems)
    assert parsed.required_version, f"{module.name} sets no required_version"
    assert parsed.providers.get("ode", {}).get("version"), f"{module.name} does not constrain the ode provider"
