"""End-to-end scenarios for the ode_state_backend resource, run through each core."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.core import Core, Result, write_config
from tests.support.diagnostics import assert_error_at, attribute_line, block_line, error_diagnostics
from tests.support.emulator import EmulatorClient
from tests.support.helpers import assert_emulator_empty, provider_block

pytestmark = pytest.mark.e2e

ADDRESS = "ode_state_backend.this"
RESOURCE_HEADER = 'resource "ode_state_backend" "this"'
BUCKET = "ode-e2e-terraform-state"
TABLE = "ode-e2e-terraform-locks"
STATE_KEY = "ode/terraform.tfstate"
TAGS = {"ManagedBy": "Terraform", "Team": "platform"}
DEFAULT_TAGS = {"Environment": "e2e", "ManagedBy": "default-tags"}
# What tags_all must be: the resource's tags win over the provider's default_tags.
TAGS_ALL = {**DEFAULT_TAGS, **TAGS}

DEFAULT_TAGS_BLOCK = """  default_tags {
    tags = { Environment = "e2e", ManagedBy = "default-tags" }
  }"""


def hcl_map(values: dict[str, str]) -> str:
    return "{ " + ", ".join(f'{json.dumps(k)} = {json.dumps(v)}' for k, v in values.items()) + " }"


def backend_config(
    emulator: EmulatorClient,
    body: str | None = None,
    *,
    provider_extra: str = DEFAULT_TAGS_BLOCK,
) -> str:
    """Provider blocks, one ode_state_backend with ``body`` and an output holding it all.

    The default body is the bucket, table, state key and tags of this module.
    """
    if body is None:
        body = f"""  bucket     = "{BUCKET}"
  lock_table = "{TABLE}"
  state_key  = "{STATE_KEY}"
  tags       = {hcl_map(TAGS)}"""
    return (
        provider_block(emulator, extra=provider_extra)
        + f"""
resource "ode_state_backend" "this" {{
{body}
}}

output "backend" {{
  value = ode_state_backend.this
}}
"""
    )


def assert_no_changes(core: Core, workdir: Path) -> None:
    plan = core.plan(workdir)
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()


def assert_changes(core: Core, workdir: Path) -> Result:
    plan = core.plan(workdir)
    assert plan.returncode == 2, "expected a non-empty plan\n" + plan.describe()
    return plan


def parse_backend_snippet(snippet: str) -> dict[str, Any]:
    """The settings of a `backend "s3" { ... }` block, as Python values."""
    assert re.search(r'\bbackend\s+"s3"\s*\{', snippet), f"no backend block in:\n{snippet}"
    settings: dict[str, Any] = {}
    for name, value in re.findall(r'^\s*(\w+)\s*=\s*(".*?"|true|false)\s*$', snippet, re.M):
        settings[name] = json.loads(value)
    return settings


def assert_computed_values(values: dict[str, Any], *, state_key: str = STATE_KEY) -> None:
    """The attributes of a freshly created backend with this module's settings."""
    assert values["id"] == BUCKET
    assert values["bucket"] == BUCKET
    assert values["lock_table"] == TABLE
    assert values["bucket_arn"] == f"arn:aws:s3:::{BUCKET}"
    assert re.fullmatch(rf"arn:aws:dynamodb:us-east-1:\d{{12}}:table/{TABLE}", values["lock_table_arn"]), values
    assert values["region"] == "us-east-1"
    assert values["versioning"] == "Enabled"
    assert values["encryption"] == "AES256"
    assert values["public_access_blocked"] is True
    assert values["tls_only_policy"] is True
    assert values["point_in_time_recovery"] is True
    assert values["tags"] == TAGS
    assert values["tags_all"] == TAGS_ALL
    assert values["force_destroy"] is False
    assert values.get("kms_key_arn") is None
    assert parse_backend_snippet(values["backend_config"]) == {
        "bucket": BUCKET,
        "key": state_key,
        "region": "us-east-1",
        "dynamodb_table": TABLE,
        "encrypt": True,
    }


def user_tags(tag_list: list[dict[str, str]]) -> dict[str, str]:
    """An AWS tag list as a dict, without the provider's own "ode:" bookkeeping tags."""
    return {t["Key"]: t["Value"] for t in tag_list if not t["Key"].startswith("ode:")}


