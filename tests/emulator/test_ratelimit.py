"""Checks of the emulator's AWS rate limits (tests/support/ratelimit.py): a burst beyond
a bucket is refused with each service's own throttling error, buckets refill at their
rate, EC2's categories (and actions) have buckets of their own, and the limits are off
unless turned on."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from tests.support import ratelimit
from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.emulator

# One cheap call per limited service: (service, bucket, call).
CALLS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "ec2": ("ec2:non-mutating", lambda c: c.describe_vpcs()),
    "eks": ("eks", lambda c: c.list_clusters()),
    "rds": ("rds", lambda c: c.describe_db_instances()),
    "iam": ("iam", lambda c: c.list_roles()),
    "elasticache": ("elasticache", lambda c: c.describe_cache_clusters()),
}

# What AWS answers a throttled call with: (HTTP status, code, message).
EXPECTED = {
    "ec2": (503, "RequestLimitExceeded", "Request limit exceeded."),
    "eks": (429, "ThrottlingException", "Rate exceeded"),
    "rds": (400, "Throttling", "Rate exceeded"),
    "iam": (400, "Throttling", "Rate exceeded"),
    "elasticache": (400, "Throttling", "Rate exceeded"),
}


def burst(call: Callable[[], Any], limit: int) -> tuple[int, ClientError | None]:
    """Calls until one is refused (at most ``limit`` times): (calls let through, the
    refusal or None)."""
    for n in range(limit):
        try:
            call()
        except ClientError as error:
            return n, error
    return limit, None


def throttled(error: ClientError | None) -> tuple[int, str, str]:
    assert error is not None, "no call was refused"
    return (
        error.response["ResponseMetadata"]["HTTPStatusCode"],
        error.response["Error"]["Code"],
        error.response["Error"]["Message"],
    )


@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_burst_beyond_the_bucket_is_refused_in_the_services_protocol(emulator: EmulatorClient, service: str) -> None:
    bucket, call = CALLS[service]
    emulator.set_rate_limits(buckets={bucket: {"size": 3, "refill": 0}})
    client = emulator.client(service, observer=False)
    allowed, error = burst(lambda: call(client), 10)
    assert allowed == 3
    assert throttled(error) == EXPECTED[service]
    report = emulator.rate_limits()
    assert report["refused"] == {bucket: 1} and report["allowed"] == {bucket: 3}, report
    assert report["refused_total"] == 1
    # Recorded like every call, with the status AWS answered.
    statuses = [c["status"] for c in emulator.calls() if c["service"] == service]
    assert statuses == [200, 200, 200, EXPECTED[service][0]], statuses


@pytest.mark.parametrize(
    ("service", "call", "size"),
    [
        ("ec2", lambda c: c.describe_vpcs(), 100),  # non-mutating
        ("ec2", lambda c: c.describe_security_groups(), 50),  # unfiltered and unpaginated
        ("eks", lambda c: c.list_clusters(), 50),
    ],
    ids=["ec2-non-mutating", "ec2-unfiltered", "eks"],
)
def test_the_default_buckets_hold_the_documented_burst(
    emulator: EmulatorClient, service: str, call: Callable[[Any], Any], size: int
) -> None:
    """With refills all but stopped, a burst gets exactly the bucket's size through."""
    emulator.set_rate_limits(scale=1e-9)
    client = emulator.client(service, observer=False)
    allowed, error = burst(lambda: call(client), size + 5)
    assert allowed == size
    assert throttled(error)[1] == EXPECTED[service][1]


