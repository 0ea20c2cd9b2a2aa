//! `ode_data_tier`: what users write and what they get back.
//!
//! The `postgres` and `redis` blocks and the `buckets` map hold only what the user wrote;
//! [`super::model`] applies the defaults documented here, so a configuration that
//! relies on them stays short and its state mirrors it.

use super::rules::*;
use crate::aws::validate as awsv;
use crate::framework::validate::one_of;
use crate::framework::{Attribute, Block, Schema, Type, Value};

pub const TYPE_NAME: &str = "ode_data_tier";

/// The seed's major: the newest 15.x RDS offers when the database is made.
pub const PG_VERSION: &str = "15";
pub const PG_CLASS: &str = "db.t3.medium";
pub const PG_STORAGE: i64 = 100;
pub const PG_STORAGE_TYPE: &str = "gp3";
pub const PG_DATABASE: &str = "odedb";
pub const PG_USERNAME: &str = "odeadmin";
pub const PG_BACKUP_DAYS: i64 = 7;
pub const PG_BACKUP_WINDOW: &str = "03:00-04:00";
pub const PG_MAINTENANCE_WINDOW: &str = "sun:04:30-sun:05:30";
pub const PG_PORT: i64 = 5432;
pub const STORAGE_TYPES: [&str; 4] = ["gp2", "gp3", "io1", "io2"];

/// The seed's major: the newest 7.x ElastiCache offers for the engine when made.
pub const REDIS_VERSION: &str = "7";
pub const REDIS_ENGINE: &str = "redis";
pub const CACHE_ENGINES: [&str; 2] = ["redis", "valkey"];
pub const REDIS_NODE: &str = "cache.t3.medium";
pub const REDIS_NODES: i64 = 2;
pub const REDIS_SNAPSHOT_DAYS: i64 = 7;
pub const REDIS_SNAPSHOT_WINDOW: &str = "02:00-03:00";
pub const REDIS_MAINTENANCE_WINDOW: &str = "sun:05:30-sun:06:30";
pub const REDIS_PORT: i64 = 6379;

/// The seed's buckets, made when `buckets` is null or empty.
pub const DEFAULT_BUCKETS: [&str; 3] = ["documents", "exports", "fonts"];
pub const ENCRYPTIONS: [&str; 2] = ["aws:kms", "AES256"];

