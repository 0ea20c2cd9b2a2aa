"""Policy for ode_registry (CKV_ODE_7).

What the resource guarantees by itself: every repository scans images on push (no
attribute turns that off; the `compliance` attribute reports a repository whose
scanning was changed outside Terraform, and apply restores it), and every repository
is encrypted (AES256 by ECR, or the given KMS key).
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from ode_values import UNRESOLVED, boolean


class RegistryImmutableTags(BaseResourceCheck):
    """`immutable_tags` (default true) is not false: a pushed tag, once scanned, cannot
    be overwritten by another image."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_registry keeps image tags immutable",
            id="CKV_ODE_7",
            categories=[CheckCategories.SUPPLY_CHAIN],
            supported_resources=["ode_registry"],
            guideline="Leave immutable_tags unset (default true) or true; push every build under a new tag.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["immutable_tags"]
        immutable = boolean(conf, "immutable_tags")
        if immutable is False:
            self.details.append("immutable_tags = false lets a push replace the image behind an existing tag")
            return CheckResult.FAILED
        return CheckResult.UNKNOWN if immutable is UNRESOLVED else CheckResult.PASSED


check_immutable_tags = RegistryImmutableTags()
