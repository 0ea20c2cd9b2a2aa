"""RDS, ElastiCache and CloudWatch Logs for the emulator: what moto 5.2.5 lacks or gets wrong.

:func:`install` (called by ``emulator.make_server``) replaces or adds methods of moto's
``RDSResponse``, ``ElastiCacheResponse`` and ``LogsResponse``, and adds a few properties
to moto's model classes. moto calls the method named after the operation in snake_case
and renders what it returns with botocore's shapes, looking attributes up by the
snake_case form of each field name (``PendingModifiedValues`` -> ``pending_modified_values``).

RDS, added or mended:

* DB instances read ``creating`` (CreateDBInstance, RestoreDBInstanceFromDBSnapshot),
  ``modifying`` (ModifyDBInstance) and ``deleting`` (DeleteDBInstance) for the transition
  time; a deleted instance then disappears (moto: ``available`` at once, gone at once).
* ModifyDBInstance without ApplyImmediately leaves DBInstanceClass, AllocatedStorage,
  StorageType, Iops, EngineVersion and MultiAZ for the maintenance window: they show
  in ``PendingModifiedValues`` and the instance keeps its values until
  :func:`apply_rds_maintenance` or a later modify with ApplyImmediately (moto: applies
  everything at once and never reports pending values). :func:`rds_minor_upgrade`
  stands for AWS upgrading the minor engine version by itself.
* ModifyDBInstance refuses an AllocatedStorage below the instance's current or pending
  allocated storage (InvalidParameterCombination), before anything is recorded (moto:
  shrinks the storage).
* RestoreDBInstanceFromDBSnapshot keeps the settings it is given even when false or 0
  (moto drops MultiAZ, PubliclyAccessible, AutoMinorVersionUpgrade, CopyTagsToSnapshot,
  DeletionProtection and BackupRetentionPeriod given false or 0, and keeps the source
  instance's). ManageMasterUserPassword, which RDS takes on a restore for RDS for
  Oracle only, creates the managed secret with MasterUserSecretKmsKeyId (else the key
  of ``aws/secretsmanager``); on another engine it is refused (InvalidParameterValue).
  A restore without it has no MasterUserSecret: the snapshot's password applies (moto:
  a new secret whenever the source instance had one).
* DeleteDBInstance refuses a delete with neither FinalDBSnapshotIdentifier nor
  SkipFinalSnapshot, and a delete of an instance already deleting (moto: accepts both).
* ModifyDBSubnetGroup keeps the group (moto drops it from its table).
* DeleteDBSubnetGroup and DeleteDBParameterGroup refuse while an instance uses the group.
* PerformanceInsightsEnabled, with its retention period and key, is reported (moto
  drops EnablePerformanceInsights).
* DescribeDBParameters gives each parameter its ``Source`` (``user``) and honours the
  Source filter.
* Tags of a missing DB instance, subnet group or parameter group: that resource's
  NotFound error (moto: an empty list, or nothing done).
* Each DB instance has its own DbiResourceId, as AWS makes it unique in the region
  (moto: the same id for every instance).

ElastiCache, added or mended:

* CreateReplicationGroup (cluster mode disabled): NumCacheClusters (or
  ReplicasPerNodeGroup + 1) members ``<id>-001``... spread over the subnet group's
  zones, the first primary (moto: one member), a ReaderEndpoint, and member cache
  clusters for DescribeCacheClusters with the group's engine version, parameter group,
  security groups and maintenance window (moto: none). An AuthToken needs
  TransitEncryptionEnabled (moto: accepts it without); the active tokens are kept on
  the group for :func:`redis_auth_token_hashes`, never logged.
* ModifyReplicationGroup: CacheNodeType, SnapshotRetentionLimit, SnapshotWindow,
  PreferredMaintenanceWindow, AutomaticFailoverEnabled, MultiAZEnabled,
  CacheParameterGroupName, SecurityGroupIds, EngineVersion, AutoMinorVersionUpgrade,
  TransitEncryptionEnabled and AuthToken with AuthTokenUpdateStrategy ROTATE (the
  default: the newest old token stays valid), SET (the new token only) or DELETE (no
  token). Everything applies at once, whatever ApplyImmediately says (moto: five
  settings, no tokens).
* IncreaseReplicaCount / DecreaseReplicaCount (moto: not implemented).
* DeleteReplicationGroup: ``deleting`` for the transition time, then gone with its
  member clusters and tags, so that the id can be used again (moto: ``deleting`` for
  ever); FinalSnapshotIdentifier takes a snapshot first.
* Replication groups read ``creating`` / ``modifying`` / ``deleting`` for the
  transition time, and refuse changes while not ``available``.
* Cache subnet groups: ModifyCacheSubnetGroup and DeleteCacheSubnetGroup (moto: not
  implemented; delete refuses while a group uses it); each subnet's
  SubnetAvailabilityZone has its Name (moto: empty).
* Cache parameter groups (moto: none at all): Create/Describe/Modify/Reset/Delete-
  CacheParameterGroup and DescribeCacheParameters, over a few engine defaults
  (:data:`REDIS_PARAMETER_DEFAULTS`); ``default.*`` groups exist implicitly.
* Tags of a missing replication group, cache cluster, subnet group or parameter group:
  its NotFound error (moto: an empty list); tags on parameter groups (moto: InvalidARN).

CloudWatch Logs, mended:

* DeleteLogGroup drops the group's tags (moto keeps them, and a new group of the same
  name inherits them).
* ListTagsForResource / TagResource / UntagResource on the ARN of a log group that does
  not exist, including the ``...:*`` form DescribeLogGroups gives as ``arn``:
  ResourceNotFoundException (moto: empty tags, or tags kept for nothing).

Transitions: with a transition time of 0 (the default) every change is complete when
its call answers, as moto has it (except that deleted replication groups do go).
Otherwise the resources read their transitional status for that many seconds after the
call that started the change. Nothing runs in the background: each RDS or ElastiCache
request, and each control call of this module, first applies the changes whose time
had come when it arrived.

All state lives on moto's backend and model objects (attributes named ``ode_*``), so
resetting moto resets it.
"""

from __future__ import annotations

import hashlib
import re
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.elasticache.exceptions import (
    CacheClusterNotFound,
    CacheSubnetGroupNotFound,
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
)
from moto.elasticache.models import (
    CacheCluster,
    CacheSubnetGroup,
    ElastiCacheBackend,
    ReplicationGroup,
    elasticache_backends,
)
from moto.elasticache.responses import ElastiCacheResponse
from moto.logs.exceptions import ResourceNotFoundException as LogGroupNotFound
from moto.logs.models import LogsBackend
from moto.logs.responses import LogsResponse
from moto.moto_api._internal import mock_random as random
from . import api_models, failures, paging
from moto.rds.exceptions import (
    DBInstanceNotFoundError,
    DBParameterGroupNotFoundError,
    DBSubnetGroupNotFoundError,
    RDSClientError,
)
from moto.rds.models import DBInstance, RDSBackend, rds_backends
from moto.rds.models import Event as RdsEvent
from moto.rds.responses import RDSResponse

# -- settings and catalogs ---------------------------------------------------------------

#: ModifyDBInstance parameters AWS keeps for the maintenance window unless
#: ApplyImmediately: the AWS field name (request and PendingModifiedValues) -> the
#: attribute of moto's DBInstance.
RDS_DEFERRED: dict[str, str] = {
    "DBInstanceClass": "db_instance_class",
    "AllocatedStorage": "allocated_storage",
    "StorageType": "storage_type",
    "Iops": "iops",
    "EngineVersion": "engine_version",
    "MultiAZ": "multi_az",
}
#: RestoreDBInstanceFromDBSnapshot settings moto drops when false or 0 (it applies only
#: truthy overrides and keeps the source instance's value): AWS field -> DBInstance attribute.
RDS_RESTORE_FALSY_KEPT: dict[str, str] = {
    "MultiAZ": "multi_az",
    "PubliclyAccessible": "publicly_accessible",
    "AutoMinorVersionUpgrade": "auto_minor_version_upgrade",
    "CopyTagsToSnapshot": "copy_tags_to_snapshot",
    "DeletionProtection": "deletion_protection",
    "BackupRetentionPeriod": "backup_retention_period",
}
#: The engines of RDS for Oracle: the only ones RestoreDBInstanceFromDBSnapshot takes
#: ManageMasterUserPassword for (RDS API reference and botocore's model: "Applies to RDS
#: for Oracle only").
RDS_ORACLE_ENGINES = frozenset({"oracle-ee", "oracle-ee-cdb", "oracle-se2", "oracle-se2-cdb"})
#: Performance Insights keeps its data this long unless told otherwise (days).
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7

#: The emulator's "today" for the engine version calendars (``POST /_ode/today``).
DEFAULT_TODAY = datetime(2026, 12, 1, tzinfo=timezone.utc)
_today = DEFAULT_TODAY


def set_today(day: datetime | None) -> None:
    """Read the engine version calendars on ``day`` (None: :data:`DEFAULT_TODAY`)."""
    global _today
    _today = day or DEFAULT_TODAY


#: The maintenance window of a replication group created without one.
DEFAULT_CACHE_MAINTENANCE_WINDOW = "sun:05:00-sun:06:00"
#: The cache parameter group families CreateCacheParameterGroup accepts.
CACHE_PARAMETER_FAMILIES = frozenset(
    {
        "memcached1.4",
        "memcached1.5",
        "memcached1.6",
        "redis2.6",
        "redis2.8",
        "redis3.2",
        "redis4.0",
        "redis5.0",
        "redis6.x",
        "redis7",
        "valkey7",
        "valkey8",
    }
)


@dataclass(frozen=True)
class ParameterDefault:
    """An engine default of a Redis / Valkey cache parameter."""

    value: str
    data_type: str
    allowed_values: str
    change_type: str = "immediate"


