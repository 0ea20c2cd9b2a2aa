"""Consuming the modules from outside this repository, as a platform team does: by a git
address pinned to a release tag.

* ``test_modules_by_git_ref`` (``modules_by_git_ref``): the work tree as it is (tracked
  files and new ones git does not ignore) committed into a bare repository under tmp
  and tagged v0.1.0; examples/production/2-platform copied on its own, its
  ``source = "../../../modules/platform"`` rewritten to
  ``git::file://<bare repository>//modules/platform?ref=v0.1.0``, its tfvars from
  terraform.tfvars.example. ``init`` fetches the module from that address (as
  .terraform/modules/modules.json records it, a checkout of the tag's commit, with its
  sibling modules resolved inside the same package) and ``plan`` succeeds with the same
  resources, actions and planned values as the example planned with the local path.
  Plan only: nothing is created.
* ``test_snapshot_is_the_work_tree``: the harness itself: the tag holds exactly the
  work tree's tracked files and the new ones git does not ignore, none that it ignores,
  and the repository's own HEAD and tags stay as they were.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.modules.layout import REPO_ROOT
from tests.support.core import Core, CoreError, Result
from tests.support.emulator import EmulatorClient
from tests.support.examples import Example, point_at_emulator
from tests.support.helpers import assert_emulator_empty

pytestmark = pytest.mark.e2e

EXAMPLE = Path("examples/production/2-platform")
LOCAL_SOURCE = "../../../modules/platform"
TAG = "v0.1.0"
PLAN_FILE = "tfplan"
# The module call's source line, as `tofu fmt` leaves it.
_SOURCE_LINE = re.compile(r'^(\s*source\s*=\s*)"' + re.escape(LOCAL_SOURCE) + r'"', re.M)
# Files a core or a local run leaves in an example folder; never copied.
_IGNORED = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "terraform.tfvars")
# A fixed identity and no user or system configuration for the snapshot's git.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "ode tests",
    "GIT_AUTHOR_EMAIL": "tests@ode.invalid",
    "GIT_COMMITTER_NAME": "ode tests",
    "GIT_COMMITTER_EMAIL": "tests@ode.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str | Path, env: dict[str, str] | None = None, input: bytes | None = None) -> str:
    """``git args...``; a failure raises with git's own message."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    proc = subprocess.run(
        ["git", *map(str, args)],
        env={**base, **_GIT_ENV, **(env or {})},
        input=input,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, f"git {' '.join(map(str, args))} failed:\n{proc.stderr.decode()}"
    return proc.stdout.decode()


def work_tree_files() -> list[str]:
    """The work tree's files as a commit would hold them: tracked ones that still exist
    and untracked ones git does not ignore (only read from the repository's git)."""
    listed = git("-C", REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return sorted({p for p in listed.split("\0") if p and os.path.lexists(REPO_ROOT / p)})


def snapshot_repository(dest: Path, tag: str = TAG) -> Path:
    """A bare repository under ``dest`` whose ``main`` and ``tag`` are one commit of the
    work tree's files (:func:`work_tree_files`). The repository's own .git is never
    written: the index lives under ``dest`` and the objects in the bare repository."""
    bare = dest / "terraform-provider-ode.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", bare)
    env = {"GIT_DIR": str(bare), "GIT_WORK_TREE": str(REPO_ROOT), "GIT_INDEX_FILE": str(dest / "snapshot.index")}
    files = work_tree_files()
    git("update-index", "--add", "-z", "--stdin", env=env, input="\0".join(files).encode() + b"\0")
    tree = git("write-tree", env=env).strip()
    commit = git("commit-tree", tree, "-m", f"Snapshot of the work tree for {tag}", env=env).strip()
    git("update-ref", "refs/heads/main", commit, env=env)
    git("tag", tag, commit, env=env)
    return bare


def run(core: Core, step: str, call, *args: Any, **kwargs: Any) -> Result:
    """``call(*args, **kwargs)``; a core error fails the test naming the step."""
    try:
        return call(*args, **kwargs)
    except CoreError as error:
        result = error.result
    pytest.fail(f"{core.name}: {step} failed\n{result.describe()}", pytrace=False)
    raise AssertionError("not reached")


def planned_changes(core: Core, workdir: Path) -> dict[str, dict[str, Any]]:
    """{address: {actions, after, after_unknown}} of every resource the saved plan covers."""
    plan = json.loads(core.run(workdir, "show", "-json", PLAN_FILE).stdout)
    return {
        change["address"]: {
            "actions": change["change"]["actions"],
            "after": change["change"].get("after"),
            "after_unknown": change["change"].get("after_unknown"),
        }
        for change in plan.get("resource_changes", [])
    }


def plan_example(core: Core, workdir: Path, label: str) -> dict[str, dict[str, Any]]:
    run(core, f"init ({label})", core.init, workdir)
    plan = run(core, f"plan ({label})", core.plan, workdir, f"-out={PLAN_FILE}")
    assert plan.returncode == 2, f"{label}: expected a plan with changes\n{plan.describe()}"
    return planned_changes(core, workdir)


