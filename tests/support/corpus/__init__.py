"""The bad-input corpus: invalid configurations of every composite, and how to run them
in batches.

Each composite has a module here (``network``, ``eks_stack``, ``data_tier``,
``registry``, ``state_backend``) whose ``CASES`` list holds :class:`Case` objects: one
resource block (or one call of the composite's module under ``modules/``) that is
valid except for one thing, the message its error must carry and the line that error
must point at.

A case becomes one block of a shared configuration (:func:`render`): its resource or
module label is the case's slug, so every error diagnostic is traced back to the case
whose block holds the line it points at (:func:`owner`), or, for an error inside a
module the case calls, to the module address in it. One ``validate -json`` then checks
every case the core or the provider refuses at validate, and one ``plan -json`` of the
cases left checks the ones refused at plan. Two controls (:attr:`Composite.controls`)
ride along in both: the base resource and module call, which must be accepted.

Placeholders ``@name@`` in a case's HCL stand for objects the test makes in the
emulator before the run (subnet and KMS key ids); :func:`render` fills them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from ..diagnostics import Diagnostic, block_line, normalise

# What a case gets wrong. Every composite's corpus covers each of these.
TYPE = "type"  # a value of the wrong type, an argument or block the schema does not have
RANGE = "range"  # a number or a length outside its bounds
PATTERN = "pattern"  # a string that is not of the form the attribute takes
CROSS = "cross"  # a rule between attributes (or against what AWS offers, at plan)
ELEMENT = "element"  # one element of a map or list, or a key of a map
MODULE = "module"  # a variable of the composite's module in modules/
KINDS = (TYPE, RANGE, PATTERN, CROSS, ELEMENT, MODULE)
# Not a bad input: the base configuration of a composite's cases (a resource, and a
# call of its module), which both commands must accept, so that what refuses a case is
# the one thing the case changes.
CONTROL = "control"

#: A value for :attr:`Case.args` that leaves the argument out of the block.
OMIT = None

#: Why a configuration value for an attribute only the provider sets (a computed-only
#: attribute) is accepted: the provider does not refuse it, and the plan silently shows
#: the attribute as "known after apply" instead.
READ_ONLY = "a value for a read-only (computed-only) attribute is accepted and silently ignored"


@dataclass(frozen=True)
class Case:
    """One invalid configuration of a composite (or, of kind :data:`CONTROL`, its
    valid base).

    ``args`` overrides the composite's base arguments (``{"name": '"x"'}``: HCL
    expressions; :data:`OMIT` leaves one out); ``body`` is HCL added to the block,
    written at the block's own indentation (the renderer indents it).

    The error must say ``says`` (in its summary or detail) and point at the line that
    ``at`` finds inside the case's block: each marker in turn is searched from the line
    after the previous match, as the first line whose text starts with it (followed by
    a space, ``=``, ``{``, ``,`` or the end of the line). An empty ``at`` is the block's first
    line. The default is the parts of ``attribute`` split at dots.

    A module case (``module`` set) calls ``modules/<module>`` with ``args`` and
    ``body``; ``variable`` names the variable it gets wrong. With ``type_error`` the
    value does not convert to the variable's type: OpenTofu then points at the
    variable's declaration in the module (and names ``module.<slug>.var.<variable>``),
    Terraform at the argument.

    ``xfail`` marks a configuration the provider accepts although AWS would refuse it
    (a defect to fix, not a reason to drop the case): the case is expected to fail
    until then, and passing makes it fail (strict).
    """

    slug: str
    kind: str
    attribute: str
    says: str
    args: Mapping[str, str | None] = field(default_factory=dict)
    body: str = ""
    at: tuple[str, ...] | None = None
    module: str | None = None
    variable: str | None = None
    type_error: bool = False
    xfail: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in (*KINDS, CONTROL):
            raise ValueError(f"{self.slug}: unknown kind {self.kind!r}")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", self.slug):
            raise ValueError(f"{self.slug!r} is not a slug (it labels the case's block)")
        if self.kind != CONTROL and (self.module is None) != (self.kind != MODULE):
            raise ValueError(f"{self.slug}: module cases, and only they, name a module")

    @property
    def markers(self) -> tuple[str, ...]:
        if self.at is not None:
            return self.at
        return tuple(self.attribute.split("."))


def arg(slug: str, kind: str, attribute: str, value: str, says: str, **kw) -> Case:
    """A case that sets the top-level argument ``attribute`` to ``value``."""
    return Case(slug, kind, attribute, says, args={attribute: value}, **kw)


def module_arg(module: str, slug: str, variable: str, value: str, says: str, *, type_error: bool = False) -> Case:
    """A call of modules/<module> that sets ``variable`` to ``value``."""
    return Case(
        slug, MODULE, f"var.{variable}", says, args={variable: value}, module=module, variable=variable,
        type_error=type_error, at=(variable,),
    )


def timeout_cases() -> list[Case]:
    """The ``timeouts`` block's rules, which every composite checks."""
    def timeout(slug: str, kind: str, op: str, value: str, says: str) -> Case:
        return Case(slug, kind, f"timeouts.{op}", says, body=f'timeouts {{\n  {op} = "{value}"\n}}')

    return [
        timeout("timeout-unit", PATTERN, "create", "an hour", 'unknown unit "an hour"'),
        timeout("timeout-no-unit", PATTERN, "update", "45", '"45" is not a duration'),
        timeout("timeout-days", PATTERN, "delete", "2d", 'unknown unit "d"'),
        timeout("timeout-zero", RANGE, "delete", "0m", "a timeout must be longer than zero"),
        timeout("timeout-over-a-week", RANGE, "create", "200h", '"200h" is longer than the maximum of 168h'),
    ]


def tag_cases() -> list[Case]:
    """The rules for tag keys and values, which every composite checks, each on one
    element of a ``tags`` map that also holds a valid tag."""
    def tag(slug: str, kind: str, key: str, value: str, says: str) -> Case:
        body = f'tags = {{\n  Team = "platform"\n  {key} = "{value}"\n}}'
        return Case(slug, kind, f"tags[{key}]", says, body=body, at=("tags", key))

    return [
        tag("tag-aws-prefix", ELEMENT, '"aws:owner"', "me", 'Tag key "aws:owner" uses the reserved prefix "aws:"'),
        tag("tag-ode-prefix", ELEMENT, '"ode:stack"', "other", "which this provider reserves for its ownership tags"),
        tag("tag-empty-key", RANGE, '""', "x", "Tag keys must be 1 to 128 characters long"),
        tag("tag-long-value", RANGE, "Owner", "v" * 257, "Tag values must be at most 256 characters long"),
        arg("tags-list", TYPE, "tags", '["platform"]', "map of string required"),
    ]


@dataclass(frozen=True)
class Composite:
    """What a composite's cases are rendered with.

    ``base`` holds the arguments every resource case starts from, in order;
    ``module_base`` those of every module case. ``{n}`` in a value is the case's
    number, which keeps names apart. ``services`` are the AWS services whose objects
    the composite makes (what the test lists before and after the run).
    """

    name: str  # ode_network
    module: str  # network (modules/network)
    base: Mapping[str, str]
    module_base: Mapping[str, str]
    cases: tuple[Case, ...]
    services: tuple[str, ...]

    @property
    def controls(self) -> tuple[Case, Case]:
        """The valid resource and module call every case starts from."""
        return (
            Case("control", CONTROL, "(the base arguments)", "", at=()),
            Case("control-module", CONTROL, "(the module's base arguments)", "", module=self.module, at=()),
        )


@dataclass
class Block:
    """Where one case sits in a rendered configuration."""

    case: Case
    address: str  # ode_network.<slug> or module.<slug>
    first: int  # 1-based line of the block's header
    last: int  # 1-based line of its closing brace
    expected: int  # the line its error must point at


def _indent(hcl: str, by: str = "  ") -> list[str]:
    return [by + line if line.strip() else "" for line in hcl.strip("\n").splitlines()]


def _arguments(base: Mapping[str, str], args: Mapping[str, str | None], number: int) -> list[str]:
    merged: dict[str, str | None] = dict(base)
    merged.update(args)
    return [f"  {name} = {value.replace('{n}', f'{number:03d}')}" for name, value in merged.items() if value is not OMIT]


def case_lines(composite: Composite, case: Case, number: int) -> list[str]:
    """The HCL lines of one case's block."""
    if case.module is not None:
        header = f'module "{case.slug}" {{'
        lines = [header, f'  source = "../modules/{case.module}"']
        lines += _arguments(composite.module_base, case.args, number)
    else:
        header = f'resource "{composite.name}" "{case.slug}" {{'
        lines = [header] + _arguments(composite.base, case.args, number)
    lines += _indent(case.body)
    lines.append("}")
    return lines


def find_line(lines: list[str], first: int, last: int, markers: Iterable[str], what: str) -> int:
    """The 1-based line ``markers`` lead to inside lines[first-1:last] (see :class:`Case`)."""
    at = first - 1
    for marker in markers:
        pattern = re.compile(re.escape(marker) + r"(\s|=|\{|,|$)")
        found = next((i for i in range(at + 1, last) if pattern.match(lines[i].strip())), None)
        if found is None:
            raise AssertionError(f"{what}: no line starting with {marker!r} after line {at + 1}")
        at = found
    return at + 1


def render(
    composite: Composite,
    cases: Iterable[Case],
    prelude: str,
    fills: Mapping[str, str],
) -> tuple[str, dict[str, Block]]:
    """The configuration holding ``cases`` after ``prelude`` (the provider blocks), and
    where each case's block is, by slug. ``fills`` replaces the ``@name@`` placeholders."""
    lines = prelude.rstrip("\n").splitlines()
    blocks: dict[str, Block] = {}
    numbers = {c.slug: i for i, c in enumerate((*composite.controls, *composite.cases))}
    for case in cases:
        lines.append("")
        first = len(lines) + 1
        for line in case_lines(composite, case, numbers[case.slug]):
            lines.append(_fill(line, fills, case.slug))
        last = len(lines)
        address = f"module.{case.slug}" if case.module else f"{composite.name}.{case.slug}"
        expected = find_line(lines, first, last, case.markers, f"{composite.name} case {case.slug}")
        blocks[case.slug] = Block(case, address, first, last, expected)
    return "\n".join(lines) + "\n", blocks


def _fill(line: str, fills: Mapping[str, str], slug: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fills:
            raise KeyError(f"case {slug}: no value for the placeholder @{name}@")
        return fills[name]

    return re.sub(r"@([a-z0-9_]+)@", value, line)


def owner(diagnostic: Diagnostic, blocks: Mapping[str, Block], raw: Mapping | None = None) -> str | None:
    """The slug of the case an error diagnostic belongs to, or None.

    An error in main.tf belongs to the case whose block holds its line; one in a module's
    file to the case whose module address the diagnostic names (its ``address``, or
    ``module.<slug>.`` in its detail, as a core's variable type errors say).
    """
    where = diagnostic.range
    if where is not None and where.filename == "main.tf":
        for slug, block in blocks.items():
            if block.first <= where.line <= block.last:
                return slug
        return None
    address = (raw or {}).get("address") or ""
    for slug, block in blocks.items():
        if block.case.module is None:
            continue
        prefix = f"module.{slug}."
        if address.startswith(prefix) or prefix in normalise(diagnostic.detail):
            return slug
    return None


def variable_line(repo: Path, module: str, variable: str) -> int:
    """The line of ``variable "<variable>"`` in modules/<module>/variables.tf."""
    text = (repo / "modules" / module / "variables.tf").read_text()
    return block_line(text, f'variable "{variable}"')


def problem(case: Case, block: Block, errors: list[Diagnostic], core_name: str, repo: Path) -> str | None:
    """Why ``errors`` (those of the case's block) do not show the case refused as it
    should be (a control: accepted), or None when they do."""
    if case.kind == CONTROL:
        return "the valid base configuration was refused" if errors else None
    if not errors:
        return "accepted: no error diagnostic"
    saying = [d for d in errors if d.says(case.says)]
    if not saying:
        return f"no error says {case.says!r}"
    if case.type_error and core_name == "tofu":
        filename = f"../modules/{case.module}/variables.tf"
        wanted = (filename, variable_line(repo, case.module, case.variable))
        named = f"module.{case.slug}.var.{case.variable}"
        for d in saying:
            if d.range and (d.range.filename, d.range.line) == wanted and named in normalise(d.detail):
                return None
        return f"no error saying {case.says!r} points at {wanted[0]}:{wanted[1]} naming {named}"
    for d in saying:
        if d.range and d.range.filename == "main.tf" and d.range.line == block.expected:
            return None
    return f"the error saying {case.says!r} does not point at main.tf:{block.expected}"


def check_corpus(composite: Composite, minimum: int) -> None:
    """The corpus's own rules: enough cases that are not marked xfail, each kind
    covered, slugs unique, module cases on the composite's module."""
    slugs = [c.slug for c in composite.cases]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    assert not duplicates, f"{composite.name}: slugs used twice: {duplicates}"
    counted = sum(1 for c in composite.cases if not c.xfail)
    assert counted >= minimum, f"{composite.name}: {counted} cases not marked xfail, fewer than {minimum}"
    missing = [k for k in KINDS if not any(c.kind == k for c in composite.cases)]
    assert not missing, f"{composite.name}: no case of kind {missing}"
    foreign = [c.slug for c in composite.cases if c.module not in (None, composite.module)]
    assert not foreign, f"{composite.name}: module cases on another module: {foreign}"