@pytest.mark.parametrize(("refill", "scale"), [(4, 1.0), (2, 3.0)])
def test_an_empty_bucket_refills_at_its_rate_times_the_scale(
    emulator: EmulatorClient, refill: float, scale: float
) -> None:
    rate = refill * scale
    emulator.set_rate_limits(scale=scale, buckets={"eks": {"size": 20, "refill": refill}})
    client = emulator.client("eks", observer=False)
    # Drain it (refilling meanwhile at `rate`): then it is empty.
    drained, error = burst(client.list_clusters, 200)
    assert error is not None and drained >= 20
    emptied = time.monotonic()
    time.sleep(1.5)
    allowed, error = burst(client.list_clusters, 200)
    elapsed = time.monotonic() - emptied
    assert error is not None
    # 1.5 s of refill at least, and no more than the time up to the refusal gave.
    assert int(1.5 * rate) - 1 <= allowed <= elapsed * rate + 1, (allowed, elapsed, rate)


def test_ec2_describe_mutating_and_unfiltered_buckets_are_separate(emulator: EmulatorClient) -> None:
    emulator.set_rate_limits(
        buckets={
            "ec2:non-mutating": {"size": 2, "refill": 0},
            "ec2:mutating": {"size": 2, "refill": 0},
            "ec2:unfiltered": {"size": 1, "refill": 0},
        }
    )
    ec2 = emulator.client("ec2", observer=False)
    assert burst(ec2.describe_vpcs, 5)[0] == 2
    # Mutating calls have their own tokens, untouched by the describes.
    assert burst(lambda: ec2.create_vpc(CidrBlock="10.1.0.0/16"), 5)[0] == 2
    # DescribeSecurityGroups unfiltered takes from the small bucket; filtered (or
    # paginated), from the non-mutating bucket of its own action.
    assert burst(ec2.describe_security_groups, 5)[0] == 1
    filters = [{"Name": "group-name", "Values": ["default"]}]
    assert burst(lambda: ec2.describe_security_groups(Filters=filters), 5)[0] == 2
    assert burst(lambda: ec2.describe_security_groups(MaxResults=5), 5)[0] == 0
    report = emulator.rate_limits()
    assert report["refused"] == {
        "ec2:non-mutating": 3,
        "ec2:mutating": 1,
        "ec2:unfiltered": 1,
    }, report
    assert report["refused_by_action"] == {
        "ec2:DescribeVpcs": 1,
        "ec2:CreateVpc": 1,
        "ec2:DescribeSecurityGroups": 3,
    }, report


def test_each_ec2_action_has_its_own_bucket_unless_shared(emulator: EmulatorClient) -> None:
    """AWS evaluates each API on its own: a throttled DescribeVpcs leaves DescribeSubnets
    alone. With ``ec2_per_action`` false the actions of a category share one bucket."""
    ec2 = emulator.client("ec2", observer=False)
    emulator.set_rate_limits(buckets={"ec2:non-mutating": {"size": 2, "refill": 0}})
    assert burst(ec2.describe_vpcs, 5)[0] == 2
    assert burst(ec2.describe_subnets, 5)[0] == 2
    emulator.set_rate_limits(buckets={"ec2:non-mutating": {"size": 2, "refill": 0}}, ec2_per_action=False)
    assert burst(ec2.describe_vpcs, 5)[0] == 2
    assert burst(ec2.describe_subnets, 5)[0] == 0


def test_an_uncategorized_ec2_action_has_the_figures_aws_gives_it(emulator: EmulatorClient) -> None:
    """CreateVpcEndpoint: 4 tokens, 0.3 a second, whatever the mutating bucket holds."""
    emulator.set_rate_limits(buckets={"ec2:mutating": {"size": 1000, "refill": 0}})
    ec2 = emulator.client("ec2", observer=False)
    vpc_id = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]

    def create_endpoint() -> None:
        ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway")

    allowed, error = burst(create_endpoint, 10)
    assert allowed == ratelimit.EC2_ACTIONS["CreateVpcEndpoint"][0] == 4
    assert throttled(error)[1] == "RequestLimitExceeded"
    assert emulator.rate_limits()["refused"] == {"ec2:CreateVpcEndpoint": 1}


