"""Policy for ode_state_backend (CKV_ODE_10).

What the resource guarantees by itself: the state bucket is versioned, encrypted
(SSE-S3, or SSE-KMS with `kms_key_arn`), blocks every kind of public access and denies
requests without TLS; the lock table has point-in-time recovery and encryption. No
attribute turns any of these off, and drift in them is repaired by apply. The one
setting that weakens them is `force_destroy`: it lets a destroy delete every version
of every state file, which is the history versioning keeps.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from ode_values import UNRESOLVED, boolean


class StateBackendKeepsVersions(BaseResourceCheck):
    """`force_destroy` (default false) is not true."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_state_backend keeps the state's versions (force_destroy off)",
            id="CKV_ODE_10",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["ode_state_backend"],
            guideline="Leave force_destroy unset (default false); to retire a backend, move or delete the state "
            "files deliberately first.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["force_destroy"]
        force = boolean(conf, "force_destroy")
        if force is True:
            self.details.append("force_destroy = true lets destroy delete every version of every state file")
            return CheckResult.FAILED
        return CheckResult.UNKNOWN if force is UNRESOLVED else CheckResult.PASSED


check_keeps_versions = StateBackendKeepsVersions()
