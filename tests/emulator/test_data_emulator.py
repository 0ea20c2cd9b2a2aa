"""Checks of the emulator's RDS, ElastiCache and CloudWatch Logs (tests/support/data_emulator.py),
through boto3.

Each test checks the response fields and errors the provider's Rust SDK reads: statuses,
pending values, members, endpoints, tags, and the control endpoints that stand for what
AWS does by itself (maintenance windows, minor upgrades) or keeps secret (AUTH tokens).
"""

from __future__ import annotations

import re

import hashlib
import json
import time
import urllib.error
import urllib.request
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.emulator

ACCOUNT = "123456789012"
# Transitions short enough to wait out, and one that never ends within a test.
# Long enough that a check made between a call and the end of its transition is not
# overtaken by the transition on a loaded machine (0.3 s was, once, in a CI run).
TRANSITION_S = 1.0
LONG_S = 600
TOKEN_1 = "Ode-first-token-0001"
TOKEN_2 = "Ode-second-token-0002"
TOKEN_3 = "Ode-third-token-0003"


@pytest.fixture
def rds(emulator: EmulatorClient):
    return emulator.client("rds")


@pytest.fixture
def elasticache(emulator: EmulatorClient):
    return emulator.client("elasticache")


@pytest.fixture
def logs(emulator: EmulatorClient):
    return emulator.client("logs")


@pytest.fixture
def subnets(emulator: EmulatorClient) -> list[str]:
    """Three subnets of one VPC, in us-east-1a, b and c."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("abc", start=1)
    ]


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    """(code, message) of the ClientError that ``call`` raises."""
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def code_of(call: Callable[[], Any]) -> str:
    return error_of(call)[0]


def wait_past_transitions() -> None:
    """Wait until changes started by the calls that have answered are complete."""
    time.sleep(TRANSITION_S + 0.05)


def control_error(call: Callable[[], Any]) -> int:
    """The HTTP status of a control call that fails."""
    with pytest.raises(urllib.error.HTTPError) as info:
        call()
    return info.value.code


def tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in pairs]


# -- RDS ---------------------------------------------------------------------------------


def create_db(rds, name: str = "db", **kwargs: Any) -> dict:
    request = {
        "DBInstanceIdentifier": name,
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "EngineVersion": "15.14",
        "AllocatedStorage": 20,
        "MasterUsername": "app",
        "MasterUserPassword": "not-a-real-password",
        **kwargs,
    }
    return rds.create_db_instance(**request)["DBInstance"]


def describe_db(rds, name: str = "db") -> dict:
    [db] = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
    return db


def rds_tags(rds, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}


def test_rds_instances_have_their_own_resource_ids(rds) -> None:
    """DbiResourceId is unique per instance, in AWS's form (moto: one id for all)."""
    ids = [create_db(rds, name)["DbiResourceId"] for name in ("db-a", "db-b")]
    assert len(set(ids)) == 2, ids
    assert all(re.fullmatch(r"db-[A-Z0-9]{26}", i) for i in ids), ids
    described = {d["DbiResourceId"] for d in rds.describe_db_instances()["DBInstances"]}
    assert described == set(ids)


def test_rds_subnet_group_lifecycle(rds, subnets: list[str]) -> None:
    created = rds.create_db_subnet_group(
        DBSubnetGroupName="ode-db",
        DBSubnetGroupDescription="first",
        SubnetIds=subnets[:2],
        Tags=tags(("team", "data")),
    )["DBSubnetGroup"]
    arn = created["DBSubnetGroupArn"]
    assert arn == f"arn:aws:rds:us-east-1:{ACCOUNT}:subgrp:ode-db"
    assert rds_tags(rds, arn) == {"team": "data"}

    modified = rds.modify_db_subnet_group(
        DBSubnetGroupName="ode-db", DBSubnetGroupDescription="second", SubnetIds=subnets
    )["DBSubnetGroup"]
    assert modified["DBSubnetGroupDescription"] == "second"
    # moto 5.2.5 dropped a modified group from its table.
    [group] = rds.describe_db_subnet_groups(DBSubnetGroupName="ode-db")["DBSubnetGroups"]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)
    assert {s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]} == {
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    }

    rds.add_tags_to_resource(ResourceName=arn, Tags=tags(("cost", "1")))
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
    assert rds_tags(rds, arn) == {"cost": "1"}

    rds.delete_db_subnet_group(DBSubnetGroupName="ode-db")
    missing = lambda: rds.describe_db_subnet_groups(DBSubnetGroupName="ode-db")
    assert code_of(missing) == "DBSubnetGroupNotFoundFault"
    assert code_of(lambda: rds.list_tags_for_resource(ResourceName=arn)) == "DBSubnetGroupNotFoundFault"


