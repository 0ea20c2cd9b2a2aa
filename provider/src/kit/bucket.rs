//! A secure S3 bucket as the composites keep them: versioning, default
//! encryption (SSE-S3 or a KMS key), every public access blocked, a TLS-only
//! policy statement merged into whatever policy the bucket has, tags and an
//! optional lifecycle rule. Settings are read in one concurrent round and
//! written concurrently, only those that differ; emptying reports every object
//! S3 refuses to delete.

use aws_sdk_s3::types as s3;
use tokio::time::Instant;

use crate::aws::{found, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::tags::{s3 as s3_tags, Tags};

pub const ENC_AES: &str = "AES256";
pub const ENC_KMS: &str = "aws:kms";
pub const ENC_NONE: &str = "none";
pub const VERSIONING_ON: &str = "Enabled";
/// The statement added to (or kept in) the bucket policy.
const TLS_SID: &str = "DenyInsecureTransport";
/// The id of the lifecycle rule a bucket's [`Lifecycle`] is written as.
const LIFECYCLE_RULE: &str = "ode-lifecycle";

pub fn arn(aws: &Aws, bucket: &str) -> String {
    format!("arn:{}:s3:::{bucket}", aws.partition)
}

/// Object lifecycle: transitions of current objects and expiry of replaced versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub ia_days: Option<i32>,
    pub glacier_days: Option<i32>,
    pub noncurrent_days: Option<i32>,
}

impl Lifecycle {
    pub fn is_empty(&self) -> bool {
        *self == Lifecycle::default()
    }

    fn rule(&self) -> Result<s3::LifecycleRule, AwsError> {
        const OP: &str = "PutBucketLifecycleConfiguration";
        let transition = |days: i32, class: s3::TransitionStorageClass| {
            s3::Transition::builder()
                .days(days)
                .storage_class(class)
                .build()
        };
        let mut rule = s3::LifecycleRule::builder()
            .id(LIFECYCLE_RULE)
            .status(s3::ExpirationStatus::Enabled)
            .filter(s3::LifecycleRuleFilter::builder().prefix("").build());
        if let Some(d) = self.ia_days {
            rule = rule.transitions(transition(d, s3::TransitionStorageClass::StandardIa));
        }
        if let Some(d) = self.glacier_days {
            rule = rule.transitions(transition(d, s3::TransitionStorageClass::Glacier));
        }
        if let Some(d) = self.noncurrent_days {
            rule = rule.noncurrent_version_expiration(
                s3::NoncurrentVersionExpiration::builder()
                    .noncurrent_days(d)
                    .build(),
            );
        }
        rule.build().map_err(|e| AwsError::build(OP, e))
    }

    fn of_rule(r: &s3::LifecycleRule) -> Self {
        let days = |class: s3::TransitionStorageClass| {
            r.transitions()
                .iter()
                .find(|t| t.storage_class() == Some(&class))
                .and_then(|t| t.days())
        };
        Lifecycle {
            ia_days: days(s3::TransitionStorageClass::StandardIa),
            glacier_days: days(s3::TransitionStorageClass::Glacier),
            noncurrent_days: r
                .noncurrent_version_expiration()
                .and_then(|e| e.noncurrent_days()),
        }
    }
}

/// What a composite wants of one bucket.
pub struct Settings<'a> {
    pub bucket: &'a str,
    /// SSE-KMS with this key; SSE-S3 when None.
    pub kms_key_arn: Option<&'a str>,
    pub versioning: bool,
    /// Every tag, ownership tags included.
    pub tags: &'a Tags,
    /// None: no lifecycle rule of ours.
    pub lifecycle: Option<Lifecycle>,
}

impl Settings<'_> {
    pub fn encryption(&self) -> &'static str {
        if self.kms_key_arn.is_some() {
            ENC_KMS
        } else {
            ENC_AES
        }
    }
}

/// What AWS holds for a bucket.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketSeen {
    /// `Enabled`, `Suspended`, or `Disabled` (never enabled).
    pub versioning: String,
    pub encryption: String,
    pub kms_key_arn: Option<String>,
    pub public_access_blocked: bool,
    pub tls_only_policy: bool,
    /// The bucket policy as AWS returns it (None when the bucket has none).
    pub policy: Option<String>,
    /// Every tag, ownership tags included.
    pub tags: Tags,
    /// Our lifecycle rule, when the bucket has one.
    pub lifecycle: Option<Lifecycle>,
}

/// Creates the bucket in the client's region, with its tags in the same call: a
/// bucket never exists without the ownership tags that make it the composite's,
/// even when the apply is killed right after (the caller judges a name taken).
pub async fn create(aws: &Aws, bucket: &str, tags: &Tags) -> Result<(), AwsError> {
    let mut config = s3::CreateBucketConfiguration::builder()
        .set_tags(Some(s3_tags::list(tags, "CreateBucket")?));
    if aws.region != "us-east-1" {
        config =
            config.location_constraint(s3::BucketLocationConstraint::from(aws.region.as_str()));
    }
    aws.s3
        .create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(config.build())
        .send()
        .await
        .op("CreateBucket")
        .map(|_| ())
}

