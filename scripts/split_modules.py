#!/usr/bin/env python3
"""Split the module library into one publishable tree per module.

The public registry publishes a module from a repository of its own, named
``terraform-<provider>-<name>``, with the module at the repository's root. This script
makes that tree for every module of modules/ (or the ones named):

    <out>/terraform-ode-<name>/
        main.tf variables.tf outputs.tf versions.tf (and the module's other files)
        README.md      usage by the registry address ode/<name>/ode, tables regenerated
        CHANGELOG.md   with a section for the release
        LICENSE        when the repository has one
        .gitignore     what a core leaves behind
        examples/<x>/  calling the module by source = "../../"
        tests/         the module's tofu tests, when they still work in the tree
        modules/<dep>/ every sibling module it calls, vendored as a nested submodule

Local ``source`` paths are rewritten so that the tree is self-contained: a call of a
sibling (``../network`` in the platform module, ``../../../network`` in the data tier's
example) points at its vendored copy; the examples' ``../../`` stays the tree's root.
A path that would still point outside the tree is an error (module code) or drops the
file with the reason printed (tests). Relative Markdown links that leave the tree point
at the module's registry page (a sibling module) or at this repository on GitHub at the
release tag.

Versions come from the modules' Keep a Changelog files. Without ``--version`` a tree is
the module's newest released version; pending Unreleased entries stay under
Unreleased and are reported. ``--version X.Y.Z`` releases the Unreleased entries as
X.Y.Z (dated today) in the tree, or takes a CHANGELOG that already has X.Y.Z; record
the release in the repository too. ``--git`` commits each tree in a git repository of
its own and tags it vX.Y.Z, ready to push to github.com/<org>/terraform-ode-<name>.

    python scripts/split_modules.py --out DIR [--version X.Y.Z] [--git] [module ...]

Nothing is written unless every tree can be made: trees are built in a staging folder
under DIR and moved into place at the end; an existing tree is never overwritten.
Needs python-hcl2 (the tests' venv) to regenerate the README tables, as
scripts/gen_module_docs.py does. tests/modules/test_split_modules.py checks the trees.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES = REPO_ROOT / "modules"

# The registry address of a module is <namespace>/<name>/<provider>.
NAMESPACE = "ode"
PROVIDER = "ode"
TREE_PREFIX = f"terraform-{PROVIDER}-"
REGISTRY_PAGE = "https://registry.terraform.io/modules/{namespace}/{name}/{provider}"

# What the registry's standard module structure needs at the root of a tree.
ROOT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md", "CHANGELOG.md")
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING")
# Never copied: what a core or a local run leaves behind.
IGNORED = (".terraform", ".terraform.lock.hcl", "*.tfstate", "*.tfstate.*", "terraform.tfvars", "tfplan", "*.tfplan")
# A vendored module is its code only: its examples and tests are its own tree's.
NOT_VENDORED = ("examples", "tests")
GITIGNORE = ".terraform/\n.terraform.lock.hcl\n*.tfstate\n*.tfstate.*\nterraform.tfvars\n"

HCL_SUFFIXES = (".tf", ".tftest.hcl")
# A local module source as `tofu fmt` writes it: `source = "./x"` or `source = "../x"`.
_LOCAL_SOURCE = re.compile(r'^(?P<lead>[ \t]*source[ \t]*=[ \t]*)"(?P<path>\.{1,2}/[^"]*)"', re.M)
# Any other path literal of HCL that starts with ../, or ${path.module}/../
_PATH_LITERAL = re.compile(r'"(?:\$\{path\.module\}/)?(?P<path>\.\./[^"$]*)')
# An inline Markdown link or image: ](target) or ](target "title").
_MD_LINK = re.compile(r'\]\((?P<target>[^)\s]+)(?P<title>\s+"[^"]*")?\)')
_MD_FENCE = re.compile(r"^[ \t]*```[ \t]*(?P<info>[\w+-]*)")
_HCL_FENCES = ("hcl", "terraform", "tf")
_SEMVER = re.compile(r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
_CHANGELOG_SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\](?P<rest>.*)$", re.M)


class SplitError(Exception):
    """A module cannot be split as it is; the message names the module and the file."""


@dataclass
class Tree:
    """One publishable tree in the making."""

    name: str
    version: str
    root: Path  # where it is built (in the staging folder)
    # Repository path of a module folder -> its folder in the tree ("." for the module).
    placements: dict[PurePosixPath, PurePosixPath] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def dirname(self) -> str:
        return f"{TREE_PREFIX}{self.name}"

    @property
    def vendored(self) -> list[str]:
        return sorted(repo.name for repo, placed in self.placements.items() if placed != PurePosixPath("."))

    def to_tree(self, repo_path: PurePosixPath) -> PurePosixPath | None:
        """Where a repository path is in the tree, or None when the tree lacks it."""
        for repo_dir, placed in self.placements.items():
            if repo_path == repo_dir or repo_dir in repo_path.parents:
                rest = repo_path.relative_to(repo_dir)
                if placed != PurePosixPath(".") and rest.parts and rest.parts[0] in NOT_VENDORED:
                    return None
                candidate = PurePosixPath(posixpath.normpath(placed / rest))
                return candidate if (self.root / candidate).exists() else None
        return None

    def from_tree(self, tree_path: PurePosixPath) -> PurePosixPath:
        """The repository path a file of the tree was copied from."""
        for repo_dir, placed in self.placements.items():
            if placed != PurePosixPath(".") and (tree_path == placed or placed in tree_path.parents):
                return repo_dir / tree_path.relative_to(placed)
        root = next(repo for repo, placed in self.placements.items() if placed == PurePosixPath("."))
        return root / tree_path


# -- paths ------------------------------------------------------------------------------


def repo_relative(path: Path) -> PurePosixPath:
    return PurePosixPath(path.relative_to(REPO_ROOT).as_posix())


def resolve(from_dir: PurePosixPath, relative: str) -> PurePosixPath | None:
    """``relative`` seen from ``from_dir`` as a repository path; None when it leaves the repository."""
    joined = posixpath.normpath(posixpath.join(str(from_dir), relative))
    if joined == ".." or joined.startswith("../"):
        return None
    return PurePosixPath(joined)


def relative_path(target: PurePosixPath, from_dir: PurePosixPath, local_source: bool) -> str:
    """``target`` relative to ``from_dir``; a local module source starts with ./ or ../
    and a path made of ../ only ends with a slash (``../../``)."""
    rel = posixpath.relpath(str(target), str(from_dir))
    if rel == ".":
        return "./"
    if all(part == ".." for part in rel.split("/")):
        return rel + "/"
    if local_source and not rel.startswith("../"):
        return "./" + rel
    return rel


def library_modules() -> list[str]:
    """The modules of modules/: folders with .tf files."""
    return sorted(p.name for p in MODULES.iterdir() if p.is_dir() and any(p.glob("*.tf")))


def ignored(names: list[str]) -> set[str]:
    found: set[str] = set()
    for pattern in IGNORED:
        found.update(fnmatch.filter(names, pattern))
    return found


def hcl_files(folder: Path, top_only: bool = False) -> list[Path]:
    paths = folder.glob("*") if top_only else folder.rglob("*")
    return sorted(
        p
        for p in paths
        if p.is_file() and p.name.endswith(HCL_SUFFIXES) and not ignored(list(p.relative_to(folder).parts))
    )


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def repository_url() -> str:
    """This repository's address (Cargo.toml's workspace.package.repository)."""
    manifest = tomllib.loads((REPO_ROOT / "Cargo.toml").read_text())
    try:
        return manifest["workspace"]["package"]["repository"].rstrip("/")
    except KeyError as error:
        raise SplitError("Cargo.toml names no workspace.package.repository: links out of a tree need it") from error


# -- versions -------------------------------------------------------------------------------


def version_constraint(version: str) -> str:
    """The constraint a README's usage shows: minor releases of 1.x and later, patch
    releases only of 0.x (where a minor release may break)."""
    match = _SEMVER.match(version)
    assert match, version
    major, minor = int(match["major"]), int(match["minor"])
    return f"~> {major}.{minor}" if major else f"~> 0.{minor}.0"


def changelog_sections(text: str) -> list[tuple[str, int, int]]:
    """(version, start, end) of every ``## [version]`` section, in order."""
    matches = list(_CHANGELOG_SECTION.finditer(text))
    return [
        (m["version"], m.start(), matches[i + 1].start() if i + 1 < len(matches) else len(text))
        for i, m in enumerate(matches)
    ]


