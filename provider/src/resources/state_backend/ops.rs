//! AWS calls for `ode_state_backend`. Bucket and table are independent, so every
//! operation runs the two sides concurrently; the bucket's settings are written
//! and read concurrently too.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types as ddb;

use super::model::*;
use crate::aws::{found, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::claim::{self, Owner, CREATING_TAG};
use crate::kit::tags::{dynamodb as ddb_tags, owner_key, s3 as s3_tags, Tags};
use crate::kit::{bucket, Status, Waiter};

const LOCK_KEY: &str = "LockID";
const COMPONENT: &str = "state-backend";

/// A failure that should be reported against one attribute.
#[derive(Debug)]
pub enum Failure {
    Aws(AwsError),
    /// The object exists but belongs to something else.
    Foreign {
        attribute: &'static str,
        detail: String,
    },
    /// Destroy found state objects and `force_destroy` is off.
    NotEmpty {
        versions: usize,
    },
}

/// Which claim check failed, for the diagnostic.
fn taken(attribute: &'static str, what: String, owner: Owner) -> Failure {
    let detail = match owner {
        Owner::Managed => format!(
            "{what} already exists and belongs to a state backend that another Terraform state \
             manages. Nothing was changed. Choose another name, or remove it from that state and \
             import it here: terraform import <address of this ode_state_backend> <bucket>"
        ),
        Owner::CreatingElsewhere => format!(
            "{what} is marked as being created by another configuration or workspace (an apply \
             that is running, or was interrupted there). Nothing was changed. Choose another \
             name, or finish or destroy that apply where it ran."
        ),
        Owner::Ours => format!("{what} is ours"),
    };
    Failure::Foreign { attribute, detail }
}

impl From<AwsError> for Failure {
    fn from(e: AwsError) -> Self {
        Failure::Aws(e)
    }
}

/// Ownership tags for the bucket: they let import and a re-run after a crash
/// recognise what this provider made.
fn bucket_tags(aws: &Aws, d: &Desired) -> Tags {
    let mut t = aws.tags_all(d.tags.as_ref().unwrap_or(&BTreeMap::new()));
    t.insert(owner_key("component"), COMPONENT.into());
    t.insert(owner_key("lock-table"), d.lock_table.clone());
    t.insert(owner_key("state-key"), d.state_key.clone());
    // What AWS cannot report, for an import.
    let settings = crate::kit::tags::encode_settings(&[(
        "force_destroy",
        d.force_destroy.then(|| "true".into()),
    )]);
    if let Some(settings) = settings {
        t.insert(crate::kit::tags::settings_key(), settings);
    }
    if let Some(fp) = &d.creating {
        t.insert(CREATING_TAG.into(), fp.clone());
    }
    t
}

fn table_tags(aws: &Aws, d: &Desired) -> Tags {
    let mut t = aws.tags_all(d.tags.as_ref().unwrap_or(&BTreeMap::new()));
    t.insert(owner_key("component"), COMPONENT.into());
    t.insert(owner_key("bucket"), d.bucket.clone());
    if let Some(fp) = &d.creating {
        t.insert(CREATING_TAG.into(), fp.clone());
    }
    t
}

// ------------------------------------------------------------------ bucket

/// Whether the bucket already exists as this backend's (left by an earlier,
/// interrupted apply). A bucket that exists but is not ours is an error.
async fn bucket_is_ours(aws: &Aws, d: &Desired) -> Result<bool, Failure> {
    let head = aws
        .s3
        .head_bucket()
        .bucket(&d.bucket)
        .send()
        .await
        .op("HeadBucket");
    if found(head, &["NotFound", "NoSuchBucket"])?.is_none() {
        return Ok(false);
    }
    let tags = s3_tags::get(&aws.s3, &d.bucket).await?;
    if tags.contains_key(&owner_key("lock-table")) {
        let what = format!("Bucket {:?}", d.bucket);
        return match claim::judge(&tags, d.creating.as_deref().unwrap_or_default()) {
            Owner::Ours if tags.get(&owner_key("lock-table")) == Some(&d.lock_table) => {
                tracing::info!(bucket = %d.bucket, "adopting the bucket an unfinished create of this backend left");
                Ok(true)
            }
            Owner::Ours => Err(taken("bucket", what, Owner::Managed)),
            owner => Err(taken("bucket", what, owner)),
        };
    }
    Err(Failure::Foreign {
        attribute: "bucket",
        detail: format!(
            "Bucket {:?} already exists and was not created by this state backend. Choose \
             another name, or import it if it was: terraform import <address> {}",
            d.bucket, d.bucket
        ),
    })
}

async fn create_bucket(aws: &Aws, d: &Desired) -> Result<(), Failure> {
    match bucket::create(aws, &d.bucket).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_code(&["BucketAlreadyExists"]) => Err(Failure::Foreign {
            attribute: "bucket",
            detail: format!(
                "Bucket names are global across AWS accounts, and {:?} belongs to another \
                 account. Choose another name. ({e})",
                d.bucket
            ),
        }),
        Err(e) if e.is_code(&["BucketAlreadyOwnedByYou"]) => Err(Failure::Foreign {
            attribute: "bucket",
            detail: format!(
                "Bucket {:?} was created in this account by something else (another apply?) while \
                 this one was creating it. Nothing was changed. Choose another name, or import it \
                 if it is a state backend. ({e})",
                d.bucket
            ),
        }),
        Err(e) => Err(e.into()),
    }
}

