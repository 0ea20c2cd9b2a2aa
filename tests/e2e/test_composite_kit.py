"""End-to-end scenarios for what every composite resource shares (provider/src/kit):
claim-safe adoption, cancellation, propagation retries and permission errors.

Each scenario runs through a real core against the emulator and ends with a destroy
and a check that nothing tagged for the stack is left.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.test_network import (
    ADDRESS,
    NAME,
    assert_no_changes,
    assert_seed_in_emulator,
    assert_seed_outputs,
    assert_stack_complete,
    destroy_and_check,
    ec2_calls,
    live_nats,
    network,
    network_config,
    only_default_vpc,
    stack_children,
    tags_line,
    wait_for_call,
)
from tests.support.core import Core, finish, write_config
from tests.support.diagnostics import apply_errors, destroy_errors
from tests.support.emulator import EmulatorClient
from tests.support.helpers import assert_emulator_empty, provider_block

pytestmark = pytest.mark.e2e

REQUEST_ID = re.compile(r"request id [0-9a-f-]{36}")


def snapshot(emulator: EmulatorClient) -> dict[str, str]:
    """{ode:key: object id} of every live object of the stack."""
    return {key: object_id for _, object_id, key, _ in stack_children(emulator, NAME)}


def start(core: Core, workdir: Path) -> subprocess.Popen:
    """Start ``core apply`` in the background."""
    return core.start(workdir, "apply", "-input=false", "-auto-approve")


# -- claims --------------------------------------------------------------------------


def test_network_same_name_two_states(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    """A second root module with the same name cannot capture (and prune) the first's network."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_config(first, network_config(emulator, tags_line()))
    core.init(first)
    core.apply(first)
    net = network(core, first)
    before = snapshot(emulator)
    nat_states = {n: v["State"] for n, v in live_nats(emulator, net["vpc_id"]).items()}

    write_config(second, network_config(emulator, "  az_count = 2\n"))
    core.init(second)
    emulator.reset_calls()
    refused = apply_errors(core, second)
    assert refused.failed, refused.describe()
    taken = [d for d in refused.errors if d.says(f'Network name "{NAME}" is taken')]
    assert taken, refused.describe()
    error = taken[0]
    assert net["vpc_id"] in error.detail and "terraform import" in error.detail, refused.describe()
    assert "another Terraform state" in error.detail, refused.describe()
    # The error points at the name; nothing was created, changed or deleted.
    assert error.range is not None and error.range.filename == "main.tf", refused.describe()
    writes = [a for a in ec2_calls(emulator) if not a.startswith("Describe")]
    assert not writes, writes
    assert core.run(second, "state", "list").stdout.strip() == ""
    assert snapshot(emulator) == before
    assert {n: v["State"] for n, v in live_nats(emulator, net["vpc_id"]).items()} == nat_states
    assert_seed_in_emulator(emulator, net)
    assert_no_changes(core, first)
    destroy_and_check(core, emulator, first)


