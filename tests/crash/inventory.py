"""What the emulator holds, account-wide, as counts by (kind, logical key).

The crash loop compares the inventory after a killed and re-run apply (or destroy)
with the inventory after the same step run cleanly: a key counted more often is a
duplicate, a key the clean run does not have is an orphan (or a duplicate under another
name), one it has and the re-run lacks is missing. Every object counts, tagged or not,
so that an object made by a killed call before it could be tagged is seen too: EC2
objects by their ``ode:key`` tag (``(untagged)`` without one; the default VPC and what
lives in it are left out), named objects by their name, KMS keys by their ``ode:key``
tag (only keys not pending deletion), final DB snapshots by name without their time.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Iterable

from tests.support.emulator import EmulatorClient

Inventory = Counter  # Counter[tuple[str, str]]

_CLIENTS: dict[tuple[str, str], Any] = {}

UNTAGGED = "(untagged)"


def _client(emulator: EmulatorClient, service: str) -> Any:
    """One boto3 client per emulator and service (making one takes a good part of a second)."""
    key = (emulator.url, service)
    if key not in _CLIENTS:
        _CLIENTS[key] = emulator.client(service)
    return _CLIENTS[key]


def _tags(tags: Iterable[dict[str, str]] | dict[str, str] | None) -> dict[str, str]:
    if isinstance(tags, dict):
        return tags
    return {t["Key"]: t["Value"] for t in tags or []}


def _ode_key(tags: Any) -> str:
    return _tags(tags).get("ode:key", UNTAGGED)


def inventory(emulator: EmulatorClient) -> Inventory:
    """Counts of (kind, key) of everything the emulator holds (see the module docstring)."""
    found: Inventory = Counter()
    _ec2(emulator, found)
    _eks_iam(emulator, found)
    _kms(emulator, found)
    _data(emulator, found)
    _storage(emulator, found)
    return found


# Names AWS makes unique with a random part: EKS's cluster security group
# (eks-cluster-sg-<cluster>-<hex>), the secret RDS manages (rds!db-<uuid>).
_RANDOM_SUFFIX = re.compile(r"-[0-9a-f]{8}$")
_RDS_SECRET = re.compile(r"^rds!db-[0-9a-f-]{36}$")


def _ec2(emulator: EmulatorClient, found: Inventory) -> None:
    ec2 = _client(emulator, "ec2")
    vpcs = ec2.describe_vpcs()["Vpcs"]
    default = {v["VpcId"] for v in vpcs if v.get("IsDefault")}
    for v in vpcs:
        if v["VpcId"] not in default:
            found["vpc", _ode_key(v.get("Tags"))] += 1
    for s in ec2.describe_subnets()["Subnets"]:
        if s["VpcId"] not in default:
            found["subnet", _ode_key(s.get("Tags"))] += 1
    for r in ec2.describe_route_tables()["RouteTables"]:
        if r["VpcId"] not in default:
            main = any(a.get("Main") for a in r.get("Associations", []))
            found["route-table", _ode_key(r.get("Tags")) + (" (main)" if main else "")] += 1
    for g in ec2.describe_internet_gateways()["InternetGateways"]:
        if not {a["VpcId"] for a in g.get("Attachments", [])} & default:
            found["internet-gateway", _ode_key(g.get("Tags"))] += 1
    for n in ec2.describe_nat_gateways()["NatGateways"]:
        if n["State"] not in ("deleted", "failed"):
            found["nat-gateway", _ode_key(n.get("Tags"))] += 1
    for a in ec2.describe_addresses()["Addresses"]:
        found["elastic-ip", _ode_key(a.get("Tags"))] += 1
    for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        if e["State"].lower() not in ("deleted", "rejected", "expired"):
            found["vpc-endpoint", _ode_key(e.get("Tags"))] += 1
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        if g.get("VpcId") not in default:
            key = _ode_key(g.get("Tags"))
            # EKS names the cluster's group with a random suffix.
            found["security-group", _RANDOM_SUFFIX.sub("-<id>", g["GroupName"]) if key == UNTAGGED else key] += 1
    for f in ec2.describe_flow_logs()["FlowLogs"]:
        found["flow-log", _ode_key(f.get("Tags"))] += 1


def _eks_iam(emulator: EmulatorClient, found: Inventory) -> None:
    eks = _client(emulator, "eks")
    for cluster in eks.list_clusters()["clusters"]:
        found["eks-cluster", cluster] += 1
        for group in eks.list_nodegroups(clusterName=cluster)["nodegroups"]:
            found["eks-nodegroup", f"{cluster}/{group}"] += 1
        for addon in eks.list_addons(clusterName=cluster)["addons"]:
            found["eks-addon", f"{cluster}/{addon}"] += 1
        for entry in eks.list_access_entries(clusterName=cluster)["accessEntries"]:
            found["eks-access-entry", f"{cluster}/{entry}"] += 1
        for association in eks.list_pod_identity_associations(clusterName=cluster)["associations"]:
            found["eks-pod-identity", f"{cluster}/{association['namespace']}/{association['serviceAccount']}"] += 1
    iam = _client(emulator, "iam")
    for role in iam.list_roles()["Roles"]:
        found["iam-role", role["Path"] + role["RoleName"]] += 1
        for policy in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            found["iam-role-policy", f"{role['RoleName']}/{policy}"] += 1
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        tags = _tags(iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider["Arn"]).get("Tags"))
        found["iam-oidc-provider", tags.get("ode:stack", UNTAGGED)] += 1
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        found["iam-policy", policy["PolicyName"]] += 1
    logs = _client(emulator, "logs")
    for group in logs.describe_log_groups()["logGroups"]:
        found["log-group", group["logGroupName"]] += 1


def _kms(emulator: EmulatorClient, found: Inventory) -> None:
    kms = _client(emulator, "kms")
    aliases = kms.list_aliases()["Aliases"]
    # The keys AWS makes for a service's default encryption (moto marks them as the
    # customer's): alias/aws/<service>.
    aws_managed = {a.get("TargetKeyId") for a in aliases if a["AliasName"].startswith("alias/aws/")}
    for key in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "AWS" or key["KeyId"] in aws_managed:
            continue
        if meta["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            continue
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])}
        found["kms-key", f"{tags.get('ode:stack', UNTAGGED)}/{tags.get('ode:key', UNTAGGED)} ({meta['KeyState']})"] += 1
    for alias in aliases:
        if not alias["AliasName"].startswith("alias/aws/"):
            found["kms-alias", alias["AliasName"]] += 1


# A final snapshot's name ends with the time it was taken.
_SNAPSHOT_TIME = re.compile(r"-\d{4}-?\d{2}-?\d{2}.*$|-\d{8,}.*$")


def _data(emulator: EmulatorClient, found: Inventory) -> None:
    rds = _client(emulator, "rds")
    for db in rds.describe_db_instances()["DBInstances"]:
        found["rds-instance", db["DBInstanceIdentifier"]] += 1
    for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
        found["rds-subnet-group", group["DBSubnetGroupName"]] += 1
    for group in rds.describe_db_parameter_groups()["DBParameterGroups"]:
        if not group["DBParameterGroupName"].startswith("default."):
            found["rds-parameter-group", group["DBParameterGroupName"]] += 1
    for snapshot in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]:
        found["rds-snapshot", _SNAPSHOT_TIME.sub("-<time>", snapshot["DBSnapshotIdentifier"])] += 1
    cache = _client(emulator, "elasticache")
    for group in cache.describe_replication_groups()["ReplicationGroups"]:
        found["replication-group", group["ReplicationGroupId"]] += 1
    for group in cache.describe_cache_subnet_groups()["CacheSubnetGroups"]:
        if group["CacheSubnetGroupName"] != "default":
            found["cache-subnet-group", group["CacheSubnetGroupName"]] += 1
    for group in cache.describe_cache_parameter_groups()["CacheParameterGroups"]:
        if not group["CacheParameterGroupName"].startswith("default."):
            found["cache-parameter-group", group["CacheParameterGroupName"]] += 1
    secrets = _client(emulator, "secretsmanager")
    for secret in secrets.list_secrets()["SecretList"]:
        if not secret.get("DeletedDate"):
            found["secret", _RDS_SECRET.sub("rds!db-<id>", secret["Name"])] += 1


def _storage(emulator: EmulatorClient, found: Inventory) -> None:
    for bucket in _client(emulator, "s3").list_buckets().get("Buckets", []):
        found["s3-bucket", bucket["Name"]] += 1
    for table in _client(emulator, "dynamodb").list_tables()["TableNames"]:
        found["dynamodb-table", table] += 1
    for repository in _client(emulator, "ecr").describe_repositories()["repositories"]:
        found["ecr-repository", repository["repositoryName"]] += 1


def encode(counts: Inventory) -> list[list[Any]]:
    """JSON-ready form: [[kind, key, count], ...], sorted."""
    return [[kind, key, n] for (kind, key), n in sorted(counts.items())]


def decode(rows: list[list[Any]]) -> Inventory:
    return Counter({(kind, key): n for kind, key, n in rows})


def compare(expected: Inventory, actual: Inventory) -> dict[str, list[str]]:
    """What ``actual`` has more of (``extra``: duplicates or orphans) and less of
    (``missing``) than ``expected``, as readable lines."""
    extra, missing = [], []
    for item in sorted(set(expected) | set(actual)):
        want, have = expected.get(item, 0), actual.get(item, 0)
        if have > want:
            extra.append(f"{item[0]} {item[1]} x{have} (clean run: {want})")
        elif have < want:
            missing.append(f"{item[0]} {item[1]} x{have} (clean run: {want})")
    return {"extra": extra, "missing": missing}
