#!/usr/bin/env python3
"""Generate the inputs/outputs tables of every module README (modules/*/README.md).

Each module README has a hand-written part (what the module is, a usage example) and a
generated part between the markers

    <!-- BEGIN_TF_DOCS -->
    <!-- END_TF_DOCS -->

which this script rewrites from the module's own *.tf files (parsed with python-hcl2):
requirements (core and provider versions from the terraform block), resources, inputs
(name, description, type, default, required) and outputs (name, description).
Everything outside the markers is left as it is.

    python scripts/gen_module_docs.py            rewrite the tables of every module
    python scripts/gen_module_docs.py --check    exit 1 (with a diff) when one is stale
    python scripts/gen_module_docs.py modules/network   only these module directories

A README without the markers gets them appended. The tests (tests/modules) call
``--check``; ``render_readme`` is the same function they compare with.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import hcl2
from hcl2.utils import SerializationOptions

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES = REPO_ROOT / "modules"

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"

_OPTIONS = SerializationOptions(
    with_comments=False,
    explicit_blocks=False,
    preserve_heredocs=False,
)


class ModuleDocsError(ValueError):
    """A module's HCL cannot be documented (parse error, missing markers, ...)."""


# -- reading a module -----------------------------------------------------------------


@dataclass
class Variable:
    name: str
    description: str | None
    type: str | None
    default: str | None  # HCL text; None when there is no default (required)
    required: bool
    sensitive: bool = False


@dataclass
class Output:
    name: str
    description: str | None
    sensitive: bool = False


