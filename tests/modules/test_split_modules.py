"""scripts/split_modules.py: one publishable tree per module, in the registry's layout.

* ``test_split_modules_validate`` (``split_modules_validate``): the script splits every
  module of modules/ into tmp; each tree has the registry's root files, a README calling
  ``ode/<name>/ode`` with a version constraint and examples calling ``../../``; no
  module source of a tree (module code, examples, tofu tests) and no relative link of
  its Markdown leaves it; every tree and each of its examples passes
  ``init -backend=false`` and ``validate`` with the local provider (both cores).
* ``test_split_tree_module_tests``: the platform tree, whose sibling modules are
  vendored under modules/, passes its own ``tofu test`` (every run block); the vendored
  modules are the library's code with only their sources changed.
* ``test_split_release_with_git``: ``--version`` and ``--git`` make a committed tree
  tagged v<version> whose CHANGELOG has that release.
* ``test_release_changelog``: the CHANGELOG rules: released as is, Unreleased released
  as the new version, and the refusals (a released version with newer entries, a
  version not newer, nothing to release).
* ``test_split_bad_input``: a bad ``--version``, an unknown module and an existing tree
  are refused naming the argument, and nothing is written or lost.
* ``test_split_refuses_paths_outside``: in a copy of the library, module code calling a
  path outside modules/ fails the split naming the file and line, writing nothing; a
  tofu test file that does is dropped from its tree with the reason printed.
"""

from __future__ import annotations

import importlib.util
import os
import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import hcl2
import pytest
from hcl2.utils import SerializationOptions

from tests.modules.layout import REPO_ROOT, module_dirs
from tests.support.core import Core, CoreError, Result

pytestmark = pytest.mark.e2e

