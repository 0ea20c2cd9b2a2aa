//! AWS calls for `ode_state_backend`. Bucket and table are independent, so every
//! operation runs the two sides concurrently; the bucket's settings are written
//! and read concurrently too.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types as ddb;

use super::model::*;
use crate::aws::{found, required, Aws, AwsError, Op};
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

/// Which claim check failed, for the diagnostic (a backend is named and
/// imported by its bucket).
fn taken(attribute: &'static str, bucket: &str, what: String, owner: Owner) -> Failure {
    let claimant = claim::Claimant {
        kind: "State backend",
        type_name: "ode_state_backend",
        attribute,
        value: bucket,
        import_id: bucket,
    };
    Failure::Foreign {
        attribute,
        detail: claimant.detail(&what, &owner),
    }
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
    // The backend is named by its bucket: the stack every ode:* tag points to.
    t.extend(crate::kit::tags::ownership(&d.bucket, COMPONENT, "bucket"));
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
    t.extend(crate::kit::tags::ownership(
        &d.bucket,
        COMPONENT,
        "lock-table",
    ));
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
            Owner::Ours => Err(taken("bucket", &d.bucket, what, Owner::Managed)),
            owner => Err(taken("bucket", &d.bucket, what, owner)),
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
    match bucket::create(aws, &d.bucket, &bucket_tags(aws, d)).await {
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
            Some(ddb::TableStatus::Active) => Status::Ready(required(
                "DescribeTable",
                "Table.TableArn",
                t.and_then(|t| t.table_arn()),
            )?),
            // States a new table only leaves by someone's action.
            Some(
                s @ (ddb::TableStatus::Deleting
                | ddb::TableStatus::Archiving
                | ddb::TableStatus::Archived
                | ddb::TableStatus::InaccessibleEncryptionCredentials),
            ) => Status::Failed(format!("table {table} is {}", s.as_str())),
            other => Status::Pending(other.map_or("not reported", |s| s.as_str()).to_string()),
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
    let arn = required(
        "DescribeTable",
        "Table.TableArn",
        desc.table().and_then(|t| t.table_arn()),
    )?;
    let tags = ddb_tags::get(&aws.dynamodb, &arn).await?;
    if tags.get(&owner_key("bucket")) != Some(&d.bucket) {
        return Err(foreign_table(d));
    }
    let what = format!("Table {:?}", d.lock_table);
    match claim::judge(&tags, d.creating.as_deref().unwrap_or_default()) {
        Owner::Ours => {
            tracing::info!(table = %d.lock_table, "adopting the lock table an unfinished create of this backend left");
            Ok(true)
        }
        owner => Err(taken("lock_table", &d.bucket, what, owner)),
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
        // A CreateTable DynamoDB carried out, retried after its answer was lost: the
        // table carries this create's mark.
        Err(e) if e.is_code(&["ResourceInUseException"]) => {
            return match table_is_ours(aws, d).await {
                Ok(true) => finish_table(aws, stop, d).await,
                Ok(false) | Err(Failure::Foreign { .. }) => Err(foreign_table(d)),
                Err(f) => Err(f),
            };
        }
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
    Ok(match read_halves(aws, d).await? {
        (Some(bucket), table) => Some(Seen { bucket, table }),
        (None, _) => None,
    })
}

/// Bucket and table, each read whether or not the other exists.
pub async fn read_halves(
    aws: &Aws,
    d: &Desired,
) -> Result<(Option<BucketSeen>, Option<TableSeen>), AwsError> {
    let (bucket, table) = tokio::join!(bucket::read(aws, &d.bucket, false), read_table(aws, d));
    Ok((bucket?, table?))
}

/// Makes the backend's bucket and gives it every setting: in a create, and in an
/// update when the bucket was deleted outside Terraform while its table remains.
pub async fn make_bucket(aws: &Aws, d: &Desired) -> Result<(), Failure> {
    create_bucket(aws, d).await?;
    configure_new_bucket(aws, d).await
}

async fn configure_new_bucket(aws: &Aws, d: &Desired) -> Result<(), Failure> {
    let tags = bucket_tags(aws, d);
    let want = settings(d, &tags);
    bucket::configure(aws, &want, &bucket::Fixes::fresh(&want), None).await?;
    Ok(())
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
        if bucket_ours {
            configure_new_bucket(aws, d).await
        } else {
            make_bucket(aws, d).await
        }
    };
    let table = async {
        if table_ours {
            finish_table(aws, stop, d).await
        } else {
            create_table(aws, stop, d).await
        }
    };
    let (b, t) = tokio::join!(bucket, table);
    // Bucket and table keep their claim marks until the first read: see kit::claim.
    b.and(t)
}

/// Ends a create the core has recorded: bucket and table lose their
/// `ode:creating` mark, so that no later create adopts them.
pub async fn release_claim(aws: &Aws, d: &Desired) -> Result<(), AwsError> {
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

#[cfg(test)]
// The scripts answer with the SDK's own (large) error types, as AWS would.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use crate::framework::Value;
    use crate::kit::timeouts::Timeouts;
    use aws_sdk_dynamodb::operation::create_table::CreateTableOutput;
    use aws_sdk_dynamodb::operation::delete_table::DeleteTableOutput;
    use aws_sdk_dynamodb::operation::describe_continuous_backups::DescribeContinuousBackupsOutput;
    use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
    use aws_sdk_dynamodb::operation::list_tags_of_resource::ListTagsOfResourceOutput;
    use aws_sdk_dynamodb::operation::untag_resource::UntagResourceOutput;
    use aws_sdk_dynamodb::operation::update_continuous_backups::UpdateContinuousBackupsOutput;
    use aws_sdk_dynamodb::Client as Ddb;
    use aws_sdk_s3::operation::create_bucket::CreateBucketOutput;
    use aws_sdk_s3::operation::delete_bucket::DeleteBucketOutput;
    use aws_sdk_s3::operation::delete_objects::DeleteObjectsOutput;
    use aws_sdk_s3::operation::get_bucket_encryption::GetBucketEncryptionOutput;
    use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyOutput;
    use aws_sdk_s3::operation::get_bucket_tagging::GetBucketTaggingOutput;
    use aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput;
    use aws_sdk_s3::operation::get_public_access_block::GetPublicAccessBlockOutput;
    use aws_sdk_s3::operation::head_bucket::HeadBucketOutput;
    use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
    use aws_sdk_s3::operation::put_bucket_encryption::PutBucketEncryptionOutput;
    use aws_sdk_s3::operation::put_bucket_policy::PutBucketPolicyOutput;
    use aws_sdk_s3::operation::put_bucket_tagging::PutBucketTaggingOutput;
    use aws_sdk_s3::operation::put_bucket_versioning::PutBucketVersioningOutput;
    use aws_sdk_s3::operation::put_public_access_block::PutPublicAccessBlockOutput;
    use aws_sdk_s3::types as s3;
    use aws_sdk_s3::Client as S3;
    use aws_smithy_runtime_api::client::result::CreateUnhandledError;
    use std::time::Duration;

    const BUCKET: &str = "tf-state";
    const TABLE: &str = "tf-locks";
    const FP: &str = "fp-mine";

    fn table_arn() -> String {
        format!("arn:aws:dynamodb:us-east-1:111122223333:table/{TABLE}")
    }

    fn desired() -> Desired {
        Desired {
            bucket: BUCKET.into(),
            lock_table: TABLE.into(),
            state_key: "env/terraform.tfstate".into(),
            kms_key_arn: None,
            force_destroy: false,
            tags: Some(BTreeMap::from([("team".to_string(), "core".to_string())])),
            timeouts_block: Value::Null,
            timeouts: Timeouts::from_value(&Value::Null, DEFAULT_TIMEOUT),
            creating: None,
        }
    }

    /// [`desired`] while a create runs.
    fn creating() -> Desired {
        Desired {
            creating: Some(FP.into()),
            ..desired()
        }
    }

    fn forced() -> Desired {
        Desired {
            force_destroy: true,
            ..desired()
        }
    }

    /// A `Failure` as the error `table` wants, its words kept.
    fn flat(f: Failure) -> AwsError {
        match f {
            Failure::Aws(e) => e,
            Failure::Foreign { attribute, detail } => {
                AwsError::new("Test", "Foreign", format!("{attribute}: {detail}"))
            }
            Failure::NotEmpty { versions } => {
                AwsError::new("Test", "NotEmpty", format!("{versions} versions"))
            }
        }
    }

    fn aws() -> Aws {
        Aws::for_tests()
    }

    fn tag_map<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Tags {
        pairs.map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    // ------------------------------------------------------------ S3 scripts

    fn no_bucket(fake: &Fake) {
        answer!(fake, S3::head_bucket, |_| Err(failure(
            "NotFound",
            "Not Found"
        )));
    }

    /// The bucket exists, tagged `tags`.
    fn bucket_tagged(fake: &Fake, tags: Tags) {
        answer!(fake, S3::head_bucket, |_| Ok(
            HeadBucketOutput::builder().build()
        ));
        answer!(fake, S3::get_bucket_tagging, move |input| {
            if input.bucket() != Some(BUCKET) {
                return Err(failure("BadInput", "another bucket"));
            }
            let set = tags
                .iter()
                .map(|(k, v)| s3::Tag::builder().key(k).value(v).build().unwrap())
                .collect();
            Ok(GetBucketTaggingOutput::builder()
                .set_tag_set(Some(set))
                .build()
                .unwrap())
        });
    }

    fn creates_bucket(fake: &Fake) {
        answer!(fake, S3::create_bucket, |input| {
            // us-east-1 takes no location constraint; the tags come with the bucket.
            let config = input.create_bucket_configuration();
            let marked = config.is_some_and(|c| {
                c.tags()
                    .iter()
                    .any(|t| t.key() == CREATING_TAG && t.value() == FP)
            });
            if input.bucket() != Some(BUCKET)
                || config.and_then(|c| c.location_constraint()).is_some()
                || !marked
            {
                return Err(failure(
                    "BadInput",
                    "not tf-state in us-east-1, made with its claim mark",
                ));
            }
            Ok(CreateBucketOutput::builder().build())
        });
    }

    fn s3_tags_of(t: Option<&s3::Tagging>) -> Tags {
        tag_map(
            t.map(|t| t.tag_set())
                .unwrap_or_default()
                .iter()
                .map(|t| (t.key(), t.value())),
        )
    }

    /// PutBucketTagging, the next `times` calls, with exactly `want`.
    fn tags_bucket(fake: &Fake, want: Tags, times: usize) {
        answer!(fake, S3::put_bucket_tagging, move |input| {
            if input.bucket() != Some(BUCKET) || s3_tags_of(input.tagging()) != want {
                return Err(failure("BadInput", "not the bucket's tags"));
            }
            Ok(PutBucketTaggingOutput::builder().build())
        }; times = times);
    }

    fn versions_on(fake: &Fake) {
        answer!(fake, S3::put_bucket_versioning, |input| {
            let on = input.versioning_configuration().and_then(|v| v.status())
                == Some(&s3::BucketVersioningStatus::Enabled);
            if input.bucket() != Some(BUCKET) || !on {
                return Err(failure("BadInput", "versioning not enabled"));
            }
            Ok(PutBucketVersioningOutput::builder().build())
        });
    }

    /// Every setting of a new bucket (tags as `d` wants them).
    fn configures(fake: &Fake, d: &Desired) {
        versions_on(fake);
        answer!(fake, S3::put_bucket_encryption, |input| {
            let alg = input
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default())
                .map(|b| b.sse_algorithm().clone());
            if alg != Some(s3::ServerSideEncryption::Aes256) {
                return Err(failure("BadInput", "not SSE-S3"));
            }
            Ok(PutBucketEncryptionOutput::builder().build())
        });
        answer!(fake, S3::put_public_access_block, |input| {
            let all = input.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            });
            if !all {
                return Err(failure("BadInput", "public access not blocked"));
            }
            Ok(PutPublicAccessBlockOutput::builder().build())
        });
        answer!(fake, S3::put_bucket_policy, |input| {
            if !input
                .policy()
                .is_some_and(|p| p.contains("DenyInsecureTransport"))
            {
                return Err(failure("BadInput", "no TLS-only statement"));
            }
            Ok(PutBucketPolicyOutput::builder().build())
        });
        tags_bucket(fake, bucket_tags(&aws(), d), 1);
    }

    // ------------------------------------------------------ DynamoDB scripts

    fn no_table(fake: &Fake, times: usize) {
        answer!(fake, Ddb::describe_table, |_| Err(failure(
            "ResourceNotFoundException",
            "Requested resource not found: Table: tf-locks not found"
        )); times = times);
    }

    /// DescribeTable answers the table in `status` (the next `times` calls).
    fn status(fake: &Fake, status: ddb::TableStatus, times: usize) {
        answer!(fake, Ddb::describe_table, move |input| {
            if input.table_name() != Some(TABLE) {
                return Err(failure("BadInput", "another table"));
            }
            Ok(DescribeTableOutput::builder()
                .table(
                    ddb::TableDescription::builder()
                        .table_name(TABLE)
                        .table_arn(table_arn())
                        .table_status(status.clone())
                        .build(),
                )
                .build())
        }; times = times);
    }

    fn table_tagged(fake: &Fake, tags: Tags) {
        answer!(fake, Ddb::list_tags_of_resource, move |input| {
            if input.resource_arn() != Some(table_arn().as_str()) {
                return Err(failure("BadInput", "another table"));
            }
            Ok(ListTagsOfResourceOutput::builder()
                .set_tags(Some(ddb_tags::list(&tags).unwrap()))
                .build())
        });
    }

    /// CreateTable of the lock table as `d` asks for it.
    fn creates_table(fake: &Fake, d: &Desired) {
        let want = table_tags(&aws(), d);
        answer!(fake, Ddb::create_table, move |input| {
            let tags = tag_map(input.tags().iter().map(|t| (t.key(), t.value())));
            let key = input.key_schema().first();
            let ok = input.table_name() == Some(TABLE)
                && input.key_schema().len() == 1
                && key.is_some_and(|k| {
                    k.attribute_name() == LOCK_KEY && k.key_type() == &ddb::KeyType::Hash
                })
                && input.attribute_definitions().first().is_some_and(|a| {
                    a.attribute_name() == LOCK_KEY
                        && a.attribute_type() == &ddb::ScalarAttributeType::S
                })
                && input.billing_mode() == Some(&ddb::BillingMode::PayPerRequest)
                && input.sse_specification().and_then(|s| s.enabled()) == Some(true)
                && tags == want;
            if !ok {
                return Err(failure("BadInput", "not the lock table asked for"));
            }
            Ok(CreateTableOutput::builder().build())
        });
    }

    fn pitr_on(fake: &Fake) {
        answer!(fake, Ddb::update_continuous_backups, |input| {
            let on = input
                .point_in_time_recovery_specification()
                .is_some_and(|s| s.point_in_time_recovery_enabled());
            if input.table_name() != Some(TABLE) || !on {
                return Err(failure("BadInput", "PITR not turned on"));
            }
            Ok(UpdateContinuousBackupsOutput::builder().build())
        });
    }

    /// The end of a create: the claim mark leaves table and bucket.
    fn releases(fake: &Fake) {
        answer!(fake, Ddb::untag_resource, |input| {
            if input.resource_arn() != Some(table_arn().as_str())
                || input.tag_keys() != [CREATING_TAG.to_string()]
            {
                return Err(failure("BadInput", "not the table's creating mark"));
            }
            Ok(UntagResourceOutput::builder().build())
        });
        tags_bucket(fake, bucket_tags(&aws(), &desired()), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn release_claim_unmarks_table_and_bucket() {
        let cases = [Case {
            name: "the first read after the create: the mark leaves table and bucket",
            script: |f| {
                status(f, ddb::TableStatus::Active, usize::MAX);
                releases(f);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            release_claim(&aws, &creating()).await
        })
        .await;
    }

    /// A create of both halves up to the table's wait: none exists yet.
    fn fresh(fake: &Fake) {
        no_bucket(fake);
        no_table(fake, 1);
        creates_bucket(fake);
        configures(fake, &creating());
        creates_table(fake, &creating());
    }

    #[tokio::test(start_paused = true)]
    async fn create_table() {
        use ddb::TableStatus::*;
        let cases = [
            Case {
                name: "creates bucket and table; the claim stays until the first read",
                script: |f| {
                    fresh(f);
                    status(f, Creating, 2);
                    status(f, Active, usize::MAX);
                    pitr_on(f);
                },
                want: Ok(()),
            },
            Case {
                name: "table not visible yet right after create",
                script: |f| {
                    fresh(f);
                    no_table(f, 2);
                    status(f, Active, usize::MAX);
                    pitr_on(f);
                },
                want: Ok(()),
            },
            Case {
                name: "adopts what an unfinished create of this backend left",
                script: |f| {
                    bucket_tagged(f, bucket_tags(&aws(), &creating()));
                    status(f, Active, usize::MAX);
                    table_tagged(f, table_tags(&aws(), &creating()));
                    configures(f, &creating());
                    pitr_on(f);
                },
                want: Ok(()),
            },
            Case {
                name: "a bucket that is no state backend's",
                script: |f| {
                    bucket_tagged(f, tag_map([("team", "web")].into_iter()));
                    no_table(f, 1);
                },
                want: Err("bucket: Bucket \"tf-state\" already exists and was not created by this state backend"),
            },
            Case {
                name: "a bucket another backend's state manages",
                script: |f| {
                    bucket_tagged(f, bucket_tags(&aws(), &desired()));
                    no_table(f, 1);
                },
                want: Err("bucket: Bucket \"tf-state\" already exists and belongs to another Terraform state"),
            },
            Case {
                name: "a bucket another create is making",
                script: |f| {
                    let mut tags = bucket_tags(&aws(), &creating());
                    tags.insert(CREATING_TAG.into(), "fp-other".into());
                    bucket_tagged(f, tags);
                    no_table(f, 1);
                },
                want: Err("bucket: Bucket \"tf-state\" is marked as made by a create in another Terraform state"),
            },
            Case {
                name: "a lock table of something else",
                script: |f| {
                    no_bucket(f);
                    status(f, Active, 1);
                    table_tagged(f, tag_map([("team", "web")].into_iter()));
                },
                want: Err("lock_table: DynamoDB table \"tf-locks\" already exists and does not belong"),
            },
            Case {
                name: "bucket name taken in another account",
                script: |f| {
                    no_bucket(f);
                    no_table(f, 1);
                    answer!(f, S3::create_bucket, |_| Err(failure(
                        "BucketAlreadyExists",
                        "The requested bucket name is not available."
                    )));
                    creates_table(f, &creating());
                    status(f, Active, usize::MAX);
                    pitr_on(f);
                },
                want: Err("belongs to another account. Choose another name. (CreateBucket: BucketAlreadyExists: The requested bucket name is not available.)"),
            },
            Case {
                name: "lock table made by someone else meanwhile",
                script: |f| {
                    fresh_bucket_only(f);
                    no_table(f, 1);
                    answer!(f, Ddb::create_table, |_| Err(failure(
                        "ResourceInUseException",
                        "Table already exists: tf-locks"
                    )));
                    status(f, ddb::TableStatus::Active, usize::MAX);
                    table_tagged(f, tag_map([("team", "web")].into_iter()));
                },
                want: Err("lock_table: DynamoDB table \"tf-locks\" already exists and does not belong"),
            },
            Case {
                name: "CreateTable carried out, its answer lost and retried: the table is this create's",
                script: |f| {
                    fresh_bucket_only(f);
                    no_table(f, 1);
                    answer!(f, Ddb::create_table, |_| Err(failure(
                        "ResourceInUseException",
                        "Table already exists: tf-locks"
                    )));
                    status(f, ddb::TableStatus::Active, usize::MAX);
                    table_tagged(f, table_tags(&aws(), &creating()));
                    pitr_on(f);
                },
                want: Ok(()),
            },
            Case {
                name: "CreateTable fails",
                script: |f| {
                    fresh_bucket_only(f);
                    no_table(f, 1);
                    answer!(f, Ddb::create_table, |_| Err(failure(
                        "LimitExceededException",
                        "Subscriber limit exceeded: too many tables being created"
                    )));
                },
                want: Err("CreateTable: LimitExceededException: Subscriber limit exceeded"),
            },
            Case {
                name: "a bucket setting fails",
                script: |f| {
                    no_bucket(f);
                    no_table(f, 1);
                    creates_bucket(f);
                    answer!(f, S3::put_bucket_encryption, |_| Err(failure(
                        "AccessDenied",
                        "Access Denied to s3:PutEncryptionConfiguration"
                    )));
                    configures(f, &creating());
                    creates_table(f, &creating());
                    status(f, Active, usize::MAX);
                    pitr_on(f);
                },
                want: Err("PutBucketEncryption: AccessDenied: Access Denied to s3:PutEncryptionConfiguration"),
            },
            Case {
                name: "table never becomes ACTIVE: times out naming its state",
                script: |f| {
                    fresh(f);
                    status(f, Creating, usize::MAX);
                },
                want: Err("table tf-locks to become ACTIVE; last seen: CREATING"),
            },
        ];
        table(&cases, |aws, stop| async move {
            create(&aws, &stop, &creating()).await.map_err(flat)
        })
        .await;
    }

    /// A new bucket and its settings, as [`fresh`] without the table.
    fn fresh_bucket_only(fake: &Fake) {
        no_bucket(fake);
        creates_bucket(fake);
        configures(fake, &creating());
    }

    #[tokio::test(start_paused = true)]
    async fn create_stops_on_request() {
        stops_promptly(
            |f| {
                fresh(f);
                status(f, ddb::TableStatus::Creating, usize::MAX);
            },
            |aws, stop| async move { create(&aws, &stop, &creating()).await.map_err(flat) },
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_table_active_table() {
        use ddb::TableStatus::*;
        let cases = [
            Case {
                name: "creating, then active",
                script: |f| {
                    status(f, Creating, 3);
                    status(f, Active, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "not visible yet right after create",
                script: |f| {
                    no_table(f, 3);
                    status(f, Active, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "never ACTIVE: times out naming its state",
                script: |f| status(f, Updating, usize::MAX),
                want: Err("CreateTable: Timeout: timed out after"),
            },
            Case {
                name: "never ACTIVE: the state is named",
                script: |f| status(f, Updating, usize::MAX),
                want: Err("last seen: UPDATING"),
            },
            Case {
                name: "gone for good",
                script: |f| no_table(f, usize::MAX),
                want: Err("DescribeTable: ResourceNotFoundException: Requested resource not found"),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ddb::describe_table, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: dynamodb:DescribeTable"
                    )))
                },
                want: Err("DescribeTable: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let arn = wait_table_active(&aws, &stop, &desired()).await?;
            if arn != table_arn() {
                return Err(AwsError::new("Test", "WrongArn", arn));
            }
            Ok(arn)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_table_active_fails_at_once_on_a_terminal_state() {
        for s in [
            ddb::TableStatus::Deleting,
            ddb::TableStatus::InaccessibleEncryptionCredentials,
            ddb::TableStatus::Archived,
        ] {
            let fake = Fake::new();
            status(&fake, s.clone(), usize::MAX);
            let started = tokio::time::Instant::now();
            let e = wait_table_active(&fake.aws(), &Stop::new(), &desired())
                .await
                .unwrap_err();
            // Its state, as AWS or the SDK spells it.
            assert!(
                e.message.contains(s.as_str()) || e.message.contains(&format!("{s:?}")),
                "{s:?}: {e}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{s:?}: failed only after {:?}: {e}",
                started.elapsed()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn wait_table_active_stops_on_request() {
        stops_promptly(
            |f| status(f, ddb::TableStatus::Creating, usize::MAX),
            |aws, stop| async move { wait_table_active(&aws, &stop, &desired()).await },
        )
        .await;
        // A poll that hangs is cut short too.
        stops_promptly(
            |f| {
                answer!(f, Ddb::describe_table, |_| {
                    Ok(DescribeTableOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            |aws, stop| async move { wait_table_active(&aws, &stop, &desired()).await },
        )
        .await;
    }

    // ---------------------------------------------------------------- update

    /// What AWS holds when everything is as [`desired`] says.
    fn in_sync() -> Seen {
        Seen {
            bucket: BucketSeen {
                versioning: VERSIONING_ON.into(),
                encryption: ENC_AES.into(),
                kms_key_arn: None,
                public_access_blocked: true,
                tls_only_policy: true,
                policy: None,
                tags: bucket_tags(&aws(), &desired()),
                lifecycle: None,
            },
            table: Some(TableSeen {
                arn: table_arn(),
                point_in_time_recovery: true,
                tags: table_tags(&aws(), &desired()),
            }),
        }
    }

    /// Versioning suspended, PITR off and a stray table tag.
    fn drifted() -> Seen {
        let mut s = in_sync();
        s.bucket.versioning = "Suspended".into();
        let t = s.table.as_mut().unwrap();
        t.point_in_time_recovery = false;
        t.tags.insert("stray".into(), "x".into());
        s
    }

    fn untags_stray(fake: &Fake) {
        answer!(fake, Ddb::untag_resource, |input| {
            if input.resource_arn() != Some(table_arn().as_str())
                || input.tag_keys() != ["stray".to_string()]
            {
                return Err(failure("BadInput", "not the stray tag"));
            }
            Ok(UntagResourceOutput::builder().build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn update_table() {
        let cases = [
            Case {
                name: "repairs only what drifted",
                script: |f| {
                    versions_on(f);
                    pitr_on(f);
                    untags_stray(f);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure on the bucket",
                script: |f| {
                    answer!(f, S3::put_bucket_versioning, |_| Err(failure(
                        "AccessDenied",
                        "Access Denied to s3:PutBucketVersioning"
                    )));
                    pitr_on(f);
                    untags_stray(f);
                },
                want: Err("PutBucketVersioning: AccessDenied: Access Denied"),
            },
            Case {
                name: "AWS failure on the table",
                script: |f| {
                    versions_on(f);
                    answer!(f, Ddb::update_continuous_backups, |_| Err(failure(
                        "ContinuousBackupsUnavailableException",
                        "Backups are being enabled for the table: tf-locks"
                    )));
                    untags_stray(f);
                },
                want: Err("UpdateContinuousBackups: ContinuousBackupsUnavailableException: Backups are being enabled"),
            },
            Case {
                name: "table gone meanwhile (not found)",
                script: |f| {
                    versions_on(f);
                    answer!(f, Ddb::update_continuous_backups, |_| Err(failure(
                        "TableNotFoundException",
                        "Table not found: tf-locks"
                    )));
                    untags_stray(f);
                },
                want: Err("UpdateContinuousBackups: TableNotFoundException: Table not found"),
            },
        ];
        table(&cases, |aws, stop| async move {
            update(&aws, &stop, &desired(), &drifted())
                .await
                .map_err(flat)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn update_recreates_a_lost_table() {
        use ddb::TableStatus::*;
        let cases = [
            Case {
                name: "creates it, waits, turns on PITR",
                script: |f| {
                    creates_table(f, &desired());
                    status(f, Creating, 1);
                    status(f, Active, 1);
                    pitr_on(f);
                },
                want: Ok(()),
            },
            Case {
                name: "not visible yet right after create",
                script: |f| {
                    creates_table(f, &desired());
                    no_table(f, 2);
                    status(f, Active, 1);
                    pitr_on(f);
                },
                want: Ok(()),
            },
            Case {
                name: "never ACTIVE: times out naming its state",
                script: |f| {
                    creates_table(f, &desired());
                    status(f, Creating, usize::MAX);
                },
                want: Err("to become ACTIVE; last seen: CREATING"),
            },
            Case {
                name: "CreateTable fails",
                script: |f| {
                    answer!(f, Ddb::create_table, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: dynamodb:CreateTable"
                    )))
                },
                want: Err("CreateTable: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let seen = Seen {
                table: None,
                ..in_sync()
            };
            update(&aws, &stop, &desired(), &seen).await.map_err(flat)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn update_in_sync_makes_no_call() {
        let fake = Fake::new();
        update(&fake.aws(), &Stop::new(), &desired(), &in_sync())
            .await
            .map_err(flat)
            .unwrap();
        assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    }

    #[tokio::test(start_paused = true)]
    async fn update_stops_while_a_recreated_table_is_pending() {
        stops_promptly(
            |f| {
                creates_table(f, &desired());
                status(f, ddb::TableStatus::Creating, usize::MAX);
            },
            |aws, stop| async move {
                let seen = Seen {
                    table: None,
                    ..in_sync()
                };
                update(&aws, &stop, &desired(), &seen).await.map_err(flat)
            },
        )
        .await;
    }

    // ------------------------------------------------------------------ read

    fn backups(fake: &Fake, on: bool) {
        answer!(fake, Ddb::describe_continuous_backups, move |_| {
            let s = if on {
                ddb::PointInTimeRecoveryStatus::Enabled
            } else {
                ddb::PointInTimeRecoveryStatus::Disabled
            };
            Ok(DescribeContinuousBackupsOutput::builder()
                .continuous_backups_description(
                    ddb::ContinuousBackupsDescription::builder()
                        .continuous_backups_status(ddb::ContinuousBackupsStatus::Enabled)
                        .point_in_time_recovery_description(
                            ddb::PointInTimeRecoveryDescription::builder()
                                .point_in_time_recovery_status(s)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build())
        });
    }

    fn table_gone(fake: &Fake) {
        no_table(fake, usize::MAX);
        answer!(fake, Ddb::describe_continuous_backups, |_| Err(failure(
            "TableNotFoundException",
            "Table not found: tf-locks"
        )));
    }

    /// The lock table exists with PITR on, tagged as `desired()`'s.
    fn our_table(fake: &Fake) {
        status(fake, ddb::TableStatus::Active, usize::MAX);
        backups(fake, true);
        table_tagged(fake, table_tags(&aws(), &desired()));
    }

    #[tokio::test(start_paused = true)]
    async fn read_table_table() {
        let cases = [
            Case {
                name: "ours, with PITR",
                script: our_table,
                want: Ok(()),
            },
            Case {
                name: "gone (not found)",
                script: table_gone,
                want: Ok(()),
            },
            Case {
                name: "no longer this backend's",
                script: |f| {
                    status(f, ddb::TableStatus::Active, 1);
                    backups(f, true);
                    let mut tags = table_tags(&aws(), &desired());
                    tags.insert(owner_key("bucket"), "other-bucket".into());
                    table_tagged(f, tags);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ddb::describe_table, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: dynamodb:DescribeTable"
                    )));
                    backups(f, true);
                },
                want: Err("DescribeTable: AccessDeniedException: not authorized"),
            },
            Case {
                name: "AWS failure reading PITR",
                script: |f| {
                    status(f, ddb::TableStatus::Active, 1);
                    answer!(f, Ddb::describe_continuous_backups, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: dynamodb:DescribeContinuousBackups"
                    )));
                },
                want: Err("DescribeContinuousBackups: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, _| async move {
            let got = read_table(&aws, &desired()).await?;
            // What is found is the lock table as AWS described it.
            if let Some(t) = &got {
                if t.arn != table_arn()
                    || !t.point_in_time_recovery
                    || t.tags != table_tags(&aws, &desired())
                {
                    return Err(AwsError::new("Test", "WrongTable", format!("{t:?}")));
                }
            }
            Ok(got)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn read_table_is_none_only_when_gone_or_not_ours() {
        let fake = Fake::new();
        status(&fake, ddb::TableStatus::Active, 1);
        backups(&fake, false);
        table_tagged(&fake, table_tags(&aws(), &desired()));
        let t = read_table(&fake.aws(), &desired()).await.unwrap().unwrap();
        assert!(!t.point_in_time_recovery);
        let fake = Fake::new();
        table_gone(&fake);
        assert_eq!(read_table(&fake.aws(), &desired()).await.unwrap(), None);
    }

    /// The bucket's settings as a fresh backend leaves them.
    fn our_bucket(fake: &Fake) {
        answer!(fake, S3::get_bucket_versioning, |_| {
            Ok(GetBucketVersioningOutput::builder()
                .status(s3::BucketVersioningStatus::Enabled)
                .build())
        });
        answer!(fake, S3::get_bucket_encryption, |_| {
            let by_default = s3::ServerSideEncryptionByDefault::builder()
                .sse_algorithm(s3::ServerSideEncryption::Aes256)
                .build()
                .unwrap();
            Ok(GetBucketEncryptionOutput::builder()
                .server_side_encryption_configuration(
                    s3::ServerSideEncryptionConfiguration::builder()
                        .rules(
                            s3::ServerSideEncryptionRule::builder()
                                .apply_server_side_encryption_by_default(by_default)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build())
        });
        answer!(fake, S3::get_public_access_block, |_| {
            Ok(GetPublicAccessBlockOutput::builder()
                .public_access_block_configuration(
                    s3::PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .build())
        });
        answer!(fake, S3::get_bucket_policy, |_| {
            Ok(GetBucketPolicyOutput::builder()
                .policy(r#"{"Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#)
                .build())
        });
        bucket_tagged(fake, bucket_tags(&aws(), &desired()));
    }

    fn bucket_gone(fake: &Fake) {
        fn gone<E: CreateUnhandledError>() -> E {
            failure("NoSuchBucket", "The specified bucket does not exist")
        }
        answer!(fake, S3::get_bucket_versioning, |_| Err(gone()));
        answer!(fake, S3::get_bucket_encryption, |_| Err(gone()));
        answer!(fake, S3::get_public_access_block, |_| Err(gone()));
        answer!(fake, S3::get_bucket_policy, |_| Err(gone()));
        answer!(fake, S3::get_bucket_tagging, |_| Err(gone()));
    }

    #[tokio::test(start_paused = true)]
    async fn read_table_of_both_halves() {
        let cases = [
            Case {
                name: "both",
                script: |f| {
                    our_bucket(f);
                    our_table(f);
                },
                want: Ok(()),
            },
            Case {
                name: "bucket gone (not found): the backend is gone",
                script: |f| {
                    bucket_gone(f);
                    our_table(f);
                },
                want: Ok(()),
            },
            Case {
                name: "table gone (not found)",
                script: |f| {
                    our_bucket(f);
                    table_gone(f);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, S3::get_bucket_policy, |_| Err(failure(
                        "AccessDenied",
                        "Access Denied to s3:GetBucketPolicy"
                    )));
                    our_bucket(f);
                    our_table(f);
                },
                want: Err("GetBucketPolicy: AccessDenied: Access Denied"),
            },
        ];
        table(&cases, |aws, _| async move {
            let got = read(&aws, &desired()).await?;
            // A bucket that is read is the backend's, as set up.
            if let Some(s) = &got {
                let b = &s.bucket;
                if b.versioning != VERSIONING_ON
                    || b.encryption != ENC_AES
                    || !b.public_access_blocked
                    || !b.tls_only_policy
                    || b.tags != bucket_tags(&aws, &desired())
                {
                    return Err(AwsError::new("Test", "WrongBucket", format!("{b:?}")));
                }
            }
            Ok(got)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn read_says_which_half_is_gone() {
        let fake = Fake::new();
        bucket_gone(&fake);
        our_table(&fake);
        assert_eq!(read(&fake.aws(), &desired()).await.unwrap(), None);
        let fake = Fake::new();
        our_bucket(&fake);
        table_gone(&fake);
        let s = read(&fake.aws(), &desired()).await.unwrap().unwrap();
        assert_eq!(s.table, None);
        let fake = Fake::new();
        our_bucket(&fake);
        our_table(&fake);
        let s = read(&fake.aws(), &desired()).await.unwrap().unwrap();
        assert_eq!(s, in_sync_with_policy(s.bucket.policy.clone()));
    }

    fn in_sync_with_policy(policy: Option<String>) -> Seen {
        let mut s = in_sync();
        s.bucket.policy = policy;
        s
    }

    // ---------------------------------------------------------------- delete

    /// ListObjectVersions answers `n` versions (the next `times` calls).
    fn holds(fake: &Fake, n: usize, times: usize) {
        answer!(fake, S3::list_object_versions, move |input| {
            if input.bucket() != Some(BUCKET) {
                return Err(failure("BadInput", "another bucket"));
            }
            let versions = (0..n)
                .map(|i| {
                    s3::ObjectVersion::builder()
                        .key(format!("env/{i}.tfstate"))
                        .version_id(format!("v{i}"))
                        .build()
                })
                .collect();
            Ok(ListObjectVersionsOutput::builder()
                .set_versions(Some(versions))
                .build())
        }; times = times);
    }

    fn deletes_bucket(fake: &Fake) {
        answer!(fake, S3::delete_bucket, |input| {
            if input.bucket() != Some(BUCKET) {
                return Err(failure("BadInput", "another bucket"));
            }
            Ok(DeleteBucketOutput::builder().build())
        });
    }

    fn deletes_table(fake: &Fake) {
        answer!(fake, Ddb::delete_table, |input| {
            if input.table_name() != Some(TABLE) {
                return Err(failure("BadInput", "another table"));
            }
            Ok(DeleteTableOutput::builder().build())
        });
    }

    fn deletes_objects(fake: &Fake, n: usize) {
        answer!(fake, S3::delete_objects, move |input| {
            let objects = input.delete().map(|d| d.objects()).unwrap_or_default();
            let named = objects.iter().enumerate().all(|(i, o)| {
                o.key() == format!("env/{i}.tfstate") && o.version_id() == Some(&format!("v{i}"))
            });
            if objects.len() != n || !named {
                return Err(failure("BadInput", "not the versions listed"));
            }
            Ok(DeleteObjectsOutput::builder().build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn destroy_guard_table() {
        let cases = [
            Case {
                name: "empty",
                script: |f| holds(f, 0, 1),
                want: Ok(()),
            },
            Case {
                name: "bucket already gone (not found)",
                script: |f| {
                    answer!(f, S3::list_object_versions, |_| Err(failure(
                        "NoSuchBucket",
                        "The specified bucket does not exist"
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "holds state: refused",
                script: |f| holds(f, 3, 1),
                want: Err("NotEmpty: 3 versions"),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, S3::list_object_versions, |_| Err(failure(
                        "AccessDenied",
                        "Access Denied to s3:ListBucketVersions"
                    )))
                },
                want: Err("ListObjectVersions: AccessDenied: Access Denied"),
            },
        ];
        table(&cases, |aws, _| async move {
            destroy_guard(&aws, &desired()).await.map_err(flat)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_table() {
        let cases = [
            Case {
                name: "empty: bucket and table deleted",
                script: |f| {
                    holds(f, 0, 1);
                    deletes_bucket(f);
                    deletes_table(f);
                },
                want: Ok(()),
            },
            Case {
                name: "already gone (not found)",
                script: |f| {
                    answer!(f, S3::list_object_versions, |_| Err(failure(
                        "NoSuchBucket",
                        "The specified bucket does not exist"
                    )));
                    answer!(f, S3::delete_bucket, |_| Err(failure(
                        "NoSuchBucket",
                        "The specified bucket does not exist"
                    )));
                    answer!(f, Ddb::delete_table, |_| Err(failure(
                        "ResourceNotFoundException",
                        "Requested resource not found: Table: tf-locks not found"
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "holds state: refused, nothing deleted",
                script: |f| holds(f, 2, 1),
                want: Err("NotEmpty: 2 versions"),
            },
            Case {
                name: "state written meanwhile: S3's reason",
                script: |f| {
                    holds(f, 0, 1);
                    answer!(f, S3::delete_bucket, |_| Err(failure(
                        "BucketNotEmpty",
                        "The bucket you tried to delete is not empty"
                    )));
                    deletes_table(f);
                },
                want: Err("DeleteBucket: BucketNotEmpty: The bucket you tried to delete is not empty"),
            },
            Case {
                name: "AWS failure on the table",
                script: |f| {
                    holds(f, 0, 1);
                    deletes_bucket(f);
                    answer!(f, Ddb::delete_table, |_| Err(failure(
                        "ResourceInUseException",
                        "Attempt to change a resource which is still in use: Table is being created: tf-locks"
                    )));
                },
                want: Err("DeleteTable: ResourceInUseException: Attempt to change a resource which is still in use"),
            },
        ];
        table(&cases, |aws, stop| async move {
            delete(&aws, &stop, &desired(), true).await.map_err(flat)
        })
        .await;
        // A table that state does not say is the backend's is left alone.
        let cases = [Case {
            name: "table not owned: only the bucket goes",
            script: |f| {
                holds(f, 0, 1);
                deletes_bucket(f);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, stop| async move {
            delete(&aws, &stop, &desired(), false).await.map_err(flat)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn forced_delete_table() {
        let cases = [
            Case {
                name: "empties the bucket, then deletes both",
                script: |f| {
                    holds(f, 3, 2);
                    deletes_objects(f, 3);
                    holds(f, 0, 1);
                    deletes_bucket(f);
                    deletes_table(f);
                },
                want: Ok(()),
            },
            Case {
                name: "versions S3 refuses to delete, named with S3's reason",
                script: |f| {
                    holds(f, 1, 2);
                    answer!(f, S3::delete_objects, |_| {
                        Ok(DeleteObjectsOutput::builder()
                            .errors(
                                s3::Error::builder()
                                    .key("env/0.tfstate")
                                    .version_id("v0")
                                    .code("AccessDenied")
                                    .message("Access Denied")
                                    .build(),
                            )
                            .build())
                    });
                },
                want: Err("ObjectsNotDeleted: 1 of 1 object versions in bucket tf-state could not be deleted: env/0.tfstate (version v0): AccessDenied: Access Denied"),
            },
            Case {
                name: "AWS failure emptying",
                script: |f| {
                    holds(f, 1, 2);
                    answer!(f, S3::delete_objects, |_| Err(failure(
                        "AccessDenied",
                        "Access Denied to s3:DeleteObjectVersion"
                    )));
                },
                want: Err("DeleteObjects: AccessDenied: Access Denied"),
            },
        ];
        table(&cases, |aws, stop| async move {
            delete(&aws, &stop, &forced(), true).await.map_err(flat)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn forced_delete_stops_on_request() {
        // Something keeps writing state: each page takes a second to list.
        stops_promptly(
            |f| {
                answer!(f, S3::list_object_versions, |_| {
                    Ok(ListObjectVersionsOutput::builder()
                        .versions(
                            s3::ObjectVersion::builder()
                                .key("env/0.tfstate")
                                .version_id("v0")
                                .build(),
                        )
                        .build())
                }; delay = Duration::from_secs(1));
                deletes_objects(f, 1);
            },
            |aws, stop| async move { delete(&aws, &stop, &forced(), true).await.map_err(flat) },
        )
        .await;
    }

    // ------------------------------------------------------------- ownership

    #[tokio::test(start_paused = true)]
    async fn ownership_table() {
        let cases = [
            Case {
                name: "a backend's bucket",
                script: |f| bucket_tagged(f, bucket_tags(&aws(), &desired())),
                want: Ok(()),
            },
            Case {
                name: "not a backend's",
                script: |f| bucket_tagged(f, tag_map([("team", "web")].into_iter())),
                want: Ok(()),
            },
            Case {
                name: "no tags at all",
                script: |f| {
                    answer!(f, S3::get_bucket_tagging, |_| Err(failure(
                        "NoSuchTagSet",
                        "The TagSet does not exist"
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "gone (not found)",
                script: |f| {
                    answer!(f, S3::get_bucket_tagging, |_| Err(failure(
                        "NoSuchBucket",
                        "The specified bucket does not exist"
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, S3::get_bucket_tagging, |_| Err(failure(
                        "AccessDenied",
                        "Access Denied to s3:GetBucketTagging"
                    )))
                },
                want: Err("GetBucketTagging: AccessDenied: Access Denied"),
            },
        ];
        table(&cases, |aws, _| async move {
            let got = ownership(&aws, BUCKET).await?;
            if got
                .as_ref()
                .is_some_and(|(t, k)| t != TABLE || k != "env/terraform.tfstate")
            {
                return Err(AwsError::new("Test", "WrongOwner", format!("{got:?}")));
            }
            Ok(got)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ownership_reads_the_tags_back() {
        let fake = Fake::new();
        bucket_tagged(&fake, bucket_tags(&aws(), &desired()));
        assert_eq!(
            ownership(&fake.aws(), BUCKET).await.unwrap(),
            Some((TABLE.to_string(), "env/terraform.tfstate".to_string()))
        );
        // Without a state key tag: the default key.
        let fake = Fake::new();
        bucket_tagged(&fake, tag_map([("ode:lock-table", TABLE)].into_iter()));
        assert_eq!(
            ownership(&fake.aws(), BUCKET).await.unwrap(),
            Some((TABLE.to_string(), "terraform.tfstate".to_string()))
        );
        let fake = Fake::new();
        bucket_tagged(&fake, tag_map([("team", "web")].into_iter()));
        assert_eq!(ownership(&fake.aws(), BUCKET).await.unwrap(), None);
    }

    #[test]
    fn tags_mark_ownership_and_the_claim() {
        let aws = aws();
        let b = bucket_tags(&aws, &creating());
        assert_eq!(b["team"], "core");
        assert_eq!(b[&owner_key("component")], COMPONENT);
        assert_eq!(b[&owner_key("lock-table")], TABLE);
        assert_eq!(b[&owner_key("state-key")], "env/terraform.tfstate");
        assert_eq!(b[CREATING_TAG], FP);
        assert!(!b.contains_key(&crate::kit::tags::settings_key()));
        let b = bucket_tags(&aws, &forced());
        assert!(!b.contains_key(CREATING_TAG));
        assert_eq!(
            crate::kit::tags::decode_settings(&b)
                .get("force_destroy")
                .map(String::as_str),
            Some("true")
        );
        let t = table_tags(&aws, &creating());
        assert_eq!(t[&owner_key("bucket")], BUCKET);
        assert_eq!(t[&owner_key("component")], COMPONENT);
        assert_eq!(t[CREATING_TAG], FP);
        assert!(!table_tags(&aws, &desired()).contains_key(CREATING_TAG));
        let d = desired();
        let s = settings(&d, &b);
        assert_eq!(s.bucket, BUCKET);
        assert!(s.versioning && s.lifecycle.is_none() && s.kms_key_arn.is_none());
    }
}
