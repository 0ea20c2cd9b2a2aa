//! AWS calls for `ode_state_backend`. Bucket and table are independent, so every
//! operation runs the two sides concurrently; the bucket's settings are written
//! and read concurrently too.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types as ddb;
use aws_sdk_s3::types as s3;

use super::model::*;
use crate::aws::{found, Aws, AwsError, Op};
use crate::resources::owner_key;

const LOCK_KEY: &str = "LockID";
const COMPONENT: &str = "state-backend";
const TABLE_WAIT: Duration = Duration::from_secs(300);

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

impl From<AwsError> for Failure {
    fn from(e: AwsError) -> Self {
        Failure::Aws(e)
    }
}

fn built<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.expect("all required fields are set")
}

/// Ownership tags for the bucket: they let import and a re-run after a crash
/// recognise what this provider made.
fn bucket_tags(aws: &Aws, d: &Desired) -> BTreeMap<String, String> {
    let mut t = aws.tags_all(d.tags.as_ref().unwrap_or(&BTreeMap::new()));
    t.insert(owner_key("component"), COMPONENT.into());
    t.insert(owner_key("lock-table"), d.lock_table.clone());
    t.insert(owner_key("state-key"), d.state_key.clone());
    t
}

fn table_tags(aws: &Aws, d: &Desired) -> BTreeMap<String, String> {
    let mut t = aws.tags_all(d.tags.as_ref().unwrap_or(&BTreeMap::new()));
    t.insert(owner_key("component"), COMPONENT.into());
    t.insert(owner_key("bucket"), d.bucket.clone());
    t
}

