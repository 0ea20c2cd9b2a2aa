//! Ownership tags and one tagging helper per AWS service.
//!
//! Every object a composite creates carries `ode:*` tags (its stack or
//! component and its logical key); reads map AWS objects back to logical
//! children through them, and [`super::claim`] decides from them what a create
//! may adopt.

use std::collections::BTreeMap;

use crate::aws::{AwsError, Op, OWNERSHIP_PREFIX};
use crate::framework::Stop;

pub type Tags = BTreeMap<String, String>;

/// The ownership tag key for `name` (e.g. `ode:stack`).
pub fn owner_key(name: &str) -> String {
    format!("{OWNERSHIP_PREFIX}{name}")
}

/// The ownership tags of one object a composite creates, the same three keys
/// in every composite: `ode:stack` (the resource's name), `ode:component`
/// (which composite: `network`, `eks-stack`, `data-tier`, ...) and `ode:key`
/// (the object's logical key inside it).
pub fn ownership(stack: &str, component: &str, key: &str) -> Tags {
    Tags::from([
        (owner_key("stack"), stack.to_string()),
        (owner_key("component"), component.to_string()),
        (owner_key("key"), key.to_string()),
    ])
}

/// True when `tags` say the object belongs to `component` `stack`. Objects
/// made before every composite wrote `ode:component` have none and still
/// count, so existing stacks are recognised.
pub fn owned_by(tags: &Tags, stack: &str, component: &str) -> bool {
    tags.get(&owner_key("stack")).map(String::as_str) == Some(stack)
        && tags
            .get(&owner_key("component"))
            .is_none_or(|c| c == component)
}

/// The object's logical key when `tags` say it belongs to `component` `stack`.
pub fn owned_key<'a>(tags: &'a Tags, stack: &str, component: &str) -> Option<&'a str> {
    owned_by(tags, stack, component)
        .then(|| tags.get(&owner_key("key")).map(String::as_str))
        .flatten()
}

/// The tag on a composite's root that records the settings AWS cannot report
/// (the provider's own behaviour, such as `force_destroy`, and creation-only
/// choices), so that an import reads them back instead of guessing.
pub fn settings_key() -> String {
    owner_key("settings")
}