def assert_backend_in_emulator(emulator: EmulatorClient) -> None:
    """The bucket and the table exist in the emulator with every promised setting."""
    s3 = emulator.client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET).get("Status") == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    tls_denials = [
        s
        for s in statements
        if s.get("Effect") == "Deny"
        and str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
    ]
    assert tls_denials, f"no statement denies requests without TLS: {policy}"
    resources = {r for s in tls_denials for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])}
    assert {f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"} <= resources, policy
    assert user_tags(s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]) == TAGS_ALL

    dynamodb = emulator.client("dynamodb")
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table.get("SSEDescription", {}).get("Status") == "ENABLED", table
    backups = dynamodb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert user_tags(dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]) == TAGS_ALL


def test_state_backend_basic(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    write_config(workdir, backend_config(emulator))
    core.init(workdir)
    core.apply(workdir)

    calls = emulator.call_names()
    for call in [("sts", "GetCallerIdentity"), ("s3", "CreateBucket"), ("dynamodb", "CreateTable")]:
        assert call in calls, f"{call} was not called; calls: {calls}"

    assert_computed_values(core.output_json(workdir)["backend"])
    assert_no_changes(core, workdir)
    assert_computed_values(core.state_resource(workdir, ADDRESS))
    assert_backend_in_emulator(emulator)

    core.destroy(workdir)
    assert_emulator_empty(emulator)


def test_state_backend_drift(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    write_config(workdir, backend_config(emulator))
    core.init(workdir)
    core.apply(workdir)
    s3, dynamodb = emulator.client("s3"), emulator.client("dynamodb")

    # Versioning suspended and the lock table deleted out of band: both are repaired.
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    dynamodb.delete_table(TableName=TABLE)
    plan = assert_changes(core, workdir)
    # The planned update, not the note about changes made outside the core.
    assert f"{ADDRESS} will be updated in-place" in plan.stdout, plan.describe()
    update = plan.stdout.split(f"{ADDRESS} will be updated in-place", 1)[1]
    assert re.search(r'versioning\s+= "Suspended" -> "Enabled"', update), plan.describe()
    assert re.search(r"lock_table_arn\s+= \(known after apply\)", update), plan.describe()
    core.apply(workdir)
    assert_backend_in_emulator(emulator)
    assert_no_changes(core, workdir)

    # The bucket deleted out of band while its lock table remains: the backend stays
    # in state and apply makes the bucket again, with every setting, beside the table.
    table_arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    s3.delete_bucket(Bucket=BUCKET)
    plan = assert_changes(core, workdir)
    assert f"{ADDRESS} will be updated in-place" in plan.stdout, plan.describe()
    assert re.search(r'\+ bucket_arn\s+= "arn:aws:s3:::' + BUCKET, plan.stdout), plan.describe()
    core.apply(workdir)
    assert_backend_in_emulator(emulator)
    assert dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"] == table_arn
    assert_no_changes(core, workdir)

    # Bucket and table both deleted out of band: the whole backend is planned anew.
    s3.delete_bucket(Bucket=BUCKET)
    dynamodb.delete_table(TableName=TABLE)
    plan = assert_changes(core, workdir)
    assert f"{ADDRESS} will be created" in plan.stdout, plan.describe()
    core.apply(workdir)
    assert_backend_in_emulator(emulator)
    assert_no_changes(core, workdir)

    core.destroy(workdir)
    assert_emulator_empty(emulator)


def test_state_backend_force_destroy(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    write_config(workdir, backend_config(emulator))
    core.init(workdir)
    core.apply(workdir)
    s3 = emulator.client("s3")
    # Two versions of a state file and a delete marker: emptying the bucket has to
    # remove every version, not only the current objects.
    s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=b'{"version": 4, "serial": 1}')
    s3.put_object(Bucket=BUCKET, Key=STATE_KEY, Body=b'{"version": 4, "serial": 2}')
    s3.delete_object(Bucket=BUCKET, Key=STATE_KEY)

    refused = core.destroy(workdir, check=False)
    assert refused.returncode != 0, refused.describe()
    assert "force_destroy" in refused.output, refused.describe()
    s3.head_bucket(Bucket=BUCKET)
    assert len(s3.list_object_versions(Bucket=BUCKET).get("Versions", [])) == 2
    emulator.client("dynamodb").describe_table(TableName=TABLE)

    body = f"""  bucket        = "{BUCKET}"
  lock_table    = "{TABLE}"
  state_key     = "{STATE_KEY}"
  tags          = {hcl_map(TAGS)}
  force_destroy = true"""
    write_config(workdir, backend_config(emulator, body))
    applied = core.apply(workdir)
    assert "0 added, 1 changed, 0 destroyed" in applied.stdout, applied.describe()
    core.destroy(workdir)
    assert_emulator_empty(emulator)


def test_state_backend_import(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    # state_key and force_destroy cannot be read back from AWS: keep their defaults.
    body = f"""  bucket     = "{BUCKET}"
  lock_table = "{TABLE}"
  tags       = {hcl_map(TAGS)}"""
    write_config(workdir, backend_config(emulator, body))
    core.init(workdir)
    core.apply(workdir)
    core.run(workdir, "state", "rm", ADDRESS)
    assert core.run(workdir, "state", "list").stdout.strip() == ""

    core.import_(workdir, ADDRESS, BUCKET)
    assert_no_changes(core, workdir)
    assert_computed_values(core.state_resource(workdir, ADDRESS), state_key="terraform.tfstate")

    core.destroy(workdir)
    assert_emulator_empty(emulator)


# (case id, resource body, the attribute the error is attached to, what the error says).
# The error points at the attribute's line, or, when the body leaves the attribute out,
# at the resource block's first line.
BAD_INPUTS = [
    (
        "bucket-too-short",
        f'bucket = "ab"\n lock_table = "{TABLE}"',
        "bucket",
        'Bucket names must be 3 to 63 characters long; "ab" has 2.',
    ),
    (
        "bucket-too-long",
        f'bucket = "{"b" * 64}"\n lock_table = "{TABLE}"',
        "bucket",
        f'Bucket names must be 3 to 63 characters long; "{"b" * 64}" has 64.',
    ),
    (
        "bucket-uppercase",
        f'bucket = "Ode-State"\n lock_table = "{TABLE}"',
        "bucket",
        '"Ode-State": bucket names may contain only lowercase letters, digits, dots and hyphens.',
    ),
    (
        "bucket-underscore",
        f'bucket = "ode_state"\n lock_table = "{TABLE}"',
        "bucket",
        '"ode_state": bucket names may contain only lowercase letters, digits, dots and hyphens.',
    ),
    (
        "bucket-leading-hyphen",
        f'bucket = "-ode-state"\n lock_table = "{TABLE}"',
        "bucket",
        '"-ode-state": bucket names must begin and end with a letter or digit.',
    ),
    (
        "bucket-trailing-hyphen",
        f'bucket = "ode-state-"\n lock_table = "{TABLE}"',
        "bucket",
        '"ode-state-": bucket names must begin and end with a letter or digit.',
    ),
    (
        "bucket-ip-address",
        f'bucket = "192.168.10.20"\n lock_table = "{TABLE}"',
        "bucket",
        '"192.168.10.20": bucket names may not look like an IP address.',
    ),
    ("bucket-missing", f'lock_table = "{TABLE}"', "bucket", 'The argument "bucket" is required'),
    (
        "lock-table-too-short",
        f'bucket = "{BUCKET}"\n lock_table = "ab"',
        "lock_table",
        'Table names must be 3 to 255 characters long; "ab" has 2.',
    ),
    (
        "lock-table-too-long",
        f'bucket = "{BUCKET}"\n lock_table = "{"t" * 256}"',
        "lock_table",
        f'Table names must be 3 to 255 characters long; "{"t" * 256}" has 256.',
    ),
    (
        "lock-table-bad-characters",
        f'bucket = "{BUCKET}"\n lock_table = "ode locks!"',
        "lock_table",
        "\"ode locks!\": table names may contain only letters, digits, '_', '-' and '.'.",
    ),
    ("lock-table-missing", f'bucket = "{BUCKET}"', "lock_table", 'The argument "lock_table" is required'),
    (
        "kms-key-not-an-arn",
        f'bucket = "{BUCKET}"\n lock_table = "{TABLE}"\n kms_key_arn = "my-key"',
        "kms_key_arn",
        '"my-key" is not a valid kms ARN (arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE).',
    ),
    (
        "kms-key-other-service",
        f'bucket = "{BUCKET}"\n lock_table = "{TABLE}"\n kms_key_arn = "arn:aws:s3:::{BUCKET}"',
        "kms_key_arn",
        f'"arn:aws:s3:::{BUCKET}" is not a valid kms ARN (arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE).',
    ),
]


def test_state_backend_bad_inputs(core: Core, emulator: EmulatorClient, workdir: Path, subtests) -> None:
    # One init for all cases: only main.tf changes between them.
    write_config(workdir, backend_config(emulator))
    core.init(workdir)
    for case, body, attribute, message in BAD_INPUTS:
        with subtests.test(case=case):
            hcl = backend_config(emulator, body)
            write_config(workdir, hcl)
            if re.search(rf"^\s*{attribute}\s*=", body, re.M):
                line = attribute_line(hcl, RESOURCE_HEADER, attribute)
            else:
                line = block_line(hcl, RESOURCE_HEADER)
            assert_error_at(error_diagnostics(core, workdir), message, "main.tf", line, case=case)
    assert_emulator_empty(emulator)