fn tls_only_policy(aws: &Aws, bucket: &str) -> String {
    let arn = bucket_arn(aws, bucket);
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn.clone(), format!("{arn}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    })
    .to_string()
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

/// The bucket's tags (none when it has no tag set).
async fn bucket_tags_of(aws: &Aws, bucket: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let r = aws
        .s3
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
        .op("GetBucketTagging");
    Ok(found(r, &["NoSuchTagSet"])?
        .map(|t| {
            t.tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default())
}

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
    let tags = bucket_tags_of(aws, &d.bucket).await?;
    if tags.get(&owner_key("lock-table")) == Some(&d.lock_table) {
        tracing::info!(bucket = %d.bucket, "adopting bucket left by an earlier apply");
        return Ok(true);
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
        Err(e) if e.is_code(&["BucketAlreadyExists", "BucketAlreadyOwnedByYou"]) => {
            Err(Failure::Foreign {
                attribute: "bucket",
                detail: format!(
                    "Bucket {:?} was created by someone else meanwhile.",
                    d.bucket
                ),
            })
        }
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

/// Writes the bucket settings that need it, concurrently.
async fn configure_bucket(aws: &Aws, d: &Desired, fix: &BucketFixes) -> Result<(), AwsError> {
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
        if !fix.encryption {
            return Ok(());
        }
        let alg = if d.kms_key_arn.is_some() {
            s3::ServerSideEncryption::AwsKms
        } else {
            s3::ServerSideEncryption::Aes256
        };
        let by_default = built(
            s3::ServerSideEncryptionByDefault::builder()
                .sse_algorithm(alg)
                .set_kms_master_key_id(d.kms_key_arn.clone())
                .build(),
        );
        let rule = s3::ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(by_default)
            .bucket_key_enabled(d.kms_key_arn.is_some())
            .build();
        aws.s3
            .put_bucket_encryption()
            .bucket(b)
            .server_side_encryption_configuration(built(
                s3::ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build(),
            ))
            .send()
            .await
            .op("PutBucketEncryption")
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
            .policy(tls_only_policy(aws, b))
            .send()
            .await
            .op("PutBucketPolicy")
            .map(|_| ())
    };
    let tags = async {
        if !fix.tags {
            return Ok(());
        }
        let set = bucket_tags(aws, d)
            .into_iter()
            .map(|(k, v)| built(s3::Tag::builder().key(k).value(v).build()))
            .collect();
        aws.s3
            .put_bucket_tagging()
            .bucket(b)
            .tagging(built(s3::Tagging::builder().set_tag_set(Some(set)).build()))
            .send()
            .await
            .op("PutBucketTagging")
            .map(|_| ())
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
        bucket_tags_of(aws, bucket),
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
    seen.tls_only_policy = found(policy, &["NoSuchBucketPolicy", gone[0]])?
        .and_then(|p| p.policy().map(denies_insecure_transport))
        .unwrap_or(false);
    seen.tags = found(tags, &gone)?.unwrap_or_default();
    Ok(Some(seen))
}

// ------------------------------------------------------------------- table

fn ddb_tags(tags: BTreeMap<String, String>) -> Vec<ddb::Tag> {
    tags.into_iter()
        .map(|(k, v)| built(ddb::Tag::builder().key(k).value(v).build()))
        .collect()
}

async fn wait_table_active(aws: &Aws, table: &str) -> Result<String, AwsError> {
    let deadline = tokio::time::Instant::now() + TABLE_WAIT;
    let mut delay = Duration::from_millis(200);
    loop {
        let t = aws
            .dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .op("DescribeTable")?;
        let t = t.table();
        if t.and_then(|t| t.table_status()) == Some(&ddb::TableStatus::Active) {
            return Ok(t
                .and_then(|t| t.table_arn())
                .unwrap_or_default()
                .to_string());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(AwsError {
                operation: "DescribeTable",
                code: Some("Timeout".into()),
                message: format!("table {table} did not become ACTIVE in {TABLE_WAIT:?}"),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

async fn enable_pitr(aws: &Aws, table: &str) -> Result<(), AwsError> {
    aws.dynamodb
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(built(
            ddb::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build(),
        ))
        .send()
        .await
        .op("UpdateContinuousBackups")
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

/// Whether the table already exists as this backend's. One that is not ours is an error.
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
    let tags = table_tags_of(aws, arn).await?;
    if tags.get(&owner_key("bucket")) == Some(&d.bucket) {
        tracing::info!(table = %d.lock_table, "adopting lock table left by an earlier apply");
        return Ok(true);
    }
    Err(foreign_table(d))
}

/// Creates the lock table, waits for it, and turns on point-in-time recovery.
async fn create_table(aws: &Aws, d: &Desired) -> Result<(), Failure> {
    let req = aws
        .dynamodb
        .create_table()
        .table_name(&d.lock_table)
        .attribute_definitions(built(
            ddb::AttributeDefinition::builder()
                .attribute_name(LOCK_KEY)
                .attribute_type(ddb::ScalarAttributeType::S)
                .build(),
        ))
        .key_schema(built(
            ddb::KeySchemaElement::builder()
                .attribute_name(LOCK_KEY)
                .key_type(ddb::KeyType::Hash)
                .build(),
        ))
        .billing_mode(ddb::BillingMode::PayPerRequest)
        .sse_specification(ddb::SseSpecification::builder().enabled(true).build())
        .set_tags(Some(ddb_tags(table_tags(aws, d))));
    match req.send().await.op("CreateTable") {
        Ok(_) => {}
        Err(e) if e.is_code(&["ResourceInUseException"]) => return Err(foreign_table(d)),
        Err(e) => return Err(e.into()),
    }
    finish_table(aws, d).await
}

/// Waits for the table and turns on point-in-time recovery.
async fn finish_table(aws: &Aws, d: &Desired) -> Result<(), Failure> {
    wait_table_active(aws, &d.lock_table).await?;
    enable_pitr(aws, &d.lock_table).await?;
    Ok(())
}

async fn table_tags_of(aws: &Aws, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let r = aws
        .dynamodb
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .op("ListTagsOfResource")?;
    Ok(r.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
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
    let tags = table_tags_of(aws, &arn).await?;
    if tags.get(&owner_key("bucket")) != Some(&d.bucket) {
        return Ok(None);
    }
    Ok(Some(TableSeen {
        arn,
        point_in_time_recovery: pitr,
        tags,
    }))
}

async fn retag_table(aws: &Aws, d: &Desired, seen: &TableSeen) -> Result<(), AwsError> {
    let want = table_tags(aws, d);
    let stale: Vec<String> = seen
        .tags
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    let changed: BTreeMap<String, String> = want
        .into_iter()
        .filter(|(k, v)| seen.tags.get(k) != Some(v))
        .collect();
    if !stale.is_empty() {
        aws.dynamodb
            .untag_resource()
            .resource_arn(&seen.arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .op("UntagResource")?;
    }
    if !changed.is_empty() {
        aws.dynamodb
            .tag_resource()
            .resource_arn(&seen.arn)
            .set_tags(Some(ddb_tags(changed)))
            .send()
            .await
            .op("TagResource")?;
    }
    Ok(())
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

/// Creates bucket and table concurrently, adopting either half when an earlier
/// interrupted apply of this backend left it. Names taken by anything else fail
/// before anything is created. On failure the caller reads back whatever exists
/// so that state records it.
pub async fn create(aws: &Aws, d: &Desired) -> Result<(), Failure> {
    let (bucket_ours, table_ours) = tokio::join!(bucket_is_ours(aws, d), table_is_ours(aws, d));
    let (bucket_ours, table_ours) = (bucket_ours?, table_ours?);
    let bucket = async {
        if !bucket_ours {
            create_bucket(aws, d).await?;
        }
        configure_bucket(aws, d, &BucketFixes::all()).await?;
        Ok::<_, Failure>(())
    };
    let table = async {
        if table_ours {
            finish_table(aws, d).await
        } else {
            create_table(aws, d).await
        }
    };
    let (b, t) = tokio::join!(bucket, table);
    b.and(t)
}

/// Brings an existing backend to `d`, fixing only what differs from `seen`.
pub async fn update(aws: &Aws, d: &Desired, seen: &Seen) -> Result<(), Failure> {
    let fixes = BucketFixes::needed(aws, d, &seen.bucket);
    let table = async {
        match &seen.table {
            None => create_table(aws, d).await,
            Some(t) => {
                let pitr = async {
                    if t.point_in_time_recovery {
                        Ok(())
                    } else {
                        enable_pitr(aws, &d.lock_table).await
                    }
                };
                tokio::try_join!(pitr, retag_table(aws, d, t))?;
                Ok(())
            }
        }
    };
    let (b, t) = tokio::join!(configure_bucket(aws, d, &fixes), table);
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

/// Deletes every object version and delete marker, a page at a time.
async fn empty_bucket(aws: &Aws, bucket: &str) -> Result<(), AwsError> {
    loop {
        let page = aws
            .s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1000)
            .send()
            .await
            .op("ListObjectVersions")?;
        let ids: Vec<s3::ObjectIdentifier> = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(k, v)| {
                Some(built(
                    s3::ObjectIdentifier::builder()
                        .key(k?)
                        .set_version_id(v.map(str::to_string))
                        .build(),
                ))
            })
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        aws.s3
            .delete_objects()
            .bucket(bucket)
            .delete(built(
                s3::Delete::builder()
                    .set_objects(Some(ids))
                    .quiet(true)
                    .build(),
            ))
            .send()
            .await
            .op("DeleteObjects")?;
    }
}

/// Deletes the backend. A non-empty bucket is refused unless `force_destroy`.
/// The table is deleted only when state says it is this backend's (`owns_table`).
pub async fn delete(aws: &Aws, d: &Desired, owns_table: bool) -> Result<(), Failure> {
    if let Some(n) = count_versions(aws, &d.bucket).await? {
        if n > 0 {
            if !d.force_destroy {
                return Err(Failure::NotEmpty { versions: n });
            }
            empty_bucket(aws, &d.bucket).await?;
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
    let Some(tags) = found(bucket_tags_of(aws, bucket).await, &["NoSuchBucket"])? else {
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
}