/// Encodes settings as `name=value` words (a tag value: no spaces inside a
/// value, at most 256 characters); None when there is nothing to record.
pub fn encode_settings(pairs: &[(&str, Option<String>)]) -> Option<String> {
    let words: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The settings recorded in `tags` by [`encode_settings`].
pub fn decode_settings(tags: &Tags) -> BTreeMap<String, String> {
    tags.get(&settings_key())
        .map(|v| {
            v.split_whitespace()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Splits observed tags into user-visible tags and this provider's ownership tags.
pub fn split(tags: Tags) -> (Tags, Tags) {
    tags.into_iter()
        .partition(|(k, _)| !k.starts_with(OWNERSHIP_PREFIX))
}

/// What to change to bring `have` to `want`: (keys to set with their values, keys to remove).
pub fn diff(have: &Tags, want: &Tags) -> (Tags, Vec<String>) {
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

/// EC2: tags ride on the create call ([`ec2::spec`]); [`ec2::retag`] batches
/// later changes into one CreateTags/DeleteTags call per distinct change.
pub mod ec2 {
    use super::*;
    use aws_sdk_ec2::types as t;

    pub fn map(tags: &[t::Tag]) -> Tags {
        tags.iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect()
    }

    /// The `TagSpecifications` entry that tags an object as it is created.
    pub fn spec(kind: t::ResourceType, tags: &Tags) -> t::TagSpecification {
        t::TagSpecification::builder()
            .resource_type(kind)
            .set_tags(Some(list(tags)))
            .build()
    }

    fn list(tags: &Tags) -> Vec<t::Tag> {
        tags.iter()
            .map(|(k, v)| t::Tag::builder().key(k).value(v).build())
            .collect()
    }

    /// A `tag:<key>` filter.
    pub fn filter(key: &str, value: impl Into<String>) -> t::Filter {
        t::Filter::builder()
            .name(format!("tag:{key}"))
            .values(value)
            .build()
    }

    /// Brings each object's tags (`have`, by id) to `want`, with one call per
    /// distinct change, all concurrent.
    pub async fn retag(
        client: &aws_sdk_ec2::Client,
        stop: &Stop,
        want: Vec<(String, Tags)>,
        have: &BTreeMap<String, Tags>,
    ) -> Result<(), AwsError> {
        let mut adds: BTreeMap<Vec<(String, String)>, Vec<String>> = BTreeMap::new();
        let mut dels: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        let empty = Tags::new();
        for (id, tags) in want {
            let (set, remove) = diff(have.get(&id).unwrap_or(&empty), &tags);
            if !set.is_empty() {
                adds.entry(set.into_iter().collect())
                    .or_default()
                    .push(id.clone());
            }
            if !remove.is_empty() {
                dels.entry(remove).or_default().push(id);
            }
        }
        let mut futs: Vec<crate::kit::Fut<'_, ()>> = Vec::new();
        for (tags, ids) in adds {
            futs.push(Box::pin(async move {
                client
                    .create_tags()
                    .set_resources(Some(ids))
                    .set_tags(Some(list(&tags.into_iter().collect())))
                    .send()
                    .await
                    .op("CreateTags")
                    .map(|_| ())
            }));
        }
        for (keys, ids) in dels {
            futs.push(Box::pin(async move {
                client
                    .delete_tags()
                    .set_resources(Some(ids))
                    .set_tags(Some(
                        keys.into_iter()
                            .map(|k| t::Tag::builder().key(k).build())
                            .collect(),
                    ))
                    .send()
                    .await
                    .op("DeleteTags")
                    .map(|_| ())
            }));
        }
        crate::kit::first_error(crate::kit::round(stop, "CreateTags", futs).await)
    }
}

/// S3: a bucket's tag set is written whole.
pub mod s3 {
    use super::*;
    use aws_sdk_s3::types as t;

    /// The bucket's tags; empty when it has none.
    pub async fn get(client: &aws_sdk_s3::Client, bucket: &str) -> Result<Tags, AwsError> {
        let r = client
            .get_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .op("GetBucketTagging");
        Ok(crate::aws::found(r, &["NoSuchTagSet"])?
            .map(|t| {
                t.tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `tags` as S3's tag list (for PutBucketTagging and CreateBucket).
    pub fn list(tags: &Tags, op: &'static str) -> Result<Vec<t::Tag>, AwsError> {
        tags.iter()
            .map(|(k, v)| {
                t::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| AwsError::build(op, e))
            })
            .collect()
    }

    /// Replaces the bucket's tag set with `tags`.
    pub async fn put(
        client: &aws_sdk_s3::Client,
        bucket: &str,
        tags: &Tags,
    ) -> Result<(), AwsError> {
        const OP: &str = "PutBucketTagging";
        let set = list(tags, OP)?;
        let tagging = t::Tagging::builder()
            .set_tag_set(Some(set))
            .build()
            .map_err(|e| AwsError::build(OP, e))?;
        client
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .op(OP)
            .map(|_| ())
    }
}

/// DynamoDB: tags by table ARN, changed with TagResource/UntagResource.
pub mod dynamodb {
    use super::*;
    use aws_sdk_dynamodb::types as t;

    pub fn list(tags: &Tags) -> Result<Vec<t::Tag>, AwsError> {
        tags.iter()
            .map(|(k, v)| {
                t::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| AwsError::build("TagResource", e))
            })
            .collect()
    }

    pub async fn get(client: &aws_sdk_dynamodb::Client, arn: &str) -> Result<Tags, AwsError> {
        let r = client
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

    /// Brings the table's tags from `have` to `want`.
    pub async fn retag(
        client: &aws_sdk_dynamodb::Client,
        arn: &str,
        have: &Tags,
        want: &Tags,
    ) -> Result<(), AwsError> {
        let (set, remove) = diff(have, want);
        if !remove.is_empty() {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .op("UntagResource")?;
        }
        if !set.is_empty() {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(list(&set)?))
                .send()
                .await
                .op("TagResource")?;
        }
        Ok(())
    }
}

/// The tag lists of the services whose calls take a list of key/value pairs:
/// `list` builds what a create or TagResource sends (`operation` names the call
/// in the error when a tag cannot be built); `map` reads a list back.
macro_rules! tag_list {
    ($(#[$doc:meta])* $module:ident, $tag:ty, $key:ident, $value:ident, fallible) => {
        $(#[$doc])*
        pub mod $module {
            use super::*;

            pub fn list(tags: &Tags, operation: &'static str) -> Result<Vec<$tag>, AwsError> {
                tags.iter()
                    .map(|(k, v)| {
                        <$tag>::builder()
                            .$key(k)
                            .$value(v)
                            .build()
                            .map_err(|e| AwsError::build(operation, e))
                    })
                    .collect()
            }

            pub fn map(tags: &[$tag]) -> Tags {
                tags.iter()
                    .map(|t| (t.$key().to_string(), t.$value().to_string()))
                    .collect()
            }
        }
    };
    ($(#[$doc:meta])* $module:ident, $tag:ty, $key:ident, $value:ident) => {
        $(#[$doc])*
        pub mod $module {
            use super::*;

            pub fn list(tags: &Tags) -> Vec<$tag> {
                tags.iter()
                    .map(|(k, v)| <$tag>::builder().$key(k).$value(v).build())
                    .collect()
            }

            /// A tag without a key is no tag; one without a value has an empty one.
            pub fn map(tags: &[$tag]) -> Tags {
                tags.iter()
                    .filter_map(|t| {
                        Some((t.$key()?.to_string(), t.$value().unwrap_or_default().to_string()))
                    })
                    .collect()
            }
        }
    };
}

tag_list!(
    /// IAM: roles and OIDC providers.
    iam, aws_sdk_iam::types::Tag, key, value, fallible
);
tag_list!(
    /// KMS: keys (`TagKey`/`TagValue`).
    kms, aws_sdk_kms::types::Tag, tag_key, tag_value, fallible
);
tag_list!(
    /// ECR: repositories.
    ecr, aws_sdk_ecr::types::Tag, key, value, fallible
);
tag_list!(
    /// RDS: DB instances and their subnet and parameter groups.
    rds, aws_sdk_rds::types::Tag, key, value
);
tag_list!(
    /// ElastiCache: replication groups and their subnet and parameter groups.
    elasticache, aws_sdk_elasticache::types::Tag, key, value
);
tag_list!(
    /// Secrets Manager: the secrets a composite keeps.
    secretsmanager, aws_sdk_secretsmanager::types::Tag, key, value
);

/// EKS and CloudWatch Logs take and return tags as a string map.
pub fn string_map(tags: &Tags) -> std::collections::HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ownership_is_recognised_with_or_without_a_component() {
        let t = ownership("prod", "network", "vpc");
        assert_eq!(
            t.keys().collect::<Vec<_>>(),
            vec!["ode:component", "ode:key", "ode:stack"]
        );
        assert!(owned_by(&t, "prod", "network"));
        assert_eq!(owned_key(&t, "prod", "network"), Some("vpc"));
        assert!(!owned_by(&t, "prod", "data-tier"));
        assert!(!owned_by(&t, "staging", "network"));
        // Written before every composite had ode:component.
        let mut old = t.clone();
        old.remove("ode:component");
        assert!(owned_by(&old, "prod", "network"));
        assert_eq!(owned_key(&old, "prod", "data-tier"), Some("vpc"));
        assert_eq!(owned_key(&Tags::new(), "prod", "network"), None);
    }

    #[test]
    fn settings_round_trip() {
        let v = encode_settings(&[
            ("force_destroy", Some("true".into())),
            ("final_snapshot", None),
            ("restore_from_snapshot", Some("snap-1".into())),
        ]);
        assert_eq!(
            v.as_deref(),
            Some("force_destroy=true restore_from_snapshot=snap-1")
        );
        let tags: Tags = [(settings_key(), v.unwrap())].into();
        let back = decode_settings(&tags);
        assert_eq!(back.get("force_destroy").map(String::as_str), Some("true"));
        assert_eq!(
            back.get("restore_from_snapshot").map(String::as_str),
            Some("snap-1")
        );
        assert!(encode_settings(&[("x", None)]).is_none());
        assert!(decode_settings(&Tags::new()).is_empty());
    }

    use super::*;

    #[test]
    fn diff_sets_changed_and_removes_stale_keys() {
        let have: Tags = [("a", "1"), ("b", "2"), ("c", "3")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let want: Tags = [("a", "1"), ("b", "20"), ("d", "4")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let (set, remove) = diff(&have, &want);
        assert_eq!(
            set.into_iter().collect::<Vec<_>>(),
            vec![("b".into(), "20".into()), ("d".into(), "4".into())]
        );
        assert_eq!(remove, vec!["c".to_string()]);
    }

    #[test]
    fn split_separates_ownership_tags() {
        let tags: Tags = [("Name", "x"), ("ode:stack", "s")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let (user, own) = split(tags);
        assert_eq!(user.keys().collect::<Vec<_>>(), vec!["Name"]);
        assert_eq!(own.keys().collect::<Vec<_>>(), vec!["ode:stack"]);
    }
}