def test_rds_parameter_group_lifecycle(rds) -> None:
    created = rds.create_db_parameter_group(
        DBParameterGroupName="ode-pg15",
        DBParameterGroupFamily="postgres15",
        Description="ODE",
        Tags=tags(("team", "data")),
    )["DBParameterGroup"]
    arn = created["DBParameterGroupArn"]
    assert arn == f"arn:aws:rds:us-east-1:{ACCOUNT}:pg:ode-pg15"
    rds.modify_db_parameter_group(
        DBParameterGroupName="ode-pg15",
        Parameters=[
            {
                "ParameterName": "log_min_duration_statement",
                "ParameterValue": "500",
                "ApplyMethod": "immediate",
            },
            {
                "ParameterName": "shared_preload_libraries",
                "ParameterValue": "pg_stat_statements",
                "ApplyMethod": "pending-reboot",
            },
        ],
    )
    user = rds.describe_db_parameters(DBParameterGroupName="ode-pg15", Source="user")["Parameters"]
    assert {(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in user} == {
        ("log_min_duration_statement", "500", "user"),
        ("shared_preload_libraries", "pg_stat_statements", "user"),
    }
    assert (
        rds.describe_db_parameters(DBParameterGroupName="ode-pg15", Source="engine-default")["Parameters"]
        == []
    )

    rds.add_tags_to_resource(ResourceName=arn, Tags=tags(("cost", "1")))
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
    assert rds_tags(rds, arn) == {"cost": "1"}

    rds.delete_db_parameter_group(DBParameterGroupName="ode-pg15")
    missing = lambda: rds.describe_db_parameters(DBParameterGroupName="ode-pg15")
    assert code_of(missing) == "DBParameterGroupNotFound"
    assert code_of(lambda: rds.list_tags_for_resource(ResourceName=arn)) == "DBParameterGroupNotFound"


def test_rds_instance_reports_its_settings(emulator: EmulatorClient, rds, subnets: list[str]) -> None:
    kms = emulator.client("kms")
    storage_key = kms.create_key()["KeyMetadata"]["Arn"]
    secret_key = kms.create_key()["KeyMetadata"]["Arn"]
    ec2 = emulator.client("ec2")
    [subnet] = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"]
    group_id = ec2.create_security_group(GroupName="ode-db", Description="ODE", VpcId=subnet["VpcId"])[
        "GroupId"
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="ode-db", DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_parameter_group(
        DBParameterGroupName="ode-pg15", DBParameterGroupFamily="postgres15", Description="d"
    )
    # A managed password instead of MasterUserPassword: not create_db's request.
    request = {
        "DBInstanceIdentifier": "db",
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "EngineVersion": "15.14",
        "AllocatedStorage": 20,
        "MasterUsername": "app",
        "ManageMasterUserPassword": True,
        "MasterUserSecretKmsKeyId": secret_key,
        "StorageEncrypted": True,
        "KmsKeyId": storage_key,
        "MultiAZ": True,
        "MaxAllocatedStorage": 100,
        "EnablePerformanceInsights": True,
        "PubliclyAccessible": False,
        "DBSubnetGroupName": "ode-db",
        "DBParameterGroupName": "ode-pg15",
        "VpcSecurityGroupIds": [group_id],
        "BackupRetentionPeriod": 7,
        "Tags": tags(("team", "data")),
    }
    rds.create_db_instance(**request)
    db = describe_db(rds)
    assert db["DBInstanceStatus"] == "available"
    assert (db["StorageEncrypted"], db["KmsKeyId"]) == (True, storage_key)
    assert (db["MultiAZ"], db["MaxAllocatedStorage"], db["PubliclyAccessible"]) == (True, 100, False)
    assert (db["PerformanceInsightsEnabled"], db["PerformanceInsightsRetentionPeriod"]) == (True, 7)
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == "ode-db"
    assert [g["DBParameterGroupName"] for g in db["DBParameterGroups"]] == ["ode-pg15"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [group_id]
    assert db["TagList"] == tags(("team", "data"))
    assert db["PendingModifiedValues"] == {}
    secret = db["MasterUserSecret"]
    assert secret["KmsKeyId"] == secret_key
    described = emulator.client("secretsmanager").describe_secret(SecretId=secret["SecretArn"])
    assert described["OwningService"] == "rds"

    arn = db["DBInstanceArn"]
    assert arn == f"arn:aws:rds:us-east-1:{ACCOUNT}:db:db"
    rds.add_tags_to_resource(ResourceName=arn, Tags=tags(("cost", "1")))
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
    assert rds_tags(rds, arn) == {"cost": "1"}
    missing = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:nope"
    assert code_of(lambda: rds.list_tags_for_resource(ResourceName=missing)) == "DBInstanceNotFound"
    assert code_of(lambda: rds.add_tags_to_resource(ResourceName=missing, Tags=tags(("a", "b")))) == (
        "DBInstanceNotFound"
    )


def test_rds_managed_secret_goes_with_the_instance(emulator: EmulatorClient, rds) -> None:
    secrets = emulator.client("secretsmanager")
    rds.create_db_instance(
        DBInstanceIdentifier="db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="app",
        ManageMasterUserPassword=True,
    )
    secret_arn = describe_db(rds)["MasterUserSecret"]["SecretArn"]
    assert [s["ARN"] for s in secrets.list_secrets()["SecretList"]] == [secret_arn]
    rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    assert secrets.list_secrets()["SecretList"] == []
    assert code_of(lambda: secrets.describe_secret(SecretId=secret_arn)) == "ResourceNotFoundException"


def test_rds_groups_in_use_are_kept(emulator: EmulatorClient, rds, subnets: list[str]) -> None:
    rds.create_db_subnet_group(DBSubnetGroupName="ode-db", DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_parameter_group(
        DBParameterGroupName="ode-pg15", DBParameterGroupFamily="postgres15", Description="d"
    )
    create_db(rds, DBSubnetGroupName="ode-db", DBParameterGroupName="ode-pg15")
    emulator.set_data_transitions(TRANSITION_S)
    rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    # Still deleting: the groups are still in use.
    assert error_of(lambda: rds.delete_db_subnet_group(DBSubnetGroupName="ode-db")) == (
        "InvalidDBSubnetGroupStateFault",
        "Cannot delete the subnet group 'ode-db' because at least one database instance: db is still using it.",
    )
    assert code_of(lambda: rds.delete_db_parameter_group(DBParameterGroupName="ode-pg15")) == (
        "InvalidDBParameterGroupState"
    )
    wait_past_transitions()
    rds.delete_db_subnet_group(DBSubnetGroupName="ode-db")
    rds.delete_db_parameter_group(DBParameterGroupName="ode-pg15")


def test_rds_modify_defers_to_the_maintenance_window(rds) -> None:
    create_db(rds)
    answered = rds.modify_db_instance(
        DBInstanceIdentifier="db",
        DBInstanceClass="db.t3.small",
        AllocatedStorage=40,
        StorageType="gp3",
        Iops=3000,
        EngineVersion="15.15",
        MultiAZ=True,
        BackupRetentionPeriod=5,
        PreferredBackupWindow="02:00-02:30",
        PreferredMaintenanceWindow="Sun:05:00-Sun:05:30",
        DeletionProtection=True,
        AutoMinorVersionUpgrade=False,
        MaxAllocatedStorage=200,
        EnablePerformanceInsights=True,
        CopyTagsToSnapshot=True,
    )["DBInstance"]
    pending = {
        "DBInstanceClass": "db.t3.small",
        "AllocatedStorage": 40,
        "StorageType": "gp3",
        "Iops": 3000,
        "EngineVersion": "15.15",
        "MultiAZ": True,
    }
    for db in (answered, describe_db(rds)):
        assert db["PendingModifiedValues"] == pending
        assert (db["DBInstanceClass"], db["AllocatedStorage"], db["StorageType"]) == (
            "db.t3.micro",
            20,
            "gp2",
        )
        assert (db["EngineVersion"], db["MultiAZ"]) == ("15.14", False)
        # The others apply at once.
        assert (db["BackupRetentionPeriod"], db["PreferredBackupWindow"]) == (5, "02:00-02:30")
        assert db["PreferredMaintenanceWindow"] == "sun:05:00-sun:05:30"
        assert (db["DeletionProtection"], db["AutoMinorVersionUpgrade"]) == (True, False)
        assert (db["MaxAllocatedStorage"], db["PerformanceInsightsEnabled"], db["CopyTagsToSnapshot"]) == (
            200,
            True,
            True,
        )
    # Asking again for the current value takes it out of the pending ones.
    rds.modify_db_instance(DBInstanceIdentifier="db", MultiAZ=False)
    assert "MultiAZ" not in describe_db(rds)["PendingModifiedValues"]


def test_rds_apply_immediately_applies_pending_values_too(rds) -> None:
    create_db(rds)
    rds.modify_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.small", MultiAZ=True)
    db = rds.modify_db_instance(DBInstanceIdentifier="db", AllocatedStorage=50, ApplyImmediately=True)[
        "DBInstance"
    ]
    assert db["PendingModifiedValues"] == {}
    assert (db["DBInstanceClass"], db["MultiAZ"], db["AllocatedStorage"]) == ("db.t3.small", True, 50)


def test_rds_maintenance_window_applies_pending_values(emulator: EmulatorClient, rds) -> None:
    create_db(rds)
    rds.modify_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.small", EngineVersion="15.15")
    answer = emulator.apply_rds_maintenance("db")
    assert answer == {
        "db_instance_identifier": "db",
        "applied": {"DBInstanceClass": "db.t3.small", "EngineVersion": "15.15"},
    }
    db = describe_db(rds)
    assert db["PendingModifiedValues"] == {}
    assert (db["DBInstanceClass"], db["EngineVersion"]) == ("db.t3.small", "15.15")
    assert emulator.apply_rds_maintenance("db")["applied"] == {}


def test_rds_minor_upgrade(emulator: EmulatorClient, rds) -> None:
    create_db(rds)
    rds.modify_db_instance(DBInstanceIdentifier="db", EngineVersion="15.15")
    assert emulator.rds_minor_upgrade("db", "15.15") == {
        "db_instance_identifier": "db",
        "engine_version": "15.15",
    }
    db = describe_db(rds)
    assert (db["EngineVersion"], db["PendingModifiedValues"]) == ("15.15", {})


def test_rds_control_endpoints_reject_bad_requests(emulator: EmulatorClient) -> None:
    assert control_error(lambda: emulator.apply_rds_maintenance("nope")) == 404
    assert control_error(lambda: emulator.rds_minor_upgrade("nope", "15.15")) == 404
    for payload in ({}, {"db_instance_identifier": ""}, {"db_instance_identifier": "db", "x": 1}, ["db"]):
        assert control_error(lambda: emulator._post("/_ode/rds/maintenance", payload)) == 400, payload
    bad_version = {"db_instance_identifier": "db", "engine_version": "latest"}
    assert control_error(lambda: emulator._post("/_ode/rds/minor-upgrade", bad_version)) == 400


def test_rds_delete_needs_a_final_snapshot_or_skip(rds) -> None:
    create_db(rds)
    assert error_of(lambda: rds.delete_db_instance(DBInstanceIdentifier="db")) == (
        "InvalidParameterCombination",
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
    )
    refused = lambda: rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=False)
    assert code_of(refused) == "InvalidParameterCombination"
    rds.modify_db_instance(DBInstanceIdentifier="db", DeletionProtection=True, ApplyImmediately=True)
    protected = lambda: rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    assert code_of(protected) == "InvalidParameterCombination"
    assert describe_db(rds)["DBInstanceStatus"] == "available"


def test_rds_delete_with_a_final_snapshot_and_restore_it(rds) -> None:
    create_db(rds, Tags=tags(("team", "data")), CopyTagsToSnapshot=True)
    deleted = rds.delete_db_instance(DBInstanceIdentifier="db", FinalDBSnapshotIdentifier="db-final")
    assert deleted["DBInstance"]["DBInstanceStatus"] == "deleting"
    assert code_of(lambda: describe_db(rds)) == "DBInstanceNotFound"
    [snapshot] = rds.describe_db_snapshots(DBSnapshotIdentifier="db-final")["DBSnapshots"]
    assert (snapshot["Status"], snapshot["DBInstanceIdentifier"], snapshot["EngineVersion"]) == (
        "available",
        "db",
        "15.14",
    )
    assert [
        s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots(DBInstanceIdentifier="db")["DBSnapshots"]
    ] == ["db-final"]

    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="db2", DBSnapshotIdentifier="db-final", DBInstanceClass="db.t3.small"
    )["DBInstance"]
    assert (restored["DBInstanceStatus"], restored["DBInstanceClass"]) == ("available", "db.t3.small")
    db = describe_db(rds, "db2")
    assert (db["Engine"], db["EngineVersion"], db["MasterUsername"]) == ("postgres", "15.14", "app")


def test_rds_modify_refuses_to_shrink_storage(emulator: EmulatorClient, rds) -> None:
    create_db(rds, BackupRetentionPeriod=1)
    emulator.set_data_transitions(LONG_S)
    shrink = lambda **kwargs: lambda: rds.modify_db_instance(DBInstanceIdentifier="db", **kwargs)
    assert error_of(shrink(AllocatedStorage=10)) == (
        "InvalidParameterCombination",
        "Invalid storage size for DB instance db: the allocated storage can't be reduced, "
        "and 10 GiB is less than its current allocated storage of 20 GiB.",
    )
    # Refused before anything applies or waits for the maintenance window.
    refused = shrink(AllocatedStorage=19, ApplyImmediately=True, BackupRetentionPeriod=9, MultiAZ=True)
    assert code_of(refused) == "InvalidParameterCombination"
    db = describe_db(rds)
    assert (db["AllocatedStorage"], db["BackupRetentionPeriod"]) == (20, 1)
    assert (db["DBInstanceStatus"], db["PendingModifiedValues"]) == ("available", {})

    # A pending increase is the floor too.
    emulator.set_data_transitions(0)
    rds.modify_db_instance(DBInstanceIdentifier="db", AllocatedStorage=40)
    assert error_of(shrink(AllocatedStorage=30, DBInstanceClass="db.t3.small")) == (
        "InvalidParameterCombination",
        "Invalid storage size for DB instance db: the allocated storage can't be reduced, "
        "and 30 GiB is less than its pending allocated storage of 40 GiB.",
    )
    assert code_of(shrink(AllocatedStorage=30, ApplyImmediately=True)) == "InvalidParameterCombination"
    db = describe_db(rds)
    assert (db["AllocatedStorage"], db["PendingModifiedValues"]) == (20, {"AllocatedStorage": 40})

    # The same size, or more, is accepted.
    rds.modify_db_instance(DBInstanceIdentifier="db", AllocatedStorage=40, ApplyImmediately=True)
    rds.modify_db_instance(DBInstanceIdentifier="db", AllocatedStorage=40, ApplyImmediately=True)
    grown = rds.modify_db_instance(DBInstanceIdentifier="db", AllocatedStorage=50, ApplyImmediately=True)
    db = grown["DBInstance"]
    assert (db["AllocatedStorage"], db["PendingModifiedValues"]) == (50, {})


def test_rds_restore_keeps_its_settings(emulator: EmulatorClient, rds, subnets: list[str]) -> None:
    ec2 = emulator.client("ec2")
    [subnet] = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"]
    group_id = ec2.create_security_group(GroupName="ode-db", Description="ODE", VpcId=subnet["VpcId"])[
        "GroupId"
    ]
    rds.create_db_subnet_group(DBSubnetGroupName="ode-db", DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_parameter_group(
        DBParameterGroupName="ode-pg15", DBParameterGroupFamily="postgres15", Description="d"
    )
    # The source has the opposite of every setting the restore gives.
    create_db(
        rds,
        name="source",
        MultiAZ=True,
        PubliclyAccessible=True,
        AutoMinorVersionUpgrade=True,
        CopyTagsToSnapshot=True,
        BackupRetentionPeriod=7,
        Tags=tags(("team", "source")),
    )
    rds.create_db_snapshot(DBInstanceIdentifier="source", DBSnapshotIdentifier="snap")
    request = {
        "DBInstanceIdentifier": "db",
        "DBSnapshotIdentifier": "snap",
        "DBInstanceClass": "db.t3.small",
        "AllocatedStorage": 30,
        "StorageType": "gp3",
        "Port": 5433,
        "MultiAZ": False,
        "PubliclyAccessible": False,
        "AutoMinorVersionUpgrade": False,
        "CopyTagsToSnapshot": False,
        "DeletionProtection": True,
        "BackupRetentionPeriod": 0,
        "PreferredBackupWindow": "03:00-03:30",
        "DBSubnetGroupName": "ode-db",
        "DBParameterGroupName": "ode-pg15",
        "VpcSecurityGroupIds": [group_id],
        "Tags": tags(("team", "restored")),
    }
    answered = rds.restore_db_instance_from_db_snapshot(**request)["DBInstance"]
    for db in (answered, describe_db(rds)):
        assert (db["DBInstanceClass"], db["AllocatedStorage"]) == ("db.t3.small", 30)
        assert db["StorageType"] == "gp3"
        assert db["Endpoint"]["Port"] == 5433
        assert not (db["MultiAZ"] or db["PubliclyAccessible"] or db["AutoMinorVersionUpgrade"])
        assert (db["CopyTagsToSnapshot"], db["DeletionProtection"]) == (False, True)
        assert (db["BackupRetentionPeriod"], db["PreferredBackupWindow"]) == (0, "03:00-03:30")
        assert db["DBSubnetGroup"]["DBSubnetGroupName"] == "ode-db"
        assert [g["DBParameterGroupName"] for g in db["DBParameterGroups"]] == ["ode-pg15"]
        assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [group_id]
        assert db["TagList"] == tags(("team", "restored"))
        assert "MasterUserSecret" not in db
    # And the other way round: what the source lacked, the restore turns on.
    create_db(rds, name="plain")
    rds.create_db_snapshot(DBInstanceIdentifier="plain", DBSnapshotIdentifier="plain-snap")
    rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="copy", DBSnapshotIdentifier="plain-snap", MultiAZ=True, BackupRetentionPeriod=5
    )
    db = describe_db(rds, "copy")
    assert (db["MultiAZ"], db["BackupRetentionPeriod"], db["DeletionProtection"]) == (True, 5, False)


def test_rds_restore_without_managed_password_has_no_secret(emulator: EmulatorClient, rds) -> None:
    secrets = emulator.client("secretsmanager")
    rds.create_db_instance(
        DBInstanceIdentifier="source",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="app",
        ManageMasterUserPassword=True,
    )
    source_secret = describe_db(rds, "source")["MasterUserSecret"]["SecretArn"]
    rds.create_db_snapshot(DBInstanceIdentifier="source", DBSnapshotIdentifier="snap")
    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="db", DBSnapshotIdentifier="snap"
    )
    assert "MasterUserSecret" not in restored["DBInstance"]
    assert "MasterUserSecret" not in describe_db(rds)
    assert [s["ARN"] for s in secrets.list_secrets()["SecretList"]] == [source_secret]
    # The source keeps its managed password.
    assert describe_db(rds, "source")["MasterUserSecret"]["SecretArn"] == source_secret


def test_rds_restore_managed_password_is_for_oracle_only(emulator: EmulatorClient, rds) -> None:
    kms, secrets = emulator.client("kms"), emulator.client("secretsmanager")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    create_db(rds, name="source")
    rds.create_db_snapshot(DBInstanceIdentifier="source", DBSnapshotIdentifier="snap")
    managed = lambda: rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="db",
        DBSnapshotIdentifier="snap",
        ManageMasterUserPassword=True,
        MasterUserSecretKmsKeyId=key,
    )
    assert error_of(managed) == (
        "InvalidParameterValue",
        "The parameter ManageMasterUserPassword is not valid for engine: postgres. "
        "Restore the DB instance, then turn on ManageMasterUserPassword with ModifyDBInstance.",
    )
    assert code_of(lambda: describe_db(rds)) == "DBInstanceNotFound"
    assert secrets.list_secrets()["SecretList"] == []

    # What PostgreSQL does instead: restore, then have RDS manage the password.
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="db", DBSnapshotIdentifier="snap")
    rds.modify_db_instance(
        DBInstanceIdentifier="db", ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=key
    )
    secret = describe_db(rds)["MasterUserSecret"]
    assert (secret["KmsKeyId"], secret["SecretStatus"] in ("creating", "active")) == (key, True)
    described = secrets.describe_secret(SecretId=secret["SecretArn"])
    assert (described["KmsKeyId"], described["OwningService"]) == (key, "rds")


