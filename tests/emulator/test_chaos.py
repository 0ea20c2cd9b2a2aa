"""Checks of the emulator's chaos (tests/support/chaos.py): faults at a steady rate, in
each service's own protocol, resets before and after moto, the counts, and what chaos
never touches."""

from __future__ import annotations

import json
import math
import socket
import urllib.error
import urllib.request
from collections import Counter

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from tests.support import chaos
from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.emulator

CALLS = {
    "ec2": lambda c: c.describe_vpcs(),
    "sts": lambda c: c.get_caller_identity(),
    "iam": lambda c: c.list_roles(),
    "rds": lambda c: c.describe_db_instances(),
    "dynamodb": lambda c: c.list_tables(),
    "kms": lambda c: c.list_keys(),
    "logs": lambda c: c.describe_log_groups(),
    "ecr": lambda c: c.describe_repositories(),
    "eks": lambda c: c.list_clusters(),
    "s3": lambda c: c.list_buckets(),
}

# What AWS answers, by service and kind: (HTTP status, error code). Throttling as each
# protocol spells it; the 500 codes of the services' models (botocore) where they name one.
EXPECTED = {
    "ec2": {"throttle": (503, "RequestLimitExceeded"), "internal": (500, "InternalError"), "unavailable": (503, "ServiceUnavailable")},
    "sts": {"throttle": (400, "Throttling"), "internal": (500, "InternalFailure"), "unavailable": (503, "ServiceUnavailable")},
    "iam": {"throttle": (400, "Throttling"), "internal": (500, "ServiceFailure"), "unavailable": (503, "ServiceUnavailable")},
    "rds": {"throttle": (400, "Throttling"), "internal": (500, "InternalFailure"), "unavailable": (503, "ServiceUnavailable")},
    "dynamodb": {"throttle": (400, "ThrottlingException"), "internal": (500, "InternalServerError"), "unavailable": (503, "ServiceUnavailable")},
    "kms": {"throttle": (400, "ThrottlingException"), "internal": (500, "KMSInternalException"), "unavailable": (503, "ServiceUnavailable")},
    "logs": {"throttle": (400, "ThrottlingException"), "internal": (500, "InternalServerException"), "unavailable": (503, "ServiceUnavailableException")},
    "ecr": {"throttle": (400, "ThrottlingException"), "internal": (500, "InternalFailure"), "unavailable": (503, "ServiceUnavailable")},
    "eks": {"throttle": (429, "ThrottlingException"), "internal": (500, "ServerException"), "unavailable": (503, "ServiceUnavailableException")},
    "s3": {"throttle": (503, "SlowDown"), "internal": (500, "InternalError"), "unavailable": (503, "ServiceUnavailable")},
}


def only(kind: str) -> dict[str, float]:
    return {kind: 1.0}


@pytest.mark.parametrize("kind", chaos.ERROR_KINDS)
@pytest.mark.parametrize("service", sorted(CALLS))
def test_errors_in_each_services_protocol(emulator: EmulatorClient, service: str, kind: str) -> None:
    """botocore reads each injected error as the service's own: code, status, message."""
    emulator.set_chaos(1.0, mix=only(kind))
    with pytest.raises(ClientError) as info:
        CALLS[service](emulator.client(service, observer=False))
    error = info.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == EXPECTED[service][kind]
    assert error["Error"]["Message"] == chaos.MESSAGE
    assert error["ResponseMetadata"]["RequestId"]
    [call] = emulator.calls()
    assert call["chaos"] == kind and call["status"] == EXPECTED[service][kind][0], call


def test_reset_before_never_reaches_moto(emulator: EmulatorClient) -> None:
    emulator.set_chaos(1.0, mix=only("reset-before"))
    with pytest.raises(ConnectionClosedError):
        emulator.client("ec2", observer=False).create_vpc(CidrBlock="10.7.0.0/16")
    emulator.set_chaos(0)
    vpcs = emulator.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.7.0.0/16"]}])["Vpcs"]
    assert vpcs == []
    [call, _] = emulator.calls()
    assert (call["action"], call["status"], call["chaos"]) == ("CreateVpc", 0, "reset-before"), call


