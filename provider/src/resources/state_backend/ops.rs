//! AWS calls for `ode_state_backend`. Bucket and table are independent, so every
//! operation runs the two sides concurrently; the bucket's settings are written
//! and read concurrently too.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types as ddb;
use aws_sdk_s3::types as s3;
use tokio::time::Instant;

use super::model::*;
use crate::aws::{found, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::claim::{self, Owner, CREATING_TAG};
use crate::kit::tags::{dynamodb as ddb_tags, owner_key, s3 as s3_tags, Tags};
use crate::kit::{Status, Waiter};

const LOCK_KEY: &str = "LockID";
const COMPONENT: &str = "state-backend";
/// The statement this resource adds to (or keeps in) the bucket policy.
const TLS_SID: &str = "DenyInsecureTransport";

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

fn tls_statement(aws: &Aws, bucket: &str) -> serde_json::Value {
    let arn = bucket_arn(aws, bucket);
    serde_json::json!({
        "Sid": TLS_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn.clone(), format!("{arn}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

/// The bucket policy with the TLS-only statement added: a user's own
/// statements are kept; a statement with the same Sid is replaced.
fn tls_only_policy(aws: &Aws, bucket: &str, existing: Option<&str>) -> Result<String, AwsError> {
    let statement = tls_statement(aws, bucket);
    let Some(text) = existing.filter(|t| !t.trim().is_empty()) else {
        return Ok(
            serde_json::json!({"Version": "2012-10-17", "Statement": [statement]}).to_string(),
        );
    };
    let mut doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        AwsError::new(
            "PutBucketPolicy",
            "MalformedPolicy",
            format!(
                "the bucket's current policy is not JSON ({e}); fix or delete it, then apply again"
            ),
        )
    })?;
    let mut statements = match doc.get("Statement").cloned() {
        Some(serde_json::Value::Array(a)) => a,
        Some(one @ serde_json::Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    statements.retain(|s| s.get("Sid").and_then(|v| v.as_str()) != Some(TLS_SID));
    statements.push(statement);
    match doc.as_object_mut() {
        Some(obj) => {
            obj.insert("Statement".into(), serde_json::Value::Array(statements));
            obj.entry("Version")
                .or_insert_with(|| serde_json::Value::from("2012-10-17"));
        }
        None => {
            doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
        }
    }
    Ok(doc.to_string())
}

/// True when some statement denies requests made without TLS.
fn denies_insecure_transport(policy: &str) -> bool {
    let Ok(p) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let statements = match &p["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        s @ serde_json::Value::Object(_) => vec![s.clone()],
        _ => return false,
    };
    statements.iter().any(|s| {
        let v = &s["Condition"]["Bool"]["aws:SecureTransport"];
        s["Effect"] == "Deny" && (v == "false" || v == false)
    })
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
    let mut req = aws.s3.create_bucket().bucket(&d.bucket);
    if aws.region != "us-east-1" {
        req = req.create_bucket_configuration(
            s3::CreateBucketConfiguration::builder()
                .location_constraint(s3::BucketLocationConstraint::from(aws.region.as_str()))
                .build(),
        );
    }
    match req.send().await.op("CreateBucket") {
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

/// Which bucket settings to (re)write.
#[derive(Default)]
pub struct BucketFixes {
    pub versioning: bool,
    pub encryption: bool,
    pub public_access_block: bool,
    pub policy: bool,
    pub tags: bool,
}

impl BucketFixes {
    pub fn all() -> Self {
        BucketFixes {
            versioning: true,
            encryption: true,
            public_access_block: true,
            policy: true,
            tags: true,
        }
    }

    /// What differs between what AWS has (`seen`) and what `d` wants.
    pub fn needed(aws: &Aws, d: &Desired, seen: &BucketSeen) -> Self {
        BucketFixes {
            versioning: seen.versioning != VERSIONING_ON,
            encryption: seen.encryption != d.encryption() || seen.kms_key_arn != d.kms_key_arn,
            public_access_block: !seen.public_access_blocked,
            policy: !seen.tls_only_policy,
            tags: seen.tags != bucket_tags(aws, d),
        }
    }
}

/// Writes the bucket settings that need it, concurrently. `policy` is the
/// bucket's current policy, into which the TLS-only statement is merged.
async fn configure_bucket(
    aws: &Aws,
    d: &Desired,
    fix: &BucketFixes,
    policy: Option<&str>,
) -> Result<(), AwsError> {
    let b = d.bucket.as_str();
    let versioning = async {
        if !fix.versioning {
            return Ok(());
        }
        aws.s3
            .put_bucket_versioning()
            .bucket(b)
            .versioning_configuration(
                s3::VersioningConfiguration::builder()
                    .status(s3::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .op("PutBucketVersioning")
            .map(|_| ())
    };
    let encryption = async {
        const OP: &str = "PutBucketEncryption";
        if !fix.encryption {
            return Ok(());
        }
        let alg = if d.kms_key_arn.is_some() {
            s3::ServerSideEncryption::AwsKms
        } else {
            s3::ServerSideEncryption::Aes256
        };
        let by_default = s3::ServerSideEncryptionByDefault::builder()
            .sse_algorithm(alg)
            .set_kms_master_key_id(d.kms_key_arn.clone())
            .build()
            .map_err(|e| AwsError::build(OP, e))?;
        let rule = s3::ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(by_default)
            .bucket_key_enabled(d.kms_key_arn.is_some())
            .build();
        let config = s3::ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(|e| AwsError::build(OP, e))?;
        aws.s3
            .put_bucket_encryption()
            .bucket(b)
            .server_side_encryption_configuration(config)
            .send()
            .await
            .op(OP)
            .map(|_| ())
    };
    let public_access = async {
        if !fix.public_access_block {
            return Ok(());
        }
        aws.s3
            .put_public_access_block()
            .bucket(b)
            .public_access_block_configuration(
                s3::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .op("PutPublicAccessBlock")
            .map(|_| ())
    };
    let policy = async {
        if !fix.policy {
            return Ok(());
        }
        aws.s3
            .put_bucket_policy()
            .bucket(b)
            .policy(tls_only_policy(aws, b, policy)?)
            .send()
            .await
            .op("PutBucketPolicy")
            .map(|_| ())
    };
    let tags = async {
        if !fix.tags {
            return Ok(());
        }
        s3_tags::put(&aws.s3, b, &bucket_tags(aws, d)).await
    };
    tokio::try_join!(versioning, encryption, public_access, policy, tags)?;
    Ok(())
}

/// Reads the bucket's settings in one concurrent round; `None` when the bucket is gone.
pub async fn read_bucket(aws: &Aws, bucket: &str) -> Result<Option<BucketSeen>, AwsError> {
    let s3c = &aws.s3;
    let (versioning, encryption, pab, policy, tags) = tokio::join!(
        async {
            s3c.get_bucket_versioning()
                .bucket(bucket)
                .send()
                .await
                .op("GetBucketVersioning")
        },
        async {
            s3c.get_bucket_encryption()
                .bucket(bucket)
                .send()
                .await
                .op("GetBucketEncryption")
        },
        async {
            s3c.get_public_access_block()
                .bucket(bucket)
                .send()
                .await
                .op("GetPublicAccessBlock")
        },
        async {
            s3c.get_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .op("GetBucketPolicy")
        },
        s3_tags::get(&aws.s3, bucket),
    );
    let Some(versioning) = found(versioning, &["NoSuchBucket"])? else {
        return Ok(None);
    };
    let mut seen = BucketSeen {
        versioning: versioning
            .status()
            .map_or("Disabled".to_string(), |s| s.as_str().to_string()),
        encryption: ENC_NONE.to_string(),
        ..Default::default()
    };
    let gone = ["NoSuchBucket"];
    let enc = found(
        encryption,
        &["ServerSideEncryptionConfigurationNotFoundError", gone[0]],
    )?;
    if let Some(rule) = enc
        .as_ref()
        .and_then(|e| e.server_side_encryption_configuration())
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
    {
        seen.encryption = rule.sse_algorithm().as_str().to_string();
        seen.kms_key_arn = rule.kms_master_key_id().map(str::to_string);
    }
    seen.public_access_blocked = found(pab, &["NoSuchPublicAccessBlockConfiguration", gone[0]])?
        .and_then(|r| r.public_access_block_configuration().cloned())
        .is_some_and(|c| {
            c.block_public_acls() == Some(true)
                && c.ignore_public_acls() == Some(true)
                && c.block_public_policy() == Some(true)
                && c.restrict_public_buckets() == Some(true)
        });
    seen.policy = found(policy, &["NoSuchBucketPolicy", gone[0]])?
        .and_then(|p| p.policy().map(str::to_string));
    seen.tls_only_policy = seen
        .policy
        .as_deref()
        .is_some_and(denies_insecure_transport);
    seen.tags = found(tags, &gone)?.unwrap_or_default();
    Ok(Some(seen))
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
    let (bucket, table) = tokio::join!(read_bucket(aws, &d.bucket), read_table(aws, d));
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
        configure_bucket(aws, d, &BucketFixes::all(), None).await?;
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
    let fixes = BucketFixes::needed(aws, d, &seen.bucket);
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
    let bucket = configure_bucket(aws, d, &fixes, seen.bucket.policy.as_deref());
    let (b, t) = tokio::join!(bucket, table);
    b.map_err(Failure::from).and(t)
}

/// Counts object versions and delete markers (stops counting at one page).
async fn count_versions(aws: &Aws, bucket: &str) -> Result<Option<usize>, AwsError> {
    let r = aws
        .s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1000)
        .send()
        .await
        .op("ListObjectVersions");
    Ok(found(r, &["NoSuchBucket"])?.map(|p| p.versions().len() + p.delete_markers().len()))
}

/// Deletes every object version and delete marker, a page at a time, until
/// `deadline`. Objects S3 refuses to delete are reported (the first few by key
/// and version, with S3's code), never skipped silently.
async fn empty_bucket(
    aws: &Aws,
    stop: &Stop,
    bucket: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    const OP: &str = "DeleteObjects";
    let mut deleted = 0usize;
    loop {
        if stop.is_stopped() {
            return Err(AwsError::stopped(OP));
        }
        if Instant::now() >= deadline {
            return Err(AwsError::new(
                OP,
                crate::aws::error::TIMEOUT,
                format!(
                    "emptying bucket {bucket} did not finish within the delete timeout \
                     ({deleted} object versions deleted so far); raise timeouts.delete or run \
                     destroy again"
                ),
            ));
        }
        let page = aws
            .s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1000)
            .send()
            .await
            .op("ListObjectVersions")?;
        let ids = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(k, v)| Some((k?, v)))
            .map(|(k, v)| {
                s3::ObjectIdentifier::builder()
                    .key(k)
                    .set_version_id(v.map(str::to_string))
                    .build()
                    .map_err(|e| AwsError::build(OP, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(());
        }
        let count = ids.len();
        let delete = s3::Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| AwsError::build(OP, e))?;
        let r = aws
            .s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .op(OP)?;
        if !r.errors().is_empty() {
            let first: Vec<String> = r
                .errors()
                .iter()
                .take(5)
                .map(|e| {
                    format!(
                        "{} (version {}): {}: {}",
                        e.key().unwrap_or("?"),
                        e.version_id().unwrap_or("null"),
                        e.code().unwrap_or("?"),
                        e.message().unwrap_or("")
                    )
                })
                .collect();
            return Err(AwsError::new(
                OP,
                "ObjectsNotDeleted",
                format!(
                    "{} of {count} object versions in bucket {bucket} could not be deleted: {}",
                    r.errors().len(),
                    first.join("; ")
                ),
            ));
        }
        deleted += count;
    }
}

/// Deletes the backend. A non-empty bucket is refused unless `force_destroy`.
/// The table is deleted only when state says it is this backend's (`owns_table`).
pub async fn delete(aws: &Aws, stop: &Stop, d: &Desired, owns_table: bool) -> Result<(), Failure> {
    if let Some(n) = count_versions(aws, &d.bucket).await? {
        if n > 0 {
            if !d.force_destroy {
                return Err(Failure::NotEmpty { versions: n });
            }
            let deadline = crate::kit::wait::deadline_in(d.timeouts.delete);
            empty_bucket(aws, stop, &d.bucket, deadline).await?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_check_recognises_the_tls_only_statement() {
        let p = r#"{"Statement":[{"Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(denies_insecure_transport(p));
        let p = r#"{"Statement":{"Effect":"Allow","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#;
        assert!(!denies_insecure_transport(p));
        assert!(!denies_insecure_transport("not json"));
    }

    #[test]
    fn the_tls_statement_is_merged_into_a_users_policy() {
        let aws = Aws::for_tests();
        let user = r#"{"Version":"2012-10-17","Id":"mine","Statement":[{"Sid":"ReadOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ci"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"DenyInsecureTransport","Effect":"Deny"}]}"#;
        let merged: serde_json::Value =
            serde_json::from_str(&tls_only_policy(&aws, "b", Some(user)).unwrap()).unwrap();
        assert_eq!(merged["Id"], "mine");
        let sids: Vec<&str> = merged["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(sids, vec!["ReadOnly", TLS_SID]);
        assert!(denies_insecure_transport(&merged.to_string()));
        // A single statement object is kept too; no policy gives the statement alone.
        let one = r#"{"Statement":{"Sid":"X","Effect":"Allow"}}"#;
        let merged: serde_json::Value =
            serde_json::from_str(&tls_only_policy(&aws, "b", Some(one)).unwrap()).unwrap();
        assert_eq!(merged["Statement"].as_array().unwrap().len(), 2);
        let fresh = tls_only_policy(&aws, "b", None).unwrap();
        assert!(denies_insecure_transport(&fresh));
        assert!(tls_only_policy(&aws, "b", Some("{not json")).is_err());
    }
}