def test_rds_restore_oracle_with_managed_password(emulator: EmulatorClient, rds) -> None:
    kms, secrets = emulator.client("kms"), emulator.client("secretsmanager")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    aws_managed = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]["Arn"]
    rds.create_db_instance(
        DBInstanceIdentifier="source",
        DBInstanceClass="db.t3.small",
        Engine="oracle-ee",
        LicenseModel="bring-your-own-license",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password",
    )
    rds.create_db_snapshot(DBInstanceIdentifier="source", DBSnapshotIdentifier="snap")

    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="db",
        DBSnapshotIdentifier="snap",
        ManageMasterUserPassword=True,
        MasterUserSecretKmsKeyId=key,
    )["DBInstance"]
    secret = restored["MasterUserSecret"]
    assert set(secret) == {"SecretArn", "SecretStatus", "KmsKeyId"}
    assert secret["KmsKeyId"] == key
    assert describe_db(rds)["MasterUserSecret"]["SecretArn"] == secret["SecretArn"]
    described = secrets.describe_secret(SecretId=secret["SecretArn"])
    assert (described["KmsKeyId"], described["OwningService"]) == (key, "rds")

    # Without a key: the AWS managed key of Secrets Manager, which DescribeSecret omits.
    default = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="db2", DBSnapshotIdentifier="snap", ManageMasterUserPassword=True
    )["DBInstance"]["MasterUserSecret"]
    assert default["KmsKeyId"] == aws_managed
    assert "KmsKeyId" not in secrets.describe_secret(SecretId=default["SecretArn"])
    assert len(secrets.list_secrets()["SecretList"]) == 2