/// What the backend wants of its bucket.
fn settings<'a>(d: &'a Desired, tags: &'a Tags) -> bucket::Settings<'a> {
    bucket::Settings {
        bucket: &d.bucket,
        kms_key_arn: d.kms_key_arn.as_deref(),
        versioning: true,
        tags,
        lifecycle: None,
    }
}

// ------------------------------------------------------------------- table

/// Waits for the table to be ACTIVE; returns its ARN.
async fn wait_table_active(aws: &Aws, stop: &Stop, d: &Desired) -> Result<String, AwsError> {
    let table = d.lock_table.as_str();
    let deadline = crate::kit::wait::deadline_in(d.timeouts.create);
    Waiter::new(
        "CreateTable",
        format!("table {table} to become ACTIVE"),
        deadline,
    )
    .wait(stop, || async {
        let r = aws
            .dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .op("DescribeTable")?;
        let t = r.table();
        Ok(match t.and_then(|t| t.table_status()) {
            Some(ddb::TableStatus::Active) => Status::Ready(
                t.and_then(|t| t.table_arn())
                    .unwrap_or_default()
                    .to_string(),
            ),
            other => Status::Pending(format!("{other:?}")),
        })
    })
    .await
}

async fn enable_pitr(aws: &Aws, table: &str) -> Result<(), AwsError> {
    const OP: &str = "UpdateContinuousBackups";
    let spec = ddb::PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(true)
        .build()
        .map_err(|e| AwsError::build(OP, e))?;
    aws.dynamodb
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(spec)
        .send()
        .await
        .op(OP)
        .map(|_| ())
}

fn foreign_table(d: &Desired) -> Failure {
    Failure::Foreign {
        attribute: "lock_table",
        detail: format!(
            "DynamoDB table {:?} already exists and does not belong to this state backend \
             (bucket {:?}). Choose another name or delete that table.",
            d.lock_table, d.bucket
        ),
    }
}

/// Whether the table already exists as what an unfinished create of this
/// backend left. One that is not ours to adopt is an error.
async fn table_is_ours(aws: &Aws, d: &Desired) -> Result<bool, Failure> {
    let desc = aws
        .dynamodb
        .describe_table()
        .table_name(&d.lock_table)
        .send()
        .await;
    let Some(desc) = found(desc.op("DescribeTable"), &["ResourceNotFoundException"])? else {
        return Ok(false);
    };
    let arn = desc.table().and_then(|t| t.table_arn()).unwrap_or_default();
    let tags = ddb_tags::get(&aws.dynamodb, arn).await?;
    if tags.get(&owner_key("bucket")) != Some(&d.bucket) {
        return Err(foreign_table(d));
    }
    let what = format!("Table {:?}", d.lock_table);
    match claim::judge(&tags, d.creating.as_deref().unwrap_or_default()) {
        Owner::Ours => {
            tracing::info!(table = %d.lock_table, "adopting the lock table an unfinished create of this backend left");
            Ok(true)
        }
        owner => Err(taken("lock_table", what, owner)),
    }
}

