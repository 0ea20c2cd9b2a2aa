//! AWS calls for `ode_registry` (ECR).
//!
//! - [`read`]: one DescribeRepositories (all of the account's repositories, a page
//!   at a time), then one concurrent round per repository of ours (lifecycle
//!   policy, repository policy, tags).
//! - [`reconcile`]: creates missing repositories and repairs settings, all
//!   repositories concurrently.
//! - [`delete`]: refuses, before deleting anything, while a repository holds
//!   images and `force_destroy` is off.

use std::collections::BTreeMap;

use aws_sdk_ecr::types as ecr;

use crate::aws::{found, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::claim::{self, ClaimError, Owner, CREATING_TAG};
use crate::kit::tags::{owner_key, Tags};
use crate::kit::{first_error, round, Fut};

use super::schema::{KEEP_TAGGED, UNTAGGED_DAYS};

pub const COMPONENT: &str = "registry";
/// What a pull needs; nothing more is granted.
const PULL_ACTIONS: [&str; 3] = [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
];

#[derive(Clone, Debug, PartialEq)]
pub struct RepoSpec {
    pub keep_tagged: i32,
    pub untagged_days: i32,
}

#[derive(Clone, Debug)]
pub struct Desired {
    pub name: String,
    pub immutable: bool,
    pub kms_key_arn: Option<String>,
    pub pull_principals: Vec<String>,
    pub force_destroy: bool,
    pub tags: BTreeMap<String, String>,
    pub repositories: BTreeMap<String, RepoSpec>,
    /// The registry's own lifecycle settings (what a repository without its own
    /// gets), recorded for an import.
    pub keep_tagged: i32,
    pub untagged_days: i32,
    /// While a create runs: the claim fingerprint.
    pub creating: Option<String>,
}

impl Desired {
    pub fn repo_name(&self, key: &str) -> String {
        format!("{}-{key}", self.name)
    }

    fn tags_for(&self, aws: &Aws, key: &str) -> Tags {
        let mut t = aws.tags_all(&self.tags);
        t.insert(owner_key("stack"), self.name.clone());
        t.insert(owner_key("component"), COMPONENT.into());
        t.insert(owner_key("key"), format!("repository/{key}"));
        if let Some(fp) = &self.creating {
            t.insert(CREATING_TAG.into(), fp.clone());
        }
        // What ECR cannot report, for an import.
        let settings = crate::kit::tags::encode_settings(&[
            ("force_destroy", self.force_destroy.then(|| "true".into())),
            (
                "keep_tagged_images",
                (i64::from(self.keep_tagged) != KEEP_TAGGED).then(|| self.keep_tagged.to_string()),
            ),
            (
                "untagged_expiry_days",
                (i64::from(self.untagged_days) != UNTAGGED_DAYS)
                    .then(|| self.untagged_days.to_string()),
            ),
        ]);
        if let Some(settings) = settings {
            t.insert(crate::kit::tags::settings_key(), settings);
        }
        t
    }
}

/// The principals a repository policy written by [`pull_policy`] lets pull.
pub fn pull_principals(policy: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(policy).unwrap_or_default();
    let mut out: Vec<String> = v["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|st| st["Sid"] == "OdePull")
        .flat_map(|st| match &st["Principal"]["AWS"] {
            serde_json::Value::String(p) => vec![p.clone()],
            serde_json::Value::Array(ps) => ps
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The (untagged expiry days, tagged images kept) of a lifecycle policy written by
/// [`lifecycle_policy`].
pub fn lifecycle_settings(policy: &str) -> Option<(i64, i64)> {
    let v: serde_json::Value = serde_json::from_str(policy).ok()?;
    let rules = v["rules"].as_array()?;
    let count = |status: &str| {
        rules
            .iter()
            .find(|r| r["selection"]["tagStatus"] == status)
            .and_then(|r| r["selection"]["countNumber"].as_i64())
    };
    Some((count("untagged")?, count("any")?))
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RepoSeen {
    pub arn: String,
    pub uri: String,
    pub registry_id: String,
    pub scan_on_push: bool,
    pub immutable: bool,
    pub encryption: String,
    pub kms_key: Option<String>,
    /// Normalised JSON; None when the repository has none.
    pub lifecycle: Option<String>,
    pub policy: Option<String>,
    pub tags: Tags,
}

fn normalise(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| json.to_string())
}

/// The lifecycle policy of a repository: untagged images expire after D days,
/// and only the newest N images are kept.
pub fn lifecycle_policy(spec: &RepoSpec) -> String {
    serde_json::json!({
        "rules": [
            {
                "rulePriority": 1,
                "description": format!("Expire untagged images after {} days", spec.untagged_days),
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": spec.untagged_days
                },
                "action": {"type": "expire"}
            },
            {
                "rulePriority": 2,
                "description": format!("Keep the newest {} images", spec.keep_tagged),
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": spec.keep_tagged
                },
                "action": {"type": "expire"}
            }
        ]
    })
    .to_string()
}

/// The repository policy that lets `principals` pull; None when nobody is named.
pub fn pull_policy(principals: &[String]) -> Option<String> {
    if principals.is_empty() {
        return None;
    }
    let mut p = principals.to_vec();
    p.sort();
    p.dedup();
    Some(
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "OdePull",
                "Effect": "Allow",
                "Principal": {"AWS": p},
                "Action": PULL_ACTIONS,
            }]
        })
        .to_string(),
    )
}

