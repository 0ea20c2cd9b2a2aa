//! `ode_eks_stack`: the seed's EKS cluster with its roles, key, OIDC provider,
//! access entries, node groups, add-ons and IRSA roles, as one resource.

mod model;
mod ops;
mod schema;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::aws::{Aws, AwsError};
use crate::framework::validate::{one_of, string_at};
use crate::framework::*;
use crate::kit::claim;
use crate::kit::wait::deadline_in;
use model::*;
use schema::*;

pub use schema::TYPE_NAME;

pub struct EksStack;

fn report(diags: &mut Diagnostics, action: &str, name: &str, errs: Vec<AwsError>) {
    for e in errs {
        diags.error(format!("{action} EKS stack {name:?}"), e.to_string());
    }
}

fn report_claim(diags: &mut Diagnostics, action: &str, name: &str, e: claim::ClaimError) {
    match e {
        claim::ClaimError::Aws(e) => report(diags, action, name, vec![e]),
        claim::ClaimError::Taken { what, owner } => {
            claim::report_taken(diags, "EKS stack", TYPE_NAME, name, &what, &owner)
        }
    }
}

/// The plan-time estimate: the cluster (at the extended support rate when its version
/// is in extended support) and its node groups at their desired size.
fn cost(d: &Desired, extended: bool) -> crate::pricing::Estimate {
    let groups: Vec<crate::pricing::Nodes<'_>> = d
        .node_groups
        .values()
        .map(|g| crate::pricing::Nodes {
            instance_type: g
                .instance_types
                .first()
                .map_or(DEFAULT_INSTANCE_TYPE, String::as_str),
            count: i64::from(g.desired_size),
            spot: g.capacity_type == "SPOT",
            disk_gb: i64::from(g.disk_size),
        })
        .collect();
    crate::pricing::eks(&groups, extended)
}

impl EksStack {
    async fn apply(
        &self,
        aws: &Aws,
        stop: &Stop,
        planned: &Value,
        create: bool,
        resp: &mut ApplyResponse,
    ) {
        let mut d = Desired::from_value(planned);
        let (action, limit) = d.timeouts.for_apply(create);
        // What the plan could not settle (no permission to read EKS's calendar then, or
        // node groups not known) is settled now: the version resolves as the plan said
        // it would, and the estimate learns the version's support.
        let mut base = planned.clone();
        if d.version.is_empty() || base.get("cost_items").is_unknown() {
            let calendar = match ops::calendar(aws).await {
                Ok(c) => c,
                Err(e) if !d.version.is_empty() => {
                    tracing::warn!(error = %e, "the version's support is not known; priced at the standard rate");
                    Vec::new()
                }
                Err(e) => {
                    report(&mut resp.diagnostics, action, &d.name, vec![e]);
                    return;
                }
            };
            if d.version.is_empty() {
                let Some(v) = newest_standard(&calendar) else {
                    resp.diagnostics.attr_error(
                        AttrPath::attr("kubernetes_version"),
                        "No Kubernetes version in standard support",
                        "EKS reports no version in standard support: set kubernetes_version.",
                    );
                    return;
                };
                d.version = v.to_string();
                base.set("kubernetes_version", Value::string(v));
            }
            mark_support(&mut base, &calendar, &d.version);
        }
        let planned = &base;
        let deadline = deadline_in(limit);
        if create {
            d.creating = Some(aws.fingerprint.clone());
        }
        match ops::reconcile(aws, stop, &d, deadline).await {
            Ok(errs) => {
                report(&mut resp.diagnostics, action, &d.name, errs);
                // The stack keeps its claim marks until the first read: see kit::claim.
                let obs = ops::read(aws, &d).await;
                match obs {
                    Ok(obs) if obs.cluster.is_some() => resp.state = state(aws, planned, &obs),
                    Ok(_) => {}
                    Err(e) => report(&mut resp.diagnostics, action, &d.name, vec![e]),
                }
            }
            // Something of that name is not ours: nothing was made, nothing is recorded.
            Err(e @ claim::ClaimError::Taken { .. }) => {
                report_claim(&mut resp.diagnostics, action, &d.name, e)
            }
            Err(e) => {
                report_claim(&mut resp.diagnostics, action, &d.name, e);
                // Whatever exists is recorded.
                if let Ok(obs) = ops::read(aws, &d).await {
                    if obs.cluster.is_some() {
                        resp.state = state(aws, planned, &obs);
                    }
                }
            }
        }
        if create && resp.state.is_null() && !resp.diagnostics.has_errors() {
            resp.diagnostics.error(
                format!("{action} EKS stack {:?}", d.name),
                "The cluster is not visible after the create; run plan again.",
            );
        }
    }
}

/// The destroy guard: what exists (for the delete), or None (with the reason
/// said) when the stack must not be deleted now or could not be read.
async fn destroy_guard(aws: &Aws, d: &Desired, diags: &mut Diagnostics) -> Option<Observed> {
    let checked = async {
        let obs = ops::read(aws, d).await?;
        let blockers = ops::destroy_blockers(aws, d, &obs).await?;
        Ok::<_, AwsError>((obs, blockers))
    };
    match checked.await {
        Ok((obs, blockers)) if blockers.is_empty() => Some(obs),
        Ok((_, blockers)) => {
            diags.error(
                format!(
                    "EKS stack {:?} cannot be destroyed yet; nothing was deleted",
                    d.name
                ),
                format!(
                    "The cluster {} still has {} created outside Terraform, which keep EKS from deleting it. Delete them, then run destroy again.",
                    d.name,
                    blockers.join(", ")
                ),
            );
            None
        }
        Err(e) => {
            report(diags, "Deleting", &d.name, vec![e]);
            None
        }
    }
}