def test_rds_transitions(emulator: EmulatorClient, rds) -> None:
    create_db(rds, name="first")
    rds.create_db_snapshot(DBInstanceIdentifier="first", DBSnapshotIdentifier="snap")
    emulator.set_data_transitions(TRANSITION_S)
    assert create_db(rds)["DBInstanceStatus"] == "creating"
    restored = rds.restore_db_instance_from_db_snapshot(
        DBInstanceIdentifier="copy", DBSnapshotIdentifier="snap"
    )
    assert restored["DBInstance"]["DBInstanceStatus"] == "creating"
    assert describe_db(rds)["DBInstanceStatus"] == "creating"
    busy = lambda: rds.modify_db_instance(DBInstanceIdentifier="db", BackupRetentionPeriod=3)
    assert code_of(busy) == "InvalidDBInstanceState"
    wait_past_transitions()
    assert describe_db(rds)["DBInstanceStatus"] == "available"
    assert describe_db(rds, "copy")["DBInstanceStatus"] == "available"

    modified = rds.modify_db_instance(
        DBInstanceIdentifier="db", BackupRetentionPeriod=3, ApplyImmediately=True
    )
    assert modified["DBInstance"]["DBInstanceStatus"] == "modifying"
    assert describe_db(rds)["DBInstanceStatus"] == "modifying"
    wait_past_transitions()
    db = describe_db(rds)
    assert (db["DBInstanceStatus"], db["BackupRetentionPeriod"]) == ("available", 3)

    deleted = rds.delete_db_instance(DBInstanceIdentifier="db", FinalDBSnapshotIdentifier="db-final")
    assert deleted["DBInstance"]["DBInstanceStatus"] == "deleting"
    assert describe_db(rds)["DBInstanceStatus"] == "deleting"
    again = lambda: rds.delete_db_instance(DBInstanceIdentifier="db", SkipFinalSnapshot=True)
    assert error_of(again) == ("InvalidDBInstanceState", "Instance db is already being deleted.")
    assert code_of(lambda: create_db(rds)) == "DBInstanceAlreadyExists"
    [snapshot] = rds.describe_db_snapshots(DBSnapshotIdentifier="db-final")["DBSnapshots"]
    assert snapshot["Status"] == "available"
    wait_past_transitions()
    assert code_of(lambda: describe_db(rds)) == "DBInstanceNotFound"
    assert sorted(d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]) == [
        "copy",
        "first",
    ]


