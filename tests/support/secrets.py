"""Secrets scan: no secret a scenario sets, or has AWS make, reaches a trace log, the
state or a saved plan.

A scenario opts in by taking the ``secret_scan`` fixture (import it from this module
into the test module). From then on its ``core``:

* runs every command with ``TF_LOG=trace``, each into a trace file of its own
  (``TF_LOG_PATH``) in the scan's directory; a scenario that sets ``TF_LOG_PATH``
  itself keeps its file, and that file is scanned too;
* runs with canary credentials: ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` are
  random values registered as secrets (the emulator checks no signature); credentials
  a scenario passes in its own ``env`` are registered instead;
* saves every ``core.plan`` (``-out``), and before every ``core.apply`` saves the plan of
  that apply with a plan of its own (the apply itself runs unchanged), and keeps
  ``show -json`` of each saved plan;
* after every command, registers the secrets the emulator's Secrets Manager holds (the
  master password RDS manages, the Redis AUTH token the data tier generates) and copies
  every version of every ``*.tfstate`` object in its S3 buckets (remote states, which
  a destroy deletes before the teardown could read them).

When the scenario ends (pass or fail) the fixture scans, for every registered secret,

* the trace files,
* every state file under the working directories the core ran in
  (``terraform.tfstate``, its backups, ``errored.tfstate``, workspaces,
  ``.terraform/terraform.tfstate``), the remote-state copies and any text the scenario
  adds (:meth:`SecretScan.add_text`),
* the JSON of every saved plan,

for the secret as written, JSON-escaped (Go escapes ``<``, ``>`` and ``&`` too) and
URL-encoded. A hit fails the test naming the file, the line and a short context in which
every registered secret is replaced by its label: the report never prints a secret.
The one exception is a leak of a core itself that no configuration avoids
(:data:`KNOWN_CORE_LEAKS`: Terraform 1.5's S3 backend writes the session token header of
its requests into the trace); it is matched by core, secret and the whole line, and
counted as ``excused``.

What is promised, and so scanned where: the provider keeps ``password_wo``,
``auth_token_wo``, the RDS-managed master password, the AUTH token it generates and the
provider's credentials (environment, ``assume_role`` external id, the assumed role's
session) out of everything: those are registered with :meth:`SecretScan.add` and must
appear nowhere. Terraform 1.5 has no write-only attributes, so its way to set a password
is the sensitive ``password`` (and ``auth_token``): the core keeps those in state by
design, and therefore in the plan JSON and in what ``show`` and ``output`` print. They
are registered with ``stored=True`` and scanned in the trace files only: a trace must
never hold a secret, on either core. The plan JSON is scanned without its
``configuration`` section, a copy of the .tf files' literals (see
:attr:`SecretScan.scan_plan_configuration`).

Each scanned scenario's figures (secrets, commands, files per kind, excused hits, the
seconds the scan added) go to ``tests/.reports/secrets-scan/<test>.json``.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets as random
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import pytest

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .core import Core, Result
    from .emulator import EmulatorClient

#: Shorter values are refused: they would match by chance (and say nothing).
MIN_SECRET_LENGTH = 8

#: Characters either side of a hit shown in the report.
CONTEXT = 48

#: Credentials in a core's environment: registered as secrets whatever their value.
CREDENTIAL_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

#: Hits that are the core's own doing, not the provider's, and that no configuration
#: avoids: (core, secret label, what the whole line must be, why). Counted as
#: ``excused`` in the figures, never silently.
KNOWN_CORE_LEAKS = [
    (
        "terraform",
        "AWS_SESSION_TOKEN",
        re.compile(rb"X-Amz-Security-Token: \S+"),
        "Terraform 1.5's S3 backend (aws-sdk-go v1) dumps its signed requests at TF_LOG=debug/trace, "
        "session token header included",
    ),
]

# Subcommands whose trace file gets the subcommand's name (others get "run").
_NAMED = re.compile(r"^[a-z][a-z-]*$")


@dataclass(frozen=True)
class Secret:
    label: str
    value: str
    #: The core keeps it in state by design (Terraform 1.5's sensitive fallback):
    #: scanned in traces only.
    stored: bool = False

    def forms(self) -> list[bytes]:
        """The byte strings the value may be written as: raw, JSON-escaped the way
        Python and Go write it, URL-encoded."""
        escaped = json.dumps(self.value)[1:-1]
        go = escaped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        quoted = urllib.parse.quote(self.value, safe="")
        plus = urllib.parse.quote_plus(self.value, safe="")
        seen: list[bytes] = []
        for form in (self.value, escaped, go, quoted, plus):
            data = form.encode()
            if data not in seen:
                seen.append(data)
        return seen


@dataclass(frozen=True)
class Hit:
    """One occurrence of a secret in a scanned file; ``context`` is already redacted."""

    path: Path
    kind: str
    line: int
    label: str
    context: str

    def describe(self, root: Path) -> str:
        try:
            where = self.path.relative_to(root)
        except ValueError:
            where = self.path
        return f"{where}:{self.line} ({self.kind}): {self.label} in ...{self.context}..."


@dataclass
class SecretScan:
    """The secrets one scenario uses and the files its core wrote; see the module doc."""

    root: Path
    emulator: "EmulatorClient | None" = None
    #: The core's name (tofu, terraform): some hits are that core's (:data:`KNOWN_CORE_LEAKS`).
    core_name: str = ""
    secrets: dict[str, Secret] = field(default_factory=dict)
    workdirs: list[Path] = field(default_factory=list)
    traces: list[Path] = field(default_factory=list)
    plans: list[Path] = field(default_factory=list)
    texts: list[Path] = field(default_factory=list)
    runs: int = 0
    #: Scan the plan JSON's ``configuration`` too. Off by default: that section repeats
    #: the literals of the .tf files (``constant_value``), sensitive and write-only
    #: attributes included, so a secret a scenario writes into main.tf is there as it
    #: is in main.tf. A scenario that passes its secrets as variables turns it on.
    scan_plan_configuration: bool = False
    #: Seconds the scan added to the scenario (plans and ``show -json`` of its own,
    #: reading the emulator), not counting TF_LOG=trace itself.
    overhead_s: float = 0.0
    #: Of which reading the emulator after each command.
    harvest_s: float = 0.0
    _remote_versions: set[str] = field(default_factory=set)
    _timing: bool = False
    _clients: dict[str, Any] = field(default_factory=dict)
    #: Hits :data:`KNOWN_CORE_LEAKS` excused in the last :meth:`hits`.
    excused: int = 0

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.secret_key = "ode-scan-secret-key-" + random.token_hex(12)
        self.session_token = "ode-scan-session-token-" + random.token_hex(16)
        self.add("AWS_SECRET_ACCESS_KEY", self.secret_key)
        self.add("AWS_SESSION_TOKEN", self.session_token)

    # -- what is secret ----------------------------------------------------------------

    def add(self, label: str, value: str, *, stored: bool = False) -> None:
        """Register a secret. ``stored``: kept in state by design (scanned in traces
        only). Registering a value again keeps its strictest registration."""
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"secret {label!r} is shorter than {MIN_SECRET_LENGTH} characters: it would match by chance")
        known = self.secrets.get(value)
        if known is not None and (known.stored <= stored):
            return
        self.secrets[value] = Secret(label, value, stored)

    def add_text(self, label: str, text: str | bytes) -> Path:
        """Scan ``text`` (e.g. a state the scenario read from elsewhere) as state."""
        data = text.encode() if isinstance(text, str) else text
        path = self.root / "texts" / f"{len(self.texts):03d}-{_slug(label)}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.texts.append(path)
        return path

    # -- hooks called by Core ----------------------------------------------------------

    def environment(self, env: dict[str, str], command: str, extra: Mapping[str, str]) -> dict[str, str]:
        """The environment of one core command (``env`` already holds ``extra``)."""
        self.runs += 1
        for name in CREDENTIAL_VARIABLES:
            if name in extra:
                if extra[name]:
                    self.add(f"{name} (scenario's)", extra[name])
            else:
                env[name] = self.secret_key if name == "AWS_SECRET_ACCESS_KEY" else self.session_token
        env["TF_LOG"] = "trace"
        if "TF_LOG_PATH" in extra:
            path = Path(extra["TF_LOG_PATH"])
        else:
            name = command if _NAMED.match(command or "") else "run"
            path = self.root / "traces" / f"{self.runs:03d}-{name}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            env["TF_LOG_PATH"] = str(path)
        if path not in self.traces:
            self.traces.append(path)
        return env

    def ran(self, workdir: Path) -> None:
        """After a command: remember its working directory, read what AWS now keeps."""
        workdir = Path(workdir).resolve()
        if workdir not in self.workdirs:
            self.workdirs.append(workdir)
        if self.emulator is not None:
            with self._extra():
                started = time.monotonic()
                self.harvest(self.emulator)
                self.harvest_s += time.monotonic() - started

    def saved_plan(self, core: "Core", workdir: Path, args: tuple[str, ...], kw: dict[str, Any]) -> "Result":
        """``core.plan``: the plan saved (unless the scenario saves it itself) and its
        JSON kept."""
        if any(a.startswith("-out") for a in args):
            return core.run(workdir, "plan", "-input=false", *args, **kw)
        saved = self._plan_file()
        try:
            return core.run(workdir, "plan", "-input=false", *args, f"-out={saved}", **kw)
        finally:
            self._keep_plan(core, workdir, saved, kw.get("env"))

    def before_apply(self, core: "Core", workdir: Path, args: tuple[str, ...], env: Mapping[str, str] | None) -> None:
        """Before ``core.apply``: save the plan that apply is about to make (an apply of
        a saved plan file has its plan already). A plan that fails is left to the
        apply to report."""
        if _names_saved_plan(args):
            return
        with self._extra():
            saved = self._plan_file()
            core.run(workdir, "plan", "-input=false", f"-out={saved}", *args, env=env, check=False)
            self._keep_plan(core, workdir, saved, env)

    def _plan_file(self) -> Path:
        path = self.root / "plans" / f"{len(self.plans) + 1:03d}.tfplan"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        return path

    def _keep_plan(self, core: "Core", workdir: Path, saved: Path, env: Mapping[str, str] | None) -> None:
        """Keep ``show -json`` of a saved plan (if the plan got saved): as shown, and
        the part the scan reads (see :attr:`scan_plan_configuration`)."""
        if not saved.exists():
            return
        with self._extra():
            shown = core.run(workdir, "show", "-json", str(saved), env=env)
        saved.with_suffix(".json").write_text(shown.stdout)
        plan = json.loads(shown.stdout)
        if not self.scan_plan_configuration:
            plan.pop("configuration", None)
        path = saved.with_suffix(".scanned.json")
        path.write_text(json.dumps(plan, indent=1, ensure_ascii=False))
        self.plans.append(path)

    @contextlib.contextmanager
    def _extra(self) -> Iterator[None]:
        """Count the time of the block as the scan's overhead (once when nested)."""
        if self._timing:
            yield
            return
        self._timing, started = True, time.monotonic()
        try:
            yield
        finally:
            self._timing = False
            self.overhead_s += time.monotonic() - started

    # -- what AWS keeps ----------------------------------------------------------------

    def harvest(self, emulator: "EmulatorClient") -> None:
        """Register the secrets Secrets Manager holds; copy the remote states."""
        if not self._clients:  # made once: a boto3 client takes a tenth of a second
            self._clients = {name: emulator.client(name) for name in ("secretsmanager", "s3")}
        sm, s3 = self._clients["secretsmanager"], self._clients["s3"]
        for page in sm.get_paginator("list_secrets").paginate():
            for entry in page["SecretList"]:
                try:
                    value = sm.get_secret_value(SecretId=entry["ARN"]).get("SecretString")
                except sm.exceptions.ResourceNotFoundException:
                    continue  # deleted meanwhile
                for label, secret in _secret_values(entry["Name"], value):
                    if len(secret) >= MIN_SECRET_LENGTH:
                        self.add(label, secret)
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            try:
                pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=name))
            except s3.exceptions.NoSuchBucket:
                continue  # deleted meanwhile
            for page in pages:
                for version in page.get("Versions", []):
                    key, vid = version["Key"], version.get("VersionId") or "null"
                    ident = f"{name}/{key}@{vid}@{version.get('ETag')}"
                    if "tfstate" not in key or ident in self._remote_versions:
                        continue
                    args: dict[str, Any] = {"Bucket": name, "Key": key}
                    if vid != "null":
                        args["VersionId"] = vid
                    body = s3.get_object(**args)["Body"].read()
                    self._remote_versions.add(ident)
                    self.add_text(f"s3-{name}-{key}-{vid}", body)

    def add_assumed_role_credentials(self, emulator: "EmulatorClient") -> int:
        """Register the secret key and session token of every role session the emulator
        handed out (moto's data API); returns how many sessions there were."""
        with urllib.request.urlopen(emulator.url + "/moto-api/data.json", timeout=60) as response:
            data = json.load(response)
        sessions = data.get("sts", {}).get("AssumedRole", [])
        for n, session in enumerate(sessions):
            self.add(f"assumed role session {n} secret key", session["secret_access_key"])
            self.add(f"assumed role session {n} token", session["session_token"])
        return len(sessions)

    # -- the scan ----------------------------------------------------------------------

    def state_files(self) -> list[Path]:
        found: list[Path] = []
        for workdir in self.workdirs:
            for path in sorted(workdir.rglob("*tfstate*")):
                if path.is_file() and "providers" not in path.relative_to(workdir).parts:
                    found.append(path)
        return found + list(self.texts)

    def files(self) -> Iterator[tuple[str, Path]]:
        """(kind, path) of every file the scan reads."""
        for path in self.traces:
            if path.exists():
                yield "trace", path
        for path in self.state_files():
            yield "state", path
        for path in self.plans:
            yield "plan", path

    def hits(self) -> list[Hit]:
        """Every hit but those :data:`KNOWN_CORE_LEAKS` excuse (counted in ``excused``)."""
        found: list[Hit] = []
        self.excused = 0
        for kind, path in self.files():
            hits = self.scan_file(kind, path)
            lines = path.read_bytes().split(b"\n") if hits and kind == "trace" else []
            for hit in hits:
                if lines and self._core_leak(hit, lines[hit.line - 1]):
                    self.excused += 1
                else:
                    found.append(hit)
        return found

    def _core_leak(self, hit: Hit, line: bytes) -> bool:
        for core, label, whole_line, _why in KNOWN_CORE_LEAKS:
            if core == self.core_name and hit.label == label and whole_line.fullmatch(line.rstrip(b"\r")):
                return True
        return False

    def scan_file(self, kind: str, path: Path) -> list[Hit]:
        data = path.read_bytes()
        found = []
        for secret in self.secrets.values():
            if secret.stored and kind != "trace":
                continue
            for form in secret.forms():
                start = data.find(form)
                while start != -1:
                    found.append(self._hit(path, kind, data, start, len(form), secret.label))
                    start = data.find(form, start + 1)
        return found

    def _hit(self, path: Path, kind: str, data: bytes, start: int, length: int, label: str) -> Hit:
        line = data.count(b"\n", 0, start) + 1
        lo, hi = max(0, start - CONTEXT), min(len(data), start + length + CONTEXT)
        # Widen the window to whole secrets so that none is cut in half by its edges.
        for secret in self.secrets.values():
            for form in secret.forms():
                at = data.find(form, max(0, lo - len(form)), hi + len(form))
                while at != -1 and at < hi:
                    lo, hi = min(lo, at), max(hi, at + len(form))
                    at = data.find(form, at + 1, hi + len(form))
        return Hit(path, kind, line, label, self.redact(data[lo:hi]))

    def redact(self, data: bytes) -> str:
        for secret in sorted(self.secrets.values(), key=lambda s: -len(s.value)):
            for form in secret.forms():
                data = data.replace(form, f"<{secret.label}>".encode())
        return data.decode(errors="replace").replace("\n", "\\n")

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = {"trace": 0, "state": 0, "plan": 0}
        for kind, _ in self.files():
            kinds[kind] += 1
        return {
            "core": self.core_name,
            "secrets": len(self.secrets),
            "runs": self.runs,
            **kinds,
            "excused": self.excused,
            "overhead_s": round(self.overhead_s, 1),
            "harvest_s": round(self.harvest_s, 1),
        }

    def check(self, limit: int = 20) -> None:
        """Fail listing the hits (at most ``limit``), never the secrets themselves."""
        hits = self.hits()
        if not hits:
            return
        lines = [h.describe(self.root) for h in hits[:limit]]
        if len(hits) > limit:
            lines.append(f"... and {len(hits) - limit} more")
        raise AssertionError(
            f"secrets scan: {len(hits)} hit(s) of {len(self.secrets)} registered secret(s) "
            f"(files under {self.root}):\n  " + "\n  ".join(lines)
        )


