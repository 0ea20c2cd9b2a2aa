"""End-to-end scenarios for the ode_data_tier resource, run through each core.

The tier sits in the isolated subnets of an ``ode_network``. The emulator's data
extension (tests/support/data_emulator.py) gives Redis its member count, makes RDS
defer modifications to the maintenance window, refuses a delete without a final
snapshot decision as AWS does, and lets instances and replication groups pass through
their transitional states. Every scenario ends with a destroy and a check that nothing
of the tier is left (final snapshots, and the key that encrypts them, aside).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_network import child_provider_pids
from tests.support.core import Core, finish, write_config
from tests.support.diagnostics import (
    apply_errors,
    assert_error_at,
    attribute_line,
    destroy_errors,
    error_diagnostics,
)
from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block
from tests.support.secrets import SecretScan, secret_scan  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e

TIER = "ode-e2e-data"
ADDRESS = "ode_data_tier.this"
CANARY_PASSWORD = "Canary-Pg-Password-7f3e91"
CANARY_TOKEN = "Canary-Redis-Token-51c0d8a2e4"


def tier_config(
    emulator: EmulatorClient,
    postgres: str = "deletion_protection = false",
    redis: str = "",
    body: str = "",
    *,
    name: str = TIER,
) -> str:
    """The seed's data tier on a two-zone network; ``postgres``/``redis`` are the
    bodies of those blocks, ``body`` goes into the resource."""
    return (
        provider_block(emulator)
        + f"""
resource "ode_network" "net" {{
  name               = "ode-e2e-data-net"
  availability_zones = ["us-east-1a", "us-east-1b"]
  nat_gateways       = "single"
}}

resource "ode_data_tier" "this" {{
  name                = "{name}"
  vpc_id              = ode_network.net.vpc_id
  subnet_ids          = ode_network.net.isolated_subnet_ids
  allowed_cidr_blocks = ["10.0.0.0/16"]
  tags                = {{ Environment = "e2e" }}

  postgres {{
    {postgres}
  }}

  redis {{
    {redis}
  }}
{body}
}}

