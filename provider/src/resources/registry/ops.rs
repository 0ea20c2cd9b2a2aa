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
use crate::kit::tags::Tags;
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
        t.extend(crate::kit::tags::ownership(
            &self.name,
            COMPONENT,
            &format!("repository/{key}"),
        ));
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

/// Whether two repository policies (absent, or IAM policy documents) mean the same.
fn same_policy(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => crate::kit::policy::same(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
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
            repo_tags(aws, &seen.arn),
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
        Ok::<_, AwsError>((lifecycle, policy, tags?))
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
    if !same_policy(
        seen.policy.as_deref(),
        pull_policy(&d.pull_principals).as_deref(),
    ) {
        v.push(format!("{name} has another repository policy"));
    }
    v
}

/// Whether repository `name` carries this process's claim mark.
async fn made_by_this_create(aws: &Aws, name: &str) -> Result<bool, AwsError> {
    let described = aws
        .ecr
        .describe_repositories()
        .repository_names(name)
        .send()
        .await
        .op("DescribeRepositories")?;
    let Some(arn) = described
        .repositories()
        .first()
        .and_then(|r| r.repository_arn())
    else {
        return Ok(false);
    };
    Ok(claim::marked(&repo_tags(aws, arn).await?, &aws.fingerprint))
}

/// The tags of the repository `arn`.
pub async fn repo_tags(aws: &Aws, arn: &str) -> Result<Tags, AwsError> {
    let r = aws
        .ecr
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .op("ListTagsForResource")?;
    Ok(crate::kit::tags::ecr::map(r.tags()))
}

async fn ensure_repo(
    aws: &Aws,
    d: &Desired,
    key: &str,
    spec: &RepoSpec,
    seen: Option<&RepoSeen>,
) -> Result<(), AwsError> {
    let name = d.repo_name(key);
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
            let created = aws
                .ecr
                .create_repository()
                .repository_name(&name)
                .image_scanning_configuration(
                    ecr::ImageScanningConfiguration::builder()
                        .scan_on_push(true)
                        .build(),
                )
                .image_tag_mutability(mutability.clone())
                .encryption_configuration(encryption)
                .set_tags(Some(crate::kit::tags::ecr::list(
                    &d.tags_for(aws, key),
                    "CreateRepository",
                )?))
                .send()
                .await
                .op("CreateRepository");
            match created {
                // A CreateRepository ECR carried out, retried after its answer was
                // lost: the repository carries this create's mark.
                Err(e) if e.is_code(&["RepositoryAlreadyExistsException"]) => {
                    if !made_by_this_create(aws, &name).await? {
                        return Err(e);
                    }
                }
                other => {
                    other?;
                }
            }
            // A new repository scans and has its mutability; it needs its policies.
            (false, false, true, want_policy.is_some(), false)
        }
        Some(s) => (
            !s.scan_on_push,
            s.immutable != d.immutable,
            s.lifecycle.as_deref() != Some(normalise(&lifecycle_policy(spec)).as_str()),
            !same_policy(s.policy.as_deref(), want_policy.as_deref()),
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
            .set_tags(Some(crate::kit::tags::ecr::list(&want, "TagResource")?))
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
            let ours = crate::kit::tags::owned_by(&s.tags, &d.name, COMPONENT);
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
        let images = aws.ecr.list_images().repository_name(n).max_results(1000);
        let r = crate::aws::every(images.into_paginator().items().send())
            .await
            .op("ListImages");
        Ok::<_, AwsError>((
            n.clone(),
            found(r, &["RepositoryNotFoundException"])?.map_or(0, |ids| ids.len()),
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
// The scripts answer with the SDK's own (large) error types, as AWS would.
#[allow(clippy::result_large_err)]
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

    // Table tests through the scripted AWS (see `crate::aws::fake`). Nothing
    // here waits (ECR answers at once), so there are no stop tests.
    use crate::aws::fake::{answer, failure, table, Case, Fake};
    use aws_sdk_ecr::operation::create_repository::CreateRepositoryOutput;
    use aws_sdk_ecr::operation::delete_repository::DeleteRepositoryOutput;
    use aws_sdk_ecr::operation::delete_repository_policy::DeleteRepositoryPolicyOutput;
    use aws_sdk_ecr::operation::describe_repositories::DescribeRepositoriesOutput;
    use aws_sdk_ecr::operation::get_lifecycle_policy::GetLifecyclePolicyOutput;
    use aws_sdk_ecr::operation::get_repository_policy::GetRepositoryPolicyOutput;
    use aws_sdk_ecr::operation::list_images::ListImagesOutput;
    use aws_sdk_ecr::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_ecr::operation::put_image_scanning_configuration::PutImageScanningConfigurationOutput;
    use aws_sdk_ecr::operation::put_image_tag_mutability::PutImageTagMutabilityOutput;
    use aws_sdk_ecr::operation::put_lifecycle_policy::PutLifecyclePolicyOutput;
    use aws_sdk_ecr::operation::set_repository_policy::SetRepositoryPolicyOutput;
    use aws_sdk_ecr::operation::tag_resource::TagResourceOutput;
    use aws_sdk_ecr::operation::untag_resource::UntagResourceOutput;
    use aws_sdk_ecr::Client as Ecr;

    const FP: &str = "fp-mine";
    const CI: &str = "arn:aws:iam::111122223333:role/ci";

    fn arn(name: &str) -> String {
        format!("arn:aws:ecr:us-east-1:111122223333:repository/{name}")
    }

    fn spec() -> RepoSpec {
        RepoSpec {
            keep_tagged: 30,
            untagged_days: 7,
        }
    }

    /// Registry `reg` with one repository, `app` (reg-app).
    fn desired() -> Desired {
        Desired {
            name: "reg".into(),
            immutable: true,
            kms_key_arn: None,
            pull_principals: vec![CI.into()],
            force_destroy: false,
            tags: BTreeMap::from([("team".to_string(), "core".to_string())]),
            repositories: BTreeMap::from([("app".to_string(), spec())]),
            keep_tagged: 30,
            untagged_days: 7,
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

    /// The tags `d` wants on reg-app.
    fn want_tags(d: &Desired) -> Tags {
        d.tags_for(&Aws::for_tests(), "app")
    }

    fn repo(name: &str, scan: bool, immutable: bool) -> ecr::Repository {
        ecr::Repository::builder()
            .repository_name(name)
            .repository_arn(arn(name))
            .registry_id("111122223333")
            .repository_uri(format!(
                "111122223333.dkr.ecr.us-east-1.amazonaws.com/{name}"
            ))
            .image_scanning_configuration(
                ecr::ImageScanningConfiguration::builder()
                    .scan_on_push(scan)
                    .build(),
            )
            .image_tag_mutability(if immutable {
                ecr::ImageTagMutability::Immutable
            } else {
                ecr::ImageTagMutability::Mutable
            })
            .encryption_configuration(
                ecr::EncryptionConfiguration::builder()
                    .encryption_type(ecr::EncryptionType::Aes256)
                    .build()
                    .unwrap(),
            )
            .build()
    }

    fn listed(fake: &Fake, repos: Vec<ecr::Repository>) {
        answer!(fake, Ecr::describe_repositories, move |_| {
            Ok(DescribeRepositoriesOutput::builder()
                .set_repositories(Some(repos.clone()))
                .build())
        });
    }

    fn ecr_tags(tags: &Tags) -> Vec<ecr::Tag> {
        tags.iter()
            .map(|(k, v)| ecr::Tag::builder().key(k).value(v).build().unwrap())
            .collect()
    }

    /// reg-app's lifecycle policy, repository policy and tags (None: it has none).
    fn details(fake: &Fake, lifecycle: Option<String>, policy: Option<String>, tags: Tags) {
        answer!(fake, Ecr::get_lifecycle_policy, move |input| {
            if input.repository_name() != Some("reg-app") {
                return Err(failure("BadInput", "not reg-app"));
            }
            match &lifecycle {
                Some(l) => Ok(GetLifecyclePolicyOutput::builder()
                    .repository_name("reg-app")
                    .lifecycle_policy_text(l)
                    .build()),
                None => Err(failure(
                    "LifecyclePolicyNotFoundException",
                    "Lifecycle policy does not exist for the repository",
                )),
            }
        });
        answer!(fake, Ecr::get_repository_policy, move |input| {
            if input.repository_name() != Some("reg-app") {
                return Err(failure("BadInput", "not reg-app"));
            }
            match &policy {
                Some(p) => Ok(GetRepositoryPolicyOutput::builder().policy_text(p).build()),
                None => Err(failure(
                    "RepositoryPolicyNotFoundException",
                    "Repository policy does not exist for the repository",
                )),
            }
        });
        answer!(fake, Ecr::list_tags_for_resource, move |input| {
            if input.resource_arn() != Some(arn("reg-app").as_str()) {
                return Err(failure("BadInput", "not reg-app's ARN"));
            }
            Ok(ListTagsForResourceOutput::builder()
                .set_tags(Some(ecr_tags(&tags)))
                .build())
        });
    }

    /// reg-app holds what `d` wants (with these tags).
    fn in_sync(fake: &Fake, tags: Tags) {
        listed(fake, vec![repo("reg-app", true, true)]);
        details(
            fake,
            Some(lifecycle_policy(&spec())),
            pull_policy(&[CI.into()]),
            tags,
        );
    }

    fn repo_gone<E: aws_smithy_runtime_api::client::result::CreateUnhandledError>() -> E {
        failure(
            "RepositoryNotFoundException",
            "The repository with name 'reg-app' does not exist",
        )
    }

    fn claim_error(e: ClaimError) -> AwsError {
        match e {
            ClaimError::Aws(e) => e,
            ClaimError::Taken { what, owner } => {
                AwsError::new("CreateRepository", "Taken", format!("{what} ({owner:?})"))
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn read_table() {
        let cases = [
            Case {
                name: "ours with its settings, others skipped",
                script: |f| {
                    listed(
                        f,
                        vec![repo("other", false, false), repo("reg-app", true, true)],
                    );
                    details(
                        f,
                        Some(lifecycle_policy(&spec())),
                        pull_policy(&[CI.into()]),
                        want_tags(&desired()),
                    );
                },
                want: Ok(()),
            },
            Case {
                name: "a page at a time",
                script: |f| {
                    answer!(f, Ecr::describe_repositories, |input| {
                        if input.next_token().is_some() {
                            return Err(failure("BadInput", "the first page has no token"));
                        }
                        Ok(DescribeRepositoriesOutput::builder()
                            .repositories(repo("other", true, true))
                            .next_token("page-2")
                            .build())
                    }; times = 1);
                    answer!(f, Ecr::describe_repositories, |input| {
                        if input.next_token() != Some("page-2") {
                            return Err(failure("BadInput", "not the second page"));
                        }
                        Ok(DescribeRepositoriesOutput::builder()
                            .repositories(repo("reg-app", true, true))
                            .build())
                    }; times = 1);
                    details(f, None, None, Tags::new());
                },
                want: Ok(()),
            },
            Case {
                name: "no policies (not found)",
                script: |f| {
                    listed(f, vec![repo("reg-app", true, true)]);
                    details(f, None, None, Tags::new());
                },
                want: Ok(()),
            },
            Case {
                name: "deleted between the list and its details (not found)",
                script: |f| {
                    listed(f, vec![repo("reg-app", true, true)]);
                    answer!(f, Ecr::get_lifecycle_policy, |_| Err(repo_gone()));
                    answer!(f, Ecr::get_repository_policy, |_| Err(repo_gone()));
                    answer!(f, Ecr::list_tags_for_resource, |_| Err(repo_gone()));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure listing",
                script: |f| {
                    answer!(f, Ecr::describe_repositories, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: ecr:DescribeRepositories"
                    )))
                },
                want: Err("DescribeRepositories: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, _| async move {
            let got = read(&aws, &desired()).await?;
            // Only the configured repository, with what AWS said of it.
            for (k, s) in &got {
                if k != "app" || s.arn != arn("reg-app") || !s.immutable || !s.scan_on_push {
                    return Err(AwsError::new("Test", "WrongRepo", format!("{k}: {s:?}")));
                }
            }
            Ok(got)
        })
        .await;
        let cases = [Case {
            name: "AWS failure reading a policy",
            script: |f| {
                listed(f, vec![repo("reg-app", true, true)]);
                answer!(f, Ecr::get_repository_policy, |_| Err(failure(
                    "ServerException",
                    "internal error reading the policy"
                )));
                details(f, None, None, Tags::new());
            },
            want: Err("GetRepositoryPolicy: ServerException: internal error reading the policy"),
        }];
        table(&cases, |aws, _| async move { read(&aws, &desired()).await }).await;
    }

    #[tokio::test(start_paused = true)]
    async fn read_says_what_aws_holds() {
        let fake = Fake::new();
        listed(&fake, vec![repo("reg-app", false, false)]);
        let policy = pull_policy(&[CI.into()]).unwrap();
        details(
            &fake,
            Some(lifecycle_policy(&spec())),
            Some(policy.clone()),
            want_tags(&desired()),
        );
        let got = read(&fake.aws(), &desired()).await.unwrap();
        let s = &got["app"];
        assert_eq!(
            s.uri,
            "111122223333.dkr.ecr.us-east-1.amazonaws.com/reg-app"
        );
        assert_eq!(s.registry_id, "111122223333");
        assert!(!s.scan_on_push && !s.immutable);
        assert_eq!(
            (s.encryption.as_str(), s.kms_key.as_deref()),
            ("AES256", None)
        );
        assert_eq!(
            s.lifecycle.as_deref(),
            Some(normalise(&lifecycle_policy(&spec())).as_str())
        );
        assert_eq!(s.policy.as_deref(), Some(normalise(&policy).as_str()));
        assert_eq!(s.tags, want_tags(&desired()));

        let fake = Fake::new();
        listed(&fake, vec![repo("reg-app", true, true)]);
        answer!(fake, Ecr::list_tags_for_resource, |_| Err(failure(
            "RepositoryNotFoundException",
            "gone"
        )));
        details(&fake, None, None, Tags::new());
        assert!(read(&fake.aws(), &desired()).await.unwrap().is_empty());
    }

    /// CreateRepository of reg-app as `creating()` asks: scanning, immutable
    /// tags, AES256, and the tags with the claim mark.
    fn creates(fake: &Fake) {
        answer!(fake, Ecr::create_repository, |input| {
            let tags: Tags = input
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let ok = input.repository_name() == Some("reg-app")
                && input
                    .image_scanning_configuration()
                    .is_some_and(|c| c.scan_on_push())
                && input.image_tag_mutability() == Some(&ecr::ImageTagMutability::Immutable)
                && input
                    .encryption_configuration()
                    .is_some_and(|e| e.encryption_type() == &ecr::EncryptionType::Aes256)
                && tags == want_tags(&creating())
                && tags.get(CREATING_TAG).map(String::as_str) == Some(FP);
            if !ok {
                return Err(failure("BadInput", "not reg-app as configured"));
            }
            Ok(CreateRepositoryOutput::builder()
                .repository(repo("reg-app", true, true))
                .build())
        });
    }

    fn puts_lifecycle(fake: &Fake) {
        answer!(fake, Ecr::put_lifecycle_policy, |input| {
            if input.repository_name() != Some("reg-app")
                || input.lifecycle_policy_text() != Some(lifecycle_policy(&spec()).as_str())
            {
                return Err(failure("BadInput", "not reg-app's lifecycle policy"));
            }
            Ok(PutLifecyclePolicyOutput::builder().build())
        });
    }

    fn sets_policy(fake: &Fake) {
        answer!(fake, Ecr::set_repository_policy, |input| {
            if input.repository_name() != Some("reg-app")
                || input.policy_text().map(pull_principals) != Some(vec![CI.to_string()])
            {
                return Err(failure("BadInput", "not reg-app's pull policy"));
            }
            Ok(SetRepositoryPolicyOutput::builder().build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn reconcile_create_table() {
        let cases = [
            Case {
                name: "creates the repository with its policies",
                script: |f| {
                    listed(f, vec![]);
                    creates(f);
                    puts_lifecycle(f);
                    sets_policy(f);
                },
                want: Ok(()),
            },
            Case {
                name: "adopts what an unfinished create left, repairing what it lacks",
                script: |f| {
                    listed(f, vec![repo("reg-app", true, true)]);
                    details(f, None, pull_policy(&[CI.into()]), want_tags(&creating()));
                    puts_lifecycle(f);
                },
                want: Ok(()),
            },
            Case {
                name: "a repository another state manages is not adopted",
                script: |f| {
                    listed(f, vec![repo("reg-app", true, true)]);
                    details(f, None, None, want_tags(&desired()));
                },
                want: Err("ECR repository reg-app (Managed)"),
            },
            Case {
                name: "a repository another create is making is not adopted",
                script: |f| {
                    let mut tags = want_tags(&creating());
                    tags.insert(CREATING_TAG.into(), "fp-other".into());
                    listed(f, vec![repo("reg-app", true, true)]);
                    details(f, None, None, tags);
                },
                want: Err("ECR repository reg-app (CreatingElsewhere)"),
            },
            Case {
                name: "a foreign repository with our mark but not our tags is not adopted",
                script: |f| {
                    let tags = Tags::from([(CREATING_TAG.to_string(), FP.to_string())]);
                    listed(f, vec![repo("reg-app", true, true)]);
                    details(f, None, None, tags);
                },
                want: Err("ECR repository reg-app (Managed)"),
            },
            Case {
                name: "CreateRepository fails",
                script: |f| {
                    listed(f, vec![]);
                    answer!(f, Ecr::create_repository, |_| {
                        Err(failure(
                        "LimitExceededException",
                        "The operation did not succeed because it would have exceeded a service limit"
                    ))
                    });
                },
                want: Err(
                    "CreateRepository: LimitExceededException: The operation did not succeed",
                ),
            },
            Case {
                name: "a policy write fails",
                script: |f| {
                    listed(f, vec![]);
                    creates(f);
                    answer!(f, Ecr::put_lifecycle_policy, |_| Err(failure(
                        "InvalidParameterException",
                        "Invalid parameter at 'LifecyclePolicyText'"
                    )));
                    sets_policy(f);
                },
                want: Err("PutLifecyclePolicy: InvalidParameterException: Invalid parameter"),
            },
            Case {
                name: "AWS failure reading",
                script: |f| {
                    answer!(f, Ecr::describe_repositories, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: ecr:DescribeRepositories"
                    )))
                },
                want: Err("DescribeRepositories: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let errs = reconcile(&aws, &stop, &creating(), &[])
                .await
                .map_err(claim_error)?;
            first_error(errs)
        })
        .await;
    }

    fn deletes_old(fake: &Fake, code: Option<(&'static str, &'static str)>) {
        answer!(fake, Ecr::delete_repository, move |input| {
            if input.repository_name() != Some("reg-old") || input.force() != Some(false) {
                return Err(failure("BadInput", "not reg-old, unforced"));
            }
            match code {
                Some((c, m)) => Err(failure(c, m)),
                None => Ok(DeleteRepositoryOutput::builder().build()),
            }
        });
    }

    #[tokio::test(start_paused = true)]
    async fn reconcile_update_table() {
        let cases = [
            Case {
                name: "in sync: only the dropped repository is deleted",
                script: |f| {
                    in_sync(f, want_tags(&desired()));
                    deletes_old(f, None);
                },
                want: Ok(()),
            },
            Case {
                name: "dropped repository already gone (not found)",
                script: |f| {
                    in_sync(f, want_tags(&desired()));
                    deletes_old(
                        f,
                        Some((
                            "RepositoryNotFoundException",
                            "The repository with name 'reg-old' does not exist",
                        )),
                    );
                },
                want: Ok(()),
            },
            Case {
                name: "dropped repository still holds images",
                script: |f| {
                    in_sync(f, want_tags(&desired()));
                    deletes_old(
                        f,
                        Some((
                            "RepositoryNotEmptyException",
                            "The repository with name 'reg-old' cannot be deleted because it still contains images",
                        )),
                    );
                },
                want: Err("DeleteRepository: RepositoryNotEmptyException: The repository with name 'reg-old' cannot be deleted"),
            },
            Case {
                name: "drift is repaired",
                script: |f| {
                    let mut tags = want_tags(&desired());
                    tags.insert("stale".into(), "x".into());
                    tags.insert("team".into(), "old".into());
                    listed(f, vec![repo("reg-app", false, false)]);
                    details(f, Some("{\"rules\":[]}".into()), None, tags);
                    answer!(f, Ecr::put_image_scanning_configuration, |input| {
                        if input.repository_name() != Some("reg-app")
                            || !input
                                .image_scanning_configuration()
                                .is_some_and(|c| c.scan_on_push())
                        {
                            return Err(failure("BadInput", "scan on push not turned on"));
                        }
                        Ok(PutImageScanningConfigurationOutput::builder().build())
                    });
                    answer!(f, Ecr::put_image_tag_mutability, |input| {
                        if input.image_tag_mutability() != Some(&ecr::ImageTagMutability::Immutable) {
                            return Err(failure("BadInput", "not made immutable"));
                        }
                        Ok(PutImageTagMutabilityOutput::builder().build())
                    });
                    puts_lifecycle(f);
                    sets_policy(f);
                    answer!(f, Ecr::untag_resource, |input| {
                        if input.resource_arn() != Some(arn("reg-app").as_str())
                            || input.tag_keys() != ["stale".to_string()]
                        {
                            return Err(failure("BadInput", "not the stale tag"));
                        }
                        Ok(UntagResourceOutput::builder().build())
                    });
                    answer!(f, Ecr::tag_resource, |input| {
                        let tags: Tags = input
                            .tags()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect();
                        if tags != want_tags(&desired()) {
                            return Err(failure("BadInput", "not the wanted tags"));
                        }
                        Ok(TagResourceOutput::builder().build())
                    });
                    deletes_old(f, None);
                },
                want: Ok(()),
            },
            Case {
                name: "a repair fails",
                script: |f| {
                    listed(f, vec![repo("reg-app", true, false)]);
                    details(
                        f,
                        Some(lifecycle_policy(&spec())),
                        pull_policy(&[CI.into()]),
                        want_tags(&desired()),
                    );
                    answer!(f, Ecr::put_image_tag_mutability, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: ecr:PutImageTagMutability"
                    )));
                    deletes_old(f, None);
                },
                want: Err("PutImageTagMutability: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let errs = reconcile(&aws, &stop, &desired(), &["app".into(), "old".into()])
                .await
                .map_err(claim_error)?;
            first_error(errs)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_policy_no_longer_wanted_is_removed() {
        let cases = [
            Case {
                name: "removed",
                script: |f| {
                    in_sync(f, want_tags(&desired()));
                    answer!(f, Ecr::delete_repository_policy, |input| {
                        if input.repository_name() != Some("reg-app") {
                            return Err(failure("BadInput", "not reg-app"));
                        }
                        Ok(DeleteRepositoryPolicyOutput::builder().build())
                    });
                },
                want: Ok(()),
            },
            Case {
                name: "already gone (not found)",
                script: |f| {
                    in_sync(f, want_tags(&desired()));
                    answer!(f, Ecr::delete_repository_policy, |_| Err(failure(
                        "RepositoryPolicyNotFoundException",
                        "Repository policy does not exist"
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    in_sync(f, want_tags(&desired()));
                    answer!(f, Ecr::delete_repository_policy, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: ecr:DeleteRepositoryPolicy"
                    )));
                },
                want: Err("DeleteRepositoryPolicy: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let d = Desired {
                pull_principals: Vec::new(),
                ..desired()
            };
            first_error(reconcile(&aws, &stop, &d, &[]).await.map_err(claim_error)?)
        })
        .await;
    }

    fn seen() -> BTreeMap<String, RepoSeen> {
        BTreeMap::from([(
            "app".to_string(),
            RepoSeen {
                arn: arn("reg-app"),
                ..Default::default()
            },
        )])
    }

    #[tokio::test(start_paused = true)]
    async fn release_claim_table() {
        let cases = [
            Case {
                name: "removes the creating mark",
                script: |f| {
                    answer!(f, Ecr::untag_resource, |input| {
                        if input.resource_arn() != Some(arn("reg-app").as_str())
                            || input.tag_keys() != [CREATING_TAG.to_string()]
                        {
                            return Err(failure("BadInput", "not reg-app's creating mark"));
                        }
                        Ok(UntagResourceOutput::builder().build())
                    })
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ecr::untag_resource, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: ecr:UntagResource"
                    )))
                },
                want: Err("UntagResource: AccessDeniedException: not authorized"),
            },
            Case {
                name: "the repository is gone",
                script: |f| {
                    answer!(f, Ecr::untag_resource, |_| Err(failure(
                        "RepositoryNotFoundException",
                        "The repository with name 'reg-app' does not exist"
                    )))
                },
                want: Err("UntagResource: RepositoryNotFoundException"),
            },
        ];
        table(&cases, |aws, _| async move {
            release_claim(&aws, &seen()).await
        })
        .await;
    }

    /// `name`'s `n` images, two a page (ECR may answer fewer than asked).
    fn images(fake: &Fake, name: &'static str, n: usize) {
        answer!(fake, Ecr::list_images, when move |i| i.repository_name() == Some(name), move |input| {
            let from: usize = input.next_token().map_or(0, |t| t.parse().unwrap());
            let to = (from + 2).min(n);
            let ids = (from..to)
                .map(|i| {
                    ecr::ImageIdentifier::builder()
                        .image_digest(format!("sha256:{i:064x}"))
                        .build()
                })
                .collect();
            Ok(ListImagesOutput::builder()
                .set_image_ids(Some(ids))
                .set_next_token((to < n).then(|| to.to_string()))
                .build())
        }; times = n.div_ceil(2).max(1));
    }

    #[tokio::test(start_paused = true)]
    async fn image_counts_table() {
        let cases = [
            Case {
                name: "counts each repository's images",
                script: |f| {
                    images(f, "reg-a", 5);
                    images(f, "reg-b", 0);
                },
                want: Ok(()),
            },
            Case {
                name: "a repository already gone holds none (not found)",
                script: |f| {
                    images(f, "reg-a", 5);
                    answer!(f, Ecr::list_images, |_| Err(failure(
                        "RepositoryNotFoundException",
                        "The repository with name 'reg-b' does not exist"
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ecr::list_images, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: ecr:ListImages"
                    )))
                },
                want: Err("ListImages: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, _| async move {
            let counts = image_counts(&aws, &["reg-a".into(), "reg-b".into()]).await?;
            // reg-a holds 5 (three pages) in every row that succeeds, reg-b none.
            let want = BTreeMap::from([("reg-a".to_string(), 5), ("reg-b".to_string(), 0)]);
            if counts != want {
                return Err(AwsError::new("Test", "WrongCounts", format!("{counts:?}")));
            }
            Ok(counts)
        })
        .await;
    }

    fn deletes(fake: &Fake, force: bool) {
        answer!(fake, Ecr::delete_repository, move |input| {
            if !matches!(input.repository_name(), Some("reg-a" | "reg-b"))
                || input.force() != Some(force)
            {
                return Err(failure(
                    "BadInput",
                    "not reg-a or reg-b, or the wrong force",
                ));
            }
            Ok(DeleteRepositoryOutput::builder().build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn delete_repos_table() {
        let cases = [
            Case {
                name: "deletes each",
                script: |f| deletes(f, false),
                want: Ok(()),
            },
            Case {
                name: "already gone (not found)",
                script: |f| {
                    answer!(f, Ecr::delete_repository, |_| Err(failure(
                        "RepositoryNotFoundException",
                        "The repository with name 'reg-a' does not exist"
                    )); times = 1);
                    deletes(f, false);
                },
                want: Ok(()),
            },
            Case {
                name: "still holds images",
                script: |f| {
                    answer!(f, Ecr::delete_repository, |_| Err(failure(
                        "RepositoryNotEmptyException",
                        "The repository cannot be deleted because it still contains images"
                    )); times = 1);
                    deletes(f, false);
                },
                want: Err("DeleteRepository: RepositoryNotEmptyException: The repository cannot be deleted"),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ecr::delete_repository, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: ecr:DeleteRepository"
                    )))
                },
                want: Err("DeleteRepository: AccessDeniedException: not authorized"),
            },
        ];
        table(&cases, |aws, stop| async move {
            first_error(delete_repos(&aws, &stop, &["reg-a".into(), "reg-b".into()], false).await)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_repos_keeps_every_error_and_passes_force() {
        let fake = Fake::new();
        answer!(fake, Ecr::delete_repository, |input| {
            if input.force() != Some(true) {
                return Err(failure("BadInput", "not forced"));
            }
            Err(failure(
                "RepositoryNotEmptyException",
                "cannot be deleted because it still contains images",
            ))
        });
        let errs = delete_repos(
            &fake.aws(),
            &Stop::new(),
            &["reg-a".into(), "reg-b".into()],
            true,
        )
        .await;
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs.iter()
                .all(|e| e.is_code(&["RepositoryNotEmptyException"])),
            "{errs:?}"
        );
    }

    #[test]
    fn policies_read_back() {
        let principals = [CI.to_string(), "arn:aws:iam::1:root".into(), CI.into()];
        let policy = pull_policy(&principals).unwrap();
        assert_eq!(pull_principals(&policy), [CI, "arn:aws:iam::1:root"]);
        // A single principal, other statements and junk.
        let one = r#"{"Statement":[{"Sid":"OdePull","Principal":{"AWS":"arn:aws:iam::2:root"}},{"Sid":"Other","Principal":{"AWS":"arn:aws:iam::3:root"}}]}"#;
        assert_eq!(pull_principals(one), ["arn:aws:iam::2:root"]);
        assert!(pull_principals("not json").is_empty());
        for (keep, days) in [(30, 7), (1, 3650)] {
            let p = lifecycle_policy(&RepoSpec {
                keep_tagged: keep,
                untagged_days: days,
            });
            assert_eq!(
                lifecycle_settings(&p),
                Some((i64::from(days), i64::from(keep)))
            );
        }
        assert_eq!(lifecycle_settings(r#"{"rules":[]}"#), None);
        assert_eq!(lifecycle_settings("not json"), None);
    }

    #[test]
    fn violations_name_what_differs() {
        let d = desired();
        let good = RepoSeen {
            scan_on_push: true,
            immutable: true,
            lifecycle: Some(normalise(&lifecycle_policy(&spec()))),
            policy: pull_policy(&d.pull_principals),
            ..Default::default()
        };
        let rows: [(&str, RepoSeen, Option<&str>); 5] = [
            ("in sync", good.clone(), None),
            (
                "no scan",
                RepoSeen {
                    scan_on_push: false,
                    ..good.clone()
                },
                Some("reg-app does not scan on push"),
            ),
            (
                "mutable",
                RepoSeen {
                    immutable: false,
                    ..good.clone()
                },
                Some("reg-app has mutable tags"),
            ),
            (
                "no lifecycle",
                RepoSeen {
                    lifecycle: None,
                    ..good.clone()
                },
                Some("reg-app lacks its lifecycle policy"),
            ),
            (
                "another policy",
                RepoSeen {
                    policy: pull_policy(&["arn:aws:iam::9:root".into()]),
                    ..good.clone()
                },
                Some("reg-app has another repository policy"),
            ),
        ];
        for (name, seen, want) in rows {
            let v = violations(&d, "app", &seen);
            assert_eq!(
                v,
                want.map(str::to_string).into_iter().collect::<Vec<_>>(),
                "{name}"
            );
        }
    }
}
