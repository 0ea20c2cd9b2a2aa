//! `ode_registry`: the ECR repositories of the platform's images as one resource.

pub mod ops;
pub mod schema;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::aws::{Aws, AwsError};
use crate::framework::validate::{int_at, string_at, string_attr, string_map_at};
use crate::framework::*;
use crate::kit::claim;
use ops::{Desired, RepoSeen, RepoSpec};
use schema::*;

pub use schema::TYPE_NAME;

pub struct Registry;

fn report(diags: &mut Diagnostics, action: &str, name: &str, errs: Vec<AwsError>) {
    for e in errs {
        diags.error(format!("{action} registry {name:?}"), e.to_string());
    }
}

fn desired(v: &Value) -> Desired {
    let int = |v: &Value, n: &str, d: i64| v.get(n).as_i64().unwrap_or(d) as i32;
    let keep = int(v, "keep_tagged_images", KEEP_TAGGED);
    let untagged = int(v, "untagged_expiry_days", UNTAGGED_DAYS);
    let spec = |r: &Value| RepoSpec {
        keep_tagged: r
            .get("keep_tagged_images")
            .as_i64()
            .map_or(keep, |n| n as i32),
        untagged_days: r
            .get("untagged_expiry_days")
            .as_i64()
            .map_or(untagged, |n| n as i32),
    };
    // No `repository` block (the core sends an empty map): the platform's three.
    let repositories = match v.get("repositories").as_map() {
        Some(m) if !m.is_empty() => m.iter().map(|(k, r)| (k.clone(), spec(r))).collect(),
        _ => DEFAULT_REPOSITORIES
            .iter()
            .map(|k| (k.to_string(), spec(&Value::Null)))
            .collect(),
    };
    Desired {
        name: v.get("name").as_str().unwrap_or_default().to_string(),
        immutable: v.get("immutable_tags").as_bool().unwrap_or(true),
        kms_key_arn: v.get("kms_key_arn").as_str().map(str::to_string),
        pull_principals: v.get("pull_principal_arns").to_string_vec(),
        force_destroy: v.get("force_destroy").as_bool().unwrap_or(false),
        tags: v.get("tags").to_string_map(),
        repositories,
        creating: None,
    }
}

fn state(base: &Value, seen: &BTreeMap<String, RepoSeen>) -> Value {
    let d = desired(base);
    let mut st = base.clone();
    st.set("id", Value::string(&d.name));
    if let Some(mut repos) = base.get("repositories").as_map().cloned() {
        repos.retain(|k, _| seen.contains_key(k));
        st.set("repositories", Value::Map(repos));
    }
    let by_key = |f: &dyn Fn(&RepoSeen) -> String| {
        Value::Map(
            seen.iter()
                .map(|(k, s)| (k.clone(), Value::string(f(s))))
                .collect(),
        )
    };
    st.set("repository_names", {
        Value::Map(
            seen.keys()
                .map(|k| (k.clone(), Value::string(d.repo_name(k))))
                .collect(),
        )
    });
    st.set("repository_urls", by_key(&|s| s.uri.clone()));
    st.set("repository_arns", by_key(&|s| s.arn.clone()));
    st.set(
        "registry_id",
        Value::opt_string(seen.values().next().map(|s| s.registry_id.clone())),
    );
    let mut problems: Vec<String> = d
        .repositories
        .keys()
        .filter(|k| !seen.contains_key(*k))
        .map(|k| format!("{} is missing", d.repo_name(k)))
        .collect();
    for (k, s) in seen {
        problems.extend(ops::violations(&d, k, s));
    }
    crate::pricing::set(
        &mut st,
        Some(&crate::pricing::registry(d.repositories.len())),
    );
    st.set(
        "compliance",
        Value::string(if problems.is_empty() {
            "verified".to_string()
        } else {
            problems.join("; ")
        }),
    );
    st
}

impl Registry {
    async fn apply(
        &self,
        aws: &Aws,
        stop: &Stop,
        prior: &Value,
        planned: &Value,
        resp: &mut ApplyResponse,
    ) {
        let create = prior.is_null();
        let mut d = desired(planned);
        if create {
            d.creating = Some(aws.fingerprint.clone());
        }
        let action = if create { "Creating" } else { "Updating" };
        let prior_keys: Vec<String> = if create {
            Vec::new()
        } else {
            desired(prior).repositories.keys().cloned().collect()
        };
        match ops::reconcile(aws, stop, &d, &prior_keys).await {
            Ok(errs) => {
                let finished = errs.is_empty();
                report(&mut resp.diagnostics, action, &d.name, errs);
                match ops::read(aws, &d).await {
                    Ok(seen) => {
                        if create && finished {
                            if let Err(e) = ops::release_claim(aws, &seen).await {
                                report(&mut resp.diagnostics, action, &d.name, vec![e]);
                            }
                        }
                        if !seen.is_empty() {
                            resp.state = state(planned, &seen);
                        }
                    }
                    Err(e) => report(&mut resp.diagnostics, action, &d.name, vec![e]),
                }
            }
            Err(claim::ClaimError::Aws(e)) => {
                report(&mut resp.diagnostics, action, &d.name, vec![e])
            }
            Err(claim::ClaimError::Taken { what, owner }) => claim::report_taken(
                &mut resp.diagnostics,
                "Registry",
                TYPE_NAME,
                &d.name,
                &what,
                &owner,
            ),
        }
    }
}

