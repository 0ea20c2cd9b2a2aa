"""Run a Terraform-compatible core (tofu or terraform) against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .tools import TOOLS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .secrets import SecretScan

# Where scripts/install-tools.sh installs the cores.
CORE_BINARIES = {
    "tofu": TOOLS / "tofu-1.12.6" / "tofu",
    "terraform": TOOLS / "terraform-1.5.7" / "terraform",
}

# Every core subprocess is killed after this many seconds.
TIMEOUT_S = 300

# Subcommands that accept -no-color.
_COLOR_FLAG_COMMANDS = {"init", "validate", "plan", "apply", "destroy", "show", "output", "import", "refresh"}

# Variables from the caller's environment that would change how a core behaves.
_SCRUBBED_PREFIXES = ("TF_", "AWS_", "PLUGIN_")


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together, for searching messages in either."""
        return self.stdout + "\n" + self.stderr

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit code {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@dataclass
class Command:
    """One command a :class:`Core` ran: where, its arguments (without the binary), its
    exit code (None: killed after TIMEOUT_S, or started in the background, whose end
    the core does not see), how long it took (None for a background one) and, for an
    apply or destroy, the longest ``timeouts`` the configuration gave each operation
    then (:func:`configured_timeouts`)."""

    workdir: Path
    args: tuple[str, ...]
    returncode: int | None
    seconds: float | None
    timeouts: dict[str, float]

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0


class CoreError(AssertionError):
    """A core exited with an exit code the caller did not expect."""

    def __init__(self, result: Result):
        super().__init__(result.describe())
        self.result = result


class Core:
    """One core binary, configured to install the provider from the test mirror."""

    def __init__(self, name: str, binary: Path, cli_config: Path, aws_endpoint: str):
        self.name = name
        self.binary = binary
        self.cli_config = cli_config
        self.aws_endpoint = aws_endpoint
        # Set by the ``secret_scan`` fixture (tests/support/secrets.py): every command
        # then runs with TF_LOG=trace and canary credentials, and plans are kept.
        self.secrets: SecretScan | None = None
        # Every command run, oldest first (tests/conftest.py reads it under chaos).
        self.commands: list[Command] = []

    def __repr__(self) -> str:
        return f"Core({self.name!r}, {str(self.binary)!r})"

    def environment(self, extra: Mapping[str, str] | None = None, command: str = "") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
        env.update(
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION="us-east-1",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=self.aws_endpoint,
            # No shared config or credentials file of the machine may leak in.
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_EC2_METADATA_DISABLED="true",
        )
        env.update(extra or {})
        if self.secrets is not None:
            env = self.secrets.environment(env, command, extra or {})
        return env

    def run(
        self,
        workdir: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        ok_codes: Iterable[int] = (0,),
        input: str | None = None,
    ) -> Result:
        """Run ``core args...`` in ``workdir``.

        With ``check`` (the default) an exit code outside ``ok_codes`` raises
        :class:`CoreError` carrying stdout and stderr.
        """
        argv = [str(self.binary), *args]
        if args and args[0] in _COLOR_FLAG_COMMANDS:
            argv.insert(2, "-no-color")
        started = time.monotonic()
        try:
            proc = subprocess.run(
                argv,
                cwd=workdir,
                env=self.environment(env, args[0] if args else ""),
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            self._ran(workdir, args, None, time.monotonic() - started)
            raise
        self._ran(workdir, args, proc.returncode, time.monotonic() - started)
        result = Result([self.name, *argv[1:]], proc.returncode, proc.stdout, proc.stderr)
        if self.secrets is not None:
            self.secrets.ran(workdir)
        if check and result.returncode not in tuple(ok_codes):
            raise CoreError(result)
        return result

    def start(self, workdir: Path, *args: str, new_session: bool = False) -> subprocess.Popen:
        """Start ``core args...`` in the background (stdin closed, output captured);
        :func:`finish` waits for it. With ``new_session`` the core leads a process group
        of its own, which the providers it starts join, so that ``os.killpg`` takes them
        all (tests/crash)."""
        argv = [str(self.binary), *args]
        if args and args[0] in _COLOR_FLAG_COMMANDS:
            argv.insert(2, "-no-color")
        if self.secrets is not None:
            self.secrets.ran(workdir)
        self._ran(workdir, args, None, None)
        return subprocess.Popen(
            argv,
            cwd=workdir,
            env=self.environment(None, args[0] if args else ""),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=new_session,
        )

    def _ran(self, workdir: Path, args: tuple[str, ...], returncode: int | None, seconds: float | None) -> None:
        timeouts = configured_timeouts(Path(workdir)) if args and args[0] in ("apply", "destroy") else {}
        self.commands.append(Command(Path(workdir), tuple(args), returncode, seconds, timeouts))

    # -- helpers for the usual commands ----------------------------------------------

    def init(self, workdir: Path, **kw: Any) -> Result:
        return self.run(workdir, "init", "-input=false", **kw)

    def validate(self, workdir: Path, **kw: Any) -> Result:
        return self.run(workdir, "validate", **kw)

    def plan(self, workdir: Path, *args: str, detailed: bool = True, **kw: Any) -> Result:
        """``plan``; with ``detailed``, -detailed-exitcode (0 no changes, 2 changes).

        The result's ``returncode`` is the plan's exit code; 0 and 2 do not raise.
        """
        if detailed:
            kw.setdefault("ok_codes", (0, 2))
            args = ("-detailed-exitcode", *args)
        if self.secrets is not None:  # saved, and its JSON kept
            return self.secrets.saved_plan(self, workdir, args, kw)
        return self.run(workdir, "plan", "-input=false", *args, **kw)

    def apply(self, workdir: Path, *args: str, **kw: Any) -> Result:
        if self.secrets is not None:  # the plan of this apply is saved by a plan of its own
            self.secrets.before_apply(self, workdir, args, kw.get("env"))
        return self.run(workdir, "apply", "-input=false", "-auto-approve", *args, **kw)

    def destroy(self, workdir: Path, *args: str, **kw: Any) -> Result:
        return self.run(workdir, "destroy", "-input=false", "-auto-approve", *args, **kw)

    def import_(self, workdir: Path, address: str, resource_id: str, **kw: Any) -> Result:
        return self.run(workdir, "import", "-input=false", address, resource_id, **kw)

    def show_json(self, workdir: Path, **kw: Any) -> dict[str, Any]:
        return json.loads(self.run(workdir, "show", "-json", **kw).stdout)

    def output_json(self, workdir: Path, **kw: Any) -> dict[str, Any]:
        """The root module outputs as {name: value}."""
        outputs = json.loads(self.run(workdir, "output", "-json", **kw).stdout)
        return {name: item["value"] for name, item in outputs.items()}

    def state_resource(self, workdir: Path, address: str) -> dict[str, Any]:
        """The attribute values of one resource in the state, from ``show -json``."""
        root = self.show_json(workdir).get("values", {}).get("root_module", {})
        for resource in root.get("resources", []):
            if resource["address"] == address:
                return resource["values"]
        raise AssertionError(f"{address} is not in the state of {workdir}")


_TIMEOUTS_BLOCK = re.compile(r"\btimeouts\s*=?\s*\{([^{}]*)\}")
_TIMEOUT = re.compile(r'\b(create|update|delete)\s*=\s*"([^"]*)"')
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNIT_S = {"h": 3600, "m": 60, "s": 1}


def duration_s(text: str) -> float | None:
    """``"1h30m"``, ``"25s"``: seconds; None for anything else (the provider's units)."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def configured_timeouts(workdir: Path) -> dict[str, float]:
    """The longest ``create``, ``update`` and ``delete`` of the ``timeouts`` blocks in
    ``workdir``'s configuration (seconds), for the operations it sets at all."""
    longest: dict[str, float] = {}
    for path in sorted(workdir.glob("*.tf")):
        for block in _TIMEOUTS_BLOCK.findall(path.read_text(errors="replace")):
            for operation, text in _TIMEOUT.findall(block):
                seconds = duration_s(text)
                if seconds is not None:
                    longest[operation] = max(longest.get(operation, 0.0), seconds)
    return longest


def finish(proc: subprocess.Popen) -> Result:
    """Wait for a core started with :meth:`Core.start` (killed after TIMEOUT_S)."""
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return Result([str(a) for a in proc.args], proc.returncode, stdout, stderr)


def write_config(workdir: Path, hcl: str) -> None:
    """Make ``hcl`` the whole configuration of ``workdir`` (as main.tf)."""
    (workdir / "main.tf").write_text(hcl)
