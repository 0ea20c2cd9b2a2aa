"""The modules' own tests: ``tofu test`` of modules/<name>/tests/*.tftest.hcl.

Those files mock the provider (``mock_provider "ode"``), so they need no AWS and
create nothing; they check the module's HCL: ``command = plan`` runs that the variables
reach the resource's arguments and the outputs come from the resource, and
``expect_failures`` runs that every variable validation rejects a bad value. The core
still loads the provider from the test mirror (for its schema and its config checks).

* ``test_module_tests``: copies the HCL tree, ``tofu init``, ``tofu test``; exit code 0
  and every ``run`` block of the files reported as passed, by name, with the summary's
  count equal to the number of run blocks (an empty or skipped file is a failure, not
  a pass as tofu itself has it).
* ``test_every_validation_is_exercised``: each ``expect_failures`` run again, alone and
  without ``expect_failures``: it must fail with exactly one error, from a validation
  of the variable it names; together the runs must hit every ``validation`` block of
  the module (``expect_failures`` alone cannot tell which rule fired).
* ``test_broken_module_tests_fail``: the harness can fail: a wrong assertion, a bad
  value the module accepts, and a test file without runs.
* ``test_terraform_1_5_does_not_run_module_tests``: why the tests above run on
  OpenTofu only. ``.tftest.hcl`` files came with Terraform 1.6 (``mock_provider`` with
  1.7). Terraform 1.5.7's ``terraform test`` is the earlier experiment: it looks for
  ``tests/<suite>/*.tf`` only, prints "No tests defined" and exits 0 without running
  anything, so a green ``terraform test`` there would test nothing. That is asserted,
  not skipped.
* ``test_module_release_files``: the release conventions of every module: the core
  and provider constraints, a Keep a Changelog CHANGELOG.md with Unreleased and 0.1.0,
  a README.md for every example.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import hcl2
import pytest
from hcl2.utils import SerializationOptions

from tests.modules.layout import REPO_ROOT, copy_hcl_tree, core_version, module_dirs
from tests.support.core import Core, Result
from tests.support.mirror import PROVIDER_SOURCE

pytestmark = pytest.mark.e2e

MODULE_DIRS = module_dirs()

# Where `tofu test` looks by default, besides the module's own folder.
TEST_DIR = "tests"
# Where the single-run copies of the rejection runs go (inside the copied module).
REJECTIONS_DIR = "tests-rejections"

_FILE_LINE = re.compile(r"^(\S+\.tftest\.hcl)\.\.\. (\w+)$", re.M)
_RUN_LINE = re.compile(r'^  run "([^"]+)"\.\.\. (\w+)$', re.M)
_SUMMARY = re.compile(r"^(Success|Failure)! (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\.$", re.M)
# A top-level run block of a formatted file, up to its closing brace in column 0.
_RUN_BLOCK = re.compile(r'^run "(?P<name>[^"]+)" \{\n.*?^\}\n', re.M | re.S)
_EXPECT_FAILURES = re.compile(r"^  expect_failures = \[.*?\]\n", re.M | re.S)
_VARIABLE_BLOCK = re.compile(r'^variable "(\w+)" \{$')
_VALIDATION_BLOCK = re.compile(r"^\s+validation \{$")
_CHECKED_BY = re.compile(r"checked by the validation rule at (\S+?):(\d+),")
_VAR_REF = re.compile(r"^\$\{var\.(\w+)\}$")
# As scripts/gen_module_docs.py reads HCL: no comments, blocks as plain lists.
_HCL = SerializationOptions(with_comments=False, explicit_blocks=False, preserve_heredocs=False)


def load_hcl(path: Path) -> dict:
    return hcl2.loads(path.read_text(), serialization_options=_HCL)


# -- what the files hold -------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    file: str  # relative to the module, as tofu prints it: tests/plan.tftest.hcl
    name: str
    expect_failures: tuple[str, ...]  # variable names


def tftest_files(module: Path) -> list[Path]:
    """The .tftest.hcl files `tofu test` runs in ``module`` (its folder and tests/)."""
    return sorted(module.glob("*.tftest.hcl")) + sorted((module / TEST_DIR).glob("*.tftest.hcl"))


def run_blocks(module: Path) -> dict[str, list[Run]]:
    """{file: its run blocks in order}, parsed with python-hcl2 (not by tofu)."""
    found: dict[str, list[Run]] = {}
    for path in tftest_files(module):
        parsed = load_hcl(path)
        rel = str(path.relative_to(module))
        runs = []
        for block in parsed.get("run", []):
            for label, body in block.items():
                refs = []
                for ref in body.get("expect_failures", []):
                    match = _VAR_REF.match(ref)
                    assert match, f"{rel}: run {label}: expect_failures lists {ref!r}, not a variable"
                    refs.append(match.group(1))
                runs.append(Run(rel, label.strip('"'), tuple(refs)))
        found[rel] = runs
    return found


def validation_blocks(module: Path) -> dict[tuple[str, int], str]:
    """{(file, line of `validation {`): variable} for every variable validation."""
    found = {}
    for path in sorted(module.glob("*.tf")):
        variable = None
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            start = _VARIABLE_BLOCK.match(line)
            if start:
                variable = start.group(1)
            elif line == "}":
                variable = None
            elif variable and _VALIDATION_BLOCK.match(line):
                found[(path.name, number)] = variable
    return found


# -- what tofu reported ---------------------------------------------------------------------


@dataclass
class Report:
    files: dict[str, str]  # file -> pass/fail/skip
    runs: dict[tuple[str, str], str]  # (file, run) -> pass/fail/skip
    summary: tuple[str, int, int, int] | None  # (Success/Failure, passed, failed, skipped)


def parse_report(stdout: str) -> Report:
    files: dict[str, str] = {}
    runs: dict[tuple[str, str], str] = {}
    current = None
    for line in stdout.splitlines():
        file_match = _FILE_LINE.match(line)
        if file_match:
            current = file_match.group(1)
            files[current] = file_match.group(2)
            continue
        run_match = _RUN_LINE.match(line)
        if run_match and current is not None:
            runs[(current, run_match.group(1))] = run_match.group(2)
    summary = None
    found = _SUMMARY.findall(stdout)
    if found:
        word, passed, failed, skipped = found[-1]
        summary = (word, int(passed), int(failed), int(skipped or 0))
    return Report(files, runs, summary)


def assert_all_runs_passed(result: Result, expected: dict[str, list[Run]]) -> None:
    """Exit code 0, and every run block of every file reported as passed, nothing else.

    tofu itself passes a file without run blocks; here every file needs at least one.
    """
    assert expected, "no .tftest.hcl files"
    empty = [f for f, runs in expected.items() if not runs]
    assert not empty, f"test files without run blocks: {empty}\n{result.describe()}"
    assert result.returncode == 0, result.describe()
    report = parse_report(result.stdout)
    total = sum(len(runs) for runs in expected.values())
    assert report.summary == ("Success", total, 0, 0), (
        f"expected 'Success! {total} passed, 0 failed.' for {total} run blocks, "
        f"got {report.summary}\n{result.describe()}"
    )
    assert report.files == {f: "pass" for f in expected}, result.describe()
    wanted = {(run.file, run.name): "pass" for runs in expected.values() for run in runs}
    assert report.runs == wanted, result.describe()


# -- running ---------------------------------------------------------------------------------


def copied_module(module: Path, tmp_path: Path) -> Path:
    """The module in a copy of the HCL tree (nothing is written into the repository)."""
    tree = copy_hcl_tree(tmp_path / "tree")
    return tree / module.relative_to(REPO_ROOT)


def tofu_test(core: Core, workdir: Path, *args: str) -> Result:
    core.init(workdir)
    return core.run(workdir, "test", "-no-color", *args, check=False)


@pytest.mark.cores("tofu")
@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_module_tests(core: Core, module: Path, tmp_path: Path) -> None:
    expected = run_blocks(module)
    assert any(f.startswith(f"{TEST_DIR}/") for f in expected), f"{module.name} has no {TEST_DIR}/*.tftest.hcl"
    result = tofu_test(core, copied_module(module, tmp_path))
    assert_all_runs_passed(result, expected)


def rejection_files(module: Path, workdir: Path) -> dict[str, Run]:
    """Each expect_failures run of ``module`` as a file of its own in ``workdir``, with
    the other runs and its expect_failures removed: {file as tofu names it: run}."""
    target = workdir / REJECTIONS_DIR
    target.mkdir()
    written = {}
    for rel, runs in run_blocks(module).items():
        text = (module / rel).read_text()
        blocks = {m.group("name"): m.group(0) for m in _RUN_BLOCK.finditer(text)}
        assert set(blocks) == {r.name for r in runs}, f"{rel}: run blocks not formatted as expected"
        bare = _RUN_BLOCK.sub("", text)
        for run in runs:
            if not run.expect_failures:
                continue
            block, count = _EXPECT_FAILURES.subn("", blocks[run.name])
            assert count == 1, f"{rel}: run {run.name}: expect_failures not found"
            name = f"{Path(rel).stem.removesuffix('.tftest')}-{run.name}.tftest.hcl"
            (target / name).write_text(bare.rstrip("\n") + "\n\n" + block)
            written[f"{REJECTIONS_DIR}/{name}"] = run
    return written


@pytest.mark.cores("tofu")
@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_every_validation_is_exercised(core: Core, module: Path, tmp_path: Path) -> None:
    validations = validation_blocks(module)
    assert validations, f"{module.name} has no variable validations"
    workdir = copied_module(module, tmp_path)
    runs = rejection_files(module, workdir)
    assert runs, f"{module.name} has no expect_failures runs"
    result = tofu_test(core, workdir, "-json", f"-test-directory={REJECTIONS_DIR}")
    assert result.returncode == 1, f"every run should fail without expect_failures\n{result.describe()}"

    statuses: dict[str, str] = {}
    errors: dict[str, list[dict]] = {file: [] for file in runs}
    for line in result.stdout.splitlines():
        event = json.loads(line)
        if event.get("type") == "test_run":
            statuses[event["test_run"]["path"]] = event["test_run"]["status"]
        elif event.get("type") == "diagnostic" and event["diagnostic"]["severity"] == "error":
            assert event.get("@testfile") in errors, f"an error outside the runs: {line}"
            errors[event["@testfile"]].append(event["diagnostic"])

    covered: dict[tuple[str, int], str] = {}
    problems = []
    for file, run in runs.items():
        where = f"{run.file}: run {run.name}"
        if statuses.get(file) not in ("fail", "error"):
            problems.append(f"{where}: status {statuses.get(file)} without expect_failures (the value is accepted)")
            continue
        if len(errors[file]) != 1:
            details = [e["summary"] for e in errors[file]]
            problems.append(f"{where}: expected exactly one error, got {details}")
            continue
        diagnostic = errors[file][0]
        checked = _CHECKED_BY.search(diagnostic.get("detail", ""))
        if diagnostic["summary"] != "Invalid value for variable" or not checked:
            problems.append(f"{where}: not a variable validation: {diagnostic['summary']}: {diagnostic.get('detail')}")
            continue
        location = (checked.group(1), int(checked.group(2)))
        variable = validations.get(location)
        if variable not in run.expect_failures:
            problems.append(f"{where}: failed the validation of {variable} at {location}, expected {run.expect_failures}")
            continue
        covered[location] = run.name
    missing = {f"{file}:{line} (var.{validations[(file, line)]})" for file, line in validations} - {
        f"{file}:{line} (var.{validations[(file, line)]})" for file, line in covered
    }
    problems += [f"validation at {m} is not exercised by any expect_failures run" for m in sorted(missing)]
    assert not problems, "\n".join(problems) + "\n" + result.describe()


# -- the harness can fail ---------------------------------------------------------------------

BROKEN = {
    "wrong_assertion": (
        """mock_provider "ode" {}