/// Reads every repository of the registry (by name) with its settings.
pub async fn read(aws: &Aws, d: &Desired) -> Result<BTreeMap<String, RepoSeen>, AwsError> {
    let wanted: BTreeMap<String, String> = d
        .repositories
        .keys()
        .map(|k| (d.repo_name(k), k.clone()))
        .collect();
    let mut mine: Vec<(String, RepoSeen)> = Vec::new();
    let mut pages = aws.ecr.describe_repositories().into_paginator().send();
    while let Some(page) = pages.next().await {
        for r in page.op("DescribeRepositories")?.repositories() {
            let Some(key) = r.repository_name().and_then(|n| wanted.get(n)) else {
                continue;
            };
            let enc = r.encryption_configuration();
            mine.push((
                key.clone(),
                RepoSeen {
                    arn: r.repository_arn().unwrap_or_default().to_string(),
                    uri: r.repository_uri().unwrap_or_default().to_string(),
                    registry_id: r.registry_id().unwrap_or_default().to_string(),
                    scan_on_push: r
                        .image_scanning_configuration()
                        .is_some_and(|c| c.scan_on_push()),
                    immutable: matches!(
                        r.image_tag_mutability(),
                        Some(ecr::ImageTagMutability::Immutable)
                    ),
                    encryption: enc
                        .map(|e| e.encryption_type().as_str().to_string())
                        .unwrap_or_else(|| "AES256".into()),
                    kms_key: enc.and_then(|e| e.kms_key()).map(str::to_string),
                    ..Default::default()
                },
            ));
        }
    }
    let details = futures::future::join_all(mine.iter().map(|(key, seen)| async move {
        let name = d.repo_name(key);
        let (lifecycle, policy, tags) = tokio::join!(
            aws.ecr.get_lifecycle_policy().repository_name(&name).send(),
            aws.ecr
                .get_repository_policy()
                .repository_name(&name)
                .send(),
            aws.ecr
                .list_tags_for_resource()
                .resource_arn(&seen.arn)
                .send(),
        );
        let lifecycle = found(
            lifecycle.op("GetLifecyclePolicy"),
            &["LifecyclePolicyNotFoundException"],
        )?
        .and_then(|l| l.lifecycle_policy_text().map(normalise));
        let policy = found(
            policy.op("GetRepositoryPolicy"),
            &["RepositoryPolicyNotFoundException"],
        )?
        .and_then(|p| p.policy_text().map(normalise));
        let tags: Tags = tags
            .op("ListTagsForResource")?
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        Ok::<_, AwsError>((lifecycle, policy, tags))
    }))
    .await;
    let mut out = BTreeMap::new();
    for ((key, mut seen), detail) in mine.into_iter().zip(details) {
        let (lifecycle, policy, tags) = match detail {
            Err(e) if e.is_not_found() => continue,
            other => other?,
        };
        seen.lifecycle = lifecycle;
        seen.policy = policy;
        seen.tags = tags;
        out.insert(key, seen);
    }
    Ok(out)
}

/// What differs in `seen` from `d`'s wishes for repository `key`.
pub fn violations(d: &Desired, key: &str, seen: &RepoSeen) -> Vec<String> {
    let name = d.repo_name(key);
    let mut v = Vec::new();
    if !seen.scan_on_push {
        v.push(format!("{name} does not scan on push"));
    }
    if seen.immutable != d.immutable {
        v.push(format!(
            "{name} has {} tags",
            if seen.immutable {
                "immutable"
            } else {
                "mutable"
            }
        ));
    }
    if let Some(spec) = d.repositories.get(key) {
        if seen.lifecycle.as_deref() != Some(normalise(&lifecycle_policy(spec)).as_str()) {
            v.push(format!("{name} lacks its lifecycle policy"));
        }
    }
    if seen.policy.as_deref().map(normalise)
        != pull_policy(&d.pull_principals).map(|p| normalise(&p))
    {
        v.push(format!("{name} has another repository policy"));
    }
    v
}