# -- ElastiCache -------------------------------------------------------------------------


def create_subnet_group(elasticache, subnets: list[str], name: str = "ode-cache") -> dict:
    return elasticache.create_cache_subnet_group(
        CacheSubnetGroupName=name,
        CacheSubnetGroupDescription="ODE",
        SubnetIds=subnets,
        Tags=tags(("team", "cache")),
    )["CacheSubnetGroup"]


def create_group(elasticache, name: str = "ode", **kwargs: Any) -> dict:
    request = {
        "ReplicationGroupId": name,
        "ReplicationGroupDescription": "ODE cache",
        "Engine": "redis",
        "EngineVersion": "7.1",
        "CacheNodeType": "cache.t4g.small",
        "NumCacheClusters": 2,
        **kwargs,
    }
    return elasticache.create_replication_group(**request)["ReplicationGroup"]


def describe_group(elasticache, name: str = "ode") -> dict:
    [group] = elasticache.describe_replication_groups(ReplicationGroupId=name)["ReplicationGroups"]
    return group


def member(elasticache, cluster_id: str) -> dict:
    [cluster] = elasticache.describe_cache_clusters(CacheClusterId=cluster_id)["CacheClusters"]
    return cluster


def cache_tags(elasticache, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in elasticache.list_tags_for_resource(ResourceName=arn)["TagList"]}


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_cache_subnet_group_lifecycle(elasticache, subnets: list[str]) -> None:
    created = create_subnet_group(elasticache, subnets[:2])
    arn = created["ARN"]
    assert arn == f"arn:aws:elasticache:us-east-1:{ACCOUNT}:subnetgroup:ode-cache"
    assert [s["SubnetAvailabilityZone"]["Name"] for s in created["Subnets"]] == ["us-east-1a", "us-east-1b"]
    assert cache_tags(elasticache, arn) == {"team": "cache"}

    modified = elasticache.modify_cache_subnet_group(
        CacheSubnetGroupName="ode-cache", CacheSubnetGroupDescription="three zones", SubnetIds=subnets
    )["CacheSubnetGroup"]
    assert modified["CacheSubnetGroupDescription"] == "three zones"
    [group] = elasticache.describe_cache_subnet_groups(CacheSubnetGroupName="ode-cache")["CacheSubnetGroups"]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)
    assert {s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]} == {
        "us-east-1a",
        "us-east-1b",
        "us-east-1c",
    }

    elasticache.add_tags_to_resource(ResourceName=arn, Tags=tags(("cost", "1")))
    elasticache.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
    assert cache_tags(elasticache, arn) == {"cost": "1"}

    elasticache.delete_cache_subnet_group(CacheSubnetGroupName="ode-cache")
    missing = lambda: elasticache.describe_cache_subnet_groups(CacheSubnetGroupName="ode-cache")
    assert code_of(missing) == "CacheSubnetGroupNotFoundFault"
    assert (
        code_of(lambda: elasticache.list_tags_for_resource(ResourceName=arn))
        == "CacheSubnetGroupNotFoundFault"
    )
    again = lambda: elasticache.delete_cache_subnet_group(CacheSubnetGroupName="ode-cache")
    assert code_of(again) == "CacheSubnetGroupNotFoundFault"


def test_cache_parameter_group_lifecycle(elasticache) -> None:
    created = elasticache.create_cache_parameter_group(
        CacheParameterGroupName="ode-redis7",
        CacheParameterGroupFamily="redis7",
        Description="ODE",
        Tags=tags(("team", "cache")),
    )["CacheParameterGroup"]
    arn = created["ARN"]
    assert arn == f"arn:aws:elasticache:us-east-1:{ACCOUNT}:parametergroup:ode-redis7"
    assert (created["CacheParameterGroupFamily"], created["IsGlobal"]) == ("redis7", False)
    assert cache_tags(elasticache, arn) == {"team": "cache"}
    exists = lambda: elasticache.create_cache_parameter_group(
        CacheParameterGroupName="ode-redis7", CacheParameterGroupFamily="redis7", Description="again"
    )
    assert code_of(exists) == "CacheParameterGroupAlreadyExists"
    bad_family = lambda: elasticache.create_cache_parameter_group(
        CacheParameterGroupName="other", CacheParameterGroupFamily="redis99", Description="x"
    )
    assert code_of(bad_family) == "InvalidParameterValue"

    answer = elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="ode-redis7",
        ParameterNameValues=[
            {"ParameterName": "maxmemory-policy", "ParameterValue": "allkeys-lru"},
            {"ParameterName": "timeout", "ParameterValue": "300"},
        ],
    )
    assert answer["CacheParameterGroupName"] == "ode-redis7"
    user = elasticache.describe_cache_parameters(CacheParameterGroupName="ode-redis7", Source="user")
    assert {(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in user["Parameters"]} == {
        ("maxmemory-policy", "allkeys-lru", "user"),
        ("timeout", "300", "user"),
    }
    everything = elasticache.describe_cache_parameters(CacheParameterGroupName="ode-redis7")["Parameters"]
    by_name = {p["ParameterName"]: p for p in everything}
    assert by_name["maxmemory-samples"]["Source"] == "system"
    assert by_name["maxmemory-policy"]["ParameterValue"] == "allkeys-lru"
    elasticache.reset_cache_parameter_group(
        CacheParameterGroupName="ode-redis7", ParameterNameValues=[{"ParameterName": "timeout"}]
    )
    user = elasticache.describe_cache_parameters(CacheParameterGroupName="ode-redis7", Source="user")
    assert [p["ParameterName"] for p in user["Parameters"]] == ["maxmemory-policy"]
    [described] = elasticache.describe_cache_parameter_groups(CacheParameterGroupName="ode-redis7")[
        "CacheParameterGroups"
    ]
    assert described["Description"] == "ODE"

    # Default groups exist, and stay as they are.
    [default] = elasticache.describe_cache_parameter_groups(CacheParameterGroupName="default.redis7")[
        "CacheParameterGroups"
    ]
    assert default["CacheParameterGroupFamily"] == "redis7"
    change_default = lambda: elasticache.modify_cache_parameter_group(
        CacheParameterGroupName="default.redis7",
        ParameterNameValues=[{"ParameterName": "timeout", "ParameterValue": "1"}],
    )
    assert code_of(change_default) == "InvalidCacheParameterGroupState"

    elasticache.add_tags_to_resource(ResourceName=arn, Tags=tags(("cost", "1")))
    elasticache.remove_tags_from_resource(ResourceName=arn, TagKeys=["team"])
    assert cache_tags(elasticache, arn) == {"cost": "1"}

    elasticache.delete_cache_parameter_group(CacheParameterGroupName="ode-redis7")
    missing = lambda: elasticache.describe_cache_parameters(CacheParameterGroupName="ode-redis7")
    assert code_of(missing) == "CacheParameterGroupNotFound"
    assert (
        code_of(lambda: elasticache.list_tags_for_resource(ResourceName=arn)) == "CacheParameterGroupNotFound"
    )


def test_replication_group_members_and_fields(
    emulator: EmulatorClient, elasticache, subnets: list[str]
) -> None:
    create_subnet_group(elasticache, subnets)
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="ode-redis7", CacheParameterGroupFamily="redis7", Description="ODE"
    )
    key = emulator.client("kms").create_key()["KeyMetadata"]["Arn"]
    created = create_group(
        elasticache,
        NumCacheClusters=3,
        CacheSubnetGroupName="ode-cache",
        CacheParameterGroupName="ode-redis7",
        SecurityGroupIds=["sg-12345678"],
        AuthToken=TOKEN_1,
        TransitEncryptionEnabled=True,
        AtRestEncryptionEnabled=True,
        KmsKeyId=key,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        SnapshotRetentionLimit=5,
        SnapshotWindow="03:00-04:00",
        PreferredMaintenanceWindow="mon:05:00-mon:06:00",
        Tags=tags(("team", "cache")),
    )
    for group in (created, describe_group(elasticache)):
        assert group["Status"] == "available"
        assert group["ARN"] == f"arn:aws:elasticache:us-east-1:{ACCOUNT}:replicationgroup:ode"
        assert group["MemberClusters"] == ["ode-001", "ode-002", "ode-003"]
        [node_group] = group["NodeGroups"]
        members = node_group["NodeGroupMembers"]
        assert [(m["CacheClusterId"], m["CurrentRole"]) for m in members] == [
            ("ode-001", "primary"),
            ("ode-002", "replica"),
            ("ode-003", "replica"),
        ]
        assert [m["PreferredAvailabilityZone"] for m in members] == ["us-east-1a", "us-east-1b", "us-east-1c"]
        assert node_group["PrimaryEndpoint"]["Port"] == node_group["ReaderEndpoint"]["Port"] == 6379
        assert node_group["PrimaryEndpoint"]["Address"] != node_group["ReaderEndpoint"]["Address"]
        assert (
            group["AuthTokenEnabled"],
            group["TransitEncryptionEnabled"],
            group["AtRestEncryptionEnabled"],
        ) == (
            True,
            True,
            True,
        )
        assert (group["KmsKeyId"], group["AutomaticFailover"], group["MultiAZ"]) == (
            key,
            "enabled",
            "enabled",
        )
        assert (group["SnapshotRetentionLimit"], group["SnapshotWindow"]) == (5, "03:00-04:00")
        assert (group["CacheNodeType"], group["ClusterEnabled"]) == ("cache.t4g.small", False)
        assert group["SnapshottingClusterId"] == "ode-002"
    assert cache_tags(elasticache, created["ARN"]) == {"team": "cache"}
    assert emulator.redis_auth_token_hashes("ode") == [sha256(TOKEN_1)]

    cluster = member(elasticache, "ode-002")
    assert (cluster["ReplicationGroupId"], cluster["CacheClusterStatus"]) == ("ode", "available")
    assert (cluster["EngineVersion"], cluster["CacheSubnetGroupName"]) == ("7.1", "ode-cache")
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "ode-redis7"
    assert [g["SecurityGroupId"] for g in cluster["SecurityGroups"]] == ["sg-12345678"]
    assert cluster["PreferredMaintenanceWindow"] == "mon:05:00-mon:06:00"
    # The token itself is never in an answer.
    assert TOKEN_1 not in json.dumps(elasticache.describe_replication_groups(), default=str)


