"""EKS for the emulator: the parts of the AWS EKS API that moto 5.2.5 lacks or gets wrong.

:func:`install` (called by ``emulator.make_server`` before moto's app is built) adds URL
patterns to ``moto.eks.urls.url_paths`` and methods to ``moto.eks.responses.EKSResponse``.
moto finds the operation of a request from botocore's model (method and URI) and calls
the method of that name in snake_case; its serializer renders what a method returns
with the shapes of the model, so every field is in AWS's camelCase.

Added or replaced:

* clusters: CreateCluster keeps ``accessConfig``, gives each cluster its own OIDC issuer
  and endpoint id, fills ``resourcesVpcConfig`` as AWS does (VPC id, a cluster security
  group, endpoint access) and normalizes ``logging``; UpdateClusterVersion;
  UpdateClusterConfig answers an Update; DeleteCluster refuses while node groups or
  Fargate profiles are attached.
* node groups: a version defaults to the cluster's, and CreateNodegroup refuses any
  other (moto: 1.19, any accepted); UpdateNodegroupVersion, within the version skew
  EKS allows (:func:`allowed_skew`); UpdateNodegroupConfig applies labels, taints and
  scaling when its update completes.
* DescribeUpdate and ListUpdates for cluster, node group and add-on updates.
* tags on node groups, add-ons, Fargate profiles and access entries (moto: clusters).
* ListNodegroups / ListFargateProfiles of a missing cluster: ResourceNotFoundException.
* add-ons: Create/Describe/List/Update/DeleteAddon and DescribeAddonVersions, which
  answers from a small built-in catalog (:data:`ADDON_CATALOG`).
* access entries: Create/Describe/List/Update/DeleteAccessEntry and
  Associate/Disassociate/ListAssociatedAccessPolicies, with the cluster creator's
  admin entry that AWS adds when ``bootstrapClusterCreatorAdminPermissions`` is true.
* DescribeClusterVersions (moto: not implemented), from :data:`CLUSTER_VERSIONS`: the
  Kubernetes versions the add-on catalog and the AMI releases cover, and no others.

Transitions: with a transition time of 0 (the default) every change is complete when
its call answers, as moto has it. Otherwise clusters, node groups and add-ons read
CREATING / UPDATING / DELETING, and updates ``InProgress``, for that many seconds after
the call that started them; deleted resources then disappear. Nothing runs in the
background: each EKS request first applies the changes whose time had come when it
arrived.

All state lives on moto's EKS backend objects (attributes of ``Cluster`` and
``Nodegroup``, and the backend's list of pending changes), so resetting moto resets it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.eks.models import (
    CLUSTER_NOT_FOUND_MSG,
    NODEGROUP_NOT_FOUND_MSG,
    Cluster,
    EKSBackend,
    Nodegroup,
    paginated_list,
)
from moto.eks.responses import EKSResponse

from . import api_models, failures
from moto.moto_api._internal import mock_random as random

# -- catalog and defaults ----------------------------------------------------------------

#: The platform version of a cluster just moved to a new Kubernetes version.
NEW_PLATFORM_VERSION = "eks.1"
#: The newest EKS optimized AMI release per Kubernetes version (node group releaseVersion).
AMI_RELEASES = {
    "1.26": "1.26.15-20250610",
    "1.27": "1.27.16-20250715",
    "1.28": "1.28.15-20251120",
    "1.29": "1.29.15-20260310",
    "1.30": "1.30.14-20260710",
    "1.31": "1.31.14-20261110",
    "1.32": "1.32.10-20261120",
    "1.33": "1.33.6-20261120",
    "1.34": "1.34.2-20261120",
    "1.35": "1.35.0-20261120",
}
_K8S = tuple(AMI_RELEASES)


@dataclass(frozen=True)
class ClusterVersion:
    """A Kubernetes version of EKS's calendar: its release, end of standard support and
    end of extended support (AWS's published dates). Its versionStatus follows from
    :func:`today`."""

    version: str
    patch: str
    platform: str
    released: datetime
    end_of_standard_support: datetime
    end_of_extended_support: datetime

    def support(self, on: datetime) -> str | None:
        """The versionStatus on day ``on``; None before the release."""
        if on < self.released:
            return None
        if on < self.end_of_standard_support:
            return "STANDARD_SUPPORT"
        if on < self.end_of_extended_support:
            return "EXTENDED_SUPPORT"
        return "UNSUPPORTED"


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text + "T00:00:00+00:00")


#: EKS's calendar, newest first: release, end of standard and end of extended support.
CLUSTER_VERSIONS: tuple[ClusterVersion, ...] = (
    ClusterVersion("1.35", "1.35.0", "eks.3", _day("2026-01-27"), _day("2027-03-27"), _day("2028-03-27")),
    ClusterVersion("1.34", "1.34.2", "eks.9", _day("2025-10-02"), _day("2026-12-02"), _day("2027-12-02")),
    ClusterVersion("1.33", "1.33.6", "eks.17", _day("2025-05-29"), _day("2026-07-29"), _day("2027-07-29")),
    ClusterVersion("1.32", "1.32.10", "eks.24", _day("2025-01-23"), _day("2026-03-23"), _day("2027-03-23")),
    ClusterVersion("1.31", "1.31.14", "eks.40", _day("2024-09-26"), _day("2025-11-26"), _day("2026-11-26")),
    ClusterVersion("1.30", "1.30.14", "eks.45", _day("2024-05-23"), _day("2025-07-23"), _day("2026-07-23")),
    ClusterVersion("1.29", "1.29.15", "eks.50", _day("2024-01-23"), _day("2025-03-23"), _day("2026-03-23")),
    ClusterVersion("1.28", "1.28.15", "eks.55", _day("2023-09-26"), _day("2024-11-26"), _day("2025-11-26")),
    ClusterVersion("1.27", "1.27.16", "eks.60", _day("2023-05-24"), _day("2024-07-24"), _day("2025-07-24")),
    ClusterVersion("1.26", "1.26.15", "eks.62", _day("2023-04-11"), _day("2024-06-11"), _day("2025-06-11")),
)
_CALENDAR = {v.version: v for v in CLUSTER_VERSIONS}

#: The emulator's "today" unless a test sets another (``POST /_ode/today``): the date of
#: the calendar above, so that answers do not change with the machine's clock.
DEFAULT_TODAY = _day("2026-12-01")
_today = DEFAULT_TODAY


def today() -> datetime:
    return _today


def set_today(day: datetime | None) -> None:
    """Move the emulator's calendar to ``day`` (None: back to :data:`DEFAULT_TODAY`).
    Clusters whose version is past its end of extended support are upgraded by AWS to
    the next minor, as EKS does."""
    global _today
    _today = day or DEFAULT_TODAY


def supported_versions() -> list[ClusterVersion]:
    """The versions EKS creates and upgrades to today (standard or extended support)."""
    return [v for v in CLUSTER_VERSIONS if v.support(_today) in ("STANDARD_SUPPORT", "EXTENDED_SUPPORT")]


def default_cluster_version() -> str:
    """The version of a cluster created without one: the newest in standard support
    but one, as EKS keeps its default a version behind the newest (the newest when it
    is the only one)."""
    standard = [v.version for v in CLUSTER_VERSIONS if v.support(_today) == "STANDARD_SUPPORT"]
    return standard[1] if len(standard) > 1 else (standard or [supported_versions()[0].version])[0]


def _check_offered(version: str) -> None:
    """AWS's refusal of a version it does not sell today."""
    known = _CALENDAR.get(version)
    if known is None or known.support(_today) not in ("STANDARD_SUPPORT", "EXTENDED_SUPPORT"):
        raise _invalid_parameter(
            f"unsupported Kubernetes version {version}; supported versions: "
            + ", ".join(sorted((v.version for v in supported_versions()), key=_minor))
        )


# The deprecated ``status`` field of a ClusterVersionInformation, by versionStatus.
_SUPPORT_STATUS = {
    "STANDARD_SUPPORT": "standard-support",
    "EXTENDED_SUPPORT": "extended-support",
    "UNSUPPORTED": "unsupported",
}


@dataclass(frozen=True)
class AddonRelease:
    """One version of an add-on: the cluster versions it runs on and where it is the default."""

    version: str
    cluster_versions: tuple[str, ...]
    default_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddonKind:
    """An add-on of the catalog, with its releases, newest first."""

    type: str
    requires_iam_permissions: bool
    releases: tuple[AddonRelease, ...]
    #: The top-level keys its configuration schema defines (DescribeAddonConfiguration),
    #: each with its JSON type; other keys are refused, as the schemas of AWS's add-ons
    #: do not allow additional properties.
    config: tuple[tuple[str, str], ...] = ()
    #: ``aws`` for AWS's own add-ons, ``community`` for the community add-ons EKS
    #: publishes (metrics-server among them).
    owner: str = "aws"


#: What DescribeAddonVersions answers, and what CreateAddon / UpdateAddon accept.
ADDON_CATALOG: dict[str, AddonKind] = {
    "vpc-cni": AddonKind(
        "networking",
        True,
        (
            AddonRelease("v1.19.0-eksbuild.1", _K8S),
            AddonRelease("v1.18.5-eksbuild.1", _K8S, default_for=_K8S),
            AddonRelease("v1.18.3-eksbuild.3", _K8S),
        ),
    ),
    "kube-proxy": AddonKind(
        "networking",
        False,
        (
            AddonRelease("v1.35.0-eksbuild.2", ("1.35",)),
            AddonRelease("v1.35.0-eksbuild.1", ("1.35",), default_for=("1.35",)),
            AddonRelease("v1.34.1-eksbuild.2", ("1.34",)),
            AddonRelease("v1.34.0-eksbuild.4", ("1.34",), default_for=("1.34",)),
            AddonRelease("v1.33.5-eksbuild.2", ("1.33",)),
            AddonRelease("v1.33.3-eksbuild.4", ("1.33",), default_for=("1.33",)),
            AddonRelease("v1.32.0-eksbuild.2", ("1.32",)),
            AddonRelease("v1.32.0-eksbuild.1", ("1.32",), default_for=("1.32",)),
            AddonRelease("v1.31.2-eksbuild.3", ("1.31",)),
            AddonRelease("v1.31.0-eksbuild.2", ("1.31",), default_for=("1.31",)),
            AddonRelease("v1.30.6-eksbuild.3", ("1.30",)),
            AddonRelease("v1.30.3-eksbuild.2", ("1.30",), default_for=("1.30",)),
            AddonRelease("v1.29.10-eksbuild.3", ("1.29",)),
            AddonRelease("v1.29.7-eksbuild.2", ("1.29",), default_for=("1.29",)),
            AddonRelease("v1.28.15-eksbuild.4", ("1.28",)),
            AddonRelease("v1.28.12-eksbuild.2", ("1.28",), default_for=("1.28",)),
            AddonRelease("v1.27.16-eksbuild.5", ("1.27",)),
            AddonRelease("v1.26.15-eksbuild.5", ("1.26",)),
            AddonRelease("v1.26.15-eksbuild.2", ("1.26",), default_for=("1.26",)),
            AddonRelease("v1.27.16-eksbuild.3", ("1.27",), default_for=("1.27",)),
        ),
    ),
    "coredns": AddonKind(
        "networking",
        False,
        (
            AddonRelease("v1.12.4-eksbuild.1", ("1.33", "1.34", "1.35")),
            AddonRelease("v1.12.3-eksbuild.1", ("1.32", "1.33", "1.34", "1.35"), default_for=("1.34", "1.35")),
            AddonRelease("v1.11.4-eksbuild.2", ("1.32", "1.33"), default_for=("1.33",)),
            AddonRelease(
                "v1.11.3-eksbuild.2", ("1.29", "1.30", "1.31", "1.32"), default_for=("1.31", "1.32")
            ),
            AddonRelease("v1.11.3-eksbuild.1", ("1.29", "1.30", "1.31"), default_for=("1.30",)),
            AddonRelease("v1.11.1-eksbuild.9", ("1.29", "1.30"), default_for=("1.29",)),
            AddonRelease("v1.10.1-eksbuild.13", ("1.26", "1.27", "1.28")),
            AddonRelease("v1.10.1-eksbuild.6", ("1.26", "1.27", "1.28"), default_for=("1.26", "1.27", "1.28")),
        ),
    ),
    "aws-ebs-csi-driver": AddonKind(
        "storage",
        True,
        (
            AddonRelease("v1.37.0-eksbuild.1", _K8S),
            AddonRelease("v1.36.0-eksbuild.1", _K8S, default_for=_K8S),
            AddonRelease("v1.35.0-eksbuild.1", _K8S),
        ),
    ),
    "eks-pod-identity-agent": AddonKind(
        "security",
        False,
        (
            AddonRelease("v1.3.4-eksbuild.1", _K8S, default_for=_K8S),
            AddonRelease("v1.3.2-eksbuild.2", _K8S),
        ),
    ),
    "metrics-server": AddonKind(
        "observability",
        False,
        (
            AddonRelease("v0.8.0-eksbuild.2", ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35")),
            AddonRelease("v0.7.2-eksbuild.3", _K8S, default_for=_K8S),
        ),
        config=(
            ("replicas", "integer"),
            ("tolerations", "array"),
            ("nodeSelector", "object"),
            ("resources", "object"),
            ("args", "array"),
        ),
        owner="community",
    ),
    "snapshot-controller": AddonKind(
        "storage",
        False,
        (AddonRelease("v8.2.0-eksbuild.1", _K8S, default_for=_K8S),),
        config=(("replicaCount", "integer"), ("tolerations", "array"), ("nodeSelector", "object")),
    ),
    "aws-efs-csi-driver": AddonKind(
        "storage",
        True,
        (
            AddonRelease("v2.1.4-eksbuild.1", _K8S),
            AddonRelease("v2.1.0-eksbuild.1", _K8S, default_for=_K8S),
        ),
        config=(("controller", "object"), ("node", "object")),
    ),
    "amazon-cloudwatch-observability": AddonKind(
        "observability",
        True,
        (AddonRelease("v4.7.0-eksbuild.1", _K8S, default_for=_K8S),),
        config=(("agent", "object"), ("containerLogs", "object"), ("tolerations", "array")),
    ),
}

# The configuration keys of the add-ons above that take the usual pod placement and
# sizing settings; vpc-cni, kube-proxy and coredns have their own.
_PLACEMENT = (("tolerations", "array"), ("nodeSelector", "object"), ("resources", "object"))
ADDON_CATALOG["vpc-cni"] = dataclasses.replace(
    ADDON_CATALOG["vpc-cni"], config=(("env", "object"), ("enableNetworkPolicy", "string"), ("resources", "object"))
)
ADDON_CATALOG["kube-proxy"] = dataclasses.replace(
    ADDON_CATALOG["kube-proxy"], config=(("mode", "string"), ("resources", "object"))
)
ADDON_CATALOG["coredns"] = dataclasses.replace(
    ADDON_CATALOG["coredns"],
    config=(("replicaCount", "integer"), ("corefile", "string"), ("affinity", "object")) + _PLACEMENT,
)
ADDON_CATALOG["aws-ebs-csi-driver"] = dataclasses.replace(
    ADDON_CATALOG["aws-ebs-csi-driver"], config=(("controller", "object"), ("node", "object"), ("defaultStorageClass", "object"))
)
ADDON_CATALOG["eks-pod-identity-agent"] = dataclasses.replace(
    ADDON_CATALOG["eks-pod-identity-agent"], config=(("agent", "object"), ("tolerations", "array"))
)

#: JSON types of a configuration schema, as Python types.
_JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "integer": int,
    "string": str,
    "array": list,
    "object": dict,
    "boolean": bool,
}


def _config_schema(kind: AddonKind) -> dict[str, Any]:
    """The JSON schema DescribeAddonConfiguration answers for an add-on."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": {key: {"type": json_type} for key, json_type in kind.config},
    }


def _check_configuration(name: str, values: str | None) -> None:
    """AWS's refusal of configuration values its schema for the add-on does not allow."""
    if not values:
        return
    prefix = "ConfigurationValue provided in request is not supported: "
    try:
        document = json.loads(values)
    except ValueError:
        try:
            import yaml

            document = yaml.safe_load(values)
        except Exception as error:  # noqa: BLE001 - any parse failure is AWS's refusal
            raise _invalid_parameter(prefix + f"Json and Yaml parsing failed: {error}") from None
    if not isinstance(document, dict):
        raise _invalid_parameter(prefix + "Json schema validation failed with error: [$: must be an object]")
    allowed = dict(ADDON_CATALOG[name].config)
    problems = []
    for key, value in document.items():
        if key not in allowed:
            problems.append(f"$.{key}: is not defined in the schema and the schema does not allow additional properties")
        elif (allowed[key] == "integer" and isinstance(value, bool)) or not isinstance(
            value, _JSON_TYPES[allowed[key]]
        ):
            problems.append(f"$.{key}: {type(value).__name__} found, {allowed[key]} expected")
    if problems:
        raise _invalid_parameter(prefix + "Json schema validation failed with error: [" + ", ".join(problems) + "]")

#: The access policies AssociateAccessPolicy accepts (ListAccessPolicies on AWS).
ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
ACCESS_POLICIES = frozenset(
    ACCESS_POLICY_PREFIX + name
    for name in (
        "AmazonEKSAdminPolicy",
        "AmazonEKSAdminViewPolicy",
        "AmazonEKSClusterAdminPolicy",
        "AmazonEKSEditPolicy",
        "AmazonEKSViewPolicy",
    )
)
CLUSTER_ADMIN_POLICY = ACCESS_POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"
# CONFIG_MAP -> API_AND_CONFIG_MAP -> API: AWS only moves forward along this list.
_AUTHENTICATION_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
_IAM_PRINCIPAL = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(?:(role|user)/(?:.*/)?([^/]+)|root)$")

# Serializes EKS requests: moto's models are not thread-safe and a request may apply
# pending changes of other resources.
_LOCK = threading.RLock()


def _no_transitions() -> float:
    return 0.0


# Set by install(): how long, in seconds, resources stay in their transitional states.
_transition_s: Callable[[], float] = _no_transitions


# -- installation ------------------------------------------------------------------------

_URL_PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/updates$",
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
    "{0}/clusters/(?P<name>[^/]+)/addons$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$",
    "{0}/addons/supported-versions$",
    "{0}/addons/configuration-schemas$",
    "{0}/cluster-versions$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries$",
    # A principal or policy ARN has slashes, which arrive decoded here; moto routes
    # the operation on the still-encoded path.
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<rest>.+)$",
)