def test_reset_after_carries_the_call_out_unheard(emulator: EmulatorClient) -> None:
    """The create is done, the client only sees its connection go: its retry would make
    a second VPC."""
    emulator.set_chaos(1.0, mix=only("reset-after"))
    with pytest.raises(ConnectionClosedError):
        emulator.client("ec2", observer=False).create_vpc(CidrBlock="10.7.0.0/16")
    emulator.set_chaos(0)
    vpcs = emulator.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.7.0.0/16"]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    [call, _] = emulator.calls()
    assert (call["action"], call["status"], call["chaos"]) == ("CreateVpc", 200, "reset-after"), call


@pytest.mark.parametrize("kind", chaos.RESET_KINDS)
def test_a_reset_is_an_rst_with_nothing_sent(emulator: EmulatorClient, kind: str) -> None:
    emulator.set_chaos(1.0, mix=only(kind))
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    request = (
        b"POST / HTTP/1.1\r\nHost: sts.amazonaws.com\r\n"
        b"Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request, "
        b"SignedHeaders=host, Signature=0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as sock:
        sock.sendall(request)
        with pytest.raises(ConnectionResetError):
            received = sock.recv(1024)
            pytest.fail(f"received {received!r} instead of a reset")
    assert emulator.chaos()["by_kind"][kind] == 1


def test_rate_is_a_share_and_a_seed_repeats_itself(emulator: EmulatorClient) -> None:
    sts = emulator.client("sts", observer=False)

    def statuses(seed: int) -> list[int]:
        emulator.reset_calls()
        emulator.set_chaos(0.3, seed=seed, mix=only("throttle"))
        for _ in range(200):
            try:
                sts.get_caller_identity()
            except ClientError:
                pass
        return [c["status"] for c in emulator.calls()]

    first = statuses(7)
    faults = first.count(400)
    # Binomial(200, 0.3): mean 60, standard deviation 6.5.
    assert 30 <= faults <= 90, faults
    assert set(first) == {200, 400}
    assert emulator.chaos()["faults"] == faults and emulator.chaos()["calls"] == 200
    assert statuses(7) == first
    assert statuses(8) != first


def test_the_mix_sets_the_share_of_each_kind(emulator: EmulatorClient) -> None:
    emulator.set_chaos(1.0, seed=3)
    sts = emulator.client("sts", observer=False)
    n = 400
    for _ in range(n):
        with pytest.raises((ClientError, ConnectionClosedError)):
            sts.get_caller_identity()
    report = emulator.chaos()
    assert report["faults"] == n and report["mix"] == dict(chaos.DEFAULT_MIX)
    for kind, share in chaos.DEFAULT_MIX.items():
        spread = 5 * math.sqrt(n * share * (1 - share))
        assert abs(report["by_kind"][kind] - n * share) < spread, (kind, report["by_kind"])
    assert Counter(c["chaos"] for c in emulator.calls()) == {k: v for k, v in report["by_kind"].items() if v}


def test_observers_control_endpoints_and_other_clients_are_left_alone(emulator: EmulatorClient) -> None:
    emulator.set_chaos(1.0)
    for _ in range(20):
        emulator.client("sts").get_caller_identity()  # the tests' own client
    assert emulator.calls() and emulator.api_models()["requests"]
    with urllib.request.urlopen(emulator.url + "/moto-api/data.json", timeout=30) as response:
        assert response.status == 200
    assert emulator.chaos()["calls"] == 0

    # Only the clients named: boto3's User-Agent starts with "Boto3/".
    emulator.set_chaos(1.0, mix=only("throttle"), clients=["aws-sdk-rust"])
    emulator.client("sts", observer=False).get_caller_identity()
    emulator.set_chaos(1.0, mix=only("throttle"), clients=["Boto3"])
    with pytest.raises(ClientError):
        emulator.client("sts", observer=False).get_caller_identity()
    assert emulator.chaos()["faults"] == 1


def test_one_fault_aimed_at_one_operation(emulator: EmulatorClient) -> None:
    """``actions`` and ``limit`` reproduce one fault a run met: here the second VPC a
    retried CreateVpc leaves behind."""
    emulator.set_chaos(1.0, mix=only("reset-after"), actions=["ec2:CreateVpc"], limit=1)
    ec2 = emulator.client("ec2", observer=False)
    ec2.describe_vpcs()
    with pytest.raises(ConnectionClosedError):
        ec2.create_vpc(CidrBlock="10.7.0.0/16")
    ec2.create_vpc(CidrBlock="10.7.0.0/16")  # the limit is reached: answered
    report = emulator.chaos()
    assert (report["calls"], report["faults"], report["retried"]) == (2, 1, 1)
    assert [(c["action"], c.get("chaos")) for c in emulator.calls()] == [
        ("DescribeVpcs", None),
        ("CreateVpc", "reset-after"),
        ("CreateVpc", None),
    ]
    vpcs = emulator.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.7.0.0/16"]}])["Vpcs"]
    assert len(vpcs) == 2, vpcs


def test_counts_by_service_action_and_retries(emulator: EmulatorClient) -> None:
    emulator.set_chaos(1.0, mix=only("throttle"))
    ec2, s3 = emulator.client("ec2", observer=False), emulator.client("s3", observer=False)
    for call in (ec2.describe_vpcs, ec2.describe_vpcs, ec2.describe_vpcs, s3.list_buckets):
        with pytest.raises(ClientError):
            call()
    report = emulator.chaos()
    assert report["calls"] == 4 and report["faults"] == 4
    assert report["by_service"] == {
        "ec2": {"throttle": 3, "internal": 0, "unavailable": 0, "reset-before": 0, "reset-after": 0},
        "s3": {"throttle": 1, "internal": 0, "unavailable": 0, "reset-before": 0, "reset-after": 0},
    }
    assert {a: c["throttle"] for a, c in report["by_action"].items()} == {"ec2:DescribeVpcs": 3, "s3:ListBuckets": 1}
    assert [(f["service"], f["action"], f["kind"]) for f in report["log"]] == [
        ("ec2", "DescribeVpcs", "throttle"),
        ("ec2", "DescribeVpcs", "throttle"),
        ("ec2", "DescribeVpcs", "throttle"),
        ("s3", "ListBuckets", "throttle"),
    ]
    # The second and third DescribeVpcs follow a faulted one; the last of each did not get a retry.
    assert (report["retried"], report["not_retried"]) == (2, 2)
    # Setting chaos again counts afresh; at rate 0 nothing is counted.
    emulator.set_chaos(0.0)
    ec2.describe_vpcs()
    assert emulator.chaos()["calls"] == 0


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"rate": 1.5}, "rate"),
        ({"rate": -0.1}, "rate"),
        ({"rate": "0.1"}, "rate"),
        ({"seed": 1}, "rate"),
        ({"rate": 0.1, "seed": "x"}, "seed"),
        ({"rate": 0.1, "mix": {"throttle": 1, "flood": 1}}, "mix"),
        ({"rate": 0.1, "mix": {"throttle": -1}}, "mix.throttle"),
        ({"rate": 0.1, "mix": {"throttle": 0}}, "mix"),
        ({"rate": 0.1, "clients": "aws-sdk-rust"}, "clients"),
        ({"rate": 0.1, "latency": 3}, "latency"),
        ({"rate": 0.1, "actions": ["CreateVpc"]}, "actions"),
        ({"rate": 0.1, "actions": "ec2:CreateVpc"}, "actions"),
        ({"rate": 0.1, "limit": -1}, "limit"),
        ({"rate": 0.1, "limit": 1.5}, "limit"),
    ],
)
def test_bad_settings_are_refused(emulator: EmulatorClient, payload: dict, named: str) -> None:
    emulator.set_chaos(0.5, seed=1)
    request = urllib.request.Request(
        emulator.url + "/_ode/chaos", data=json.dumps(payload).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
    assert named in json.load(refused.value)["error"]
    assert (emulator.chaos()["rate"], emulator.chaos()["seed"]) == (0.5, 1), "a refused setting changed chaos"


def test_reset_turns_chaos_off(emulator: EmulatorClient) -> None:
    emulator.set_chaos(1.0, mix=only("throttle"))
    with pytest.raises(ClientError):
        emulator.client("sts", observer=False).get_caller_identity()
    emulator.reset()
    emulator.client("sts", observer=False).get_caller_identity()
    report = emulator.chaos()
    assert (report["rate"], report["calls"], report["faults"]) == (0.0, 0, 0)


def test_summary_adds_up_scenarios() -> None:
    """The session summary (tests/conftest.py): per scenario, then added up."""

    def report(calls: int, by_kind: dict[str, int], retried: int) -> dict:
        counts = {k: by_kind.get(k, 0) for k in chaos.KINDS}
        return {
            "calls": calls,
            "faults": sum(counts.values()),
            "by_kind": counts,
            "by_service": {"ec2": counts},
            "by_action": {"ec2:CreateVpc": counts},
            "retried": retried,
        }

    summary = chaos.Summary(0.15, ["aws-sdk-rust"])
    summary.add("a[tofu]", "setup", "passed", 1.0, None, "")
    summary.add("a[tofu]", "call", "passed", 10.0, None, "")
    summary.add("a[tofu]", "teardown", "passed", 0.5, report(40, {"throttle": 4, "reset-after": 2}, 6), "")
    summary.add("b[tofu]", "call", "failed", 3.0, None, "def test():\nE   AssertionError: two route tables\nmore")
    summary.add("b[tofu]", "teardown", "passed", 0.1, report(10, {"internal": 1}, 0), "")
    summary.add("c[tofu]", "call", "passed", 1.0, None, "")
    summary.add("c[tofu]", "call", "passed", 0.7, None, "", subtest=True)
    totals = summary.totals()
    assert totals["scenarios"] == 2 and totals["passed"] == 1 and totals["failed"] == ["b[tofu]"]
    assert totals["without_chaos"] == ["c[tofu]"]
    assert (totals["calls"], totals["faults"], totals["retried"], totals["not_retried"]) == (50, 7, 6, 1)
    assert totals["by_kind"]["throttle"] == 4 and totals["by_action"]["ec2:CreateVpc"]["internal"] == 1
    assert totals["per_scenario"]["a[tofu]"]["duration_s"] == 11.5
    assert summary.scenarios["c[tofu]"]["duration_s"] == 1.0
    text = "\n".join(summary.lines())
    assert "2 scenarios (1 passed, 1 failed), 1 tests without chaos" in text
    assert "7 faults injected into 50 AWS calls" in text
    assert "b[tofu]: AssertionError: two route tables" in text


def test_summary_reports_the_checks_after_each_scenario() -> None:
    """Leaks and overruns found after a scenario (tests/conftest.py) reach the totals
    and the terminal; faults and retries are counted per scenario."""
    counts = {k: 0 for k in chaos.KINDS} | {"throttle": 3}
    report = {"calls": 20, "faults": 3, "by_kind": counts, "by_service": {}, "by_action": {}, "retried": 2}
    summary = chaos.Summary(0.15, ["aws-sdk-rust"])
    summary.add("a[tofu]", "call", "passed", 4.0, None, "")
    checks = {
        "leak_checked": True,
        "leaks": ["ec2 vpc vpc-1 (ode:stack=a)"],
        "overruns": ["apply took 30.0s, longer than its timeouts (25s)"],
        "commands": [{"command": "apply", "exit": 0, "seconds": 30.0}],
    }
    summary.add("a[tofu]", "teardown", "failed", 0.5, report, "E   Failed: left behind", checks=checks)
    summary.add("b[tofu]", "teardown", "passed", 0.1, report, "", checks={**checks, "leaks": [], "overruns": []})
    totals = summary.totals()
    assert totals["leak_checked"] == 2
    assert totals["leaks"] == {"a[tofu]": ["ec2 vpc vpc-1 (ode:stack=a)"]}
    assert list(totals["overruns"]) == ["a[tofu]"]
    assert totals["failed"] == ["a[tofu]"] and totals["per_scenario"]["a[tofu]"]["outcome"] == "error in teardown"
    scenario = totals["per_scenario"]["b[tofu]"]
    assert (scenario["faults"], scenario["retried"], scenario["not_retried"]) == (3, 2, 1)
    text = "\n".join(summary.lines())
    assert "leaks: 2 scenarios ended in a destroy and were checked, 1 left objects of the provider's behind" in text
    assert "leaked: a[tofu]: ec2 vpc vpc-1 (ode:stack=a)" in text
    assert "over its timeouts: a[tofu]: apply took 30.0s" in text
