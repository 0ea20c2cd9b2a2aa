"""AWS API rate limits in the emulator: token buckets that refuse calls the way AWS
throttles an account that calls too fast, so that a large apply meets throttling as it
would on AWS and its retries are seen to wait it out.

Off by default (and after ``/_ode/reset``). ``POST /_ode/ratelimit`` with ``{"enabled":
true, "scale": 1.0, "ec2_per_action": true, "buckets": {"ec2:mutating": {"size": 50,
"refill": 5}}}`` turns them on: every field may
be left out (``enabled`` then means true); each POST starts again from the defaults
below, with every bucket full and nothing counted. ``scale`` multiplies every refill
rate (0.1: an account ten times as busy); a bucket named in ``buckets`` takes the size
and refill rate given (either may be left out), and a name not among the defaults adds
a bucket: ``"ec2:<Action>"`` one EC2 action of its own, ``"<service>"`` (the SigV4
name: ``sts``, ``kms``, ...) all calls of that service. ``GET /_ode/ratelimit``
reports the setting, and the calls each bucket let through and refused (also by
``service:Action``).

A bucket holds at most ``size`` tokens and gains ``refill`` tokens a second (smoothly,
not once a second as AWS describes it: the same rate, without the steps); each call
takes one token, and a call that finds none is refused, before it reaches moto, with
the service's throttling error in its own protocol (:func:`chaos.error_for` with the
message AWS sends) and recorded with that status like every other call. A refused call
takes no token. The tests' own observer clients (``chaos.OBSERVER_AGENT`` in the
User-Agent) are never limited: looking at a scenario must not spend its tokens.

Where the figures come from:

* EC2: "Request throttling for the Amazon EC2 API"
  (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, the table
  "Request token bucket sizes and refill rates" as read in 2025): non-mutating actions
  (``Describe*``, ``List*``, ``Search*``, ``Get*``) 100 tokens, 20 a second; the
  unfiltered and unpaginated non-mutating actions (``DescribeInstances``,
  ``DescribeInstanceStatus``, ``DescribeNetworkInterfaces``, ``DescribeSecurityGroups``,
  ``DescribeSnapshots``, ``DescribeSpotInstanceRequests``, ``DescribeVolumes`` called
  with neither a ``Filter`` nor ``MaxResults``/``NextToken``) 50 and 10; mutating
  actions 50 and 5 (older versions of the page said 200 and 5); resource-intensive
  actions (``AuthorizeSecurityGroupIngress``, ``RevokeSecurityGroupIngress``,
  ``CreateKeyPair``, the VPC peering and spot request actions) 50 and 5; and the
  "uncategorized actions" with buckets of their own, of which :data:`EC2_ACTIONS` holds
  those about VPCs, NAT gateways, VPC endpoints, tags, network interfaces, volumes and
  instances (``CreateNatGateway`` 10 and 1, ``CreateVpcEndpoint`` 4 and 0.3,
  ``CreateTags`` 100 and 10, ...). The page says each API is evaluated on its own: a
  call takes a token from its own action's bucket, sized by its category, and throttling
  one API does not affect the others. That is the default here; with
  ``"ec2_per_action": false`` every action of a category shares one bucket instead (the
  older page's reading, and a stricter account). The error is ``RequestLimitExceeded``,
  HTTP 503 (the page names the code; the status is what the EC2 API answers).
* RDS: "Request throttling for the Amazon RDS API"
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html):
  "up to 300 requests in a burst and a sustained 12 requests per second" for the
  account in a region, taken here as one bucket for every RDS operation. The page's
  example names ``ThrottlingException``, but the RDS API answers ``Throttling`` (HTTP
  400) too (aws/aws-cli#8604 shows it for DescribeDBInstances, and
  aws-cloudformation-resource-providers-rds#205 handles both); the AWS SDKs retry both
  as throttling. ``Throttling`` is answered here, as the query protocol spells it.
* IAM: AWS publishes no rate ("Throttling: Rate exceeded, status code: 400" is the
  error, https://repost.aws/knowledge-center/iam-sts-throttling-error, and the rate
  quotas cannot be raised). **Chosen here**: 50 tokens, 10 a second, one bucket.
* EKS: AWS publishes no rate. The error is ``ThrottlingException`` with HTTP 429
  (botocore's EKS model, ``ThrottlingException`` ``httpStatusCode`` 429). **Chosen
  here**: 50 tokens, 10 a second, one bucket.
* ElastiCache: AWS publishes no rate; the error is the query protocol's ``Throttling``,
  HTTP 400 (botocore's model names no throttling error of its own). **Chosen here**: 50
  tokens, 10 a second, one bucket.

Other services are not limited unless a bucket is added for them.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from . import chaos

#: The EC2 category buckets: name -> (size, refill a second).
EC2_CATEGORIES: Mapping[str, tuple[float, float]] = {
    "ec2:non-mutating": (100, 20),
    "ec2:unfiltered": (50, 10),
    "ec2:mutating": (50, 5),
    "ec2:resource-intensive": (50, 5),
}

#: EC2 actions whose bucket AWS sizes on its own (the page's "uncategorized actions";
#: those about the objects this project makes, or may): action -> (size, refill).
EC2_ACTIONS: Mapping[str, tuple[float, float]] = {
    "AssignPrivateNatGatewayAddress": (10, 1),
    "AssociateNatGatewayAddress": (10, 1),
    "CreateDefaultSubnet": (1, 1),
    "CreateDefaultVpc": (1, 1),
    "CreateLaunchTemplateVersion": (100, 5),
    "CreateNatGateway": (10, 1),
    "CreateNetworkInterface": (100, 5),
    "CreateTags": (100, 10),
    "CreateVolume": (100, 5),
    "CreateVpcEndpoint": (4, 0.3),
    "DeleteNatGateway": (10, 1),
    "DeleteNetworkInterface": (100, 5),
    "DeleteTags": (100, 10),
    "DeleteVolume": (100, 5),
    "DeleteVpcEndpoints": (4, 0.3),
    "DescribeSecurityGroupReferences": (20, 5),
    "DescribeStaleSecurityGroups": (20, 5),
    "DisassociateNatGatewayAddress": (10, 1),
    "ModifyLaunchTemplate": (100, 5),
    "ModifyNetworkInterfaceAttribute": (100, 5),
    "ModifyVpcEndpoint": (4, 0.3),
    "RunInstances": (5, 2),
    "StartInstances": (5, 2),
    "TerminateInstances": (100, 5),
    "UnassignPrivateNatGatewayAddress": (10, 1),
}

#: Non-mutating EC2 actions that use the smaller bucket when called unfiltered and unpaginated.
EC2_UNFILTERED = frozenset(
    {
        "DescribeInstances",
        "DescribeInstanceStatus",
        "DescribeNetworkInterfaces",
        "DescribeSecurityGroups",
        "DescribeSnapshots",
        "DescribeSpotInstanceRequests",
        "DescribeVolumes",
    }
)

#: Mutating EC2 actions AWS counts as resource-intensive.
EC2_RESOURCE_INTENSIVE = frozenset(
    {
        "AcceptVpcPeeringConnection",
        "AuthorizeSecurityGroupIngress",
        "CancelSpotInstanceRequests",
        "CreateKeyPair",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "RevokeSecurityGroupIngress",
        "RequestSpotInstances",
    }
)

#: One bucket for every call of a service (figures: see the module docstring).
SERVICES: Mapping[str, tuple[float, float]] = {
    "rds": (300, 12),
    "iam": (50, 10),
    "eks": (50, 10),
    "elasticache": (50, 10),
}

DEFAULT_BUCKETS: Mapping[str, tuple[float, float]] = {
    **EC2_CATEGORIES,
    **{f"ec2:{action}": figures for action, figures in EC2_ACTIONS.items()},
    **SERVICES,
}

#: The message AWS sends with the throttling error: EC2's, and the other services'.
EC2_MESSAGE = "Request limit exceeded."
MESSAGE = "Rate exceeded"

_NON_MUTATING = re.compile(r"(Describe|List|Search|Get)[A-Z]")
_PAGING_OR_FILTER = re.compile(r"(Filter\.\d+\..*|MaxResults|NextToken)")
_BUCKET_NAME = re.compile(r"[a-z0-9-]+(:[A-Za-z0-9-]+)?")


def ec2_bucket(action: str, param_names: Callable[[], Iterable[str]]) -> str:
    """The name of the bucket (category or action) an EC2 call takes its token from;
    ``param_names`` gives the request's parameter names (only asked for the actions
    whose bucket depends on them)."""
    if action in EC2_ACTIONS:
        return f"ec2:{action}"
    if action in EC2_RESOURCE_INTENSIVE:
        return "ec2:resource-intensive"
    if not _NON_MUTATING.match(action):
        return "ec2:mutating"
    if action in EC2_UNFILTERED and not any(_PAGING_OR_FILTER.fullmatch(n) for n in param_names()):
        return "ec2:unfiltered"
    return "ec2:non-mutating"


@dataclass
class _Bucket:
    """One token bucket: full when made."""

    size: float
    refill: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        """Refill for the time since the last look, then take a token if there is one."""
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.refill)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _figures(name: str, spec: Any, default: tuple[float, float] | None) -> tuple[float, float]:
    """(size, refill) of a ``buckets`` entry, checked; left-out fields keep ``default``."""
    if not isinstance(spec, dict) or not spec or not set(spec) <= {"size", "refill"}:
        raise ValueError(f'buckets.{name} must be {{"size": n, "refill": per_second}}, not {spec!r}')
    if default is None and set(spec) != {"size", "refill"}:
        raise ValueError(f"buckets.{name} is a new bucket: give both size and refill")
    size, refill = default or (0.0, 0.0)
    size, refill = spec.get("size", size), spec.get("refill", refill)
    for field, value, least in (("size", size, 1), ("refill", refill, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < least:
            raise ValueError(f"buckets.{name}.{field} must be a number >= {least}, not {value!r}")
    return float(size), float(refill)


class RateLimits:
    """The rate limits of one emulator and what they refused (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Off, the default buckets, nothing counted."""
        with self._lock:
            self.enabled = False
            self.scale = 1.0
            self.ec2_per_action = True
            self.buckets: dict[str, tuple[float, float]] = dict(DEFAULT_BUCKETS)
            self._live: dict[str, _Bucket] = {}
            self.allowed: dict[str, int] = {}
            self.refused: dict[str, int] = {}
            self.refused_by_action: dict[str, int] = {}

    def configure(self, payload: Any) -> None:
        """Apply a ``POST /_ode/ratelimit`` body; raises ValueError naming what is wrong."""
        if not isinstance(payload, dict) or not set(payload) <= {"enabled", "scale", "buckets", "ec2_per_action"}:
            raise ValueError(
                'expected {"enabled": bool, "scale": n, "ec2_per_action": bool, '
                '"buckets": {name: {"size": n, "refill": per_second}}}'
            )
        enabled = payload.get("enabled", True)
        per_action = payload.get("ec2_per_action", True)
        for name, flag in (("enabled", enabled), ("ec2_per_action", per_action)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be true or false, not {flag!r}")
        scale = payload.get("scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"scale must be a number > 0, not {scale!r}")
        specs = payload.get("buckets") or {}
        if not isinstance(specs, dict):
            raise ValueError(f"buckets must map bucket names to figures, not {specs!r}")
        buckets = dict(DEFAULT_BUCKETS)
        for name, spec in specs.items():
            if not isinstance(name, str) or not _BUCKET_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a bucket name (service, or service:category or ec2:Action)")
            if name not in DEFAULT_BUCKETS and (name == "ec2" or (":" in name and not name.startswith("ec2:"))):
                raise ValueError(f"unknown bucket {name!r}: a new bucket is a service other than ec2, or an ec2:Action")
            new_ec2 = name not in DEFAULT_BUCKETS and name.startswith("ec2:")
            if new_ec2 and not re.fullmatch(r"ec2:[A-Z][A-Za-z0-9]+", name):
                raise ValueError(f"unknown bucket {name!r}: the EC2 categories are {sorted(EC2_CATEGORIES)}")
            buckets[name] = _figures(name, spec, DEFAULT_BUCKETS.get(name))
        self.reset()
        with self._lock:
            self.enabled = enabled
            self.scale = float(scale)
            self.ec2_per_action = per_action
            self.buckets = buckets

    def bucket_for(self, service: str, action: str, param_names: Callable[[], Iterable[str]]) -> str | None:
        """The configured bucket a call takes its token from (None: not limited)."""
        if service == "ec2":
            name = f"ec2:{action}"
            return name if name in self.buckets else ec2_bucket(action, param_names)
        return service if service in self.buckets else None

    def take(
        self,
        service: str,
        action: str,
        protocol: str,
        user_agent: str,
        param_names: Callable[[], Iterable[str]] = tuple,
    ) -> chaos.Error | None:
        """The throttling error that refuses this call, or None to let it through."""
        if not self.enabled or service == "unknown" or chaos.OBSERVER_AGENT in user_agent:
            return None
        name = self.bucket_for(service, action, param_names)
        if name is None:
            return None
        # A category's bucket is each action's own unless the actions share it.
        key = f"{name}/{action}" if service == "ec2" and self.ec2_per_action and name in EC2_CATEGORIES else name
        now = time.monotonic()
        with self._lock:
            bucket = self._live.get(key)
            if bucket is None:
                size, refill = self.buckets[name]
                bucket = self._live[key] = _Bucket(size, refill * self.scale, size, now)
            if bucket.take(now):
                self.allowed[name] = self.allowed.get(name, 0) + 1
                return None
            self.refused[name] = self.refused.get(name, 0) + 1
            label = f"{service}:{action}"
            self.refused_by_action[label] = self.refused_by_action.get(label, 0) + 1
        error = chaos.error_for("throttle", service, protocol)
        return dataclasses.replace(error, message=EC2_MESSAGE if service == "ec2" else MESSAGE)

    def report(self) -> dict[str, Any]:
        """The setting and the counts (``GET /_ode/ratelimit``)."""
        with self._lock:
            return {
                "enabled": self.enabled,
                "scale": self.scale,
                "ec2_per_action": self.ec2_per_action,
                "buckets": {name: {"size": s, "refill": r} for name, (s, r) in sorted(self.buckets.items())},
                "allowed": dict(sorted(self.allowed.items())),
                "refused": dict(sorted(self.refused.items())),
                "refused_by_action": dict(sorted(self.refused_by_action.items())),
                "refused_total": sum(self.refused.values()),
            }
