"""Checks of the AWS emulator itself: recording, latency, faults, transitions, reset."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import EmulatorClient, s3_action
from tests.support.helpers import assert_emulator_empty

pytestmark = pytest.mark.emulator

BUCKET = "ode-emulator-check"
TLS_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def test_records_calls_of_each_protocol(emulator: EmulatorClient) -> None:
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.get_bucket_versioning(Bucket=BUCKET)
    s3.head_bucket(Bucket=BUCKET)
    s3.list_object_versions(Bucket=BUCKET)
    s3.delete_bucket(Bucket=BUCKET)
    dynamodb = emulator.client("dynamodb")
    dynamodb.create_table(
        TableName="ode-emulator-locks",
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.delete_table(TableName="ode-emulator-locks")
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.delete_vpc(VpcId=vpc)
    emulator.client("sts").get_caller_identity()

    assert emulator.call_names() == [
        ("s3", "CreateBucket"),
        ("s3", "PutBucketVersioning"),
        ("s3", "GetBucketVersioning"),
        ("s3", "HeadBucket"),
        ("s3", "ListObjectVersions"),
        ("s3", "DeleteBucket"),
        ("dynamodb", "CreateTable"),
        ("dynamodb", "DeleteTable"),
        ("ec2", "CreateVpc"),
        ("ec2", "DeleteVpc"),
        ("sts", "GetCallerIdentity"),
    ]
    calls = emulator.calls()
    assert all(c["status"] == 200 or c["status"] == 204 for c in calls), calls
    assert all(c["t_start"] <= c["t_end"] for c in calls)
    emulator.reset_calls()
    assert emulator.calls() == []
    assert_emulator_empty(emulator)


S3_REQUESTS = [
    ("GET", "/", "", {}, "ListBuckets"),
    ("PUT", "/b", "", {}, "CreateBucket"),
    ("DELETE", "/b", "", {}, "DeleteBucket"),
    ("HEAD", "/b", "", {}, "HeadBucket"),
    ("GET", "/b", "", {}, "ListObjects"),
    ("GET", "/b", "list-type=2&prefix=a", {}, "ListObjectsV2"),
    ("PUT", "/b", "versioning", {}, "PutBucketVersioning"),
    ("GET", "/b", "versioning", {}, "GetBucketVersioning"),
    ("GET", "/b", "versions", {}, "ListObjectVersions"),
    ("PUT", "/b", "policy", {}, "PutBucketPolicy"),
    ("DELETE", "/b", "encryption", {}, "DeleteBucketEncryption"),
    ("GET", "/b", "publicAccessBlock", {}, "GetPublicAccessBlock"),
    ("PUT", "/b", "tagging=", {}, "PutBucketTagging"),
    ("GET", "/b", "location", {}, "GetBucketLocation"),
    ("GET", "/b", "acl", {}, "GetBucketAcl"),
    ("PUT", "/b", "ownershipControls", {}, "PutBucketOwnershipControls"),
    ("POST", "/b", "delete", {}, "DeleteObjects"),
    ("PUT", "/b/k/x.tfstate", "", {}, "PutObject"),
    ("PUT", "/b/k", "", {"x-amz-copy-source": "b/j"}, "CopyObject"),
    ("GET", "/b/k", "", {}, "GetObject"),
    ("HEAD", "/b/k", "", {}, "HeadObject"),
    ("DELETE", "/b/k", "versionId=3", {}, "DeleteObject"),
    ("GET", "/b/k", "tagging", {}, "GetObjectTagging"),
    ("POST", "/b/k", "uploads", {}, "CreateMultipartUpload"),
    ("PUT", "/b/k", "partNumber=1&uploadId=u", {}, "UploadPart"),
    ("GET", "/b/k", "x-id=GetObject", {}, "GetObject"),
    ("GET", "/b", "intelligent-tiering", {}, "GET intelligent-tiering"),
]


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "expected"),
    S3_REQUESTS,
    ids=[f"{m} {p}?{q}" for m, p, q, _, _ in S3_REQUESTS],
)
def test_s3_action_names(method: str, path: str, query: str, headers: dict, expected: str) -> None:
    assert s3_action(method, path, query, headers) == expected


def test_latency(emulator: EmulatorClient) -> None:
    sts = emulator.client("sts")
    emulator.set_latency(300)
    started = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - started >= 0.3
    [call] = emulator.calls()
    assert call["t_end"] - call["t_start"] >= 0.3
    emulator.set_latency(0)


@pytest.mark.parametrize(
    ("service", "action", "code", "status", "call"),
    [
        ("s3", "CreateBucket", "BucketAlreadyExists", 409, lambda c: c.create_bucket(Bucket=BUCKET)),
        ("dynamodb", "ListTables", "ThrottlingException", 400, lambda c: c.list_tables()),
        ("ec2", "DescribeVpcs", "RequestLimitExceeded", 503, lambda c: c.describe_vpcs()),
        ("sts", "GetCallerIdentity", "ExpiredToken", 403, lambda c: c.get_caller_identity()),
        ("iam", "ListRoles", "Throttling", 400, lambda c: c.list_roles()),
    ],
    ids=["s3", "dynamodb", "ec2", "sts", "iam"],
)
def test_faults(emulator: EmulatorClient, service, action, code, status, call) -> None:
    client = emulator.client(service)
    emulator.add_fault(service, action, code, status=status, message="try later", times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as info:
            call(client)
        error = info.value.response
        assert error["Error"]["Code"] == code
        assert error["Error"]["Message"] == "try later"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    call(client)  # the fault is used up
    assert [c["status"] for c in emulator.calls()] == [status, status, 200]


@pytest.mark.parametrize(
    ("service", "action", "call"),
    [
        ("ec2", "DescribeVpcs", lambda c: c.describe_vpcs()),
        ("s3", "ListBuckets", lambda c: c.list_buckets()),
    ],
    ids=["ec2", "s3"],
)
def test_fault_has_a_request_id(emulator: EmulatorClient, service, action, call) -> None:
    """The SDKs read an injected error's request id: EC2 from the body, S3 from a header."""
    emulator.add_fault(service, action, "InternalError", status=500)
    with pytest.raises(ClientError) as info:
        call(emulator.client(service))
    metadata = info.value.response["ResponseMetadata"]
    request_id = metadata["RequestId"]
    assert request_id
    headers = metadata["HTTPHeaders"]  # botocore lower-cases the names
    assert headers["x-amzn-requestid"] == request_id
    assert headers["x-amz-request-id"] == request_id