#[async_trait]
impl Resource<Aws> for EksStack {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    /// The rules that span attributes (and keys of the maps); each attribute's own
    /// rules are declared with it in the schema.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(subnets) = config.get("subnet_ids").as_list() {
            if config.get("subnet_ids").is_wholly_known() && subnets.len() < 2 {
                diags.attr_error(
                    AttrPath::attr("subnet_ids"),
                    "Not enough subnets",
                    "EKS needs subnets in at least two availability zones; list at least two.",
                );
            }
        }
        crate::kit::timeouts::validate(config, diags);

        if let Some(groups) = config.get("node_groups").as_map() {
            for (key, g) in groups {
                let at = |a: &str| AttrPath::attr("node_groups").then_key(key).then_attr(a);
                if !(1..=63).contains(&key.len())
                    || !key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    diags.attr_error(
                        AttrPath::attr("node_groups").then_key(key),
                        "Invalid node group name",
                        format!(
                            "{key:?}: node group names are 1 to 63 letters, digits, '-' or '_'."
                        ),
                    );
                }
                if let Some(types) = g.get("instance_types").as_list() {
                    if types.is_empty() {
                        diags.attr_error(
                            at("instance_types"),
                            "No instance types",
                            "List at least one instance type.",
                        );
                    }
                }
                let (min, max, desired) = (
                    g.get("min_size").as_i64(),
                    g.get("max_size").as_i64(),
                    g.get("desired_size").as_i64(),
                );
                if let (Some(min), Some(max)) = (min, max) {
                    if min > max {
                        diags.attr_error(
                            at("min_size"),
                            "min_size is larger than max_size",
                            format!("min_size ({min}) must not exceed max_size ({max})."),
                        );
                    } else if max == 0 {
                        diags.attr_error(
                            at("max_size"),
                            "Invalid size",
                            "max_size must be at least 1.",
                        );
                    }
                    if let Some(d) = desired {
                        if d < min || d > max {
                            diags.attr_error(at("desired_size"), "desired_size outside min_size..max_size", format!("desired_size ({d}) must be between min_size ({min}) and max_size ({max})."));
                        }
                    }
                }
                if let Some(taints) = g.get("taints").as_list() {
                    let mut seen = std::collections::BTreeSet::new();
                    for (i, t) in taints.iter().enumerate() {
                        let tp = at("taints").then_index(i);
                        string_at(
                            t.get("effect"),
                            // The element, not its `effect`: cores place a diagnostic on
                            // a list element, not inside the element's object.
                            tp.clone(),
                            diags,
                            one_of(&TAINT_EFFECTS),
                        );
                        let shape = t
                            .get("key")
                            .as_str()
                            .map(|k| label_key(k, None))
                            .and_then(Result::err)
                            .or_else(|| {
                                t.get("value")
                                    .as_str()
                                    .map(label_value)
                                    .and_then(Result::err)
                            });
                        if let Some(why) = shape {
                            diags.attr_error(tp.clone(), "Invalid taint", why);
                        }
                        if let (Some(k), Some(e)) =
                            (t.get("key").as_str(), t.get("effect").as_str())
                        {
                            if !seen.insert((k.to_string(), e.to_string())) {
                                diags.attr_error(
                                    tp,
                                    "Duplicate taint",
                                    format!(
                                        "The taint {k:?} with effect {e} is listed more than once."
                                    ),
                                );
                            }
                        }
                    }
                }
            }
        }
        if let Some(addons) = config.get("addons").as_map() {
            for (name, a) in addons {
                // Which add-ons exist is EKS's to say, at plan (check_addons); here
                // only the shape of a name.
                let shaped = (1..=100).contains(&name.len())
                    && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
                if !shaped {
                    diags.attr_error(
                        AttrPath::attr("addons").then_key(name),
                        "Invalid add-on name",
                        format!("{name:?} is not an EKS add-on name (lowercase letters, digits, '-', '_' or '.', like \"metrics-server\")."),
                    );
                }
                // The keys of a known map are known even where its values are not.
                let sas = config.get("service_accounts");
                if let (Some(sa), false) = (a.get("service_account").as_str(), sas.is_unknown()) {
                    let keys: Vec<&str> = sas
                        .as_map()
                        .map(|m| m.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    if !keys.contains(&sa) {
                        diags.attr_error(
                            AttrPath::attr("addons")
                                .then_key(name)
                                .then_attr("service_account"),
                            "Unknown service account",
                            format!(
                                "{sa:?} is not a key of service_accounts ({}); the add-on assumes the IAM role the stack makes for that entry.",
                                if keys.is_empty() { "none declared".to_string() } else { keys.join(", ") }
                            ),
                        );
                    }
                }
            }
        }
        if let Some(entries) = config.get("access_entries").as_map() {
            for principal in entries.keys() {
                if crate::aws::validate::arn("iam")(principal).is_err() {
                    diags.attr_error(
                        AttrPath::attr("access_entries").then_key(principal),
                        "Invalid principal",
                        format!("{principal:?} is not an IAM role or user ARN."),
                    );
                }
            }
        }
        if let Some(sas) = config.get("service_accounts").as_map() {
            let addons = config.get("addons");
            let agent = addons
                .as_map()
                .is_some_and(|m| m.contains_key(POD_IDENTITY_AGENT));
            for (key, sa) in sas {
                if sa.get("identity").as_str() == Some("pod_identity")
                    && !addons.is_unknown()
                    && !agent
                {
                    diags.attr_error(
                        AttrPath::attr("service_accounts").then_key(key).then_attr("identity"),
                        "Pod Identity needs its agent",
                        format!("{key:?} gets its role through EKS Pod Identity, which needs the {POD_IDENTITY_AGENT} add-on: add `\"{POD_IDENTITY_AGENT}\" = {{}}` to addons."),
                    );
                }
            }
            for key in sas.keys() {
                let at = AttrPath::attr("service_accounts").then_key(key);
                let dns = |s: &str| {
                    (1..=63).contains(&s.len())
                        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && s.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
                        })
                };
                match key.split_once('/') {
                    Some((ns, name)) if dns(ns) && dns(name) => {}
                    _ => diags.attr_error(
                        at.clone(),
                        "Invalid service account",
                        format!("{key:?}: write namespace/name, each a lowercase DNS label (like \"ode/api\")."),
                    ),
                }
            }
        }
    }

    async fn modify_plan(&self, aws: &Aws, req: PlanRequest<'_>, resp: &mut PlanResponse) {
        let support = plan_versions(aws, &req, resp).await;
        settle_derived_defaults(aws, &req, &mut resp.planned).await;
        check_addons(aws, &req, &resp.planned, &mut resp.diagnostics).await;
        crate::kit::placement::check_kms_region(
            aws,
            &resp.planned,
            "kms_key_arn",
            "EKS",
            &mut resp.diagnostics,
        );
        warn_open_endpoint(&resp.planned, &mut resp.diagnostics);
        // The roles' policies are enforced: drift shows as a change, apply repairs it.
        resp.planned.set("iam_policies", Value::string("verified"));
        // A repair the configuration does not show (only iam_policies moves back to
        // verified) still makes or points roles and associations: their ids may move.
        let repairing = !req.prior.is_null()
            && req.prior.get("iam_policies") != resp.planned.get("iam_policies");
        if repairing {
            for a in ["service_account_role_arns", "pod_identity_association_ids"] {
                resp.planned.set(a, Value::Unknown);
            }
        }
        let known = resp.planned.get("node_groups").is_wholly_known();
        let extended = support == Some(ops::Support::Extended);
        let estimate = known.then(|| cost(&Desired::from_value(&resp.planned), extended));
        crate::pricing::set(&mut resp.planned, estimate.as_ref());
        if let Some(w) = estimate.as_ref().and_then(|e| e.warning()) {
            resp.diagnostics.warning("Cost estimate incomplete", w);
        }
        // Subnets known at plan time must span two zones, in the composite's VPC.
        crate::kit::placement::check_subnets(
            aws,
            req.prior,
            &resp.planned,
            None,
            "EKS needs",
            &mut resp.diagnostics,
        )
        .await;
        if !req.prior.is_null() && req.prior.get("arn").is_null() && !resp.planned.is_null() {
            for a in CLUSTER_OUTPUTS.iter().chain(&["oidc_provider_arn"]) {
                resp.planned.set(a, Value::Unknown);
            }
            resp.diagnostics.warning(
                "EKS cluster deleted outside Terraform",
                format!(
                    "The cluster {:?} no longer exists, while its IAM roles do. Apply makes it again inside the stack, with its node groups, add-ons and access entries; its endpoint, OIDC issuer and security group change, and the IRSA roles are made to trust the new issuer.",
                    resp.planned.get("name").as_str().unwrap_or_default()
                ),
            );
        }
        check_skew(req.prior, &resp.planned, &mut resp.diagnostics);
        let key = resp.planned.get("kms_key_arn");
        if let (Some(arn), true) = (key.as_str(), req.prior.get("kms_key_arn") != key) {
            if let Err(why) = ops::check_supplied_key(aws, arn).await {
                resp.diagnostics
                    .attr_error(AttrPath::attr("kms_key_arn"), "Unusable KMS key", why);
            }
        }
        if req.prior.is_null() {
            return;
        }
        let (from, to) = (
            req.prior
                .get("kubernetes_version")
                .as_str()
                .unwrap_or_default()
                .to_string(),
            resp.planned
                .get("kubernetes_version")
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        if let (Some(f), Some(t)) = (minor(&from), minor(&to)) {
            if t < f {
                resp.diagnostics.attr_error(
                    AttrPath::attr("kubernetes_version"),
                    "Kubernetes cannot be downgraded",
                    format!("The cluster runs {from}; EKS cannot go back to {to}. Keep {from} or a newer version."),
                );
            }
        }
    }

    async fn create(&self, aws: &Aws, req: CreateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, req.planned, true, resp).await;
    }

    async fn read(&self, aws: &Aws, req: ReadRequest<'_>, resp: &mut ReadResponse) {
        let d = Desired::from_value(req.state);
        resp.private = req.private.to_vec();
        match ops::read(aws, &d).await {
            Ok(obs) if obs.cluster.is_some() => {
                let marked = obs
                    .cluster
                    .as_ref()
                    .is_some_and(|c| claim::marked(&c.tags, &aws.fingerprint));
                claim::release_when_read(marked, &d.name, ops::release_claim(aws, &d, &obs)).await;
                resp.state = state(aws, req.state, &obs);
            }
            // Deleted outside Terraform while its roles (or log group) remain: drift
            // that the next apply repairs by making the cluster again in the stack.
            Ok(obs) if obs.remnants() => {
                tracing::info!(cluster = %d.name, "the cluster is gone but the stack's roles remain");
                let mut st = req.state.clone();
                for a in CLUSTER_OUTPUTS {
                    st.set(a, Value::Null);
                }
                resp.state = st;
            }
            Ok(_) => {
                tracing::info!(cluster = %d.name, "cluster is gone; removing the stack from state");
                resp.state = Value::Null;
            }
            Err(e) => {
                resp.state = req.state.clone();
                report(&mut resp.diagnostics, "Reading", &d.name, vec![e]);
            }
        }
    }

    async fn update(&self, aws: &Aws, req: UpdateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, req.planned, false, resp).await;
        if resp.state.is_null() {
            resp.state = req.prior.clone();
        }
        // A cluster made again has a new issuer: the old issuer's provider goes.
        let old = req.prior.get("oidc_provider_arn").as_str();
        let new = resp.state.get("oidc_provider_arn").as_str();
        if let (Some(old), Some(new)) = (old, new) {
            if old != new && !resp.state.get("arn").is_null() {
                let d = Desired::from_value(req.planned);
                if let Err(e) = ops::retire_oidc(aws, &d, old).await {
                    report(&mut resp.diagnostics, "Updating", &d.name, vec![e]);
                }
            }
        }
    }

    async fn plan_destroy(&self, aws: &Aws, req: DestroyPlanRequest<'_>, diags: &mut Diagnostics) {
        destroy_guard(aws, &Desired::from_value(req.prior), diags).await;
    }

    async fn delete(&self, aws: &Aws, req: DeleteRequest<'_>, resp: &mut DeleteResponse) {
        let d = Desired::from_value(req.prior);
        // Checked at plan already; again here, as the cluster may have changed since.
        let Some(obs) = destroy_guard(aws, &d, &mut resp.diagnostics).await else {
            return;
        };
        let owned_key = match req.prior.get("kms_key_arn").as_str() {
            Some(_) => None,
            None => req.prior.get("secrets_kms_key_arn").as_str(),
        };
        let mut errs = ops::delete(
            aws,
            &req.stop,
            &d,
            &obs,
            owned_key,
            deadline_in(d.timeouts.delete),
        )
        .await;
        // Without its cluster the stack's OIDC provider cannot be found by its
        // issuer: the state names it.
        if let (true, true, Some(oidc)) = (
            errs.is_empty(),
            req.prior.get("arn").is_null(),
            req.prior.get("oidc_provider_arn").as_str(),
        ) {
            errs.extend(ops::retire_oidc(aws, &d, oidc).await.err());
        }
        report(&mut resp.diagnostics, "Deleting", &d.name, errs);
    }

    async fn import(&self, aws: &Aws, req: ImportRequest<'_>, resp: &mut ImportResponse) {
        let name = req.id.trim();
        match import_config(aws, name).await {
            Ok(mut config) => {
                let d = Desired::from_value(&config);
                if let Ok(calendar) = ops::calendar(aws).await {
                    mark_support(&mut config, &calendar, &d.version);
                }
                match ops::read(aws, &d).await {
                    Ok(obs) if obs.cluster.is_some() => {
                        resp.state = state(aws, &config, &obs);
                        schema::schema().block.spell_out_implied(&mut resp.state);
                    }
                    Ok(_) => resp
                        .diagnostics
                        .error(format!("Cannot import {name}"), "No such cluster."),
                    Err(e) => report(&mut resp.diagnostics, "Importing", name, vec![e]),
                }
            }
            Err(why) => resp
                .diagnostics
                .error(format!("Cannot import EKS stack {name:?}"), why),
        }
    }
}