def unreleased_entries(text: str) -> bool:
    for version, start, end in changelog_sections(text):
        if version == "Unreleased":
            body = text[start:end].split("\n", 1)[1] if "\n" in text[start:end] else ""
            return bool(body.strip())
    return False


def released_versions(text: str) -> list[str]:
    return [v for v, _, _ in changelog_sections(text) if _SEMVER.match(v)]


def release_changelog(name: str, text: str, version: str | None, today: str) -> tuple[str, str, list[str]]:
    """The tree's CHANGELOG.md text, the tree's version and notes for the summary."""
    where = f"modules/{name}/CHANGELOG.md"
    released = released_versions(text)
    pending = unreleased_entries(text)
    if version is None:
        if not released:
            raise SplitError(f"{where} has no released version: pass --version to release its Unreleased entries")
        kept = "CHANGELOG: Unreleased entries kept as Unreleased (pass --version to release them)"
        notes = [kept] if pending else []
        return text, released[0], notes
    if version in released:
        if pending:
            raise SplitError(
                f"{where}: {version} is released already, but Unreleased has entries since: "
                f"choose the next version for --version"
            )
        return text, version, []
    if not pending:
        raise SplitError(f"{where}: no [{version}] section and no Unreleased entries to release as {version}")
    if released and _version_key(version) <= _version_key(released[0]):
        raise SplitError(f"{where}: --version {version} is not newer than the released {released[0]}")
    heading = re.compile(r"^## \[Unreleased\][^\n]*$", re.M)
    stamped = heading.sub(f"## [Unreleased]\n\n## [{version}] - {today}", text, count=1)
    return stamped, version, [f"CHANGELOG: Unreleased entries released as {version} - {today}; record that in {where}"]