pub fn postgres_block() -> Block {
    Block::new("The PostgreSQL database (RDS). Every attribute has the seed's value as default.")
        .attr(Attribute::string("engine_version").implied(PG_VERSION).same_effect_when(crate::resources::data_tier::ops::same_line).check_str(engine_version(12..=18, "15")).doc(
            "PostgreSQL version (default `15`, the seed's major). A major alone (`15`) takes the newest minor RDS offers when the database is made; a minor (`15.15`) must be one RDS still offers, checked at plan. A minor version AWS applied by itself (with `auto_minor_version_upgrade`) is not drift; a major upgrade is an in-place modification.",
        ))
        .attr(Attribute::string("instance_class").implied(PG_CLASS).check_str(class("db.")).doc(
            "Instance class (default `db.t3.medium`). Changed in place; without `apply_immediately` AWS applies it in the maintenance window and `pending_changes` shows it until then.",
        ))
        .attr(Attribute::number("allocated_storage").implied(Value::int(PG_STORAGE)).check_int(range(20, 65536)).doc(
            "Storage in GiB (default 100, at least 20; it can only grow).",
        ))
        .attr(Attribute::number("max_allocated_storage").optional().check_int(range(20, 65536)).doc(
            "Upper bound for storage autoscaling in GiB (default: no autoscaling).",
        ))
        .attr(Attribute::string("storage_type").implied(PG_STORAGE_TYPE).check_str(one_of(&STORAGE_TYPES)).doc(
            "`gp3` (default), `gp2`, `io1` or `io2`.",
        ))
        .attr(Attribute::bool("multi_az").implied(true).doc(
            "A standby in a second availability zone (default true; needs subnets in two zones).",
        ))
        .attr(Attribute::string("database_name").implied(PG_DATABASE).check_str(database_name).doc(
            "Name of the database created with the instance (default `odedb`, the seed's). Changing it replaces the tier.",
        ))
        .attr(Attribute::string("username").implied(PG_USERNAME).check_str(username).doc(
            "Master user name (default `odeadmin`, the seed's). Changing it replaces the tier.",
        ))
        .attr(Attribute::string("password").optional().sensitive().check_str(password).doc(
            "Master password, kept (sensitive) in state: the fallback for Terraform 1.5. Prefer leaving every password attribute null (RDS keeps the password in Secrets Manager; see `master_secret_arn`) or `password_wo`.",
        ))
        .attr(Attribute::string("password_wo").optional().sensitive().write_only().check_str(password).doc(
            "Master password as a write-only argument (Terraform and OpenTofu 1.11 or later): never in plan or state. Raise `password_version` to set a new one. Give it from an ephemeral variable or resource: a literal written in the configuration is repeated by `show -json` in the plan's `configuration` section.",
        ))
        .attr(Attribute::number("password_version").optional().doc(
            "Changing it sends `password_wo` to RDS again (the only way a write-only value is known to have changed).",
        ))
        .attr(Attribute::number("backup_retention_days").implied(Value::int(PG_BACKUP_DAYS)).check_int(range(1, 35)).doc(
            "Days of automated backups (default 7; 1 to 35).",
        ))
        .attr(Attribute::string("backup_window").implied(PG_BACKUP_WINDOW).check_str(backup_window).doc(
            "Daily backup window, UTC `hh:mm-hh:mm` (default `03:00-04:00`); at least 30 minutes, not overlapping the maintenance window.",
        ))
        .attr(Attribute::string("maintenance_window").implied(PG_MAINTENANCE_WINDOW).check_str(maintenance_window(PG_MAINTENANCE_WINDOW, 30)).doc(
            "Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm` (default `sun:04:30-sun:05:30`).",
        ))
        .attr(Attribute::bool("deletion_protection").implied(true).doc(
            "Refuse to delete the database (default true). Destroy fails, before anything is deleted, until it is set to false and applied.",
        ))
        .attr(Attribute::bool("final_snapshot").implied(true).doc(
            "Take a final snapshot on destroy (default true); its identifier (`<name>-postgres-final-<UTC time>`) is reported by destroy.",
        ))
        .attr(Attribute::string_map("parameters").optional().check_entries(postgres_parameter).doc(
            "PostgreSQL parameters for the tier's parameter group (e.g. `{ \"rds.force_ssl\" = \"1\" }`).",
        ))
        .attr(Attribute::bool("performance_insights").implied(false).doc(
            "Enable Performance Insights (default false).",
        ))
        .attr(Attribute::bool("copy_tags_to_snapshot").implied(true).doc(
            "Copy the instance's tags to its snapshots, automated and manual (default true).",
        ))
        .attr(Attribute::bool("auto_minor_version_upgrade").implied(true).doc(
            "Let AWS apply minor versions in the maintenance window (default true).",
        ))
        .attr(Attribute::bool("apply_immediately").implied(false).doc(
            "Apply modifications now instead of in the maintenance window (default false).",
        ))
        .attr(Attribute::string("restore_from_snapshot").optional().check_str(snapshot_id).doc(
            "Create the database from this DB snapshot identifier (the seed's restore procedure as code). Changing it replaces the tier.",
        ))
}