/// Creates the lock table, waits for it, and turns on point-in-time recovery.
async fn create_table(aws: &Aws, stop: &Stop, d: &Desired) -> Result<(), Failure> {
    const OP: &str = "CreateTable";
    let build = |e| Failure::Aws(AwsError::build(OP, e));
    let req = aws
        .dynamodb
        .create_table()
        .table_name(&d.lock_table)
        .attribute_definitions(
            ddb::AttributeDefinition::builder()
                .attribute_name(LOCK_KEY)
                .attribute_type(ddb::ScalarAttributeType::S)
                .build()
                .map_err(build)?,
        )
        .key_schema(
            ddb::KeySchemaElement::builder()
                .attribute_name(LOCK_KEY)
                .key_type(ddb::KeyType::Hash)
                .build()
                .map_err(build)?,
        )
        .billing_mode(ddb::BillingMode::PayPerRequest)
        .sse_specification(ddb::SseSpecification::builder().enabled(true).build())
        .set_tags(Some(ddb_tags::list(&table_tags(aws, d))?));
    match req.send().await.op(OP) {
        Ok(_) => {}
        Err(e) if e.is_code(&["ResourceInUseException"]) => return Err(foreign_table(d)),
        Err(e) => return Err(e.into()),
    }
    finish_table(aws, stop, d).await
}

/// Waits for the table and turns on point-in-time recovery.
async fn finish_table(aws: &Aws, stop: &Stop, d: &Desired) -> Result<(), Failure> {
    wait_table_active(aws, stop, d).await?;
    enable_pitr(aws, &d.lock_table).await?;
    Ok(())
}

/// Reads the table; `None` when it is gone or no longer this backend's.
pub async fn read_table(aws: &Aws, d: &Desired) -> Result<Option<TableSeen>, AwsError> {
    let table = d.lock_table.as_str();
    let (desc, backups) = tokio::join!(
        async {
            aws.dynamodb
                .describe_table()
                .table_name(table)
                .send()
                .await
                .op("DescribeTable")
        },
        async {
            aws.dynamodb
                .describe_continuous_backups()
                .table_name(table)
                .send()
                .await
                .op("DescribeContinuousBackups")
        },
    );
    let Some(desc) = found(desc, &["ResourceNotFoundException"])? else {
        return Ok(None);
    };
    let arn = desc
        .table()
        .and_then(|t| t.table_arn())
        .unwrap_or_default()
        .to_string();
    let pitr = found(
        backups,
        &["TableNotFoundException", "ResourceNotFoundException"],
    )?
    .and_then(|b| b.continuous_backups_description().cloned())
    .and_then(|c| c.point_in_time_recovery_description().cloned())
    .and_then(|p| p.point_in_time_recovery_status().cloned())
        == Some(ddb::PointInTimeRecoveryStatus::Enabled);
    let tags = ddb_tags::get(&aws.dynamodb, &arn).await?;
    if tags.get(&owner_key("bucket")) != Some(&d.bucket) {
        return Ok(None);
    }
    Ok(Some(TableSeen {
        arn,
        point_in_time_recovery: pitr,
        tags,
    }))
}

// ------------------------------------------------------------- lifecycle

/// Reads both halves; `None` when the bucket (the backend's identity) is gone.
pub async fn read(aws: &Aws, d: &Desired) -> Result<Option<Seen>, AwsError> {
    let (bucket, table) = tokio::join!(bucket::read(aws, &d.bucket, false), read_table(aws, d));
    Ok(match bucket? {
        Some(bucket) => Some(Seen {
            bucket,
            table: table?,
        }),
        None => None,
    })
}

/// Creates bucket and table concurrently, adopting either half only when an
/// unfinished create of this very backend left it (see [`crate::kit::claim`]).
/// Names taken by anything else fail before anything is created. On failure
/// the caller reads back whatever exists so that state records it.
pub async fn create(aws: &Aws, stop: &Stop, d: &Desired) -> Result<(), Failure> {
    let (bucket_ours, table_ours) = tokio::join!(bucket_is_ours(aws, d), table_is_ours(aws, d));
    let (bucket_ours, table_ours) = (bucket_ours?, table_ours?);
    if stop.is_stopped() {
        return Err(AwsError::stopped("CreateBucket").into());
    }
    let bucket = async {
        if !bucket_ours {
            create_bucket(aws, d).await?;
        }
        let tags = bucket_tags(aws, d);
        let want = settings(d, &tags);
        bucket::configure(aws, &want, &bucket::Fixes::fresh(&want), None).await?;
        Ok::<_, Failure>(())
    };
    let table = async {
        if table_ours {
            finish_table(aws, stop, d).await
        } else {
            create_table(aws, stop, d).await
        }
    };
    let (b, t) = tokio::join!(bucket, table);
    b.and(t)?;
    release_claim(aws, d).await.map_err(Failure::from)
}