def _version_key(version: str) -> tuple[int, int, int, int]:
    match = _SEMVER.match(version)
    assert match, version
    # A pre-release sorts before its release.
    return int(match["major"]), int(match["minor"]), int(match["patch"]), 0 if "-" in version else 1


# -- making a tree ---------------------------------------------------------------------------


def source_base(path: PurePosixPath) -> PurePosixPath:
    """The folder a local source of the file at ``path`` is relative to: its own for
    .tf files; for a tofu test file, the module it tests (tofu runs tests/*.tftest.hcl
    and *.tftest.hcl from the module's folder, and resolves their sources there)."""
    if path.name.endswith(".tftest.hcl") and path.parent.name == "tests":
        return path.parent.parent
    return path.parent


def is_test_file(path: PurePosixPath) -> bool:
    return path.name.endswith(".tftest.hcl")


def local_sources(path: Path) -> list[tuple[str, int]]:
    text = path.read_text()
    return [(m["path"], line_of(text, m.start())) for m in _LOCAL_SOURCE.finditer(text)]


def place_dependencies(tree: Tree, module_dir: Path, modules: set[str]) -> None:
    """Vendor every library module the tree's HCL calls by a path outside it, and the
    modules those call, each as modules/<name>."""
    pending = hcl_files(module_dir)
    while pending:
        path = pending.pop(0)
        rel = repo_relative(path)
        for source, line in local_sources(path):
            target = resolve(source_base(rel), source)
            where = f"{rel}:{line}: source {source!r}"
            if target is not None and any(target == d or d in target.parents for d in tree.placements):
                continue
            vendorable = target is not None and target.parent == PurePosixPath("modules") and target.name in modules
            if not vendorable:
                if is_test_file(rel):
                    continue  # rewrite_sources drops the file, saying why
                if target is None:
                    raise SplitError(f"{where} leaves the repository")
                raise SplitError(f"{where} points at {target}, which is no module of modules/: it cannot be vendored")
            nested = PurePosixPath("modules") / target.name
            if (module_dir / nested).exists():
                raise SplitError(f"{where}: modules/{target.name} of the tree is taken by the module's own folder")
            tree.placements[target] = nested
            pending += hcl_files(REPO_ROOT / target, top_only=True)


def copy_into_tree(tree: Tree) -> None:
    for repo_dir, placed in tree.placements.items():
        vendored = placed != PurePosixPath(".")

        def skip(folder: str, names: list[str], top: str = str(REPO_ROOT / repo_dir)) -> set[str]:
            found = ignored(names)
            if vendored and folder == top:
                found.update(n for n in names if n in NOT_VENDORED)
            return found

        shutil.copytree(REPO_ROOT / repo_dir, tree.root / placed, ignore=skip, dirs_exist_ok=True)


def tree_files(tree: Tree, suffixes: tuple[str, ...]) -> list[PurePosixPath]:
    return sorted(
        PurePosixPath(p.relative_to(tree.root).as_posix())
        for p in tree.root.rglob("*")
        if p.is_file() and p.name.endswith(suffixes)
    )


