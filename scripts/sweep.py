"""Find and delete what test runs of this provider left in an AWS account.

Everything the composites create carries ``ode:stack = <name>`` (and IAM roles live
under the path ``/ode/<name>/``). A run that was killed, or whose destroy failed,
leaves objects behind; this sweeper finds every object whose stack name starts with
``--stack-prefix`` (required: it never sweeps every stack) and whose stack is older
than ``--older-than``, and deletes them in dependency order. It only lists them unless
``--delete`` is given. Objects of other stacks and untagged objects are never touched.

A stack's age is that of its oldest object that reports a creation time (EC2 VPCs,
subnets and route tables report none; their stack's other objects do). A stack none of
whose objects reports one is old enough only with ``--older-than 0``.

Usage: scripts/sweep --stack-prefix ode-acc- [--older-than 2h] [--region R]
       [--endpoint-url URL] [--delete]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

STACK = "ode:stack"


@dataclass
class Found:
    """One object to delete: its kind (for the order), its id, its stack, its age."""

    kind: str
    id: str
    stack: str
    created: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# Deletion order: what depends on something comes before it.
ORDER = [
    "eks-addon",
    "eks-nodegroup",
    "eks-cluster",
    "rds-instance",
    "elasticache-replication-group",
    "nat-gateway",
    "flow-log",
    "rds-subnet-group",
    "rds-parameter-group",
    "elasticache-subnet-group",
    "elasticache-parameter-group",
    "elastic-ip",
    "internet-gateway",
    "security-group",
    "subnet",
    "route-table",
    "vpc",
    "iam-role",
    "oidc-provider",
    "s3-bucket",
    "dynamodb-table",
    "ecr-repository",
    "secret",
    "log-group",
    "kms-key",
]


def tag_map(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """A tag list as a map, whatever the service calls the fields (Key, key, TagKey)."""
    out = {}
    for t in tags or []:
        key = t.get("Key", t.get("key", t.get("TagKey")))
        if key is not None:
            out[key] = t.get("Value", t.get("value", t.get("TagValue", "")))
    return out


def ignore(*codes: str) -> Callable[[Callable[[], Any]], Any]:
    """Runs the call; the given error codes mean there is nothing to do."""

    def run(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in codes:
                return None
            raise

    return run


class Sweeper:
    def __init__(self, session: boto3.session.Session, endpoint: str | None, prefix: str):
        self.prefix = prefix
        config = Config(retries={"max_attempts": 3}, s3={"addressing_style": "path"})
        self.client = lambda s: session.client(s, endpoint_url=endpoint, config=config)

    def ours(self, stack: str | None) -> bool:
        return bool(stack) and stack.startswith(self.prefix)

    # -- finding --------------------------------------------------------------------

    def find(self) -> list[Found]:
        found: list[Found] = []
        for finder in (self.ec2, self.eks, self.iam, self.rds, self.elasticache, self.s3, self.dynamodb, self.ecr, self.secrets, self.logs, self.kms):
            found.extend(finder())
        return found

    def ec2(self) -> list[Found]:
        ec2 = self.client("ec2")
        out: list[Found] = []
        tagged = [{"Name": "tag-key", "Values": [STACK]}]
        for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]:
            stack = tag_map(v.get("Tags")).get(STACK)
            if not self.ours(stack):
                continue
            vpc = v["VpcId"]
            in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
            out.append(Found("vpc", vpc, stack))
            for n in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]:
                if n["State"] not in ("deleted", "deleting"):
                    out.append(Found("nat-gateway", n["NatGatewayId"], stack, n.get("CreateTime")))
            for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
                out.append(Found("subnet", s["SubnetId"], stack))
            for r in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]:
                if not any(a.get("Main") for a in r.get("Associations", [])):
                    out.append(Found("route-table", r["RouteTableId"], stack, extra={"associations": [a["RouteTableAssociationId"] for a in r.get("Associations", [])]}))
            for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]:
                if g["GroupName"] != "default":
                    out.append(Found("security-group", g["GroupId"], stack))
            attached = [{"Name": "attachment.vpc-id", "Values": [vpc]}]
            for g in ec2.describe_internet_gateways(Filters=attached)["InternetGateways"]:
                out.append(Found("internet-gateway", g["InternetGatewayId"], stack, extra={"vpc": vpc}))
            for f in ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]:
                out.append(Found("flow-log", f["FlowLogId"], stack, f.get("CreationTime")))
        for a in ec2.describe_addresses(Filters=tagged)["Addresses"]:
            stack = tag_map(a.get("Tags")).get(STACK)
            if self.ours(stack):
                out.append(Found("elastic-ip", a["AllocationId"], stack))
        return out

    def eks(self) -> list[Found]:
        eks = self.client("eks")
        out: list[Found] = []
        for page in eks.get_paginator("list_clusters").paginate():
            for name in page["clusters"]:
                c = eks.describe_cluster(name=name)["cluster"]
                stack = (c.get("tags") or {}).get(STACK)
                if not self.ours(stack):
                    continue
                out.append(Found("eks-cluster", name, stack, c.get("createdAt")))
                for p in eks.get_paginator("list_nodegroups").paginate(clusterName=name):
                    out += [Found("eks-nodegroup", n, stack, extra={"cluster": name}) for n in p["nodegroups"]]
                for p in eks.get_paginator("list_addons").paginate(clusterName=name):
                    out += [Found("eks-addon", a, stack, extra={"cluster": name}) for a in p["addons"]]
        return out

    def iam(self) -> list[Found]:
        iam = self.client("iam")
        out: list[Found] = []
        for page in iam.get_paginator("list_roles").paginate(PathPrefix="/ode/"):
            for r in page["Roles"]:
                stack = r["Path"].strip("/").split("/")[-1] if r["Path"].count("/") == 3 else None
                if self.ours(stack):
                    out.append(Found("iam-role", r["RoleName"], stack, r.get("CreateDate")))
        for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
            tags = tag_map(iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=p["Arn"]).get("Tags"))
            if self.ours(tags.get(STACK)):
                out.append(Found("oidc-provider", p["Arn"], tags[STACK]))
        return out

    def rds(self) -> list[Found]:
        rds = self.client("rds")
        out: list[Found] = []
        for page in rds.get_paginator("describe_db_instances").paginate():
            for i in page["DBInstances"]:
                stack = tag_map(i.get("TagList")).get(STACK)
                if self.ours(stack) and i.get("DBInstanceStatus") != "deleting":
                    out.append(Found("rds-instance", i["DBInstanceIdentifier"], stack, i.get("InstanceCreateTime")))
        for page in rds.get_paginator("describe_db_subnet_groups").paginate():
            for g in page["DBSubnetGroups"]:
                stack = tag_map(rds.list_tags_for_resource(ResourceName=g["DBSubnetGroupArn"])["TagList"]).get(STACK)
                if self.ours(stack):
                    out.append(Found("rds-subnet-group", g["DBSubnetGroupName"], stack))
        for page in rds.get_paginator("describe_db_parameter_groups").paginate():
            for g in page["DBParameterGroups"]:
                stack = tag_map(rds.list_tags_for_resource(ResourceName=g["DBParameterGroupArn"])["TagList"]).get(STACK)
                if self.ours(stack):
                    out.append(Found("rds-parameter-group", g["DBParameterGroupName"], stack))
        return out

    def elasticache(self) -> list[Found]:
        ec = self.client("elasticache")
        out: list[Found] = []

        def stack_of(arn: str) -> str | None:
            return tag_map(ec.list_tags_for_resource(ResourceName=arn)["TagList"]).get(STACK)

        for page in ec.get_paginator("describe_replication_groups").paginate():
            for g in page["ReplicationGroups"]:
                stack = stack_of(g["ARN"])
                if self.ours(stack) and g.get("Status") != "deleting":
                    out.append(Found("elasticache-replication-group", g["ReplicationGroupId"], stack, g.get("ReplicationGroupCreateTime")))
        for page in ec.get_paginator("describe_cache_subnet_groups").paginate():
            for g in page["CacheSubnetGroups"]:
                stack = stack_of(g["ARN"])
                if self.ours(stack):
                    out.append(Found("elasticache-subnet-group", g["CacheSubnetGroupName"], stack))
        for page in ec.get_paginator("describe_cache_parameter_groups").paginate():
            for g in page["CacheParameterGroups"]:
                stack = stack_of(g["ARN"])
                if self.ours(stack):
                    out.append(Found("elasticache-parameter-group", g["CacheParameterGroupName"], stack))
        return out

    def s3(self) -> list[Found]:
        s3 = self.client("s3")
        out: list[Found] = []
        for b in s3.list_buckets()["Buckets"]:
            tagging = ignore("NoSuchTagSet", "NoSuchBucket")(lambda: s3.get_bucket_tagging(Bucket=b["Name"]))
            stack = tag_map((tagging or {}).get("TagSet")).get(STACK)
            if self.ours(stack):
                out.append(Found("s3-bucket", b["Name"], stack, b.get("CreationDate")))
        return out

    def dynamodb(self) -> list[Found]:
        ddb = self.client("dynamodb")
        out: list[Found] = []
        for page in ddb.get_paginator("list_tables").paginate():
            for name in page["TableNames"]:
                t = ddb.describe_table(TableName=name)["Table"]
                tags = tag_map(ddb.list_tags_of_resource(ResourceArn=t["TableArn"]).get("Tags"))
                if self.ours(tags.get(STACK)):
                    out.append(Found("dynamodb-table", name, tags[STACK], t.get("CreationDateTime")))
        return out

    def ecr(self) -> list[Found]:
        ecr = self.client("ecr")
        out: list[Found] = []
        for page in ecr.get_paginator("describe_repositories").paginate():
            for r in page["repositories"]:
                tags = tag_map(ecr.list_tags_for_resource(resourceArn=r["repositoryArn"]).get("tags"))
                if self.ours(tags.get(STACK)):
                    out.append(Found("ecr-repository", r["repositoryName"], tags[STACK], r.get("createdAt")))
        return out

    def secrets(self) -> list[Found]:
        sm = self.client("secretsmanager")
        out: list[Found] = []
        for page in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "tag-key", "Values": [STACK]}]):
            for s in page["SecretList"]:
                stack = tag_map(s.get("Tags")).get(STACK)
                if self.ours(stack):
                    out.append(Found("secret", s["ARN"], stack, s.get("CreatedDate")))
        return out

    def logs(self) -> list[Found]:
        logs = self.client("logs")
        out: list[Found] = []
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/eks/" + self.prefix):
            for g in page["logGroups"]:
                tags = logs.list_tags_log_group(logGroupName=g["logGroupName"]).get("tags", {})
                if self.ours(tags.get(STACK)):
                    created = datetime.fromtimestamp(g["creationTime"] / 1000, timezone.utc) if "creationTime" in g else None
                    out.append(Found("log-group", g["logGroupName"], tags[STACK], created))
        return out

    def kms(self) -> list[Found]:
        kms = self.client("kms")
        out: list[Found] = []
        for page in kms.get_paginator("list_aliases").paginate():
            for a in page["Aliases"]:
                key = a.get("TargetKeyId")
                if not key or not a["AliasName"].startswith("alias/" + self.prefix):
                    continue
                meta = kms.describe_key(KeyId=key)["KeyMetadata"]
                tags = tag_map(kms.list_resource_tags(KeyId=key).get("Tags"))
                if meta.get("KeyState") == "Enabled" and self.ours(tags.get(STACK)):
                    out.append(Found("kms-key", key, tags[STACK], meta.get("CreationDate"), extra={"alias": a["AliasName"]}))
        return out

    # -- deleting -------------------------------------------------------------------

    def delete(self, f: Found) -> None:
        c = self.client
        gone = ignore(
            "NotFound", "NoSuchEntity", "NoSuchBucket", "ResourceNotFoundException", "RepositoryNotFoundException",
            "DBInstanceNotFound", "DBInstanceNotFoundFault", "ReplicationGroupNotFoundFault", "InvalidVpcID.NotFound",
            "InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidRouteTableID.NotFound",
            "InvalidInternetGatewayID.NotFound", "InvalidAllocationID.NotFound", "NatGatewayNotFound",
            "DBSubnetGroupNotFoundFault", "DBParameterGroupNotFound", "CacheSubnetGroupNotFoundFault",
            "CacheParameterGroupNotFound", "NotFoundException",
        )
        k, i = f.kind, f.id
        if k == "eks-addon":
            gone(lambda: c("eks").delete_addon(clusterName=f.extra["cluster"], addonName=i))
        elif k == "eks-nodegroup":
            gone(lambda: c("eks").delete_nodegroup(clusterName=f.extra["cluster"], nodegroupName=i))
            self.wait(lambda: gone(lambda: c("eks").describe_nodegroup(clusterName=f.extra["cluster"], nodegroupName=i)) is None)
        elif k == "eks-cluster":
            gone(lambda: c("eks").delete_cluster(name=i))
            self.wait(lambda: gone(lambda: c("eks").describe_cluster(name=i)) is None)
        elif k == "rds-instance":
            rds = c("rds")
            gone(lambda: rds.modify_db_instance(DBInstanceIdentifier=i, DeletionProtection=False, ApplyImmediately=True))
            gone(lambda: rds.delete_db_instance(DBInstanceIdentifier=i, SkipFinalSnapshot=True, DeleteAutomatedBackups=True))
            self.wait(lambda: gone(lambda: rds.describe_db_instances(DBInstanceIdentifier=i)) is None)
        elif k == "elasticache-replication-group":
            ec = c("elasticache")
            gone(lambda: ec.delete_replication_group(ReplicationGroupId=i))
            self.wait(lambda: gone(lambda: ec.describe_replication_groups(ReplicationGroupId=i)) is None)
        elif k == "nat-gateway":
            ec2 = c("ec2")
            gone(lambda: ec2.delete_nat_gateway(NatGatewayId=i))
            self.wait(lambda: all(n["State"] == "deleted" for n in ec2.describe_nat_gateways(NatGatewayIds=[i])["NatGateways"]))
        elif k == "flow-log":
            gone(lambda: c("ec2").delete_flow_logs(FlowLogIds=[i]))
        elif k == "rds-subnet-group":
            gone(lambda: c("rds").delete_db_subnet_group(DBSubnetGroupName=i))
        elif k == "rds-parameter-group":
            gone(lambda: c("rds").delete_db_parameter_group(DBParameterGroupName=i))
        elif k == "elasticache-subnet-group":
            gone(lambda: c("elasticache").delete_cache_subnet_group(CacheSubnetGroupName=i))
        elif k == "elasticache-parameter-group":
            gone(lambda: c("elasticache").delete_cache_parameter_group(CacheParameterGroupName=i))
        elif k == "elastic-ip":
            gone(lambda: c("ec2").release_address(AllocationId=i))
        elif k == "internet-gateway":
            ec2 = c("ec2")
            ignore("Gateway.NotAttached")(lambda: gone(lambda: ec2.detach_internet_gateway(InternetGatewayId=i, VpcId=f.extra["vpc"])))
            gone(lambda: ec2.delete_internet_gateway(InternetGatewayId=i))
        elif k == "security-group":
            gone(lambda: c("ec2").delete_security_group(GroupId=i))
        elif k == "subnet":
            gone(lambda: c("ec2").delete_subnet(SubnetId=i))
        elif k == "route-table":
            ec2 = c("ec2")
            for assoc in f.extra.get("associations", []):
                ignore("InvalidAssociationID.NotFound")(lambda: ec2.disassociate_route_table(AssociationId=assoc))
            gone(lambda: ec2.delete_route_table(RouteTableId=i))
        elif k == "vpc":
            gone(lambda: c("ec2").delete_vpc(VpcId=i))
        elif k == "iam-role":
            iam = c("iam")
            for p in iam.list_attached_role_policies(RoleName=i)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=i, PolicyArn=p["PolicyArn"])
            for name in iam.list_role_policies(RoleName=i)["PolicyNames"]:
                iam.delete_role_policy(RoleName=i, PolicyName=name)
            gone(lambda: iam.delete_role(RoleName=i))
        elif k == "oidc-provider":
            gone(lambda: c("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=i))
        elif k == "s3-bucket":
            s3 = c("s3")
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=i):
                objects = [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in page.get("Versions", []) + page.get("DeleteMarkers", [])]
                if objects:
                    s3.delete_objects(Bucket=i, Delete={"Objects": objects, "Quiet": True})
            gone(lambda: s3.delete_bucket(Bucket=i))
        elif k == "dynamodb-table":
            ddb = c("dynamodb")
            ignore("ValidationException", "ResourceNotFoundException")(
                lambda: ddb.update_table(TableName=i, DeletionProtectionEnabled=False)
            )
            gone(lambda: ddb.delete_table(TableName=i))
        elif k == "ecr-repository":
            gone(lambda: c("ecr").delete_repository(repositoryName=i, force=True))
        elif k == "secret":
            gone(lambda: c("secretsmanager").delete_secret(SecretId=i, ForceDeleteWithoutRecovery=True))
        elif k == "log-group":
            gone(lambda: c("logs").delete_log_group(logGroupName=i))
        elif k == "kms-key":
            kms = c("kms")
            gone(lambda: kms.delete_alias(AliasName=f.extra["alias"]))
            ignore("KMSInvalidStateException")(lambda: kms.schedule_key_deletion(KeyId=i, PendingWindowInDays=7))

    @staticmethod
    def wait(done: Callable[[], bool], timeout_s: float = 1800.0) -> None:
        deadline = time.monotonic() + timeout_s
        delay = 0.5
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("gave up waiting for a delete")
            time.sleep(delay)
            delay = min(delay * 2, 15.0)


def stacks_old_enough(found: list[Found], older_than: timedelta, now: datetime) -> set[str]:
    """The stacks whose oldest timed object is older than ``older_than`` (every stack
    with ``older_than`` zero)."""
    oldest: dict[str, datetime] = {}
    for f in found:
        if f.created is not None:
            created = f.created if f.created.tzinfo else f.created.replace(tzinfo=timezone.utc)
            oldest[f.stack] = min(oldest.get(f.stack, created), created)
    stacks = {f.stack for f in found}
    if older_than <= timedelta(0):
        return stacks
    return {s for s in stacks if s in oldest and now - oldest[s] >= older_than}


def parse_age(text: str) -> timedelta:
    m = re.fullmatch(r"(\d+)([smhd])", text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r}: an age like 30m, 2h or 1d")
    n, unit = int(m.group(1)), m.group(2)
    name = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]
    return timedelta(**{name: n})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--stack-prefix", required=True, help="sweep stacks whose name starts with this")
    p.add_argument("--older-than", type=parse_age, default=parse_age("2h"))
    p.add_argument("--region", default=None)
    p.add_argument("--endpoint-url", default=None, help="an emulator's URL")
    p.add_argument("--delete", action="store_true", help="delete (default: list only)")
    args = p.parse_args(argv)
    if len(args.stack_prefix) < 3:
        p.error("--stack-prefix must have at least 3 characters: a sweep never takes every stack")
    sweeper = Sweeper(boto3.session.Session(region_name=args.region), args.endpoint_url, args.stack_prefix)
    found = sweeper.find()
    stacks = stacks_old_enough(found, args.older_than, datetime.now(timezone.utc))
    chosen = sorted((f for f in found if f.stack in stacks), key=lambda f: (ORDER.index(f.kind), f.stack, f.id))
    by_stack: dict[str, int] = defaultdict(int)
    for f in chosen:
        by_stack[f.stack] += 1
        print(f"{'delete' if args.delete else 'would delete'} {f.kind} {f.id} (stack {f.stack})")
    skipped = sorted({f.stack for f in found} - stacks)
    for s in skipped:
        print(f"skipped stack {s}: younger than {args.older_than}, or no object reports its age")
    failures = 0
    if args.delete:
        for f in chosen:
            try:
                sweeper.delete(f)
            except (ClientError, TimeoutError) as e:
                failures += 1
                print(f"FAILED {f.kind} {f.id}: {e}", file=sys.stderr)
    print(f"{len(chosen)} object(s) in {len(by_stack)} stack(s){'' if args.delete else ' (dry run: nothing deleted)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