output "tier" {{
  value     = ode_data_tier.this
  sensitive = true
}}
"""
    )


def tier(core: Core, workdir: Path) -> dict[str, Any]:
    return core.output_json(workdir)["tier"]


def assert_no_changes(core: Core, workdir: Path) -> None:
    plan = core.plan(workdir)
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()


def apply_tier(core: Core, emulator: EmulatorClient, workdir: Path, **kw: Any) -> dict[str, Any]:
    write_config(workdir, tier_config(emulator, **kw))
    core.init(workdir)
    core.apply(workdir)
    return tier(core, workdir)


def leftovers(emulator: EmulatorClient, name: str = TIER) -> list[str]:
    """What of the tier still exists (final snapshots and their key aside)."""
    rds = emulator.client("rds")
    ec = emulator.client("elasticache")
    left = [f"DB instance {i['DBInstanceIdentifier']}" for i in rds.describe_db_instances()["DBInstances"]]
    left += [f"DB subnet group {g['DBSubnetGroupName']}" for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]]
    left += [
        f"DB parameter group {g['DBParameterGroupName']}"
        for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
        if g["DBParameterGroupName"].startswith(name)
    ]
    left += [f"replication group {g['ReplicationGroupId']}" for g in ec.describe_replication_groups()["ReplicationGroups"]]
    left += [
        f"cache subnet group {g['CacheSubnetGroupName']}"
        for g in ec.describe_cache_subnet_groups()["CacheSubnetGroups"]
        if g["CacheSubnetGroupName"].startswith(name)
    ]
    left += [
        f"cache parameter group {g['CacheParameterGroupName']}"
        for g in ec.describe_cache_parameter_groups()["CacheParameterGroups"]
        if g["CacheParameterGroupName"].startswith(name)
    ]
    left += [f"bucket {b['Name']}" for b in emulator.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(name)]
    groups = emulator.client("ec2").describe_security_groups(Filters=[{"Name": "tag:ode:component", "Values": ["data-tier"]}])
    left += [f"security group {g['GroupId']}" for g in groups["SecurityGroups"]]
    secrets = emulator.client("secretsmanager").list_secrets()["SecretList"]
    left += [f"secret {s['Name']}" for s in secrets if s["Name"].startswith(name) or s["Name"].startswith("rds!")]
    return left


def assert_nothing_left(emulator: EmulatorClient, name: str = TIER) -> None:
    left = leftovers(emulator, name)
    assert not left, "left behind: " + ", ".join(left)


def destroy(core: Core, workdir: Path, emulator: EmulatorClient) -> None:
    core.destroy(workdir)
    assert_nothing_left(emulator)


@pytest.mark.usefixtures("secret_scan")
def test_data_basic(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """The seed's settings: Multi-AZ PostgreSQL 15 (the newest 15.x RDS offers) with
    7-day backups, a 2-node Redis OSS 7 group, three encrypted buckets; the outputs; an
    empty second plan."""
    emulator.set_data_transitions(transition_s=0.5)
    apply_tier(core, emulator, workdir)
    assert_seed_tier(core, emulator, workdir)
    emulator.set_data_transitions(transition_s=0)
    destroy(core, workdir, emulator)


def assert_seed_tier(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """What a tier with the seed's settings is, in AWS and in its outputs; a second
    plan is empty."""
    t = tier(core, workdir)
    rds = emulator.client("rds")
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["Engine"] == "postgres" and db["EngineVersion"] == "15.15", db["EngineVersion"]
    assert db["DBInstanceClass"] == "db.t3.medium" and db["MultiAZ"] is True
    assert db["BackupRetentionPeriod"] == 7 and db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False and db["DeletionProtection"] is False
    assert "MasterUserSecret" in db, "RDS keeps the master password (managed by default)"
    ec = emulator.client("elasticache")
    (rg,) = ec.describe_replication_groups(ReplicationGroupId=f"{TIER}-redis")["ReplicationGroups"]
    assert len(rg["MemberClusters"]) == 2, rg["MemberClusters"]
    assert rg["AtRestEncryptionEnabled"] and rg["TransitEncryptionEnabled"] and rg["AuthTokenEnabled"]
    assert rg["AutomaticFailover"] == "enabled" and rg["MultiAZ"] == "enabled"
    names = sorted(b["Name"] for b in emulator.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(TIER))
    assert names == [f"{TIER}-documents", f"{TIER}-exports", f"{TIER}-fonts"]

    assert t["rds_endpoint"] == db["Endpoint"]["Address"] and t["rds_port"] == 5432
    assert t["master_secret_arn"] == db["MasterUserSecret"]["SecretArn"]
    # One key serves the database, Redis, the buckets and the tier's secrets.
    assert db["MasterUserSecret"]["KmsKeyId"] == t["secrets_kms_key_arn"], db["MasterUserSecret"]
    secret = emulator.client("secretsmanager").describe_secret(SecretId=t["master_secret_arn"])
    assert secret.get("KmsKeyId") == t["secrets_kms_key_arn"], secret
    assert db["KmsKeyId"] == t["secrets_kms_key_arn"] and db["PreferredMaintenanceWindow"] == "sun:04:30-sun:05:30"
    assert db["DBParameterGroups"][0]["DBParameterGroupName"] == f"{TIER}-postgres15"
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [t["security_group_ids"]["postgres"]]
    assert db["DBSubnetGroup"]["DBSubnetGroupName"] == f"{TIER}-postgres"
    assert t["redis_endpoint"] and t["redis_port"] == 6379 and t["redis_reader_endpoint"]
    assert t["database_url"] == f"postgresql://odeadmin@{t['rds_endpoint']}:5432/odedb?sslmode=require"
    assert t["redis_url"] == f"rediss://{t['redis_endpoint']}:6379"
    assert t["redis_auth_secret_arn"].startswith("arn:aws:secretsmanager:")
    assert set(t["bucket_names"]) == {"documents", "exports", "fonts"}
    assert t["exposure"] == "verified" and t["pending_changes"] == {}
    assert set(t["security_group_ids"]) == {"postgres", "redis"}
    # Only the allowed network reaches the ports.
    ec2 = emulator.client("ec2")
    sg = ec2.describe_security_groups(GroupIds=[t["security_group_ids"]["postgres"]])["SecurityGroups"][0]
    assert [(p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]]) for p in sg["IpPermissions"]] == [(5432, ["10.0.0.0/16"])]
    # The buckets: encrypted with the tier's key, public access blocked.
    s3 = emulator.client("s3")
    enc = s3.get_bucket_encryption(Bucket=f"{TIER}-documents")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == t["secrets_kms_key_arn"]
    # No secret in state.
    state = json.dumps(core.show_json(workdir))
    token = emulator.client("secretsmanager").get_secret_value(SecretId=t["redis_auth_secret_arn"])["SecretString"]
    assert token not in state
    # The claim lives until the core has the tier in its state: the first refresh
    # ends it on the roots and the key; the groups and the secret are never marked.
    core.plan(workdir)
    rds_prefix, cache_prefix = t["rds_arn"].rsplit(":db:", 1)[0], rg["ARN"].rsplit(":replicationgroup:", 1)[0]
    tagged = {
        arn: emulator.client(client).list_tags_for_resource(ResourceName=arn)["TagList"]
        for client, arn in [
            ("rds", t["rds_arn"]),
            ("rds", f"{rds_prefix}:subgrp:{TIER}-postgres"),
            ("rds", f"{rds_prefix}:pg:{TIER}-postgres15"),
            ("elasticache", f"{cache_prefix}:subnetgroup:{TIER}-redis"),
            ("elasticache", f"{cache_prefix}:parametergroup:{TIER}-redis7"),
        ]
    }
    tagged["key"] = [
        {"Key": tag["TagKey"]} for tag in emulator.client("kms").list_resource_tags(KeyId=t["secrets_kms_key_arn"])["Tags"]
    ]
    tagged["secret"] = emulator.client("secretsmanager").describe_secret(SecretId=t["redis_auth_secret_arn"])["Tags"]
    assert all(tags for tags in tagged.values()), tagged
    claimed = [what for what, tags in tagged.items() if any(tag["Key"] == "ode:creating" for tag in tags)]
    assert not claimed, claimed

    assert_no_changes(core, workdir)


def secret_free(text: str, *secrets: str) -> list[str]:
    return [s for s in secrets if s in text]


@pytest.mark.usefixtures("secret_scan")  # registers the managed password and token itself
def test_data_password_managed(core: Core, emulator: EmulatorClient, workdir: Path, tmp_path: Path) -> None:
    """No password attribute: RDS keeps the password in Secrets Manager and the tier
    keeps the Redis token there; neither is in state, in the plan, or in a trace log."""
    log = tmp_path / "core.log"
    env = {"TF_LOG": "trace", "TF_LOG_PATH": str(log)}
    write_config(workdir, tier_config(emulator))
    core.init(workdir)
    applied = core.apply(workdir, env=env)
    t = tier(core, workdir)
    sm = emulator.client("secretsmanager")
    password = json.loads(sm.get_secret_value(SecretId=t["master_secret_arn"])["SecretString"])["password"]
    token = sm.get_secret_value(SecretId=t["redis_auth_secret_arn"])["SecretString"]
    assert len(token) >= 32
    state = (workdir / "terraform.tfstate").read_text()
    for where, text in (("state", state), ("log", log.read_text(errors="replace")), ("output", applied.output)):
        assert not secret_free(text, password, token), f"a secret is in the {where}"
    destroy(core, workdir, emulator)


@pytest.mark.cores("tofu")
def test_data_password_write_only(core: Core, emulator: EmulatorClient, workdir: Path, tmp_path: Path, secret_scan: SecretScan) -> None:
    """Write-only password and AUTH token: sent to AWS, never in plan, state or log;
    raising the version sends a new one (the token is rotated)."""
    for label, value in (("postgres.password_wo", CANARY_PASSWORD), ("redis.auth_token_wo", CANARY_TOKEN)):
        secret_scan.add(label, value)
        secret_scan.add(label + " (rotated)", value + "-next")
    log = tmp_path / "core.log"
    env = {"TF_LOG": "trace", "TF_LOG_PATH": str(log)}
    pg = f'deletion_protection = false\n    password_wo = "{CANARY_PASSWORD}"\n    password_version = 1'
    rd = f'auth_token_wo = "{CANARY_TOKEN}"\n    auth_token_version = 1'
    write_config(workdir, tier_config(emulator, postgres=pg, redis=rd))
    core.init(workdir)
    outputs = [core.apply(workdir, env=env).output]
    t = tier(core, workdir)
    assert t["master_secret_arn"] is None and t["redis_auth_secret_arn"] is None
    digest = __import__("hashlib").sha256(CANARY_TOKEN.encode()).hexdigest()
    assert emulator.redis_auth_token_hashes(f"{TIER}-redis") == [digest]
    assert_no_changes(core, workdir)

    # Rotation: a new token and a new password, by their versions.
    new_token = CANARY_TOKEN + "-next"
    pg2 = pg.replace(CANARY_PASSWORD, CANARY_PASSWORD + "-next").replace("password_version = 1", "password_version = 2")
    rd2 = rd.replace(CANARY_TOKEN, new_token).replace("auth_token_version = 1", "auth_token_version = 2")
    write_config(workdir, tier_config(emulator, postgres=pg2, redis=rd2))
    emulator.reset_calls()
    outputs.append(core.apply(workdir, env=env).output)
    assert ("rds", "ModifyDBInstance") in emulator.call_names()
    hashes = emulator.redis_auth_token_hashes(f"{TIER}-redis")
    assert __import__("hashlib").sha256(new_token.encode()).hexdigest() in hashes, hashes
    assert_no_changes(core, workdir)

    texts = [(workdir / "terraform.tfstate").read_text(), log.read_text(errors="replace"), *outputs]
    for text in texts:
        assert not secret_free(text, CANARY_PASSWORD, CANARY_TOKEN, new_token), "a write-only secret leaked"
    destroy(core, workdir, emulator)


@pytest.mark.cores("terraform")
def test_data_password_fallback(core: Core, emulator: EmulatorClient, workdir: Path, tmp_path: Path, secret_scan: SecretScan) -> None:
    """Terraform 1.5 has no write-only attributes: `password_wo` is refused on its line
    with the way out, and the sensitive `password` works (kept in state, marked
    sensitive, never logged)."""
    # Kept in state by design on Terraform 1.5: the scan looks for them in traces only.
    secret_scan.add("postgres.password", CANARY_PASSWORD, stored=True)
    secret_scan.add("redis.auth_token", CANARY_TOKEN, stored=True)
    hcl = tier_config(emulator, postgres=f'deletion_protection = false\n    password_wo = "{CANARY_PASSWORD}"\n    password_version = 1')
    write_config(workdir, hcl)
    core.init(workdir)
    diagnosed = error_diagnostics(core, workdir)
    assert_error_at(diagnosed, "does not support write-only attributes", "main.tf", attribute_line(hcl, 'resource "ode_data_tier"', "postgres.password_wo"))

    log = tmp_path / "core.log"
    env = {"TF_LOG": "trace", "TF_LOG_PATH": str(log)}
    pg = f'deletion_protection = false\n    password = "{CANARY_PASSWORD}"'
    rd = f'auth_token = "{CANARY_TOKEN}"'
    write_config(workdir, tier_config(emulator, postgres=pg, redis=rd))
    applied = core.apply(workdir, env=env)
    assert not secret_free(log.read_text(errors="replace") + applied.output, CANARY_PASSWORD, CANARY_TOKEN)
    shown = core.show_json(workdir)
    res = next(r for r in shown["values"]["root_module"]["resources"] if r["address"] == ADDRESS)
    assert res["sensitive_values"]["postgres"][0]["password"] is True if isinstance(res["sensitive_values"]["postgres"], list) else res["sensitive_values"]["postgres"]["password"] is True
    assert_no_changes(core, workdir)
    destroy(core, workdir, emulator)


def test_data_update_in_place(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Instance class, backup retention, the Redis version and maintenance window change
    in place (applied now); lowering an engine version is refused at plan."""
    apply_tier(core, emulator, workdir)
    write_config(
        workdir,
        tier_config(
            emulator,
            postgres='deletion_protection = false\n    instance_class = "db.t3.large"\n    backup_retention_days = 14\n    apply_immediately = true',
            redis='node_type = "cache.t3.large"\n    engine_version = "7.1"\n    maintenance_window = "tue:03:00-tue:04:00"',
        ).replace('tags                = { Environment = "e2e" }', 'tags                = { Environment = "e2e", Team = "data" }'),
    )
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "updated in-place" in plan.stdout and "must be replaced" not in plan.stdout, plan.describe()
    emulator.set_data_transitions(transition_s=0.5)
    core.apply(workdir)
    (db,) = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["DBInstanceClass"] == "db.t3.large" and db["BackupRetentionPeriod"] == 14
    assert not db.get("PendingModifiedValues"), db.get("PendingModifiedValues")
    (rg,) = emulator.client("elasticache").describe_replication_groups(ReplicationGroupId=f"{TIER}-redis")["ReplicationGroups"]
    assert rg["CacheNodeType"] == "cache.t3.large"
    (member,) = emulator.client("elasticache").describe_cache_clusters(CacheClusterId=f"{TIER}-redis-001")["CacheClusters"]
    assert (member["EngineVersion"], member["PreferredMaintenanceWindow"]) == ("7.1", "tue:03:00-tue:04:00"), member
    # Tags follow in place, on every kind of object.
    assert {"Key": "Team", "Value": "data"} in db["TagList"], db["TagList"]
    rg_tags = emulator.client("elasticache").list_tags_for_resource(ResourceName=rg["ARN"])["TagList"]
    assert {"Key": "Team", "Value": "data"} in rg_tags, rg_tags
    sg_id = tier(core, workdir)["security_group_ids"]["redis"]
    sg_tags = emulator.client("ec2").describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]["Tags"]
    assert {"Key": "Team", "Value": "data"} in sg_tags, sg_tags
    # ... and on the subnet and parameter groups, whose Describe calls carry no tags.
    rds_prefix, cache_prefix = db["DBInstanceArn"].rsplit(":db:", 1)[0], rg["ARN"].rsplit(":replicationgroup:", 1)[0]
    for client, arn in [
        ("rds", f"{rds_prefix}:subgrp:{TIER}-postgres"),
        ("rds", f"{rds_prefix}:pg:{TIER}-postgres15"),
        ("elasticache", f"{cache_prefix}:subnetgroup:{TIER}-redis"),
        ("elasticache", f"{cache_prefix}:parametergroup:{TIER}-redis7"),
    ]:
        group_tags = emulator.client(client).list_tags_for_resource(ResourceName=arn)["TagList"]
        assert {"Key": "Team", "Value": "data"} in group_tags, (arn, group_tags)
    assert tier(core, workdir)["pending_changes"] == {}
    assert_no_changes(core, workdir)
    emulator.set_data_transitions(transition_s=0)

    lowered = tier_config(emulator, postgres='deletion_protection = false\n    engine_version = "14.10"', redis='engine_version = "7.0"')
    write_config(workdir, lowered)
    diagnosed = error_diagnostics(core, workdir)
    assert_error_at(diagnosed, "RDS cannot move postgres from 15 back to 14.10", "main.tf", attribute_line(lowered, "resource \"ode_data_tier\"", "postgres.engine_version"))
    assert_error_at(diagnosed, "ElastiCache cannot move redis from 7.1 back to 7.0", "main.tf", attribute_line(lowered, "resource \"ode_data_tier\"", "redis.engine_version"))
    assert len(diagnosed.errors) == 2, diagnosed.describe()
    write_config(workdir, tier_config(emulator, postgres="deletion_protection = false", redis='engine_version = "7.1"'))
    destroy(core, workdir, emulator)