#: The engine defaults DescribeCacheParameters lists for redis and valkey families.
REDIS_PARAMETER_DEFAULTS: dict[str, ParameterDefault] = {
    "maxmemory-policy": ParameterDefault(
        "volatile-lru",
        "string",
        "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction",
    ),
    "maxmemory-samples": ParameterDefault("3", "integer", "1-"),
    "timeout": ParameterDefault("0", "integer", "0,20-"),
    "notify-keyspace-events": ParameterDefault("", "string", ""),
    "cluster-enabled": ParameterDefault("no", "string", "yes,no", change_type="requires-reboot"),
}
# Letters, digits and the punctuation AWS allows in a Redis AUTH token, 16 to 128 of them.
_AUTH_TOKEN = re.compile(r"[A-Za-z0-9!&#$^<>-]{16,128}")
_AUTH_NEEDS_TRANSIT = "The AUTH token is only supported when encryption-in-transit is enabled"
_AUTH_STRATEGIES = ("ROTATE", "SET", "DELETE")
_RDS_ARN = re.compile(r"^arn:[\w-]+:rds:[^:]*:\d*:(db|subgrp|pg):(.+)$")
_CACHE_ARN = re.compile(r"^arn:[\w-]+:elasticache:[^:]*:\d*:([a-z]+):(.+)$")

# Serializes RDS and ElastiCache requests and this module's control calls: moto's models
# are not thread-safe and a request may apply pending changes of other resources.
_LOCK = threading.RLock()


def _no_transitions() -> float:
    return 0.0


# Set by install(): how long, in seconds, resources stay in their transitional states.
_transition_s: Callable[[], float] = _no_transitions


class UnknownResource(LookupError):
    """A control call named a resource the emulator does not have."""


# -- transitions -------------------------------------------------------------------------


@dataclass
class _Change:
    """Something that completes at ``due`` (time.monotonic()): a status change, a removal."""

    due: float
    apply: Callable[[], None]


def _changes(backend: Any) -> list[_Change]:
    if not hasattr(backend, "ode_changes"):
        backend.ode_changes = []
    return backend.ode_changes


def _after_transition(backend: Any, apply: Callable[[], None]) -> None:
    """Run ``apply`` once the transition time has passed; at once when it is 0."""
    delay = _transition_s()
    if delay <= 0:
        apply()
    else:
        _changes(backend).append(_Change(time.monotonic() + delay, apply))


def _settle(backend: Any, now: float) -> None:
    """Apply the changes of ``backend`` whose time had come at ``now``, oldest first."""
    pending = _changes(backend)
    due = sorted((c for c in pending if c.due <= now), key=lambda c: c.due)
    backend.ode_changes = [c for c in pending if c.due > now]
    for change in due:
        change.apply()


# -- engine version calendars ------------------------------------------------------------


@dataclass(frozen=True)
class EngineRelease:
    """A version of an RDS or ElastiCache engine: offered for new databases and upgrades
    from ``released`` until ``creation_ends`` (None: still offered), then deprecated."""

    engine: str
    version: str
    family: str
    released: datetime
    creation_ends: datetime | None = None

    def status(self, on: datetime) -> str | None:
        """``available`` or ``deprecated`` on day ``on``; None before the release."""
        if on < self.released:
            return None
        return "available" if self.creation_ends is None or on < self.creation_ends else "deprecated"


def _d(text: str) -> datetime:
    return datetime.fromisoformat(text + "T00:00:00+00:00")


def _postgres(version: str, released: str, ends: str | None = None) -> EngineRelease:
    return EngineRelease("postgres", version, "postgres" + version.split(".")[0], _d(released), _d(ends) if ends else None)


#: RDS for PostgreSQL minors (DescribeDBEngineVersions). RDS stopped creating 15.9 to
#: 15.12 on 2026-05-01 (end of standard support 2026-05-31); the other end dates of
#: older minors stand for "long before" and are the emulator's own.
POSTGRES_RELEASES: tuple[EngineRelease, ...] = (
    *(_postgres(f"15.{m}", "2023-09-01", "2025-03-31") for m in range(4, 9)),
    *(_postgres(f"15.{m}", released, "2026-05-01") for m, released in ((9, "2024-11-21"), (10, "2024-12-16"), (11, "2025-02-20"), (12, "2025-03-05"))),
    _postgres("15.13", "2025-05-08"),
    _postgres("15.14", "2025-08-14"),
    _postgres("15.15", "2025-11-13"),
    _postgres("16.9", "2025-05-08"),
    _postgres("16.10", "2025-08-14"),
    _postgres("16.11", "2025-11-13"),
    _postgres("17.5", "2025-05-08"),
    _postgres("17.6", "2025-08-14"),
    _postgres("17.7", "2025-11-13"),
)


def _cache(engine: str, version: str, family: str, released: str) -> EngineRelease:
    return EngineRelease(engine, version, family, _d(released))


#: ElastiCache engine versions (DescribeCacheEngineVersions): Redis OSS and Valkey.
CACHE_RELEASES: tuple[EngineRelease, ...] = (
    _cache("redis", "6.2", "redis6.x", "2021-10-07"),
    _cache("redis", "7.0", "redis7", "2022-11-07"),
    _cache("redis", "7.1", "redis7", "2023-11-27"),
    _cache("valkey", "7.2", "valkey7", "2024-10-08"),
    _cache("valkey", "8.0", "valkey8", "2024-11-21"),
    _cache("valkey", "8.1", "valkey8", "2025-07-01"),
)


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _offered(releases: tuple[EngineRelease, ...], engine: str) -> list[EngineRelease]:
    """The releases of ``engine`` available today, oldest first."""
    return sorted(
        (r for r in releases if r.engine == engine and r.status(_today) == "available"),
        key=lambda r: _parts(r.version),
    )


def _engine_version_to_create(releases: tuple[EngineRelease, ...], engine: str, version: str | None) -> str | None:
    """The version a create or modify gets for the EngineVersion it asked: the asked
    one when available today, the newest of its major for a major alone (AWS's
    default minor of that major), None when AWS would refuse it."""
    offered = _offered(releases, engine)
    if version is None:
        return offered[-1].version if offered else None
    if "." not in version:
        same = [r.version for r in offered if r.version.split(".")[0] == version]
        return same[-1] if same else None
    return version if any(r.version == version for r in offered) else None


def _page(items: list[Any], marker: str | None, max_records: int | None, low: int, high: int) -> tuple[list[Any], str | None]:
    """One page of ``items`` by Marker (the index to start at) and MaxRecords
    (``low`` to ``high``, default ``high``), refusing what AWS refuses."""
    size = high if max_records is None else max_records
    if paging.size():
        low = 1  # the emulator's small pages (tests/support/paging.py)
    if not low <= size <= high:
        raise _invalid_value(f"MaxRecords must be between {low} and {high}.")
    start = 0
    if marker is not None:
        if not marker.isdigit() or int(marker) > len(items):
            raise _invalid_value(f"Invalid marker: {marker}")
        start = int(marker)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


# -- RDS ---------------------------------------------------------------------------------


def _rds_error(code: str, message: str) -> RDSClientError:
    return RDSClientError(code, message)


# -- failures a test asks for (tests/support/failures.py) --------------------------------


def _rds_event(backend: RDSBackend, db: DBInstance, message: str) -> None:
    """An event of ``db`` in RDS's event log, as DescribeEvents lists it."""
    event = RdsEvent.__new__(RdsEvent)
    event.source_identifier = db.db_instance_identifier
    event.source_type = "db-instance"
    event.message = message
    event.event_categories = ["failure"]
    event.source_arn = db.db_instance_arn
    event.date = utcnow()
    backend.events.append(event)


#: ElastiCache's event log (moto: none): dicts in the Event shape, newest last.
_CACHE_EVENTS: list[dict[str, Any]] = []


def forget_events() -> None:
    """Empty ElastiCache's event log (a reset)."""
    _CACHE_EVENTS.clear()


def _rds_engine_version(asked: str | None) -> str:
    """The PostgreSQL version a create or modify gets, or RDS's refusal."""
    version = _engine_version_to_create(POSTGRES_RELEASES, "postgres", asked)
    if version is None:
        raise _rds_error("InvalidParameterCombination", f"Cannot find version {asked} for postgres")
    return version


def _pending_values(db: DBInstance) -> dict[str, Any]:
    """The deferred changes of ``db`` (AWS field name -> value); its own dict, not a
    snapshot's or a restored copy's."""
    if "ode_pending_values" not in vars(db):
        db.ode_pending_values = {}
    return db.ode_pending_values


def _rds_transition(backend: RDSBackend, db: DBInstance, status: str) -> None:
    """``db`` reads ``status`` for the transition time, then ``available`` again."""
    if _transition_s() <= 0:
        return
    db.status = status

    def finish() -> None:
        if db.status == status:
            db.status = "available"

    _after_transition(backend, finish)


def _adopt_performance_insights(db: DBInstance, params: Any) -> None:
    """Keep what a create or modify said about Performance Insights, as AWS reports it."""
    enabled = params.get("EnablePerformanceInsights")
    if enabled is not None:
        db.enable_performance_insights = bool(enabled)
    if not getattr(db, "enable_performance_insights", False):
        db.performance_insights_retention_period = None
        db.performance_insights_kms_key_id = None
        return
    retention = params.get("PerformanceInsightsRetentionPeriod")
    db.performance_insights_retention_period = (
        retention
        or getattr(db, "performance_insights_retention_period", None)
        or PERFORMANCE_INSIGHTS_RETENTION_DAYS
    )
    key = params.get("PerformanceInsightsKMSKeyId")
    if key:
        db.performance_insights_kms_key_id = key
    elif not hasattr(db, "performance_insights_kms_key_id"):
        db.performance_insights_kms_key_id = None