# apply options whose value is the next argument (anything else last is a saved plan).
_VALUE_OPTIONS = {"-var", "-var-file", "-target", "-replace", "-lock-timeout", "-parallelism", "-state", "-state-out", "-backup"}


def _names_saved_plan(args: tuple[str, ...]) -> bool:
    """Whether apply ``args`` end with a saved plan file."""
    if not args or args[-1].startswith("-"):
        return False
    return len(args) == 1 or args[-2] not in _VALUE_OPTIONS


def _secret_values(name: str, value: str | None) -> list[tuple[str, str]]:
    """The secret strings in a Secrets Manager value: a JSON object's strings under
    password / token / secret keys, or the whole string."""
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return [
            (f"secret {name} {key}", item)
            for key, item in parsed.items()
            if isinstance(item, str) and any(word in key.lower() for word in ("password", "token", "secret"))
        ]
    return [(f"secret {name}", value)]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80]


@pytest.fixture
def secret_scan(request: pytest.FixtureRequest, core: "Core", emulator: "EmulatorClient", tmp_path: Path) -> Iterator[SecretScan]:
    """Run the scenario's core under the secrets scan; scan when the scenario ends."""
    scan = SecretScan(tmp_path / "secrets-scan", emulator, core.name)
    core.secrets = scan
    started = time.monotonic()
    try:
        yield scan
    finally:
        core.secrets = None
    scenario_s = time.monotonic() - started
    assert scan.traces, "the secrets scan saw no core command: the scenario is not wired to it"
    if not any(p.exists() and p.stat().st_size for p in scan.traces):
        raise AssertionError("the secrets scan found no trace written: TF_LOG_PATH did not reach the core")
    scan.check()
    _record(request, scan, scenario_s=round(scenario_s, 1), scan_s=round(time.monotonic() - started - scenario_s, 2))


#: One JSON file per scanned scenario (its figures) is written here.
REPORT_DIR = Path(__file__).resolve().parents[1] / ".reports" / "secrets-scan"


def _record(request: pytest.FixtureRequest, scan: SecretScan, **timings: float) -> None:
    """Keep the scan's figures: in the test report's properties (junit) and in
    tests/.reports/secrets-scan/<test>.json."""
    figures = {"test": request.node.nodeid, **scan.summary(), **timings, "hits": 0}
    request.node.user_properties.append(("secrets_scan", json.dumps(figures, sort_keys=True)))
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / (_slug(request.node.nodeid.replace("/", ".")) + ".json")).write_text(json.dumps(figures, sort_keys=True) + "\n")
