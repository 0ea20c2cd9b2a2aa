"""Reading ode_* resource configurations as checkov hands them to a check.

checkov gives a check the resource's attributes after its own evaluation of variables,
locals and module inputs: every attribute value wrapped in a one-element list, nested
blocks as lists of dicts, and whatever it could not evaluate left as expression text
(`var.x`, `local.tags`, `ode_network.this[0].isolated_subnet_ids`,
`coalesce(var.name,"ode-production")`). The helpers here turn that into three cases:

* a known value (a bool, a number, a string, a list or a map),
* ``UNSET``: the attribute (or its block) is absent or null, so the provider's default
  applies, which each policy states,
* ``UNRESOLVED``: an expression checkov could not evaluate; a policy then answers
  UNKNOWN (checkov's result for "cannot tell"), never PASSED by guess.

One rendering needs care: when a module passes on an attribute of an object variable
(`at_rest_encryption = var.redis.at_rest_encryption`), checkov often gives the object
instead of the attribute: `{}` when the caller set no object, or the caller's whole
object (`{"transit_encryption": [false]}`). Where a bool, string or list belongs, such
a dict is read as Terraform would index it: the attribute's value when the object has
it, else null (an optional attribute left out), that is UNSET.

This file holds no check; checkov imports it like the policy files beside it.
"""

from __future__ import annotations

import re
from typing import Any


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Absent or null: the provider's default applies.
UNSET = _Marker("UNSET")
#: An expression checkov could not evaluate.
UNRESOLVED = _Marker("UNRESOLVED")

# Text that checkov leaves for an expression it could not evaluate: a reference
# (var.x, local.x, module.x.y, data.t.n.a, each.value, count.index, t.name.attr), a
# template or a function call.
_REFERENCE = re.compile(
    r"(\$\{)"
    r"|(\b(var|local|module|data|each|count|path|terraform|self)\.)"
    r"|(\b[a-z][a-z0-9_]*\.[a-z_][a-z0-9_-]*(\[[^\]]*\])?\.[a-z_])"
    r"|(^[a-z_][a-z0-9_]*\()",
)


def is_expression(text: str) -> bool:
    """Whether ``text`` is expression text checkov left unevaluated. An ARN is a
    literal even when its resource part has dots (`alias/team.key`)."""
    if text.startswith("arn:") and "${" not in text:
        return False
    return bool(_REFERENCE.search(text))


def _unwrap(value: Any) -> Any:
    # checkov wraps each attribute value in a one-element list, sometimes twice.
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def block(conf: dict[str, Any], name: str) -> dict[str, Any] | _Marker:
    """The nested block ``name`` (``redis { ... }``), UNSET when absent, UNRESOLVED when
    it is a dynamic block or an expression."""
    raw = conf.get(name)
    if raw is None:
        return UNSET
    if isinstance(raw, list):
        if not raw:
            return UNSET
        raw = raw[0]
    if isinstance(raw, dict):
        return raw
    return UNRESOLVED


def attribute(conf: dict[str, Any] | _Marker, name: str) -> Any:
    """The raw value of attribute ``name`` with checkov's list wrapping removed:
    UNSET when absent or null, UNRESOLVED when conf itself is."""
    if conf is UNSET:
        return UNSET
    if conf is UNRESOLVED:
        return UNRESOLVED
    assert isinstance(conf, dict)
    if name not in conf:
        return UNSET
    raw = conf[name]
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if raw is None or raw == "None" or raw == "null" or raw == {}:
        return UNSET
    return raw


def single(conf: dict[str, Any] | _Marker, name: str) -> Any:
    """Like :func:`attribute`, for a bool, string or list attribute: a dict checkov left
    in its place is indexed by ``name`` (see the module's docstring)."""
    value = attribute(conf, name)
    while isinstance(value, dict):
        if name not in value:
            return UNSET
        value = _unwrap(value[name])
        if value is None or value == "None" or value == "null" or value == {}:
            return UNSET
    return value


def boolean(conf: dict[str, Any] | _Marker, name: str) -> bool | _Marker:
    """A bool attribute: True, False, UNSET or UNRESOLVED."""
    value = single(conf, name)
    if value is UNSET or value is UNRESOLVED:
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return UNRESOLVED


def string_list(conf: dict[str, Any] | _Marker, name: str) -> list[str | _Marker] | _Marker:
    """A list-of-strings attribute: its elements (each a string or UNRESOLVED), UNSET
    when absent, null or empty, UNRESOLVED when the whole list is an expression."""
    value = single(conf, name)
    if value is UNSET or value is UNRESOLVED:
        return value
    if isinstance(value, str):
        # The whole list is one expression (`var.cidrs`), or a literal list with one
        # element that checkov unwrapped.
        return UNRESOLVED if is_expression(value) else [value]
    if not isinstance(value, list):
        return UNRESOLVED
    items: list[str | _Marker] = []
    for item in value:
        while isinstance(item, list) and len(item) == 1:
            item = item[0]
        if isinstance(item, str) and not is_expression(item):
            items.append(item)
        else:
            items.append(UNRESOLVED)
    return items if items else UNSET


def string_map(conf: dict[str, Any] | _Marker, name: str) -> dict[str, Any] | _Marker:
    """A map attribute (`tags`, `buckets`): its entries with values unwrapped, UNSET
    when absent or empty, UNRESOLVED when it is an expression."""
    value = attribute(conf, name)
    if value is UNSET or value is UNRESOLVED:
        return value
    if isinstance(value, dict):
        return {key: _unwrap(item) for key, item in value.items()}
    return UNRESOLVED