def test_off_by_default_and_after_reset(emulator: EmulatorClient) -> None:
    ec2 = emulator.client("ec2", observer=False)
    assert emulator.rate_limits()["enabled"] is False
    assert burst(lambda: ec2.create_vpc(CidrBlock="10.3.0.0/16"), 60) == (60, None)
    emulator.set_rate_limits(buckets={"ec2:mutating": {"size": 1, "refill": 0}})
    assert burst(lambda: ec2.create_vpc(CidrBlock="10.3.0.0/16"), 3)[0] == 1
    emulator.reset()
    report = emulator.rate_limits()
    assert report["enabled"] is False and report["refused"] == {}, report
    assert burst(lambda: ec2.create_vpc(CidrBlock="10.3.0.0/16"), 60) == (60, None)
    # Turned off explicitly, too.
    emulator.set_rate_limits(enabled=False, buckets={"ec2:mutating": {"size": 1, "refill": 0}})
    assert burst(lambda: ec2.create_vpc(CidrBlock="10.3.0.0/16"), 5) == (5, None)


def test_the_tests_own_observer_clients_are_never_limited(emulator: EmulatorClient) -> None:
    emulator.set_rate_limits(buckets={"eks": {"size": 1, "refill": 0}})
    assert burst(emulator.client("eks").list_clusters, 10) == (10, None)
    assert burst(emulator.client("eks", observer=False).list_clusters, 10)[0] == 1


def test_a_bucket_for_another_service_can_be_added(emulator: EmulatorClient) -> None:
    sts = emulator.client("sts", observer=False)
    assert burst(sts.get_caller_identity, 5) == (5, None)
    emulator.set_rate_limits(buckets={"sts": {"size": 2, "refill": 0}})
    allowed, error = burst(sts.get_caller_identity, 5)
    assert allowed == 2 and throttled(error)[:2] == (400, "Throttling")


@pytest.mark.parametrize(
    "payload",
    [
        {"scale": 0},
        {"scale": "fast"},
        {"enabled": "yes"},
        {"buckets": {"ec2:mutating": {"size": 0}}},
        {"buckets": {"ec2:mutating": {"refill": -1}}},
        {"buckets": {"ec2:mutating": {"burst": 5}}},
        {"buckets": {"ec2:mutatin": {"size": 5, "refill": 1}}},
        {"buckets": {"rds:writes": {"size": 5, "refill": 1}}},
        {"buckets": {"sts": {"size": 5}}},
        {"buckets": {"ec2": {"size": 5, "refill": 1}}},
        {"rate": 1},
    ],
)
def test_a_bad_setting_is_refused_and_changes_nothing(emulator: EmulatorClient, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(
        emulator.url + "/_ode/ratelimit",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 400
    assert emulator.rate_limits()["enabled"] is False


def test_the_report_names_the_figures_in_force(emulator: EmulatorClient) -> None:
    report = emulator.set_rate_limits(scale=0.5, buckets={"ec2:mutating": {"size": 200}})
    assert report["enabled"] is True and report["scale"] == 0.5
    # A bucket given only a size keeps its documented refill rate.
    assert report["buckets"]["ec2:mutating"] == {"size": 200, "refill": ratelimit.EC2_CATEGORIES["ec2:mutating"][1]}
    assert report["buckets"]["rds"] == {"size": 300, "refill": 12}
    assert set(report["buckets"]) == set(ratelimit.DEFAULT_BUCKETS)


def test_an_ec2_action_can_be_given_a_bucket_of_its_own(emulator: EmulatorClient) -> None:
    emulator.set_rate_limits(buckets={"ec2:CreateVpc": {"size": 1, "refill": 0}})
    ec2 = emulator.client("ec2", observer=False)
    vpc_id = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    assert burst(lambda: ec2.create_vpc(CidrBlock="10.4.0.0/16"), 3)[0] == 0
    # Other mutating actions keep the mutating bucket's tokens.
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.4.0.0/24")
    assert emulator.rate_limits()["refused"] == {"ec2:CreateVpc": 1}