/// Settings whose default follows other settings (a group's size follows
/// `min_size`, its version the cluster's, an add-on's version the one EKS names as
/// default for the cluster's version): where the configuration leaves one null, a
/// prior value equal to that default is kept (an import records every value), and
/// anything else goes back to null, the default.
async fn settle_derived_defaults(aws: &Aws, req: &PlanRequest<'_>, planned: &mut Value) {
    let cluster = planned
        .get("kubernetes_version")
        .as_str()
        .map(str::to_string);
    let keep_if = |prior: &Value, default: bool| {
        if default && !prior.is_null() {
            prior.clone()
        } else {
            Value::Null
        }
    };
    if let Some(mut groups) = planned.get("node_groups").as_map().cloned() {
        for (key, g) in groups.iter_mut() {
            let cfg = req.config.get("node_groups").get(key);
            let prior = req.prior.get("node_groups").get(key);
            if cfg.is_unknown() {
                continue;
            }
            if cfg.get("desired_size").is_null() {
                let p = prior.get("desired_size");
                g.set("desired_size", keep_if(p, p == g.get("min_size")));
            }
            if cfg.get("kubernetes_version").is_null() {
                let p = prior.get("kubernetes_version");
                g.set(
                    "kubernetes_version",
                    keep_if(p, p.as_str() == cluster.as_deref()),
                );
            }
        }
        planned.set("node_groups", Value::Map(groups));
    }
    if let Some(mut addons) = planned.get("addons").as_map().cloned() {
        // One DescribeAddonVersions for every add-on whose prior version may be kept.
        let asks = addons.keys().any(|name| {
            let cfg = req.config.get("addons").get(name);
            !cfg.is_unknown()
                && cfg.get("version").is_null()
                && !req.prior.get("addons").get(name).get("version").is_null()
        });
        let offered = match (asks, cluster.as_deref()) {
            (true, Some(k8s)) => ops::offered_addons(aws, k8s).await.unwrap_or_default(),
            _ => Default::default(),
        };
        for (name, a) in addons.iter_mut() {
            let cfg = req.config.get("addons").get(name);
            if cfg.is_unknown() || !cfg.get("version").is_null() {
                continue;
            }
            let p = req.prior.get("addons").get(name).get("version");
            let default = offered
                .get(name)
                .and_then(|o| o.default.as_ref().or(o.versions.first()));
            let is_default = matches!((p.as_str(), default), (Some(v), Some(d)) if v == d);
            a.set("version", keep_if(p, is_default));
        }
        planned.set("addons", Value::Map(addons));
    }
}

