"""Invalid configurations of ``ode_data_tier`` and of ``modules/data-tier``.

The tiers sit in a VPC the test makes (@vpc@) on two of its subnets in us-east-1a and
us-east-1b, so that what is checked at plan (the subnets' zones, the engine versions
RDS and ElastiCache offer) is checked.
"""

from __future__ import annotations

from . import CROSS, ELEMENT, OMIT, PATTERN, RANGE, READ_ONLY, TYPE, Case, Composite, arg, module_arg, tag_cases, timeout_cases

SUBNETS = '["@subnet_a@", "@subnet_b@"]'


def block(slug: str, kind: str, engine: str, attribute: str, lines: str, says: str, *, at: tuple[str, ...] | None = None, **kw) -> Case:
    """A case with a ``postgres`` or ``redis`` block holding ``lines``; its error points
    at ``attribute`` inside the block unless ``at`` says otherwise."""
    inner = "\n".join(f"  {line}" for line in lines.splitlines())
    return Case(
        slug, kind, f"{engine}.{attribute}", says, body=f"{engine} {{\n{inner}\n}}",
        at=at if at is not None else (engine, attribute), **kw,
    )


def pg(slug: str, kind: str, attribute: str, lines: str, says: str, **kw) -> Case:
    return block(slug, kind, "postgres", attribute, lines, says, **kw)


def redis(slug: str, kind: str, attribute: str, lines: str, says: str, **kw) -> Case:
    return block(slug, kind, "redis", attribute, lines, says, **kw)


def bucket(slug: str, kind: str, key: str, lines: str, says: str, **kw) -> Case:
    """A case with one bucket ``key`` holding ``lines``; its error points at the bucket's
    line."""
    inner = "\n".join(f"    {line}" for line in lines.splitlines())
    body = f"buckets = {{\n  {key} = {{\n{inner}\n  }}\n}}"
    return Case(slug, kind, f"buckets[{key}]", says, body=body, at=("buckets", key), **kw)


def mod(slug: str, variable: str, value: str, says: str, *, type_error: bool = False) -> Case:
    return module_arg("data-tier", slug, variable, value, says, type_error=type_error)


NAME_RULE = "a tier name is 1 to 30 lowercase letters, digits and single hyphens"
PG_VERSION = "is not a version this tier supports (majors 12 to 18"
DAILY = 'is not a window like "03:00-04:00"'
PASSWORD = "ok-Password-1"
TOKEN = "ok-Redis-Token-0123456789"

