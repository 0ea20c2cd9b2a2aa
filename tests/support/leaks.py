"""What a scenario must leave behind after its destroy: nothing the provider owns.

Every object a composite makes carries the provider's ownership tags (``ode:stack``,
``ode:component``, ``ode:key``; provider/src/kit/tags.rs), and its IAM roles live under
the path ``/ode/``. After a test whose every configuration ended in a successful
destroy (:func:`destroyed`), :func:`owned_objects` lists what the emulator still holds
that carries them: EC2 VPCs, subnets, route tables, internet gateways, NAT gateways
(not deleted or failed), Elastic IPs, security groups, VPC endpoints and flow logs; EKS
clusters; IAM roles and OIDC providers; KMS keys (not pending deletion, nor kept for a
final DB snapshot that is encrypted with them); RDS instances;
ElastiCache replication groups; S3 buckets; DynamoDB tables; ECR repositories; Secrets
Manager secrets (not scheduled for deletion); CloudWatch log groups. Under chaos
(tests/conftest.py) each one is a leak: a create the provider did not hear of, or a
delete it gave up on.

The emulator is read through the tests' own clients (``EmulatorClient.client``, which
chaos never fails), every list to its last page (a test may have set small pages).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from botocore.exceptions import ClientError

from tests.crash.inventory import _client, _tags
from tests.support.core import TIMEOUT_S, Command
from tests.support.emulator import EmulatorClient

#: The key prefix of the provider's ownership tags.
OWNERSHIP_PREFIX = "ode:"
#: The IAM path of the roles the provider makes.
ROLE_PATH = "/ode/"

# The operation whose ``timeouts`` bound each command's work.
_COMMAND_OPERATIONS = {"apply": ("create", "update"), "destroy": ("delete",)}


def destroyed(commands: Iterable[Command]) -> bool:
    """Whether the commands ended with everything they made destroyed: an apply or
    destroy ran, and in every directory where one did, the last was a destroy (or
    ``apply -destroy``) of the whole configuration (no ``-target``) that succeeded."""
    last: dict[Any, Command] = {}
    for command in commands:
        if command.args and command.args[0] in _COMMAND_OPERATIONS:
            last[command.workdir] = command
    return bool(last) and all(_whole_destroy(command) and command.succeeded for command in last.values())


def _whole_destroy(command: Command) -> bool:
    args = command.args
    if args[0] != "destroy" and "-destroy" not in args:
        return False
    return not any(arg == "-target" or arg.startswith("-target=") for arg in args)


def overruns(commands: Iterable[Command]) -> list[str]:
    """The applies and destroys that took longer than the longest ``timeouts`` their
    configuration gave their operations (create or update for an apply, delete for a
    destroy), or were killed after TIMEOUT_S, as readable lines. A configuration without
    ``timeouts`` has the composites' defaults (10 minutes and more, above TIMEOUT_S):
    only the kill shows there."""
    found = []
    for command in commands:
        if not command.args or command.args[0] not in _COMMAND_OPERATIONS or command.seconds is None:
            continue
        name = " ".join(command.args[:1] + tuple(a for a in command.args[1:] if a.startswith("-destroy")))
        if command.returncode is None:
            found.append(f"{name} killed after {TIMEOUT_S}s (the tests' limit for any core command)")
            continue
        operations = ("delete",) if "-destroy" in command.args else _COMMAND_OPERATIONS[command.args[0]]
        limits = [command.timeouts[op] for op in operations if op in command.timeouts]
        if limits and command.seconds > max(limits):
            found.append(f"{name} took {command.seconds:.1f}s, longer than its timeouts ({max(limits):g}s)")
    return found


def command_times(commands: Iterable[Command]) -> list[dict[str, Any]]:
    """Each command's name, exit code and seconds, for the chaos report."""
    return [
        {
            "command": " ".join(command.args[:1]),
            "exit": command.returncode,
            "seconds": None if command.seconds is None else round(command.seconds, 2),
        }
        for command in commands
    ]


def owned_objects(emulator: EmulatorClient) -> list[str]:
    """Every object of the provider's the emulator holds (see the module docstring), as
    ``service kind id (tags)`` lines."""
    found: list[str] = []
    for scan in (_ec2, _eks, _iam, _kms, _rds, _elasticache, _s3, _dynamodb, _ecr, _secrets, _logs):
        found += scan(emulator)
    return found