/// A public API endpoint open to the whole internet is allowed (the seed's laptop
/// workflow) but never silent: every plan says so until `public_access_cidrs` names
/// the operators' networks or the endpoint is private.
fn warn_open_endpoint(planned: &Value, diags: &mut Diagnostics) {
    let public = planned.get("endpoint_public_access").as_bool() == Some(true);
    let cidrs = planned.get("public_access_cidrs");
    let open = cidrs.is_wholly_known() && cidrs.to_string_vec().iter().any(|c| c == "0.0.0.0/0");
    if public && open {
        diags.attr_warning(
            AttrPath::attr("public_access_cidrs"),
            "API server open to the internet",
            format!(
                "The cluster {:?} answers on its public endpoint from any address (0.0.0.0/0). Set public_access_cidrs to the networks your operators and CI use, or endpoint_public_access = false to reach it only from inside the VPC (VPN, bastion).",
                planned.get("name").as_str().unwrap_or_default()
            ),
        );
    }
}

/// Add-ons against what EKS offers for the planned Kubernetes version, at plan, when
/// the add-ons or the version change: a name EKS does not offer for that version, or
/// a version of it that does not run there, is refused naming what it offers; so are
/// configuration values whose top-level settings the add-on version's schema does not
/// define. One DescribeAddonVersions (every page), and one DescribeAddonConfiguration
/// per add-on whose configuration changes.
async fn check_addons(aws: &Aws, req: &PlanRequest<'_>, planned: &Value, diags: &mut Diagnostics) {
    let (Some(k8s), Some(addons)) = (
        planned.get("kubernetes_version").as_str(),
        planned.get("addons").as_map(),
    ) else {
        return;
    };
    let prior = req.prior.get("addons");
    let same_version = req.prior.get("kubernetes_version").as_str() == Some(k8s);
    if addons.is_empty() || (same_version && prior == planned.get("addons")) {
        return;
    }
    let offered = match ops::offered_addons(aws, k8s).await {
        Ok(o) => o,
        Err(e) => {
            diags.attr_error(
                AttrPath::attr("addons"),
                "Checking the add-ons",
                e.to_string(),
            );
            return;
        }
    };
    let mut names: Vec<&str> = offered.keys().map(String::as_str).collect();
    names.sort_unstable();
    for (name, a) in addons {
        let at = AttrPath::attr("addons").then_key(name);
        let Some(offer) = offered.get(name) else {
            diags.attr_error(
                at,
                "Add-on not offered",
                format!(
                    "EKS offers no add-on {name:?} for Kubernetes {k8s}. It offers: {}.",
                    names.join(", ")
                ),
            );
            continue;
        };
        let version = match a.get("version").as_str() {
            Some(v) if !offer.versions.iter().any(|o| o == v) => {
                diags.attr_error(
                    at.then_attr("version"),
                    "Add-on version not offered",
                    format!(
                        "{name} {v} does not run on Kubernetes {k8s}. EKS offers {}{}.",
                        offer.versions.join(", "),
                        offer
                            .default
                            .as_ref()
                            .map(|d| format!(" (default {d}; leave version null to follow it)"))
                            .unwrap_or_default()
                    ),
                );
                continue;
            }
            Some(v) => Some(v.to_string()),
            None if a.get("version").is_unknown() => None,
            None => offer
                .default
                .clone()
                .or_else(|| offer.versions.first().cloned()),
        };
        let values = a.get("configuration_values");
        let (Some(text), Some(version)) = (values.as_str(), version) else {
            continue;
        };
        let before = prior.get(name);
        if same_version
            && before.get("configuration_values") == values
            && before.get("version") == a.get("version")
        {
            continue;
        }
        let Ok(document) = serde_json::from_str::<serde_json::Value>(text) else {
            continue; // the attribute's own rule reports it
        };
        match ops::addon_config_schema(aws, name, &version).await {
            Ok(Some(schema)) => {
                let problems = ops::config_problems(&schema, &document);
                if !problems.is_empty() {
                    diags.attr_error(
                        at.then_attr("configuration_values"),
                        "Add-on configuration refused",
                        format!(
                            "EKS's schema for {name} {version} refuses this configuration: {}.",
                            problems.join("; ")
                        ),
                    );
                }
            }
            Ok(None) => {}
            Err(e) => diags.attr_error(
                at.then_attr("configuration_values"),
                "Checking the add-on configuration",
                e.to_string(),
            ),
        }
    }
}