pub fn redis_block() -> Block {
    Block::new("The Redis replication group (ElastiCache). Every attribute has the seed's value as default.")
        .attr(Attribute::string("engine").implied(REDIS_ENGINE).check_str(one_of(&CACHE_ENGINES)).doc(
            "`redis` (Redis OSS, the seed's, default) or `valkey` (the open-source fork AWS recommends, priced lower). Moving from `redis` to `valkey` is an in-place upgrade ElastiCache performs; back is refused.",
        ))
        .attr(Attribute::string("engine_version").implied(REDIS_VERSION).same_effect_when(crate::resources::data_tier::ops::same_line).check_str(engine_version(6..=8, "7")).doc(
            "Engine version (default `7`, the seed's major): a major alone takes the newest minor ElastiCache offers for the engine when the group is made (Redis OSS 7.1, Valkey 7.2 or 8.x); a minor (`7.1`) must be one it still offers, checked at plan.",
        ))
        .attr(Attribute::string("node_type").implied(REDIS_NODE).check_str(class("cache.")).doc(
            "Node type (default `cache.t3.medium`); changed in place.",
        ))
        .attr(Attribute::number("num_cache_clusters").implied(Value::int(REDIS_NODES)).check_int(range(1, 6)).doc(
            "Nodes in the group: one primary, the rest replicas (default 2; 2 or more with automatic failover).",
        ))
        .attr(Attribute::bool("automatic_failover").implied(true).doc(
            "Promote a replica when the primary fails (default true).",
        ))
        .attr(Attribute::bool("multi_az").implied(true).doc(
            "Spread the nodes over zones (default true).",
        ))
        .attr(Attribute::bool("at_rest_encryption").implied(true).doc(
            "Encrypt data at rest with the tier's KMS key (default true). Changing it replaces the tier.",
        ))
        .attr(Attribute::bool("transit_encryption").implied(true).doc(
            "TLS between clients and Redis (default true). Changing it replaces the tier.",
        ))
        .attr(Attribute::string("auth_token").optional().sensitive().check_str(auth_token).doc(
            "AUTH token kept (sensitive) in state: the fallback for Terraform 1.5. With every token attribute null and transit encryption on, the tier generates one and keeps it in Secrets Manager (`redis_auth_secret_arn`).",
        ))
        .attr(Attribute::string("auth_token_wo").optional().sensitive().write_only().check_str(auth_token).doc(
            "AUTH token as a write-only argument (Terraform and OpenTofu 1.11 or later): never in plan or state. Raise `auth_token_version` to rotate it. Give it from an ephemeral variable or resource, not as a literal (see `postgres.password_wo`).",
        ))
        .attr(Attribute::number("auth_token_version").optional().doc(
            "Changing it rotates the AUTH token to `auth_token_wo`.",
        ))
        .attr(Attribute::string_map("parameters").optional().check_entries(redis_parameter).doc(
            "Redis parameters for the tier's parameter group (e.g. `{ \"maxmemory-policy\" = \"allkeys-lru\" }`).",
        ))
        .attr(Attribute::number("snapshot_retention_days").implied(Value::int(REDIS_SNAPSHOT_DAYS)).check_int(range(0, 35)).doc(
            "Days of daily snapshots (default 7; 0 turns them off; at most 35).",
        ))
        .attr(Attribute::string("snapshot_window").implied(REDIS_SNAPSHOT_WINDOW).check_str(snapshot_window).doc(
            "Daily snapshot window, UTC `hh:mm-hh:mm` (default `02:00-03:00`).",
        ))
        .attr(Attribute::string("maintenance_window").implied(REDIS_MAINTENANCE_WINDOW).check_str(maintenance_window(REDIS_MAINTENANCE_WINDOW, 60)).doc(
            "Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm` (default `sun:05:30-sun:06:30`).",
        ))
}

/// The `buckets` a null stands for: the seed's, each with its defaults.
pub fn default_buckets() -> Value {
    Value::Map(
        DEFAULT_BUCKETS
            .iter()
            .map(|k| (k.to_string(), Value::Map(Default::default())))
            .collect(),
    )
}

pub fn bucket_block() -> Block {
    Block::new("The S3 buckets of the tier, keyed by a short name (`buckets = { documents = { ... } }`); a bucket is `<name>-<key>`. When null (or empty) the tier makes the seed's `documents`, `exports` and `fonts`. Public access is always blocked and only TLS requests are allowed.")
        .attr(Attribute::bool("versioning").implied(true).doc("Keep object versions (default true)."))
        .attr(Attribute::string("encryption").implied(ENCRYPTIONS[0]).check_str(one_of(&ENCRYPTIONS)).doc(
            "`aws:kms` (default: the tier's KMS key) or `AES256` (SSE-S3).",
        ))
        .attr(Attribute::number("transition_ia_days").optional().check_int(range(30, 36500)).doc(
            "Move objects to STANDARD_IA after this many days (at least 30).",
        ))
        .attr(Attribute::number("transition_glacier_days").optional().check_int(range(1, 36500)).doc(
            "Move objects to GLACIER after this many days (after `transition_ia_days`).",
        ))
        .attr(Attribute::number("noncurrent_expiration_days").optional().check_int(range(1, 36500)).doc(
            "Delete non-current versions this many days after they were replaced.",
        ))
}