# moto's own handlers that the replacements build on.
_moto_create_cluster = EKSResponse.create_cluster
_moto_create_nodegroup = EKSResponse.create_nodegroup
_moto_call_action = EKSResponse.call_action
_moto_dispatch = EKSResponse._dispatch


def install(transition_s: Callable[[], float]) -> None:
    """Add the operations to moto's EKS server; ``transition_s()`` gives the transition time.

    Must run before the first EKS request builds moto's EKS app. Running it again only
    replaces ``transition_s``.
    """
    global _transition_s
    _transition_s = transition_s
    dispatch = eks_urls.response.dispatch
    for path in _URL_PATHS:
        eks_urls.url_paths.setdefault(path, dispatch)
    names = [name for name in vars(_Handlers) if not name.startswith("__")]
    for name in names:
        handler = vars(_Handlers)[name]
        setattr(EKSResponse, name, _idempotent(handler) if name in _TOKENED else handler)
    api_models.check_answers(EKSResponse, "eks", names)


# Creates whose clientRequestToken makes a repeated request (a retry after a lost
# answer) answer what the first one made instead of failing on "already exists".
_TOKENED = frozenset(
    {"create_cluster", "create_nodegroup", "create_addon", "create_access_entry", "create_pod_identity_association"}
)


def _idempotent(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` answering a request whose clientRequestToken it has seen (for the same
    operation and cluster) with the first answer, as EKS does."""

    def call(self: Any) -> Any:
        token = self._get_param("clientRequestToken")
        if not token:
            return handler(self)
        backend = self.eks_backend
        seen = backend.__dict__.setdefault("ode_tokens", {})
        key = (handler.__name__, self._get_param("name"), token)
        with _LOCK:
            if key not in seen:
                seen[key] = handler(self)
            return seen[key]

    call.__name__ = handler.__name__
    call.__doc__ = handler.__doc__
    return call


# -- transitions -------------------------------------------------------------------------


@dataclass
class _Change:
    """Something that completes at ``due`` (time.monotonic()): a status change, a removal."""

    due: float
    apply: Callable[[], None]


def _pending(backend: EKSBackend) -> list[_Change]:
    if not hasattr(backend, "ode_pending"):
        backend.ode_pending = []
    return backend.ode_pending


def _later(backend: EKSBackend, apply: Callable[[], None]) -> None:
    """Run ``apply`` once the transition time has passed; at once when it is 0."""
    delay = _transition_s()
    if delay <= 0:
        apply()
    else:
        _pending(backend).append(_Change(time.monotonic() + delay, apply))


def _settle(backend: EKSBackend, now: float) -> None:
    """Apply the changes whose time had come at ``now``, oldest first."""
    pending = _pending(backend)
    due = sorted((c for c in pending if c.due <= now), key=lambda c: c.due)
    backend.ode_pending = [c for c in pending if c.due > now]
    for change in due:
        change.apply()


def _retire_versions(backend: EKSBackend) -> None:
    """EKS upgrades the control plane of a cluster whose version is past its end of
    extended support to the next version (node groups stay where they are)."""
    for cluster in backend.clusters.values():
        while (known := _CALENDAR.get(cluster.version)) is not None and known.support(_today) == "UNSUPPORTED":
            major, minor = _minor(cluster.version)
            nxt = f"{major}.{minor + 1}"
            if nxt not in _CALENDAR:
                break
            cluster.version, cluster.platformVersion = nxt, NEW_PLATFORM_VERSION


def _fail_creation(
    resource: Any, failure: failures.Failure, resource_ids: list[str], status: str = "CREATE_FAILED"
) -> Callable[[], None]:
    """A change moving ``resource`` from CREATING to ``status`` with the failure as its
    health issue."""

    def apply() -> None:
        if resource.status == "CREATING":
            resource.status = status
            resource.health = {
                "issues": [{"code": failure.code, "message": failure.message, "resourceIds": resource_ids}]
            }

    return apply


def _finish_status(resource: Any, transitional: str, final: str = "ACTIVE") -> Callable[[], None]:
    """A change moving ``resource`` from ``transitional`` to ``final`` (if still there)."""

    def apply() -> None:
        if resource.status == transitional:
            resource.status = final

    return apply


# -- errors and lookups ------------------------------------------------------------------


def _not_found(message: str, **names: str | None) -> ResourceNotFoundException:
    return ResourceNotFoundException(**names, message=message)


def _in_use(message: str, **names: str | None) -> ResourceInUseException:
    return ResourceInUseException(**names, message=message)


def _invalid_parameter(message: str) -> InvalidParameterException:
    return InvalidParameterException(message=message)


def _invalid_request(message: str) -> InvalidRequestException:
    return InvalidRequestException(message=message)


def _cluster(backend: EKSBackend, name: str) -> Cluster:
    cluster = backend.clusters.get(name)
    if cluster is None:
        raise _not_found(CLUSTER_NOT_FOUND_MSG.format(clusterName=name), clusterName=name)
    _adopt_cluster(cluster)
    return cluster


def _nodegroup(cluster: Cluster, name: str) -> Nodegroup:
    nodegroup = cluster.nodegroups.get(name)
    if nodegroup is None:
        raise _not_found(
            NODEGROUP_NOT_FOUND_MSG.format(nodegroupName=name), clusterName=cluster.name, nodegroupName=name
        )
    _adopt_nodegroup(nodegroup)
    return nodegroup


def _addon(cluster: Cluster, name: str) -> Addon:
    addon = cluster.ode_addons.get(name)
    if addon is None:
        raise _not_found(
            f"No addon: {name} found in cluster: {cluster.name}", clusterName=cluster.name, addonName=name
        )
    return addon


def _access_entry(cluster: Cluster, principal_arn: str) -> AccessEntry:
    entry = cluster.ode_access_entries.get(principal_arn)
    if entry is None:
        raise _not_found(f"The specified access entry resource {principal_arn} could not be found.")
    return entry


def _require_status(resource: Any, kind: str, name: str, status: str = "ACTIVE") -> None:
    """Refuse to change a resource that is not ``status``, as AWS does (ResourceInUse)."""
    if resource.status != status:
        raise _in_use(f"{kind} {name} is in {resource.status} status; it must be {status} for this operation")


# -- moto objects, completed -------------------------------------------------------------


def _adopt_cluster(cluster: Cluster) -> None:
    """Give a cluster the attributes this module keeps on it (once)."""
    if hasattr(cluster, "ode_updates"):
        return
    cluster.ode_updates = {}
    cluster.ode_addons = {}
    cluster.ode_access_entries = {}
    cluster.ode_pod_identities = {}
    cluster.access_config = {
        "authenticationMode": "CONFIG_MAP",
        "bootstrapClusterCreatorAdminPermissions": True,
    }


def _adopt_nodegroup(nodegroup: Nodegroup) -> None:
    if not hasattr(nodegroup, "ode_updates"):
        nodegroup.ode_updates = {}


def _minor(version: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)", version or "")
    if match is None:
        raise _invalid_parameter(f"Unsupported Kubernetes version: {version!r}")
    return int(match.group(1)), int(match.group(2))


def allowed_skew(cluster_version: str) -> int:
    """How many minor versions a managed node group may lag its cluster: three from
    Kubernetes 1.28 on (the kubelet skew policy EKS follows), two before."""
    return 3 if _minor(cluster_version) >= (1, 28) else 2


def _check_nodegroup_version(cluster: Cluster, version: str) -> None:
    """Refuse a node group version newer than the cluster's, or older than the skew
    EKS allows (:func:`allowed_skew`): InvalidParameterException."""
    wanted, current = _minor(version), _minor(cluster.version)
    if wanted > current:
        raise _invalid_parameter(
            f"Requested Kubernetes version {version} is newer than the cluster's version {cluster.version}"
        )
    skew = allowed_skew(cluster.version)
    if wanted[0] != current[0] or current[1] - wanted[1] > skew:
        raise _invalid_parameter(
            f"Requested Kubernetes version {version} is more than {skew} minor versions older than "
            f"the cluster's version {cluster.version}"
        )


def _ami_release(version: str) -> str:
    return AMI_RELEASES.get(version, f"{version}.0-20241213")


def _normalized_logging(current: dict[str, Any] | None, requested: dict[str, Any] | None) -> dict[str, Any]:
    """Logging as AWS reports it: one setup of the enabled types, one of the disabled.

    Types a request does not name keep their state (all start disabled).
    """
    enabled = {t: False for t in _LOG_TYPES}
    for source in (current, requested):
        for setup in (source or {}).get("clusterLogging", []):
            for log_type in setup.get("types", []):
                enabled[log_type] = bool(setup.get("enabled"))
    setups = []
    for state in (True, False):
        types = [t for t, on in enabled.items() if on is state]
        if types:
            setups.append({"types": types, "enabled": state})
    return {"clusterLogging": setups}


def _fake_certificate() -> str:
    """A base64 PEM, as AWS's certificateAuthority.data (moto's is random letters)."""
    body = base64.b64encode(random.get_random_string(600).encode()).decode()
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return base64.b64encode((pem + "\n-----END CERTIFICATE-----\n").encode()).decode()


def _ec2(backend: EKSBackend) -> Any:
    """moto's EC2 backend of the same account and region, or None if EC2 has not been used
    (then it holds no subnet, and creating it would take a while)."""
    models = sys.modules.get("moto.ec2.models")
    if models is None:
        return None
    for account, region, ec2 in models.ec2_backends.iter_backends():
        if (account, region) == (backend.account_id, backend.region_name):
            return ec2
    return None


def _cluster_security_group(cluster: Cluster, backend: EKSBackend, vpc_id: str | None) -> str:
    """The id of the security group EKS creates for a cluster: a real one in the VPC if
    moto's EC2 knows the VPC, else a made-up id."""
    ec2 = _ec2(backend)
    if vpc_id is None or ec2 is None:
        return "sg-" + random.get_random_hex(17)
    group = ec2.create_security_group(
        name=f"eks-cluster-sg-{cluster.name}-{random.get_random_hex(8)}",
        description="EKS created security group applied to ENI that is attached to EKS Control Plane master nodes",
        vpc_id=vpc_id,
        tags={"aws:eks:cluster-name": cluster.name, f"kubernetes.io/cluster/{cluster.name}": "owned"},
    )
    cluster.ode_security_group = group.id
    return group.id


def _subnet_vpc(backend: EKSBackend, subnet_ids: list[str]) -> str | None:
    """The VPC of the first subnet moto's EC2 knows."""
    ec2 = _ec2(backend)
    if ec2 is None:
        return None
    for subnet_id in subnet_ids:
        try:
            return ec2.get_subnet(subnet_id).vpc_id
        except Exception:  # moto's InvalidSubnetIdError: a subnet EC2 does not know
            continue
    return None


def _delete_cluster_security_group(cluster: Cluster, backend: EKSBackend) -> None:
    group_id, ec2 = getattr(cluster, "ode_security_group", None), _ec2(backend)
    if group_id is None or ec2 is None:
        return
    try:
        ec2.delete_security_group(group_id=group_id)
    except Exception:  # already gone, or still referenced: AWS would leave it too
        pass


def _creator_principal(response: EKSResponse) -> str:
    """The IAM ARN of the caller (a role for an assumed-role session), as EKS records it."""
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    backend = sts_backends[response.current_account][get_partition(response.region)]
    _, arn, _ = backend.get_caller_identity(response.get_access_key(), response.region)
    assumed = re.match(r"^arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/", arn)
    if assumed:
        return f"arn:{assumed.group(1)}:iam::{assumed.group(2)}:role/{assumed.group(3)}"
    return re.sub(r"^arn:([\w-]+):sts::", r"arn:\1:iam::", arn)


# -- updates -----------------------------------------------------------------------------


@dataclass
class Update:
    """An EKS Update, rendered by moto with the ``Update`` shape."""

    id: str
    type: str
    params: list[dict[str, str]]
    created_at: datetime = field(default_factory=utcnow)
    status: str = "InProgress"
    errors: list[dict[str, Any]] = field(default_factory=list)


def _param(kind: str, value: Any) -> dict[str, str]:
    """An UpdateParam; values that are not strings are given as JSON, as AWS does."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, int):
        text = str(value)
    else:
        text = json.dumps(value, separators=(",", ":"))
    return {"type": kind, "value": text}


def _start_update(
    backend: EKSBackend, resource: Any, kind: str, params: list[dict[str, str]], apply: Callable[[], None]
) -> Update:
    """Record an update of ``resource`` (cluster, node group or add-on), UPDATING until done.

    ``apply`` makes the change when the update completes; the update then reads
    Successful and the resource ACTIVE again. An update a test asked to fail
    (``update`` in tests/support/failures.py) reads Failed with its error instead, changes
    nothing, and leaves the resource ACTIVE, as on AWS.
    """
    update = Update(id=str(random.uuid4()), type=kind, params=params)
    resource.ode_updates[update.id] = update
    resource.status = "UPDATING"
    name = getattr(resource, "nodegroup_name", None) or getattr(resource, "addon_name", None) or resource.name
    failure = failures.take("update", name)

    def complete() -> None:
        if failure is not None:
            update.status = "Failed"
            update.errors = [
                {"errorCode": failure.code, "errorMessage": failure.message, "resourceIds": [name]}
            ]
        else:
            apply()
            update.status = "Successful"
        if resource.status == "UPDATING":
            resource.status = "ACTIVE"

    _later(backend, complete)
    return update


def _cluster_for_update(backend: EKSBackend, name: str) -> Cluster:
    """A cluster that may start an update: ACTIVE, with no update in progress."""
    cluster = _cluster(backend, name)
    if any(u.status == "InProgress" for u in cluster.ode_updates.values()):
        raise _in_use("Cannot update cluster while another update is in progress", clusterName=name)
    _require_status(cluster, "Cluster", name)
    return cluster


# -- add-ons and access entries ----------------------------------------------------------


@dataclass
class Addon:
    """An EKS add-on, rendered by moto with the ``Addon`` shape."""

    addon_name: str
    cluster_name: str
    addon_version: str
    addon_arn: str
    status: str = "CREATING"
    service_account_role_arn: str | None = None
    configuration_values: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    health: dict[str, Any] = field(default_factory=lambda: {"issues": []})
    publisher: str = "eks"
    owner: str = "aws"
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)
    ode_updates: dict[str, Update] = field(default_factory=dict)


@dataclass
class AssociatedAccessPolicy:
    """An access policy associated with an access entry (``AssociatedAccessPolicy`` shape)."""

    policy_arn: str
    access_scope: dict[str, Any]
    associated_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)


@dataclass
class AccessEntry:
    """An EKS access entry, rendered by moto with the ``AccessEntry`` shape."""

    cluster_name: str
    principal_arn: str
    access_entry_arn: str
    username: str
    type: str = "STANDARD"
    kubernetes_groups: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)
    ode_policies: dict[str, AssociatedAccessPolicy] = field(default_factory=dict)


@dataclass
class PodIdentityAssociation:
    """An EKS Pod Identity association, rendered with the ``PodIdentityAssociation`` shape."""

    cluster_name: str
    namespace: str
    service_account: str
    role_arn: str
    association_arn: str
    association_id: str
    tags: dict[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    modified_at: datetime = field(default_factory=utcnow)
    disable_session_tags: bool = False


def _summary(association: PodIdentityAssociation) -> dict[str, Any]:
    """A PodIdentityAssociationSummary of ListPodIdentityAssociations."""
    return {
        "clusterName": association.cluster_name,
        "namespace": association.namespace,
        "serviceAccount": association.service_account,
        "associationArn": association.association_arn,
        "associationId": association.association_id,
    }


def _association(cluster: Cluster, association_id: str) -> PodIdentityAssociation:
    found = cluster.ode_pod_identities.get(association_id)
    if found is None:
        raise _not_found(
            f"No Pod Identity association found with id {association_id} in cluster {cluster.name}",
            clusterName=cluster.name,
        )
    return found


def _require_role(backend: EKSBackend, role_arn: str) -> None:
    """AWS's refusal of a role that does not exist in the account."""
    from moto.iam.models import iam_backends

    iam = iam_backends[backend.account_id][backend.partition]
    if not any(role.arn == role_arn for role in iam.roles.values()):
        raise _invalid_parameter(f"Role {role_arn} does not exist or cannot be assumed by EKS Pod Identity")


def _addon_release(name: str, version: str | None, cluster_version: str) -> str:
    """The add-on version to install: ``version`` if it runs on the cluster, else the default."""
    kind = ADDON_CATALOG.get(name)
    if kind is None:
        raise _invalid_parameter(f"Addon {name} specified is not supported")
    if version is None:
        for release in kind.releases:
            if cluster_version in release.default_for:
                return release.version
        raise _invalid_parameter(f"Addon {name} has no version for Kubernetes {cluster_version}")
    for release in kind.releases:
        if release.version == version and cluster_version in release.cluster_versions:
            return version
    raise _invalid_parameter(
        f"Addon version {version} specified is not supported for Kubernetes {cluster_version}"
    )


def _addon_info(name: str, kind: AddonKind, cluster_version: str | None) -> dict[str, Any]:
    """An AddonInfo of DescribeAddonVersions, limited to ``cluster_version`` if given."""
    versions = []
    for release in kind.releases:
        clusters = [v for v in release.cluster_versions if cluster_version in (None, v)]
        if not clusters:
            continue
        versions.append(
            {
                "addonVersion": release.version,
                "architecture": ["amd64", "arm64"],
                "computeTypes": ["ec2"],
                "compatibilities": [
                    {
                        "clusterVersion": v,
                        "platformVersions": ["*"],
                        "defaultVersion": v in release.default_for,
                    }
                    for v in clusters
                ],
                "requiresConfiguration": False,
                "requiresIamPermissions": kind.requires_iam_permissions,
            }
        )
    return {
        "addonName": name,
        "type": kind.type,
        "addonVersions": versions,
        "publisher": "eks",
        "owner": kind.owner,
        "defaultNamespace": "kube-system",
    }


def _cluster_version_info(version: ClusterVersion) -> dict[str, Any]:
    """A ClusterVersionInformation of DescribeClusterVersions."""
    return {
        "clusterVersion": version.version,
        "clusterType": "eks",
        "defaultPlatformVersion": version.platform,
        "defaultVersion": version.version == default_cluster_version(),
        "releaseDate": version.released,
        "endOfStandardSupportDate": version.end_of_standard_support,
        "endOfExtendedSupportDate": version.end_of_extended_support,
        "status": _SUPPORT_STATUS[version.support(_today)],
        "versionStatus": version.support(_today),
        "kubernetesPatchVersion": version.patch,
    }


def _access_scope(scope: dict[str, Any] | None) -> dict[str, Any]:
    """An access scope checked as AWS checks it: namespaces only with type namespace."""
    scope = scope or {}
    kind, namespaces = scope.get("type"), scope.get("namespaces") or []
    if kind not in ("cluster", "namespace"):
        raise _invalid_parameter(f"Invalid access scope type: {kind!r}")
    if kind == "cluster" and namespaces:
        raise _invalid_parameter("namespaces must be empty when the access scope type is cluster")
    if kind == "namespace" and not namespaces:
        raise _invalid_parameter("namespaces must not be empty when the access scope type is namespace")
    return {"type": kind, "namespaces": list(namespaces)}


def _new_access_entry(
    backend: EKSBackend,
    cluster: Cluster,
    principal_arn: str,
    kind: str,
    username: str | None,
    groups: list[str],
) -> AccessEntry:
    match = _IAM_PRINCIPAL.match(principal_arn or "")
    if match is None:
        raise _invalid_parameter(f"The specified principalArn is invalid: {principal_arn!r}")
    account, principal_type, principal_name = match.groups()
    principal_type, principal_name = principal_type or "root", principal_name or "root"
    if username is None:
        if kind != "STANDARD":
            username = "system:node:{{EC2PrivateDNSName}}"
        elif principal_type == "role":
            username = f"arn:aws:sts::{account}:assumed-role/{principal_name}/{{{{SessionName}}}}"
        else:
            username = principal_arn
    arn = (
        f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:access-entry/"
        f"{cluster.name}/{principal_type}/{account}/{principal_name}/{random.uuid4()}"
    )
    return AccessEntry(
        cluster_name=cluster.name,
        principal_arn=principal_arn,
        access_entry_arn=arn,
        username=username,
        type=kind,
        kubernetes_groups=list(groups),
    )


def _require_api_authentication(cluster: Cluster) -> None:
    if cluster.access_config["authenticationMode"] == "CONFIG_MAP":
        raise _invalid_request(
            "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation."
        )


def _tagged_resource(backend: EKSBackend, arn: str) -> Any:
    """The cluster, node group, Fargate profile, add-on or access entry with that ARN."""
    for cluster in backend.clusters.values():
        _adopt_cluster(cluster)
        candidates = [cluster, *cluster.nodegroups.values(), *cluster.ode_addons.values()]
        candidates += [*cluster.fargate_profiles.values(), *cluster.ode_access_entries.values()]
        candidates += [*cluster.ode_pod_identities.values()]
        for resource in candidates:
            for attribute in ("arn", "addon_arn", "fargate_profile_arn", "access_entry_arn", "association_arn"):
                if getattr(resource, attribute, None) == arn:
                    return resource
    raise _not_found(f"Resource was not found: {arn}")


# -- the handlers ------------------------------------------------------------------------


class _Handlers:
    """Methods installed on moto's ``EKSResponse``: ``self`` is an EKSResponse."""

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
        """Note when the request arrived: moto's request setup before ``call_action`` can
        take most of a second (it rebuilds the IAM backends after a reset), which must not
        count as time passed for the resources."""
        self.ode_arrival = time.monotonic()
        return _moto_dispatch(self, request, full_url, headers)

    def call_action(self) -> Any:
        """Apply the transitions due when the request arrived, then run the operation;
        one EKS request at a time."""
        with _LOCK:
            _settle(self.eks_backend, getattr(self, "ode_arrival", time.monotonic()))
            _retire_versions(self.eks_backend)
            return _moto_call_action(self)

    # -- clusters --

    def create_cluster(self) -> ActionResult:
        """moto's CreateCluster, plus: accessConfig, a per-cluster OIDC issuer and endpoint
        (moto shares one per process), AWS's resourcesVpcConfig and logging, a base64 PEM
        certificate, the creator's access entry, and CREATING until the transition time."""
        if self._get_param("version"):
            _check_offered(self._get_param("version"))
        result = _moto_create_cluster(self)
        cluster = result.result["cluster"]
        backend = self.eks_backend
        _adopt_cluster(cluster)
        if not self._get_param("version"):
            cluster.version = default_cluster_version()
        access = self._get_param("accessConfig") or {}
        cluster.access_config = {
            "authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
            "bootstrapClusterCreatorAdminPermissions": access.get(
                "bootstrapClusterCreatorAdminPermissions", True
            ),
        }
        cluster_id = random.uuid4().hex.upper()
        cluster.identity = {
            "oidc": {"issuer": f"https://oidc.eks.{backend.region_name}.amazonaws.com/id/{cluster_id}"}
        }
        cluster.endpoint = f"https://{cluster_id}.gr7.{backend.region_name}.eks.amazonaws.com"
        cluster.certificate_authority = {"data": _fake_certificate()}
        cluster.logging = _normalized_logging(None, self._get_param("logging"))
        cluster.health = {"issues": []}
        requested = dict(cluster.resources_vpc_config or {})
        vpc_id = _subnet_vpc(backend, requested.get("subnetIds", []))
        cluster.resources_vpc_config = {
            "subnetIds": requested.get("subnetIds", []),
            "securityGroupIds": requested.get("securityGroupIds", []),
            "clusterSecurityGroupId": _cluster_security_group(cluster, backend, vpc_id),
            "vpcId": vpc_id,
            "endpointPublicAccess": requested.get("endpointPublicAccess", True),
            "endpointPrivateAccess": requested.get("endpointPrivateAccess", False),
            "publicAccessCidrs": requested.get("publicAccessCidrs", ["0.0.0.0/0"]),
        }
        if (
            cluster.access_config["authenticationMode"] != "CONFIG_MAP"
            and cluster.access_config["bootstrapClusterCreatorAdminPermissions"]
        ):
            entry = _new_access_entry(backend, cluster, _creator_principal(self), "STANDARD", None, [])
            entry.ode_policies[CLUSTER_ADMIN_POLICY] = AssociatedAccessPolicy(
                CLUSTER_ADMIN_POLICY, {"type": "cluster"}
            )
            cluster.ode_access_entries[entry.principal_arn] = entry
        cluster.status = "CREATING"
        _later(backend, _finish_status(cluster, "CREATING"))
        return result

    def delete_cluster(self) -> ActionResult:
        """DeleteCluster: refused while node groups (moto too) or Fargate profiles (moto
        does not check) are attached; DELETING until the transition time, then gone, with
        its add-ons, access entries and cluster security group."""
        backend = self.eks_backend
        name = self._get_param("name")
        cluster = _cluster(backend, name)
        if cluster.nodegroups:
            raise _in_use(
                "Cluster has nodegroups attached",
                clusterName=name,
                nodegroupName=",".join(cluster.nodegroups),
            )
        if cluster.fargate_profiles:
            raise _in_use("Cluster has fargate profiles attached", clusterName=name)
        if cluster.status != "DELETING":
            cluster.status = "DELETING"

            def remove() -> None:
                if backend.clusters.get(name) is cluster:
                    del backend.clusters[name]
                    backend.cluster_count -= 1
                    _delete_cluster_security_group(cluster, backend)

            _later(backend, remove)
        return ActionResult({"cluster": cluster})

    def update_cluster_version(self) -> ActionResult:
        """UpdateClusterVersion (moto: not implemented): one minor version up at a time,
        only when every node group runs the cluster's version; the cluster is UPDATING
        and the update InProgress until the transition time."""
        backend = self.eks_backend
        cluster = _cluster_for_update(backend, self._get_param("name"))
        version = self._get_param("version")
        current, target = _minor(cluster.version), _minor(version)
        _check_offered(version)
        if target != (current[0], current[1] + 1):
            raise _invalid_parameter(
                f"Unsupported Kubernetes minor version update from {cluster.version} to {version}"
            )
        behind = [n.nodegroup_name for n in cluster.nodegroups.values() if n.version != cluster.version]
        if behind:
            raise _invalid_request(
                f"Nodegroups {', '.join(sorted(behind))} must be updated to match cluster version {cluster.version} "
                "before updating cluster version"
            )

        def apply() -> None:
            cluster.version = version
            cluster.platformVersion = NEW_PLATFORM_VERSION

        params = [_param("Version", version), _param("PlatformVersion", NEW_PLATFORM_VERSION)]
        return ActionResult({"update": _start_update(backend, cluster, "VersionUpdate", params, apply)})

    def update_cluster_config(self) -> ActionResult:
        """UpdateClusterConfig answering an Update (moto answers the cluster): one of
        logging, resourcesVpcConfig, accessConfig or upgradePolicy per call, applied when
        the update completes."""
        backend = self.eks_backend
        cluster = _cluster_for_update(backend, self._get_param("name"))
        supported = ("logging", "resourcesVpcConfig", "accessConfig", "upgradePolicy")
        given = [key for key in supported if self._get_param(key) is not None]
        unsupported = [
            key
            for key in ("kubernetesNetworkConfig", "remoteNetworkConfig", "zonalShiftConfig", "computeConfig")
            if self._get_param(key) is not None
        ]
        if unsupported:
            raise _invalid_parameter(f"The ODE emulator does not support updating {', '.join(unsupported)}")
        if len(given) != 1:
            raise _invalid_parameter("Only one type of update can be allowed.")
        key = given[0]
        value = self._get_param(key)
        kind, params, apply = getattr(_ClusterConfig, key)(cluster, value)
        return ActionResult({"update": _start_update(backend, cluster, kind, params, apply)})

    # -- node groups --

    def create_nodegroup(self) -> ActionResult:
        """moto's CreateNodegroup, with the cluster's version (moto: 1.19) and the newest AMI
        release for it by default, its own copies of moto's shared default dicts, no
        remote access unless asked, and CREATING until the transition time.

        A ``version`` other than the cluster's is refused (InvalidParameterException)
        before anything is created; moto takes any version. EKS's API reference: "You can
        only create a node group for your cluster that is equal to the current Kubernetes
        version for the cluster"; botocore's model of ``version``: "this is the only
        accepted specified value". A node group comes to lag its cluster only when the
        cluster is updated, within the skew :func:`_check_nodegroup_version` enforces."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        version = self._get_param("version")
        if version is not None:
            _check_nodegroup_version(cluster, version)
            if _minor(version) != _minor(cluster.version):
                raise _invalid_parameter(
                    f"Requested Nodegroup Kubernetes version {version} is invalid. "
                    f"Allowed Kubernetes version is {cluster.version}"
                )
        result = _moto_create_nodegroup(self)
        nodegroup = result.result["nodegroup"]
        _adopt_nodegroup(nodegroup)
        nodegroup.version = self._get_param("version") or cluster.version
        nodegroup.release_version = self._get_param("releaseVersion") or _ami_release(nodegroup.version)
        nodegroup.scaling_config = dict(nodegroup.scaling_config)
        nodegroup.health = {"issues": []}
        nodegroup.labels = dict(nodegroup.labels)
        nodegroup.taints = list(nodegroup.taints)
        if self._get_param("remoteAccess") is None:
            nodegroup.remote_access = None
            nodegroup.resources = {"autoScalingGroups": nodegroup.resources["autoScalingGroups"]}
        nodegroup.status = "CREATING"
        failure = failures.take("nodegroup", nodegroup.nodegroup_name)
        if failure is not None:
            groups = [g.get("name") for g in nodegroup.resources.get("autoScalingGroups", [])]
            _later(backend, _fail_creation(nodegroup, failure, [g for g in groups if g]))
        else:
            _later(backend, _finish_status(nodegroup, "CREATING"))
        return result

    def delete_nodegroup(self) -> ActionResult:
        """DeleteNodegroup: DELETING until the transition time, then gone (moto: at once,
        so the cluster could not be seen waiting for it)."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        nodegroup = _nodegroup(cluster, self._get_param("nodegroupName"))
        if nodegroup.status != "DELETING":
            nodegroup.status = "DELETING"

            def remove() -> None:
                if cluster.nodegroups.get(nodegroup.nodegroup_name) is nodegroup:
                    del cluster.nodegroups[nodegroup.nodegroup_name]
                    cluster.nodegroup_count -= 1

            _later(backend, remove)
        return ActionResult({"nodegroup": nodegroup})

    def list_nodegroups(self) -> ActionResult:
        """ListNodegroups; a missing cluster is ResourceNotFoundException (moto: error 500)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        names, token = paginated_list(
            list(cluster.nodegroups), self._get_int_param("maxResults", 100), self._get_param("nextToken")
        )
        return ActionResult({"nodegroups": names, "nextToken": token})

    def update_nodegroup_config(self) -> ActionResult:
        """UpdateNodegroupConfig: labels, taints, scalingConfig and updateConfig applied
        when the update completes (moto: at once, with a Successful update and shared
        default scaling dicts)."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        nodegroup = _nodegroup(cluster, self._get_param("nodegroupName"))
        _require_status(nodegroup, "Nodegroup", nodegroup.nodegroup_name)
        labels = self._get_param("labels") or {}
        taints = self._get_param("taints") or {}
        scaling = self._get_param("scalingConfig") or {}
        update_config = self._get_param("updateConfig")
        new_scaling = {**nodegroup.scaling_config, **scaling}
        low, desired, high = (new_scaling.get(k, 0) for k in ("minSize", "desiredSize", "maxSize"))
        if not low <= desired <= high:
            raise _invalid_parameter("desiredSize must be between minSize and maxSize")
        if high < 1:
            raise _invalid_parameter("maxSize must be at least 1")

        params = []
        for kind, value in (
            ("LabelsToAdd", labels.get("addOrUpdateLabels")),
            ("LabelsToRemove", labels.get("removeLabels")),
            ("TaintsToAdd", taints.get("addOrUpdateTaints")),
            ("TaintsToRemove", taints.get("removeTaints")),
            ("MinSize", scaling.get("minSize")),
            ("MaxSize", scaling.get("maxSize")),
            ("DesiredSize", scaling.get("desiredSize")),
            ("MaxUnavailable", (update_config or {}).get("maxUnavailable")),
            ("MaxUnavailablePercentage", (update_config or {}).get("maxUnavailablePercentage")),
        ):
            if value is not None:
                params.append(_param(kind, value))

        def apply() -> None:
            nodegroup.labels.update(labels.get("addOrUpdateLabels") or {})
            for key in labels.get("removeLabels") or []:
                nodegroup.labels.pop(key, None)
            removed = [*(taints.get("addOrUpdateTaints") or []), *(taints.get("removeTaints") or [])]
            nodegroup.taints = [
                t
                for t in nodegroup.taints
                if not any((t["key"], t.get("effect")) == (r["key"], r.get("effect")) for r in removed)
            ] + list(taints.get("addOrUpdateTaints") or [])
            nodegroup.scaling_config = new_scaling
            if update_config:
                nodegroup.update_config = update_config
            nodegroup.modified_at = utcnow()

        return ActionResult({"update": _start_update(backend, nodegroup, "ConfigUpdate", params, apply)})

    def update_nodegroup_version(self) -> ActionResult:
        """UpdateNodegroupVersion (moto: not implemented): to the cluster's version at most,
        never older than the skew EKS allows (:func:`_check_nodegroup_version`), never back;
        without a version, the newest AMI release of the current one. Refusals are
        InvalidParameterException and record no update."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        nodegroup = _nodegroup(cluster, self._get_param("nodegroupName"))
        _require_status(nodegroup, "Nodegroup", nodegroup.nodegroup_name)
        version = self._get_param("version") or nodegroup.version
        if self._get_param("version"):
            _check_nodegroup_version(cluster, version)
        if _minor(version) < _minor(nodegroup.version):
            raise _invalid_parameter(f"Cannot roll back node group from {nodegroup.version} to {version}")
        release = self._get_param("releaseVersion") or _ami_release(version)
        if not release.startswith(version + "."):
            raise _invalid_parameter(
                f"Requested release version {release} is not valid for Kubernetes {version}"
            )
        launch_template = self._get_param("launchTemplate")
        params = [_param("Version", version), _param("ReleaseVersion", release)]
        if launch_template:
            params += [
                _param(
                    "LaunchTemplateName",
                    launch_template.get("name", (nodegroup.launch_template or {}).get("name")),
                ),
                _param("LaunchTemplateVersion", launch_template.get("version", "")),
            ]

        def apply() -> None:
            nodegroup.version = version
            nodegroup.release_version = release
            if launch_template and nodegroup.launch_template is not None:
                nodegroup.launch_template = {**nodegroup.launch_template, **launch_template}
            nodegroup.modified_at = utcnow()

        return ActionResult({"update": _start_update(backend, nodegroup, "VersionUpdate", params, apply)})

    def list_fargate_profiles(self) -> ActionResult:
        """ListFargateProfiles; a missing cluster is ResourceNotFoundException (moto: 500)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        names, token = paginated_list(
            list(cluster.fargate_profiles),
            self._get_int_param("maxResults", 100),
            self._get_param("nextToken"),
        )
        return ActionResult({"fargateProfileNames": names, "nextToken": token})

    # -- updates --

    def _update_owner(self) -> Any:
        """The cluster, or its node group / add-on named in the query, whose updates are asked."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        nodegroup_name, addon_name = self._get_param("nodegroupName"), self._get_param("addonName")
        if nodegroup_name:
            return _nodegroup(cluster, nodegroup_name)
        if addon_name:
            return _addon(cluster, addon_name)
        return cluster

    def describe_update(self) -> ActionResult:
        """DescribeUpdate (moto: not implemented); a node group's or add-on's update needs
        ?nodegroupName= or ?addonName=, as on AWS."""
        update_id = self._get_param("updateId")
        update = self._update_owner().ode_updates.get(update_id)
        if update is None:
            raise _not_found(f"No update found for ID: {update_id}")
        return ActionResult({"update": update})

    def list_updates(self) -> ActionResult:
        """ListUpdates (moto: not implemented), oldest first."""
        ids = list(self._update_owner().ode_updates)
        start = ids.index(self._get_param("nextToken")) if self._get_param("nextToken") in ids else 0
        end = start + self._get_int_param("maxResults", 100)
        return ActionResult({"updateIds": ids[start:end], "nextToken": ids[end] if end < len(ids) else None})

    # -- tags --

    def tag_resource(self) -> EmptyResult:
        """TagResource on any EKS ARN (moto: clusters only)."""
        _tagged_resource(self.eks_backend, self._extract_arn_from_path()).tags.update(
            self._get_param("tags") or {}
        )
        return EmptyResult()

    def untag_resource(self) -> EmptyResult:
        """UntagResource on any EKS ARN (moto: clusters only)."""
        resource = _tagged_resource(self.eks_backend, self._extract_arn_from_path())
        keys = self.querystring.get("tagKeys") or []
        for key in keys:
            resource.tags.pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        """ListTagsForResource on any EKS ARN (moto: clusters only)."""
        return ActionResult({"tags": _tagged_resource(self.eks_backend, self._extract_arn_from_path()).tags})

    # -- add-ons --

    def create_addon(self) -> ActionResult:
        """CreateAddon (moto: not implemented): a catalog add-on at a version for the
        cluster's Kubernetes version (the default one if none is asked), CREATING until
        the transition time."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        name = self._get_param("addonName")
        if name in cluster.ode_addons:
            raise _in_use(f"Addon already exists with name: {name}", clusterName=cluster.name, addonName=name)
        if cluster.status not in ("ACTIVE", "UPDATING"):
            raise _invalid_request(f"Cluster '{cluster.name}' is not in ACTIVE status")
        _check_configuration(name, self._get_param("configurationValues"))
        addon = Addon(
            addon_name=name,
            cluster_name=cluster.name,
            addon_version=_addon_release(name, self._get_param("addonVersion"), cluster.version),
            addon_arn=(
                f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:addon/"
                f"{cluster.name}/{name}/{random.uuid4()}"
            ),
            service_account_role_arn=self._get_param("serviceAccountRoleArn"),
            configuration_values=self._get_param("configurationValues"),
            tags=dict(self._get_param("tags") or {}),
        )
        cluster.ode_addons[name] = addon
        failure = failures.take("addon", name)
        degraded = failures.take("addon-degraded", name)
        if failure is not None:
            _later(backend, _fail_creation(addon, failure, []))
        elif degraded is not None:
            _later(backend, _fail_creation(addon, degraded, [], status="DEGRADED"))
        else:
            _later(backend, _finish_status(addon, "CREATING"))
        return ActionResult({"addon": addon})

    def describe_addon(self) -> ActionResult:
        """DescribeAddon (moto: not implemented)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"addon": _addon(cluster, self._get_param("addonName"))})

    def list_addons(self) -> ActionResult:
        """ListAddons (moto: not implemented)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        names, token = paginated_list(
            list(cluster.ode_addons), self._get_int_param("maxResults", 100), self._get_param("nextToken")
        )
        return ActionResult({"addons": names, "nextToken": token})

    def update_addon(self) -> ActionResult:
        """UpdateAddon (moto: not implemented): version, role and configuration, applied
        when the update completes; an empty configuration removes it. A role cannot be
        removed this way: like AWS (serviceAccountRoleArn has a minimum length of 1),
        an empty role is refused. A DEGRADED add-on may be updated (that is how it is
        repaired); the update clears its health issues."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        addon = _addon(cluster, self._get_param("addonName"))
        if addon.status != "DEGRADED":
            _require_status(addon, "Addon", addon.addon_name)
        version = self._get_param("addonVersion")
        if version is not None:
            version = _addon_release(addon.addon_name, version, cluster.version)
        role, configuration = self._get_param("serviceAccountRoleArn"), self._get_param("configurationValues")
        if role == "":
            raise _invalid_parameter("serviceAccountRoleArn must be at least 1 character long")
        _check_configuration(addon.addon_name, configuration)
        params = []
        for kind, value in (
            ("AddonVersion", version),
            ("ServiceAccountRoleArn", role),
            ("ResolveConflicts", self._get_param("resolveConflicts")),
            ("ConfigurationValues", configuration),
        ):
            if value is not None:
                params.append(_param(kind, value))

        def apply() -> None:
            if version is not None:
                addon.addon_version = version
            if role is not None:
                addon.service_account_role_arn = role
            if configuration is not None:
                addon.configuration_values = configuration or None
            addon.health = {"issues": []}
            addon.modified_at = utcnow()

        return ActionResult({"update": _start_update(backend, addon, "AddonUpdate", params, apply)})

    def delete_addon(self) -> ActionResult:
        """DeleteAddon (moto: not implemented): DELETING until the transition time, then gone."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        addon = _addon(cluster, self._get_param("addonName"))
        if addon.status != "DELETING":
            addon.status = "DELETING"

            def remove() -> None:
                if cluster.ode_addons.get(addon.addon_name) is addon:
                    del cluster.ode_addons[addon.addon_name]

            _later(backend, remove)
        return ActionResult({"addon": addon})

    def describe_addon_versions(self) -> ActionResult:
        """DescribeAddonVersions (moto: not implemented) from :data:`ADDON_CATALOG`,
        filtered by addonName, kubernetesVersion, types, publishers and owners; paged by
        maxResults (1 to 100, 100 by default) / nextToken (the add-on to start at)."""
        name, cluster_version = self._get_param("addonName"), self._get_param("kubernetesVersion")
        types = self.querystring.get("types")
        publishers, owners = self.querystring.get("publishers"), self.querystring.get("owners")
        addons = []
        for addon_name, kind in ADDON_CATALOG.items():
            if name not in (None, addon_name) or (types and kind.type not in types):
                continue
            if (publishers and "eks" not in publishers) or (owners and kind.owner not in owners):
                continue
            info = _addon_info(addon_name, kind, cluster_version)
            if info["addonVersions"]:
                addons.append(info)
        names = [a["addonName"] for a in addons]
        token = self._get_param("nextToken")
        if token is not None and token not in names:
            raise _invalid_parameter("The nextToken is not valid")
        start = names.index(token) if token is not None else 0
        end = start + self._get_int_param("maxResults", 100)
        return ActionResult({"addons": addons[start:end], "nextToken": names[end] if end < len(names) else None})

    def describe_addon_configuration(self) -> ActionResult:
        """DescribeAddonConfiguration (moto: not implemented): the JSON schema of an
        add-on version's configuration values."""
        name, version = self._get_param("addonName"), self._get_param("addonVersion")
        kind = ADDON_CATALOG.get(name)
        if kind is None or all(r.version != version for r in kind.releases):
            raise _not_found(f"Addon {name} with version {version} was not found", addonName=name)
        return ActionResult(
            {
                "addonName": name,
                "addonVersion": version,
                "configurationSchema": json.dumps(_config_schema(kind)),
                "podIdentityConfiguration": [],
            }
        )

    # -- cluster versions --

    def describe_cluster_versions(self) -> ActionResult:
        """DescribeClusterVersions (moto: not implemented) from :data:`CLUSTER_VERSIONS`
        on the emulator's :func:`today`, newest first: the versions released by then and
        still supported (standard or extended), every released one with includeAll;
        filtered by clusterType, clusterVersions, defaultOnly, versionStatus and status;
        paged by maxResults / nextToken (the version to start at)."""
        wanted = self.querystring.get("clusterVersions")
        cluster_type = self._get_param("clusterType")
        default_only = self._get_bool_param("defaultOnly", False)
        include_all = self._get_bool_param("includeAll", False)
        version_status, status = self._get_param("versionStatus"), self._get_param("status")
        default = default_cluster_version()
        versions = [
            v
            for v in CLUSTER_VERSIONS
            if (support := v.support(_today)) is not None
            and (include_all or support != "UNSUPPORTED")
            and cluster_type in (None, "eks")
            and (not wanted or v.version in wanted)
            and (not default_only or v.version == default)
            and version_status in (None, support)
            and status in (None, _SUPPORT_STATUS[support])
        ]
        names = [v.version for v in versions]
        token = self._get_param("nextToken")
        if token is not None and token not in names:
            raise _invalid_parameter("The nextToken is not valid")
        start = names.index(token) if token is not None else 0
        end = start + self._get_int_param("maxResults", 100)
        return ActionResult(
            {
                "clusterVersions": [_cluster_version_info(v) for v in versions[start:end]],
                "nextToken": names[end] if end < len(names) else None,
            }
        )

    # -- Pod Identity associations --

    def create_pod_identity_association(self) -> ActionResult:
        """CreatePodIdentityAssociation (moto: not implemented): one association per
        service account; the role must exist."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        namespace, account = self._get_param("namespace"), self._get_param("serviceAccount")
        for existing in cluster.ode_pod_identities.values():
            if (existing.namespace, existing.service_account) == (namespace, account):
                raise _in_use(
                    f"Association already exists: {existing.association_id}", clusterName=cluster.name
                )
        role = self._get_param("roleArn")
        _require_role(backend, role)
        association_id = "a-" + random.get_random_string(length=17, lower_case=True)
        association = PodIdentityAssociation(
            cluster_name=cluster.name,
            namespace=namespace,
            service_account=account,
            role_arn=role,
            association_arn=(
                f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:"
                f"podidentityassociation/{cluster.name}/{association_id}"
            ),
            association_id=association_id,
            tags=dict(self._get_param("tags") or {}),
            disable_session_tags=bool(self._get_param("disableSessionTags")),
        )
        cluster.ode_pod_identities[association_id] = association
        return ActionResult({"association": association})

    def describe_pod_identity_association(self) -> ActionResult:
        """DescribePodIdentityAssociation (moto: not implemented)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"association": _association(cluster, self._get_param("associationId"))})

    def list_pod_identity_associations(self) -> ActionResult:
        """ListPodIdentityAssociations (moto: not implemented), filtered by namespace
        and service account, paged by maxResults / nextToken."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        namespace, account = self._get_param("namespace"), self._get_param("serviceAccount")
        if account is not None and namespace is None:
            raise _invalid_parameter("namespace is required when serviceAccount is given")
        ids = [
            a.association_id
            for a in cluster.ode_pod_identities.values()
            if namespace in (None, a.namespace) and account in (None, a.service_account)
        ]
        page, token = paginated_list(ids, self._get_int_param("maxResults", 100), self._get_param("nextToken"))
        summaries = [_summary(cluster.ode_pod_identities[i]) for i in page]
        return ActionResult({"associations": summaries, "nextToken": token})

    def update_pod_identity_association(self) -> ActionResult:
        """UpdatePodIdentityAssociation (moto: not implemented): its role."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        association = _association(cluster, self._get_param("associationId"))
        role = self._get_param("roleArn")
        if role is not None:
            _require_role(backend, role)
            association.role_arn = role
        association.modified_at = utcnow()
        return ActionResult({"association": association})

    def delete_pod_identity_association(self) -> ActionResult:
        """DeletePodIdentityAssociation (moto: not implemented)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        association = _association(cluster, self._get_param("associationId"))
        del cluster.ode_pod_identities[association.association_id]
        return ActionResult({"association": association})

    # -- access entries --

    def create_access_entry(self) -> ActionResult:
        """CreateAccessEntry (moto: not implemented); needs authentication mode API or
        API_AND_CONFIG_MAP; the username defaults as on AWS."""
        backend = self.eks_backend
        cluster = _cluster(backend, self._get_param("name"))
        _require_api_authentication(cluster)
        principal = self._get_param("principalArn")
        if principal in cluster.ode_access_entries:
            raise _in_use(
                f"The specified access entry resource is already in use on this cluster: {principal}"
            )
        kind = self._get_param("type") or "STANDARD"
        groups = self._get_param("kubernetesGroups") or []
        if kind != "STANDARD" and (groups or self._get_param("username")):
            raise _invalid_parameter(
                f"kubernetesGroups and username cannot be set for access entry type {kind}"
            )
        entry = _new_access_entry(backend, cluster, principal, kind, self._get_param("username"), groups)
        entry.tags = dict(self._get_param("tags") or {})
        cluster.ode_access_entries[principal] = entry
        return ActionResult({"accessEntry": entry})

    def describe_access_entry(self) -> ActionResult:
        """DescribeAccessEntry (moto: not implemented)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"accessEntry": _access_entry(cluster, self._get_param("principalArn"))})

    def list_access_entries(self) -> ActionResult:
        """ListAccessEntries (moto: not implemented), optionally of one associated policy."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        policy = self._get_param("associatedPolicyArn")
        arns = [
            arn for arn, entry in cluster.ode_access_entries.items() if policy in (None, *entry.ode_policies)
        ]
        names, token = paginated_list(
            arns, self._get_int_param("maxResults", 100), self._get_param("nextToken")
        )
        return ActionResult({"accessEntries": names, "nextToken": token})

    def update_access_entry(self) -> ActionResult:
        """UpdateAccessEntry (moto: not implemented): kubernetesGroups and username."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        entry = _access_entry(cluster, self._get_param("principalArn"))
        groups, username = self._get_param("kubernetesGroups"), self._get_param("username")
        if groups is not None:
            entry.kubernetes_groups = list(groups)
        if username is not None:
            entry.username = username
        entry.modified_at = utcnow()
        return ActionResult({"accessEntry": entry})

    def delete_access_entry(self) -> EmptyResult:
        """DeleteAccessEntry (moto: not implemented), with its policy associations."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        entry = _access_entry(cluster, self._get_param("principalArn"))
        del cluster.ode_access_entries[entry.principal_arn]
        return EmptyResult()

    def associate_access_policy(self) -> ActionResult:
        """AssociateAccessPolicy (moto: not implemented); associating a policy again
        replaces its scope."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        entry = _access_entry(cluster, self._get_param("principalArn"))
        policy_arn = self._get_param("policyArn")
        if policy_arn not in ACCESS_POLICIES:
            raise _invalid_parameter(f"The specified policyArn is invalid: {policy_arn!r}")
        if entry.type != "STANDARD":
            raise _invalid_parameter(
                f"Access policies cannot be associated with access entries of type {entry.type}"
            )
        scope = _access_scope(self._get_param("accessScope"))
        association = entry.ode_policies.get(policy_arn)
        if association is None:
            association = entry.ode_policies[policy_arn] = AssociatedAccessPolicy(policy_arn, scope)
        else:
            association.access_scope, association.modified_at = scope, utcnow()
        return ActionResult(
            {
                "clusterName": cluster.name,
                "principalArn": entry.principal_arn,
                "associatedAccessPolicy": association,
            }
        )

    def disassociate_access_policy(self) -> EmptyResult:
        """DisassociateAccessPolicy (moto: not implemented)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        entry = _access_entry(cluster, self._get_param("principalArn"))
        policy_arn = self._get_param("policyArn")
        if entry.ode_policies.pop(policy_arn, None) is None:
            raise _not_found(f"The policy {policy_arn} is not associated with {entry.principal_arn}")
        return EmptyResult()

    def list_associated_access_policies(self) -> ActionResult:
        """ListAssociatedAccessPolicies (moto: not implemented)."""
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        entry = _access_entry(cluster, self._get_param("principalArn"))
        return ActionResult(
            {
                "clusterName": cluster.name,
                "principalArn": entry.principal_arn,
                "associatedAccessPolicies": list(entry.ode_policies.values()),
            }
        )


class _ClusterConfig:
    """UpdateClusterConfig, one method per kind of change: (update type, params, apply)."""

    @staticmethod
    def logging(cluster: Cluster, logging: dict[str, Any]) -> tuple[str, list, Callable[[], None]]:
        def apply() -> None:
            cluster.logging = _normalized_logging(cluster.logging, logging)

        return "LoggingUpdate", [_param("ClusterLogging", logging.get("clusterLogging", []))], apply

    @staticmethod
    def resourcesVpcConfig(
        cluster: Cluster, config: dict[str, Any]
    ) -> tuple[str, list, Callable[[], None]]:  # noqa: N802
        new = {**cluster.resources_vpc_config, **config}
        if not (new.get("endpointPublicAccess") or new.get("endpointPrivateAccess")):
            raise _invalid_parameter("Public and private endpoint access cannot both be disabled")
        names = {
            "subnetIds": "Subnets",
            "securityGroupIds": "SecurityGroups",
            "endpointPublicAccess": "EndpointPublicAccess",
            "endpointPrivateAccess": "EndpointPrivateAccess",
            "publicAccessCidrs": "PublicAccessCidrs",
        }
        params = [_param(names[key], value) for key, value in config.items() if key in names]
        vpc_change = "subnetIds" in config or "securityGroupIds" in config

        def apply() -> None:
            cluster.resources_vpc_config = new

        return ("VpcConfigUpdate" if vpc_change else "EndpointAccessUpdate"), params, apply

    @staticmethod
    def accessConfig(
        cluster: Cluster, config: dict[str, Any]
    ) -> tuple[str, list, Callable[[], None]]:  # noqa: N802
        current, mode = cluster.access_config["authenticationMode"], config.get("authenticationMode")
        if mode not in _AUTHENTICATION_MODES or _AUTHENTICATION_MODES.index(
            mode
        ) <= _AUTHENTICATION_MODES.index(current):
            raise _invalid_parameter(f"Unsupported authentication mode update from {current} to {mode}")

        def apply() -> None:
            cluster.access_config = {**cluster.access_config, "authenticationMode": mode}

        return "AccessConfigUpdate", [_param("AuthenticationMode", mode)], apply

    @staticmethod
    def upgradePolicy(
        cluster: Cluster, policy: dict[str, Any]
    ) -> tuple[str, list, Callable[[], None]]:  # noqa: N802
        def apply() -> None:
            cluster.upgrade_policy = policy

        return "UpgradePolicyUpdate", [_param("UpgradePolicy", policy)], apply