def _db_pending_modified_values(db: DBInstance) -> dict[str, Any]:
    """DBInstance.pending_modified_values, rendered as PendingModifiedValues."""
    return dict(vars(db).get("ode_pending_values") or {})


def _db_performance_insights_enabled(db: DBInstance) -> bool:
    """DBInstance.performance_insights_enabled, rendered as PerformanceInsightsEnabled."""
    return bool(getattr(db, "enable_performance_insights", False))


def _find_db_instance(identifier: str) -> tuple[RDSBackend, DBInstance]:
    """The backend and DB instance with that identifier, in any account and region."""
    for _, _, backend in list(rds_backends.iter_backends()):
        for db in list(backend.databases.values()):
            if db.db_instance_identifier == identifier.lower():
                return backend, db
    raise UnknownResource(f"no DB instance {identifier!r}")


def _check_rds_tag_target(backend: RDSBackend, arn: str | None) -> None:
    """Refuse a tag call on a DB instance, subnet group or parameter group that is not there."""
    match = _RDS_ARN.match(arn or "")
    if match is None:
        return
    kind, name = match.groups()
    collections = {
        "db": (backend.databases, DBInstanceNotFoundError),
        "subgrp": (backend.subnet_groups, DBSubnetGroupNotFoundError),
        "pg": (backend.db_parameter_groups, DBParameterGroupNotFoundError),
    }
    resources, not_found = collections[kind]
    if not any(getattr(r, "arn", None) == arn for r in resources.values()):
        raise not_found(name)


def _refuse_storage_shrink(db: DBInstance, params: Any) -> None:
    """Refuse an AllocatedStorage below the instance's current allocated storage, or below
    one already pending for the maintenance window.

    The RDS user guide ("Increasing DB instance storage capacity"): "You can't reduce the
    amount of storage for a DB instance after storage has been allocated." RDS answers
    a storage size that does not fit the instance with InvalidParameterCombination, as
    for its other storage refusals (the 10 percent minimum increase, IOPS and storage
    combinations). moto applies the smaller size.
    """
    requested = params.get("AllocatedStorage")
    if requested is None:
        return
    pending = _pending_values(db).get("AllocatedStorage")
    floor, which = db.allocated_storage, "current"
    if pending is not None and int(pending) > floor:
        floor, which = int(pending), "pending"
    if int(requested) < floor:
        raise _rds_error(
            "InvalidParameterCombination",
            f"Invalid storage size for DB instance {db.db_instance_identifier}: the allocated storage "
            f"can't be reduced, and {requested} GiB is less than its {which} allocated storage "
            f"of {floor} GiB.",
        )


def _restore_source(backend: RDSBackend, snapshot_id: str | None) -> Any:
    """The DB snapshot a restore names (by identifier or ARN), or None if there is none:
    moto's restore then answers its own not-found error."""
    name = snapshot_id or ""
    try:
        if name.startswith("arn:"):
            name = backend.extract_snapshot_name_from_arn(name)
        return backend.describe_db_snapshots(db_instance_identifier=None, db_snapshot_identifier=name)[0]
    except RDSClientError:
        return None


def _refuse_restore_managed_password(engine: str | None, params: Any) -> None:
    """Refuse ManageMasterUserPassword on a restore of anything but RDS for Oracle.

    botocore's model of RestoreDBInstanceFromDBSnapshot (and the RDS API reference):
    ManageMasterUserPassword "Applies to RDS for Oracle only"; the RDS user guide lists
    restoring from Amazon S3, not from a snapshot, among the calls that can turn on a
    managed password for the other engines: they turn it on with ModifyDBInstance once
    the restored instance is available. AWS refuses an unsupported parameter of a mode
    or engine with InvalidParameterValue ("The parameter ManageMasterUserPassword is not
    valid for engine mode: serverless."). moto creates the secret for any engine.
    """
    if params.get("ManageMasterUserPassword") and engine not in RDS_ORACLE_ENGINES:
        raise _rds_error(
            "InvalidParameterValue",
            f"The parameter ManageMasterUserPassword is not valid for engine: {engine}. "
            "Restore the DB instance, then turn on ManageMasterUserPassword with ModifyDBInstance.",
        )


def apply_rds_maintenance(identifier: str) -> dict[str, Any]:
    """The maintenance window of DB instance ``identifier`` arrives: its pending modified
    values are applied and cleared. Answers the values applied."""
    with _LOCK:
        backend, db = _find_db_instance(identifier)
        _settle(backend, time.monotonic())
        applied = dict(_pending_values(db))
        db.ode_pending_values = {}
        for name, value in applied.items():
            setattr(db, RDS_DEFERRED[name], value)
        return {"db_instance_identifier": db.db_instance_identifier, "applied": applied}


def rds_minor_upgrade(identifier: str, engine_version: str) -> dict[str, Any]:
    """AWS upgrades the engine of DB instance ``identifier`` to ``engine_version`` by
    itself (AutoMinorVersionUpgrade); a pending change to that version is done."""
    if not isinstance(engine_version, str) or not re.fullmatch(r"\d+(\.\d+)*", engine_version):
        raise ValueError(f"engine_version must look like 15.5, not {engine_version!r}")
    with _LOCK:
        backend, db = _find_db_instance(identifier)
        _settle(backend, time.monotonic())
        db.engine_version = engine_version
        pending = _pending_values(db)
        if pending.get("EngineVersion") == engine_version:
            del pending["EngineVersion"]
        return {"db_instance_identifier": db.db_instance_identifier, "engine_version": engine_version}


# moto's own RDS handlers that the replacements build on.
_moto_rds = {
    name: getattr(RDSResponse, name)
    for name in (
        "_dispatch",
        "call_action",
        "create_db_instance",
        "restore_db_instance_from_db_snapshot",
        "modify_db_instance",
        "delete_db_instance",
        "delete_db_subnet_group",
        "delete_db_parameter_group",
        "describe_db_parameters",
        "list_tags_for_resource",
        "add_tags_to_resource",
        "remove_tags_from_resource",
    )
}