#[async_trait]
impl Resource<Aws> for Registry {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        crate::kit::timeouts::validate(config, diags);
        let name_rule = |s: &str| {
            let ok = (2..=200).contains(&s.len())
                && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && !s.ends_with(['-', '_', '.', '/'])
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_./".contains(c));
            if ok {
                Ok(())
            } else {
                Err(format!("{s:?}: repository names are lowercase letters, digits and - _ . /, starting with a letter or digit."))
            }
        };
        string_attr(config, "name", diags, name_rule);
        let range = |lo: i64, hi: i64| {
            move |n: i64| {
                if (lo..=hi).contains(&n) {
                    Ok(())
                } else {
                    Err(format!("must be {lo} to {hi}, not {n}."))
                }
            }
        };
        int_at(
            config.get("keep_tagged_images"),
            AttrPath::attr("keep_tagged_images"),
            diags,
            range(1, 10000),
        );
        int_at(
            config.get("untagged_expiry_days"),
            AttrPath::attr("untagged_expiry_days"),
            diags,
            range(1, 3650),
        );
        string_attr(
            config,
            "kms_key_arn",
            diags,
            crate::aws::validate::arn("kms"),
        );
        if let Some(list) = config.get("pull_principal_arns").as_list() {
            for (i, p) in list.iter().enumerate() {
                string_at(
                    p,
                    AttrPath::attr("pull_principal_arns").then_index(i),
                    diags,
                    crate::aws::validate::arn("iam"),
                );
            }
        }
        string_map_at(config.get("tags"), AttrPath::attr("tags"), diags, |k, v| {
            crate::aws::validate::tag(k, v)
        });
        let name = config.get("name").as_str().unwrap_or("ode");
        if let Some(repos) = config.get("repositories").as_map() {
            for (key, r) in repos {
                let at = AttrPath::attr("repositories").then_key(key);
                if name_rule(&format!("{name}-{key}")).is_err() || key.is_empty() {
                    diags.attr_error(
                        at.clone(),
                        "Invalid repository key",
                        format!("{key:?}: keys are lowercase letters, digits and - _ . /, and \"{name}-{key}\" must be a repository name."),
                    );
                }
                int_at(
                    r.get("keep_tagged_images"),
                    at.clone().then_attr("keep_tagged_images"),
                    diags,
                    range(1, 10000),
                );
                int_at(
                    r.get("untagged_expiry_days"),
                    at.clone().then_attr("untagged_expiry_days"),
                    diags,
                    range(1, 3650),
                );
            }
        }
    }

    async fn modify_plan(&self, _aws: &Aws, req: PlanRequest<'_>, resp: &mut PlanResponse) {
        resp.planned.set("compliance", Value::string("verified"));
        let known = resp.planned.get("repositories").is_wholly_known();
        let estimate =
            known.then(|| crate::pricing::registry(desired(&resp.planned).repositories.len()));
        crate::pricing::set(&mut resp.planned, estimate.as_ref());
        if req.prior.is_null() || resp.planned.is_null() {
            return;
        }
        // A repair or a changed set of repositories makes new repositories: their
        // names, URLs and ARNs are known after apply.
        let keys = |v: &Value| desired(v).repositories.into_keys().collect::<Vec<_>>();
        let listed: Vec<String> = req
            .prior
            .get("repository_names")
            .as_map()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if req.prior.get("compliance").as_str() != Some("verified") || keys(&resp.planned) != listed
        {
            for a in ["repository_names", "repository_urls", "repository_arns"] {
                resp.planned.set(a, Value::Unknown);
            }
        }
    }

    async fn create(&self, aws: &Aws, req: CreateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, &Value::Null, req.planned, resp)
            .await;
    }

    async fn read(&self, aws: &Aws, req: ReadRequest<'_>, resp: &mut ReadResponse) {
        let d = desired(req.state);
        resp.private = req.private.to_vec();
        match ops::read(aws, &d).await {
            Ok(seen) if !seen.is_empty() => resp.state = state(req.state, &seen),
            Ok(_) => resp.state = Value::Null,
            Err(e) => {
                resp.state = req.state.clone();
                report(&mut resp.diagnostics, "Reading", &d.name, vec![e]);
            }
        }
    }

    async fn update(&self, aws: &Aws, req: UpdateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, req.prior, req.planned, resp)
            .await;
        if resp.state.is_null() {
            resp.state = req.prior.clone();
        }
    }

    async fn delete(&self, aws: &Aws, req: DeleteRequest<'_>, resp: &mut DeleteResponse) {
        let d = desired(req.prior);
        let seen = match ops::read(aws, &d).await {
            Ok(s) => s,
            Err(e) => return report(&mut resp.diagnostics, "Deleting", &d.name, vec![e]),
        };
        let names: Vec<String> = seen.keys().map(|k| d.repo_name(k)).collect();
        if !d.force_destroy {
            match ops::image_counts(aws, &names).await {
                Ok(counts) => {
                    let full: Vec<String> = counts
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(name, n)| format!("{name} ({n} images)"))
                        .collect();
                    if !full.is_empty() {
                        return resp.diagnostics.attr_error(
                            AttrPath::attr("force_destroy"),
                            format!("Registry {:?} cannot be destroyed yet; nothing was deleted", d.name),
                            format!(
                                "These repositories still hold images: {}. Delete the images, or set force_destroy = true and apply, then destroy again.",
                                full.join(", ")
                            ),
                        );
                    }
                }
                Err(e) => return report(&mut resp.diagnostics, "Deleting", &d.name, vec![e]),
            }
        }
        let errs = ops::delete_repos(aws, &req.stop, &names, d.force_destroy).await;
        report(&mut resp.diagnostics, "Deleting", &d.name, errs);
    }

    async fn import(&self, aws: &Aws, req: ImportRequest<'_>, resp: &mut ImportResponse) {
        let name = req.id.trim();
        // The repositories of this registry: every repository tagged with it.
        let probe = Value::object([("name", Value::string(name))]);
        let mut d = desired(&probe);
        let listed = match list_keys(aws, name).await {
            Ok(keys) => keys,
            Err(e) => return report(&mut resp.diagnostics, "Importing", name, vec![e]),
        };
        if listed.is_empty() {
            return resp.diagnostics.error(
                format!("Cannot import registry {name:?}"),
                "No ECR repository carries this registry's ode:* ownership tags; only registries ode_registry created can be imported.",
            );
        }
        let defaults: Vec<String> = DEFAULT_REPOSITORIES.iter().map(|s| s.to_string()).collect();
        let repo_block = if listed
            == defaults
                .iter()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
        {
            Value::Null
        } else {
            Value::Map(
                listed
                    .iter()
                    .map(|k| {
                        (
                            k.clone(),
                            Value::object([
                                ("keep_tagged_images", Value::Null),
                                ("untagged_expiry_days", Value::Null),
                            ]),
                        )
                    })
                    .collect(),
            )
        };
        d.repositories = listed
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    RepoSpec {
                        keep_tagged: KEEP_TAGGED as i32,
                        untagged_days: UNTAGGED_DAYS as i32,
                    },
                )
            })
            .collect();
        match ops::read(aws, &d).await {
            Ok(seen) => {
                let base = Value::object([
                    ("name", Value::string(name)),
                    ("keep_tagged_images", Value::int(KEEP_TAGGED)),
                    ("untagged_expiry_days", Value::int(UNTAGGED_DAYS)),
                    (
                        "immutable_tags",
                        Value::Bool(seen.values().all(|s| s.immutable)),
                    ),
                    (
                        "kms_key_arn",
                        Value::opt_string(seen.values().find_map(|s| s.kms_key.clone())),
                    ),
                    ("pull_principal_arns", Value::Null),
                    ("force_destroy", Value::Bool(false)),
                    ("tags", Value::Null),
                    ("repositories", repo_block),
                    ("timeouts", Value::Null),
                ]);
                resp.state = state(&base, &seen);
            }
            Err(e) => report(&mut resp.diagnostics, "Importing", name, vec![e]),
        }
    }
}

/// The keys of the repositories tagged as registry `name`'s.
async fn list_keys(aws: &Aws, name: &str) -> Result<std::collections::BTreeSet<String>, AwsError> {
    use crate::aws::Op;
    let prefix = format!("{name}-");
    let mut arns = Vec::new();
    let mut pages = aws.ecr.describe_repositories().into_paginator().send();
    while let Some(page) = pages.next().await {
        for r in page.op("DescribeRepositories")?.repositories() {
            if let (Some(n), Some(arn)) = (r.repository_name(), r.repository_arn()) {
                if let Some(key) = n.strip_prefix(&prefix) {
                    arns.push((key.to_string(), arn.to_string()));
                }
            }
        }
    }
    let tagged = futures::future::join_all(arns.iter().map(|(key, arn)| async move {
        let r = aws
            .ecr
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .op("ListTagsForResource")?;
        let has = |k: &str, v: &str| r.tags().iter().any(|t| t.key() == k && t.value() == v);
        let mine = has("ode:stack", name) && has("ode:component", ops::COMPONENT);
        Ok::<_, AwsError>(mine.then(|| key.clone()))
    }))
    .await;
    tagged.into_iter().filter_map(|r| r.transpose()).collect()
}