def test_replication_group_defaults(elasticache) -> None:
    group = create_group(elasticache, NumCacheClusters=1)
    assert group["MemberClusters"] == ["ode-001"]
    assert (group["AuthTokenEnabled"], group["TransitEncryptionEnabled"]) == (False, False)
    assert group["NodeGroups"][0]["ReaderEndpoint"]["Port"] == 6379
    cluster = member(elasticache, "ode-001")
    assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
    missing = lambda: create_group(elasticache, name="other", CacheParameterGroupName="nope")
    assert code_of(missing) == "CacheParameterGroupNotFound"
    assert (
        code_of(lambda: create_group(elasticache, name="other", NumCacheClusters=7))
        == "InvalidParameterValue"
    )


def test_auth_token_needs_transit_encryption(elasticache) -> None:
    refused = lambda: create_group(elasticache, AuthToken=TOKEN_1)
    assert error_of(refused) == (
        "InvalidParameterValue",
        "The AUTH token is only supported when encryption-in-transit is enabled",
    )
    short = lambda: create_group(elasticache, AuthToken="short", TransitEncryptionEnabled=True)
    assert code_of(short) == "InvalidParameterValue"
    create_group(elasticache)
    add_token = lambda: elasticache.modify_replication_group(
        ReplicationGroupId="ode", AuthToken=TOKEN_1, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )
    assert code_of(add_token) == "InvalidParameterValue"


def test_modify_replication_group(elasticache, subnets: list[str]) -> None:
    create_subnet_group(elasticache, subnets)
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="ode-redis7", CacheParameterGroupFamily="redis7", Description="ODE"
    )
    create_group(elasticache, CacheSubnetGroupName="ode-cache", SecurityGroupIds=["sg-1"], EngineVersion="7.0")
    group = elasticache.modify_replication_group(
        ReplicationGroupId="ode",
        CacheNodeType="cache.t4g.medium",
        SnapshotRetentionLimit=7,
        SnapshotWindow="01:00-02:00",
        PreferredMaintenanceWindow="Tue:03:00-Tue:04:00",
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        CacheParameterGroupName="ode-redis7",
        SecurityGroupIds=["sg-2", "sg-3"],
        EngineVersion="7.1",
        ApplyImmediately=False,
    )["ReplicationGroup"]
    for group in (group, describe_group(elasticache)):
        assert (group["Status"], group["CacheNodeType"]) == ("available", "cache.t4g.medium")
        assert (group["SnapshotRetentionLimit"], group["SnapshotWindow"]) == (7, "01:00-02:00")
        assert (group["AutomaticFailover"], group["MultiAZ"]) == ("enabled", "enabled")
        assert group["SnapshottingClusterId"] == "ode-002"
    for cluster_id in ("ode-001", "ode-002"):
        cluster = member(elasticache, cluster_id)
        assert (cluster["CacheNodeType"], cluster["EngineVersion"]) == ("cache.t4g.medium", "7.1")
        assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "ode-redis7"
        assert [g["SecurityGroupId"] for g in cluster["SecurityGroups"]] == ["sg-2", "sg-3"]
        assert cluster["PreferredMaintenanceWindow"] == "tue:03:00-tue:04:00"
    missing = lambda: elasticache.modify_replication_group(
        ReplicationGroupId="ode", CacheParameterGroupName="nope"
    )
    assert code_of(missing) == "CacheParameterGroupNotFound"
    nothing = lambda: elasticache.modify_replication_group(ReplicationGroupId="nope", CacheNodeType="x")
    assert code_of(nothing) == "ReplicationGroupNotFoundFault"