class _RdsHandlers:
    """Methods installed on moto's ``RDSResponse``: ``self`` is an RDSResponse."""

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
        """Note when the request arrived: moto's request setup can take a while after a
        reset, which must not count as time passed for the resources."""
        self.ode_arrival = time.monotonic()
        return _moto_rds["_dispatch"](self, request, full_url, headers)

    def call_action(self) -> Any:
        """Apply the transitions due when the request arrived, then run the operation;
        one RDS or ElastiCache request at a time."""
        with _LOCK:
            _settle(self.backend, getattr(self, "ode_arrival", time.monotonic()))
            return _moto_rds["call_action"](self)

    # -- DB instances --

    def create_db_instance(self) -> ActionResult:
        """moto's CreateDBInstance, keeping Performance Insights; ``creating`` until the
        transition time. A PostgreSQL EngineVersion must be one RDS offers today (a
        major alone takes its newest minor), as on AWS (moto: any)."""
        if (self.params.get("Engine") or "") == "postgres":
            self.params["EngineVersion"] = _rds_engine_version(self.params.get("EngineVersion"))
        result = _moto_rds["create_db_instance"](self)
        db = result.result["DBInstance"]
        _adopt_performance_insights(db, self.params)
        failure = failures.take("db", db.db_instance_identifier)
        if failure is not None:
            # ``creating`` for the transition time, then ``failed``, with the reason.
            db.status = "creating"

            def fail() -> None:
                db.status = "failed"
                _rds_event(self.backend, db, failure.message)

            _after_transition(self.backend, fail)
        else:
            _rds_transition(self.backend, db, "creating")
        return result

    def restore_db_instance_from_db_snapshot(self) -> ActionResult:
        """moto's RestoreDBInstanceFromDBSnapshot, ``creating`` until the transition time.

        Mended: the settings of :data:`RDS_RESTORE_FALSY_KEPT` given false or 0 are kept
        (moto keeps the source instance's); ManageMasterUserPassword is refused but for
        RDS for Oracle (:func:`_refuse_restore_managed_password`), before anything is
        created; without it the restored instance has no MasterUserSecret and no secret
        is created (moto copies the source's managed-password flag, so a restore of a
        managed instance's snapshot got a new secret).
        """
        backend = self.backend
        snapshot = _restore_source(backend, self.params.get("DBSnapshotIdentifier"))
        if snapshot is None:
            return _moto_rds["restore_db_instance_from_db_snapshot"](self)
        _refuse_restore_managed_password(self.params.get("Engine") or snapshot.engine, self.params)
        # moto builds the instance from a copy of the attributes of the snapshot's copy
        # of the source instance: that copy's managed-password flag is hidden meanwhile.
        source, flag = vars(snapshot.database), "manage_master_user_password"
        hide = flag in source and not self.params.get("ManageMasterUserPassword")
        saved = source.pop(flag) if hide else None
        try:
            result = _moto_rds["restore_db_instance_from_db_snapshot"](self)
        finally:
            if hide:
                source[flag] = saved
        db = result.result["DBInstance"]
        for name, attribute in RDS_RESTORE_FALSY_KEPT.items():
            if self.params.get(name) is not None:
                setattr(db, attribute, self.params[name])
        _adopt_performance_insights(db, self.params)
        _rds_transition(backend, db, "creating")
        return result

    def modify_db_instance(self) -> ActionResult:
        """ModifyDBInstance: without ApplyImmediately the settings of :data:`RDS_DEFERRED`
        become pending modified values; with it, they and those pending before apply.
        ``modifying`` until the transition time; refused while creating or deleting, and
        refused when it would shrink the storage (:func:`_refuse_storage_shrink`), before
        anything is applied or recorded as pending."""
        backend = self.backend
        db = backend.describe_db_instances(self.params.get("DBInstanceIdentifier"))[0]
        if db.status in ("creating", "deleting"):
            raise _rds_error(
                "InvalidDBInstanceState",
                f"Database instance {db.db_instance_identifier} is {db.status}; it must be available to be modified.",
            )
        _refuse_storage_shrink(db, self.params)
        if db.engine == "postgres" and self.params.get("EngineVersion") is not None:
            self.params["EngineVersion"] = _rds_engine_version(self.params["EngineVersion"])
        pending = _pending_values(db)
        deferred: dict[str, Any] = {}
        if self.params.get("ApplyImmediately"):
            for name, value in pending.items():
                if name not in self.params:
                    self.params[name] = value
            pending.clear()
        else:
            for name in RDS_DEFERRED:
                if name in self.params:
                    deferred[name] = self.params.pop(name)
        result = _moto_rds["modify_db_instance"](self)
        for name, value in deferred.items():
            if value == getattr(db, RDS_DEFERRED[name]):
                pending.pop(name, None)
            else:
                pending[name] = value
        _adopt_performance_insights(db, self.params)
        _rds_transition(backend, db, "modifying")
        return result

    def describe_db_engine_versions(self) -> ActionResult:
        """DescribeDBEngineVersions (moto: not implemented) from :data:`POSTGRES_RELEASES`
        on the emulator's today: filtered by Engine, EngineVersion (a major alone
        matches its minors), DBParameterGroupFamily, the ``engine``, ``engine-version``,
        ``db-parameter-group-family`` and ``status`` filters and DefaultOnly (the newest
        per major); deprecated versions only with IncludeAll; paged by MaxRecords (20 to
        100) and Marker."""
        params = self.params
        engine, version = params.get("Engine"), params.get("EngineVersion")
        family = params.get("DBParameterGroupFamily")
        include_all = str(params.get("IncludeAll", "false")).lower() == "true"
        filters = {f["Name"]: f.get("Values", []) for f in params.get("Filters", []) or []}
        unknown = set(filters) - {"engine", "engine-version", "db-parameter-group-family", "status", "engine-mode"}
        if unknown:
            raise _invalid_value(f"Unrecognized filter name: {sorted(unknown)[0]}")
        chosen = []
        for r in sorted(POSTGRES_RELEASES, key=lambda r: (r.engine, _parts(r.version))):
            status = r.status(_today)
            if status is None or (status == "deprecated" and not include_all and "status" not in filters):
                continue
            if engine not in (None, r.engine) or family not in (None, r.family):
                continue
            if version is not None and r.version != version and r.version.split(".")[0] != version:
                continue
            if any(
                values and value not in values
                for value, values in (
                    (r.engine, filters.get("engine")),
                    (r.version, filters.get("engine-version")),
                    (r.family, filters.get("db-parameter-group-family")),
                    (status, filters.get("status")),
                )
            ):
                continue
            chosen.append((r, status))
        if str(params.get("DefaultOnly", "false")).lower() == "true":
            newest: dict[str, tuple[EngineRelease, str]] = {}
            for r, status in chosen:
                newest[r.family] = (r, status)
            chosen = list(newest.values())
        max_records = self._get_param("MaxRecords")
        page, marker = _page(chosen, params.get("Marker"), int(max_records) if max_records else None, 20, 100)
        return ActionResult(
            {
                "DBEngineVersions": [
                    {
                        "Engine": r.engine,
                        "EngineVersion": r.version,
                        "DBParameterGroupFamily": r.family,
                        "DBEngineDescription": "PostgreSQL",
                        "DBEngineVersionDescription": f"PostgreSQL {r.version}-R1",
                        "Status": status,
                    }
                    for r, status in page
                ],
                **({"Marker": marker} if marker else {}),
            }
        )

    def delete_db_instance(self) -> ActionResult:
        """DeleteDBInstance: needs FinalDBSnapshotIdentifier or SkipFinalSnapshot, as on
        AWS; ``deleting`` until the transition time, then gone (moto: gone at once)."""
        backend = self.backend
        db = backend.describe_db_instances(self.params.get("DBInstanceIdentifier"))[0]
        if db.status == "deleting":
            raise _rds_error(
                "InvalidDBInstanceState", f"Instance {db.db_instance_identifier} is already being deleted."
            )
        if not self.params.get("SkipFinalSnapshot") and not self.params.get("FinalDBSnapshotIdentifier"):
            raise _rds_error(
                "InvalidParameterCombination",
                "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
            )
        key = next(k for k, v in backend.databases.items() if v is db)
        result = _moto_rds["delete_db_instance"](self)
        if _transition_s() > 0:
            # moto has taken it out of its table: it stays there, deleting, for a while.
            backend.databases[key] = db

            def remove() -> None:
                if backend.databases.get(key) is db:
                    del backend.databases[key]

            _after_transition(backend, remove)
        return result

    # -- subnet and parameter groups --

    def modify_db_subnet_group(self) -> ActionResult:
        """ModifyDBSubnetGroup: new subnets and description (moto loses the group)."""
        group = self.backend.describe_db_subnet_groups(self.params.get("DBSubnetGroupName"))[0]
        ec2 = ec2_backends[self.current_account][self.region]
        subnets = [ec2.get_subnet(subnet_id) for subnet_id in self.params.get("SubnetIds") or []]
        if subnets:
            group.subnets = subnets
            group.vpc_id = subnets[0].vpc_id
        description = self.params.get("DBSubnetGroupDescription")
        if description is not None:
            group.description = description
        return ActionResult({"DBSubnetGroup": group})

    def delete_db_subnet_group(self) -> ActionResult:
        """DeleteDBSubnetGroup, refused while a DB instance uses the group (moto: deleted)."""
        name = str(self.params.get("DBSubnetGroupName") or "")
        for db in self.backend.databases.values():
            if (getattr(db, "_db_subnet_group_name", None) or "").lower() == name.lower():
                raise _rds_error(
                    "InvalidDBSubnetGroupStateFault",
                    f"Cannot delete the subnet group '{name}' because at least one database instance: "
                    f"{db.db_instance_identifier} is still using it.",
                )
        return _moto_rds["delete_db_subnet_group"](self)

    def delete_db_parameter_group(self) -> ActionResult:
        """DeleteDBParameterGroup, refused while a DB instance uses the group (moto: deleted)."""
        name = str(self.params.get("DBParameterGroupName") or "")
        if any(db.db_parameter_group_name == name for db in self.backend.databases.values()):
            raise _rds_error(
                "InvalidDBParameterGroupState",
                f"One or more database instances are still members of this parameter group {name}, "
                "so the group cannot be deleted",
            )
        return _moto_rds["delete_db_parameter_group"](self)

    def describe_db_parameters(self) -> ActionResult:
        """DescribeDBParameters with each parameter's Source; moto knows only the
        parameters set by the user, so another Source answers none. Paged by
        MaxRecords (20 to 100) and Marker (moto: one page)."""
        result = _moto_rds["describe_db_parameters"](self)
        source = self.params.get("Source")
        parameters = [{"Source": "user", **p} for p in result.result["Parameters"]]
        if source not in (None, "user"):
            parameters = []
        max_records = self._get_param("MaxRecords")
        page, marker = _page(parameters, self.params.get("Marker"), int(max_records) if max_records else None, 20, 100)
        return ActionResult({"Parameters": page, **({"Marker": marker} if marker else {})})

    # -- tags --

    def list_tags_for_resource(self) -> ActionResult:
        """ListTagsForResource; a missing instance or group is its NotFound error."""
        _check_rds_tag_target(self.backend, self.params.get("ResourceName"))
        return _moto_rds["list_tags_for_resource"](self)

    def add_tags_to_resource(self) -> ActionResult:
        """AddTagsToResource; a missing instance or group is its NotFound error."""
        _check_rds_tag_target(self.backend, self.params.get("ResourceName"))
        return _moto_rds["add_tags_to_resource"](self)

    def remove_tags_from_resource(self) -> ActionResult:
        """RemoveTagsFromResource; a missing instance or group is its NotFound error."""
        _check_rds_tag_target(self.backend, self.params.get("ResourceName"))
        return _moto_rds["remove_tags_from_resource"](self)


# -- ElastiCache -------------------------------------------------------------------------


@dataclass
class CacheParameterGroup:
    """A cache parameter group, rendered by moto with the ``CacheParameterGroup`` shape."""

    cache_parameter_group_name: str
    cache_parameter_group_family: str
    description: str
    arn: str
    is_global: bool = False
    # Parameter name -> value, as the user set them.
    values: dict[str, str] = field(default_factory=dict)


def _cache_engine_version(engine: str, asked: str | None) -> str:
    """The version a replication group gets for the EngineVersion it asked (a major
    alone: its newest minor), or ElastiCache's refusal."""
    if engine not in ("redis", "valkey"):
        raise _invalid_value(f"Invalid engine: {engine}")
    version = _engine_version_to_create(CACHE_RELEASES, engine, asked)
    if version is None:
        raise _invalid_value(f"Specified engine version {asked} is not supported for engine {engine}.")
    return version


def _cache_error(code: str, message: str) -> ElastiCacheException:
    return ElastiCacheException(code, message)


