//! `ode_registry`: the ECR repositories of the platform's images as one resource.

pub mod ops;
pub mod schema;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::aws::{Aws, AwsError};
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
        keep_tagged: keep,
        untagged_days: untagged,
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
                report(&mut resp.diagnostics, action, &d.name, errs);
                match ops::read(aws, &d).await {
                    // The repositories keep their claim marks until the first read.
                    Ok(seen) => {
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

/// The destroy guard: without `force_destroy`, no repository may hold images.
/// `None` when the registry must not be deleted (or could not be read); otherwise
/// the names of its repositories that exist.
async fn destroy_guard(aws: &Aws, d: &Desired, diags: &mut Diagnostics) -> Option<Vec<String>> {
    let seen = match ops::read(aws, d).await {
        Ok(s) => s,
        Err(e) => {
            report(diags, "Deleting", &d.name, vec![e]);
            return None;
        }
    };
    let names: Vec<String> = seen.keys().map(|k| d.repo_name(k)).collect();
    if d.force_destroy {
        return Some(names);
    }
    let counts = match ops::image_counts(aws, &names).await {
        Ok(c) => c,
        Err(e) => {
            report(diags, "Deleting", &d.name, vec![e]);
            return None;
        }
    };
    let full: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(name, n)| format!("{name} ({n} images)"))
        .collect();
    if full.is_empty() {
        return Some(names);
    }
    diags.attr_error(
        AttrPath::attr("force_destroy"),
        format!("Registry {:?} cannot be destroyed yet; nothing was deleted", d.name),
        format!(
            "These repositories still hold images: {}. Delete the images, or set force_destroy = true and apply, then destroy again.",
            full.join(", ")
        ),
    );
    None
}

#[async_trait]
impl Resource<Aws> for Registry {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    /// The rule that spans attributes: a repository key must make a repository
    /// name with the registry's name. Each attribute's own rules are declared with
    /// it in the schema.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        crate::kit::timeouts::validate(config, diags);
        let name = config.get("name").as_str().unwrap_or("ode");
        if let Some(repos) = config.get("repositories").as_map() {
            for key in repos.keys() {
                if repository_name(&format!("{name}-{key}")).is_err() || key.is_empty() {
                    diags.attr_error(
                        AttrPath::attr("repositories").then_key(key),
                        "Invalid repository key",
                        format!("{key:?}: keys are lowercase letters, digits and - _ . /, and \"{name}-{key}\" must be a repository name."),
                    );
                }
            }
        }
    }

    async fn modify_plan(&self, aws: &Aws, req: PlanRequest<'_>, resp: &mut PlanResponse) {
        resp.planned.set("compliance", Value::string("verified"));
        crate::kit::placement::check_kms_region(
            aws,
            &resp.planned,
            "kms_key_arn",
            "ECR",
            &mut resp.diagnostics,
        );
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
            Ok(seen) if !seen.is_empty() => {
                let marked = seen
                    .values()
                    .any(|s| claim::marked(&s.tags, &aws.fingerprint));
                claim::release_when_read(marked, &d.name, ops::release_claim(aws, &seen)).await;
                resp.state = state(req.state, &seen);
            }
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

    async fn plan_destroy(&self, aws: &Aws, req: DestroyPlanRequest<'_>, diags: &mut Diagnostics) {
        destroy_guard(aws, &desired(req.prior), diags).await;
    }

    async fn delete(&self, aws: &Aws, req: DeleteRequest<'_>, resp: &mut DeleteResponse) {
        let d = desired(req.prior);
        // Checked at plan already; again here, as images may have been pushed since.
        let Some(names) = destroy_guard(aws, &d, &mut resp.diagnostics).await else {
            return;
        };
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
                resp.state = state(&import_config(aws, name, &seen), &seen);
                schema::schema().block.spell_out_implied(&mut resp.state);
            }
            Err(e) => report(&mut resp.diagnostics, "Importing", name, vec![e]),
        }
    }
}

/// The keys of the repositories tagged as registry `name`'s.
/// The configuration of a registry this provider made, rebuilt from its
/// repositories for an import: each repository's lifecycle (stated where it
/// differs from the registry's), pull principals, tags, and from the settings tag
/// the registry's own lifecycle values and `force_destroy`.
fn import_config(aws: &Aws, name: &str, seen: &BTreeMap<String, RepoSeen>) -> Value {
    let lifecycles: BTreeMap<&String, (i64, i64)> = seen
        .iter()
        .map(|(k, s)| {
            let l = s.lifecycle.as_deref().and_then(ops::lifecycle_settings);
            (k, l.unwrap_or((UNTAGGED_DAYS, KEEP_TAGGED)))
        })
        .collect();
    // The registry's own values are recorded in its settings tag when they are not
    // the defaults (every apply keeps the tag in step).
    let first = seen.values().next();
    let tags = first.map(|s| s.tags.clone()).unwrap_or_default();
    let settings = crate::kit::tags::decode_settings(&tags);
    let recorded = |k: &str, default: i64| {
        settings
            .get(k)
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(default)
    };
    let untagged = recorded("untagged_expiry_days", UNTAGGED_DAYS);
    let keep = recorded("keep_tagged_images", KEEP_TAGGED);
    let differs = |v: i64, registry: i64| {
        if v == registry {
            Value::Null
        } else {
            Value::int(v)
        }
    };
    let repositories = Value::Map(
        lifecycles
            .iter()
            .map(|(k, (u, n))| {
                (
                    k.to_string(),
                    Value::object([
                        ("keep_tagged_images", differs(*n, keep)),
                        ("untagged_expiry_days", differs(*u, untagged)),
                    ]),
                )
            })
            .collect(),
    );
    let principals = first
        .and_then(|s| s.policy.as_deref())
        .map(ops::pull_principals)
        .unwrap_or_default();
    let (user_tags, _) = crate::kit::tags::split(tags);
    let user_tags: BTreeMap<String, String> = user_tags
        .into_iter()
        .filter(|(k, v)| aws.default_tags.get(k) != Some(v))
        .collect();
    Value::object([
        ("name", Value::string(name)),
        ("keep_tagged_images", Value::int(keep)),
        ("untagged_expiry_days", Value::int(untagged)),
        (
            "immutable_tags",
            Value::Bool(seen.values().all(|s| s.immutable)),
        ),
        (
            "kms_key_arn",
            Value::opt_string(seen.values().find_map(|s| s.kms_key.clone())),
        ),
        (
            "pull_principal_arns",
            if principals.is_empty() {
                Value::Null
            } else {
                Value::string_list(principals)
            },
        ),
        (
            "force_destroy",
            Value::Bool(settings.get("force_destroy").map(String::as_str) == Some("true")),
        ),
        (
            "tags",
            if user_tags.is_empty() {
                Value::Null
            } else {
                Value::string_map(user_tags.iter())
            },
        ),
        ("repositories", repositories),
        ("timeouts", Value::Null),
    ])
}

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
        let tags = ops::repo_tags(aws, arn).await?;
        let mine = crate::kit::tags::owned_by(&tags, name, ops::COMPONENT);
        Ok::<_, AwsError>(mine.then(|| key.clone()))
    }))
    .await;
    tagged.into_iter().filter_map(|r| r.transpose()).collect()
}