/// Node groups pinned to a version EKS would refuse under the planned cluster
/// version fail the plan on the pin: newer than the cluster, older than the
/// allowed skew, or, for a group about to be made (new, or replaced because an
/// immutable setting changed), any version but the cluster's (EKS makes node
/// groups at their cluster's version only; a pin keeps a group behind while the
/// cluster is upgraded).
fn check_skew(prior: &Value, planned: &Value, diags: &mut Diagnostics) {
    let Some(cluster) = planned.get("kubernetes_version").as_str() else {
        return;
    };
    let was = Desired::from_value(prior);
    let now = Desired::from_value(planned);
    for (key, g) in planned.get("node_groups").as_map().into_iter().flatten() {
        let Some(pin) = g.get("kubernetes_version").as_str() else {
            continue;
        };
        let at = AttrPath::attr("node_groups")
            .then_key(key)
            .then_attr("kubernetes_version");
        if let Some(why) = skew_error(cluster, pin) {
            diags.attr_error(at, "Node group version outside the allowed skew", why);
            continue;
        }
        let made = match (was.node_groups.get(key), now.node_groups.get(key)) {
            (Some(before), Some(after)) => before.immutable() != after.immutable(),
            _ => true,
        };
        let known = g.is_wholly_known() && prior.get("kubernetes_version").is_wholly_known();
        if made && known && pin != cluster {
            diags.attr_error(
                at,
                "New node groups run the cluster's version",
                format!(
                    "EKS makes a node group at its cluster's Kubernetes version only ({cluster}); this group would be made now, so it cannot be pinned to {pin}. Leave kubernetes_version null (or {cluster}); a pin keeps an existing group behind while the cluster is upgraded."
                ),
            );
        }
    }
}