def _invalid_value(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


def _invalid_combination(message: str) -> InvalidParameterCombinationException:
    return InvalidParameterCombinationException(message)


def _parameter_group_not_found(name: str) -> ElastiCacheException:
    return _cache_error("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")


def _replication_group(backend: ElastiCacheBackend, group_id: str | None) -> ReplicationGroup:
    group = backend.replication_groups.get(group_id or "")
    if group is None:
        raise ReplicationGroupNotFound(str(group_id))
    return group


def _require_available(group: ReplicationGroup) -> None:
    if group.status != "available":
        raise _cache_error(
            "InvalidReplicationGroupState",
            f"Replication group {group.replication_group_id} has status {group.status}; "
            "it must be available for this operation.",
        )


def _parameter_groups(backend: ElastiCacheBackend) -> dict[str, CacheParameterGroup]:
    if not hasattr(backend, "ode_parameter_groups"):
        backend.ode_parameter_groups = {}
    return backend.ode_parameter_groups


def _default_family(name: str) -> str:
    """The family of a ``default.*`` parameter group: default.redis7.cluster.on -> redis7."""
    return name.removeprefix("default.").removesuffix(".cluster.on")


def _parameter_group(backend: ElastiCacheBackend, name: str | None) -> CacheParameterGroup:
    """A user's parameter group, or the ``default.*`` one of that name (not stored)."""
    name = name or ""
    group = _parameter_groups(backend).get(name)
    if group is not None:
        return group
    if name.startswith("default.") and _default_family(name) in CACHE_PARAMETER_FAMILIES:
        return CacheParameterGroup(
            cache_parameter_group_name=name,
            cache_parameter_group_family=_default_family(name),
            description=f"Default parameter group for {_default_family(name)}",
            arn=_parameter_group_arn(backend, name),
        )
    raise _parameter_group_not_found(name)


def _user_parameter_group(backend: ElastiCacheBackend, name: str | None) -> CacheParameterGroup:
    """A parameter group the user may change: not a ``default.*`` one."""
    group = _parameter_group(backend, name)
    if group.cache_parameter_group_name not in _parameter_groups(backend):
        raise _cache_error(
            "InvalidCacheParameterGroupState",
            f"The default parameter group {group.cache_parameter_group_name} cannot be modified or deleted.",
        )
    return group


def _parameter_group_arn(backend: ElastiCacheBackend, name: str) -> str:
    return f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"


def _default_parameter_group_name(engine: str, version: str) -> str:
    major = version.split(".")[0]
    if engine == "valkey":
        return f"default.valkey{major}"
    if major == "6":
        return "default.redis6.x"
    if int(major or 0) >= 7:
        return f"default.redis{major}"
    return "default.redis" + ".".join(version.split(".")[:2])


def _check_auth_token(token: str, transit_encryption: bool) -> None:
    if not transit_encryption:
        raise _invalid_value(_AUTH_NEEDS_TRANSIT)
    if not _AUTH_TOKEN.fullmatch(token):
        raise _invalid_value(
            "Invalid AuthToken: it must be 16 to 128 characters long, of letters, digits and !&#$^<>-."
        )


def _new_auth_tokens(
    current: list[str], token: str | None, strategy: str | None, transit_encryption: bool
) -> list[str] | None:
    """The active tokens after a ModifyReplicationGroup (None: unchanged)."""
    if token is None and strategy is None:
        return None
    strategy = strategy or "ROTATE"
    if strategy not in _AUTH_STRATEGIES:
        raise _invalid_value(
            f"Invalid AuthTokenUpdateStrategy {strategy!r}: expected one of {_AUTH_STRATEGIES}."
        )
    if strategy == "DELETE":
        if token is not None:
            raise _invalid_combination("AuthToken cannot be given with AuthTokenUpdateStrategy DELETE.")
        return []
    if token is None:
        raise _invalid_combination(f"AuthToken is required with AuthTokenUpdateStrategy {strategy}.")
    _check_auth_token(token, transit_encryption)
    if strategy == "SET":
        return [token]
    # ROTATE: the newest token in use stays valid beside the new one.
    return [t for t in current[-1:] if t != token] + [token]


def _auth_tokens(group: ReplicationGroup) -> list[str]:
    return list(getattr(group, "ode_auth_tokens", []))


def _find_replication_group(group_id: str) -> tuple[ElastiCacheBackend, ReplicationGroup]:
    for _, _, backend in list(elasticache_backends.iter_backends()):
        group = backend.replication_groups.get(group_id)
        if group is not None:
            return backend, group
    raise UnknownResource(f"no replication group {group_id!r}")


def redis_auth_token_hashes(replication_group_id: str) -> list[str]:
    """The hex SHA-256 of each AUTH token replication group ``replication_group_id``
    accepts, oldest first (the tokens themselves never leave the emulator)."""
    with _LOCK:
        backend, group = _find_replication_group(replication_group_id)
        _settle(backend, time.monotonic())
        return [hashlib.sha256(t.encode()).hexdigest() for t in _auth_tokens(group)]


def _set_cache_status(backend: ElastiCacheBackend, group: ReplicationGroup, status: str) -> None:
    """The status of a replication group, its node groups and member clusters."""
    group.status = status
    for node_group in group.node_groups:
        node_group["status"] = status
    for cluster_id in group.member_clusters:
        cluster = backend.cache_clusters.get(cluster_id)
        if cluster is not None:
            cluster.cache_cluster_status = cluster.status = status


def _cache_transition(
    backend: ElastiCacheBackend,
    group: ReplicationGroup,
    status: str,
    pending: dict[str, Any] | None = None,
) -> None:
    """``group`` reads ``status`` (and ``pending`` as PendingModifiedValues) for the
    transition time, then ``available``."""
    if _transition_s() <= 0:
        return
    _set_cache_status(backend, group, status)
    group.pending_modified_values = dict(pending or {})

    def finish() -> None:
        if group.status == status:
            _set_cache_status(backend, group, "available")
            group.pending_modified_values = {}

    _after_transition(backend, finish)


def _subnet_zone_names(subnet_group: CacheSubnetGroup) -> None:
    """Give each subnet's SubnetAvailabilityZone its Name, as AWS renders it (moto keeps
    a bare string, rendered empty, or the zone under a misspelt key)."""
    for subnet in subnet_group.subnets:
        misspelt = subnet.pop("Subnet_availability_zone", None)
        if misspelt is not None:
            subnet["subnet_availability_zone"] = misspelt
        zone = subnet.get("subnet_availability_zone")
        if isinstance(zone, str):
            subnet["subnet_availability_zone"] = {"Name": zone}


def _zones(backend: ElastiCacheBackend, group: ReplicationGroup) -> list[str]:
    """The availability zones of the group's subnet group (the region's a, b, c without one)."""
    zones: list[str] = []
    subnet_group = backend.cache_subnet_groups.get(group.cache_subnet_group_name or "")
    for subnet in subnet_group.subnets if subnet_group else []:
        zone = subnet.get("subnet_availability_zone") or subnet.get("Subnet_availability_zone")
        name = zone.get("Name") if isinstance(zone, dict) else zone
        if name and name not in zones:
            zones.append(name)
    return sorted(zones) or [f"{backend.region_name}{letter}" for letter in "abc"]


def _least_used_zone(backend: ElastiCacheBackend, group: ReplicationGroup) -> str:
    zones = _zones(backend, group)
    used = Counter(m.get("preferred_availability_zone") for m in group.node_groups[0]["node_group_members"])
    return min(zones, key=lambda zone: (used[zone], zones.index(zone)))


def _member_cluster(
    backend: ElastiCacheBackend, group: ReplicationGroup, cluster_id: str, zone: str
) -> CacheCluster:
    """A member cache cluster of ``group``, as DescribeCacheClusters shows it."""
    cluster = CacheCluster(
        account_id=backend.account_id,
        region_name=backend.region_name,
        cache_cluster_id=cluster_id,
        cache_node_type=group.cache_node_type,
        replication_group_id=group.replication_group_id,
        az_mode="single-az",
        preferred_availability_zone=zone,
        num_cache_nodes=1,
        engine=group.engine,
        engine_version=group.engine_version,
        cache_parameter_group_name=group.cache_parameter_group_name,
        cache_subnet_group_name=group.cache_subnet_group_name,
        transit_encryption_enabled=group.transit_encryption_enabled,
        network_type=group.network_type,
        ip_discovery=group.ip_discovery,
        snapshot_name=None,
        preferred_maintenance_window=group.preferred_maintenance_window,
        port=group.port,
        notification_topic_arn=group.notification_topic_arn,
        auto_minor_version_upgrade=group.auto_minor_version_upgrade,
        snapshot_retention_limit=group.snapshot_retention_limit,
        snapshot_window=group.snapshot_window,
        auth_token=None,
        outpost_mode=None,
        preferred_outpost_arn=None,
        preferred_availability_zones=None,
        cache_security_group_names=None,
        security_group_ids=None,
        tags=None,
        snapshot_arns=None,
        preferred_outpost_arns=None,
        log_delivery_configurations=[],
        cache_node_ids_to_remove=None,
        cache_node_ids_to_reboot=None,
    )
    # moto sets these only for some engines.
    cluster.replication_group_id = group.replication_group_id
    cluster.num_cache_nodes = 1
    _sync_member(group, cluster)
    return cluster


def _sync_member(group: ReplicationGroup, cluster: CacheCluster) -> None:
    """A member cluster takes the group's settings that DescribeCacheClusters shows."""
    cluster.engine = group.engine
    cluster.cache_node_type = group.cache_node_type
    cluster.engine_version = group.engine_version
    cluster.cache_parameter_group_name = group.cache_parameter_group_name
    cluster.security_group_ids = list(group.security_group_ids or [])
    cluster.preferred_maintenance_window = group.preferred_maintenance_window
    cluster.snapshot_window = group.snapshot_window
    cluster.snapshot_retention_limit = group.snapshot_retention_limit
    cluster.auto_minor_version_upgrade = group.auto_minor_version_upgrade
    cluster.auth_token_enabled = group.auth_token_enabled
    cluster.auth_token_last_modified_date = group.auth_token_last_modified_date
    cluster.transit_encryption_enabled = group.transit_encryption_enabled
    cluster.transit_encryption_mode = group.transit_encryption_mode
    cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled


def _sync_members(backend: ElastiCacheBackend, group: ReplicationGroup) -> None:
    for cluster_id in group.member_clusters:
        cluster = backend.cache_clusters.get(cluster_id)
        if cluster is not None:
            _sync_member(group, cluster)


def _add_member(backend: ElastiCacheBackend, group: ReplicationGroup, zone: str | None = None) -> str:
    """A new member cluster of a cluster-mode-disabled group: the primary if it is the
    first, else a replica, numbered after the highest member."""
    node_group = group.node_groups[0]
    members = node_group["node_group_members"]
    numbers = [int(m["cache_cluster_id"].rsplit("-", 1)[1]) for m in members]
    cluster_id = f"{group.replication_group_id}-{max(numbers, default=0) + 1:03d}"
    zone = zone or _least_used_zone(backend, group)
    domain = node_group["primary_endpoint_address"].split(".", 1)[1]
    members.append(
        {
            "cache_cluster_id": cluster_id,
            "cache_node_id": "0001",
            "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": group.port},
            "preferred_availability_zone": zone,
            "current_role": "replica" if members else "primary",
        }
    )
    group.member_clusters.append(cluster_id)
    backend.cache_clusters[cluster_id] = _member_cluster(backend, group, cluster_id, zone)
    return cluster_id