async fn ensure_repo(
    aws: &Aws,
    d: &Desired,
    key: &str,
    spec: &RepoSpec,
    seen: Option<&RepoSeen>,
) -> Result<(), AwsError> {
    let name = d.repo_name(key);
    let ecr_tags = |t: Tags| -> Vec<ecr::Tag> {
        t.into_iter()
            .filter_map(|(k, v)| ecr::Tag::builder().key(k).value(v).build().ok())
            .collect()
    };
    let mutability = if d.immutable {
        ecr::ImageTagMutability::Immutable
    } else {
        ecr::ImageTagMutability::Mutable
    };
    let want_policy = pull_policy(&d.pull_principals);
    let (scan, mutable, lifecycle, policy, tags) = match seen {
        None => {
            let encryption = match &d.kms_key_arn {
                Some(k) => ecr::EncryptionConfiguration::builder()
                    .encryption_type(ecr::EncryptionType::Kms)
                    .kms_key(k),
                None => ecr::EncryptionConfiguration::builder()
                    .encryption_type(ecr::EncryptionType::Aes256),
            }
            .build()
            .map_err(|e| AwsError::build("CreateRepository", e))?;
            aws.ecr
                .create_repository()
                .repository_name(&name)
                .image_scanning_configuration(
                    ecr::ImageScanningConfiguration::builder()
                        .scan_on_push(true)
                        .build(),
                )
                .image_tag_mutability(mutability.clone())
                .encryption_configuration(encryption)
                .set_tags(Some(ecr_tags(d.tags_for(aws, key))))
                .send()
                .await
                .op("CreateRepository")?;
            // A new repository scans and has its mutability; it needs its policies.
            (false, false, true, want_policy.is_some(), false)
        }
        Some(s) => (
            !s.scan_on_push,
            s.immutable != d.immutable,
            s.lifecycle.as_deref() != Some(normalise(&lifecycle_policy(spec)).as_str()),
            s.policy.as_deref().map(normalise) != want_policy.as_deref().map(normalise),
            s.tags != d.tags_for(aws, key),
        ),
    };
    let arn = seen.map(|s| s.arn.clone());
    let scan_fut = async {
        if !scan {
            return Ok(());
        }
        aws.ecr
            .put_image_scanning_configuration()
            .repository_name(&name)
            .image_scanning_configuration(
                ecr::ImageScanningConfiguration::builder()
                    .scan_on_push(true)
                    .build(),
            )
            .send()
            .await
            .op("PutImageScanningConfiguration")
            .map(|_| ())
    };
    let mutable_fut = async {
        if !mutable {
            return Ok(());
        }
        aws.ecr
            .put_image_tag_mutability()
            .repository_name(&name)
            .image_tag_mutability(mutability.clone())
            .send()
            .await
            .op("PutImageTagMutability")
            .map(|_| ())
    };
    let lifecycle_fut = async {
        if !lifecycle {
            return Ok(());
        }
        aws.ecr
            .put_lifecycle_policy()
            .repository_name(&name)
            .lifecycle_policy_text(lifecycle_policy(spec))
            .send()
            .await
            .op("PutLifecyclePolicy")
            .map(|_| ())
    };
    let policy_fut = async {
        if !policy {
            return Ok(());
        }
        match &want_policy {
            Some(p) => aws
                .ecr
                .set_repository_policy()
                .repository_name(&name)
                .policy_text(p)
                .send()
                .await
                .op("SetRepositoryPolicy")
                .map(|_| ()),
            None => found(
                aws.ecr
                    .delete_repository_policy()
                    .repository_name(&name)
                    .send()
                    .await
                    .op("DeleteRepositoryPolicy"),
                &["RepositoryPolicyNotFoundException"],
            )
            .map(|_| ()),
        }
    };
    let tags_fut = async {
        let Some(arn) = arn.as_deref().filter(|_| tags) else {
            return Ok(());
        };
        let want = d.tags_for(aws, key);
        let stale: Vec<String> = seen
            .map(|s| {
                s.tags
                    .keys()
                    .filter(|k| !want.contains_key(*k))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if !stale.is_empty() {
            aws.ecr
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(stale))
                .send()
                .await
                .op("UntagResource")?;
        }
        aws.ecr
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(ecr_tags(want)))
            .send()
            .await
            .op("TagResource")
            .map(|_| ())
    };
    tokio::try_join!(scan_fut, mutable_fut, lifecycle_fut, policy_fut, tags_fut)?;
    Ok(())
}

