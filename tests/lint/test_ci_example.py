"""The CI pipeline offered to the platform's users (examples/ci/github-actions), and the
pre-release compile check of the provider's own CI.

Scenarios:

* ``test_actionlint``: actionlint finds nothing in any workflow of the example
  (``ci_example_actionlint``); ``test_actionlint_catches_a_broken_workflow`` shows that a
  broken copy does fail.
* ``test_structure``: the example's workflows, read with PyYAML and run on paper for a
  pull request (from the repository and from a fork) and a push to main (job ``if:``
  expressions evaluated, ``needs`` followed): a pull request is checked and planned with
  ``plan -out``, the plan lands in the job summary, a pull request comment and an
  artifact, and nothing applies; a push to main applies the saved plan of its own run
  in the ``production`` environment under a concurrency group that never cancels and
  never overlaps; every job that reaches AWS has ``id-token: write`` and a role from a
  repository variable, and no long-lived AWS key appears anywhere; actions are pinned by
  version tag. ``test_structure_checks_can_fail`` breaks the workflow one way at a time
  and expects the matching complaint.
* ``test_tflint_config``: the shipped .tflint.hcl loads, passes
  examples/production/2-platform, and fails an undocumented variable.
* ``test_provider_mirror_script``: ode-provider-mirror.sh, given a fake ``gh`` that
  serves a release, builds a mirror each core installs ``ode/ode`` from; a zip that does
  not match SHA256SUMS is refused before anything is configured.
* ``test_pipeline_runs`` (e2e, each core as ``TF_CORE``): the workflow's own steps run
  on this machine against the emulator, the actions played by local stand-ins: an unset
  or wrong repository variable stops its job before AWS is asked, naming it; a pull
  request is checked, planned with the plan role into the summary, the comment file and
  the ``tfplan`` artifact (plan, lock file, text) and creates nothing; a push to main
  plans and applies that saved plan with the deploy role (state in S3, no lock left);
  a push with nothing to change skips the apply; of two plans made from one state, the
  later one applies and the earlier one is refused as stale.
* ``test_release_targets_checked_on_pull_requests``: .github/workflows/ci-rust.yml runs
  ``cargo check --locked --target`` on every pull request for exactly the targets (on
  the runners, with the toolchain) that release.yml builds.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from tests.modules.layout import TFLINT
from tests.support.core import CORE_BINARIES, Core
from tests.support.emulator import EmulatorClient
from tests.support.examples import provider_settings
from tests.support.tools import ACTIONLINT

pytestmark = pytest.mark.lint

REPO_ROOT = Path(__file__).resolve().parents[2]
CI_EXAMPLE = REPO_ROOT / "examples" / "ci" / "github-actions"
WORKFLOWS = sorted(p for p in CI_EXAMPLE.rglob("*.y*ml") if p.is_file())
MIRROR_SCRIPT = CI_EXAMPLE / "ode-provider-mirror.sh"
TFLINT_CONFIG = CI_EXAMPLE / ".tflint.hcl"
RELEASE_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "release.yml"
CI_RUST_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci-rust.yml"

# The environment whose reviewers gate every apply, and the branch that deploys.
ENVIRONMENT = "production"
MAIN = "main"


# -- GitHub expressions ----------------------------------------------------------------------

_EXPR_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!()<>\[\],.])|(?P<name>[A-Za-z_][\w-]*))"
)
_STATUS_FUNCTIONS = ("success", "always", "failure", "cancelled")


class Expression:
    """Evaluates the part of GitHub's expression language workflows use: literals,
    context paths (``github.event.pull_request.number``), ``!``, ``==``, ``!=``,
    ``&&`` / ``||`` (which yield an operand, as in GitHub), parentheses and the functions
    success, always, failure, cancelled, contains, startsWith, endsWith and format.
    A property that is not there is null; anything else unknown is an error."""

    def __init__(self, contexts: dict[str, Any], needs_succeeded: bool = True):
        self.contexts = contexts
        self.needs_succeeded = needs_succeeded

    def evaluate(self, text: str) -> Any:
        self.tokens = self._tokenize(text)
        self.pos = 0
        value = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos][1]!r} in expression {text!r}")
        return value

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            match = _EXPR_TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise ValueError(f"cannot read expression {text!r} at {text[pos:]!r}")
            kind = match.lastgroup
            assert kind is not None
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ValueError("expression ends too early")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, found {token[1]!r}")
        self.pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._comparison()
        while self._peek() == "&&":
            self._take()
            right = self._comparison()
            value = right if truthy(value) else value
        return value

    def _comparison(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            equal = loosely_equal(value, right)
            value = equal if op == "==" else not equal
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._postfix()

    def _postfix(self) -> Any:
        value = self._primary()
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                value = member(value, self._take()[1])
            else:
                key = self._or()
                self._take("]")
                value = member(value, key)
        return value

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind != "name":
            raise ValueError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            return self._call(text)
        if text not in self.contexts:
            raise ValueError(f"unknown context {text!r}")
        return self.contexts[text]

    def _call(self, name: str) -> Any:
        self._take("(")
        args = []
        while self._peek() != ")":
            args.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take(")")
        lowered = name.lower()
        if lowered == "success":
            return self.needs_succeeded
        if lowered == "always":
            return True
        if lowered in ("failure", "cancelled"):
            return False
        if lowered == "contains":
            haystack, needle = args
            if isinstance(haystack, list):
                return any(loosely_equal(item, needle) for item in haystack)
            return as_string(needle).lower() in as_string(haystack).lower()
        if lowered == "startswith":
            return as_string(args[0]).lower().startswith(as_string(args[1]).lower())
        if lowered == "endswith":
            return as_string(args[0]).lower().endswith(as_string(args[1]).lower())
        if lowered == "format":
            text = as_string(args[0])
            for index, arg in enumerate(args[1:]):
                text = text.replace("{" + str(index) + "}", as_string(arg))
            return text
        raise ValueError(f"function {name}() is not supported by this evaluator")


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and not (isinstance(value, float) and value != value)


def as_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return float("nan")


def loosely_equal(left: Any, right: Any) -> bool:
    """GitHub's ``==``: strings ignore case; values of different types compare as numbers."""
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right) and not isinstance(left, (int, float)):
        return left == right
    # null is 0, '' is 0, true is 1, other strings are parsed; NaN equals nothing.
    return as_number(left) == as_number(right)