def example_by_git_ref(scratch: Path, address: str, endpoint_url: str) -> Path:
    """examples/production/2-platform alone under ``scratch``, sourcing the platform
    module from ``address``, with its tfvars and pointed at the emulator."""
    workdir = scratch / EXAMPLE.name
    shutil.copytree(REPO_ROOT / EXAMPLE, workdir, ignore=_IGNORED)
    main = workdir / "main.tf"
    text, count = _SOURCE_LINE.subn(lambda m: f'{m.group(1)}"{address}"', main.read_text())
    assert count == 1, f"{EXAMPLE}/main.tf should call the platform module from {LOCAL_SOURCE!r} once"
    main.write_text(text)
    # Nothing of the copy may still reach into the repository by a relative path.
    assert not re.search(r'source\s*=\s*"\.\.?/', "\n".join(p.read_text() for p in workdir.glob("*.tf")))
    shutil.copy(workdir / "terraform.tfvars.example", workdir / "terraform.tfvars")
    point_at_emulator(workdir, endpoint_url)
    return workdir


def fetched_modules(workdir: Path) -> dict[str, dict[str, str]]:
    """.terraform/modules/modules.json as {key: {Source, Dir}}."""
    manifest = json.loads((workdir / ".terraform" / "modules" / "modules.json").read_text())
    return {m["Key"]: m for m in manifest["Modules"]}


def test_modules_by_git_ref(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    bare = snapshot_repository(tmp_path)
    tagged = git("--git-dir", bare, "rev-parse", f"{TAG}^{{commit}}").strip()
    address = f"git::file://{bare}//modules/platform?ref={TAG}"

    workdir = example_by_git_ref(tmp_path / "consumer", address, emulator.url)
    by_git = plan_example(core, workdir, "git address")

    # The module came from the tag, not from a path.
    modules = fetched_modules(workdir)
    assert "platform" in modules, modules
    assert modules["platform"]["Source"] == address, modules["platform"]
    package = (workdir / modules["platform"]["Dir"]).resolve()
    assert package.is_relative_to((workdir / ".terraform" / "modules").resolve()), modules["platform"]
    assert package.parts[-2:] == ("modules", "platform"), package
    checkout = package.parent.parent
    head = git("-C", checkout, "rev-parse", "HEAD").strip()
    assert head == tagged, f"{checkout} is at {head}, the tag {TAG} at {tagged}"
    for name in ("main.tf", "variables.tf", "outputs.tf"):
        assert (package / name).read_text() == git("--git-dir", bare, "show", f"{TAG}:modules/platform/{name}"), name
    # Its sibling modules (../network, ...) resolve inside the fetched package.
    nested = {key: m for key, m in modules.items() if key.startswith("platform.")}
    assert {"platform.network", "platform.eks", "platform.data_tier", "platform.registry"} <= set(nested), modules
    for key, entry in nested.items():
        directory = (workdir / entry["Dir"]).resolve()
        assert directory.is_relative_to(checkout), f"{key} was not taken from the fetched package: {entry}"

    # The same plan as with the local path.
    local = Example(id=str(EXAMPLE), path=EXAMPLE).prepare(tmp_path / "local", emulator.url)
    by_path = plan_example(core, local, "local path")
    assert by_git, "the plan covers no resources"
    assert set(by_git) == set(by_path), (
        f"only by git: {sorted(set(by_git) - set(by_path))}; only by path: {sorted(set(by_path) - set(by_git))}"
    )
    for address_, change in by_git.items():
        assert change == by_path[address_], f"{address_} plans differently by git than by path"
    # A first plan: everything is to be made (data sources read), nothing exists yet.
    actions = {tuple(change["actions"]) for change in by_git.values()}
    assert ("create",) in actions and actions <= {("create",), ("read",)}, actions
    assert_emulator_empty(emulator)


def test_snapshot_is_the_work_tree(tmp_path: Path) -> None:
    own_head = git("-C", REPO_ROOT, "rev-parse", "HEAD").strip()
    own_tags = git("-C", REPO_ROOT, "tag", "--list")
    bare = snapshot_repository(tmp_path)
    tagged = set(git("--git-dir", bare, "ls-tree", "-r", "--name-only", TAG).splitlines())
    assert tagged == set(work_tree_files()), "the tag does not hold the work tree's files"
    assert "modules/platform/main.tf" in tagged and "examples/production/2-platform/main.tf" in tagged
    # What git ignores never goes in (the cores' caches, local state, tfvars).
    ignored = git("-C", REPO_ROOT, "ls-files", "--others", "--ignored", "--exclude-standard", "--directory").split()
    assert not {p for p in tagged for i in ignored if p == i or p.startswith(i.rstrip("/") + "/")}, ignored
    assert git("-C", REPO_ROOT, "rev-parse", "HEAD").strip() == own_head
    assert git("-C", REPO_ROOT, "tag", "--list") == own_tags
