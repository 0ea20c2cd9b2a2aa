"""Policy for ode_network (CKV_ODE_6).

What the resource guarantees by itself: the isolated tier's route table never gets a
route to the internet gateway or a NAT gateway (nor an IPv6 default route); the
`isolation` attribute reports any route added outside Terraform and apply removes it.
What a configuration can still do is offer the isolated subnets to internet-facing
load balancers, by the subnet tag the AWS Load Balancer Controller (and the in-tree
service controller) use to pick the subnets of an internet-facing load balancer.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from ode_values import UNRESOLVED, UNSET, block, boolean, string_map

#: The subnet tag that marks subnets for internet-facing load balancers.
INTERNET_FACING_TAG = "kubernetes.io/role/elb"


class NetworkIsolatedTierStaysIsolated(BaseResourceCheck):
    """The isolated tier's `tags` do not carry `kubernetes.io/role/elb` (with any value
    but "0"), which would ask for internet-facing load balancers in subnets meant to
    have no route to or from the internet. A network whose isolated tier is disabled
    (`isolated { enabled = false }`) has nothing to check."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_network keeps its isolated tier off the internet (no internet-facing load balancer subnets)",
            id="CKV_ODE_6",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["ode_network"],
            guideline=f'Tag the public tier with "{INTERNET_FACING_TAG}" (the network module does), never the '
            "isolated tier; put what must be reachable from the internet behind a load balancer in public subnets.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["isolated/[0]/enabled", "isolated/[0]/tags"]
        isolated = block(conf, "isolated")
        if isolated is UNSET:
            # Every default: the tier exists with no extra tags.
            return CheckResult.PASSED
        if boolean(isolated, "enabled") is False:
            return CheckResult.PASSED
        tags = string_map(isolated, "tags")
        if tags is UNSET:
            return CheckResult.PASSED
        if tags is UNRESOLVED:
            return CheckResult.UNKNOWN
        if INTERNET_FACING_TAG in tags:
            value = tags[INTERNET_FACING_TAG]
            if value != "0":
                self.details.append(
                    f"isolated.tags has {INTERNET_FACING_TAG} = {value!r}: internet-facing load balancers may be "
                    "placed in the isolated subnets"
                )
                return CheckResult.FAILED
        return CheckResult.PASSED


check_isolated_tier = NetworkIsolatedTierStaysIsolated()