def _remove_member(backend: ElastiCacheBackend, group: ReplicationGroup, cluster_id: str) -> None:
    node_group = group.node_groups[0]
    node_group["node_group_members"] = [
        m for m in node_group["node_group_members"] if m["cache_cluster_id"] != cluster_id
    ]
    group.member_clusters = [c for c in group.member_clusters if c != cluster_id]
    cluster = backend.cache_clusters.pop(cluster_id, None)
    if cluster is not None:
        backend.tagging_service.delete_all_tags_for_resource(cluster.arn)


def _replicas(group: ReplicationGroup) -> list[str]:
    return [
        m["cache_cluster_id"]
        for m in group.node_groups[0]["node_group_members"]
        if m["current_role"] == "replica"
    ]


def _update_snapshotting_cluster(group: ReplicationGroup) -> None:
    """AWS snapshots from a replica when there is one, and only with a retention limit."""
    if not group.snapshot_retention_limit or not group.member_clusters:
        group.snapshotting_cluster_id = None
    elif group.snapshotting_cluster_id not in group.member_clusters:
        group.snapshotting_cluster_id = (group.member_clusters[1:] or group.member_clusters)[0]


def _is_single_shard(group: ReplicationGroup) -> bool:
    return group.cluster_mode != "enabled" and len(group.node_groups) == 1


def _check_cache_tag_target(backend: ElastiCacheBackend, arn: str | None) -> str | None:
    """Refuse a tag call on a replication group, cluster, subnet group or parameter group
    that is not there; answers the kind of resource the ARN names."""
    match = _CACHE_ARN.match(arn or "")
    if match is None:
        return None
    kind, name = match.groups()
    if kind == "replicationgroup" and name not in backend.replication_groups:
        raise ReplicationGroupNotFound(name)
    if kind == "cluster" and name not in backend.cache_clusters:
        raise CacheClusterNotFound(name)
    if kind == "subnetgroup" and name not in backend.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(name)
    if kind == "parametergroup" and name not in _parameter_groups(backend):
        raise _parameter_group_not_found(name)
    return kind


def _cache_parameters(group: CacheParameterGroup, source: str | None) -> list[dict[str, Any]]:
    """The Parameters of DescribeCacheParameters: engine defaults and the user's values."""
    family = group.cache_parameter_group_family
    defaults = REDIS_PARAMETER_DEFAULTS if family.startswith(("redis", "valkey")) else {}
    parameters = []
    for name in sorted(set(defaults) | set(group.values)):
        default = defaults.get(name, ParameterDefault("", "string", ""))
        from_user = name in group.values
        parameter_source = "user" if from_user else "system"
        if source not in (None, parameter_source) and not (source == "engine-default" and not from_user):
            continue
        parameters.append(
            {
                "ParameterName": name,
                "ParameterValue": group.values[name] if from_user else default.value,
                "Description": f"{name} ({family})",
                "Source": parameter_source,
                "DataType": default.data_type,
                "AllowedValues": default.allowed_values,
                "IsModifiable": True,
                "MinimumEngineVersion": "2.8.6",
                "ChangeType": default.change_type,
            }
        )
    return parameters


