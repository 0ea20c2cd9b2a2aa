"""Policies for ode_data_tier (CKV_ODE_1 to CKV_ODE_5).

What the resource guarantees by itself, and so needs no policy: PostgreSQL storage is
always encrypted with the tier's KMS key, the database is never publicly accessible,
every bucket blocks public access, allows only TLS requests and is encrypted
(`encryption` offers `aws:kms` or `AES256`, nothing else), and a /0 block in
`allowed_cidr_blocks` is refused at validate.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from ode_values import UNRESOLVED, UNSET, attribute, block, boolean, is_expression, string_list, string_map

RESOURCE = "ode_data_tier"


class DataTierEncryptedAtRest(BaseResourceCheck):
    """`redis.at_rest_encryption` (default true) is not false. PostgreSQL and the
    buckets are always encrypted: no attribute turns their encryption off."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_data_tier encrypts Redis data at rest",
            id="CKV_ODE_1",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=[RESOURCE],
            guideline="Leave redis.at_rest_encryption unset (default true) or true.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["redis/[0]/at_rest_encryption"]
        at_rest = boolean(block(conf, "redis"), "at_rest_encryption")
        if at_rest is False:
            self.details.append("redis.at_rest_encryption = false stores the Redis data (and its snapshots) unencrypted")
            return CheckResult.FAILED
        return CheckResult.UNKNOWN if at_rest is UNRESOLVED else CheckResult.PASSED


# Address space that never routes on the internet: RFC 1918, the shared space of RFC
# 6598 (carrier-grade NAT, also used for EKS custom pod networking) and IPv6 unique
# local addresses.
PRIVATE_NETWORKS = [
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]


def _public(cidr: str) -> bool:
    """Whether ``cidr`` reaches beyond private address space (unparsable text is left
    to the provider's own check)."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return not any(
        network.version == private.version and network.subnet_of(private)  # type: ignore[arg-type]
        for private in PRIVATE_NETWORKS
    )


class DataTierNotPublic(BaseResourceCheck):
    """Every `allowed_cidr_blocks` entry lies in private address space (10.0.0.0/8,
    172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7). The provider itself
    refuses a /0 block, but not the halves of one (`0.0.0.0/1`, `128.0.0.0/1`) nor
    any other public range."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_data_tier admits only private networks (allowed_cidr_blocks)",
            id="CKV_ODE_2",
            categories=[CheckCategories.NETWORKING],
            supported_resources=[RESOURCE],
            guideline="Allow the cluster's security group (allowed_security_group_ids) or the private CIDR blocks "
            "of your own networks (VPC, VPN); never public address ranges.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["allowed_cidr_blocks"]
        cidrs = string_list(conf, "allowed_cidr_blocks")
        if cidrs is UNSET:
            return CheckResult.PASSED
        if cidrs is UNRESOLVED:
            return CheckResult.UNKNOWN
        public = [c for c in cidrs if isinstance(c, str) and _public(c)]
        if public:
            self.details.append(f"allowed_cidr_blocks admits public address ranges: {', '.join(public)}")
            return CheckResult.FAILED
        return CheckResult.UNKNOWN if UNRESOLVED in cidrs else CheckResult.PASSED


def _texts(value: Any) -> list[str]:
    """Every string inside a (nested) checkov value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


_ROUTED_SUBNETS = re.compile(r"\b(public|private)_subnet_ids\b")
_ISOLATED_SUBNETS = re.compile(r"\bisolated_subnet_ids\b")


class DataTierInIsolatedSubnets(BaseResourceCheck):
    """`subnet_ids` comes from an isolated tier (`isolated_subnet_ids` of an ode_network
    or a network module), never from its public or private subnets, which route to the
    internet. Literal subnet IDs cannot be told apart: UNKNOWN."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_data_tier is placed in isolated subnets (no route to or from the internet)",
            id="CKV_ODE_3",
            categories=[CheckCategories.NETWORKING],
            supported_resources=[RESOURCE],
            guideline="Set subnet_ids to the isolated_subnet_ids of the ode_network (or network module), "
            "not its public_subnet_ids or private_subnet_ids.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["subnet_ids"]
        texts = _texts(attribute(conf, "subnet_ids"))
        routed = [t for t in texts if _ROUTED_SUBNETS.search(t)]
        if routed:
            self.details.append(f"subnet_ids are subnets with an internet route: {', '.join(routed)}")
            return CheckResult.FAILED
        if texts and all(_ISOLATED_SUBNETS.search(t) for t in texts):
            return CheckResult.PASSED
        return CheckResult.UNKNOWN