def _all(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every item of a list operation, page after page."""
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _ownership(tags: Any) -> dict[str, str]:
    return {k: v for k, v in _tags(tags).items() if k.startswith(OWNERSHIP_PREFIX)}


def _line(service: str, kind: str, ident: str, tags: dict[str, str]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))
    return f"{service} {kind} {ident}" + (f" ({shown})" if shown else "")


def _tagged(service: str, kind: str, items: Iterable[Any], ident: str, tags: Callable[[Any], Any]) -> list[str]:
    lines = []
    for item in items:
        owned = _ownership(tags(item))
        if owned:
            lines.append(_line(service, kind, item[ident], owned))
    return lines


def _ec2(emulator: EmulatorClient) -> list[str]:
    ec2 = _client(emulator, "ec2")
    tags: Callable[[Any], Any] = lambda item: item.get("Tags")  # noqa: E731
    found = _tagged("ec2", "vpc", _all(ec2, "describe_vpcs", "Vpcs"), "VpcId", tags)
    found += _tagged("ec2", "subnet", _all(ec2, "describe_subnets", "Subnets"), "SubnetId", tags)
    found += _tagged("ec2", "route-table", _all(ec2, "describe_route_tables", "RouteTables"), "RouteTableId", tags)
    found += _tagged(
        "ec2", "internet-gateway", _all(ec2, "describe_internet_gateways", "InternetGateways"), "InternetGatewayId", tags
    )
    nat = (n for n in _all(ec2, "describe_nat_gateways", "NatGateways") if n["State"] not in ("deleted", "failed"))
    found += _tagged("ec2", "nat-gateway", nat, "NatGatewayId", tags)
    found += _tagged("ec2", "elastic-ip", ec2.describe_addresses()["Addresses"], "AllocationId", tags)
    found += _tagged("ec2", "security-group", _all(ec2, "describe_security_groups", "SecurityGroups"), "GroupId", tags)
    endpoints = (
        e
        for e in _all(ec2, "describe_vpc_endpoints", "VpcEndpoints")
        if e["State"].lower() not in ("deleted", "rejected", "expired")
    )
    found += _tagged("ec2", "vpc-endpoint", endpoints, "VpcEndpointId", tags)
    found += _tagged("ec2", "flow-log", _all(ec2, "describe_flow_logs", "FlowLogs"), "FlowLogId", tags)
    return found


def _eks(emulator: EmulatorClient) -> list[str]:
    eks = _client(emulator, "eks")
    clusters = (eks.describe_cluster(name=name)["cluster"] for name in _all(eks, "list_clusters", "clusters"))
    return _tagged("eks", "cluster", clusters, "name", lambda c: c.get("tags"))


def _iam(emulator: EmulatorClient) -> list[str]:
    iam = _client(emulator, "iam")
    found = []
    for role in _all(iam, "list_roles", "Roles", PathPrefix=ROLE_PATH):
        tags = _ownership(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
        found.append(_line("iam", "role", role["Path"] + role["RoleName"], tags))
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    found += _tagged(
        "iam",
        "oidc-provider",
        providers,
        "Arn",
        lambda p: iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=p["Arn"]).get("Tags"),
    )
    return found


def _kms(emulator: EmulatorClient) -> list[str]:
    kms = _client(emulator, "kms")
    # A destroyed data tier keeps the key its final snapshot is encrypted with
    # (docs/guides/restoring-the-database.md): kept on purpose while the snapshot is.
    rds = _client(emulator, "rds")
    needed = {s.get("KmsKeyId") for s in _all(rds, "describe_db_snapshots", "DBSnapshots", SnapshotType="manual")}

    def live(key: Any) -> bool:
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        return meta["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion") and not (
            {meta["KeyId"], meta["Arn"]} & needed
        )

    return _tagged(
        "kms",
        "key",
        filter(live, _all(kms, "list_keys", "Keys")),
        "KeyId",
        lambda k: {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=k["KeyId"]).get("Tags", [])},
    )


def _rds(emulator: EmulatorClient) -> list[str]:
    rds = _client(emulator, "rds")
    return _tagged(
        "rds",
        "db-instance",
        _all(rds, "describe_db_instances", "DBInstances"),
        "DBInstanceIdentifier",
        lambda db: rds.list_tags_for_resource(ResourceName=db["DBInstanceArn"]).get("TagList"),
    )


def _elasticache(emulator: EmulatorClient) -> list[str]:
    cache = _client(emulator, "elasticache")
    return _tagged(
        "elasticache",
        "replication-group",
        _all(cache, "describe_replication_groups", "ReplicationGroups"),
        "ReplicationGroupId",
        lambda group: cache.list_tags_for_resource(ResourceName=group["ARN"]).get("TagList"),
    )


def _s3(emulator: EmulatorClient) -> list[str]:
    s3 = _client(emulator, "s3")

    def tags(bucket: Any) -> Any:
        try:
            return s3.get_bucket_tagging(Bucket=bucket["Name"]).get("TagSet")
        except ClientError as error:
            if error.response["Error"]["Code"] == "NoSuchTagSet":
                return None
            raise

    return _tagged("s3", "bucket", s3.list_buckets().get("Buckets", []), "Name", tags)


def _dynamodb(emulator: EmulatorClient) -> list[str]:
    dynamodb = _client(emulator, "dynamodb")
    tables = ({"TableName": name} for name in _all(dynamodb, "list_tables", "TableNames"))

    def tags(table: Any) -> Any:
        arn = dynamodb.describe_table(TableName=table["TableName"])["Table"]["TableArn"]
        return dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags")

    return _tagged("dynamodb", "table", tables, "TableName", tags)


def _ecr(emulator: EmulatorClient) -> list[str]:
    ecr = _client(emulator, "ecr")
    return _tagged(
        "ecr",
        "repository",
        _all(ecr, "describe_repositories", "repositories"),
        "repositoryName",
        lambda repository: ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"]).get("tags"),
    )


def _secrets(emulator: EmulatorClient) -> list[str]:
    secrets = _client(emulator, "secretsmanager")
    live = (s for s in _all(secrets, "list_secrets", "SecretList") if not s.get("DeletedDate"))
    return _tagged("secretsmanager", "secret", live, "Name", lambda s: s.get("Tags"))


def _logs(emulator: EmulatorClient) -> list[str]:
    logs = _client(emulator, "logs")
    return _tagged(
        "logs",
        "log-group",
        _all(logs, "describe_log_groups", "logGroups"),
        "logGroupName",
        lambda group: logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags"),
    )
