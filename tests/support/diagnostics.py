"""The error diagnostics a core reports for a configuration, read from its JSON output.

:func:`error_diagnostics` runs ``validate -json`` and, when that reports no error,
``plan -json``, and returns the errors as :class:`Diagnostic` objects. Tests of bad
inputs then check the diagnostic itself (its message and the line it points at) with
:func:`assert_error_at`, rather than searching the human-readable output, which echoes
the offending configuration line whatever the error was.

Both cores (OpenTofu 1.12, Terraform 1.5) print:

* ``validate -json``: one JSON object whose ``diagnostics`` list holds every warning
  and error;
* ``plan -json``: one JSON object per line; a diagnostic is a line with
  ``"type": "diagnostic"`` and the diagnostic itself under ``"diagnostic"``.

A diagnostic has ``severity``, ``summary``, ``detail`` and, when the core can attach it
to the configuration, a ``range`` with ``filename`` (relative to the working directory,
e.g. ``main.tf`` or ``../modules/network/variables.tf``) and 1-based ``start.line``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .core import Core, Result


def normalise(text: str) -> str:
    """``text`` with every run of whitespace made one space, and stripped."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Range:
    """Where in the configuration a diagnostic points: file and 1-based start line."""

    filename: str
    line: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}"


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    summary: str
    detail: str
    range: Range | None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Diagnostic":
        where = raw.get("range")
        return cls(
            severity=raw.get("severity", ""),
            summary=raw.get("summary", ""),
            detail=raw.get("detail", ""),
            range=Range(where["filename"], where["start"]["line"]) if where else None,
        )

    def says(self, message: str) -> bool:
        """Whether the summary or the detail contains ``message`` (whitespace normalised)."""
        wanted = normalise(message)
        return wanted in normalise(self.summary) or wanted in normalise(self.detail)

    def __str__(self) -> str:
        return f"{self.severity} at {self.range or '(no range)'}: {self.summary} -- {normalise(self.detail)}"


@dataclass
class Diagnosed:
    """The last command :func:`error_diagnostics` ran and the errors it reported."""

    result: Result
    errors: list[Diagnostic]

    @property
    def failed(self) -> bool:
        return self.result.returncode != 0

    def text(self) -> str:
        """Every error's summary and detail, whitespace normalised, in one string."""
        return " ".join(normalise(d.summary + " " + d.detail) for d in self.errors)

    def describe(self) -> str:
        listed = "\n".join(f"  {d}" for d in self.errors) or "  (none)"
        return f"error diagnostics:\n{listed}\n{self.result.describe()}"


def _diagnostics_of_validate(result: Result) -> list[dict[str, Any]]:
    try:
        document = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"validate -json did not print JSON ({error})\n{result.describe()}") from None
    return document.get("diagnostics") or []


def _diagnostics_of_plan(result: Result) -> list[dict[str, Any]]:
    found = []
    for number, line in enumerate(result.stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError as error:
            raise AssertionError(
                f"plan -json printed a line that is not JSON (line {number}: {error})\n{result.describe()}"
            ) from None
        if message.get("type") == "diagnostic":
            found.append(message["diagnostic"])
    return found


def _errors(raw: Iterable[dict[str, Any]]) -> list[Diagnostic]:
    return [Diagnostic.from_json(d) for d in raw if d.get("severity") == "error"]


def error_diagnostics(core: Core, workdir: Path, *plan_args: str) -> Diagnosed:
    """The errors of ``validate -json`` in ``workdir``; if it reports none, those of
    ``plan -json`` (with ``plan_args``). ``workdir`` must have been initialised."""
    result = core.run(workdir, "validate", "-json", check=False)
    errors = _errors(_diagnostics_of_validate(result))
    if errors or result.returncode != 0:
        return Diagnosed(result, errors)
    result = core.run(workdir, "plan", "-json", "-input=false", *plan_args, check=False)
    return Diagnosed(result, _errors(_diagnostics_of_plan(result)))


def plan_diagnostics(core: Core, workdir: Path, *plan_args: str) -> tuple[Result, list[Diagnostic]]:
    """Run ``plan -json`` (with ``plan_args``); its result and every diagnostic it
    reported, warnings included."""
    result = core.run(workdir, "plan", "-json", "-input=false", *plan_args, check=False)
    return result, [Diagnostic.from_json(d) for d in _diagnostics_of_plan(result)]


def apply_errors(core: Core, workdir: Path, *args: str) -> Diagnosed:
    """Run ``apply -json -auto-approve`` (with ``args``) and return its error diagnostics."""
    result = core.run(workdir, "apply", "-json", "-input=false", "-auto-approve", *args, check=False)
    return Diagnosed(result, _errors(_diagnostics_of_plan(result)))


def destroy_errors(core: Core, workdir: Path, *args: str) -> Diagnosed:
    """Run ``apply -destroy -json -auto-approve`` (with ``args``) and return its error
    diagnostics."""
    result = core.run(workdir, "apply", "-destroy", "-json", "-input=false", "-auto-approve", *args, check=False)
    return Diagnosed(result, _errors(_diagnostics_of_plan(result)))


def assert_error_at(diagnosed: Diagnosed, message: str, filename: str, line: int, *, case: str = "") -> Diagnostic:
    """Assert that the command failed with an error diagnostic that says ``message`` (in
    its summary or detail) and points at ``filename`` line ``line``; return it."""
    prefix = f"{case}: " if case else ""
    assert diagnosed.failed, f"{prefix}the configuration was accepted\n{diagnosed.describe()}"
    saying = [d for d in diagnosed.errors if d.says(message)]
    assert saying, f"{prefix}no error diagnostic says {message!r}\n{diagnosed.describe()}"
    expected = Range(filename, line)
    for diagnostic in saying:
        if diagnostic.range == expected:
            return diagnostic
    raise AssertionError(
        f"{prefix}the error saying {message!r} does not point at {expected} "
        f"(it points at {', '.join(str(d.range) for d in saying)})\n{diagnosed.describe()}"
    )


def block_line(hcl: str, header: str) -> int:
    """The 1-based line of the first top-level block of ``hcl`` whose first line starts
    with ``header`` (``'resource "ode_network"'``, ``'provider "ode"'``)."""
    for number, text in enumerate(hcl.splitlines(), 1):
        if text.startswith(header):
            return number
    raise AssertionError(f"no block {header!r} in:\n{hcl}")


def attribute_line(hcl: str, header: str, path: str) -> int:
    """The 1-based line of the argument ``path`` (``"tags"``, ``"private.prefix_length"``:
    nested blocks, then the argument) inside the top-level block that :func:`block_line`
    finds. The block ends at the first line that is ``}``; ``hcl`` is formatted so that
    only top-level blocks close there."""
    lines = hcl.splitlines()
    start = block_line(hcl, header) - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i] == "}"), len(lines))
    *blocks, argument = path.split(".")
    for block in blocks:
        start = next(
            (i for i in range(start + 1, end) if re.match(rf"\s*{re.escape(block)}\s*\{{", lines[i])), None
        )
        if start is None:
            raise AssertionError(f"no block {block!r} on the way to {path} in {header}:\n{hcl}")
    for i in range(start + 1, end):
        if re.match(rf"\s*{re.escape(argument)}\s*=", lines[i]):
            return i + 1
    raise AssertionError(f"no argument {path} in {header}:\n{hcl}")
