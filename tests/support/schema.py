"""The provider's schema as a core sees it (``providers schema -json``).

Used by the schema tests and by scripts/gen_docs.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .core import Core, write_config
from .mirror import PROVIDER_SOURCE, PROVIDER_VERSION

# A configuration that needs the provider and nothing else.
REQUIRED_PROVIDERS = f"""terraform {{
  required_providers {{
    ode = {{ source = "{PROVIDER_SOURCE}", version = "{PROVIDER_VERSION}" }}
  }}
}}
"""

# The kinds of schemas a provider can list besides its own block.
SCHEMA_KINDS = ("resource_schemas", "data_source_schemas", "ephemeral_resource_schemas")


def provider_schema(core: Core, workdir: Path) -> dict[str, Any]:
    """The ode provider's entry of ``providers schema -json``, after an init in ``workdir``.

    Returns {"provider": {...}, "resource_schemas": {...}, ...}.
    """
    write_config(workdir, REQUIRED_PROVIDERS)
    core.init(workdir)
    schemas = json.loads(core.run(workdir, "providers", "schema", "-json").stdout)
    listed = schemas.get("provider_schemas", {})
    if PROVIDER_SOURCE not in listed:
        raise AssertionError(f"{PROVIDER_SOURCE} is not in `providers schema -json`: {sorted(listed)}")
    return listed[PROVIDER_SOURCE]


def walk_block(block: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every attribute, nested attribute and nested block under ``block`` as (path, schema).

    Paths are dotted (``assume_role.role_arn``). A nested block is yielded as its
    ``block_types`` entry; its own ``block`` holds its description.
    """
    prefix = f"{path}." if path else ""
    for name, attribute in sorted(block.get("attributes", {}).items()):
        yield prefix + name, attribute
        nested = attribute.get("nested_type")
        if nested:
            yield from walk_block(nested, prefix + name)
    for name, block_type in sorted(block.get("block_types", {}).items()):
        yield prefix + name, block_type
        yield from walk_block(block_type.get("block", {}), prefix + name)


def description_of(item: dict[str, Any]) -> str:
    """The description of an attribute, or of a nested block (kept in its inner block)."""
    if "block" in item and "nesting_mode" in item:
        return item["block"].get("description", "")
    return item.get("description", "")
