"""Checks of the emulator's kill points (tests/support/killpoint.py): the armed call is
carried out and its answer held, later calls of the provider are held and never carried
out, the tests' own clients are left alone, and a release drops the held calls and
disarms; REST calls are named by their operation."""

from __future__ import annotations

import threading
import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from tests.support.emulator import EmulatorClient
from tests.support.killpoint import mutating, operation_name

pytestmark = pytest.mark.emulator


def provider_like(emulator: EmulatorClient, service: str) -> Any:
    """A client whose User-Agent says aws-sdk-rust, as the provider's does."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return session.client(
        service,
        endpoint_url=emulator.url,
        config=Config(retries={"total_max_attempts": 1}, user_agent_extra="aws-sdk-rust/1.0", read_timeout=60),
    )


def in_background(call: Any) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:  # the held call's connection is reset
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_killpoint_holds_the_call_and_everything_after(emulator: EmulatorClient) -> None:
    ec2 = provider_like(emulator, "ec2")
    observer = emulator.client("ec2")
    armed = emulator.arm_killpoint("ec2", "CreateVpc", after=2)
    assert armed["armed"]["action"] == "CreateVpc" and not armed["fired"], armed

    ec2.create_vpc(CidrBlock="10.1.0.0/16")  # the first: answered
    assert not emulator.wait_killpoint(0)["fired"]
    first, first_outcome = in_background(lambda: ec2.create_vpc(CidrBlock="10.2.0.0/16"))
    report = emulator.wait_killpoint(10)
    assert report["fired"] and report["seen"] == 2, report
    # Carried out: the observer (never held) sees both VPCs; the answer is held.
    cidrs = {v["CidrBlock"] for v in observer.describe_vpcs()["Vpcs"]}
    assert {"10.1.0.0/16", "10.2.0.0/16"} <= cidrs, cidrs
    assert first.is_alive()
    # A later provider call is held before moto: never carried out.
    later, later_outcome = in_background(lambda: ec2.create_vpc(CidrBlock="10.3.0.0/16"))
    time.sleep(0.5)
    assert later.is_alive()
    assert emulator.wait_killpoint(0)["held"] == 2
    emulator.release_killpoint()
    first.join(10)
    later.join(10)
    for outcome in (first_outcome, later_outcome):
        assert outcome and isinstance(outcome[0], (ConnectionClosedError, EndpointConnectionError, ReadTimeoutError)), outcome
    assert "10.3.0.0/16" not in {v["CidrBlock"] for v in observer.describe_vpcs()["Vpcs"]}
    # Disarmed: the provider is answered again.
    assert ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["CidrBlock"] == "10.4.0.0/16"
    held = [c for c in emulator.calls() if c.get("killpoint") == "held"]
    assert [c["action"] for c in held] == ["CreateVpc"], held


def test_killpoint_ignores_failed_calls_and_other_clients(emulator: EmulatorClient) -> None:
    emulator.arm_killpoint("ec2", "CreateVpc")
    emulator.client("ec2").create_vpc(CidrBlock="10.5.0.0/16")  # the tests' own client
    with pytest.raises(Exception):
        provider_like(emulator, "ec2").create_vpc(CidrBlock="not-a-cidr")
    report = emulator.wait_killpoint(0)
    assert not report["fired"] and report["seen"] == 0, report
    emulator.reset()
    assert emulator.wait_killpoint(0)["armed"] is None


@pytest.mark.parametrize(
    "recorded, operation",
    [
        ("POST /clusters", "CreateCluster"),
        ("POST /clusters/c/node-groups", "CreateNodegroup"),
        ("DELETE /clusters/c/node-groups/worker", "DeleteNodegroup"),
        ("POST /clusters/c/updates", "UpdateClusterVersion"),
        ("POST /clusters/c/node-groups/w/update-version", "UpdateNodegroupVersion"),
        ("POST /clusters/c/access-entries/arn:aws:iam::123456789012:role/admin/access-policies", "AssociateAccessPolicy"),
        ("GET /clusters/c/access-entries/arn:aws:iam::123456789012:role/admin/access-policies", "ListAssociatedAccessPolicies"),
        ("DELETE /clusters/c/access-entries/arn:aws:iam::123456789012:role/admin", "DeleteAccessEntry"),
        ("DELETE /tags/arn:aws:eks:us-east-1:123456789012:cluster/c", "UntagResource"),
    ],
)
def test_rest_calls_are_named_by_operation(recorded: str, operation: str) -> None:
    assert operation_name("eks", recorded) == operation
    assert operation_name("ec2", "CreateVpc") == "CreateVpc"


def test_mutating() -> None:
    assert mutating("CreateVpc") and mutating("UntagResource") and mutating("ScheduleKeyDeletion")
    assert not mutating("DescribeVpcs") and not mutating("ListAssociatedAccessPolicies") and not mutating("GetBucketPolicy")