/// Kubernetes versions against EKS's calendar, at plan. A `kubernetes_version` left
/// unset on a new stack resolves to the newest version in standard support (then kept
/// in state, so it never moves by itself). Every version the plan asks for (the
/// cluster's, each minor an upgrade passes through, node group pins that change) must
/// be one EKS offers; past its end of extended support it is refused with its end date.
/// A cluster version in extended support is accepted with a warning giving its end date
/// and price. Answers the planned version's support, for the estimate (None when it is
/// not known). One DescribeClusterVersions per plan.
async fn plan_versions(
    aws: &Aws,
    req: &PlanRequest<'_>,
    resp: &mut PlanResponse,
) -> Option<ops::Support> {
    let resolve = resp.planned.get("kubernetes_version").is_unknown()
        && req.config.get("kubernetes_version").is_null();
    if !resolve && resp.planned.get("kubernetes_version").as_str().is_none() {
        return None;
    }
    let calendar = match ops::calendar(aws).await {
        Ok(c) => c,
        // Without the permission the checks are skipped, and said so: apply would
        // still fail on a version EKS refuses, and an unset version resolves then.
        Err(e) if e.is_permission() => {
            resp.diagnostics.warning(
                "Kubernetes versions not checked",
                format!("Could not read the versions EKS offers: {e}"),
            );
            return None;
        }
        Err(e) => {
            resp.diagnostics.attr_error(
                AttrPath::attr("kubernetes_version"),
                "Checking the Kubernetes version",
                e.to_string(),
            );
            return None;
        }
    };
    let offered: Vec<&ops::VersionInfo> = calendar
        .iter()
        .filter(|v| v.support != ops::Support::Unsupported)
        .collect();
    if resolve {
        match newest_standard(&calendar) {
            Some(v) => resp.planned.set("kubernetes_version", Value::string(v)),
            None => {
                resp.diagnostics.attr_error(
                    AttrPath::attr("kubernetes_version"),
                    "No Kubernetes version in standard support",
                    format!(
                        "EKS in {} reports no version in standard support; set kubernetes_version to one it offers: {}.",
                        aws.region,
                        offered_text(&offered)
                    ),
                );
                return None;
            }
        }
    }
    let to = resp
        .planned
        .get("kubernetes_version")
        .as_str()
        .map(str::to_string)?;
    let mut wanted: Vec<(AttrPath, String)> = Vec::new();
    if req.prior.get("kubernetes_version").as_str() != Some(&to) {
        let from = req.prior.get("kubernetes_version").as_str().unwrap_or(&to);
        let mut steps = upgrade_steps(from, &to);
        if steps.is_empty() {
            steps.push(to.clone());
        }
        wanted.extend(
            steps
                .into_iter()
                .map(|v| (AttrPath::attr("kubernetes_version"), v)),
        );
    }
    if let Some(groups) = resp.planned.get("node_groups").as_map() {
        for (key, g) in groups {
            let v = g.get("kubernetes_version");
            let before = req
                .prior
                .get("node_groups")
                .get(key)
                .get("kubernetes_version");
            if let (Some(s), true) = (v.as_str(), before != v) {
                let at = AttrPath::attr("node_groups")
                    .then_key(key)
                    .then_attr("kubernetes_version");
                wanted.push((at, s.to_string()));
            }
        }
    }
    let find = |v: &str| calendar.iter().find(|i| i.version == v);
    for (at, v) in wanted {
        match find(&v) {
            Some(i) if i.support != ops::Support::Unsupported => {}
            Some(i) => resp.diagnostics.attr_error(
                at,
                "Kubernetes version no longer supported",
                format!(
                    "EKS ended extended support for Kubernetes {v}{}; it cannot be created or upgraded to. EKS in {} offers {}.",
                    i.end_of_extended.as_deref().map(|d| format!(" on {d}")).unwrap_or_default(),
                    aws.region,
                    offered_text(&offered)
                ),
            ),
            None => resp.diagnostics.attr_error(
                at,
                "Kubernetes version not offered",
                format!(
                    "EKS in {} does not offer Kubernetes {v}; it offers {}.",
                    aws.region,
                    offered_text(&offered)
                ),
            ),
        }
    }
    let info = find(&to)?;
    if info.support == ops::Support::Extended {
        let standard: Vec<&ops::VersionInfo> = calendar
            .iter()
            .filter(|v| v.support == ops::Support::Standard)
            .collect();
        resp.diagnostics.attr_warning(
            AttrPath::attr("kubernetes_version"),
            format!("Kubernetes {to} is in extended support"),
            format!(
                "Standard support for Kubernetes {to} ended{}; EKS keeps it in extended support until {}, at ${:.2} per cluster hour instead of ${:.2} (about ${:.0} a month instead of ${:.0}). Upgrading, one minor at a time, to a version in standard support ({}) returns the cluster to the standard rate.",
                info.end_of_standard.as_deref().map(|d| format!(" on {d}")).unwrap_or_default(),
                info.end_of_extended.as_deref().unwrap_or("a date EKS did not give"),
                crate::pricing::EKS_EXTENDED_CLUSTER_HOUR,
                crate::pricing::EKS_CLUSTER_HOUR,
                crate::pricing::EKS_EXTENDED_CLUSTER_HOUR * crate::pricing::HOURS_PER_MONTH,
                crate::pricing::EKS_CLUSTER_HOUR * crate::pricing::HOURS_PER_MONTH,
                offered_text(&standard)
            ),
        );
    }
    Some(info.support)
}

