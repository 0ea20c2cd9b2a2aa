"""Policies for ode_eks_stack (CKV_ODE_8, CKV_ODE_9).

What the resource guarantees by itself: Kubernetes secrets are always envelope-encrypted
with a KMS key (no attribute turns that off); with `kms_key_arn` null the stack creates
a customer managed key of its own.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from ode_values import UNRESOLVED, UNSET, boolean, is_expression, single, string_list

RESOURCE = "ode_eks_stack"

# arn:PARTITION:kms:REGION:ACCOUNT:key/ID or :alias/NAME
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$")
# AWS managed keys are named alias/aws/<service>: they serve only that service.
_AWS_MANAGED_ALIAS = re.compile(r":alias/aws/")
# References that are customer managed keys by construction.
_CUSTOMER_KEY_REFERENCE = re.compile(r"\baws_kms_(key|replica_key|external_key)\.[A-Za-z0-9_-]+(\[[^\]]*\])?\.(arn|id|key_id)\b")


class EksSecretsCustomerManagedKey(BaseResourceCheck):
    """`kms_key_arn` is null (the stack creates a customer managed key) or names a
    customer managed key: a KMS key or alias ARN, not an AWS managed key
    (`alias/aws/<service>`, usable only by its own service)."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_eks_stack encrypts Kubernetes secrets with a customer managed KMS key",
            id="CKV_ODE_8",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=[RESOURCE],
            guideline="Leave kms_key_arn unset (the stack creates its own key) or give the ARN of a symmetric "
            "customer managed key in the cluster's region; never an alias/aws/... key.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["kms_key_arn"]
        key = single(conf, "kms_key_arn")
        if key is UNSET:
            return CheckResult.PASSED
        if not isinstance(key, str):
            return CheckResult.UNKNOWN
        if is_expression(key):
            return CheckResult.PASSED if _CUSTOMER_KEY_REFERENCE.search(key) else CheckResult.UNKNOWN
        if not _KMS_ARN.match(key):
            self.details.append(f"kms_key_arn {key!r} is not a KMS key or alias ARN")
            return CheckResult.FAILED
        if _AWS_MANAGED_ALIAS.search(key):
            self.details.append(f"kms_key_arn {key!r} is an AWS managed key, which only its own service may use")
            return CheckResult.FAILED
        return CheckResult.PASSED


def _whole_internet(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


class EksEndpointNotOpen(BaseResourceCheck):
    """The public API endpoint is off (`endpoint_public_access = false`), or
    `public_access_cidrs` lists the operators' networks. Unset (or empty) it defaults to
    0.0.0.0/0, the whole internet, and fails, as does any /0 block in it."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_eks_stack does not open its public API endpoint to the whole internet",
            id="CKV_ODE_9",
            categories=[CheckCategories.KUBERNETES],
            supported_resources=[RESOURCE],
            guideline="Set public_access_cidrs to your operators' CIDR blocks, or endpoint_public_access = false "
            "and reach the API server from inside the VPC (VPN, bastion).",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["endpoint_public_access", "public_access_cidrs"]
        public = boolean(conf, "endpoint_public_access")
        if public is False:
            return CheckResult.PASSED
        cidrs = string_list(conf, "public_access_cidrs")
        if cidrs is UNRESOLVED:
            return CheckResult.UNKNOWN
        if cidrs is UNSET:
            problem = "public_access_cidrs is unset, so the public endpoint is open to 0.0.0.0/0"
        else:
            open_blocks = [c for c in cidrs if isinstance(c, str) and _whole_internet(c)]
            if not open_blocks:
                return CheckResult.UNKNOWN if UNRESOLVED in cidrs else CheckResult.PASSED
            problem = f"public_access_cidrs opens the public endpoint to the whole internet: {', '.join(open_blocks)}"
        if public is UNRESOLVED:
            return CheckResult.UNKNOWN
        self.details.append(problem)
        return CheckResult.FAILED


check_secrets_key = EksSecretsCustomerManagedKey()
check_endpoint = EksEndpointNotOpen()