def member(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        lowered = {str(k).lower(): v for k, v in value.items()}
        return lowered.get(str(key).lower())
    if isinstance(value, list) and isinstance(key, (int, float)) and 0 <= int(key) < len(value):
        return value[int(key)]
    return None


_INTERPOLATION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def interpolate(value: Any, contexts: dict[str, Any]) -> Any:
    """A workflow value with its ``${{ }}`` evaluated: the raw result when the value is
    one expression, else the text with each expression's string form."""
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = _INTERPOLATION.fullmatch(value.strip())
    if whole:
        return Expression(contexts).evaluate(whole.group(1))
    return _INTERPOLATION.sub(lambda m: as_string(Expression(contexts).evaluate(m.group(1))), value)


def condition(value: Any, contexts: dict[str, Any], needs_succeeded: bool) -> bool:
    """Whether an ``if:`` holds; without a status function GitHub adds ``success() &&``."""
    if value is None:
        return needs_succeeded
    if isinstance(value, bool):
        return value and needs_succeeded
    text = str(value).strip()
    whole = _INTERPOLATION.fullmatch(text)
    if whole:
        text = whole.group(1)
    result = truthy(Expression(contexts, needs_succeeded).evaluate(text))
    if not re.search(r"\b(" + "|".join(_STATUS_FUNCTIONS) + r")\s*\(", text):
        result = result and needs_succeeded
    return result


# -- a workflow on paper -----------------------------------------------------------------------

REPOSITORY = "octo-org/platform"


def pull_request(head_repository: str = REPOSITORY, number: int = 7) -> dict[str, Any]:
    return {
        "event_name": "pull_request",
        "ref": f"refs/pull/{number}/merge",
        "ref_name": f"{number}/merge",
        "head_ref": "feature",
        "base_ref": MAIN,
        "repository": REPOSITORY,
        "sha": "1" * 40,
        "run_id": "1001",
        "token": "***",
        "workspace": "/home/runner/work/platform/platform",
        "event": {"pull_request": {"number": number, "head": {"repo": {"full_name": head_repository}}}},
    }


def push(branch: str = MAIN, sha: str = "2" * 40, run_id: str = "1002") -> dict[str, Any]:
    return {
        "event_name": "push",
        "ref": f"refs/heads/{branch}",
        "ref_name": branch,
        "head_ref": "",
        "base_ref": "",
        "repository": REPOSITORY,
        "sha": sha,
        "run_id": run_id,
        "token": "***",
        "workspace": "/home/runner/work/platform/platform",
        "event": {"ref": f"refs/heads/{branch}"},
    }


def load_workflow(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict), f"{path} is not a YAML mapping"
    return doc


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``on:`` mapping (YAML 1.1 reads the key ``on`` as True)."""
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {name: None for name in on}
    return dict(on or {})


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Run:
    """One workflow run on paper: which jobs and steps run for ``github``."""

    def __init__(self, doc: dict[str, Any], github: dict[str, Any], variables: dict[str, str] | None = None,
                 outputs: dict[str, dict[str, str]] | None = None):
        self.doc = doc
        self.github = github
        self.vars = dict(variables or {})
        self.jobs: dict[str, dict[str, Any]] = doc.get("jobs") or {}
        self.base = {
            "github": github,
            "vars": self.vars,
            "secrets": {},
            "inputs": {},
            "runner": {"os": "Linux", "temp": "/tmp"},
        }
        self.env = self._env(doc.get("env") or {}, {})
        self.ran: dict[str, bool] = {}
        self.outputs = outputs or {}
        for name in self._order():
            self.ran[name] = self._job_runs(name)

    def _env(self, block: dict[str, Any], inherited: dict[str, Any]) -> dict[str, Any]:
        env = dict(inherited)
        for key, value in block.items():
            env[key] = as_string(interpolate(value, {**self.base, "env": env}))
        return env

    def _order(self) -> list[str]:
        done: list[str] = []

        def visit(name: str, seen: tuple[str, ...]) -> None:
            if name in done:
                return
            if name in seen:
                raise ValueError(f"jobs depend on each other in a cycle: {' -> '.join(seen + (name,))}")
            for need in as_list(self.jobs[name].get("needs")):
                if need not in self.jobs:
                    raise ValueError(f"job {name} needs {need}, which does not exist")
                visit(need, seen + (name,))
            done.append(name)

        for name in self.jobs:
            visit(name, ())
        return done

    def needs_context(self, name: str) -> dict[str, Any]:
        needs = {}
        for need in as_list(self.jobs[name].get("needs")):
            declared = self.jobs[need].get("outputs") or {}
            # Unless the caller says otherwise, every output holds "true": the run on
            # paper takes the branch where the plan found changes.
            values = self.outputs.get(need, {key: "true" for key in declared})
            needs[need] = {"result": "success" if self.ran[need] else "skipped", "outputs": values}
        return needs

    def contexts(self, name: str) -> dict[str, Any]:
        return {
            **self.base,
            "env": self.job_env(name),
            "needs": self.needs_context(name),
            "matrix": {},
            "steps": {},
            "strategy": {},
            "job": {},
        }

    def _job_runs(self, name: str) -> bool:
        job = self.jobs[name]
        needs_ok = all(self.ran[need] for need in as_list(job.get("needs")))
        contexts = {**self.base, "env": self.env, "needs": self.needs_context(name)}
        return condition(job.get("if"), contexts, needs_ok)

    def job_env(self, name: str) -> dict[str, Any]:
        return self._env(self.jobs[name].get("env") or {}, self.env)

    def running(self) -> list[str]:
        return [name for name, ran in self.ran.items() if ran]

    def steps(self, name: str) -> list[dict[str, Any]]:
        """The steps of job ``name`` whose ``if:`` holds (earlier steps taken to succeed)."""
        contexts = self.contexts(name)
        return [step for step in self.jobs[name].get("steps") or [] if condition(step.get("if"), contexts, True)]

    def permissions(self, name: str) -> dict[str, str]:
        """The job's effective GITHUB_TOKEN permissions (its own block, else the workflow's)."""
        value = self.jobs[name].get("permissions", self.doc.get("permissions"))
        return effective_permissions(value)

    def environment(self, name: str) -> str | None:
        value = self.jobs[name].get("environment")
        if isinstance(value, dict):
            value = value.get("name")
        return None if value is None else as_string(interpolate(value, self.contexts(name)))

    def concurrency(self, name: str) -> list[tuple[str, bool]]:
        """(group, cancel-in-progress) of the workflow and of the job, evaluated."""
        found = []
        for level, block in (("workflow", self.doc.get("concurrency")), ("job", self.jobs[name].get("concurrency"))):
            if block is None:
                continue
            contexts = self.contexts(name) if level == "job" else {**self.base, "env": self.env}
            if isinstance(block, str):
                block = {"group": block}
            group = as_string(interpolate(block.get("group"), contexts))
            cancel = truthy(interpolate(block.get("cancel-in-progress", False), contexts))
            found.append((group, cancel))
        return found


def effective_permissions(value: Any) -> dict[str, str]:
    if value is None or value == "write-all":
        # GitHub's default for a workflow without permissions may be write on everything.
        return {"*": "write"}
    if value == "read-all":
        return {"*": "read"}
    return {str(k): str(v) for k, v in (value or {}).items()}


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0].lower() == action.lower()


_CORE_COMMAND = re.compile(r'^\s*(?:"\$\{?TF\}?"|\$\{?TF\}?|tofu|terraform)\s+(?P<sub>[a-z]+)(?P<args>.*)$')


def core_commands(step: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The core commands (``"$TF" plan ...``, ``tofu apply ...``) of a run step:
    (subcommand, its arguments up to the first ``||``, ``&&``, ``;`` or ``|``)."""
    script = str(step.get("run") or "").replace("\\\n", " ")
    found = []
    for line in script.splitlines():
        match = _CORE_COMMAND.match(line)
        if not match:
            continue
        args = re.split(r"\s(?:\|\||&&|;|\|)\s", match.group("args") + " ")[0]
        found.append((match.group("sub"), shlex.split(args)))
    return found