async fn put_lifecycle(aws: &Aws, bucket: &str, l: Option<Lifecycle>) -> Result<(), AwsError> {
    const OP: &str = "PutBucketLifecycleConfiguration";
    match l.filter(|l| !l.is_empty()) {
        None => aws
            .s3
            .delete_bucket_lifecycle()
            .bucket(bucket)
            .send()
            .await
            .op("DeleteBucketLifecycle")
            .map(|_| ()),
        Some(l) => {
            let config = s3::BucketLifecycleConfiguration::builder()
                .rules(l.rule()?)
                .build()
                .map_err(|e| AwsError::build(OP, e))?;
            aws.s3
                .put_bucket_lifecycle_configuration()
                .bucket(bucket)
                .lifecycle_configuration(config)
                .send()
                .await
                .op(OP)
                .map(|_| ())
        }
    }
}

fn tls_statement(aws: &Aws, bucket: &str) -> serde_json::Value {
    let arn = arn(aws, bucket);
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

/// Which bucket settings to (re)write.
#[derive(Default)]
pub struct Fixes {
    pub versioning: bool,
    pub encryption: bool,
    pub public_access_block: bool,
    pub policy: bool,
    pub tags: bool,
    pub lifecycle: bool,
}

impl Fixes {
    /// Everything a new bucket needs (a lifecycle only when one is wanted).
    pub fn fresh(want: &Settings<'_>) -> Self {
        Fixes {
            versioning: true,
            encryption: true,
            public_access_block: true,
            policy: true,
            tags: true,
            lifecycle: want.lifecycle.as_ref().is_some_and(|l| !l.is_empty()),
        }
    }

    /// What differs between what AWS has (`seen`) and what `want` asks for.
    pub fn needed(want: &Settings<'_>, seen: &BucketSeen) -> Self {
        Fixes {
            versioning: (seen.versioning == VERSIONING_ON) != want.versioning,
            encryption: seen.encryption != want.encryption()
                || seen.kms_key_arn.as_deref() != want.kms_key_arn,
            public_access_block: !seen.public_access_blocked,
            policy: !seen.tls_only_policy,
            tags: &seen.tags != want.tags,
            lifecycle: seen.lifecycle.as_ref().filter(|l| !l.is_empty())
                != want.lifecycle.as_ref().filter(|l| !l.is_empty()),
        }
    }

    pub fn any(&self) -> bool {
        self.versioning
            || self.encryption
            || self.public_access_block
            || self.policy
            || self.tags
            || self.lifecycle
    }
}

/// Writes the bucket settings that need it, concurrently. `policy` is the
/// bucket's current policy, into which the TLS-only statement is merged.
pub async fn configure(
    aws: &Aws,
    want: &Settings<'_>,
    fix: &Fixes,
    policy: Option<&str>,
) -> Result<(), AwsError> {
    let b = want.bucket;
    let versioning = async {
        if !fix.versioning {
            return Ok(());
        }
        aws.s3
            .put_bucket_versioning()
            .bucket(b)
            .versioning_configuration(
                s3::VersioningConfiguration::builder()
                    .status(if want.versioning {
                        s3::BucketVersioningStatus::Enabled
                    } else {
                        s3::BucketVersioningStatus::Suspended
                    })
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
        let alg = if want.kms_key_arn.is_some() {
            s3::ServerSideEncryption::AwsKms
        } else {
            s3::ServerSideEncryption::Aes256
        };
        let by_default = s3::ServerSideEncryptionByDefault::builder()
            .sse_algorithm(alg)
            .set_kms_master_key_id(want.kms_key_arn.map(str::to_string))
            .build()
            .map_err(|e| AwsError::build(OP, e))?;
        let rule = s3::ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(by_default)
            .bucket_key_enabled(want.kms_key_arn.is_some())
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
        s3_tags::put(&aws.s3, b, want.tags).await
    };
    let lifecycle = async {
        if !fix.lifecycle {
            return Ok(());
        }
        put_lifecycle(aws, b, want.lifecycle.clone()).await
    };
    tokio::try_join!(
        versioning,
        encryption,
        public_access,
        policy,
        tags,
        lifecycle
    )?;
    Ok(())
}

/// Reads the bucket's settings in one concurrent round; `None` when the bucket is gone.
/// `with_lifecycle` adds the lifecycle rule to the round (one more call).
pub async fn read(
    aws: &Aws,
    bucket: &str,
    with_lifecycle: bool,
) -> Result<Option<BucketSeen>, AwsError> {
    let s3c = &aws.s3;
    let (versioning, encryption, pab, policy, tags, lifecycle) = tokio::join!(
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
        async {
            if !with_lifecycle {
                return Ok(None);
            }
            s3c.get_bucket_lifecycle_configuration()
                .bucket(bucket)
                .send()
                .await
                .op("GetBucketLifecycleConfiguration")
                .map(Some)
        },
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
    seen.lifecycle = found(lifecycle, &["NoSuchLifecycleConfiguration", gone[0]])?
        .flatten()
        .and_then(|l| {
            l.rules()
                .iter()
                .find(|r| r.id() == Some(LIFECYCLE_RULE))
                .map(Lifecycle::of_rule)
        });
    Ok(Some(seen))
}

/// Counts object versions and delete markers (stops counting at one page).
pub async fn count_versions(aws: &Aws, bucket: &str) -> Result<Option<usize>, AwsError> {
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
pub async fn empty(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_rules_round_trip() {
        let l = Lifecycle {
            ia_days: Some(30),
            glacier_days: Some(90),
            noncurrent_days: Some(60),
        };
        assert_eq!(Lifecycle::of_rule(&l.rule().unwrap()), l);
        assert!(Lifecycle::default().is_empty());
    }

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
