"""Checks of the leak check made after a chaotic scenario's destroy
(tests/support/leaks.py, tests/conftest.py): what counts as the provider's, what is
left out, and when a test counts as destroyed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import leaks
from tests.support.core import TIMEOUT_S, Command, configured_timeouts, duration_s
from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.emulator

OWNED = [{"Key": "ode:stack", "Value": "leaky"}, {"Key": "ode:key", "Value": "vpc"}]
FOREIGN = [{"Key": "Name", "Value": "not-ours"}]


def test_owned_objects_are_those_with_ownership_tags(emulator: EmulatorClient) -> None:
    ec2 = emulator.client("ec2")
    assert leaks.owned_objects(emulator) == []
    ours = ec2.create_vpc(
        CidrBlock="10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": OWNED}]
    )["Vpc"]["VpcId"]
    ec2.create_vpc(CidrBlock="10.2.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": FOREIGN}])
    emulator.client("s3").create_bucket(Bucket="not-ours")
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket="ours")
    s3.put_bucket_tagging(Bucket="ours", Tagging={"TagSet": OWNED})
    emulator.client("iam").create_role(RoleName="ode-role", Path="/ode/", AssumeRolePolicyDocument="{}")
    emulator.client("iam").create_role(RoleName="other-role", AssumeRolePolicyDocument="{}")
    logs = emulator.client("logs")
    logs.create_log_group(logGroupName="/ode/ours", tags={"ode:stack": "leaky"})
    logs.create_log_group(logGroupName="/other")
    found = leaks.owned_objects(emulator)
    assert sorted(found) == sorted(
        [
            f"ec2 vpc {ours} (ode:key=vpc, ode:stack=leaky)",
            "s3 bucket ours (ode:key=vpc, ode:stack=leaky)",
            "iam role /ode/ode-role",
            "logs log-group /ode/ours (ode:stack=leaky)",
        ]
    ), found


def test_what_is_on_its_way_out_is_no_leak(emulator: EmulatorClient) -> None:
    kms = emulator.client("kms")
    key = kms.create_key(Tags=[{"TagKey": "ode:stack", "TagValue": "leaky"}])["KeyMetadata"]["KeyId"]
    secrets = emulator.client("secretsmanager")
    secrets.create_secret(Name="ours", SecretString="x", Tags=OWNED)
    assert sorted(leaks.owned_objects(emulator)) == [
        f"kms key {key} (ode:stack=leaky)",
        "secretsmanager secret ours (ode:key=vpc, ode:stack=leaky)",
    ]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    secrets.delete_secret(SecretId="ours", RecoveryWindowInDays=7)
    assert leaks.owned_objects(emulator) == []


def test_lists_are_read_to_their_last_page(emulator: EmulatorClient) -> None:
    iam, secrets = emulator.client("iam"), emulator.client("secretsmanager")
    for n in range(3):
        iam.create_role(RoleName=f"role-{n}", Path="/ode/", AssumeRolePolicyDocument="{}")
        secrets.create_secret(Name=f"secret-{n}", SecretString="x", Tags=OWNED)
    emulator.set_page_size(1)  # IAM and Secrets Manager then answer one item a page
    assert len(iam.list_roles(PathPrefix="/ode/")["Roles"]) == 1
    found = leaks.owned_objects(emulator)
    assert len([line for line in found if line.startswith("iam role ")]) == 3, found
    assert len([line for line in found if line.startswith("secretsmanager secret ")]) == 3, found


def _command(workdir: str, *args: str, returncode: int | None = 0, seconds: float | None = 1.0, **timeouts: float) -> Command:
    return Command(Path(workdir), args, returncode, seconds, timeouts)


def test_destroyed_needs_a_whole_successful_destroy_in_every_directory() -> None:
    apply_a, destroy_a = _command("a", "apply", "-auto-approve"), _command("a", "destroy", "-auto-approve")
    assert leaks.destroyed([_command("a", "init"), apply_a, destroy_a, _command("a", "plan")])
    assert leaks.destroyed([apply_a, _command("a", "apply", "-destroy")])
    assert not leaks.destroyed([_command("a", "init"), _command("a", "plan")])
    assert not leaks.destroyed([apply_a])
    assert not leaks.destroyed([destroy_a, apply_a])
    assert not leaks.destroyed([apply_a, _command("a", "destroy", returncode=1)])
    assert not leaks.destroyed([apply_a, _command("a", "destroy", "-target=ode_network.a")])
    assert not leaks.destroyed([apply_a, destroy_a, _command("b", "apply")])
    assert not leaks.destroyed([apply_a, _command("a", "apply", returncode=None, seconds=None)])


def test_overruns_hold_commands_to_their_configured_timeouts() -> None:
    assert leaks.overruns([_command("a", "apply", seconds=30.0, create=25.0, delete=60.0)]) == [
        "apply took 30.0s, longer than its timeouts (25s)"
    ]
    assert leaks.overruns([_command("a", "apply", seconds=30.0, create=25.0, update=40.0)]) == []
    assert leaks.overruns([_command("a", "destroy", seconds=30.0, create=10.0)]) == []
    assert leaks.overruns([_command("a", "apply", "-destroy", seconds=30.0, delete=15.0)]) == [
        "apply -destroy took 30.0s, longer than its timeouts (15s)"
    ]
    assert leaks.overruns([_command("a", "apply", returncode=None, seconds=TIMEOUT_S + 0.1)]) == [
        f"apply killed after {TIMEOUT_S}s (the tests' limit for any core command)"
    ]
    assert leaks.overruns([_command("a", "apply", returncode=None, seconds=None, create=1.0)]) == []


def test_configured_timeouts_read_the_longest_of_each_operation(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "ode_network" "a" {\n  timeouts {\n    create = "25s"\n    delete = "1h30m"\n  }\n}\n'
        'resource "ode_network" "b" {\n  timeouts = { create = "2m", update = "soon" }\n}\n'
    )
    assert configured_timeouts(tmp_path) == {"create": 120.0, "delete": 5400.0}
    assert (duration_s("1h30m"), duration_s("1.5s"), duration_s("30"), duration_s("10x")) == (5400.0, 1.5, None, None)