def job_core_commands(run: Run, name: str) -> list[tuple[str, list[str]]]:
    return [command for step in run.steps(name) for command in core_commands(step)]


def expand(text: str, env: dict[str, Any]) -> str:
    """``$NAME`` and ``${NAME}`` replaced from ``env`` (the workflow's static values)."""
    return re.sub(r"\$\{?(\w+)\}?", lambda m: as_string(env.get(m.group(1), m.group(0))), text)


def plan_files(run: Run, name: str) -> list[str]:
    """The files job ``name`` saves plans to (``plan -out=FILE``)."""
    env = run.job_env(name)
    files = []
    for sub, args in job_core_commands(run, name):
        if sub != "plan":
            continue
        for index, arg in enumerate(args):
            if arg.startswith("-out="):
                files.append(expand(arg[len("-out=") :], env))
            elif arg == "-out" and index + 1 < len(args):
                files.append(expand(args[index + 1], env))
    return files


def artifact_steps(run: Run, name: str, action: str) -> list[dict[str, Any]]:
    contexts = run.contexts(name)
    found = []
    for step in run.steps(name):
        if uses(step, action):
            found.append({k: interpolate(v, contexts) for k, v in (step.get("with") or {}).items()})
    return found


def aws_role_steps(run: Run, name: str) -> list[dict[str, Any]]:
    return [step for step in run.steps(name) if uses(step, "aws-actions/configure-aws-credentials")]


def transitive_needs(run: Run, name: str) -> set[str]:
    found: set[str] = set()
    for need in as_list(run.jobs[name].get("needs")):
        found |= {need} | transitive_needs(run, need)
    return found


# Inputs, variables and key shapes of long-lived AWS credentials.
LONG_LIVED_KEYS = re.compile(
    r"aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY"
    r"|AWS_SESSION_TOKEN|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    re.I,
)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(?:v\d+(?:\.\d+){0,2}|[0-9a-f]{40})$")