SCRIPT = REPO_ROOT / "scripts" / "split_modules.py"
MODULE_NAMES = [p.name for p in module_dirs()]
ROOT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md", "CHANGELOG.md")
_HCL = SerializationOptions(with_comments=False, explicit_blocks=False, preserve_heredocs=False)
_MD_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^[ \t]*```.*?^[ \t]*```", re.M | re.S)
_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "ode tests",
    "GIT_AUTHOR_EMAIL": "tests@ode.invalid",
    "GIT_COMMITTER_NAME": "ode tests",
    "GIT_COMMITTER_EMAIL": "tests@ode.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def split(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python scripts/split_modules.py --out out args...`` with the tests' venv."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_script() -> ModuleType:
    """The script as a fresh Python module (its globals may then be patched)."""
    spec = importlib.util.spec_from_file_location("split_modules_under_test", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: its dataclasses look their module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every module split once into tmp: {module name: its tree}."""
    out = tmp_path_factory.mktemp("split")
    proc = split(out)
    assert proc.returncode == 0, f"split_modules.py failed\n{proc.stdout}\n{proc.stderr}"
    found = {p.name.removeprefix("terraform-ode-"): p for p in out.iterdir()}
    assert sorted(found) == sorted(MODULE_NAMES), f"expected one tree per module: {sorted(found)}\n{proc.stdout}"
    assert all(p.name.startswith("terraform-ode-") for p in found.values()), found
    for name in MODULE_NAMES:
        assert f"terraform-ode-{name} " in proc.stdout, f"no summary line for {name}:\n{proc.stdout}"
    return found


# -- what a tree must be ----------------------------------------------------------------------


def inside(tree: Path, folder: Path, relative: str) -> Path | None:
    """``relative`` seen from ``folder`` of ``tree``, or None when it leaves the tree."""
    joined = posixpath.normpath(posixpath.join(folder.relative_to(tree).as_posix(), relative))
    if joined == ".." or joined.startswith("../"):
        return None
    return tree / joined


def module_sources(path: Path) -> list[str]:
    """The source of every module block of an HCL file (tofu test files included),
    read with python-hcl2, not with the script's own patterns."""
    parsed = hcl2.loads(path.read_text(), serialization_options=_HCL)
    sources: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "module":
                    for block in value if isinstance(value, list) else [value]:
                        bodies = block.values() if "source" not in block else [block]
                        sources.extend(b["source"].strip('"') for b in bodies if isinstance(b, dict) and "source" in b)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(parsed)
    return sources


def problems_of(tree: Path) -> list[str]:
    """Every module source and relative Markdown link of ``tree`` that leaves it or
    names nothing in it."""
    problems = []
    for path in sorted(tree.rglob("*")):
        if path.suffix == ".tf" or path.name.endswith(".tftest.hcl"):
            for source in module_sources(path):
                where = f"{path.relative_to(tree)}: source {source!r}"
                if not source.startswith(("./", "../")):
                    problems.append(f"{where} is not a path inside the tree")
                    continue
                # A tofu test file's sources are relative to the module it tests.
                in_tests = path.name.endswith(".tftest.hcl") and path.parent.name == "tests"
                base = path.parent.parent if in_tests else path.parent
                target = inside(tree, base, source)
                if target is None:
                    problems.append(f"{where} leaves the tree")
                elif not any(target.glob("*.tf")):
                    problems.append(f"{where} is no module")
        elif path.suffix == ".md":
            prose = _FENCE.sub("", path.read_text())
            for target in _MD_LINK.findall(prose):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
                    continue
                resolved = inside(tree, path.parent, target.split("#", 1)[0])
                if resolved is None or not resolved.exists():
                    problems.append(f"{path.relative_to(tree)}: link {target!r} leaves the tree or names nothing")
    return problems


def examples_of(tree: Path) -> list[Path]:
    return sorted(p for p in (tree / "examples").iterdir() if any(p.glob("*.tf")))


def check_layout(name: str, tree: Path) -> list[str]:
    problems = [f"no {f}" for f in ROOT_FILES if not (tree / f).is_file()]
    readme = (tree / "README.md").read_text()
    if not re.search(rf'source\s+=\s+"ode/{re.escape(name)}/ode"\n\s+version\s+=\s+"~> [\d.]+"', readme):
        problems.append(f"README.md shows no usage by the registry address ode/{name}/ode with a version")
    if "<!-- BEGIN_TF_DOCS -->" not in readme or "(`../" in readme:
        problems.append("README.md tables missing or naming sources outside the tree")
    examples = examples_of(tree)
    if not examples:
        problems.append("no examples")
    for example in examples:
        text = "\n".join(p.read_text() for p in example.glob("*.tf"))
        if 'source = "../../"' not in text:
            problems.append(f"{example.relative_to(tree)} does not call the module by ../../")
        if not (example / "README.md").is_file():
            problems.append(f"{example.relative_to(tree)} has no README.md")
    return problems


def run(core: Core, where: str, call, *args, **kwargs) -> Result:
    try:
        return call(*args, **kwargs)
    except CoreError as error:
        result = error.result
    pytest.fail(f"{core.name}: {where}\n{result.describe()}", pytrace=False)
    raise AssertionError("not reached")


def test_split_modules_validate(core: Core, trees: dict[str, Path], tmp_path: Path) -> None:
    problems = []
    for name, original in trees.items():
        problems += [f"{original.name}: {p}" for p in check_layout(name, original) + problems_of(original)]
    assert not problems, "\n".join(problems)

    for name, original in sorted(trees.items()):
        # A copy per core: init writes .terraform into the folders.
        tree = tmp_path / original.name
        shutil.copytree(original, tree)
        run(core, f"fmt -check in {tree.name}", core.run, tree, "fmt", "-check", "-recursive")
        for workdir in [tree, *examples_of(tree)]:
            where = f"{workdir.relative_to(tmp_path)}"
            run(core, f"init -backend=false in {where}", core.run, workdir, "init", "-input=false", "-backend=false")
            result = run(core, f"validate in {where}", core.validate, workdir)
            assert "The configuration is valid" in result.stdout, result.describe()


def test_tree_checks_can_fail(trees: dict[str, Path], tmp_path: Path) -> None:
    """The checks above see a source or a link leaving a tree and a missing root file."""
    tree = tmp_path / "platform"
    shutil.copytree(trees["platform"], tree)
    assert not check_layout("platform", tree) and not problems_of(tree)
    main = tree / "main.tf"
    main.write_text(main.read_text().replace('"./modules/network"', '"../network"', 1))
    (tree / "tests" / "zz.tftest.hcl").write_text('run "x" {\n  module {\n    source = "./tests"\n  }\n}\n')
    with (tree / "README.md").open("a") as readme:
        readme.write("See [the diagram](../../docs/platform-diagram.md).\n")
    (tree / "versions.tf").unlink()
    assert problems_of(tree) == [
        "README.md: link '../../docs/platform-diagram.md' leaves the tree or names nothing",
        "main.tf: source '../network' leaves the tree",
        "tests/zz.tftest.hcl: source './tests' is no module",
    ]
    assert check_layout("platform", tree) == ["no versions.tf"]


# -- the platform tree's own tests --------------------------------------------------------------


@pytest.mark.cores("tofu")
def test_split_tree_module_tests(core: Core, trees: dict[str, Path], tmp_path: Path) -> None:
    from tests.modules.test_module_tests import assert_all_runs_passed, run_blocks, tofu_test

    tree = tmp_path / "platform"
    shutil.copytree(trees["platform"], tree)
    vendored = sorted(p.name for p in (tree / "modules").iterdir())
    assert vendored == ["data-tier", "eks-stack", "network", "registry"], vendored
    for name in vendored:
        for path in sorted((REPO_ROOT / "modules" / name).glob("*.tf")):
            assert (tree / "modules" / name / path.name).read_text() == path.read_text(), (
                f"modules/{name}/{path.name} of the platform tree differs from the library's"
            )
        assert not (tree / "modules" / name / "examples").exists(), f"{name}: a vendored module carries no examples"
    assert sorted(module_sources(tree / "main.tf")) == [f"./modules/{name}" for name in vendored]

    expected = run_blocks(tree)
    assert expected == run_blocks(REPO_ROOT / "modules" / "platform"), "the tree's tests are not the module's"
    assert_all_runs_passed(tofu_test(core, tree), expected)


# -- releases ------------------------------------------------------------------------------------


def test_split_release_with_git(tmp_path: Path) -> None:
    script = load_script()
    changelog = (REPO_ROOT / "modules" / "state-backend" / "CHANGELOG.md").read_text()
    released = script.released_versions(changelog)
    # The released version when nothing is pending, else a version past it.
    version = "99.0.0" if script.unreleased_entries(changelog) else released[0]
    proc = split(tmp_path, "--version", version, "--git", "state-backend", env=_GIT_IDENTITY)
    assert proc.returncode == 0, proc.stderr
    tree = tmp_path / "terraform-ode-state-backend"
    assert sorted(p.name for p in tmp_path.iterdir()) == [tree.name], "only the named module is split"

    def git(*args: str) -> str:
        env = {**os.environ, **_GIT_IDENTITY}
        argv = ["git", "-C", str(tree), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout

    assert git("tag", "--list") == f"v{version}\n"
    assert git("status", "--porcelain") == "", "the tree is committed whole"
    assert git("rev-parse", f"v{version}^{{commit}}") == git("rev-parse", "HEAD")
    committed = set(git("ls-files").split())
    assert {"main.tf", "versions.tf", "README.md", "CHANGELOG.md", ".gitignore", "examples/basic/main.tf"} <= committed
    assert not any(".terraform" in p.split("/")[:-1] or p.endswith(".tfstate") for p in committed), committed
    text = (tree / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(version)}\]", text, re.M), text
    constraint = script.version_constraint(version)
    assert f'version = "{constraint}"' in (tree / "README.md").read_text()


def test_release_changelog() -> None:
    script = load_script()
    head = "# Changelog\n\nIntro.\n\n"
    pending = head + "## [Unreleased]\n\n### Added\n\n- A thing.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"
    settled = head + "## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"

    assert script.release_changelog("m", settled, None, "2026-12-01") == (settled, "0.1.0", [])
    assert script.release_changelog("m", settled, "0.1.0", "2026-12-01") == (settled, "0.1.0", [])
    text, version, notes = script.release_changelog("m", pending, None, "2026-12-01")
    assert (text, version) == (pending, "0.1.0") and "Unreleased entries kept" in notes[0]

    text, version, notes = script.release_changelog("m", pending, "0.2.0", "2026-12-01")
    assert version == "0.2.0" and "record that in modules/m/CHANGELOG.md" in notes[0]
    released = "## [0.2.0] - 2026-12-01\n\n### Added\n\n- A thing.\n\n## [0.1.0] - 2026-01-01\n\n- First.\n"
    assert text == head + "## [Unreleased]\n\n" + released
    assert not script.unreleased_entries(text)

    refusals = {
        ("pending", "0.1.0"): "0.1.0 is released already, but Unreleased has entries",
        ("pending", "0.0.9"): "--version 0.0.9 is not newer than the released 0.1.0",
        ("settled", "0.2.0"): "no [0.2.0] section and no Unreleased entries",
        ("unreleased only", None): "has no released version",
    }
    texts = {"pending": pending, "settled": settled, "unreleased only": head + "## [Unreleased]\n\n- A thing.\n"}
    for (which, wanted), message in refusals.items():
        with pytest.raises(script.SplitError, match=re.escape(message)):
            script.release_changelog("m", texts[which], wanted, "2026-12-01")
    assert [script.version_constraint(v) for v in ("0.1.0", "0.3.2", "1.4.0", "2.0.0-rc.1")] == [
        "~> 0.1.0",
        "~> 0.3.0",
        "~> 1.4",
        "~> 2.0",
    ]


def test_split_bad_input(trees: dict[str, Path], tmp_path: Path) -> None:
    cases = {
        ("--version", "v0.1.0"): "--version 'v0.1.0' is not a version X.Y.Z",
        ("--version", "0.1"): "--version '0.1' is not a version X.Y.Z",
        ("no-such-module",): "no module no-such-module in modules/",
    }
    for args, message in cases.items():
        out = tmp_path / "out"
        proc = split(out, *args)
        assert proc.returncode == 2 and message in proc.stderr, f"{args}: {proc.returncode}\n{proc.stderr}"
        assert not out.exists(), f"{args}: nothing should be written"

    # An existing tree is neither overwritten nor mixed with a new one.
    existing = next(iter(trees.values())).parent
    before = {p.relative_to(existing): p.stat().st_mtime_ns for p in existing.rglob("*")}
    proc = split(existing)
    assert proc.returncode == 2, proc.stderr
    assert "already holds terraform-ode-" in proc.stderr and "choose another folder" in proc.stderr, proc.stderr
    assert {p.relative_to(existing): p.stat().st_mtime_ns for p in existing.rglob("*")} == before


def test_split_refuses_paths_outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    # What the modules and their pages refer to.
    repo = tmp_path / "repo"
    for folder in ("modules", "examples", "docs"):
        shutil.copytree(REPO_ROOT / folder, repo / folder, ignore=shutil.ignore_patterns(".terraform*"))
    for name in ("Cargo.toml", "CHANGELOG.md"):
        shutil.copy(REPO_ROOT / name, repo / name)
    script = load_script()
    monkeypatch.setattr(script, "REPO_ROOT", repo)
    monkeypatch.setattr(script, "MODULES", repo / "modules")

    # A tofu test file reaching out of the module is dropped, with the reason.
    (repo / "modules/registry/tests/zz_outside.tftest.hcl").write_text(
        'run "outside" {\n  command = plan\n\n  module {\n    source = "../../examples/local/2-network"\n  }\n}\n'
    )
    out = tmp_path / "out"
    assert script.main(["--out", str(out), "registry"]) == 0
    printed = capsys.readouterr().out
    assert "dropped tests/zz_outside.tftest.hcl" in printed, printed
    assert "has no place in terraform-ode-registry" in printed, printed
    tree = out / "terraform-ode-registry"
    assert not (tree / "tests/zz_outside.tftest.hcl").exists() and (tree / "tests/plan.tftest.hcl").exists()

    # Module code doing the same fails the split, and no tree is written.
    main = repo / "modules/network/main.tf"
    lines = main.read_text().count("\n")
    main.write_text(main.read_text() + '\nmodule "outside" {\n  source = "../../examples/local/2-network"\n}\n')
    out = tmp_path / "out2"
    assert script.main(["--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"modules/network/main.tf:{lines + 3}: source '../../examples/local/2-network'" in error, error
    assert "which is no module of modules/" in error, error
    assert not out.exists(), "a failed split writes nothing"