CASES = (
    # -- the tier
    arg("name-uppercase", PATTERN, "name", '"Ode-Data"', f'"Ode-Data": {NAME_RULE}'),
    arg("name-31-chars", RANGE, "name", f'"{"d" * 31}"', NAME_RULE),
    arg("name-trailing-hyphen", PATTERN, "name", '"ode-"', NAME_RULE),
    arg("name-double-hyphen", PATTERN, "name", '"ode--data"', NAME_RULE),
    arg("name-leading-digit", PATTERN, "name", '"1ode"', NAME_RULE),
    Case("name-missing", TYPE, "name", 'The argument "name" is required', args={"name": OMIT}, at=()),
    arg("vpc-not-an-id", PATTERN, "vpc_id", '"default"', '"default" is not a VPC ID (vpc- and 8 or 17 hexadecimal digits)'),
    arg("vpc-id-without-number", PATTERN, "vpc_id", '"vpc-"', '"vpc-" is not a VPC ID'),
    arg("subnet-not-an-id", PATTERN, "subnet_ids", '["@subnet_a@", "isolated-b"]', '"isolated-b" is not a subnet ID (subnet- and 8 or 17 hexadecimal digits)'),
    arg("subnets-one", RANGE, "subnet_ids", '["@subnet_a@"]', "subnet groups need subnets in at least two availability zones; list at least two"),
    arg("subnets-one-zone", CROSS, "subnet_ids", '["@subnet_a@", "@subnet_a2@"]', "these are all in us-east-1a"),
    arg(
        "subnets-other-vpc", CROSS, "subnet_ids", '["@other_subnet_a@", "@other_subnet_b@"]', "The subnets must be in vpc_id vpc-",
    ),
    arg("subnets-string", TYPE, "subnet_ids", '"@subnet_a@"', "list of string required"),
    arg("security-group-not-an-id", PATTERN, "allowed_security_group_ids", '["default"]', '"default" is not a security group ID (sg- and 8 or 17 hexadecimal digits)'),
    arg("cidr-33", PATTERN, "allowed_cidr_blocks", '["10.0.0.0/33"]', '"10.0.0.0/33" is not an IPv4 CIDR block'),
    arg("cidr-world", RANGE, "allowed_cidr_blocks", '["10.0.0.0/16", "0.0.0.0/0"]', '"0.0.0.0/0" opens the databases to everyone'),
    arg("cidr-world-ipv6", RANGE, "allowed_cidr_blocks", '["::/0"]', '"::/0" opens the databases to everyone'),
    arg("cidr-ipv6-host-bits", PATTERN, "allowed_cidr_blocks", '["2001:db8::1/56"]', '"2001:db8::1/56" has host bits set'),
    arg("cidr-ipv6-129", PATTERN, "allowed_cidr_blocks", '["2001:db8::/129"]', "is not an IPv6 CIDR block"),
    arg("kms-not-arn", PATTERN, "kms_key_arn", '"my-key"', '"my-key" is not a valid kms ARN'),
    arg("kms-s3-arn", PATTERN, "kms_key_arn", '"arn:aws:s3:::bucket"', "is not a valid kms ARN"),
    arg("force-destroy-string", TYPE, "force_destroy", '"yes"', "a bool is required"),
    *tag_cases(),
    *timeout_cases(),
    arg("read-only-rds-endpoint", TYPE, "rds_endpoint", '"db.example.com"', "rds_endpoint"),
    # -- postgres
    pg("pg-version-9", RANGE, "engine_version", 'engine_version = "9.6"', f'"9.6" {PG_VERSION}'),
    pg("pg-version-19", RANGE, "engine_version", 'engine_version = "19"', f'"19" {PG_VERSION}'),
    pg("pg-version-text", PATTERN, "engine_version", 'engine_version = "15.x"', f'"15.x" {PG_VERSION}'),
    pg("pg-version-not-offered", CROSS, "engine_version", 'engine_version = "15.99"', "RDS does not offer PostgreSQL 15.99 for new databases"),
    pg("pg-class-bare", PATTERN, "instance_class", 'instance_class = "t3.medium"', '"t3.medium" is not a class like "db.t3.medium"'),
    pg("pg-class-cache", PATTERN, "instance_class", 'instance_class = "cache.t3.medium"', 'is not a class like "db.t3.medium"'),
    pg("pg-storage-5", RANGE, "allocated_storage", "allocated_storage = 5", "must be 20 to 65536, not 5"),
    pg("pg-storage-70000", RANGE, "allocated_storage", "allocated_storage = 70000", "must be 20 to 65536, not 70000"),
    pg("pg-storage-string", TYPE, "allocated_storage", 'allocated_storage = "lots"', "a number is required"),
    pg(
        "pg-max-storage-below", CROSS, "max_allocated_storage", "allocated_storage     = 200\nmax_allocated_storage = 150",
        "max_allocated_storage (150) must be at least allocated_storage (200)",
    ),
    pg(
        "pg-max-storage-below-default", CROSS, "max_allocated_storage", "max_allocated_storage = 50", "allocated_storage",
    ),
    pg("pg-storage-type", PATTERN, "storage_type", 'storage_type = "magnetic"', '"magnetic": use one of gp2, gp3, io1, io2'),
    pg("pg-retention-0", RANGE, "backup_retention_days", "backup_retention_days = 0", "must be 1 to 35, not 0"),
    pg("pg-retention-36", RANGE, "backup_retention_days", "backup_retention_days = 36", "must be 1 to 35, not 36"),
    pg("pg-backup-window-text", PATTERN, "backup_window", 'backup_window = "3am-4am"', f'"3am-4am" {DAILY}'),
    pg("pg-backup-window-hour-24", PATTERN, "backup_window", 'backup_window = "24:00-01:00"', DAILY),
    pg("pg-backup-window-short", RANGE, "backup_window", 'backup_window = "03:00-03:10"', "the backup window must last at least 30 minutes"),
    pg(
        "pg-maintenance-window-days", PATTERN, "maintenance_window", 'maintenance_window = "sunday:04:30-sunday:05:30"',
        'is not a window like "sun:04:30-sun:05:30"',
    ),
    pg(
        "pg-windows-overlap", CROSS, "backup_window", 'backup_window = "04:00-05:00"',
        "The backup window 04:00-05:00 overlaps the maintenance window sun:04:30-sun:05:30",
    ),
    pg(
        "pg-maintenance-window-short", RANGE, "maintenance_window", 'maintenance_window = "sun:04:30-sun:04:40"', "30 minutes",
    ),
    pg("pg-database-name-digit", PATTERN, "database_name", 'database_name = "1ode"', "a database name is 1 to 63 letters"),
    pg("pg-database-name-hyphen", PATTERN, "database_name", 'database_name = "ode-db"', '"ode-db": a database name is 1 to 63'),
    pg("pg-username-space", PATTERN, "username", 'username = "ode admin"', "a user name is 1 to 63 letters"),
    pg("pg-username-rdsadmin", PATTERN, "username", 'username = "rdsadmin"', '"rdsadmin" is reserved'),
    pg("pg-username-postgres", PATTERN, "username", 'username = "Postgres"', '"Postgres" is reserved'),
    pg("pg-password-short", RANGE, "password", 'password = "short"', "a master password is 8 to 128 characters"),
    pg("pg-password-at-sign", PATTERN, "password", 'password = "has@sign-1234"', "may not contain '/', '\"', '@' or spaces"),
    pg(
        "pg-password-twice", CROSS, "password_wo", f'password         = "{PASSWORD}"\npassword_wo      = "{PASSWORD}"\npassword_version = 1',
        "Set password_wo or password, not both",
    ),
    pg(
        "pg-password-wo-no-version", CROSS, "password_version", f'password_wo = "{PASSWORD}"',
        "A write-only password needs password_version", at=("postgres",),
    ),
    Case(
        "pg-parameter-key", ELEMENT, 'postgres.parameters["bad key"]', '"bad key" is not a PostgreSQL parameter name',
        body='postgres {\n  parameters = {\n    "rds.force_ssl" = "1"\n    "bad key"       = "1"\n  }\n}',
        at=("postgres", "parameters", '"bad key"'),
    ),
    pg("pg-snapshot-space", PATTERN, "restore_from_snapshot", 'restore_from_snapshot = "snap shot"', '"snap shot" is not a DB snapshot identifier'),
    pg("pg-snapshot-digit", PATTERN, "restore_from_snapshot", 'restore_from_snapshot = "1snap"', "is not a DB snapshot identifier"),
    pg("pg-multi-az-string", TYPE, "multi_az", 'multi_az = "both"', "a bool is required"),
    pg("pg-unknown-argument", TYPE, "iops", "iops = 3000", 'An argument named "iops" is not expected here'),
    # -- redis
    redis("redis-engine", PATTERN, "engine", 'engine = "memcached"', '"memcached": use one of redis, valkey'),
    redis("redis-version-5", RANGE, "engine_version", 'engine_version = "5.0"', '"5.0" is not a version this tier supports (majors 6 to 8'),
    redis("redis-version-not-offered", CROSS, "engine_version", 'engine_version = "7.9"', "does not offer Redis OSS 7.9 for new databases"),
    redis("redis-node-bare", PATTERN, "node_type", 'node_type = "t3.medium"', '"t3.medium" is not a class like "cache.t3.medium"'),
    redis("redis-nodes-0", RANGE, "num_cache_clusters", "num_cache_clusters = 0", "must be 1 to 6, not 0"),
    redis("redis-nodes-7", RANGE, "num_cache_clusters", "num_cache_clusters = 7", "must be 1 to 6, not 7"),
    redis("redis-one-node-failover", CROSS, "num_cache_clusters", "num_cache_clusters = 1", "Automatic failover and Multi-AZ need at least 2 nodes"),
    redis(
        "redis-multi-az-without-failover", CROSS, "multi_az", "automatic_failover = false\nmulti_az           = true",
        "ElastiCache turns Multi-AZ on only with automatic_failover = true",
    ),
    redis(
        "redis-token-without-tls", CROSS, "auth_token", f'transit_encryption = false\nauth_token         = "{TOKEN}"',
        "Redis takes an AUTH token only with transit_encryption = true",
    ),
    redis("redis-token-short", RANGE, "auth_token", 'auth_token = "short-token"', "an AUTH token is 16 to 128 characters"),
    redis("redis-token-at-sign", PATTERN, "auth_token", 'auth_token = "token-with-@-sign-0123"', "an AUTH token is printable ASCII without"),
    redis(
        "redis-token-twice", CROSS, "auth_token_wo", f'auth_token         = "{TOKEN}"\nauth_token_wo      = "{TOKEN}"\nauth_token_version = 1',
        "Set auth_token_wo or auth_token, not both",
    ),
    redis(
        "redis-token-wo-no-version", CROSS, "auth_token_version", f'auth_token_wo = "{TOKEN}"',
        "A write-only AUTH token needs auth_token_version", at=("redis",),
    ),
    redis("redis-snapshot-days-40", RANGE, "snapshot_retention_days", "snapshot_retention_days = 40", "must be 0 to 35, not 40"),
    redis("redis-snapshot-window-text", PATTERN, "snapshot_window", 'snapshot_window = "2am"', '"2am" is not a window like "02:00-03:00"'),
    redis(
        "redis-maintenance-window-text", PATTERN, "maintenance_window", 'maintenance_window = "sun 05:30"',
        'is not a window like "sun:05:30-sun:06:30"',
    ),
    Case(
        "redis-parameter-key", ELEMENT, 'redis.parameters["max memory"]', '"max memory" is not a Redis parameter name',
        body='redis {\n  parameters = {\n    "max memory" = "1"\n  }\n}', at=("redis", "parameters", '"max memory"'),
    ),
    redis(
        "redis-snapshot-overlaps-maintenance", CROSS, "snapshot_window", 'snapshot_window = "05:00-07:00"', "overlap",
    ),
    redis(
        "redis-snapshot-window-short", RANGE, "snapshot_window", 'snapshot_window = "02:00-02:30"', "60 minutes",
    ),
    redis(
        "redis-maintenance-window-short", RANGE, "maintenance_window", 'maintenance_window = "sun:05:30-sun:06:00"', "60 minutes",
    ),
    # -- buckets
    bucket("bucket-key-uppercase", ELEMENT, "Docs", "", '"Docs": bucket keys are lowercase letters, digits and hyphens'),
    bucket("bucket-key-underscore", ELEMENT, "my_docs", "", '"my_docs": bucket keys are lowercase'),
    bucket("bucket-key-too-long", RANGE, "d" * 53, "", "must be a valid bucket name"),
    bucket(
        "bucket-lifecycle-order", CROSS, "documents", "transition_ia_days      = 60\ntransition_glacier_days = 30",
        "transition_glacier_days (30) must be at least transition_ia_days + 30 (90)",
    ),
    bucket("bucket-encryption", PATTERN, "documents", 'encryption = "des"', '"des": use one of aws:kms, AES256'),
    bucket("bucket-ia-10-days", RANGE, "documents", "transition_ia_days = 10", "must be 30 to 36500, not 10"),
    bucket("bucket-glacier-0-days", RANGE, "documents", "transition_glacier_days = 0", "must be 1 to 36500, not 0"),
    bucket("bucket-noncurrent-0-days", RANGE, "documents", "noncurrent_expiration_days = 0", "must be 1 to 36500, not 0"),
    Case(
        "bucket-versioning-string", TYPE, "buckets[documents].versioning", "a bool is required",
        body='buckets = {\n  documents = { versioning = "on" }\n}', at=("buckets",),
    ),
    arg("buckets-list", TYPE, "buckets", '["documents"]', "map of object required"),
    # -- the module's variables
    mod("module-project", "project", '"o"', "The project must be 3 to 32 lowercase letters"),
    mod("module-environment", "environment", '"Production"', "The environment must be up to 32 lowercase letters"),
    mod("module-name", "name", '"ode-"', "The tier name must be 1 to 30 lowercase letters"),
    mod("module-vpc", "vpc_id", '"default"', "vpc_id must be a VPC ID"),
    mod("module-subnets-one", "subnet_ids", '["@subnet_a@"]', "list at least two subnet IDs"),
    mod("module-security-groups", "allowed_security_group_ids", '["default"]', "allowed_security_group_ids must be security group IDs"),
    mod("module-cidr-world", "allowed_cidr_blocks", '["0.0.0.0/0"]', "not 0.0.0.0/0"),
    mod("module-database-name", "database_name", '"ode-db"', "database_name must be 1 to 63 letters"),
    mod("module-username", "database_username", '"admin"', "not a reserved name"),
    mod("module-password", "database_password", '"short"', "database_password must be 8 to 128 characters"),
    mod("module-pg-version", "postgres", '{ engine_version = "9.6" }', "postgres.engine_version must be a PostgreSQL major from 12 to 18"),
    mod("module-pg-backup-window", "postgres", '{ backup_window = "3am" }', "postgres.backup_window must be a daily UTC window"),
    mod(
        "module-pg-storage", "postgres", "{ allocated_storage = 200, max_allocated_storage = 100 }",
        "postgres.max_allocated_storage must be at least allocated_storage",
    ),
    mod("module-redis-engine", "redis", '{ engine = "memcached" }', "redis.engine must be redis or valkey"),
    mod("module-redis-one-node", "redis", "{ num_cache_clusters = 1 }", "need redis.num_cache_clusters of at least 2"),
    mod("module-redis-token", "redis_auth_token", '"short"', "redis_auth_token must be 16 to 128 printable ASCII characters"),
    mod("module-bucket-key", "buckets", '{ Docs = {} }', "buckets must name at least one bucket"),
    mod("module-bucket-ia", "buckets", "{ documents = { transition_ia_days = 10 } }", "transition_ia_days must be a whole number of at least 30"),
    mod("module-kms", "kms_key_arn", '"my-key"', "kms_key_arn must be a KMS key ARN"),
    mod("module-tags", "tags", '{ "aws:team" = "x" }', 'not start with "aws:"'),
    mod("module-timeouts", "timeouts", '{ update = "1 hour" }', "must be durations like 45m"),
    mod("module-postgres-type", "postgres", '{ allocated_storage = "lots" }', "a number is required", type_error=True),
    mod("module-buckets-type", "buckets", '["documents"]', "map of object required", type_error=True),
)

COMPOSITE = Composite(
    name="ode_data_tier",
    module="data-tier",
    base={"name": '"corpus-{n}"', "vpc_id": '"@vpc@"', "subnet_ids": SUBNETS, "allowed_cidr_blocks": '["10.0.0.0/16"]'},
    module_base={"name": '"corpus-{n}"', "vpc_id": '"@vpc@"', "subnet_ids": SUBNETS, "allowed_cidr_blocks": '["10.0.0.0/16"]'},
    cases=CASES,
    services=("ec2", "rds", "elasticache", "s3", "kms", "secretsmanager"),
)