@dataclass
class Module:
    path: Path
    required_version: str | None = None
    providers: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> {source, version}
    resources: list[tuple[str, str]] = field(default_factory=list)  # (type, name)
    data_sources: list[tuple[str, str]] = field(default_factory=list)
    module_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, source)
    variables: list[Variable] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def hcl_string(literal: Any) -> str:
    """The value of an HCL quoted string literal as python-hcl2 serializes it (with quotes)."""
    if not isinstance(literal, str):
        raise ModuleDocsError(f"expected a string literal, found {literal!r}")
    if not (len(literal) >= 2 and literal.startswith('"') and literal.endswith('"')):
        raise ModuleDocsError(f"expected a literal string, found the expression {literal!r}")
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "u":
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            if nxt == "U":
                out.append(chr(int(body[i + 2 : i + 10], 16)))
                i += 10
                continue
        if body.startswith("$${", i) or body.startswith("%%{", i):
            out.append(body[i + 1 : i + 3])
            i += 3
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unlabel(label: str) -> str:
    """A block label as python-hcl2 serializes it ("\\"name\\"") without its quotes."""
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def _expression(value: str) -> str:
    """An expression as python-hcl2 serializes it ("${list(string)}") as plain HCL."""
    if value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def hcl_value(value: Any) -> str:
    """HCL text for a parsed constant (a variable's default)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # Quoted literals stay as written; anything else is an expression.
        return value if value.startswith('"') else _expression(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{_unlabel(k)} = {hcl_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise ModuleDocsError(f"cannot render the default {value!r}")


def _blocks(parsed: dict[str, Any], kind: str) -> Iterable[dict[str, Any]]:
    return parsed.get(kind, [])


def read_module(path: Path) -> Module:
    """Parse every *.tf file directly in ``path`` (not its examples) into a :class:`Module`."""
    module = Module(path)
    files = sorted(path.glob("*.tf"))
    if not files:
        raise ModuleDocsError(f"{path} has no .tf files")
    for tf in files:
        try:
            parsed = hcl2.loads(tf.read_text(), serialization_options=_OPTIONS)
        except Exception as error:  # lark raises several unrelated exception types
            raise ModuleDocsError(f"{tf}: cannot parse: {error}") from error
        for block in _blocks(parsed, "terraform"):
            if "required_version" in block:
                module.required_version = hcl_string(block["required_version"])
            for providers in block.get("required_providers", []):
                for name, spec in providers.items():
                    if isinstance(spec, dict):
                        module.providers[name] = {
                            k: hcl_string(spec[k]) for k in ("source", "version") if k in spec
                        }
                    else:  # the pre-0.13 form: name = "version"
                        module.providers[name] = {"version": hcl_string(spec)}
        for block in _blocks(parsed, "resource"):
            for rtype, named in block.items():
                for name in named:
                    module.resources.append((_unlabel(rtype), _unlabel(name)))
        for block in _blocks(parsed, "data"):
            for rtype, named in block.items():
                for name in named:
                    module.data_sources.append((_unlabel(rtype), _unlabel(name)))
        for block in _blocks(parsed, "module"):
            for name, body in block.items():
                module.module_calls.append((_unlabel(name), hcl_string(body.get("source", '""'))))
        for block in _blocks(parsed, "variable"):
            for name, body in block.items():
                has_default = "default" in body
                default = body.get("default")
                module.variables.append(
                    Variable(
                        name=_unlabel(name),
                        description=hcl_string(body["description"]) if "description" in body else None,
                        type=_expression(body["type"]) if "type" in body else None,
                        default=hcl_value(default) if has_default else None,
                        # A variable with a default (even null) may be left out.
                        required=not has_default,
                        sensitive=body.get("sensitive") is True,
                    )
                )
        for block in _blocks(parsed, "output"):
            for name, body in block.items():
                module.outputs.append(
                    Output(
                        name=_unlabel(name),
                        description=hcl_string(body["description"]) if "description" in body else None,
                        sensitive=body.get("sensitive") is True,
                    )
                )
    # Required inputs first, then alphabetical, as terraform-docs sorts them.
    module.variables.sort(key=lambda v: (not v.required, v.name))
    module.outputs.sort(key=lambda o: o.name)
    module.resources.sort()
    module.data_sources.sort()
    module.module_calls.sort()
    return module


# -- rendering --------------------------------------------------------------------------


def _cell(text: str | None) -> str:
    """Text fit for one Markdown table cell."""
    if not text:
        return "n/a"
    text = text.strip().replace("\\", "\\\\").replace("|", "\\|")
    # Markdown would take <project> for an HTML tag and hide it.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(line.strip() for line in text.splitlines())


def _code(text: str) -> str:
    """Inline code for one table cell, whatever backticks or pipes it holds."""
    text = " ".join(text.split()).replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def render_tables(module: Module) -> str:
    """The generated Markdown between the markers (without the markers)."""
    lines: list[str] = ["## Requirements", "", "| Name | Version |", "|------|---------|"]
    lines.append(f"| terraform / tofu | {_code(module.required_version or 'any')} |")
    for name, spec in sorted(module.providers.items()):
        lines.append(f"| {name} | {_code(spec.get('version', 'any'))} |")
    lines += ["", "## Providers", "", "| Name | Source |", "|------|--------|"]
    for name, spec in sorted(module.providers.items()):
        lines.append(f"| {name} | {_code(spec.get('source', 'n/a'))} |")
    if not module.providers:
        lines = lines[:-4] + ["## Providers", "", "No providers."]

    lines += ["", "## Resources", ""]
    things = [(f"{t}.{n}", "resource") for t, n in module.resources]
    things += [(f"data.{t}.{n}", "data source") for t, n in module.data_sources]
    things += [(f"module.{n}", f"module ({_code(s)})") for n, s in module.module_calls]
    if things:
        lines += ["| Name | Type |", "|------|------|"]
        lines += [f"| {_code(address)} | {kind} |" for address, kind in things]
    else:
        lines.append("No resources.")

    lines += ["", "## Inputs", ""]
    if module.variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for v in module.variables:
            default = "n/a" if v.default is None else _code(v.default)
            lines.append(
                f"| <a name=\"input_{v.name}\"></a> [{v.name}](#input_{v.name}) | {_cell(v.description)} "
                f"| {_code(v.type or 'any')} | {default} | {'yes' if v.required else 'no'} |"
            )
    else:
        lines.append("No inputs.")

    lines += ["", "## Outputs", ""]
    if module.outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for o in module.outputs:
            lines.append(f"| <a name=\"output_{o.name}\"></a> [{o.name}](#output_{o.name}) | {_cell(o.description)} |")
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def render_readme(module_dir: Path, current: str | None = None) -> str:
    """The module's README.md with a freshly generated part.

    ``current`` is the README's text (read from disk when None; a missing README starts
    from a title).
    """
    readme = module_dir / "README.md"
    if current is None:
        current = readme.read_text() if readme.exists() else f"# {module_dir.name}\n"
    generated = f"{BEGIN}\n{render_tables(read_module(module_dir))}\n{END}"
    if BEGIN in current or END in current:
        start, end = current.find(BEGIN), current.find(END)
        if start < 0 or end < start or current.count(BEGIN) != 1 or current.count(END) != 1:
            raise ModuleDocsError(f"{readme}: needs exactly one {BEGIN} followed by one {END}")
        return current[:start] + generated + current[end + len(END) :]
    return current.rstrip("\n") + "\n\n" + generated + "\n"


def module_dirs(root: Path = MODULES) -> list[Path]:
    """Every module: a directory directly under modules/ with .tf files."""
    return sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.tf")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report stale READMEs instead of rewriting them")
    parser.add_argument("modules", nargs="*", type=Path, help="module directories (default: modules/*)")
    args = parser.parse_args(argv)

    dirs = [p.resolve() for p in args.modules] or module_dirs()
    stale = 0
    for module_dir in dirs:
        readme = module_dir / "README.md"
        current = readme.read_text() if readme.exists() else None
        try:
            wanted = render_readme(module_dir, current)
        except ModuleDocsError as error:
            print(f"gen_module_docs: {error}", file=sys.stderr)
            return 2
        if wanted == current:
            continue
        shown = readme.relative_to(REPO_ROOT) if readme.is_relative_to(REPO_ROOT) else readme
        if args.check:
            stale += 1
            diff = difflib.unified_diff(
                (current or "").splitlines(keepends=True),
                wanted.splitlines(keepends=True),
                f"{shown} (committed)",
                f"{shown} (generated)",
            )
            sys.stdout.writelines(diff)
        else:
            readme.write_text(wanted)
            print(f"gen_module_docs: wrote {shown}", file=sys.stderr)
    if stale:
        print(
            f"gen_module_docs: {stale} README(s) out of date; run `python scripts/gen_module_docs.py`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