/// Marks `base` (the value [`state`] builds on) with the support of `version`:
/// [`state`] prices a cluster at the extended rate when its base's `cost_items` name
/// the extended item, which is how a plan's estimate carries over into state.
fn mark_support(base: &mut Value, calendar: &[ops::VersionInfo], version: &str) {
    let extended = calendar
        .iter()
        .any(|v| v.version == version && v.support == ops::Support::Extended);
    let items = if extended {
        Value::Map([(crate::pricing::EKS_EXTENDED_ITEM.to_string(), Value::int(0))].into())
    } else {
        Value::Null
    };
    base.set("cost_items", items);
}

/// The newest version of the calendar in standard support.
fn newest_standard(calendar: &[ops::VersionInfo]) -> Option<&str> {
    calendar
        .iter()
        .filter(|v| v.support == ops::Support::Standard)
        .filter_map(|v| Some((minor(&v.version)?, v.version.as_str())))
        .max()
        .map(|(_, v)| v)
}

/// "1.32 (extended support until 2027-03-23), 1.33, ..." in version order.
fn offered_text(versions: &[&ops::VersionInfo]) -> String {
    let mut v: Vec<&&ops::VersionInfo> = versions.iter().collect();
    v.sort_by_key(|i| minor(&i.version));
    v.iter()
        .map(|i| match (i.support, &i.end_of_extended) {
            (ops::Support::Extended, Some(end)) => {
                format!("{} (extended support until {end})", i.version)
            }
            _ => i.version.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The configuration of a stack this provider created, rebuilt from AWS for
/// import: settings equal to their defaults stay null, as a configuration that
/// relies on the defaults writes them.
async fn import_config(aws: &Aws, name: &str) -> Result<Value, String> {
    let (sa_keys, principals) = ops::discover(aws, name).await.map_err(|e| e.to_string())?;
    let keyed = |keys: &[String]| {
        Value::Map(
            keys.iter()
                .map(|k| (k.clone(), Value::object([("policy_arns", Value::Null)])))
                .collect(),
        )
    };
    let probe = Desired::from_value(&Value::object([
        ("name", Value::string(name)),
        ("service_accounts", keyed(&sa_keys)),
        ("access_entries", keyed(&principals)),
    ]));
    let obs = ops::read(aws, &probe).await.map_err(|e| e.to_string())?;
    let Some(c) = &obs.cluster else {
        return Err("There is no EKS cluster of that name.".into());
    };
    if crate::kit::tags::owned_key(&c.tags, name, ops::COMPONENT) != Some("cluster") {
        return Err(
            "This cluster was not created by ode_eks_stack (it has no ode:stack / ode:key tags)."
                .into(),
        );
    }
    let groups: BTreeMap<String, Value> = obs
        .node_groups
        .iter()
        .filter_map(|(k, v)| v.last().map(|g| (k.clone(), g)))
        .map(|(k, g)| {
            let s = &g.spec;
            let settings = crate::kit::tags::decode_settings(&g.tags);
            let autoscaler =
                settings.get("scaling_owner").map(String::as_str) == Some("autoscaler");
            // The autoscaler moves the size: the configuration's is the recorded one.
            let desired = settings
                .get("desired_size")
                .filter(|_| autoscaler)
                .and_then(|n| n.parse::<i64>().ok())
                .unwrap_or(i64::from(s.desired_size));
            let v = Value::object([
                (
                    "instance_types",
                    Value::string_list(s.instance_types.clone()),
                ),
                ("capacity_type", Value::string(&s.capacity_type)),
                ("min_size", Value::int(i64::from(s.min_size))),
                ("max_size", Value::int(i64::from(s.max_size))),
                ("desired_size", Value::int(desired)),
                ("disk_size", Value::int(i64::from(s.disk_size))),
                ("ami_type", Value::string(&s.ami_type)),
                (
                    "labels",
                    if s.labels.is_empty() {
                        Value::Null
                    } else {
                        Value::string_map(s.labels.iter())
                    },
                ),
                (
                    "taints",
                    if s.taints.is_empty() {
                        Value::Null
                    } else {
                        Value::List(
                            s.taints
                                .iter()
                                .map(|(k, v, e)| {
                                    Value::object([
                                        ("key", Value::string(k)),
                                        ("value", Value::string(v)),
                                        ("effect", Value::string(e)),
                                    ])
                                })
                                .collect(),
                        )
                    },
                ),
                ("max_unavailable", Value::int(i64::from(s.max_unavailable))),
                (
                    "scaling_owner",
                    Value::string(if autoscaler {
                        "autoscaler"
                    } else {
                        "terraform"
                    }),
                ),
                ("kubernetes_version", Value::string(&g.version)),
            ]);
            (k, v)
        })
        .collect();
    let addons: BTreeMap<String, Value> = obs
        .addons
        .iter()
        .map(|(n, a)| {
            (
                n.clone(),
                Value::object([
                    ("version", Value::string(&a.version)),
                    (
                        "configuration_values",
                        Value::opt_string(a.configuration.clone()),
                    ),
                    ("service_account", addon_service_account(&obs, a)),
                ]),
            )
        })
        .collect();
    let (user_tags, _) = crate::kit::tags::split(c.tags.clone());
    let user_tags: BTreeMap<String, String> = user_tags
        .into_iter()
        .filter(|(k, v)| aws.default_tags.get(k) != Some(v))
        .collect();
    let map_or_null = |m: BTreeMap<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Map(m)
        }
    };
    // The stack's own key (found through its alias) is not configuration.
    let kms = match &c.kms_key_arn {
        Some(arn) if !ops::is_stack_key(aws, name, arn).await => Value::string(arn),
        _ => Value::Null,
    };
    Ok(Value::object([
        ("name", Value::string(name)),
        ("kubernetes_version", Value::string(&c.version)),
        ("subnet_ids", Value::string_list(c.subnet_ids.clone())),
        ("endpoint_private_access", Value::Bool(c.private_access)),
        ("endpoint_public_access", Value::Bool(c.public_access)),
        (
            "public_access_cidrs",
            Value::string_list(c.public_cidrs.clone()),
        ),
        ("enabled_log_types", Value::string_list(c.log_types.clone())),
        ("kms_key_arn", kms),
        ("cluster_role_arn", Value::string(&c.role_arn)),
        (
            "node_role_arn",
            Value::opt_string(obs.node_role_arn.clone()),
        ),
        (
            "authentication_mode",
            Value::string(
                c.auth_mode
                    .clone()
                    .unwrap_or_else(|| "API_AND_CONFIG_MAP".into()),
            ),
        ),
        (
            "tags",
            if user_tags.is_empty() {
                Value::Null
            } else {
                Value::string_map(user_tags.iter())
            },
        ),
        ("node_groups", map_or_null(groups)),
        ("addons", map_or_null(addons)),
        (
            "access_entries",
            map_or_null(
                obs.access
                    .iter()
                    .map(|(p, policies)| {
                        let (policy, ns) = policies.first().cloned().unwrap_or_default();
                        (
                            p.clone(),
                            Value::object([
                                (
                                    "policy_arn",
                                    Value::opt_string(Some(policy).filter(|p| !p.is_empty())),
                                ),
                                (
                                    "namespaces",
                                    if ns.is_empty() {
                                        Value::Null
                                    } else {
                                        Value::string_list(ns)
                                    },
                                ),
                            ]),
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "service_accounts",
            map_or_null(
                obs.sa_policies
                    .iter()
                    .map(|(k, (arns, inline))| {
                        (
                            k.clone(),
                            Value::object([
                                (
                                    "policy_arns",
                                    if arns.is_empty() {
                                        Value::Null
                                    } else {
                                        Value::string_list(arns.clone())
                                    },
                                ),
                                ("policy_json", Value::opt_string(inline.clone())),
                                (
                                    "identity",
                                    if obs.pod_identities.contains_key(k) {
                                        Value::string("pod_identity")
                                    } else {
                                        Value::Null
                                    },
                                ),
                            ]),
                        )
                    })
                    .collect(),
            ),
        ),
        ("timeouts", Value::Null),
        ("id", Value::string(name)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(version: &str, support: ops::Support, end: &str) -> ops::VersionInfo {
        ops::VersionInfo {
            version: version.into(),
            support,
            end_of_standard: None,
            end_of_extended: Some(end.into()),
        }
    }

    #[test]
    fn the_newest_standard_version_and_the_offered_list() {
        use ops::Support::*;
        let calendar = vec![
            info("1.9", Unsupported, "2020-01-01"),
            info("1.34", Standard, "2027-12-02"),
            info("1.32", Extended, "2027-03-23"),
            info("1.35", Standard, "2028-03-27"),
            info("1.33", Extended, "2027-07-29"),
        ];
        // By minor, not by text ("1.9" > "1.35" as strings).
        assert_eq!(newest_standard(&calendar), Some("1.35"));
        assert_eq!(newest_standard(&calendar[..1]), None);
        let offered: Vec<&ops::VersionInfo> = calendar
            .iter()
            .filter(|v| v.support != Unsupported)
            .collect();
        assert_eq!(
            offered_text(&offered),
            "1.32 (extended support until 2027-03-23), 1.33 (extended support until 2027-07-29), 1.34, 1.35"
        );
    }

    #[test]
    fn the_support_mark_prices_the_state() {
        use ops::Support::*;
        let calendar = vec![
            info("1.32", Extended, "2027-03-23"),
            info("1.35", Standard, "2028-03-27"),
        ];
        let mut base = Value::object([("cost_items", Value::Unknown)]);
        mark_support(&mut base, &calendar, "1.32");
        assert!(!base
            .get("cost_items")
            .get(crate::pricing::EKS_EXTENDED_ITEM)
            .is_null());
        mark_support(&mut base, &calendar, "1.35");
        assert!(base.get("cost_items").is_null());
    }
}