def test_auth_token_rotation(emulator: EmulatorClient, elasticache) -> None:
    create_group(elasticache, AuthToken=TOKEN_1, TransitEncryptionEnabled=True)
    before = describe_group(elasticache)["AuthTokenLastModifiedDate"]

    def modify(**kwargs: Any) -> dict:
        return elasticache.modify_replication_group(
            ReplicationGroupId="ode", ApplyImmediately=True, **kwargs
        )["ReplicationGroup"]

    # ROTATE (also the default): the old token stays valid beside the new one.
    assert modify(AuthToken=TOKEN_2, AuthTokenUpdateStrategy="ROTATE")["AuthTokenLastModifiedDate"] > before
    assert emulator.redis_auth_token_hashes("ode") == [sha256(TOKEN_1), sha256(TOKEN_2)]
    modify(AuthToken=TOKEN_3)
    assert emulator.redis_auth_token_hashes("ode") == [sha256(TOKEN_2), sha256(TOKEN_3)]
    # SET: the new token only.
    modify(AuthToken=TOKEN_1, AuthTokenUpdateStrategy="SET")
    assert emulator.redis_auth_token_hashes("ode") == [sha256(TOKEN_1)]
    assert describe_group(elasticache)["AuthTokenEnabled"] is True
    # DELETE: no token.
    with_token = lambda: modify(AuthToken=TOKEN_2, AuthTokenUpdateStrategy="DELETE")
    assert code_of(with_token) == "InvalidParameterCombination"
    without_token = lambda: modify(AuthTokenUpdateStrategy="SET")
    assert code_of(without_token) == "InvalidParameterCombination"
    assert modify(AuthTokenUpdateStrategy="DELETE")["AuthTokenEnabled"] is False
    assert emulator.redis_auth_token_hashes("ode") == []
    assert member(elasticache, "ode-001")["AuthTokenEnabled"] is False

    assert control_error(lambda: emulator.redis_auth_token_hashes("nope")) == 404
    assert control_error(lambda: urllib.request.urlopen(f"{emulator.url}/_ode/elasticache/auth")) == 400


def test_replica_counts(elasticache) -> None:
    create_group(elasticache, NumCacheClusters=2, AutomaticFailoverEnabled=True)
    grown = elasticache.increase_replica_count(
        ReplicationGroupId="ode", NewReplicaCount=3, ApplyImmediately=True
    )
    assert grown["ReplicationGroup"]["MemberClusters"] == ["ode-001", "ode-002", "ode-003", "ode-004"]
    members = describe_group(elasticache)["NodeGroups"][0]["NodeGroupMembers"]
    assert [m["CurrentRole"] for m in members] == ["primary", "replica", "replica", "replica"]
    assert member(elasticache, "ode-004")["ReplicationGroupId"] == "ode"
    not_more = lambda: elasticache.increase_replica_count(
        ReplicationGroupId="ode", NewReplicaCount=3, ApplyImmediately=True
    )
    assert code_of(not_more) == "InvalidParameterValue"
    too_many = lambda: elasticache.increase_replica_count(
        ReplicationGroupId="ode", NewReplicaCount=6, ApplyImmediately=True
    )
    assert code_of(too_many) == "InvalidParameterValue"
    later = lambda: elasticache.increase_replica_count(
        ReplicationGroupId="ode", NewReplicaCount=4, ApplyImmediately=False
    )
    assert code_of(later) == "InvalidParameterValue"

    chosen = elasticache.decrease_replica_count(
        ReplicationGroupId="ode", ReplicasToRemove=["ode-002"], ApplyImmediately=True
    )
    assert chosen["ReplicationGroup"]["MemberClusters"] == ["ode-001", "ode-003", "ode-004"]
    assert code_of(lambda: member(elasticache, "ode-002")) == "CacheClusterNotFound"
    primary = lambda: elasticache.decrease_replica_count(
        ReplicationGroupId="ode", ReplicasToRemove=["ode-001"], ApplyImmediately=True
    )
    assert code_of(primary) == "InvalidParameterValue"
    shrunk = elasticache.decrease_replica_count(
        ReplicationGroupId="ode", NewReplicaCount=1, ApplyImmediately=True
    )
    assert shrunk["ReplicationGroup"]["MemberClusters"] == ["ode-001", "ode-003"]
    # Automatic failover needs a replica.
    no_replica = lambda: elasticache.decrease_replica_count(
        ReplicationGroupId="ode", NewReplicaCount=0, ApplyImmediately=True
    )
    assert code_of(no_replica) == "InvalidParameterCombination"


def test_delete_replication_group_at_once(elasticache) -> None:
    created = create_group(elasticache, Tags=tags(("team", "cache")))
    deleted = elasticache.delete_replication_group(
        ReplicationGroupId="ode", FinalSnapshotIdentifier="ode-final"
    )
    assert deleted["ReplicationGroup"]["Status"] == "deleting"
    assert code_of(lambda: describe_group(elasticache)) == "ReplicationGroupNotFoundFault"
    assert elasticache.describe_cache_clusters()["CacheClusters"] == []
    [snapshot] = elasticache.describe_snapshots(SnapshotName="ode-final")["Snapshots"]
    assert (snapshot["ReplicationGroupId"], snapshot["SnapshotStatus"]) == ("ode", "available")
    assert code_of(lambda: cache_tags(elasticache, created["ARN"])) == "ReplicationGroupNotFoundFault"
    # The id can be used again, and the new group has none of the old one's tags.
    again = create_group(elasticache)
    assert again["Status"] == "available"
    assert cache_tags(elasticache, again["ARN"]) == {}
    assert code_of(lambda: elasticache.delete_replication_group(ReplicationGroupId="nope")) == (
        "ReplicationGroupNotFoundFault"
    )


def test_replication_group_transitions(emulator: EmulatorClient, elasticache) -> None:
    emulator.set_data_transitions(TRANSITION_S)
    assert create_group(elasticache, AuthToken=TOKEN_1, TransitEncryptionEnabled=True)["Status"] == "creating"
    group = describe_group(elasticache)
    assert (group["Status"], group["NodeGroups"][0]["Status"]) == ("creating", "creating")
    assert member(elasticache, "ode-002")["CacheClusterStatus"] == "creating"
    busy = lambda: elasticache.modify_replication_group(ReplicationGroupId="ode", SnapshotRetentionLimit=1)
    assert code_of(busy) == "InvalidReplicationGroupState"
    wait_past_transitions()
    assert describe_group(elasticache)["Status"] == "available"
    assert member(elasticache, "ode-002")["CacheClusterStatus"] == "available"

    modified = elasticache.modify_replication_group(
        ReplicationGroupId="ode", AuthToken=TOKEN_2, AuthTokenUpdateStrategy="ROTATE", ApplyImmediately=True
    )["ReplicationGroup"]
    assert (modified["Status"], modified["PendingModifiedValues"]) == (
        "modifying",
        {"AuthTokenStatus": "ROTATING"},
    )
    assert code_of(busy) == "InvalidReplicationGroupState"
    wait_past_transitions()
    group = describe_group(elasticache)
    assert (group["Status"], group["PendingModifiedValues"]) == ("available", {})

    grown = elasticache.increase_replica_count(
        ReplicationGroupId="ode", NewReplicaCount=2, ApplyImmediately=True
    )
    assert grown["ReplicationGroup"]["Status"] == "modifying"
    wait_past_transitions()

    assert (
        elasticache.delete_replication_group(ReplicationGroupId="ode")["ReplicationGroup"]["Status"]
        == "deleting"
    )
    assert describe_group(elasticache)["Status"] == "deleting"
    again = lambda: elasticache.delete_replication_group(ReplicationGroupId="ode")
    assert code_of(again) == "InvalidReplicationGroupState"
    assert code_of(lambda: create_group(elasticache)) == "ReplicationGroupAlreadyExists"
    wait_past_transitions()
    assert code_of(lambda: describe_group(elasticache)) == "ReplicationGroupNotFoundFault"
    assert elasticache.describe_cache_clusters()["CacheClusters"] == []


