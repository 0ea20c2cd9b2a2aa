"""Invalid configurations of ``ode_state_backend`` and of ``modules/state-backend``."""

from __future__ import annotations

from . import CROSS, OMIT, PATTERN, RANGE, READ_ONLY, TYPE, Case, Composite, arg, module_arg, tag_cases, timeout_cases

#: The prefixes and suffixes S3 reserves for other uses (access point and Object Lambda
#: aliases, Multi-Region Access Points, S3 Express and table buckets, its own examples).
RESERVED = "a bucket name with a prefix or suffix S3 reserves is accepted (CreateBucket refuses it)"
TABLE_CHARACTERS = "table names may contain only letters, digits, '_', '-' and '.'"


def mod(slug: str, variable: str, value: str, says: str, *, type_error: bool = False) -> Case:
    return module_arg("state-backend", slug, variable, value, says, type_error=type_error)


CASES = (
    # -- bucket
    arg("bucket-two-chars", RANGE, "bucket", '"ab"', 'Bucket names must be 3 to 63 characters long; "ab" has 2'),
    arg("bucket-64-chars", RANGE, "bucket", f'"{"b" * 64}"', "has 64"),
    arg("bucket-uppercase", PATTERN, "bucket", '"Ode-State"', '"Ode-State": bucket names may contain only lowercase letters'),
    arg("bucket-underscore", PATTERN, "bucket", '"ode_state"', '"ode_state": bucket names may contain only lowercase letters'),
    arg("bucket-leading-hyphen", PATTERN, "bucket", '"-ode-state"', "bucket names must begin and end with a letter or digit"),
    arg("bucket-trailing-dot", PATTERN, "bucket", '"ode-state."', "bucket names must begin and end with a letter or digit"),
    arg("bucket-leading-dot", PATTERN, "bucket", '".ode-state"', '".ode-state": bucket names must begin and end with a letter or digit'),
    arg("bucket-space", PATTERN, "bucket", '"ode state"', "bucket names may contain only lowercase letters"),
    arg("bucket-hyphen-dot", PATTERN, "bucket", '"ode-.state"', '"ode-.state": dots may not be next to each other or to a hyphen'),
    arg("bucket-two-dots", PATTERN, "bucket", '"ode..state"', '"ode..state": dots may not be next to each other or to a hyphen'),
    arg("bucket-dot-hyphen", PATTERN, "bucket", '"ode.-state"', "dots may not be next to each other or to a hyphen"),
    arg("bucket-ip-address", PATTERN, "bucket", '"192.168.10.20"', "bucket names may not look like an IP address"),
    arg("bucket-xn-prefix", PATTERN, "bucket", '"xn--ode-state"', '"xn--ode-state" uses a prefix or suffix S3 reserves'),
    arg("bucket-s3alias-suffix", PATTERN, "bucket", '"ode-state-s3alias"', "uses a prefix or suffix S3 reserves"),
    arg("bucket-ol-s3-suffix", PATTERN, "bucket", '"ode-state--ol-s3"', "uses a prefix or suffix S3 reserves"),
    arg("bucket-sthree-prefix", PATTERN, "bucket", '"sthree-ode-state"', "uses a prefix or suffix S3 reserves"),
    arg("bucket-number", TYPE, "bucket", "[3]", "string required"),
    Case("bucket-missing", TYPE, "bucket", 'The argument "bucket" is required', args={"bucket": OMIT}, at=()),
    # -- lock table
    arg("table-two-chars", RANGE, "lock_table", '"ab"', 'Table names must be 3 to 255 characters long; "ab" has 2'),
    arg("table-empty", RANGE, "lock_table", '""', 'Table names must be 3 to 255 characters long; "" has 0'),
    arg("table-256-chars", RANGE, "lock_table", f'"{"t" * 256}"', "has 256"),
    arg("table-space", PATTERN, "lock_table", '"ode locks"', f'"ode locks": {TABLE_CHARACTERS}'),
    arg("table-slash", PATTERN, "lock_table", '"ode/locks"', TABLE_CHARACTERS),
    arg("table-non-ascii", PATTERN, "lock_table", '"ode-löcks"', TABLE_CHARACTERS),
    arg("table-colon", PATTERN, "lock_table", '"ode:locks"', TABLE_CHARACTERS),
    Case("table-missing", TYPE, "lock_table", 'The argument "lock_table" is required', args={"lock_table": OMIT}, at=()),
    # -- state key
    arg("state-key-empty", RANGE, "state_key", '""', "The state key must be 1 to 1024 characters and must not start with '/'"),
    arg("state-key-absolute", PATTERN, "state_key", '"/ode/terraform.tfstate"', "must not start with '/'"),
    arg("state-key-1025-chars", RANGE, "state_key", f'"{"k" * 1025}"', "The state key must be 1 to 1024 characters"),
    arg("state-key-map", TYPE, "state_key", '{ key = "x" }', "string required"),
    # -- encryption
    arg("kms-not-arn", PATTERN, "kms_key_arn", '"my-key"', '"my-key" is not a valid kms ARN'),
    arg("kms-empty", PATTERN, "kms_key_arn", '""', '"" is not a valid kms ARN'),
    arg("kms-alias-name", PATTERN, "kms_key_arn", '"alias/terraform-state"', "is not a valid kms ARN"),
    arg("kms-s3-arn", PATTERN, "kms_key_arn", '"arn:aws:s3:::ode-state"', "is not a valid kms ARN"),
    arg("kms-without-resource", PATTERN, "kms_key_arn", '"arn:aws:kms:us-east-1:123456789012:"', "is not a valid kms ARN"),
    arg("force-destroy-string", TYPE, "force_destroy", '"maybe"', "a bool is required"),
    *tag_cases(),
    *timeout_cases(),
    arg("unknown-argument", TYPE, "acl", '"private"', 'An argument named "acl" is not expected here'),
    Case(
        "unknown-block", TYPE, "versioning_configuration", 'Blocks of type "versioning_configuration" are not expected here',
        body="versioning_configuration {}",
    ),
    Case(
        "timeouts-twice", TYPE, "timeouts", "Duplicate timeouts block", body='timeouts {\n  create = "5m"\n}\ntimeouts {}',
        at=("timeouts", "timeouts"),
    ),
    arg("read-only-versioning", TYPE, "versioning", '"Suspended"', "versioning"),
    # -- against the provider's region: S3 encrypts with a KMS key of the bucket's region only
    arg(
        "kms-other-region", CROSS, "kms_key_arn", '"arn:aws:kms:eu-west-1:123456789012:key/0b6e5c5e-8d2f-4a47-9e0e-1c4f3f0a9b21"', "region",
    ),
    # -- the module's variables
    mod("module-project", "project", '"x"', "The project must be 3 to 32 lowercase letters"),
    mod("module-environment", "environment", '"prod env"', "The environment must be up to 32 lowercase letters"),
    mod("module-bucket-uppercase", "bucket_name", '"UPPER"', "The bucket name must be 3 to 63 lowercase letters"),
    mod("module-bucket-short", "bucket_name", '"ab"', "The bucket name must be 3 to 63 lowercase letters"),
    mod("module-bucket-hyphen", "bucket_name", '"ode-state-"', "starting and ending with a letter or digit"),
    mod("module-table-short", "lock_table_name", '"ab"', "The lock table name must be 3 to 255 letters"),
    mod("module-table-space", "lock_table_name", '"ode locks"', "The lock table name must be 3 to 255 letters"),
    mod("module-state-key-absolute", "state_key", '"/abs"', "must not start with '/'"),
    mod("module-state-key-empty", "state_key", '""', "The state key must be 1 to 1024 characters"),
    mod("module-state-key-long", "state_key", f'"{"k" * 1025}"', "The state key must be 1 to 1024 characters"),
    mod("module-kms", "kms_key_arn", '"alias/mine"', "kms_key_arn must be a KMS key ARN"),
    mod("module-force-destroy-type", "force_destroy", '"maybe"', "a bool is required", type_error=True),
    mod("module-tags-type", "tags", '["a"]', "map of string required", type_error=True),
    mod("module-bucket-type", "bucket_name", '["ode-state"]', "string required", type_error=True),
)

COMPOSITE = Composite(
    name="ode_state_backend",
    module="state-backend",
    base={"bucket": '"ode-corpus-{n}-state"', "lock_table": '"ode-corpus-{n}-locks"'},
    module_base={"bucket_name": '"ode-corpus-{n}-state"', "lock_table_name": '"ode-corpus-{n}-locks"'},
    cases=CASES,
    services=("s3", "dynamodb"),
)