# How a tier says it is in production: a name segment or an environment tag value.
PRODUCTION_WORDS = {"prod", "production"}
ENVIRONMENT_TAG_KEYS = {"environment", "env"}


def _words(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", text.lower())) - {""}


class DataTierDeletionProtectionInProduction(BaseResourceCheck):
    """`postgres.deletion_protection` (default true) is not false on a production tier.

    A tier is production when its `name` has a `prod` or `production` segment
    (`ode-production`) or its `Environment` (or `env`) tag, in any letter case, says
    `prod` or `production`; expression text checkov could not evaluate counts when it
    holds such a word. Deletion protection may be off only on a tier shown to be
    something else: a readable name or environment tag without those words. When
    neither can be read, the tier counts as production.
    """

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_data_tier keeps PostgreSQL deletion protection on in production",
            id="CKV_ODE_4",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=[RESOURCE],
            guideline="Leave postgres.deletion_protection unset (default true) or true in production; "
            "turn it off (then apply) only right before a planned destroy.",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["postgres/[0]/deletion_protection", "name", "tags"]
        protection = boolean(block(conf, "postgres"), "deletion_protection")
        if protection is UNRESOLVED:
            return CheckResult.UNKNOWN
        if protection is not False:
            return CheckResult.PASSED
        readable: list[str] = []
        production: list[str] = []
        name = attribute(conf, "name")
        if isinstance(name, str):
            if not is_expression(name):
                readable.append(f"name {name!r}")
            if _words(name) & PRODUCTION_WORDS:
                production.append(f"name {name!r}")
        tags = string_map(conf, "tags")
        if isinstance(tags, dict):
            for key, value in tags.items():
                if key.lower() not in ENVIRONMENT_TAG_KEYS or not isinstance(value, str):
                    continue
                if not is_expression(value):
                    readable.append(f"tag {key} = {value!r}")
                if _words(value) & PRODUCTION_WORDS:
                    production.append(f"tag {key} = {value!r}")
        elif isinstance(tags, str) and _words(tags) & PRODUCTION_WORDS:
            production.append(f"tags {tags!r}")
        if production:
            self.details.append(f"postgres.deletion_protection = false on a production tier ({', '.join(production)})")
            return CheckResult.FAILED
        if readable:
            return CheckResult.PASSED
        self.details.append(
            "postgres.deletion_protection = false, and neither the name nor an Environment tag shows that the tier "
            "is not production"
        )
        return CheckResult.FAILED


class DataTierRedisTls(BaseResourceCheck):
    """`redis.transit_encryption` (default true) is not false: clients reach Redis over TLS."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure ode_data_tier encrypts Redis traffic in transit (TLS)",
            id="CKV_ODE_5",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=[RESOURCE],
            guideline="Leave redis.transit_encryption unset (default true) or true; clients use rediss:// (redis_url).",
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["redis/[0]/transit_encryption"]
        transit = boolean(block(conf, "redis"), "transit_encryption")
        if transit is False:
            self.details.append("redis.transit_encryption = false: clients and Redis talk in clear text")
            return CheckResult.FAILED
        return CheckResult.UNKNOWN if transit is UNRESOLVED else CheckResult.PASSED


check_encrypted = DataTierEncryptedAtRest()
check_not_public = DataTierNotPublic()
check_isolated = DataTierInIsolatedSubnets()
check_deletion_protection = DataTierDeletionProtectionInProduction()
check_redis_tls = DataTierRedisTls()