/// Ends a successful create: bucket and table lose their `ode:creating` mark,
/// so that no later create adopts them.
async fn release_claim(aws: &Aws, d: &Desired) -> Result<(), AwsError> {
    let done = Desired {
        creating: None,
        ..d.clone()
    };
    let table = async {
        let arn = aws
            .dynamodb
            .describe_table()
            .table_name(&d.lock_table)
            .send()
            .await
            .op("DescribeTable")?
            .table()
            .and_then(|t| t.table_arn())
            .unwrap_or_default()
            .to_string();
        aws.dynamodb
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(CREATING_TAG)
            .send()
            .await
            .op("UntagResource")
            .map(|_| ())
    };
    let finished_tags = bucket_tags(aws, &done);
    tokio::try_join!(s3_tags::put(&aws.s3, &d.bucket, &finished_tags), table).map(|_| ())
}

/// Brings an existing backend to `d`, fixing only what differs from `seen`.
pub async fn update(aws: &Aws, stop: &Stop, d: &Desired, seen: &Seen) -> Result<(), Failure> {
    let tags = bucket_tags(aws, d);
    let want = settings(d, &tags);
    let fixes = bucket::Fixes::needed(&want, &seen.bucket);
    let table = async {
        match &seen.table {
            None => create_table(aws, stop, d).await,
            Some(t) => {
                let pitr = async {
                    if t.point_in_time_recovery {
                        Ok(())
                    } else {
                        enable_pitr(aws, &d.lock_table).await
                    }
                };
                let want = table_tags(aws, d);
                let retag = ddb_tags::retag(&aws.dynamodb, &t.arn, &t.tags, &want);
                tokio::try_join!(pitr, retag)?;
                Ok(())
            }
        }
    };
    let bucket = bucket::configure(aws, &want, &fixes, seen.bucket.policy.as_deref());
    let (b, t) = tokio::join!(bucket, table);
    b.map_err(Failure::from).and(t)
}

/// Deletes the backend. A non-empty bucket is refused unless `force_destroy`.
/// The table is deleted only when state says it is this backend's (`owns_table`).
/// The destroy guard: without `force_destroy`, the bucket must hold nothing (it
/// may hold state still in use). Returns how many versions it holds.
pub async fn destroy_guard(aws: &Aws, d: &Desired) -> Result<usize, Failure> {
    let n = bucket::count_versions(aws, &d.bucket).await?.unwrap_or(0);
    if n > 0 && !d.force_destroy {
        return Err(Failure::NotEmpty { versions: n });
    }
    Ok(n)
}

pub async fn delete(aws: &Aws, stop: &Stop, d: &Desired, owns_table: bool) -> Result<(), Failure> {
    if destroy_guard(aws, d).await? > 0 {
        let deadline = crate::kit::wait::deadline_in(d.timeouts.delete);
        bucket::empty(aws, stop, &d.bucket, deadline).await?;
    }
    let bucket = async {
        let r = aws
            .s3
            .delete_bucket()
            .bucket(&d.bucket)
            .send()
            .await
            .op("DeleteBucket");
        found(r, &["NoSuchBucket"]).map(|_| ())
    };
    let table = async {
        if !owns_table {
            return Ok(());
        }
        let r = aws
            .dynamodb
            .delete_table()
            .table_name(&d.lock_table)
            .send()
            .await
            .op("DeleteTable");
        found(r, &["ResourceNotFoundException"]).map(|_| ())
    };
    tokio::try_join!(bucket, table)?;
    Ok(())
}

/// For import: the lock table and state key an existing bucket was tagged with.
pub async fn ownership(aws: &Aws, bucket: &str) -> Result<Option<(String, String)>, AwsError> {
    let Some(tags) = found(s3_tags::get(&aws.s3, bucket).await, &["NoSuchBucket"])? else {
        return Ok(None);
    };
    Ok(tags.get(&owner_key("lock-table")).map(|t| {
        let key = tags
            .get(&owner_key("state-key"))
            .cloned()
            .unwrap_or_else(|| "terraform.tfstate".into());
        (t.clone(), key)
    }))
}
