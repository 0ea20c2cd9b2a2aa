//! The tier's buckets: made and configured through `kit::bucket`, found for an
//! import, and counted before a destroy.

use super::*;

pub(super) fn bucket_tags_for(aws: &Aws, d: &Desired, key: &str) -> Tags {
    tier_tags(aws, d, &format!("bucket/{key}"))
}

pub(super) async fn ensure_bucket(
    aws: &Aws,
    d: &Desired,
    key: &str,
    spec: &BucketSpec,
    seen: Option<&BucketSeen>,
    kms: &str,
) -> Result<(), AwsError> {
    let name = d.bucket_name(key);
    let tags = bucket_tags_for(aws, d, key);
    let want = bucket::Settings {
        bucket: &name,
        kms_key_arn: spec.kms.then_some(kms),
        versioning: spec.versioning,
        tags: &tags,
        lifecycle: Some(spec.lifecycle.clone()),
    };
    let fixes = match seen {
        Some(seen) => bucket::Fixes::needed(&want, seen),
        None => {
            bucket::create(aws, &name).await.map_err(|e| {
                if e.is_code(&["BucketAlreadyExists"]) {
                    AwsError::new(
                        "CreateBucket",
                        "BucketAlreadyExists",
                        format!("bucket names are global and {name} belongs to another account; rename the tier or the bucket key"),
                    )
                } else {
                    e
                }
            })?;
            bucket::Fixes::fresh(&want)
        }
    };
    if fixes.any() {
        bucket::configure(aws, &want, &fixes, seen.and_then(|s| s.policy.as_deref())).await?;
    }
    Ok(())
}

/// The keys of the tier's buckets, for an import: buckets named `<name>-<key>`
/// whose tags say this tier made them.
pub async fn bucket_keys(aws: &Aws, name: &str) -> Result<Vec<String>, AwsError> {
    let prefix = format!("{name}-");
    let listed = aws
        .s3
        .list_buckets()
        .prefix(&prefix)
        .send()
        .await
        .op("ListBuckets")?;
    let candidates: Vec<String> = listed
        .buckets()
        .iter()
        .filter_map(|b| b.name())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    let tagged = futures::future::join_all(candidates.iter().map(|b| async move {
        let tags = found(s3_tags::get(&aws.s3, b).await, &["NoSuchBucket"])?.unwrap_or_default();
        let ours = tags.get(&owner_key("stack")).map(String::as_str) == Some(name)
            && tags.get(&owner_key("component")).map(String::as_str) == Some(COMPONENT);
        Ok::<_, AwsError>(
            tags.get(&owner_key("key"))
                .and_then(|k| k.strip_prefix("bucket/"))
                .filter(|_| ours)
                .map(str::to_string),
        )
    }))
    .await;
    let mut keys = Vec::new();
    for k in tagged {
        keys.extend(k?);
    }
    keys.sort();
    Ok(keys)
}

/// Object versions in each bucket of the tier (a page at most).
pub async fn bucket_contents(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<BTreeMap<String, usize>, AwsError> {
    let counts = futures::future::join_all(obs.buckets.keys().map(|k| async move {
        let n = bucket::count_versions(aws, &d.bucket_name(k)).await?;
        Ok::<_, AwsError>((k.clone(), n.unwrap_or(0)))
    }))
    .await;
    counts.into_iter().collect()
}