def _cache_parameter_group_property(cluster: CacheCluster) -> dict[str, Any] | None:
    """CacheCluster.cache_parameter_group, rendered as CacheParameterGroup (moto: absent)."""
    name = getattr(cluster, "cache_parameter_group_name", None)
    if not name:
        return None
    return {"CacheParameterGroupName": name, "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []}


def _security_groups_property(cluster: CacheCluster) -> list[dict[str, str]]:
    """CacheCluster.security_groups, rendered as SecurityGroups (moto: absent)."""
    return [
        {"SecurityGroupId": g, "Status": "active"} for g in getattr(cluster, "security_group_ids", None) or []
    ]


# moto's own ElastiCache handlers that the replacements build on.
_moto_cache = {
    name: getattr(ElastiCacheResponse, name)
    for name in (
        "_dispatch",
        "call_action",
        "create_replication_group",
        "create_cache_subnet_group",
        "list_tags_for_resource",
        "add_tags_to_resource",
        "remove_tags_from_resource",
    )
}


class _CacheHandlers:
    """Methods installed on moto's ``ElastiCacheResponse``: ``self`` is an ElastiCacheResponse."""

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
        """Note when the request arrived (see ``_RdsHandlers._dispatch``)."""
        self.ode_arrival = time.monotonic()
        return _moto_cache["_dispatch"](self, request, full_url, headers)

    def call_action(self) -> Any:
        """Apply the transitions due when the request arrived, then run the operation."""
        with _LOCK:
            _settle(self.elasticache_backend, getattr(self, "ode_arrival", time.monotonic()))
            return _moto_cache["call_action"](self)

    # -- replication groups --

    def create_replication_group(self) -> ActionResult:
        """moto's CreateReplicationGroup, plus: an AuthToken only with transit encryption,
        NumCacheClusters members with their clusters, defaults as AWS has them, and
        ``creating`` until the transition time."""
        backend = self.elasticache_backend
        token = self._get_param("AuthToken")
        transit = bool(self._get_bool_param("TransitEncryptionEnabled"))
        if token is not None:
            _check_auth_token(token, transit)
        engine = (self._get_param("Engine") or "redis").lower()
        version = _cache_engine_version(engine, self._get_param("EngineVersion"))
        subnet_group = self._get_param("CacheSubnetGroupName")
        if subnet_group and subnet_group not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(subnet_group)
        parameter_group = self._get_param("CacheParameterGroupName")
        if parameter_group:
            _parameter_group(backend, parameter_group)
        clusters = self._get_int_param("NumCacheClusters")
        replicas = self._get_int_param("ReplicasPerNodeGroup")
        count = clusters if clusters is not None else (replicas + 1 if replicas is not None else 1)
        if not 1 <= count <= 6:
            raise _invalid_value(f"A replication group has 1 to 6 cache clusters, not {count}.")

        result = _moto_cache["create_replication_group"](self)
        group = result.result["ReplicationGroup"]
        group.ode_auth_tokens = [token] if token else []
        group.pending_modified_values = {}
        group.engine, group.engine_version = engine, version
        group.cache_parameter_group_name = parameter_group or _default_parameter_group_name(
            group.engine, group.engine_version
        )
        group.preferred_maintenance_window = (
            group.preferred_maintenance_window or DEFAULT_CACHE_MAINTENANCE_WINDOW
        ).lower()
        group.security_group_ids = list(group.security_group_ids or [])
        if group.snapshot_window == "05:00-6:00":  # moto's default, not a valid window
            group.snapshot_window = "05:00-06:00"
        if group.auto_minor_version_upgrade is None:
            group.auto_minor_version_upgrade = True
        if group.transit_encryption_enabled and not group.transit_encryption_mode:
            group.transit_encryption_mode = "required"
        if _is_single_shard(group):
            node_group = group.node_groups[0]
            node_group["node_group_members"] = []
            node_group["reader_endpoint"] = {
                "address": node_group["reader_endpoint_address"],
                "port": group.port,
            }
            group.member_clusters = []
            zones = self._get_param("PreferredCacheClusterAZs") or []
            for index in range(count):
                _add_member(backend, group, zones[index % len(zones)] if zones else None)
            group.snapshotting_cluster_id = None
            _update_snapshotting_cluster(group)
        failure = failures.take("replication-group", group.replication_group_id)
        if failure is not None:
            _set_cache_status(backend, group, "creating")

            def fail() -> None:
                _set_cache_status(backend, group, "create-failed")
                _CACHE_EVENTS.append(
                    {
                        "SourceIdentifier": group.replication_group_id,
                        "SourceType": "replication-group",
                        "Message": failure.message,
                        "Date": utcnow(),
                    }
                )

            _after_transition(backend, fail)
        else:
            _cache_transition(backend, group, "creating")
        return result

    def modify_replication_group(self) -> ActionResult:
        """ModifyReplicationGroup (moto: five settings, no tokens): everything applies at
        once, whatever ApplyImmediately says; ``modifying`` until the transition time,
        with the AuthTokenStatus of a token change pending meanwhile."""
        backend = self.elasticache_backend
        group = _replication_group(backend, self._get_param("ReplicationGroupId"))
        _require_available(group)
        parameter_group = self._get_param("CacheParameterGroupName")
        if parameter_group is not None:
            _parameter_group(backend, parameter_group)
        engine = (self._get_param("Engine") or group.engine).lower()
        if engine != group.engine and not (group.engine, engine) == ("redis", "valkey"):
            raise _invalid_combination(f"Cannot change the engine from {group.engine} to {engine}.")
        version = self._get_param("EngineVersion")
        if version is not None or engine != group.engine:
            version = _cache_engine_version(engine, version)
            if engine == group.engine and _parts(version) < _parts(group.engine_version):
                raise _invalid_value(
                    f"Cannot downgrade the engine of {group.replication_group_id} from {group.engine_version} to {version}."
                )
            group.engine, group.engine_version = engine, version
        transit = self._get_bool_param("TransitEncryptionEnabled")
        transit_after = group.transit_encryption_enabled if transit is None else transit
        strategy = self._get_param("AuthTokenUpdateStrategy")
        tokens = _new_auth_tokens(_auth_tokens(group), self._get_param("AuthToken"), strategy, transit_after)

        for name, attribute in (
            ("ReplicationGroupDescription", "description"),
            ("CacheNodeType", "cache_node_type"),
            ("SnapshotWindow", "snapshot_window"),
            ("CacheParameterGroupName", "cache_parameter_group_name"),
            ("NotificationTopicArn", "notification_topic_arn"),
            ("TransitEncryptionMode", "transit_encryption_mode"),
            ("IpDiscovery", "ip_discovery"),
        ):
            value = self._get_param(name)
            if value is not None:
                setattr(group, attribute, value)
        window = self._get_param("PreferredMaintenanceWindow")
        if window is not None:
            group.preferred_maintenance_window = window.lower()
        retention = self._get_int_param("SnapshotRetentionLimit")
        if retention is not None:
            group.snapshot_retention_limit = retention
            _update_snapshotting_cluster(group)
        for name, attribute in (
            ("AutomaticFailoverEnabled", "automatic_failover"),
            ("MultiAZEnabled", "multi_az"),
        ):
            flag = self._get_bool_param(name)
            if flag is not None:
                setattr(group, attribute, "enabled" if flag else "disabled")
        upgrade = self._get_bool_param("AutoMinorVersionUpgrade")
        if upgrade is not None:
            group.auto_minor_version_upgrade = upgrade
        if transit is not None:
            group.transit_encryption_enabled = transit
            if transit and not group.transit_encryption_mode:
                group.transit_encryption_mode = "required"
        security_groups = self._get_param("SecurityGroupIds")
        if security_groups is not None:
            group.security_group_ids = list(security_groups)
        pending: dict[str, Any] = {}
        if tokens is not None:
            group.ode_auth_tokens = tokens
            group.auth_token_enabled = bool(tokens)
            group.auth_token_last_modified_date = utcnow()
            pending["AuthTokenStatus"] = "ROTATING" if (strategy or "ROTATE") == "ROTATE" else "SETTING"
        _sync_members(backend, group)
        _cache_transition(backend, group, "modifying", pending)
        return ActionResult({"ReplicationGroup": group})

    def increase_replica_count(self) -> ActionResult:
        """IncreaseReplicaCount (moto: not implemented) of a cluster-mode-disabled group:
        NewReplicaCount replicas (at most 5) with ApplyImmediately."""
        backend = self.elasticache_backend
        group = _replication_group(backend, self._get_param("ReplicationGroupId"))
        _require_replica_change(self, group)
        count = self._get_int_param("NewReplicaCount")
        current = len(_replicas(group))
        if count is None or not current < count <= 5:
            raise _invalid_value(
                f"NewReplicaCount must be more than the current {current} replicas and at most 5, not {count}."
            )
        for _ in range(count - current):
            _add_member(backend, group)
        _update_snapshotting_cluster(group)
        _cache_transition(backend, group, "modifying")
        return ActionResult({"ReplicationGroup": group})

    def decrease_replica_count(self) -> ActionResult:
        """DecreaseReplicaCount (moto: not implemented) of a cluster-mode-disabled group:
        down to NewReplicaCount (the newest replicas go) or without ReplicasToRemove; at
        least one replica stays while automatic failover is enabled."""
        backend = self.elasticache_backend
        group = _replication_group(backend, self._get_param("ReplicationGroupId"))
        _require_replica_change(self, group)
        replicas = _replicas(group)
        chosen = self._get_param("ReplicasToRemove") or []
        count = self._get_int_param("NewReplicaCount")
        if chosen:
            strangers = [c for c in chosen if c not in replicas]
            if strangers:
                raise _invalid_value(
                    f"{', '.join(strangers)} are not replicas of replication group {group.replication_group_id}."
                )
            if count is not None and count != len(replicas) - len(set(chosen)):
                raise _invalid_combination("NewReplicaCount does not match the ReplicasToRemove given.")
        elif count is None or not 0 <= count < len(replicas):
            raise _invalid_value(
                f"NewReplicaCount must be less than the current {len(replicas)} replicas and at least 0, not {count}."
            )
        else:
            chosen = replicas[count:]
        if group.automatic_failover == "enabled" and len(replicas) - len(set(chosen)) < 1:
            raise _invalid_combination(
                "A replication group with automatic failover enabled needs at least one replica."
            )
        for cluster_id in set(chosen):
            _remove_member(backend, group, cluster_id)
        if group.snapshotting_cluster_id in chosen:
            group.snapshotting_cluster_id = None
        _update_snapshotting_cluster(group)
        _cache_transition(backend, group, "modifying")
        return ActionResult({"ReplicationGroup": group})

    def delete_replication_group(self) -> ActionResult:
        """DeleteReplicationGroup: a final snapshot first if asked, ``deleting`` until the
        transition time, then gone with its member clusters and tags (moto: deleting for
        ever)."""
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        group = _replication_group(backend, group_id)
        if group.status == "deleting":
            raise _cache_error(
                "InvalidReplicationGroupState",
                f"Replication group {group_id} has status deleting which is not valid for deletion.",
            )
        final_snapshot = self._get_param("FinalSnapshotIdentifier")
        if final_snapshot:
            backend.create_snapshot(
                snapshot_name=final_snapshot,
                replication_group_id=group_id,
                cache_cluster_id=None,
                kms_key_id=None,
                tags=None,
            )
        _set_cache_status(backend, group, "deleting")

        def remove() -> None:
            if backend.replication_groups.get(group_id) is group:
                del backend.replication_groups[group_id]
                for cluster_id in list(group.member_clusters):
                    cluster = backend.cache_clusters.get(cluster_id)
                    if cluster is not None and cluster.replication_group_id == group_id:
                        _remove_member(backend, group, cluster_id)
                backend.tagging_service.delete_all_tags_for_resource(group.arn)

        _after_transition(backend, remove)
        return ActionResult({"ReplicationGroup": group})

    # -- subnet groups --

    def describe_events(self) -> ActionResult:
        """DescribeEvents (moto: not implemented) from the events the emulator records,
        newest first, filtered by SourceIdentifier and SourceType; paged by
        MaxRecords (20 to 100) and Marker."""
        source, kind = self._get_param("SourceIdentifier"), self._get_param("SourceType")
        if source is not None and kind is None:
            raise _invalid_combination("Cannot specify source identifier without source type")
        events = [
            e
            for e in reversed(_CACHE_EVENTS)
            if source in (None, e["SourceIdentifier"]) and kind in (None, e["SourceType"])
        ]
        page, marker = _page(events, self._get_param("Marker"), self._get_int_param("MaxRecords"), 20, 100)
        return ActionResult({"Events": page, **({"Marker": marker} if marker else {})})

    def describe_cache_engine_versions(self) -> ActionResult:
        """DescribeCacheEngineVersions (moto: not implemented) from :data:`CACHE_RELEASES`
        on the emulator's today: filtered by Engine, EngineVersion,
        CacheParameterGroupFamily and DefaultOnly (the newest per family); paged by
        MaxRecords (20 to 100) and Marker."""
        engine = self._get_param("Engine")
        version = self._get_param("EngineVersion")
        family = self._get_param("CacheParameterGroupFamily")
        if family is not None and family not in CACHE_PARAMETER_FAMILIES:
            raise _invalid_value(f"Invalid parameter group family: {family}")
        chosen = [
            r
            for r in sorted(CACHE_RELEASES, key=lambda r: (r.engine, _parts(r.version)))
            if r.status(_today) == "available"
            and engine in (None, r.engine)
            and version in (None, r.version)
            and family in (None, r.family)
        ]
        if self._get_bool_param("DefaultOnly"):
            newest = {r.family: r for r in chosen}
            chosen = list(newest.values())
        page, marker = _page(chosen, self._get_param("Marker"), self._get_int_param("MaxRecords"), 20, 100)
        return ActionResult(
            {
                "CacheEngineVersions": [
                    {
                        "Engine": r.engine,
                        "EngineVersion": r.version,
                        "CacheParameterGroupFamily": r.family,
                        "CacheEngineDescription": "Redis OSS" if r.engine == "redis" else "Valkey",
                        "CacheEngineVersionDescription": f"{'Redis OSS' if r.engine == 'redis' else 'Valkey'} {r.version}",
                    }
                    for r in page
                ],
                **({"Marker": marker} if marker else {}),
            }
        )

    def create_cache_subnet_group(self) -> ActionResult:
        """moto's CreateCacheSubnetGroup, with zone names."""
        result = _moto_cache["create_cache_subnet_group"](self)
        _subnet_zone_names(result.result["CacheSubnetGroup"])
        return result

    def modify_cache_subnet_group(self) -> ActionResult:
        """ModifyCacheSubnetGroup (moto: not implemented): subnets and description."""
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        group = backend.describe_cache_subnet_groups(name)[0]
        subnet_ids = self._get_param("SubnetIds")
        if subnet_ids:
            # moto's constructor resolves the subnets through EC2 and checks their VPC.
            fresh = CacheSubnetGroup(
                account_id=backend.account_id,
                region_name=backend.region_name,
                cache_subnet_group_name=name,
                cache_subnet_group_description=group.cache_subnet_group_description,
                subnet_ids=list(subnet_ids),
                tags=None,
            )
            group.subnet_ids, group.subnets = fresh.subnet_ids, fresh.subnets
            group.vpc_id, group.supported_network_types = fresh.vpc_id, fresh.supported_network_types
            _subnet_zone_names(group)
        description = self._get_param("CacheSubnetGroupDescription")
        if description is not None:
            group.cache_subnet_group_description = description
        return ActionResult({"CacheSubnetGroup": group})

    def delete_cache_subnet_group(self) -> EmptyResult:
        """DeleteCacheSubnetGroup (moto: not implemented), refused while in use."""
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        group = backend.describe_cache_subnet_groups(name)[0]
        users = [g for g in backend.replication_groups.values() if g.cache_subnet_group_name == name]
        users += [c for c in backend.cache_clusters.values() if c.cache_subnet_group_name == name]
        if users:
            raise _cache_error(
                "CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use by a cache cluster."
            )
        del backend.cache_subnet_groups[name]
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    # -- parameter groups --

    def create_cache_parameter_group(self) -> ActionResult:
        """CreateCacheParameterGroup (moto: not implemented), with its tags."""
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName") or ""
        family = self._get_param("CacheParameterGroupFamily")
        if family not in CACHE_PARAMETER_FAMILIES:
            raise _invalid_value(f"The parameter CacheParameterGroupFamily {family!r} is not a known family.")
        if name.startswith("default."):
            raise _invalid_value(f"A parameter group name cannot start with 'default.': {name}")
        if name in _parameter_groups(backend):
            raise _cache_error("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
        group = CacheParameterGroup(
            cache_parameter_group_name=name,
            cache_parameter_group_family=family,
            description=self._get_param("Description") or "",
            arn=_parameter_group_arn(backend, name),
        )
        _parameter_groups(backend)[name] = group
        tags = self._get_param("Tags")
        if tags:
            backend.tagging_service.tag_resource(group.arn, tags)
        return ActionResult({"CacheParameterGroup": group})

    def describe_cache_parameter_groups(self) -> ActionResult:
        """DescribeCacheParameterGroups (moto: not implemented): one group by name (a
        ``default.*`` one too), or the user's groups."""
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        groups = [_parameter_group(backend, name)] if name else list(_parameter_groups(backend).values())
        return ActionResult({"CacheParameterGroups": groups})

    def modify_cache_parameter_group(self) -> ActionResult:
        """ModifyCacheParameterGroup (moto: not implemented): sets ParameterNameValues."""
        backend = self.elasticache_backend
        group = _user_parameter_group(backend, self._get_param("CacheParameterGroupName"))
        values = self._get_param("ParameterNameValues") or []
        if not values:
            raise _invalid_value("ParameterNameValues must name at least one parameter.")
        for value in values:
            group.values[value["ParameterName"]] = value.get("ParameterValue", "")
        return ActionResult({"CacheParameterGroupName": group.cache_parameter_group_name})

    def reset_cache_parameter_group(self) -> ActionResult:
        """ResetCacheParameterGroup (moto: not implemented): all, or the parameters named."""
        backend = self.elasticache_backend
        group = _user_parameter_group(backend, self._get_param("CacheParameterGroupName"))
        if self._get_bool_param("ResetAllParameters"):
            group.values.clear()
        for value in self._get_param("ParameterNameValues") or []:
            group.values.pop(value["ParameterName"], None)
        return ActionResult({"CacheParameterGroupName": group.cache_parameter_group_name})

    def describe_cache_parameters(self) -> ActionResult:
        """DescribeCacheParameters (moto: not implemented): engine defaults (Source
        ``system``) and the user's values (``user``), filtered by Source; paged by
        MaxRecords (20 to 100) and Marker."""
        backend = self.elasticache_backend
        group = _parameter_group(backend, self._get_param("CacheParameterGroupName"))
        parameters = _cache_parameters(group, self._get_param("Source"))
        page, marker = _page(parameters, self._get_param("Marker"), self._get_int_param("MaxRecords"), 20, 100)
        return ActionResult({"Parameters": page, **({"Marker": marker} if marker else {})})

    def delete_cache_parameter_group(self) -> EmptyResult:
        """DeleteCacheParameterGroup (moto: not implemented), refused while in use."""
        backend = self.elasticache_backend
        group = _user_parameter_group(backend, self._get_param("CacheParameterGroupName"))
        name = group.cache_parameter_group_name
        users = [g for g in backend.replication_groups.values() if g.cache_parameter_group_name == name]
        users += [c for c in backend.cache_clusters.values() if c.cache_parameter_group_name == name]
        if users:
            raise _cache_error(
                "InvalidCacheParameterGroupState",
                f"One or more cache clusters are still members of this parameter group {name}, "
                "so the group cannot be deleted.",
            )
        del _parameter_groups(backend)[name]
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    # -- tags --

    def list_tags_for_resource(self) -> ActionResult:
        """ListTagsForResource; a missing resource is its NotFound error (moto: no tags),
        and parameter groups have tags (moto: InvalidARN)."""
        backend = self.elasticache_backend
        arn = self._get_param("ResourceName")
        if _check_cache_tag_target(backend, arn) == "parametergroup":
            return ActionResult({"TagList": backend.tagging_service.list_tags_for_resource(arn)["Tags"]})
        return _moto_cache["list_tags_for_resource"](self)

    def add_tags_to_resource(self) -> ActionResult:
        """AddTagsToResource; a missing resource is its NotFound error (moto: tags it)."""
        _check_cache_tag_target(self.elasticache_backend, self._get_param("ResourceName"))
        return _moto_cache["add_tags_to_resource"](self)

    def remove_tags_from_resource(self) -> ActionResult:
        """RemoveTagsFromResource; a missing resource is its NotFound error."""
        _check_cache_tag_target(self.elasticache_backend, self._get_param("ResourceName"))
        return _moto_cache["remove_tags_from_resource"](self)


def _require_replica_change(response: ElastiCacheResponse, group: ReplicationGroup) -> None:
    """What Increase/DecreaseReplicaCount need: an available, cluster-mode-disabled group
    and ApplyImmediately (AWS does not support it false)."""
    _require_available(group)
    if not _is_single_shard(group):
        raise _invalid_combination(
            "The ODE emulator changes replica counts of cluster-mode-disabled replication groups only."
        )
    if not response._get_bool_param("ApplyImmediately"):
        raise _invalid_value(
            "ApplyImmediately must be true: changing the replica count later is not supported."
        )


# -- CloudWatch Logs ---------------------------------------------------------------------


def _require_log_group(backend: LogsBackend, arn: str | None) -> None:
    """Refuse a tag call on the ARN of a log group that does not exist (a ``:*`` ARN
    names none: the tagging API takes the ARN without it)."""
    if ":log-group:" not in (arn or ""):
        return
    if not any(group.arn == arn for group in backend.groups.values()):
        raise LogGroupNotFound()


_moto_logs = {
    name: getattr(LogsResponse, name)
    for name in ("delete_log_group", "list_tags_for_resource", "tag_resource", "untag_resource")
}


class _LogsHandlers:
    """Methods installed on moto's ``LogsResponse``: ``self`` is a LogsResponse."""

    def delete_log_group(self) -> Any:
        """DeleteLogGroup, dropping the group's tags (moto keeps them)."""
        group = self.logs_backend.groups.get(self._get_param("logGroupName"))
        result = _moto_logs["delete_log_group"](self)
        if group is not None:
            self.logs_backend.tagger.delete_all_tags_for_resource(group.arn)
        return result

    def list_tags_for_resource(self) -> Any:
        """ListTagsForResource; an unknown log group ARN is ResourceNotFoundException."""
        _require_log_group(self.logs_backend, self._get_param("resourceArn"))
        return _moto_logs["list_tags_for_resource"](self)

    def tag_resource(self) -> Any:
        """TagResource; an unknown log group ARN is ResourceNotFoundException."""
        _require_log_group(self.logs_backend, self._get_param("resourceArn"))
        return _moto_logs["tag_resource"](self)

    def untag_resource(self) -> Any:
        """UntagResource; an unknown log group ARN is ResourceNotFoundException."""
        _require_log_group(self.logs_backend, self._get_param("resourceArn"))
        return _moto_logs["untag_resource"](self)


# -- installation ------------------------------------------------------------------------


def _with_unique_resource_id(init: Callable[..., None]) -> Callable[..., None]:
    """DBInstance.__init__ that gives the instance a DbiResourceId of its own, in AWS's
    form (``db-`` and 26 upper-case letters and digits)."""

    def patched(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        alphabet = string.ascii_uppercase + string.digits
        self.dbi_resource_id = "db-" + "".join(random.choice(alphabet) for _ in range(26))

    patched.ode_unique_resource_id = True  # type: ignore[attr-defined]
    return patched


def install(transition_s: Callable[[], float]) -> None:
    """Patch moto's RDS, ElastiCache and Logs; ``transition_s()`` gives the transition
    time. Running it again only replaces ``transition_s``."""
    global _transition_s
    _transition_s = transition_s
    for response_class, handlers, service in (
        (RDSResponse, _RdsHandlers, "rds"),
        (ElastiCacheResponse, _CacheHandlers, "elasticache"),
        (LogsResponse, _LogsHandlers, "logs"),
    ):
        names = [name for name in vars(handlers) if not name.startswith("__")]
        for name in names:
            setattr(response_class, name, vars(handlers)[name])
        api_models.check_answers(response_class, service, names)
    if not getattr(DBInstance.__init__, "ode_unique_resource_id", False):
        DBInstance.__init__ = _with_unique_resource_id(DBInstance.__init__)
    setattr(DBInstance, "pending_modified_values", property(_db_pending_modified_values))
    setattr(DBInstance, "performance_insights_enabled", property(_db_performance_insights_enabled))
    setattr(CacheCluster, "cache_parameter_group", property(_cache_parameter_group_property))
    setattr(CacheCluster, "security_groups", property(_security_groups_property))