/// Create, update and drift repair; repositories the configuration no longer
/// names are deleted (when empty, or with `force_destroy`).
pub async fn reconcile(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    prior_keys: &[String],
) -> Result<Vec<AwsError>, ClaimError> {
    let seen = read(aws, d).await?;
    if let Some(fp) = d.creating.as_deref() {
        for (key, s) in &seen {
            let ours = s.tags.get(&owner_key("stack")) == Some(&d.name)
                && s.tags.get(&owner_key("component")).map(String::as_str) == Some(COMPONENT);
            match claim::judge(&s.tags, fp) {
                Owner::Ours if ours => {}
                owner => {
                    return Err(ClaimError::Taken {
                        what: format!("ECR repository {}", d.repo_name(key)),
                        owner: if ours { owner } else { Owner::Managed },
                    })
                }
            }
        }
    }
    let futs: Vec<Fut<'_, ()>> = d
        .repositories
        .iter()
        .map(|(k, spec)| -> Fut<'_, ()> { Box::pin(ensure_repo(aws, d, k, spec, seen.get(k))) })
        .collect();
    let mut errs = round(stop, "CreateRepository", futs).await;
    // Repositories the configuration dropped.
    let gone: Vec<String> = prior_keys
        .iter()
        .filter(|k| !d.repositories.contains_key(*k))
        .map(|k| format!("{}-{k}", d.name))
        .collect();
    if !gone.is_empty() {
        errs.extend(delete_repos(aws, stop, &gone, d.force_destroy).await);
    }
    Ok(errs)
}

/// Ends a successful create: the repositories lose their `ode:creating` mark.
pub async fn release_claim(aws: &Aws, seen: &BTreeMap<String, RepoSeen>) -> Result<(), AwsError> {
    let futs: Vec<Fut<'_, ()>> = seen
        .values()
        .map(|s| -> Fut<'_, ()> {
            Box::pin(async move {
                aws.ecr
                    .untag_resource()
                    .resource_arn(&s.arn)
                    .tag_keys(CREATING_TAG)
                    .send()
                    .await
                    .op("UntagResource")
                    .map(|_| ())
            })
        })
        .collect();
    first_error(round(&Stop::new(), "UntagResource", futs).await)
}

/// Images in each repository (a page at most), by repository name.
pub async fn image_counts(
    aws: &Aws,
    names: &[String],
) -> Result<BTreeMap<String, usize>, AwsError> {
    let counts = futures::future::join_all(names.iter().map(|n| async move {
        let r = aws
            .ecr
            .list_images()
            .repository_name(n)
            .max_results(100)
            .send()
            .await
            .op("ListImages");
        Ok::<_, AwsError>((
            n.clone(),
            found(r, &["RepositoryNotFoundException"])?.map_or(0, |r| r.image_ids().len()),
        ))
    }))
    .await;
    counts.into_iter().collect()
}

/// Deletes `names` (already gone is success); with `force`, images go too.
pub async fn delete_repos(aws: &Aws, stop: &Stop, names: &[String], force: bool) -> Vec<AwsError> {
    let futs: Vec<Fut<'_, ()>> = names
        .iter()
        .map(|n| -> Fut<'_, ()> {
            Box::pin(async move {
                found(
                    aws.ecr
                        .delete_repository()
                        .repository_name(n)
                        .force(force)
                        .send()
                        .await
                        .op("DeleteRepository"),
                    &["RepositoryNotFoundException"],
                )
                .map(|_| ())
            })
        })
        .collect();
    round(stop, "DeleteRepository", futs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_say_what_the_settings_say() {
        let l: serde_json::Value = serde_json::from_str(&lifecycle_policy(&RepoSpec {
            keep_tagged: 30,
            untagged_days: 7,
        }))
        .unwrap();
        assert_eq!(l["rules"][0]["selection"]["countNumber"], 7);
        assert_eq!(l["rules"][1]["selection"]["countNumber"], 30);
        assert!(pull_policy(&[]).is_none());
        let p: serde_json::Value = serde_json::from_str(
            &pull_policy(&[
                "arn:aws:iam::1:role/b".into(),
                "arn:aws:iam::1:role/a".into(),
            ])
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            p["Statement"][0]["Principal"]["AWS"][0],
            "arn:aws:iam::1:role/a"
        );
        assert_eq!(p["Statement"][0]["Action"].as_array().unwrap().len(), 3);
    }
}
