"""Small pages: the emulator answers list calls a few items at a time.

AWS pages every list; a client that reads only the first page misses what lies
beyond it, which the usual page sizes (50 to 100) hide in tests. With a page size set
(``POST /_ode/page-size`` with ``{"size": 2}``; 0 or a reset: AWS's own sizes), every
list the emulator answers gives at most that many items per page, whatever the request
asked for: moto reads the page size of a request (``MaxItems``, ``MaxRecords``,
``MaxResults``, ``maxResults``) through ``BaseResponse._get_param``, which
:func:`install` wraps; the project's own list handlers read it the same way. The sizes
AWS documents as minimums (20 for RDS and ElastiCache) are not enforced while a page
size is set.
"""

from __future__ import annotations

from typing import Any

PAGE_PARAMS = frozenset({"MaxItems", "MaxRecords", "MaxResults", "maxResults"})
_size = 0


def set_size(size: int) -> None:
    global _size
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"size must be a whole number >= 0, not {size!r}")
    _size = size


def size() -> int:
    """The page size in force (0: AWS's own)."""
    return _size


def install() -> None:
    from moto.core.responses import BaseResponse

    original = BaseResponse._get_param
    if getattr(original, "ode_paged", False):
        return

    def _get_param(self: Any, param_name: str, if_none: Any = None) -> Any:
        value = original(self, param_name, if_none)
        if not _size or param_name not in PAGE_PARAMS:
            return value
        if value is None or value is if_none:
            return str(_size) if if_none is None else type(if_none)(_size)
        return type(value)(min(int(value), _size))

    _get_param.ode_paged = True  # type: ignore[attr-defined]
    BaseResponse._get_param = _get_param  # type: ignore[method-assign]