def test_cache_groups_in_use_are_kept(elasticache, subnets: list[str]) -> None:
    create_subnet_group(elasticache, subnets)
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="ode-redis7", CacheParameterGroupFamily="redis7", Description="ODE"
    )
    create_group(elasticache, CacheSubnetGroupName="ode-cache", CacheParameterGroupName="ode-redis7")
    in_use = lambda: elasticache.delete_cache_subnet_group(CacheSubnetGroupName="ode-cache")
    assert code_of(in_use) == "CacheSubnetGroupInUse"
    in_use = lambda: elasticache.delete_cache_parameter_group(CacheParameterGroupName="ode-redis7")
    assert code_of(in_use) == "InvalidCacheParameterGroupState"
    elasticache.delete_replication_group(ReplicationGroupId="ode")
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName="ode-cache")
    elasticache.delete_cache_parameter_group(CacheParameterGroupName="ode-redis7")


# -- CloudWatch Logs ---------------------------------------------------------------------


def test_log_group_lifecycle(emulator: EmulatorClient, logs) -> None:
    logs.create_log_group(logGroupName="/ode/app", tags={"team": "platform"})
    logs.create_log_group(logGroupName="/other/app")
    logs.put_retention_policy(logGroupName="/ode/app", retentionInDays=14)
    [group] = logs.describe_log_groups(logGroupNamePrefix="/ode/")["logGroups"]
    assert (group["logGroupName"], group["retentionInDays"]) == ("/ode/app", 14)
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ode/app"
    assert group["arn"] == arn + ":*"
    assert group["logGroupArn"] == arn

    # The tagging API takes the ARN without ":*".
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "platform"}
    logs.tag_resource(resourceArn=arn, tags={"cost": "1"})
    logs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"cost": "1"}
    starred = lambda: logs.list_tags_for_resource(resourceArn=arn + ":*")
    assert code_of(starred) == "ResourceNotFoundException"

    logs.delete_retention_policy(logGroupName="/ode/app")
    [group] = logs.describe_log_groups(logGroupNamePrefix="/ode/")["logGroups"]
    assert "retentionInDays" not in group

    logs.delete_log_group(logGroupName="/ode/app")
    assert logs.describe_log_groups(logGroupNamePrefix="/ode/")["logGroups"] == []
    assert code_of(lambda: logs.list_tags_for_resource(resourceArn=arn)) == "ResourceNotFoundException"
    assert code_of(lambda: logs.tag_resource(resourceArn=arn, tags={"a": "b"})) == "ResourceNotFoundException"
    assert code_of(lambda: logs.delete_log_group(logGroupName="/ode/app")) == "ResourceNotFoundException"
    # A new group of the same name starts without the old one's tags.
    logs.create_log_group(logGroupName="/ode/app")
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}

    names = emulator.call_names()
    assert ("logs", "CreateLogGroup") in names
    assert {action for service, action in names if service == "logs"} >= {
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
        "DescribeLogGroups",
        "ListTagsForResource",
        "TagResource",
        "UntagResource",
        "DeleteLogGroup",
    }


# -- settings and reset ------------------------------------------------------------------


def test_data_setting_rejects_bad_payloads(emulator: EmulatorClient) -> None:
    for payload in ({}, {"transition_s": -1}, {"transition_s": "soon"}, {"transition_s": 1, "other": 2}, [1]):
        assert control_error(lambda: emulator._post("/_ode/data", payload)) == 400, payload


def test_reset_forgets_data_state_and_transitions(emulator: EmulatorClient, rds, elasticache) -> None:
    create_db(rds)
    rds.modify_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.small")
    elasticache.create_cache_parameter_group(
        CacheParameterGroupName="ode-redis7", CacheParameterGroupFamily="redis7", Description="ODE"
    )
    create_group(elasticache, AuthToken=TOKEN_1, TransitEncryptionEnabled=True)
    emulator.set_data_transitions(30)
    elasticache.delete_replication_group(ReplicationGroupId="ode")

    emulator.reset()
    assert rds.describe_db_instances()["DBInstances"] == []
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []
    assert elasticache.describe_cache_parameter_groups()["CacheParameterGroups"] == []
    # Instant again: the transition time is back to 0.
    assert create_db(rds)["DBInstanceStatus"] == "available"
    assert describe_db(rds)["PendingModifiedValues"] == {}
    assert create_group(elasticache)["Status"] == "available"
    assert emulator.redis_auth_token_hashes("ode") == []


def test_engine_versions_follow_the_calendar(emulator: EmulatorClient) -> None:
    """RDS and ElastiCache offer the versions their calendars give on the emulator's
    today: a minor RDS no longer creates is refused at create and modify, a major alone
    takes its newest minor; the lists page as AWS pages them."""
    rds, cache = emulator.client("rds"), emulator.client("elasticache")
    fifteen = rds.describe_db_engine_versions(Engine="postgres", DBParameterGroupFamily="postgres15")
    assert [v["EngineVersion"] for v in fifteen["DBEngineVersions"]] == ["15.13", "15.14", "15.15"]
    everything = rds.describe_db_engine_versions(Engine="postgres", IncludeAll=True)["DBEngineVersions"]
    assert {v["EngineVersion"]: v["Status"] for v in everything}["15.12"] == "deprecated"
    pages = rds.get_paginator("describe_db_engine_versions").paginate(
        Engine="postgres", IncludeAll=True, PaginationConfig={"PageSize": 20}
    )
    assert sum(len(p["DBEngineVersions"]) for p in pages) == len(everything) > 0
    # Before 2026-05-01 RDS still created 15.12.
    emulator.set_today("2026-04-30")
    assert "15.12" in [v["EngineVersion"] for v in rds.describe_db_engine_versions(Engine="postgres")["DBEngineVersions"]]
    emulator.set_today(None)
    create = lambda version: rds.create_db_instance(
        DBInstanceIdentifier=f"db-{version.replace('.', '-')}", Engine="postgres", EngineVersion=version,
        DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="app", MasterUserPassword="password-12345",
    )["DBInstance"]
    with pytest.raises(ClientError) as refused:
        create("15.4")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "Cannot find version 15.4 for postgres" in refused.value.response["Error"]["Message"]
    assert create("15")["EngineVersion"] == "15.15"
    with pytest.raises(ClientError):
        rds.modify_db_instance(DBInstanceIdentifier="db-15", EngineVersion="15.9", ApplyImmediately=True)

    redis = cache.describe_cache_engine_versions(Engine="redis")["CacheEngineVersions"]
    assert [(v["EngineVersion"], v["CacheParameterGroupFamily"]) for v in redis] == [
        ("6.2", "redis6.x"), ("7.0", "redis7"), ("7.1", "redis7")
    ]
    valkey = cache.describe_cache_engine_versions(Engine="valkey")["CacheEngineVersions"]
    assert [v["EngineVersion"] for v in valkey] == ["7.2", "8.0", "8.1"]
    with pytest.raises(ClientError) as refused:
        cache.describe_cache_engine_versions(CacheParameterGroupFamily="redis8")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