def test_hold_stalls_the_matching_call_only(emulator: EmulatorClient) -> None:
    """A held call answers as usual, late; other calls go on meanwhile."""
    import threading
    import time

    ec2 = emulator.client("ec2")
    emulator.hold("ec2", "DescribeVpcs", 1.5)
    answers: list[float] = []

    def held() -> None:
        started = time.monotonic()
        ec2.describe_vpcs()
        answers.append(time.monotonic() - started)

    thread = threading.Thread(target=held)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    ec2.describe_subnets()  # not held, not queued behind the held call
    assert time.monotonic() - started < 1.0
    thread.join()
    assert answers and answers[0] >= 1.5, answers
    started = time.monotonic()
    ec2.describe_vpcs()  # the hold was for one call
    assert time.monotonic() - started < 1.0


def nat_gateway_in_new_vpc(ec2, cidr: str) -> tuple[str, str]:
    """Create a VPC, subnet, EIP and NAT gateway; (NAT id, state from CreateNatGateway)."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]
    return nat["NatGatewayId"], nat["State"]


def nat_gateway_states(ec2) -> dict[str, str]:
    return {n["NatGatewayId"]: n["State"] for n in ec2.describe_nat_gateways()["NatGateways"]}


def test_nat_gateways_stay_pending_while_set(emulator: EmulatorClient) -> None:
    ec2 = emulator.client("ec2")
    before, state = nat_gateway_in_new_vpc(ec2, "10.1.0.0/24")
    assert state == "available"

    emulator.set_transitions(nat_gateway_pending_s=1.5)
    created = time.monotonic()
    slow, state = nat_gateway_in_new_vpc(ec2, "10.2.0.0/24")
    assert state == "pending"
    # Each gateway of one response keeps its own state.
    assert nat_gateway_states(ec2) == {before: "available", slow: "pending"}
    [described] = ec2.describe_nat_gateways(NatGatewayIds=[slow])["NatGateways"]
    assert described["State"] == "pending"

    time.sleep(max(0.0, created + 1.6 - time.monotonic()))
    assert nat_gateway_states(ec2) == {before: "available", slow: "available"}

    # Deleted gateways read "deleted", not "pending".
    deleted, _ = nat_gateway_in_new_vpc(ec2, "10.3.0.0/24")
    ec2.delete_nat_gateway(NatGatewayId=deleted)
    assert nat_gateway_states(ec2)[deleted] == "deleted"

    emulator.reset()
    _, state = nat_gateway_in_new_vpc(ec2, "10.4.0.0/24")
    assert state == "available"


def test_transitions_reject_bad_settings(emulator: EmulatorClient) -> None:
    for payload in ({}, {"nat_gateway_pending_s": -1}, {"nat_gateway_pending_s": 1, "other": 2}, [1]):
        with pytest.raises(urllib.error.HTTPError) as info:
            emulator._post("/_ode/transitions", payload)
        assert info.value.code == 400, payload


def test_reset_forgets_resources_faults_and_latency(emulator: EmulatorClient) -> None:
    emulator.client("s3").create_bucket(Bucket=BUCKET)
    emulator.add_fault("s3", "ListBuckets", "InternalError", status=500)
    emulator.set_latency(5000)
    emulator.reset()
    s3 = emulator.client("s3")
    started = time.monotonic()
    assert s3.list_buckets()["Buckets"] == []
    # Far below the 5 s the latency would add, however loaded the machine.
    assert time.monotonic() - started < 4
    assert emulator.call_names() == [("s3", "ListBuckets")]


def test_moto_api_still_reachable(emulator: EmulatorClient) -> None:
    emulator.client("s3").create_bucket(Bucket=BUCKET)
    request = urllib.request.Request(emulator.url + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.load(response) == {"status": "ok"}
    assert emulator.client("s3").list_buckets()["Buckets"] == []


def test_tls_only_bucket_policy_allows_object_access(emulator: EmulatorClient) -> None:
    """The usual "deny without TLS" policy must not lock the tests out of a bucket."""
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(TLS_ONLY_POLICY))
    s3.put_object(Bucket=BUCKET, Key="state", Body=b"{}")
    assert s3.get_object(Bucket=BUCKET, Key="state")["Body"].read() == b"{}"
    s3.delete_object(Bucket=BUCKET, Key="state")

    # Other deny statements are still enforced.
    deny_all = dict(TLS_ONLY_POLICY, Statement=[dict(TLS_ONLY_POLICY["Statement"][0])])
    del deny_all["Statement"][0]["Condition"]
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(deny_all))
    with pytest.raises(ClientError):
        s3.put_object(Bucket=BUCKET, Key="state", Body=b"{}")


def signed_s3_get(emulator: EmulatorClient, path: str) -> bytes:
    """GET ``path`` as an S3 request (moto does not check signatures, only the scope)."""
    auth = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
    request = urllib.request.Request(emulator.url + path, headers={"Authorization": auth})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def test_bucket_versioning_response_has_the_documented_root(emulator: EmulatorClient) -> None:
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    assert b"<VersioningConfiguration " in signed_s3_get(emulator, f"/{BUCKET}?versioning")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    body = signed_s3_get(emulator, f"/{BUCKET}?versioning")
    assert b"<Status>Enabled</Status></VersioningConfiguration>" in body, body
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"


def test_requests_are_held_against_the_api_models(emulator: EmulatorClient) -> None:
    """A request its model refuses is refused as AWS refuses it (EC2's
    InvalidParameterValue, a JSON service's ValidationException) and recorded with its
    operation and member; a valid one is counted, and so is an extension's answer."""
    raw_ec2 = emulator.client("ec2", validate=False)
    with pytest.raises(ClientError) as refused:
        raw_ec2.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy="shared-ish")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    raw_logs = emulator.client("logs", validate=False)
    with pytest.raises(ClientError) as refused:
        raw_logs.put_retention_policy(logGroupName="", retentionInDays=7)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    emulator.client("eks").describe_cluster_versions()
    report = emulator.api_models()
    problems = {(v["operation"], v["problem"].split(":")[0]) for v in report["violations"]}
    assert problems == {("CreateVpc", "InstanceTenancy"), ("PutRetentionPolicy", "logGroupName")}, report["violations"]
    assert report["requests"]["ec2:CreateVpc"] >= 1 and report["requests"]["eks:DescribeClusterVersions"] >= 1
    assert report["answers"]["eks:DescribeClusterVersions"] >= 1
    assert emulator.client("ec2").describe_vpcs()["Vpcs"] and not [
        v for v in emulator.client("ec2").describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.0.0.0/16" and not v["IsDefault"]
    ], "the refused CreateVpc made nothing"
    emulator.clear_api_violations()  # made on purpose
    assert emulator.api_models()["violations"] == []


