"""The sweeper (scripts/sweep) against the emulator: the leftovers of a killed test run
are listed by a dry run, kept while they are young, and deleted in dependency order;
objects of other stacks and untagged ones are never touched."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.e2e

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import sweep  # noqa: E402

LEFT = "ode-acc-1"
OTHER = "prod"


def stack_tags(stack: str, key: str) -> list[dict[str, str]]:
    return [{"Key": "ode:stack", "Value": stack}, {"Key": "ode:key", "Value": key}]


def leave_a_run(emulator: EmulatorClient, stack: str) -> dict[str, str]:
    """What a killed apply of `stack` leaves: a VPC tree, a bucket holding objects, a
    lock table, a repository, roles, a database, a key, a secret and a log group."""
    ec2, s3 = emulator.client("ec2"), emulator.client("s3")
    spec = lambda kind, key: [{"ResourceType": kind, "Tags": stack_tags(stack, key)}]  # noqa: E731
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc", "vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", TagSpecifications=spec("subnet", "subnet/public/a"))["Subnet"]["SubnetId"]
    rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", "rtb/public"))["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", "igw"))["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    sg = ec2.create_security_group(GroupName=f"{stack}-postgres", Description="x", VpcId=vpc, TagSpecifications=spec("security-group", "sg/postgres"))["GroupId"]
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", "eip/a"))["AllocationId"]
    bucket = f"{stack}-documents"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": stack_tags(stack, "bucket/documents")})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for n in range(3):
        s3.put_object(Bucket=bucket, Key="doc.pdf", Body=f"v{n}".encode())
    table = emulator.client("dynamodb").create_table(
        TableName=f"{stack}-locks",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=stack_tags(stack, "lock-table"),
    )["TableDescription"]["TableName"]
    repo = emulator.client("ecr").create_repository(
        repositoryName=f"{stack}-api", tags=[{"Key": "ode:stack", "Value": stack}]
    )["repository"]["repositoryName"]
    iam = emulator.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName=f"{stack}-cluster", Path=f"/ode/{stack}/", AssumeRolePolicyDocument=trust)["Role"]["RoleName"]
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
    key_use = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=json.dumps(key_use))
    db = emulator.client("rds").create_db_instance(
        DBInstanceIdentifier=f"{stack}-postgres",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
        DeletionProtection=True,
        Tags=stack_tags(stack, "postgres"),
    )["DBInstance"]["DBInstanceIdentifier"]
    role_arn = iam.get_role(RoleName=role)["Role"]["Arn"]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", TagSpecifications=spec("subnet", "subnet/public/b"))["Subnet"]["SubnetId"]
    eks = emulator.client("eks")
    cluster = eks.create_cluster(
        name=stack, roleArn=role_arn, resourcesVpcConfig={"subnetIds": [subnet, subnet_b]}, tags={"ode:stack": stack}
    )["cluster"]["name"]
    eks.create_nodegroup(clusterName=cluster, nodegroupName="workers", nodeRole=role_arn, subnets=[subnet, subnet_b])
    kms = emulator.client("kms")
    key = kms.create_key(Tags=[{"TagKey": "ode:stack", "TagValue": stack}])["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/{stack}-eks-secrets", TargetKeyId=key)
    secret = emulator.client("secretsmanager").create_secret(
        Name=f"{stack}/redis-auth", SecretString="x", Tags=stack_tags(stack, "secret/redis-auth")
    )["ARN"]
    logs = emulator.client("logs")
    group = f"/aws/eks/{stack}/cluster"
    logs.create_log_group(logGroupName=group, tags={"ode:stack": stack})
    return {
        "vpc": vpc, "subnet": subnet, "route-table": rt, "internet-gateway": igw, "security-group": sg,
        "elastic-ip": eip, "s3-bucket": bucket, "dynamodb-table": table, "ecr-repository": repo,
        "iam-role": role, "rds-instance": db, "eks-cluster": cluster, "eks-nodegroup": f"{cluster}/workers", "kms-key": key, "secret": secret, "log-group": group,
    }  # fmt: skip


def exists(emulator: EmulatorClient, kind: str, ident: str) -> bool:
    """Whether the object is still there (a scheduled KMS key counts as gone)."""
    c = emulator.client
    checks = {
        "vpc": lambda: c("ec2").describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [ident]}])["Vpcs"],
        "subnet": lambda: c("ec2").describe_subnets(Filters=[{"Name": "subnet-id", "Values": [ident]}])["Subnets"],
        "route-table": lambda: c("ec2").describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [ident]}])["RouteTables"],
        "internet-gateway": lambda: c("ec2").describe_internet_gateways(Filters=[{"Name": "internet-gateway-id", "Values": [ident]}])["InternetGateways"],
        "security-group": lambda: c("ec2").describe_security_groups(Filters=[{"Name": "group-id", "Values": [ident]}])["SecurityGroups"],
        "elastic-ip": lambda: [a for a in c("ec2").describe_addresses()["Addresses"] if a["AllocationId"] == ident],
        "s3-bucket": lambda: [b for b in c("s3").list_buckets()["Buckets"] if b["Name"] == ident],
        "dynamodb-table": lambda: ident in c("dynamodb").list_tables()["TableNames"],
        "ecr-repository": lambda: [r for r in c("ecr").describe_repositories()["repositories"] if r["repositoryName"] == ident],
        "iam-role": lambda: [r for r in c("iam").list_roles()["Roles"] if r["RoleName"] == ident],
        "rds-instance": lambda: [d for d in c("rds").describe_db_instances()["DBInstances"] if d["DBInstanceIdentifier"] == ident],
        "kms-key": lambda: c("kms").describe_key(KeyId=ident)["KeyMetadata"]["KeyState"] == "Enabled",
        "secret": lambda: [s for s in c("secretsmanager").list_secrets()["SecretList"] if s["ARN"] == ident],
        "log-group": lambda: [g for g in c("logs").describe_log_groups()["logGroups"] if g["logGroupName"] == ident],
        "eks-cluster": lambda: ident in c("eks").list_clusters()["clusters"],
        "eks-nodegroup": lambda: ident.split("/")[0] in c("eks").list_clusters()["clusters"]
        and ident.split("/")[1] in c("eks").list_nodegroups(clusterName=ident.split("/")[0])["nodegroups"],
    }  # fmt: skip
    return bool(checks[kind]())


def run(emulator: EmulatorClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    code = sweep.main(["--endpoint-url", emulator.url, "--stack-prefix", "ode-acc-", *args])
    return code, capsys.readouterr().out


def test_sweeper_removes_a_killed_runs_leftovers_only(
    emulator: EmulatorClient, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    left = leave_a_run(emulator, LEFT)
    other = leave_a_run(emulator, OTHER)
    untagged_vpc = emulator.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    emulator.client("s3").create_bucket(Bucket="ode-acc-untagged")

    # A dry run names every leftover, in dependency order, and deletes nothing.
    code, out = run(emulator, monkeypatch, capsys, "--older-than", "0s")
    assert code == 0, out
    for kind, ident in left.items():
        ident = ident.split("/")[-1] if kind == "eks-nodegroup" else ident
        assert f"would delete {kind} {ident} (stack {LEFT})" in out, (kind, out)
    assert OTHER not in out and untagged_vpc not in out and "ode-acc-untagged" not in out, out
    assert "dry run: nothing deleted" in out
    lines = [line for line in out.splitlines() if line.startswith("would delete")]
    kinds = [line.split()[2] for line in lines]
    assert kinds == sorted(kinds, key=sweep.ORDER.index), kinds
    assert all(exists(emulator, k, i) for k, i in left.items())

    # A young stack is kept (every leftover was made a moment ago).
    code, out = run(emulator, monkeypatch, capsys, "--older-than", "2h", "--delete")
    assert code == 0 and f"skipped stack {LEFT}" in out and "0 object(s)" in out, out
    assert all(exists(emulator, k, i) for k, i in left.items())

    code, out = run(emulator, monkeypatch, capsys, "--older-than", "0s", "--delete")
    assert code == 0, out
    still = [k for k, i in left.items() if exists(emulator, k, i)]
    assert not still, (still, out)
    assert all(exists(emulator, k, i) for k, i in other.items())
    assert exists(emulator, "vpc", untagged_vpc) and exists(emulator, "s3-bucket", "ode-acc-untagged")


def test_sweeper_refuses_a_prefix_that_takes_every_stack(emulator: EmulatorClient) -> None:
    with pytest.raises(SystemExit) as refused:
        sweep.main(["--endpoint-url", emulator.url, "--stack-prefix", "o"])
    assert refused.value.code == 2