def test_network_concurrent_create(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    """Two first applies of one name at once: one network, one clean failure."""
    dirs = [tmp_path / "a", tmp_path / "b"]
    for d in dirs:
        d.mkdir()
        write_config(d, network_config(emulator, tags_line()))
        core.init(d)
    # A little latency widens the window in which both look before either creates.
    emulator.set_latency(20)
    try:
        procs = [start(core, d) for d in dirs]
        results = [finish(p) for p in procs]
    finally:
        emulator.set_latency(0)
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1], "\n\n".join(r.describe() for r in results)
    winner, loser = (0, 1) if results[0].returncode == 0 else (1, 0)
    said = re.sub(r"\s+", " ", results[loser].output)
    assert f'Network name "{NAME}" is taken' in said, results[loser].describe()
    vpcs = [v["VpcId"] for v in emulator.client("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    assert len(vpcs) == 1, vpcs
    net = network(core, dirs[winner])
    assert net["vpc_id"] == vpcs[0]
    assert_stack_complete(emulator)
    assert_seed_outputs(net)
    assert core.run(dirs[loser], "state", "list").stdout.strip() == ""
    assert_no_changes(core, dirs[winner])
    destroy_and_check(core, emulator, dirs[winner])


# -- cancellation --------------------------------------------------------------------


def test_apply_interrupted(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Ctrl-C while the provider waits for NAT gateways: the core exits promptly, state
    records what exists, and a re-apply converges without duplicates."""
    write_config(workdir, network_config(emulator, tags_line()))
    core.init(workdir)
    emulator.set_transitions(nat_gateway_pending_s=600)
    emulator.reset_calls()
    proc = start(core, workdir)
    try:
        wait_for_call(emulator, proc, "CreateNatGateway")
        # The waiter polls the pending gateways: the apply is inside the wait.
        deadline = time.monotonic() + 60
        while ec2_calls(emulator).count("DescribeNatGateways") < 1:
            assert proc.poll() is None and time.monotonic() < deadline, "no NAT wait started"
            time.sleep(0.05)
        interrupted_at = time.monotonic()
        proc.send_signal(signal.SIGINT)
        result = finish(proc)
        took = time.monotonic() - interrupted_at
    finally:
        emulator.set_transitions(nat_gateway_pending_s=0)
    print(f"{core.name}: the core exited {took:.1f} s after SIGINT")
    assert result.returncode != 0, result.describe()
    assert took < 10, f"the core took {took:.1f} s to stop\n{result.describe()}"
    assert "stopped on request" in re.sub(r"\s+", " ", result.output), result.describe()
    # Nothing created is forgotten: the network is in state, with its VPC.
    assert core.run(workdir, "state", "list").stdout.split() == [ADDRESS]
    left = snapshot(emulator)
    assert core.state_resource(workdir, ADDRESS)["vpc_id"] == left["vpc"]

    core.apply(workdir)
    net = network(core, workdir)
    assert_stack_complete(emulator)
    assert_seed_outputs(net)
    assert_seed_in_emulator(emulator, net)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


@pytest.mark.no_chaos
def test_stalled_poll_ends_at_ctrl_c_and_at_the_deadline(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A status poll that hangs (the emulator holds the waiter's DescribeNatGateways open
    for an hour) ends at Ctrl-C within seconds, and without Ctrl-C at the create
    deadline with an error naming the wait; each time state records what exists and a
    re-apply converges."""
    write_config(workdir, network_config(emulator, tags_line()))
    core.init(workdir)
    emulator.reset_calls()
    # New gateways stay pending, so the provider waits; its first poll hangs.
    emulator.set_transitions(nat_gateway_pending_s=600)
    emulator.hold("ec2", "DescribeNatGateways", 3600)
    proc = start(core, workdir)
    try:
        wait_for_call(emulator, proc, "CreateNatGateway")
        time.sleep(2)  # the waiter's first poll is sent (and held) within half a second
        interrupted_at = time.monotonic()
        proc.send_signal(signal.SIGINT)
        result = finish(proc)
        took = time.monotonic() - interrupted_at
    finally:
        emulator.set_transitions(nat_gateway_pending_s=0)
    print(f"{core.name}: the core exited {took:.1f} s after SIGINT during a held poll")
    assert result.returncode != 0 and took < 10, f"took {took:.1f} s\n{result.describe()}"
    assert "stopped on request" in re.sub(r"\s+", " ", result.output), result.describe()
    assert core.run(workdir, "state", "list").stdout.split() == [ADDRESS]
    core.apply(workdir)
    assert_no_changes(core, workdir)
    core.destroy(workdir)

    # The same hang with a 25 s create deadline and no Ctrl-C.
    write_config(workdir, network_config(emulator, tags_line() + '  timeouts {\n    create = "25s"\n  }\n'))
    emulator.reset_calls()
    emulator.set_transitions(nat_gateway_pending_s=600)
    emulator.hold("ec2", "DescribeNatGateways", 3600)
    started = time.monotonic()
    try:
        failed = core.run(workdir, "apply", "-auto-approve", "-input=false", check=False)
    finally:
        emulator.set_transitions(nat_gateway_pending_s=0)
    took = time.monotonic() - started
    said = re.sub(r"\s+", " ", failed.output)
    assert failed.returncode != 0 and took < 60, f"took {took:.1f} s\n{failed.describe()}"
    assert "no answer before the deadline while waiting for NAT gateway(s)" in said, failed.describe()
    assert core.run(workdir, "state", "list").stdout.split() == [ADDRESS]
    write_config(workdir, network_config(emulator, tags_line()))
    core.apply(workdir)
    net = network(core, workdir)
    assert_stack_complete(emulator)
    assert_seed_in_emulator(emulator, net)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


@pytest.mark.no_chaos
def test_stalled_create_ends_at_the_call_timeout(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A create that goes unanswered (the emulator holds CreateVpc for 15 s) ends at the
    provider's call_timeout (3 s here) with an error naming the operation. AWS carried
    the create out meanwhile: the next apply finds that VPC (it carries this state's
    claim) instead of making a second, and converges."""
    hcl = network_config(emulator, tags_line()).replace(
        provider_block(emulator), provider_block(emulator, extra='  call_timeout = "3s"\n')
    )
    assert 'call_timeout = "3s"' in hcl
    write_config(workdir, hcl)
    core.init(workdir)
    emulator.hold("ec2", "CreateVpc", 15)
    started = time.monotonic()
    failed = core.run(workdir, "apply", "-auto-approve", "-input=false", check=False)
    took = time.monotonic() - started
    said = re.sub(r"\s+", " ", failed.output)
    print(f"{core.name}: the apply ended {took:.1f} s after it started, CreateVpc held for 15 s")
    assert failed.returncode != 0 and took < 14, f"took {took:.1f} s\n{failed.describe()}"
    assert "CreateVpc" in said and "timed out" in said, failed.describe()
    # The held CreateVpc is carried out when its hold ends; the emulator records the
    # call once it has answered.
    deadline = time.monotonic() + 60
    while not any(c["action"] == "CreateVpc" and c["status"] == 200 for c in emulator.calls()):
        assert time.monotonic() < deadline, "the held CreateVpc was never carried out"
        time.sleep(0.5)
    # The unanswered request was abandoned, never sent again.
    assert [c["action"] for c in emulator.calls()].count("CreateVpc") == 1
    core.apply(workdir)
    vpcs = emulator.client("ec2").describe_vpcs(Filters=[{"Name": "tag:ode:stack", "Values": [NAME]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


# -- eventual consistency ------------------------------------------------------------


# (action, code, times): answers EC2 gives for objects created a moment ago.
PROPAGATION_FAULTS = [
    ("AssociateRouteTable", "InvalidSubnetID.NotFound", 2),
    ("ModifySubnetAttribute", "InvalidSubnetID.NotFound", 1),
    ("AttachInternetGateway", "InvalidInternetGatewayID.NotFound", 1),
    ("DescribeNatGateways", "NatGatewayNotFound", 2),
    ("CreateRoute", "InvalidNatGatewayID.NotFound", 2),
]


@pytest.mark.no_chaos
def test_network_propagation(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Just-created subnets, gateways and NATs that answer NotFound a few times are
    retried, not taken as gone: the apply succeeds."""
    write_config(workdir, network_config(emulator, tags_line()))
    core.init(workdir)
    emulator.set_transitions(nat_gateway_pending_s=1)
    for action, code, times in PROPAGATION_FAULTS:
        emulator.add_fault("ec2", action, code, message="not visible yet", times=times)
    emulator.reset_calls()
    try:
        core.apply(workdir)
    finally:
        emulator.set_transitions(nat_gateway_pending_s=0)
    calls = Counter(ec2_calls(emulator))
    for action, _, times in PROPAGATION_FAULTS:
        # Every injected answer was met (and retried past).
        assert calls[action] > times, (action, calls[action])
    net = network(core, workdir)
    assert_seed_outputs(net)
    assert_seed_in_emulator(emulator, net)
    assert_stack_complete(emulator)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


# -- permission errors ---------------------------------------------------------------


@pytest.mark.no_chaos
def test_delete_access_denied(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A permission error on delete fails at once, naming the code and the request id;
    the network stays in state, and a later destroy finishes the job."""
    write_config(workdir, network_config(emulator, tags_line()))
    core.init(workdir)
    core.apply(workdir)
    emulator.add_fault(
        "ec2", "DeleteSubnet", "UnauthorizedOperation", message="You are not authorized to perform this operation.", times=1000
    )
    emulator.reset_calls()
    started = time.monotonic()
    refused = destroy_errors(core, workdir)
    took = time.monotonic() - started
    emulator.clear_faults()
    deletes = ec2_calls(emulator).count("DeleteSubnet")
    print(f"{core.name}: destroy failed after {took:.1f} s and {deletes} DeleteSubnet calls")
    assert refused.failed, refused.describe()
    denied = [d for d in refused.errors if d.says("UnauthorizedOperation")]
    assert denied, refused.describe()
    assert all(REQUEST_ID.search(d.detail) for d in denied), refused.describe()
    # No retries: one call per subnet, and no waiting out the 30-minute delete timeout.
    assert deletes <= 9, deletes
    assert took < 30, took
    assert core.run(workdir, "state", "list").stdout.split() == [ADDRESS]
    destroy_and_check(core, emulator, workdir)


@pytest.mark.no_chaos
def test_state_backend_delete_access_denied(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    write_config(
        workdir,
        provider_block(emulator)
        + """
resource "ode_state_backend" "this" {
  bucket     = "ode-e2e-denied"
  lock_table = "ode-e2e-denied"
}
""",
    )
    core.init(workdir)
    core.apply(workdir)
    emulator.add_fault("s3", "DeleteBucket", "AccessDenied", status=403, message="Access Denied", times=1000)
    emulator.reset_calls()
    refused = destroy_errors(core, workdir)
    emulator.clear_faults()
    assert refused.failed, refused.describe()
    denied = [d for d in refused.errors if d.says("DeleteBucket: AccessDenied")]
    assert denied and REQUEST_ID.search(denied[0].detail), refused.describe()
    assert [c for c in emulator.call_names() if c == ("s3", "DeleteBucket")] == [("s3", "DeleteBucket")]
    core.destroy(workdir)
    assert_emulator_empty(emulator)
    only_default_vpc(emulator)