def workflow_problems(doc: dict[str, Any]) -> list[str]:
    """Everything wrong with a user-facing plan/apply workflow (empty: nothing)."""
    problems: list[str] = []
    on = triggers(doc)
    if "pull_request" not in on:
        problems.append("trigger: no pull_request trigger (pull requests must be planned)")
    if "pull_request_target" in on:
        problems.append("trigger: pull_request_target runs a fork's changes with the repository's rights")
    push_trigger = on.get("push") or {}
    if "push" not in on or as_list(push_trigger.get("branches")) != [MAIN]:
        problems.append(f"trigger: push must be limited to branches [{MAIN}]")

    if not isinstance(doc.get("permissions"), dict):
        problems.append("permissions: the workflow must set a permissions block (no default token rights)")
    elif any(v == "write" for v in effective_permissions(doc["permissions"]).values()):
        problems.append("permissions: the workflow-level block grants write; grant it per job")

    text = yaml.safe_dump(doc)
    for match in sorted({m.group(0) for m in LONG_LIVED_KEYS.finditer(text)}):
        problems.append(f"credentials: long-lived AWS key material referenced ({match}); use OIDC")

    for job_name, job in (doc.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            ref = str(step.get("uses", ""))
            if ref and not ref.startswith(("./", "docker://")) and not PINNED.match(ref):
                problems.append(f"pinning: {job_name} uses {ref!r}: pin actions by version tag (or commit)")

    try:
        runs = {
            "pull request": Run(doc, pull_request()),
            "fork pull request": Run(doc, pull_request(head_repository="someone/platform")),
            "push to main": Run(doc, push()),
        }
    except ValueError as error:
        return problems + [f"expressions: {error}"]
    pr, fork, main = runs["pull request"], runs["fork pull request"], runs["push to main"]

    # Every job that reaches AWS, on every event: OIDC and a role from a variable.
    for label, run in runs.items():
        for name in run.running():
            roles = aws_role_steps(run, name)
            perms = run.permissions(name)
            for step in roles:
                role = str((step.get("with") or {}).get("role-to-assume", ""))
                if not re.fullmatch(r"\$\{\{\s*vars\.\w+\s*\}\}", role):
                    problems.append(f"oidc: {name} must take role-to-assume from a repository variable, not {role!r}")
            if roles and perms.get("id-token", perms.get("*")) != "write":
                problems.append(f"oidc: {name} assumes an AWS role without `id-token: write` ({label})")
            if perms.get("contents") == "write" or perms.get("*") == "write":
                problems.append(f"permissions: {name} may write repository contents ({label})")
            if perms.get("pull-requests") == "write" and perms.get("id-token") == "write":
                problems.append(f"permissions: {name} holds both pull-requests: write and id-token: write")

    # A pull request: checked, planned to a file, shown, kept; never applied.
    pr_jobs = pr.running()
    planning = [name for name in pr_jobs if plan_files(pr, name)]
    if not planning:
        problems.append("pull request: no job runs `plan -out=<file>`")
    if not any(sub == "validate" for name in pr_jobs for sub, _ in job_core_commands(pr, name)):
        problems.append("pull request: no job runs validate")
    if not any(sub == "fmt" and "-check" in args for name in pr_jobs for sub, args in job_core_commands(pr, name)):
        problems.append("pull request: no job runs fmt -check")
    if not any("tflint" in str(step.get("run", "")) for name in pr_jobs for step in pr.steps(name)):
        problems.append("pull request: no job runs tflint")
    for name in pr_jobs:
        if any(sub == "apply" for sub, _ in job_core_commands(pr, name)):
            problems.append(f"pull request: job {name} runs apply")
        if pr.environment(name):
            problems.append(f"pull request: job {name} runs in environment {pr.environment(name)!r}")
    for name in planning:
        saved = plan_files(pr, name)
        uploads = artifact_steps(pr, name, "actions/upload-artifact")
        if not any(any(str(p).strip().endswith("/" + f) or str(p).strip() == f for f in saved
                       for p in str(u.get("path", "")).splitlines()) for u in uploads):
            problems.append(f"pull request: {name} does not upload its saved plan as an artifact")
        if not any("GITHUB_STEP_SUMMARY" in str(step.get("run", "")) for step in pr.steps(name)):
            problems.append(f"pull request: {name} does not write the plan into the job summary")
    commenting = [
        name for name in pr_jobs
        if any(uses(s, "actions/github-script") or "gh pr comment" in str(s.get("run", "")) for s in pr.steps(name))
    ]
    if not commenting:
        problems.append("pull request: nothing posts the plan as a pull request comment")
    for name in commenting:
        if pr.permissions(name).get("pull-requests") != "write":
            problems.append(f"pull request: {name} comments without pull-requests: write")
    for name in fork.running():
        if aws_role_steps(fork, name):
            problems.append(f"fork pull request: {name} would ask for AWS credentials GitHub does not give forks")

    # Only pull request jobs may write to pull requests.
    for name in main.running():
        if main.permissions(name).get("pull-requests") == "write":
            problems.append(f"push to main: {name} holds pull-requests: write, which only the pull request needs")

    # A push to main: the saved plan of this run, applied in the environment, one at a time.
    appliers = [name for name in main.running() if any(sub == "apply" for sub, _ in job_core_commands(main, name))]
    if not appliers:
        problems.append("push to main: no job applies")
    deploy_roles = set()
    for name in appliers:
        env = main.job_env(name)
        deploy_roles |= {str(s["with"].get("role-to-assume")) for s in aws_role_steps(main, name)}
        if main.environment(name) != ENVIRONMENT:
            problems.append(f"apply: {name} must run in the {ENVIRONMENT!r} environment (its reviewers approve)")
        if plan_files(main, name) or any(sub == "plan" for sub, _ in job_core_commands(main, name)):
            problems.append(f"apply: {name} makes a plan of its own instead of applying the saved one")
        planners = [need for need in transitive_needs(main, name) if main.ran.get(need) and plan_files(main, need)]
        if not planners:
            problems.append(f"apply: {name} does not depend on a job that saves a plan")
        saved = {f for need in planners for f in plan_files(main, need)}
        uploaded = {
            str(u.get("name")) for need in planners for u in artifact_steps(main, need, "actions/upload-artifact")
            if any(str(p).strip().endswith(tuple(saved)) for p in str(u.get("path", "")).splitlines())
        }
        downloaded = {str(d.get("name")) for d in artifact_steps(main, name, "actions/download-artifact")}
        if not uploaded & downloaded:
            problems.append(f"apply: {name} does not download the artifact holding the saved plan")
        for sub, args in job_core_commands(main, name):
            if sub != "apply":
                continue
            positional = [expand(a, env) for a in args if not a.startswith("-")]
            if not positional or positional[-1] not in saved:
                problems.append(f"apply: {name} runs `apply {' '.join(args)}`, not the saved plan {sorted(saved)}")
            if "-auto-approve" in args and not positional:
                problems.append(f"apply: {name} applies a fresh plan with -auto-approve")
        # Two runs on main (different commits) must share a group that does not cancel.
        later = Run(doc, push(sha="3" * 40, run_id="1003"))
        serialised = [
            first for first, second in zip(main.concurrency(name), later.concurrency(name))
            if first[0] == second[0] and not first[1] and not second[1]
        ]
        if not serialised:
            problems.append(f"apply: {name} has no concurrency group that keeps two applies apart without cancelling")
        if not aws_role_steps(main, name):
            problems.append(f"apply: {name} gets no AWS role")
    for name in pr_jobs:
        for step in aws_role_steps(pr, name):
            if str(step["with"].get("role-to-assume")) in deploy_roles:
                problems.append(f"pull request: {name} assumes the deploy role")

    # init: without a backend where nothing is planned, else with the backend config.
    for label, run in (("pull request", pr), ("push to main", main)):
        for name in run.running():
            reaches_aws = bool(aws_role_steps(run, name))
            for sub, args in job_core_commands(run, name):
                if sub != "init":
                    continue
                if reaches_aws and not any(a.startswith("-backend-config") for a in args):
                    problems.append(f"backend: {name} runs init without -backend-config ({label})")
                if not reaches_aws and "-backend=false" not in args:
                    problems.append(f"backend: {name} initialises a backend without AWS credentials ({label})")
    return sorted(set(problems))


# -- actionlint --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def actionlint() -> Path:
    if not os.access(ACTIONLINT, os.X_OK):
        pytest.fail(
            f"actionlint is not installed at {ACTIONLINT}: run `make tools` (scripts/install-tools.sh)",
            pytrace=False,
        )
    return ACTIONLINT


def run_actionlint(actionlint: Path, workflow: Path) -> subprocess.CompletedProcess:
    # shellcheck and pyflakes off, as in tests/lint/test_workflows.py: whether they run
    # would otherwise depend on what the machine has on PATH.
    return subprocess.run(
        [str(actionlint), "-no-color", "-shellcheck=", "-pyflakes=", str(workflow)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_workflows_exist() -> None:
    assert WORKFLOWS, f"no workflow under {CI_EXAMPLE.relative_to(REPO_ROOT)}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: str(p.relative_to(CI_EXAMPLE)))
def test_actionlint(actionlint: Path, workflow: Path) -> None:
    result = run_actionlint(actionlint, workflow.relative_to(REPO_ROOT))
    assert result.returncode == 0, f"actionlint found problems:\n{result.stdout}{result.stderr}"


def test_actionlint_catches_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    """A copy with a job that needs a missing job and an unknown context fails."""
    text = WORKFLOWS[0].read_text()
    broken = text.replace("needs: plan\n", "needs: plann\n", 1)
    broken = broken.replace("${{ vars.TF_STATE_BUCKET }}", "${{ var.TF_STATE_BUCKET }}", 1)
    assert broken != text
    path = tmp_path / WORKFLOWS[0].name
    path.write_text(broken)
    result = run_actionlint(actionlint, path)
    assert result.returncode != 0, f"actionlint accepted a broken workflow:\n{result.stdout}"
    assert "plann" in result.stdout and "var" in result.stdout, result.stdout


# -- structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: str(p.relative_to(CI_EXAMPLE)))
def test_structure(workflow: Path) -> None:
    problems = workflow_problems(load_workflow(workflow))
    assert not problems, f"{workflow.relative_to(REPO_ROOT)}:\n" + "\n".join(problems)


def _job_with(doc: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    jobs = [job for job in doc["jobs"].values() if predicate(job)]
    assert jobs, "the workflow has no such job"
    return jobs[0]


def _applier(doc: dict[str, Any]) -> dict[str, Any]:
    return _job_with(doc, lambda j: any(sub == "apply" for s in j.get("steps", []) for sub, _ in core_commands(s)))


def _planner(doc: dict[str, Any]) -> dict[str, Any]:
    return _job_with(doc, lambda j: any(sub == "plan" for s in j.get("steps", []) for sub, _ in core_commands(s)))


def _step(job: dict[str, Any], predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(step for step in job["steps"] if predicate(step))


def _apply_on_pull_requests(doc: dict[str, Any]) -> None:
    _applier(doc)["if"] = "github.ref == 'refs/heads/main' || github.event_name == 'pull_request'"


def _no_environment(doc: dict[str, Any]) -> None:
    del _applier(doc)["environment"]


def _no_id_token(doc: dict[str, Any]) -> None:
    _planner(doc)["permissions"].pop("id-token")


def _static_keys(doc: dict[str, Any]) -> None:
    step = _step(_planner(doc), lambda s: uses(s, "aws-actions/configure-aws-credentials"))
    step["with"] = {
        "aws-access-key-id": "${{ secrets.KEY_ID }}",
        "aws-secret-access-key": "${{ secrets.KEY }}",
        "aws-region": "us-east-1",
    }


def _fresh_plan_applied(doc: dict[str, Any]) -> None:
    step = _step(_applier(doc), lambda s: any(sub == "apply" for sub, _ in core_commands(s)))
    step["run"] = '"$TF" apply -auto-approve -no-color\n'


def _applies_without_the_artifact(doc: dict[str, Any]) -> None:
    applier = _applier(doc)
    applier["steps"] = [s for s in applier["steps"] if not uses(s, "actions/download-artifact")]


def _cancelling_concurrency(doc: dict[str, Any]) -> None:
    doc["concurrency"]["cancel-in-progress"] = True
    _applier(doc)["concurrency"]["cancel-in-progress"] = True


def _plan_without_out(doc: dict[str, Any]) -> None:
    step = _step(_planner(doc), lambda s: any(sub == "plan" for sub, _ in core_commands(s)))
    step["run"] = str(step["run"]).replace('-out="$PLAN_FILE"', "")


def _unpinned_action(doc: dict[str, Any]) -> None:
    step = _step(_planner(doc), lambda s: uses(s, "aws-actions/configure-aws-credentials"))
    step["uses"] = "aws-actions/configure-aws-credentials@main"


def _broad_token(doc: dict[str, Any]) -> None:
    doc["permissions"] = "write-all"


def _push_everywhere(doc: dict[str, Any]) -> None:
    triggers(doc)  # the key is True in PyYAML's reading
    on = doc.get("on", doc.get(True))
    on["push"] = {"branches": ["**"]}


def _init_without_backend_config(doc: dict[str, Any]) -> None:
    step = _step(_applier(doc), lambda s: any(sub == "init" for sub, _ in core_commands(s)))
    step["run"] = '"$TF" init\n'


BREAKAGES = {
    "apply on pull requests": (_apply_on_pull_requests, "pull request: job"),
    "apply outside the environment": (_no_environment, "environment"),
    "no id-token": (_no_id_token, "id-token: write"),
    "static AWS keys": (_static_keys, "long-lived AWS key"),
    "apply of a fresh plan": (_fresh_plan_applied, "not the saved plan"),
    "apply without the artifact": (_applies_without_the_artifact, "does not download"),
    "cancelling concurrency": (_cancelling_concurrency, "concurrency group"),
    "plan without -out": (_plan_without_out, "plan -out"),
    "unpinned action": (_unpinned_action, "pin actions"),
    "write-all token": (_broad_token, "permissions"),
    "push on every branch": (_push_everywhere, "push"),
    "init without backend config": (_init_without_backend_config, "-backend-config"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES), ids=lambda b: b.replace(" ", "_"))
def test_structure_checks_can_fail(breakage: str) -> None:
    """Each way of breaking the example's workflow is reported."""
    doc = load_workflow(CI_EXAMPLE / "platform.yml")
    assert workflow_problems(doc) == []
    broken = copy.deepcopy(doc)
    mutate, expected = BREAKAGES[breakage]
    mutate(broken)
    problems = workflow_problems(broken)
    assert any(expected in p for p in problems), f"{breakage}: expected a problem with {expected!r}, got {problems}"


def test_expression_evaluator() -> None:
    contexts = {"github": pull_request(), "vars": {}, "needs": {"plan": {"outputs": {"changes": "false"}}}}
    evaluate = Expression(contexts).evaluate
    assert evaluate("github.event.pull_request.number || 'main'") == 7
    assert Expression({**contexts, "github": push()}).evaluate("github.event.pull_request.number || 'main'") == "main"
    assert evaluate("github.event_name == 'PULL_REQUEST' && !(needs.plan.outputs.changes == 'true')") is True
    assert evaluate("vars.TF_CORE || 'tofu'") == "tofu"
    assert evaluate("vars.ODE_PROVIDER_REPO != ''") is False  # unset is null, which equals ''
    assert evaluate("null == 0 && 'abc' != 0") is True
    assert evaluate("format('{0}-{1}', 'a', github.event.pull_request.number)") == "a-7"
    assert condition("always()", contexts, needs_succeeded=False) is True
    assert condition("github.event_name == 'pull_request'", contexts, needs_succeeded=False) is False
    with pytest.raises(ValueError):
        evaluate("secretz.X")


# -- the files beside the workflow ---------------------------------------------------------------


def test_tflint_config(tmp_path: Path) -> None:
    """The shipped .tflint.hcl loads offline, passes the production example, and fails
    an undocumented, untyped variable."""
    if not os.access(TFLINT, os.X_OK):
        pytest.fail(
            f"tflint is not installed at {TFLINT}: run `make tools` (scripts/install-hcl-tools.sh)", pytrace=False
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_", "TFLINT_"))}
    env.update(TFLINT_PLUGIN_DIR=str(tmp_path / "plugins"), HOME=str(tmp_path), GITHUB_TOKEN="")
    argv = [str(TFLINT), f"--config={TFLINT_CONFIG}", "--format=compact", "--no-color"]
    example = REPO_ROOT / "examples/production/2-platform"
    good = subprocess.run(argv, cwd=example, env=env, capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, f"tflint with {TFLINT_CONFIG.name}:\n{good.stdout}{good.stderr}"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "main.tf").write_text(
        'terraform {\n  required_version = ">= 1.5.0"\n}\n\n'
        'variable "Region" {}\n\noutput "region" {\n  value = var.Region\n}\n'
    )
    found = subprocess.run(argv, cwd=bad, env=env, capture_output=True, text=True, timeout=120)
    assert found.returncode != 0, found.stdout
    rules = (
        "terraform_documented_variables",
        "terraform_typed_variables",
        "terraform_documented_outputs",
        "terraform_naming_convention",
    )
    for rule in rules:
        assert rule in found.stdout, f"{rule} did not fire:\n{found.stdout}{found.stderr}"


FAKE_GH = """#!/usr/bin/env bash
# Serves `gh release download TAG --repo R --dir D [--clobber] --pattern P...` from $FAKE_RELEASES/TAG.
set -euo pipefail
[ "$1 $2" = "release download" ] || { echo "fake gh: unexpected $*" >&2; exit 2; }
tag=$3; shift 3; dir=""; patterns=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=$2; shift ;;
    --pattern) patterns+=("$2"); shift ;;
    --repo) [ "$2" = "$EXPECTED_REPO" ] || { echo "fake gh: wrong repo $2" >&2; exit 2; }; shift ;;
  esac
  shift
done
mkdir -p "$dir"
for p in "${patterns[@]}"; do cp "$FAKE_RELEASES/$tag/$p" "$dir/"; done
"""


def _fake_release(root: Path, version: str) -> Path:
    """A release folder holding a linux_amd64 zip of a stand-in provider and its SHA256SUMS.
    (init only unpacks and hashes the package; it never runs it.)"""
    release = root / f"v{version}"
    release.mkdir(parents=True)
    archive = release / f"terraform-provider-ode_{version}_linux_amd64.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo(f"terraform-provider-ode_v{version}")
        info.external_attr = 0o755 << 16
        zf.writestr(info, "#!/bin/sh\necho 'a stand-in provider' >&2\nexit 1\n")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    (release / f"terraform-provider-ode_{version}_SHA256SUMS").write_text(f"{digest}  {archive.name}\n")
    return archive


@pytest.mark.parametrize("core_name", list(CORE_BINARIES))
def test_provider_mirror_script(core_name: str, tmp_path: Path) -> None:
    binary = CORE_BINARIES[core_name]
    if not os.access(binary, os.X_OK):
        pytest.fail(
            f"{core_name} is not installed at {binary}: run `make tools` (scripts/install-tools.sh)", pytrace=False
        )
    version = "0.1.0"
    archive = _fake_release(tmp_path / "releases", version)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    github_env = runner_temp / "github_env"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AWS_", "GITHUB_", "ODE_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        FAKE_RELEASES=str(tmp_path / "releases"),
        EXPECTED_REPO="octo-org/terraform-provider-ode",
        ODE_PROVIDER_REPO="octo-org/terraform-provider-ode",
        ODE_PROVIDER_VERSION=version,
        RUNNER_TEMP=str(runner_temp),
        GITHUB_ENV=str(github_env),
        CHECKPOINT_DISABLE="1",
    )

    def mirror() -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(MIRROR_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)

    done = mirror()
    assert done.returncode == 0, f"{done.stdout}{done.stderr}"
    settings = dict(line.split("=", 1) for line in github_env.read_text().splitlines())
    config = Path(settings["TF_CLI_CONFIG_FILE"])
    assert config.is_file(), settings
    workdir = tmp_path / "root"
    workdir.mkdir()
    (workdir / "main.tf").write_text(
        'terraform {\n  required_providers {\n    ode = {\n      source  = "registry.terraform.io/ode/ode"\n'
        '      version = "~> 0.1"\n    }\n  }\n}\n'
    )
    init = subprocess.run(
        [str(binary), "init", "-backend=false", "-input=false", "-no-color"],
        cwd=workdir, env={**env, "TF_CLI_CONFIG_FILE": str(config)}, capture_output=True, text=True, timeout=120,
    )
    assert init.returncode == 0, f"{init.stdout}{init.stderr}"
    assert re.search(r"Installed (registry\.terraform\.io/)?ode/ode v0\.1\.0", init.stdout), init.stdout
    installed = (
        workdir / ".terraform/providers/registry.terraform.io/ode/ode/0.1.0/linux_amd64"
        / "terraform-provider-ode_v0.1.0"
    )
    assert "a stand-in provider" in installed.read_text(), "the core did not install the release's package"
    lock = (workdir / ".terraform.lock.hcl").read_text()
    assert 'provider "registry.terraform.io/ode/ode"' in lock and 'version     = "0.1.0"' in lock, lock

    # A package that is not the one SHA256SUMS names is refused, and nothing is configured.
    github_env.unlink()
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("extra", "tampered")
    refused = mirror()
    assert refused.returncode != 0, f"a tampered zip was accepted:\n{refused.stdout}{refused.stderr}"
    assert "FAILED" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert not github_env.exists(), github_env.read_text()

    # A missing version is named.
    env.pop("ODE_PROVIDER_VERSION")
    missing = mirror()
    assert missing.returncode != 0 and "ODE_PROVIDER_VERSION" in missing.stderr, missing.stderr


# -- the provider's own CI: every release target compiles on every pull request ------------------


def release_target_problems(release: dict[str, Any], ci: dict[str, Any]) -> list[str]:
    build = release["jobs"]["build"]
    wanted = {(i["target"], i["runner"]) for i in build["strategy"]["matrix"]["include"]}
    toolchain = str((release.get("env") or {}).get("RUST_TOOLCHAIN"))
    problems = []
    if "pull_request" not in triggers(ci):
        return ["ci-rust.yml does not run on pull requests"]
    run = Run(ci, pull_request())
    checking = [
        name for name, job in ci["jobs"].items()
        if any(re.search(r"cargo check .*--target", str(s.get("run", ""))) for s in job.get("steps") or [])
    ]
    if not checking:
        return ["no job runs `cargo check --target`"]
    for name in checking:
        job = ci["jobs"][name]
        if not run.ran[name]:
            problems.append(f"{name} does not run on pull requests")
        include = ((job.get("strategy") or {}).get("matrix") or {}).get("include") or []
        have = {(i.get("target"), i.get("runner")) for i in include}
        if have != wanted:
            problems.append(f"{name} checks {sorted(have)}, release.yml builds {sorted(wanted)}")
        if "${{ matrix.runner }}" not in str(job.get("runs-on")):
            problems.append(f"{name} does not run on each target's release runner")
        if str((job.get("env") or {}).get("RUST_TOOLCHAIN")) != toolchain:
            problems.append(f"{name} uses another toolchain than release.yml ({toolchain})")
        scripts = "\n".join(str(s.get("run", "")) for s in job.get("steps") or [])
        if "rustup target add" not in scripts:
            problems.append(f"{name} does not add the target with rustup")
        check = next(line for line in scripts.splitlines() if "cargo check" in line)
        if "--locked" not in check:
            problems.append(f"{name}: cargo check without --locked")
    return problems


def test_release_targets_checked_on_pull_requests() -> None:
    release, ci = load_workflow(RELEASE_WORKFLOW), load_workflow(CI_RUST_WORKFLOW)
    assert release_target_problems(release, ci) == []
    # The comparison can fail: a target the release builds but the check leaves out.
    fewer = copy.deepcopy(ci)
    for job in fewer["jobs"].values():
        include = ((job.get("strategy") or {}).get("matrix") or {}).get("include")
        if include and any("target" in i for i in include):
            include.pop()
    assert any("release.yml builds" in p for p in release_target_problems(release, fewer))


# -- the pipeline, run: the workflow's own steps against the emulator ----------------------------

STATE_BUCKET = "ode-ci-example-state"
LOCK_TABLE = "ode-terraform-locks"
STATE_KEY = "ode/production/platform.tfstate"
NETWORK = "ode-ci-example"

# The S3 backend's settings for the emulator: OpenTofu and Terraform >= 1.6 take an
# endpoints object, Terraform 1.5 flat keys (as examples/local/2-network's backend files).
BACKEND_EMULATOR = {
    "tofu": """    endpoints = {{
      s3       = "{url}"
      dynamodb = "{url}"
      sts      = "{url}"
    }}
    use_path_style              = true
    skip_credentials_validation = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
""",
    "terraform": """    endpoint                    = "{url}"
    dynamodb_endpoint           = "{url}"
    sts_endpoint                = "{url}"
    force_path_style            = true
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
""",
}

# The user's root module as the pipeline sees it (TF_ROOT): the state in S3 with the
# bucket left to -backend-config, and one cheap composite with a cost estimate.
ROOT_MAIN = """terraform {{
  required_version = ">= 1.5.0"
  required_providers {{
    ode = {{
      source  = "registry.terraform.io/ode/ode"
      version = "0.1.0"
    }}
  }}

  backend "s3" {{
    key            = "{key}"
    region         = "us-east-1"
    dynamodb_table = "{table}"
    encrypt        = true
{backend}  }}
}}

provider "ode" {{
  region = "us-east-1"
{provider}}}

variable "owner" {{
  description = "Team tag of the network."
  type        = string
  default     = "{owner}"
}}

resource "ode_network" "this" {{
  name         = "{network}"
  az_count     = 2
  nat_gateways = "none"
  tags         = {{ Owner = var.owner }}
}}

output "estimated_monthly_cost" {{
  description = "The plan-time estimate in USD per month."
  value       = ode_network.this.estimated_monthly_cost
}}
"""


class Pipeline:
    """Runs jobs of the example's workflow on this machine, step by step, as a runner
    would: ``run:`` steps with bash (``-eo pipefail``) in the job's working directory,
    with the workflow's, job's and step's ``env`` evaluated, ``$GITHUB_ENV``,
    ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY`` honoured; the actions it uses are
    played by local equivalents (checkout: a copy of the repository; setup-*: the
    pinned core and TFLint on PATH; configure-aws-credentials: the emulator's test
    credentials, and the role it was given is recorded; upload/download-artifact: a
    folder per artifact). ``actions/github-script`` is not run: its input file is
    checked instead."""

    def __init__(self, doc: dict[str, Any], source: Path, scratch: Path, core_env: dict[str, str],
                 binaries: dict[str, Path], variables: dict[str, str]):
        self.doc = doc
        self.source = source
        self.scratch = scratch
        self.core_env = core_env
        self.binaries = binaries
        self.variables = variables
        self.artifacts = scratch / "artifacts"
        self.roles: list[str] = []
        self.started = 0

    def run(self, github: dict[str, Any], outputs: dict[str, dict[str, str]] | None = None) -> Run:
        return Run(self.doc, github, self.variables, outputs)

    def job(self, run: Run, name: str) -> dict[str, Any]:
        """Runs job ``name``; returns its outputs, summary and workspace."""
        assert run.ran[name], f"{name} does not run for {run.github['event_name']}"
        self.started += 1
        home = self.scratch / f"{self.started:02d}-{name}"
        workspace, temp, tools = home / "workspace", home / "temp", home / "bin"
        for folder in (temp, tools):
            folder.mkdir(parents=True)
        job = run.jobs[name]
        github_env: dict[str, str] = {}
        steps_context: dict[str, Any] = {}
        summary = home / "summary.md"
        summary.touch()
        defaults = ((job.get("defaults") or {}).get("run") or {})
        for index, step in enumerate(run.steps(name)):
            contexts = {**run.contexts(name), "steps": steps_context}
            step_env = {k: as_string(interpolate(v, contexts)) for k, v in (step.get("env") or {}).items()}
            env = {
                k: v for k, v in self.core_env.items() if not k.startswith("AWS_") or k in github_env
            }
            env.update(
                PATH=f"{tools}{os.pathsep}{self.core_env['PATH']}",
                GITHUB_WORKSPACE=str(workspace),
                GITHUB_SHA=run.github["sha"],
                GITHUB_EVENT_NAME=run.github["event_name"],
                GITHUB_REPOSITORY=run.github["repository"],
                GITHUB_RUN_ID=run.github["run_id"],
                GITHUB_SERVER_URL="https://github.com",
                GITHUB_STEP_SUMMARY=str(summary),
                RUNNER_TEMP=str(temp),
            )
            env.update(github_env)
            env.update(run.job_env(name))
            env.update(step_env)
            ref = str(step.get("uses", ""))
            action = ref.split("@")[0]
            given = {k: as_string(interpolate(v, contexts)) for k, v in (step.get("with") or {}).items()}
            if action == "actions/checkout":
                shutil.copytree(self.source, workspace)
            elif action in ("opentofu/setup-opentofu", "hashicorp/setup-terraform"):
                core = "tofu" if action == "opentofu/setup-opentofu" else "terraform"
                (tools / core).symlink_to(self.binaries[core])
            elif action == "terraform-linters/setup-tflint":
                (tools / "tflint").symlink_to(TFLINT)
            elif action == "aws-actions/configure-aws-credentials":
                assert given.get("role-to-assume"), f"{name}: configure-aws-credentials without a role"
                self.roles.append(given["role-to-assume"])
                github_env.update(
                    {k: v for k, v in self.core_env.items() if k.startswith("AWS_")},
                    AWS_REGION=given["aws-region"],
                )
            elif action == "actions/upload-artifact":
                self._upload(workspace, given)
            elif action == "actions/download-artifact":
                self._download(workspace, given)
            elif action == "actions/github-script":
                pass
            elif ref:
                raise AssertionError(f"{name}: no local stand-in for {ref}")
            else:
                outputs_file = home / f"output-{index}"
                env_file = home / f"env-{index}"
                outputs_file.touch()
                env_file.touch()
                env.update(GITHUB_OUTPUT=str(outputs_file), GITHUB_ENV=str(env_file))
                directory = step.get("working-directory") or defaults.get("working-directory") or "."
                cwd = workspace / as_string(interpolate(directory, contexts))
                script = home / f"step-{index}.sh"
                script.write_text(str(step["run"]))
                proc = subprocess.run(
                    ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                    cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                )
                if proc.returncode != 0:
                    return {"failed": step.get("name") or step["run"], "log": proc.stdout + proc.stderr,
                            "summary": summary.read_text(), "workspace": workspace}
                github_env.update(_key_values(env_file))
                if step.get("id"):
                    steps_context[step["id"]] = {"outputs": _key_values(outputs_file), "outcome": "success"}
        contexts = {**run.contexts(name), "steps": steps_context}
        outputs = {k: as_string(interpolate(v, contexts)) for k, v in (job.get("outputs") or {}).items()}
        return {"failed": None, "outputs": outputs, "summary": summary.read_text(), "workspace": workspace}

    def _upload(self, workspace: Path, given: dict[str, str]) -> None:
        store = self.artifacts / given["name"]
        assert not store.exists(), f"artifact {given['name']} uploaded twice in one run"
        store.mkdir(parents=True)
        for line in given["path"].splitlines():
            if not line.strip():
                continue
            path = workspace / line.strip()
            hidden = path.name.startswith(".")
            if not path.is_file() or (hidden and given.get("include-hidden-files") != "true"):
                assert given.get("if-no-files-found") != "error" or path.is_file(), f"{path} was not made"
                continue
            (store / path.name).write_bytes(path.read_bytes())

    def _download(self, workspace: Path, given: dict[str, str]) -> None:
        store = self.artifacts / given["name"]
        assert store.is_dir(), f"artifact {given['name']} was not uploaded in this run"
        target = workspace / given.get("path", ".")
        target.mkdir(parents=True, exist_ok=True)
        for item in store.iterdir():
            (target / item.name).write_bytes(item.read_bytes())

    def new_run(self) -> None:
        """Artifacts belong to one run."""
        shutil.rmtree(self.artifacts, ignore_errors=True)


def _key_values(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["failed"] is None, f"step {result['failed']!r} failed:\n{result['log']}"
    return result


@pytest.mark.e2e
def test_pipeline_runs(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    """The workflow's steps, run for a pull request, a push to main, a push with nothing
    to do, and two pushes whose plans race, with the core ``TF_CORE`` names."""
    doc = load_workflow(CI_EXAMPLE / "platform.yml")
    root = str(doc["env"]["TF_ROOT"])
    source = tmp_path / "repo"
    (source / root).mkdir(parents=True)
    (source / ".tflint.hcl").write_text(TFLINT_CONFIG.read_text())

    def commit(owner: str) -> None:
        (source / root / "main.tf").write_text(ROOT_MAIN.format(
            key=STATE_KEY, table=LOCK_TABLE, backend=BACKEND_EMULATOR[core.name].format(url=emulator.url),
            provider=provider_settings(emulator.url), owner=owner, network=NETWORK,
        ))
        # Committed code is formatted (the check job's fmt -check holds it to that).
        tofu = CORE_BINARIES["tofu"]
        subprocess.run([str(tofu), "fmt", str(source / root)], check=True, capture_output=True, timeout=60)

    commit("platform")
    s3, dynamodb = emulator.client("s3"), emulator.client("dynamodb")
    s3.create_bucket(Bucket=STATE_BUCKET)
    dynamodb.create_table(
        TableName=LOCK_TABLE,
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    variables = {
        "AWS_PLAN_ROLE_ARN": "arn:aws:iam::123456789012:role/ode-platform-plan",
        "AWS_DEPLOY_ROLE_ARN": "arn:aws:iam::123456789012:role/ode-platform-deploy",
        "TF_STATE_BUCKET": STATE_BUCKET,
        "TF_CORE": core.name,
    }
    core_env = core.environment()
    core_env["AWS_ENDPOINT_URL"] = emulator.url
    pipeline = Pipeline(doc, source, tmp_path / "runner", core_env, dict(CORE_BINARIES), variables)

    def vpcs() -> list[dict[str, Any]]:
        return [v for v in emulator.client("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")]

    # Wrong settings stop a job before anything reaches AWS, naming the variable.
    wrong_settings = (("plan", {"TF_STATE_BUCKET": ""}, "repository variables"), ("check", {"TF_CORE": "tf"}, "the core"))
    for job, wrong, step in wrong_settings:
        settings = {**variables, **wrong}
        bad = Pipeline(doc, source, tmp_path / f"runner-{job}", core_env, dict(CORE_BINARIES), settings)
        failed = bad.job(bad.run(pull_request()), job)
        assert failed["failed"] == step and next(iter(wrong)) in failed["log"], failed
        assert bad.roles == [], bad.roles

    # A pull request: checked and planned with the plan role; shown, kept, not applied.
    pr = pipeline.run(pull_request())
    assert sorted(pr.running()) == ["check", "comment", "plan"], pr.running()
    check = _ok(pipeline.job(pr, "check"))
    assert (check["workspace"] / root / ".terraform").is_dir()
    plan = _ok(pipeline.job(pr, "plan"))
    assert plan["outputs"] == {"changes": "true"}, plan["outputs"]
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in plan["summary"], plan["summary"]
    assert re.search(r"Estimated monthly cost: [0-9.]+ USD", plan["summary"]), plan["summary"]
    comment = (pipeline.artifacts / "plan-comment" / "plan.md").read_text()
    assert comment.startswith("<!-- ode-platform-plan -->") and comment == plan["summary"], comment
    kept = {p.name for p in (pipeline.artifacts / "tfplan").iterdir()}
    assert kept == {"tfplan", ".terraform.lock.hcl", "plan.txt"}, kept
    assert pipeline.roles == [variables["AWS_PLAN_ROLE_ARN"]], pipeline.roles
    assert vpcs() == [], "a pull request created something"
    assert "apply" not in pr.running()

    # A push to main: planned, then that saved plan applied with the deploy role.
    pipeline.new_run()
    pipeline.roles.clear()
    main = pipeline.run(push())
    assert sorted(main.running()) == ["apply", "check", "plan"], main.running()
    plan = _ok(pipeline.job(main, "plan"))
    main = pipeline.run(push(), outputs={"plan": plan["outputs"]})
    assert main.ran["apply"] and main.environment("apply") == ENVIRONMENT
    applied = _ok(pipeline.job(main, "apply"))
    assert "Applied the plan of" in applied["summary"], applied["summary"]
    assert pipeline.roles == [variables["AWS_PLAN_ROLE_ARN"], variables["AWS_DEPLOY_ROLE_ARN"]], pipeline.roles
    [vpc] = vpcs()
    assert {"Key": "Owner", "Value": "platform"} in vpc.get("Tags", []), vpc
    state = s3.get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read()
    assert NETWORK.encode() in state
    # The S3 backend keeps the state's digest (<bucket>/<key>-md5) in the table; no lock stays.
    items = [item["LockID"]["S"] for item in dynamodb.scan(TableName=LOCK_TABLE)["Items"]]
    locks = [item for item in items if not item.endswith("-md5")]
    assert locks == [], f"a lock was left behind: {locks}"

    # The next push changes nothing: no apply, so no reviewer is asked.
    pipeline.new_run()
    plan = _ok(pipeline.job(pipeline.run(push(run_id="1003")), "plan"))
    assert plan["outputs"] == {"changes": "false"}, plan["outputs"]
    assert "No changes." in plan["summary"], plan["summary"]
    assert not pipeline.run(push(run_id="1003"), outputs={"plan": plan["outputs"]}).ran["apply"]

    # Two pushes planned from the same state: the later plan applies, the earlier one
    # is then stale and the core refuses it without changing anything.
    commit("platform-team")
    runs = []
    for run_id in ("1004", "1005"):
        pipeline.new_run()
        github = push(sha=run_id * 10, run_id=run_id)
        planned = _ok(pipeline.job(pipeline.run(github), "plan"))
        assert planned["outputs"] == {"changes": "true"} and "0 to add, 1 to change" in planned["summary"]
        saved = tmp_path / f"artifacts-{run_id}"
        shutil.copytree(pipeline.artifacts, saved)
        runs.append((github, planned, saved))
    for (github, planned, saved), expect_ok in ((runs[1], True), (runs[0], False)):
        pipeline.new_run()
        shutil.copytree(saved, pipeline.artifacts)
        result = pipeline.job(pipeline.run(github, outputs={"plan": planned["outputs"]}), "apply")
        if expect_ok:
            _ok(result)
        else:
            assert result["failed"] == "apply the saved plan", result
            assert re.search(r"[Ss]aved plan is stale", result["log"]), result["log"]
    [vpc] = vpcs()
    assert {"Key": "Owner", "Value": "platform-team"} in vpc.get("Tags", []), vpc