def rewrite_sources(tree: Tree) -> None:
    """Point every local source at its place in the tree; drop test files that would
    still reach outside it, and refuse module code that would."""
    for tree_path in tree_files(tree, HCL_SUFFIXES):
        file = tree.root / tree_path
        origin = tree.from_tree(tree_path)
        text = file.read_text()

        def rewrite(match: re.Match[str]) -> str:
            target = resolve(source_base(origin), match["path"])
            placed = tree.to_tree(target) if target is not None else None
            if placed is None:
                raise SplitError(
                    f"{origin}:{line_of(text, match.start())}: source {match['path']!r} has no place in {tree.dirname}"
                )
            return f'{match["lead"]}"{relative_path(placed, source_base(tree_path), local_source=True)}"'

        try:
            # Other path literals (files read with ${path.module}/../...) must stay inside too.
            others = _LOCAL_SOURCE.sub(lambda m: f'{m["lead"]}""', text)
            for literal in _PATH_LITERAL.finditer(others):
                target = resolve(origin.parent, literal["path"])
                if target is None or tree.to_tree(target) is None:
                    where = f"{origin}:{line_of(others, literal.start())}"
                    raise SplitError(f"{where}: the path {literal['path']!r} is outside {tree.dirname}")
            text = _LOCAL_SOURCE.sub(rewrite, text)
        except SplitError as error:
            if is_test_file(tree_path):
                file.unlink()
                tree.notes.append(f"dropped {tree_path}: {error}")
                continue
            raise
        file.write_text(text)


def rewrite_markdown(tree: Tree, repo_url: str) -> None:
    """Links that leave the tree point at the registry or the repository at the tag;
    usage snippets call modules by their registry address."""
    constraint = version_constraint(tree.version)
    modules = set(library_modules())
    ref = f"v{tree.version}"
    for tree_path in tree_files(tree, (".md",)):
        origin = tree.from_tree(tree_path)

        def link(match: re.Match[str]) -> str:
            target, title = match["target"], match["title"] or ""
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
                return match.group(0)
            path, _, anchor = target.partition("#")
            anchor = f"#{anchor}" if anchor else ""
            repo_path = resolve(origin.parent, path)
            if repo_path is None:
                raise SplitError(f"{origin}: the link {target!r} leaves the repository")
            placed = tree.to_tree(repo_path)
            if placed is not None:
                new = relative_path(placed, tree_path.parent, local_source=False)
            elif repo_path.parent == PurePosixPath("modules") and repo_path.name in modules:
                new = REGISTRY_PAGE.format(namespace=NAMESPACE, name=repo_path.name, provider=PROVIDER)
            elif (REPO_ROOT / repo_path).exists():
                kind = "tree" if (REPO_ROOT / repo_path).is_dir() else "blob"
                new = f"{repo_url}/{kind}/{ref}/{repo_path}"
            else:
                raise SplitError(f"{origin}: the link {target!r} points at {repo_path}, which does not exist")
            return f"]({new}{anchor}{title})"

        out: list[str] = []
        fence: str | None = None
        for line in (tree.root / tree_path).read_text().split("\n"):
            opened = _MD_FENCE.match(line)
            if opened:
                fence = None if fence is not None else opened["info"].lower()
                out.append(line)
            elif fence is None:
                out.append(_MD_LINK.sub(link, line))
            elif fence in _HCL_FENCES:
                out.extend(_registry_source(line, out, modules, constraint))
            else:
                out.append(line)
        (tree.root / tree_path).write_text("\n".join(out))


def _registry_source(line: str, out: list[str], modules: set[str], constraint: str) -> list[str]:
    """A usage snippet's ``source = "../../modules/<name>"`` as the registry address
    with a version constraint; the comment right above it (about the path) goes."""
    match = _LOCAL_SOURCE.match(line)
    if not match:
        return [line]
    name = PurePosixPath(match["path"].rstrip("/")).name
    if name not in modules:
        return [line]
    while out and out[-1].strip().startswith("#"):
        out.pop()
    indent = match["lead"][: len(match["lead"]) - len(match["lead"].lstrip())]
    return [
        f'{indent}source  = "{NAMESPACE}/{name}/{PROVIDER}"',
        f'{indent}version = "{constraint}"',
    ]


