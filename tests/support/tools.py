"""Where scripts/install-tools.sh puts the tools."""

from __future__ import annotations

import os
from pathlib import Path

ODE_CACHE = Path(os.environ.get("ODE_CACHE") or Path.home() / ".cache/ode")
TOOLS = ODE_CACHE / "tools"
# Keep the versions in step with scripts/install-tools.sh.
ACTIONLINT = TOOLS / "actionlint-1.7.12" / "actionlint"
