"""Where scripts/install-tools.sh puts the tools, and why one may be missing."""

from __future__ import annotations

import os
from pathlib import Path

ODE_CACHE = Path(os.environ.get("ODE_CACHE") or Path.home() / ".cache/ode")
TOOLS = ODE_CACHE / "tools"
# Keep the versions in step with scripts/install-tools.sh.
ACTIONLINT = TOOLS / "actionlint-1.7.12" / "actionlint"


def build_failure(binary: Path) -> str | None:
    """The first compiler message of a failed best-effort build of ``binary``, if any.

    install-tools.sh keeps the messages of a failed ``go install`` of
    ``TOOLS/NAME-VERSION/NAME`` in ``TOOLS/NAME-VERSION.failed``.
    """
    failed = binary.parent.with_name(binary.parent.name + ".failed")
    if not failed.exists():
        return None
    # Skip go's "# package" headers.
    lines = [l for l in failed.read_text().splitlines() if l.strip() and not l.startswith("#")]
    return f"{binary.name} did not build (see {failed}): {lines[0] if lines else 'no message'}"