def test_data_copy_tags_to_snapshot(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """copy_tags_to_snapshot: on unless turned off; turned off in place; a change made
    outside Terraform shows in the next plan and apply takes it back."""
    apply_tier(core, emulator, workdir)
    rds = emulator.client("rds")
    db_id = f"{TIER}-postgres"

    def copies() -> bool:
        return rds.describe_db_instances(DBInstanceIdentifier=db_id)["DBInstances"][0]["CopyTagsToSnapshot"]

    assert copies() is True
    off = tier_config(emulator, postgres="deletion_protection = false\n    copy_tags_to_snapshot = false")
    write_config(workdir, off)
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "copy_tags_to_snapshot" in plan.stdout and "must be replaced" not in plan.stdout, plan.describe()
    core.apply(workdir)
    assert copies() is False
    assert_no_changes(core, workdir)

    rds.modify_db_instance(DBInstanceIdentifier=db_id, CopyTagsToSnapshot=True, ApplyImmediately=True)
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "copy_tags_to_snapshot" in plan.stdout, plan.describe()
    core.apply(workdir)
    assert copies() is False
    assert_no_changes(core, workdir)
    destroy(core, workdir, emulator)


def test_data_pending_changes(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A change AWS applies in the maintenance window: reported in pending_changes, not
    drift; once applied, still no diff. A minor version AWS applied is not drift."""
    apply_tier(core, emulator, workdir)
    write_config(workdir, tier_config(emulator, postgres='deletion_protection = false\n    instance_class = "db.t3.large"'))
    core.apply(workdir)
    (db,) = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["DBInstanceClass"] == "db.t3.medium"
    assert db["PendingModifiedValues"]["DBInstanceClass"] == "db.t3.large"
    assert tier(core, workdir)["pending_changes"] == {"postgres.instance_class": "db.t3.large"}
    assert_no_changes(core, workdir)

    emulator.apply_rds_maintenance(f"{TIER}-postgres")
    emulator.rds_minor_upgrade(f"{TIER}-postgres", "15.16")
    # The refresh records what happened; the resource itself has nothing to change.
    core.apply(workdir, "-refresh-only")
    assert tier(core, workdir)["pending_changes"] == {}
    assert_no_changes(core, workdir)
    destroy(core, workdir, emulator)


def test_data_version_lifecycle(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Engine versions against what RDS and ElastiCache offer on 2026-12-01: versions AWS
    no longer creates are refused at plan, on the attribute and naming the offered ones,
    before anything is made; the seed's majors resolve to the newest minors; Redis OSS
    moves to Valkey in place (priced lower) and not back."""
    hcl = tier_config(
        emulator,
        postgres='deletion_protection = false\n    engine_version = "15.4"',
        redis='engine = "valkey"\n    engine_version = "7.1"',
    )
    write_config(workdir, hcl)
    core.init(workdir)
    emulator.reset_calls()
    diagnosed = error_diagnostics(core, workdir)
    resource = 'resource "ode_data_tier"'
    pg = assert_error_at(diagnosed, "RDS does not offer PostgreSQL 15.4", "main.tf", attribute_line(hcl, resource, "postgres.engine_version"))
    assert pg.says("in major 15 it offers 15.13, 15.14, 15.15"), pg
    cache = assert_error_at(diagnosed, "ElastiCache does not offer Valkey 7.1", "main.tf", attribute_line(hcl, resource, "redis.engine_version"))
    assert cache.says("it offers 7.2"), cache
    hcl = tier_config(emulator, redis='engine_version = "8"')
    write_config(workdir, hcl)
    diagnosed = error_diagnostics(core, workdir)
    assert_error_at(diagnosed, "in major 8 it offers no Redis OSS 8 version", "main.tf", attribute_line(hcl, resource, "redis.engine_version"))
    mutating = [a for _, a in emulator.call_names() if not a.startswith(("Describe", "List", "Get"))]
    assert mutating == [], mutating

    # The seed's majors: the newest minors AWS offers, and the state keeps the majors.
    write_config(workdir, tier_config(emulator))
    core.apply(workdir)
    (db,) = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["EngineVersion"] == "15.15", db["EngineVersion"]
    ec = emulator.client("elasticache")
    (member,) = ec.describe_cache_clusters(CacheClusterId=f"{TIER}-redis-001")["CacheClusters"]
    assert (member["Engine"], member["EngineVersion"]) == ("redis", "7.1"), member
    redis_cost = tier(core, workdir)["cost_items"]["ElastiCache"]
    assert_no_changes(core, workdir)

    # Redis OSS to Valkey 8: in place, on Valkey's parameter group family, priced lower.
    write_config(workdir, tier_config(emulator, redis='engine = "valkey"\n    engine_version = "8"'))
    core.apply(workdir)
    (member,) = ec.describe_cache_clusters(CacheClusterId=f"{TIER}-redis-001")["CacheClusters"]
    assert (member["Engine"], member["EngineVersion"]) == ("valkey", "8.1"), member
    assert member["CacheParameterGroup"]["CacheParameterGroupName"] == f"{TIER}-valkey8", member
    groups = [g["CacheParameterGroupName"] for g in ec.describe_cache_parameter_groups()["CacheParameterGroups"]]
    assert f"{TIER}-redis7" not in groups, groups
    assert tier(core, workdir)["cost_items"]["ElastiCache"] == round(redis_cost * 0.8, 2)
    assert_no_changes(core, workdir)
    hcl = tier_config(emulator, redis='engine = "redis"\n    engine_version = "8"')
    write_config(workdir, hcl)
    diagnosed = error_diagnostics(core, workdir)
    assert_error_at(diagnosed, "upgrades a Redis OSS group to Valkey in place, but not back", "main.tf", attribute_line(hcl, resource, "redis.engine"))
    write_config(workdir, tier_config(emulator, redis='engine = "valkey"\n    engine_version = "8"'))
    destroy(core, workdir, emulator)


@pytest.mark.no_chaos
def test_data_db_failed(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A DB instance RDS could not make ends ``failed``: the apply fails with RDS's
    reason (its event); the state keeps what exists, so the failed tier is replaced by
    the next apply, which converges; nothing is left after destroy."""
    reason = "DB instance could not be created: the requested DB instance class is not available in us-east-1b"
    emulator.fail_next("db", f"{TIER}-postgres", reason)
    hcl = tier_config(emulator, postgres="deletion_protection = false\n    final_snapshot = false")
    write_config(workdir, hcl)
    core.init(workdir)
    failed = apply_errors(core, workdir)
    assert failed.failed, failed.describe()
    text = failed.text()
    assert "failed" in text and reason in text, failed.describe()
    (db,) = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["DBInstanceStatus"] == "failed"
    assert ADDRESS in core.run(workdir, "state", "list").stdout.split()
    core.apply(workdir)
    (db,) = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["DBInstanceStatus"] == "available"
    assert_no_changes(core, workdir)
    destroy(core, workdir, emulator)


@pytest.mark.no_chaos
def test_data_redis_create_failed(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A replication group ElastiCache could not make ends ``create-failed``: the apply
    fails with ElastiCache's reason (its event); the next apply converges."""
    reason = "Failed to create cache cluster: insufficient cache.t3.medium capacity in us-east-1a"
    emulator.fail_next("replication-group", f"{TIER}-redis", reason)
    write_config(workdir, tier_config(emulator, postgres="deletion_protection = false\n    final_snapshot = false"))
    core.init(workdir)
    failed = apply_errors(core, workdir)
    assert failed.failed, failed.describe()
    text = failed.text()
    assert "create-failed" in text and reason in text, failed.describe()
    ec = emulator.client("elasticache")
    assert ec.describe_replication_groups(ReplicationGroupId=f"{TIER}-redis")["ReplicationGroups"][0]["Status"] == "create-failed"
    core.apply(workdir)
    assert ec.describe_replication_groups(ReplicationGroupId=f"{TIER}-redis")["ReplicationGroups"][0]["Status"] == "available"
    assert_no_changes(core, workdir)
    destroy(core, workdir, emulator)


PG_PARAMETERS = {
    "rds.force_ssl": "1",
    "log_min_duration_statement": "500",
    "statement_timeout": "30000",
    "idle_in_transaction_session_timeout": "60000",
    "work_mem": "8192",
}
REDIS_PARAMETERS = {
    "maxmemory-policy": "allkeys-lru",
    "maxmemory-samples": "5",
    "timeout": "300",
    "notify-keyspace-events": "Ex",
    "tcp-keepalive": "60",
}


def hcl_params(params: dict[str, str]) -> str:
    return "parameters = {\n" + "".join(f'      "{k}" = "{v}"\n' for k, v in params.items()) + "    }"


def test_data_pagination(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Both parameter groups' user parameters are read to their last page: with the
    emulator answering two items a page, five parameters each plan empty after apply,
    and a change made outside to any of them is drift that apply repairs."""
    emulator.set_page_size(2)
    apply_tier(
        core,
        emulator,
        workdir,
        postgres="deletion_protection = false\n    " + hcl_params(PG_PARAMETERS),
        redis=hcl_params(REDIS_PARAMETERS),
    )
    emulator.reset_calls()
    assert_no_changes(core, workdir)
    calls = emulator.call_names()
    assert calls.count(("rds", "DescribeDBParameters")) >= 3, calls
    assert calls.count(("elasticache", "DescribeCacheParameters")) >= 3, calls
    emulator.client("rds").modify_db_parameter_group(
        DBParameterGroupName=f"{TIER}-postgres15",
        Parameters=[{"ParameterName": "work_mem", "ParameterValue": "4096", "ApplyMethod": "immediate"}],
    )
    emulator.client("elasticache").modify_cache_parameter_group(
        CacheParameterGroupName=f"{TIER}-redis7",
        ParameterNameValues=[{"ParameterName": "tcp-keepalive", "ParameterValue": "300"}],
    )
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "work_mem" in plan.stdout and "tcp-keepalive" in plan.stdout, plan.describe()
    core.apply(workdir)
    assert_no_changes(core, workdir)
    destroy(core, workdir, emulator)


def test_data_exposure_drift(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Someone opens 5432 to the world: the plan shows it, apply takes it back."""
    t = apply_tier(core, emulator, workdir)
    ec2 = emulator.client("ec2")
    sg = t["security_group_ids"]["postgres"]
    ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    # Both engines put into a second, wide open group; Redis's window moved.
    vpc = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["VpcId"]
    open_sg = ec2.create_security_group(GroupName="wide-open", Description="outside", VpcId=vpc)["GroupId"]
    redis_sg = t["security_group_ids"]["redis"]
    emulator.client("rds").modify_db_instance(
        DBInstanceIdentifier=f"{TIER}-postgres", VpcSecurityGroupIds=[sg, open_sg], ApplyImmediately=True
    )
    emulator.client("elasticache").modify_replication_group(
        ReplicationGroupId=f"{TIER}-redis",
        SecurityGroupIds=[redis_sg, open_sg],
        PreferredMaintenanceWindow="fri:01:00-fri:02:00",
        ApplyImmediately=True,
    )
    plan = core.plan(workdir)
    assert plan.returncode == 2 and f"{sg} (postgres) admits 0.0.0.0/0 on 5432" in plan.stdout, plan.describe()
    assert f"{TIER}-postgres is in security groups [{sg}, {open_sg}], not only {sg}" in plan.stdout, plan.describe()
    assert f"{TIER}-redis is in security groups [{redis_sg}, {open_sg}], not only {redis_sg}" in plan.stdout, plan.describe()
    assert re.search(r'maintenance_window\s+= "fri:01:00-fri:02:00" -> ', plan.stdout), plan.describe()
    core.apply(workdir)
    perms = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"]
    assert [r["CidrIp"] for p in perms for r in p["IpRanges"]] == ["10.0.0.0/16"], perms
    (db,) = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [sg], db["VpcSecurityGroups"]
    (member,) = emulator.client("elasticache").describe_cache_clusters(CacheClusterId=f"{TIER}-redis-001")["CacheClusters"]
    assert [g["SecurityGroupId"] for g in member["SecurityGroups"]] == [redis_sg], member
    assert member["PreferredMaintenanceWindow"] != "fri:01:00-fri:02:00", member
    assert tier(core, workdir)["exposure"] == "verified"
    ec2.delete_security_group(GroupId=open_sg)
    assert_no_changes(core, workdir)
    destroy(core, workdir, emulator)


def final_snapshots(emulator: EmulatorClient) -> list[str]:
    snaps = emulator.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    return [s["DBSnapshotIdentifier"] for s in snaps if s["DBSnapshotIdentifier"].startswith(f"{TIER}-postgres-final-")]


def test_data_deletion_protection(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Destroy is refused while deletion protection is on, before anything is deleted;
    with it off, destroy takes a final snapshot and says its name."""
    apply_tier(core, emulator, workdir, postgres="deletion_protection = true")
    s3 = emulator.client("s3")
    s3.put_object(Bucket=f"{TIER}-documents", Key="contract.pdf", Body=b"%PDF")
    emulator.reset_calls()
    diagnosed = destroy_errors(core, workdir)
    assert diagnosed.failed
    said = " ".join(str(e) for e in diagnosed.errors)
    assert "deletion protection on" in said and "deletion_protection = false" in said, said
    assert f"Bucket {TIER}-documents still holds 1 object" in said, said
    # (The refresh's DeleteTags ends the create's claim mark: a tag, not an object.)
    deletes = [
        a for s, a in emulator.call_names() if (a.startswith("Delete") and a != "DeleteTags") or a.startswith("Schedule")
    ]
    assert not deletes, deletes
    assert not leftovers(emulator) == [], "the refused destroy deleted something"
    assert len(leftovers(emulator)) >= 10

    write_config(workdir, tier_config(emulator, postgres="deletion_protection = false", body="  force_destroy = true"))
    core.apply(workdir)
    result = core.destroy(workdir)
    snaps = final_snapshots(emulator)
    assert len(snaps) == 1 and snaps[0] in result.output, (snaps, result.output)
    assert_nothing_left(emulator)


@pytest.mark.usefixtures("secret_scan")
def test_data_restore_matches_create(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """The seed's restore procedure as code: a tier created from a final snapshot is
    what a created tier is (every property test_data_basic checks, the master-user
    secret under the tier's key included); another snapshot replaces it."""
    apply_tier(core, emulator, workdir)
    core.destroy(workdir)
    (snapshot,) = final_snapshots(emulator)
    pg = f'deletion_protection = false\n    final_snapshot = false\n    restore_from_snapshot = "{snapshot}"'
    write_config(workdir, tier_config(emulator, postgres=pg))
    emulator.set_data_transitions(transition_s=0.5)
    core.apply(workdir)
    emulator.set_data_transitions(transition_s=0)
    rds = emulator.client("rds")
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["DBInstanceStatus"] == "available"
    assert_seed_tier(core, emulator, workdir)
    # Another snapshot means another database: the plan replaces it.
    write_config(workdir, tier_config(emulator, postgres=pg.replace(snapshot, snapshot + "-other")))
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "must be replaced" in plan.stdout and "restore_from_snapshot" in plan.stdout, plan.describe()
    write_config(workdir, tier_config(emulator, postgres=pg))
    core.destroy(workdir)
    assert final_snapshots(emulator) == [snapshot]
    assert_nothing_left(emulator)


@pytest.mark.usefixtures("secret_scan")
def test_data_import(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    apply_tier(core, emulator, first)
    network = core.state_resource(first, "ode_network.net")
    write_config(second, tier_config(emulator))
    core.init(second)
    core.import_(second, "ode_network.net", network["vpc_id"])
    core.import_(second, ADDRESS, TIER)
    assert_no_changes(core, second)
    for address in ("ode_network.net", ADDRESS):
        core.run(first, "state", "rm", address)
    destroy(core, second, emulator)


@pytest.mark.usefixtures("secret_scan")
def test_data_crash_adopt(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """The provider is killed while the database is being created; the next apply adopts
    what it left: one instance, one replication group, no duplicate groups or buckets."""
    write_config(workdir, tier_config(emulator))
    core.init(workdir)
    emulator.set_data_transitions(transition_s=6)
    emulator.reset_calls()
    proc = core.start(workdir, "apply", "-input=false", "-auto-approve")
    try:
        deadline = time.monotonic() + 120
        while ("rds", "CreateDBInstance") not in emulator.call_names():
            assert proc.poll() is None and time.monotonic() < deadline, "no CreateDBInstance call"
            time.sleep(0.05)
        time.sleep(0.5)  # inside the waits
        for pid in child_provider_pids(proc.pid):
            os.kill(pid, signal.SIGKILL)
        finish(proc)
    finally:
        emulator.set_data_transitions(transition_s=0)
    assert proc.returncode != 0
    (db,) = emulator.client("rds").describe_db_instances()["DBInstances"]
    assert any(t["Key"] == "ode:creating" for t in db["TagList"]), db["TagList"]

    core.apply(workdir)
    t = tier(core, workdir)
    assert len(emulator.client("rds").describe_db_instances()["DBInstances"]) == 1
    assert len(emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]) == 1
    groups = emulator.client("ec2").describe_security_groups(Filters=[{"Name": "tag:ode:component", "Values": ["data-tier"]}])
    assert len(groups["SecurityGroups"]) == 2
    assert len(t["bucket_names"]) == 3
    assert_no_changes(core, workdir)
    (db,) = emulator.client("rds").describe_db_instances()["DBInstances"]
    assert not any(tag["Key"] == "ode:creating" for tag in db["TagList"]), "the refresh did not end the claim"
    destroy(core, workdir, emulator)


def test_data_same_name_two_states(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    """A second configuration with the same tier name fails on `name` and changes nothing."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    apply_tier(core, emulator, first)
    hcl = tier_config(emulator).replace('name               = "ode-e2e-data-net"', 'name               = "ode-e2e-data-net2"')
    write_config(second, hcl)
    core.init(second)
    emulator.reset_calls()
    result = core.run(second, "apply", "-input=false", "-auto-approve", check=False)
    assert result.returncode != 0 and f'Data tier name "{TIER}" is taken' in result.output, result.describe()
    writes = [a for s, a in emulator.call_names() if s in ("rds", "elasticache", "s3") and not a.startswith(("Describe", "List", "Get", "Head"))]
    assert not writes, writes
    core.destroy(second)
    destroy(core, first, emulator)


def group(postgres: str = "", redis: str = "", body: str = "") -> dict[str, str]:
    return {"postgres": postgres or "deletion_protection = false", "redis": redis, "body": body}


BAD_INPUTS: list[tuple[str, dict[str, str], str, str]] = [
    ("name-upper", {"name": "Ode-Data"}, "name", "a tier name is 1 to 30"),
    ("name-long", {"name": "ode-" + "x" * 40}, "name", "a tier name is 1 to 30"),
    ("cidr-bad", {"cidrs": '["10.0.0.0/33"]'}, "allowed_cidr_blocks", "10.0.0.0/33"),
    ("cidr-world", {"cidrs": '["0.0.0.0/0"]'}, "allowed_cidr_blocks", "opens the databases to everyone"),
    ("sg-bad", group(body='  allowed_security_group_ids = ["default"]'), "allowed_security_group_ids", "is not a security group ID"),
    ("kms-not-arn", group(body='  kms_key_arn = "my-key"'), "kms_key_arn", "is not a valid kms ARN"),
    ("tag-reserved", {"tags": '{ "ode:stack" = "x" }'}, "tags", "reserves for its"),
    ("timeout-bad", group(body='  timeouts {\n    create = "soon"\n  }'), "timeouts.create", "unknown unit"),
    ("pg-version", group('engine_version = "9.6"'), "postgres.engine_version", "is not a version this tier supports"),
    ("pg-class", group('instance_class = "t3.medium"'), "postgres.instance_class", 'is not a class like "db.t3.medium"'),
    ("pg-storage-small", group("allocated_storage = 5"), "postgres.allocated_storage", "must be 20 to 65536"),
    ("pg-storage-max", group("allocated_storage = 100\n    max_allocated_storage = 50"), "postgres.max_allocated_storage", "must be at least allocated_storage"),
    ("pg-storage-type", group('storage_type = "magnetic"'), "postgres.storage_type", '"magnetic": use one of'),
    ("pg-retention", group("backup_retention_days = 90"), "postgres.backup_retention_days", "must be 1 to 35"),
    ("pg-backup-window", group('backup_window = "3am-4am"'), "postgres.backup_window", 'is not a window like "03:00-04:00"'),
    ("pg-backup-short", group('backup_window = "03:00-03:10"'), "postgres.backup_window", "at least 30 minutes"),
    ("pg-maintenance-window", group('maintenance_window = "sunday:04:30-sunday:05:30"'), "postgres.maintenance_window", "is not a window like"),
    ("pg-windows-overlap", group('backup_window = "04:00-05:00"\n    maintenance_window = "sun:04:30-sun:05:30"'), "postgres.backup_window", "overlaps the maintenance window"),
    ("pg-database-name", group('database_name = "1ode"'), "postgres.database_name", "a database name is 1 to 63"),
    ("pg-username-reserved", group('username = "rdsadmin"'), "postgres.username", "is reserved"),
    ("pg-password-short", group('password = "short"'), "postgres.password", "8 to 128 characters"),
    ("pg-parameter-key", group('parameters = { "bad key" = "1" }'), "postgres.parameters", "is not a PostgreSQL parameter name"),
    ("pg-snapshot-id", group('restore_from_snapshot = "snap shot"'), "postgres.restore_from_snapshot", "is not a DB snapshot identifier"),
    ("redis-version", group(redis='engine_version = "5.0"'), "redis.engine_version", "is not a version this tier supports"),
    ("redis-node", group(redis='node_type = "t3.medium"'), "redis.node_type", 'is not a class like "cache.t3.medium"'),
    ("redis-one-node-failover", group(redis="num_cache_clusters = 1"), "redis.num_cache_clusters", "need at least 2 nodes"),
    ("redis-token-no-tls", group(redis=f'transit_encryption = false\n    auth_token = "{CANARY_TOKEN}"'), "redis.auth_token", "only with transit_encryption = true"),
    ("redis-snapshot-days", group(redis="snapshot_retention_days = 40"), "redis.snapshot_retention_days", "must be 0 to 35"),
    ("bucket-key", group(body='  buckets = {\n    Docs = {}\n  }'), "buckets.Docs", '"Docs": bucket keys are lowercase'),
    ("lifecycle-order", group(body='  buckets = {\n    documents = {\n      transition_ia_days      = 60\n      transition_glacier_days = 30\n    }\n  }'), "buckets.documents", "must be at least transition_ia_days + 30"),
    ("bucket-encryption", group(body='  buckets = {\n    documents = {\n      encryption = "des"\n    }\n  }'), "buckets.documents", '"des": use one of'),
]


def bad_line(hcl: str, attribute: str) -> int:
    header = 'resource "ode_data_tier"'
    if attribute.startswith("buckets."):
        lines = hcl.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("buckets "))
        name = attribute.split(".", 1)[1]
        return next(i + 1 for i in range(start, len(lines)) if re.match(rf"\s*{name}\s*=", lines[i]))
    return attribute_line(hcl, header, attribute)


def test_data_bad_inputs(core: Core, emulator: EmulatorClient, workdir: Path, subtests) -> None:
    write_config(workdir, tier_config(emulator))
    core.init(workdir)
    emulator.reset_calls()
    assert len(BAD_INPUTS) >= 20
    for case, parts, attribute, message in BAD_INPUTS:
        with subtests.test(case=case):
            hcl = tier_config(
                emulator,
                postgres=parts.get("postgres", "deletion_protection = false"),
                redis=parts.get("redis", ""),
                body=parts.get("body", ""),
                name=parts.get("name", TIER),
            )
            hcl = hcl.replace('allowed_cidr_blocks = ["10.0.0.0/16"]', f"allowed_cidr_blocks = {parts.get('cidrs', json.dumps(['10.0.0.0/16']))}")
            default_tags = '{ Environment = "e2e" }'
            hcl = hcl.replace(f"tags                = {default_tags}", "tags                = " + parts.get("tags", default_tags))
            write_config(workdir, hcl)
            diagnosed = error_diagnostics(core, workdir)
            assert_error_at(diagnosed, message, "main.tf", bad_line(hcl, attribute), case=case)
    with subtests.test(case="subnets-one-zone"):
        ec2 = emulator.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        ids = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
            for i in (1, 2)
        ]
        hcl = tier_config(emulator).replace("subnet_ids          = ode_network.net.isolated_subnet_ids", f"subnet_ids          = {json.dumps(ids)}")
        write_config(workdir, hcl)
        diagnosed = error_diagnostics(core, workdir)
        assert_error_at(diagnosed, "these are all in us-east-1a", "main.tf", attribute_line(hcl, 'resource "ode_data_tier"', "subnet_ids"), case="subnets-one-zone")
    with subtests.test(case="no-sources-warns"):
        hcl = tier_config(emulator).replace('  allowed_cidr_blocks = ["10.0.0.0/16"]\n', "")
        write_config(workdir, hcl)
        plan = core.plan(workdir)
        assert "Nothing can connect" in plan.output, plan.describe()
    # Nothing was created: only reads reached the data services.
    writes = [a for s, a in emulator.call_names() if s in ("rds", "elasticache", "s3", "kms", "secretsmanager") and not a.startswith(("Describe", "List", "Get", "Head"))]
    assert not writes, writes


def test_data_storage_shrink_refused(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Storage only grows: a smaller allocated_storage is refused at plan, on the
    attribute, naming the current size; nothing is sent to RDS. RDS (the emulator)
    refuses the same request."""
    apply_tier(core, emulator, workdir, postgres="deletion_protection = false\n    allocated_storage = 100")
    hcl = tier_config(emulator, postgres="deletion_protection = false\n    allocated_storage = 50")
    write_config(workdir, hcl)
    emulator.reset_calls()
    assert_error_at(
        error_diagnostics(core, workdir),
        "The database has 100 GiB; RDS cannot reduce allocated storage to 50 GiB",
        "main.tf",
        attribute_line(hcl, 'resource "ode_data_tier"', "postgres.allocated_storage"),
    )
    assert not [a for s, a in emulator.call_names() if a.startswith("Modify")]
    rds = emulator.client("rds")
    with pytest.raises(rds.exceptions.ClientError) as refused:
        rds.modify_db_instance(DBInstanceIdentifier=f"{TIER}-postgres", AllocatedStorage=50, ApplyImmediately=True)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["AllocatedStorage"] == 100 and "AllocatedStorage" not in db.get("PendingModifiedValues", {})
    # Growing is fine.
    write_config(workdir, tier_config(emulator, postgres="deletion_protection = false\n    allocated_storage = 120\n    apply_immediately = true"))
    core.apply(workdir)
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=f"{TIER}-postgres")["DBInstances"]
    assert db["AllocatedStorage"] == 120
    destroy(core, workdir, emulator)
