//! `ode_state_backend`: what users write and what they get back.

use crate::aws::validate as awsv;
use crate::framework::{Attribute, Block, Schema, Value};

/// The key of the state object in the bucket.
fn state_key(s: &str) -> Result<(), String> {
    if s.is_empty() || s.starts_with('/') || s.len() > 1024 {
        Err("The state key must be 1 to 1024 characters and must not start with '/'.".into())
    } else {
        Ok(())
    }
}

pub const TYPE_NAME: &str = "ode_state_backend";

pub fn schema() -> Schema {
    let block = Block::new(
        "Remote state storage for Terraform and OpenTofu: an S3 bucket (versioned, \
         encrypted, public access blocked, TLS-only policy) and a DynamoDB lock table \
         (`LockID` hash key, on-demand billing, point-in-time recovery, encryption). \
         Read reports any of those settings changed outside Terraform, and apply restores them.",
    )
    .attr(
        Attribute::string("bucket")
            .required()
            .requires_replace()
            .check_str(awsv::bucket_name)
            .doc("Name of the S3 bucket that holds state files. Changing it replaces the backend."),
    )
    .attr(
        Attribute::string("lock_table")
            .required()
            .requires_replace()
            .check_str(awsv::table_name)
            .doc("Name of the DynamoDB table used for state locking. Changing it replaces the backend."),
    )
    .attr(
        Attribute::string("state_key")
            .default("terraform.tfstate")
            .check_str(state_key)
            .doc("State object key written into `backend_config`."),
    )
    .attr(
        Attribute::string("kms_key_arn")
            .optional()
            .check_str(awsv::arn("kms"))
            .doc("ARN of a KMS key for SSE-KMS on the bucket. When null, the bucket uses SSE-S3 (AES256)."),
    )
    .attr(
        Attribute::bool("force_destroy")
            .default(false)
            .doc("Allow destroy to delete every state object version in the bucket. When false, destroying a non-empty bucket fails."),
    )
    .attr(
        Attribute::string_map("tags")
            .implied(Value::Map(Default::default()))
            .check_entries(awsv::tag)
            .doc("Tags for the bucket and the table, merged over the provider's `default_tags`."),
    )
    .single("timeouts", crate::kit::timeouts::block("10m"))
    .attr(
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .doc("The bucket name."),
    )
    .attr(
        Attribute::string("bucket_arn")
            .computed()
            .use_state_for_unknown()
            .doc("ARN of the state bucket."),
    )
    .attr(
        Attribute::string("lock_table_arn")
            .computed()
            .use_state_for_unknown()
            .doc("ARN of the lock table; null when the table was deleted outside Terraform (apply recreates it)."),
    )
    .attr(
        Attribute::string("region")
            .computed()
            .doc("Region the bucket and table live in."),
    )
    .attr(
        Attribute::string_map("tags_all")
            .computed()
            .doc("All tags on the bucket: `default_tags` merged with `tags`."),
    )
    .attr(
        Attribute::string("versioning")
            .computed()
            .doc("Bucket versioning status; `Enabled` unless changed outside Terraform."),
    )
    .attr(
        Attribute::string("encryption")
            .computed()
            .doc("Default bucket encryption: `AES256`, `aws:kms`, or `none` when removed outside Terraform."),
    )
    .attr(
        Attribute::bool("public_access_blocked")
            .computed()
            .doc("Whether all four S3 public access block settings are on."),
    )
    .attr(
        Attribute::bool("tls_only_policy")
            .computed()
            .doc("Whether the bucket policy denies requests without TLS."),
    )
    .attr(
        Attribute::bool("point_in_time_recovery")
            .computed()
            .doc("Whether point-in-time recovery is on for the lock table."),
    )
    .attr(
        Attribute::string("backend_config")
            .computed()
            .doc("A ready-to-paste `terraform { backend \"s3\" { ... } }` block for root modules that store their state here."),
    );
    Schema::new(0, block)
}