run "wrong_bucket" {
  command = plan

  assert {
    condition     = ode_state_backend.this[0].bucket == "not-the-bucket"
    error_message = "Deliberately wrong."
  }
}
""",
        "Test assertion failed",
    ),
    "accepted_value_expected_to_fail": (
        """mock_provider "ode" {}

run "valid_project" {
  command = plan

  variables {
    project = "valid"
  }

  expect_failures = [var.project]
}
""",
        "Missing expected failure",
    ),
    "file_without_runs": ('mock_provider "ode" {}\n', None),
}


@pytest.mark.cores("tofu")
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_module_tests_fail(core: Core, case: str, tmp_path: Path) -> None:
    module = REPO_ROOT / "modules/state-backend"
    workdir = copied_module(module, tmp_path)
    text, message = BROKEN[case]
    (workdir / TEST_DIR / "zz_broken.tftest.hcl").write_text(text)
    result = tofu_test(core, workdir)
    if message is None:
        # tofu passes a file without runs; the harness must not.
        assert result.returncode == 0, result.describe()
    else:
        assert result.returncode == 1, result.describe()
        assert message in result.output, result.describe()
    with pytest.raises(AssertionError):
        assert_all_runs_passed(result, run_blocks(workdir))


# -- Terraform 1.5 -------------------------------------------------------------------------------


@pytest.mark.cores("terraform")
@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_terraform_1_5_does_not_run_module_tests(core: Core, module: Path, tmp_path: Path) -> None:
    """Terraform 1.5.7 runs none of the .tftest.hcl runs, and says so (exit 0, no tests)."""
    version = core_version(core.binary)
    assert version < (1, 6), (
        f"terraform {version} has .tftest.hcl tests (mock_provider from 1.7): run test_module_tests on it too"
    )
    assert run_blocks(module), f"{module.name} has no .tftest.hcl files"
    result = tofu_test(core, copied_module(module, tmp_path))
    assert "No tests defined" in result.output, result.describe()
    assert not re.search(r"\d+ passed", result.output), result.describe()
    assert "experimental" in result.output, result.describe()


# -- release conventions -------------------------------------------------------------------------


@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda p: p.name)
def test_module_release_files(module: Path) -> None:
    versions = load_hcl(module / "versions.tf")["terraform"][0]
    assert versions["required_version"] == '">= 1.5"', versions
    ode = versions["required_providers"][0]["ode"]
    assert ode == {"source": f'"{PROVIDER_SOURCE}"', "version": '"~> 0.1"'}, ode

    changelog = (module / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog\n"), "CHANGELOG.md should start with '# Changelog'"
    assert "keepachangelog.com" in changelog and "semver.org" in changelog
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert headings[:1] == ["Unreleased"] and "0.1.0" in headings, headings

    examples = sorted(p for p in (module / "examples").iterdir() if p.is_dir())
    assert examples, f"{module.name} has no examples"
    for example in examples:
        readme = example / "README.md"
        assert readme.is_file(), f"{example.relative_to(REPO_ROOT)} has no README.md"
        assert re.search(r"^```sh$", readme.read_text(), re.M), f"{readme} does not say how to run it"