def test_small_pages(emulator: EmulatorClient) -> None:
    """With a page size set, every list answers that many items a page, whatever the
    request asked for; a reset goes back to AWS's sizes."""
    iam = emulator.client("iam")
    for i in range(5):
        iam.create_role(RoleName=f"paged-{i}", Path="/paged/", AssumeRolePolicyDocument="{}")
    emulator.set_page_size(2)
    first = iam.list_roles(PathPrefix="/paged/", MaxItems=100)
    assert (len(first["Roles"]), first["IsTruncated"]) == (2, True)
    pages = iam.get_paginator("list_roles").paginate(PathPrefix="/paged/")
    assert [len(p["Roles"]) for p in pages] == [2, 2, 1]
    eks = emulator.client("eks")
    assert len(eks.describe_cluster_versions()["clusterVersions"]) == 2
    emulator.reset()
    assert len(eks.describe_cluster_versions()["clusterVersions"]) == 4


def test_failures_on_request(emulator: EmulatorClient) -> None:
    """A failure a test asks for happens once, the way AWS reports it: a NAT gateway
    ``failed`` with FailureCode and FailureMessage, a DB instance ``failed`` with its
    reason in RDS's events, a replication group ``create-failed`` with its reason in
    ElastiCache's events."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    emulator.fail_next("nat", "us-east-1b", "Subnet has insufficient free addresses", code="InsufficientFreeAddressesInSubnet")
    failed = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]
    assert (failed["State"], failed["FailureCode"]) == ("failed", "InsufficientFreeAddressesInSubnet"), failed
    assert ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]["State"] == "available"

    rds = emulator.client("rds")
    emulator.fail_next("db", "broken", "the requested DB instance class is not available in us-east-1b")
    create = lambda name: rds.create_db_instance(
        DBInstanceIdentifier=name, Engine="postgres", EngineVersion="15", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername="app", MasterUserPassword="password-12345",
    )["DBInstance"]
    create("broken")
    (db,) = rds.describe_db_instances(DBInstanceIdentifier="broken")["DBInstances"]
    assert db["DBInstanceStatus"] == "failed"
    events = rds.describe_events(SourceIdentifier="broken", SourceType="db-instance")["Events"]
    assert "not available in us-east-1b" in events[-1]["Message"], events
    create("fine")
    assert rds.describe_db_instances(DBInstanceIdentifier="fine")["DBInstances"][0]["DBInstanceStatus"] == "available"

    cache = emulator.client("elasticache")
    emulator.fail_next("replication-group", "rg", "insufficient cache.t3.micro capacity")
    cache.create_replication_group(
        ReplicationGroupId="rg", ReplicationGroupDescription="x", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=1
    )
    assert cache.describe_replication_groups(ReplicationGroupId="rg")["ReplicationGroups"][0]["Status"] == "create-failed"
    (event,) = cache.describe_events(SourceIdentifier="rg", SourceType="replication-group")["Events"]
    assert event["Message"] == "insufficient cache.t3.micro capacity"
    with pytest.raises(urllib.error.HTTPError):
        emulator.fail_next("volcano", "x", "no such failure")


def test_vpc_endpoints_as_ec2_keeps_them(emulator: EmulatorClient) -> None:
    """tests/support/ec2_endpoints.py: the refusals and consequences moto lacks."""
    ec2 = emulator.client("ec2")

    def code_of(call: Any) -> str:
        with pytest.raises(ClientError) as raised:
            call()
        return raised.value.response["Error"]["Code"]

    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    a, b, a2 = (
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.7.1.0/24", "us-east-1a"), ("10.7.2.0/24", "us-east-1b"), ("10.7.3.0/24", "us-east-1a"))
    )
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    group = ec2.create_security_group(GroupName="e", Description="e", VpcId=vpc)["GroupId"]
    service = "com.amazonaws.us-east-1."
    interface = {"VpcId": vpc, "VpcEndpointType": "Interface", "SecurityGroupIds": [group]}
    assert code_of(lambda: ec2.create_vpc_endpoint(ServiceName=service + "nope", **interface, SubnetIds=[a])) == "InvalidServiceName"
    assert code_of(lambda: ec2.create_vpc_endpoint(ServiceName=service + "sts", VpcId=vpc, VpcEndpointType="Gateway")) == "InvalidParameter"
    assert code_of(lambda: ec2.create_vpc_endpoint(ServiceName=service + "sts", **interface, SubnetIds=[a, a2])) == "DuplicateSubnetsInSameZone"
    sts = ec2.create_vpc_endpoint(ServiceName=service + "sts", **interface, SubnetIds=[a, b], ClientToken="t-1")["VpcEndpoint"]
    again = ec2.create_vpc_endpoint(ServiceName=service + "sts", **interface, SubnetIds=[a, b], ClientToken="t-1")["VpcEndpoint"]
    assert again["VpcEndpointId"] == sts["VpcEndpointId"]
    s3 = ec2.create_vpc_endpoint(ServiceName=service + "s3", VpcId=vpc, VpcEndpointType="Gateway")["VpcEndpoint"]["VpcEndpointId"]

    def s3_routes() -> list[dict]:
        [rt] = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
        return [r for r in rt["Routes"] if r.get("GatewayId") == s3]

    assert s3_routes() == []
    ec2.modify_vpc_endpoint(VpcEndpointId=s3, AddRouteTableIds=[table])
    assert [r["DestinationPrefixListId"][:3] for r in s3_routes()] == ["pl-"]
    ec2.modify_vpc_endpoint(VpcEndpointId=s3, RemoveRouteTableIds=[table])
    assert s3_routes() == []
    dependency = "DependencyViolation"
    assert code_of(lambda: ec2.delete_subnet(SubnetId=a)) == dependency
    assert code_of(lambda: ec2.delete_security_group(GroupId=group)) == dependency
    ec2.delete_vpc_endpoints(VpcEndpointIds=[sts["VpcEndpointId"]])
    assert code_of(lambda: ec2.delete_vpc(VpcId=vpc)) == dependency  # s3's endpoint, the group, subnets
    ec2.delete_vpc_endpoints(VpcEndpointIds=[s3])
    for subnet in (a, b, a2):
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_route_table(RouteTableId=table)
    assert code_of(lambda: ec2.delete_vpc(VpcId=vpc)) == dependency  # the group
    ec2.delete_security_group(GroupId=group)
    ec2.delete_vpc(VpcId=vpc)


def test_nat_gateway_client_token_is_idempotent(emulator: EmulatorClient) -> None:
    """A CreateNatGateway repeated with its ClientToken (a retry after a lost answer)
    answers the gateway the first one made, as EC2 does; another token makes another."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, ClientToken="nat-1")["NatGateway"]
    again = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, ClientToken="nat-1")["NatGateway"]
    assert again["NatGatewayId"] == first["NatGatewayId"]
    live = [g for g in ec2.describe_nat_gateways()["NatGateways"] if g["State"] != "deleted"]
    assert [g["NatGatewayId"] for g in live] == [first["NatGatewayId"]]