pub fn schema() -> Schema {
    let computed = Attribute::output;
    let volatile = Attribute::volatile_output;
    let block = Block::new(
        "The ODE data tier as one resource: PostgreSQL (RDS), Redis (ElastiCache) and the \
         document buckets, with their security groups, subnet groups, parameter groups and \
         KMS key, reachable only from the sources you allow. Created concurrently, read in \
         one round, modified in place where AWS allows, and deleted only when deletion \
         protection is off (with a final snapshot unless told otherwise).",
    )
    .attr(Attribute::string("name").required().requires_replace().check_str(tier_name).doc(
        "Name of the tier (e.g. `ode-production`): the prefix of every object's name. Lowercase letters, digits and hyphens, at most 30 characters. Changing it replaces the tier.",
    ))
    .attr(Attribute::string("vpc_id").required().requires_replace().check_str(awsv::ec2_id("vpc-", "VPC")).doc(
        "The VPC of the subnets (the tier's security groups live there).",
    ))
    .attr(Attribute::string_list("subnet_ids").required().check_str(awsv::ec2_id("subnet-", "subnet")).doc(
        "Subnets for the database and Redis: the isolated subnets of at least two availability zones.",
    ))
    .attr(Attribute::string_list("allowed_security_group_ids").implied(Value::List(Vec::new())).check_str(awsv::ec2_id("sg-", "security group")).doc(
        "Security groups whose members may reach PostgreSQL (5432) and Redis (6379), e.g. the EKS cluster security group.",
    ))
    .attr(Attribute::string_list("allowed_cidr_blocks").implied(Value::List(Vec::new())).check_str(allowed_cidr).doc(
        "CIDR blocks that may reach PostgreSQL and Redis. With neither this nor `allowed_security_group_ids` nothing can connect (a warning says so).",
    ))
    .attr(Attribute::string("kms_key_arn").optional().requires_replace().check_str(awsv::arn("kms")).doc(
        "One KMS key for RDS, Redis, the buckets and the tier's secrets; when null the tier creates one (`alias/<name>-data`, deletion scheduled on destroy).",
    ))
    .attr(Attribute::bool("force_destroy").default(false).doc(
        "Let destroy delete buckets that still hold objects. Off by default: destroy refuses, before deleting anything, while a bucket holds objects.",
    ))
    .attr(Attribute::string_map("tags").implied(Value::Map(Default::default())).check_entries(awsv::tag).doc(
        "Tags for every object of the tier, merged over the provider's `default_tags`.",
    ))
    .group("postgres", postgres_block())
    .group("redis", redis_block())
    .attr(bucket_block().into_map_attribute("buckets").implied(default_buckets()))
    .single("timeouts", crate::kit::timeouts::block("60m"))
    .attr(computed("id", Type::String, "The tier name."))
    .attr(computed("rds_endpoint", Type::String, "PostgreSQL host name."))
    .attr(computed("rds_port", Type::Number, "PostgreSQL port (5432)."))
    .attr(computed("rds_reader_endpoint", Type::String, "Host name for reads. A Multi-AZ DB instance's standby takes no reads, so this is the writer's host name."))
    .attr(computed("rds_arn", Type::String, "ARN of the DB instance."))
    .attr(computed("master_secret_arn", Type::String, "Secrets Manager secret that RDS keeps the master password in (null when a password attribute is set)."))
    .attr(computed("redis_endpoint", Type::String, "Redis primary endpoint host name."))
    .attr(computed("redis_reader_endpoint", Type::String, "Redis reader endpoint host name."))
    .attr(computed("redis_port", Type::Number, "Redis port (6379)."))
    .attr(computed("redis_auth_secret_arn", Type::String, "Secrets Manager secret holding the generated Redis AUTH token (null when a token attribute is set or transit encryption is off)."))
    .attr(computed("secrets_kms_key_arn", Type::String, "The KMS key of the tier (supplied or created)."))
    .attr(computed("security_group_ids", Type::map(Type::String), "Security group ids by engine (`postgres`, `redis`)."))
    .attr(computed("subnet_group_names", Type::map(Type::String), "Subnet group names by engine."))
    .attr(computed("bucket_names", Type::map(Type::String), "Bucket names by key."))
    .attr(computed("bucket_arns", Type::map(Type::String), "Bucket ARNs by key."))
    .attr(computed("database_url", Type::String, "`postgresql://user@host:5432/db?sslmode=require`: no password in it."))
    .attr(computed("redis_url", Type::String, "`rediss://host:6379` (or `redis://` without transit encryption): no token in it."))
    .attr(volatile("pending_changes", Type::map(Type::String), "Modifications AWS applies in the next maintenance window, by setting (e.g. `postgres.instance_class`); empty when none."))
    .attr(Attribute::string("exposure").computed().doc(
        "`verified` when the tier's security groups admit only the allowed sources on their ports, the database is not publicly accessible and encryption is on; otherwise the violations (drift that apply repairs).",
    ));
    let [cost, items] = crate::pricing::attributes();
    let block = block.attr(cost).attr(items);
    Schema::new(0, block)
}