def regenerate_tables(tree: Tree) -> None:
    """The README tables of the tree's modules, from their rewritten HCL."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import gen_module_docs
    except ImportError as error:
        raise SplitError(f"{error}: run this script with the tests' venv (python-hcl2)") from error
    for placed in tree.placements.values():
        folder = tree.root / placed
        readme = folder / "README.md"
        if readme.is_file():
            try:
                readme.write_text(gen_module_docs.render_readme(folder, readme.read_text()))
            except gen_module_docs.ModuleDocsError as error:
                raise SplitError(str(error)) from error


def check_tree(tree: Tree) -> None:
    """Every local source of the tree names a module folder inside it."""
    for tree_path in tree_files(tree, HCL_SUFFIXES):
        text = (tree.root / tree_path).read_text()
        for match in _LOCAL_SOURCE.finditer(text):
            target = resolve(source_base(tree_path), match["path"])
            folder = tree.root / target if target is not None else None
            if folder is None or not folder.is_dir() or not any(folder.glob("*.tf")):
                raise SplitError(f"{tree.dirname}/{tree_path}: source {match['path']!r} is no module of the tree")


def split_module(name: str, staging: Path, version: str | None, repo_url: str, today: str) -> Tree:
    module_dir = MODULES / name
    missing = [f for f in ROOT_FILES if not (module_dir / f).is_file()]
    if missing:
        raise SplitError(f"modules/{name} lacks {', '.join(missing)}: the registry's module layout needs them")
    changelog, tree_version, notes = release_changelog(name, (module_dir / "CHANGELOG.md").read_text(), version, today)
    tree = Tree(name, tree_version, staging / f"{TREE_PREFIX}{name}", notes=notes)
    tree.placements[repo_relative(module_dir)] = PurePosixPath(".")
    place_dependencies(tree, module_dir, set(library_modules()))
    copy_into_tree(tree)
    (tree.root / "CHANGELOG.md").write_text(changelog)
    rewrite_sources(tree)
    rewrite_markdown(tree, repo_url)
    regenerate_tables(tree)
    licence = next((REPO_ROOT / n for n in LICENSE_NAMES if (REPO_ROOT / n).is_file()), None)
    if licence is not None:
        shutil.copy(licence, tree.root / licence.name)
    else:
        tree.notes.append("no LICENSE: the repository has none to copy")
    (tree.root / ".gitignore").write_text(GITIGNORE)
    if not any((tree.root / "examples").glob("*/*.tf")):
        raise SplitError(f"modules/{name} has no examples/<name>/ with HCL: the registry shows none")
    check_tree(tree)
    return tree


def commit_and_tag(tree: Tree) -> None:
    """A git repository in the tree: one commit of everything, tagged v<version>."""
    if any("Unreleased entries kept" in note for note in tree.notes):
        raise SplitError(f"{tree.dirname}: --git tags a release, but Unreleased has entries: pass --version")

    def git(*args: str) -> None:
        proc = subprocess.run(["git", "-C", str(tree.root), *args], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SplitError(f"{tree.dirname}: git {' '.join(args)} failed: {proc.stderr.strip()}")

    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git("commit", "--quiet", "-m", f"{tree.dirname} {tree.version}")
    git("tag", "-a", f"v{tree.version}", "-m", f"{tree.dirname} {tree.version}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder the trees are written into (created)")
    parser.add_argument("--version", help="the release's version X.Y.Z (default: each module's newest released)")
    parser.add_argument("--git", action="store_true", help="commit each tree in its own git repository, tagged vX.Y.Z")
    parser.add_argument("modules", nargs="*", help="module names (default: every module of modules/)")
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"split_modules: {message}", file=sys.stderr)
        return 2

    if args.version is not None and not _SEMVER.match(args.version):
        return fail(f"--version {args.version!r} is not a version X.Y.Z (semantic versioning, no leading v)")
    known = library_modules()
    unknown = [m for m in args.modules if m not in known]
    if unknown:
        return fail(f"no module {', '.join(unknown)} in modules/ (there are {', '.join(known)})")
    names = args.modules or known
    out = args.out.resolve()
    if out.exists() and not out.is_dir():
        return fail(f"--out {args.out} is a file, not a folder")
    taken = [f"{TREE_PREFIX}{n}" for n in names if (out / f"{TREE_PREFIX}{n}").exists()]
    if taken:
        return fail(f"--out {args.out} already holds {', '.join(taken)}: remove them or choose another folder")

    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".split-", dir=out))
    today = datetime.date.today().isoformat()
    try:
        repo_url = repository_url()
        trees = [split_module(name, staging, args.version, repo_url, today) for name in names]
        if args.git:
            for tree in trees:
                commit_and_tag(tree)
        for tree in trees:
            os.replace(tree.root, out / tree.dirname)
    except SplitError as error:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            out.rmdir()
        return fail(str(error))
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    for tree in trees:
        examples = sorted(p.parent.name for p in (out / tree.dirname / "examples").glob("*/*.tf"))
        vendored = ", ".join(tree.vendored) or "none"
        print(
            f"{tree.dirname} {tree.version}: {NAMESPACE}/{tree.name}/{PROVIDER}; "
            f"examples {', '.join(dict.fromkeys(examples))}; vendored modules: {vendored}"
        )
        for note in tree.notes:
            print(f"  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
