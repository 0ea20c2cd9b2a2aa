//! `ode_data_tier`: PostgreSQL, Redis and the document buckets of the platform
//! as one resource, reachable only from the sources the user allows.

pub mod model;
pub mod ops;
mod rules;
pub mod schema;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::aws::{Aws, AwsError, Op};
use crate::framework::*;
use crate::kit::claim;
use crate::kit::wait::deadline_in;
use model::*;
use rules::{daily_window, overlaps, weekly_window};
use schema::*;

pub use schema::TYPE_NAME;

pub struct DataTier;

fn report(diags: &mut Diagnostics, action: &str, name: &str, errs: Vec<AwsError>) {
    for e in errs {
        diags.error(format!("{action} data tier {name:?}"), e.to_string());
    }
}

fn report_tier(diags: &mut Diagnostics, action: &str, name: &str, e: claim::ClaimError) {
    match e {
        claim::ClaimError::Aws(e) => report(diags, action, name, vec![e]),
        claim::ClaimError::Taken { what, owner } => {
            claim::report_taken(diags, "Data tier", TYPE_NAME, name, &what, &owner)
        }
    }
}

/// Computed attributes a repair of missing objects can change.
const REPAIRABLE_OUTPUTS: [&str; 13] = [
    "rds_endpoint",
    "rds_reader_endpoint",
    "rds_arn",
    "master_secret_arn",
    "redis_endpoint",
    "redis_reader_endpoint",
    "redis_auth_secret_arn",
    "secrets_kms_key_arn",
    "security_group_ids",
    "subnet_group_names",
    "database_url",
    "redis_url",
    "pending_changes",
];

/// Nested attributes whose change replaces the tier.
const REPLACING: [(&str, &str); 5] = [
    ("postgres", "database_name"),
    ("postgres", "username"),
    ("postgres", "restore_from_snapshot"),
    ("redis", "at_rest_encryption"),
    ("redis", "transit_encryption"),
];

/// Bucket keys of `prior` that `planned` no longer names (none on a create).
fn removed_buckets(prior: &Value, planned: &Value) -> Vec<String> {
    if prior.is_null() || !planned.get("buckets").is_wholly_known() {
        return Vec::new();
    }
    let now = Desired::from_value(planned, &Value::Null);
    Desired::from_value(prior, &Value::Null)
        .buckets
        .into_keys()
        .filter(|k| !now.buckets.contains_key(k))
        .collect()
}

/// A bucket the configuration no longer names is deleted by the apply: refused
/// at plan while it holds objects, unless force_destroy (as a destroy is).
async fn check_removed_buckets(aws: &Aws, prior: &Value, planned: &Value, diags: &mut Diagnostics) {
    let d = Desired::from_value(planned, &Value::Null);
    if d.force_destroy {
        return;
    }
    for key in removed_buckets(prior, planned) {
        let name = d.bucket_name(&key);
        match crate::kit::bucket::count_versions(aws, &name).await {
            Ok(Some(n)) if n > 0 => diags.attr_error(
                AttrPath::attr("buckets"),
                "Removing a bucket that holds objects",
                format!("The bucket {name} (key {key:?}) holds {n} object version(s) or delete marker(s); removing it from buckets deletes it. Empty it first, or set force_destroy = true to delete its objects with it."),
            ),
            Ok(_) => {}
            Err(e) => diags.attr_error(AttrPath::attr("buckets"), "Checking the buckets to remove", e.to_string()),
        }
    }
}

/// A block's daily window (`daily`: attribute and default) must not overlap its
/// weekly maintenance window: `service` (RDS, ElastiCache) refuses that.
fn windows_apart(
    block: &Value,
    at: &dyn Fn(&str) -> AttrPath,
    (attr, default): (&str, &str),
    maintenance_default: &str,
    service: &str,
    diags: &mut Diagnostics,
) {
    if block.get(attr).is_unknown() || block.get("maintenance_window").is_unknown() {
        return;
    }
    let daily = block.get(attr).as_str().unwrap_or(default);
    let maintenance = block
        .get("maintenance_window")
        .as_str()
        .unwrap_or(maintenance_default);
    if let (Some(d), Some(m)) = (daily_window(daily), weekly_window(maintenance)) {
        if overlaps(d, m) {
            let what = attr.replace('_', " ");
            diags.attr_error(
                at(attr),
                "Windows overlap",
                format!("The {what} {daily} overlaps the maintenance window {maintenance}; {service} refuses that."),
            );
        }
    }
}

/// Whether a setting that replaces the tier differs between two effective views.
fn replacing_differs(was: &Desired, now: &Desired, block: &str, attr: &str) -> bool {
    let (a, b) = (&was.postgres, &now.postgres);
    let (r, q) = (&was.redis, &now.redis);
    match (block, attr) {
        ("postgres", "database_name") => a.database_name != b.database_name,
        ("postgres", "username") => a.username != b.username,
        ("postgres", "restore_from_snapshot") => a.restore_from_snapshot != b.restore_from_snapshot,
        ("redis", "at_rest_encryption") => r.at_rest_encryption != q.at_rest_encryption,
        ("redis", "transit_encryption") => r.transit_encryption != q.transit_encryption,
        _ => true,
    }
}

/// The plan-time estimate: the database, Redis and the buckets.
fn cost(d: &Desired) -> crate::pricing::Estimate {
    let (p, r) = (&d.postgres, &d.redis);
    crate::pricing::data_tier(
        &p.instance_class,
        p.multi_az,
        i64::from(p.allocated_storage),
        &r.node_type,
        r.engine == "valkey",
        i64::from(r.num_cache_clusters),
        d.buckets.len(),
    )
}

#[async_trait]
impl Resource<Aws> for DataTier {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    /// The rules that span attributes; each attribute's own rules are declared
    /// with it in the schema (`rules.rs`) and run by the server.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        crate::kit::timeouts::validate(config, diags);
        if let Some(subnets) = config.get("subnet_ids").as_list() {
            if config.get("subnet_ids").is_wholly_known() && subnets.len() < 2 {
                diags.attr_error(
                    AttrPath::attr("subnet_ids"),
                    "Not enough subnets",
                    "RDS and ElastiCache subnet groups need subnets in at least two availability zones; list at least two.",
                );
            }
        }
        let sources_known = config.get("allowed_security_group_ids").is_wholly_known()
            && config.get("allowed_cidr_blocks").is_wholly_known();
        let empty = |n: &str| config.get(n).as_list().is_none_or(|l| l.is_empty());
        if sources_known && empty("allowed_security_group_ids") && empty("allowed_cidr_blocks") {
            diags.attr_warning(
                AttrPath::attr("allowed_security_group_ids"),
                "Nothing can connect",
                "Neither allowed_security_group_ids nor allowed_cidr_blocks lists a source, so no client can reach PostgreSQL or Redis.",
            );
        }

        // postgres
        let pg = config.get("postgres");
        let at = |n: &str| AttrPath::attr("postgres").then_attr(n);
        // An unset allocated_storage is the default size; an unknown one is left alone.
        let allocated = match pg.get("allocated_storage") {
            Value::Null => Some(schema::PG_STORAGE),
            v => v.as_i64(),
        };
        if let (Some(a), Some(m)) = (allocated, pg.get("max_allocated_storage").as_i64()) {
            if m < a {
                diags.attr_error(
                    at("max_allocated_storage"),
                    "Invalid value",
                    format!(
                        "max_allocated_storage ({m}) must be at least allocated_storage ({a})."
                    ),
                );
            }
        }
        if !pg.get("password").is_null() && !pg.get("password_wo").is_null() {
            diags.attr_error(
                at("password_wo"),
                "Conflicting passwords",
                "Set password_wo or password, not both.",
            );
        }
        if !pg.get("password_wo").is_null() && pg.get("password_version").is_null() {
            diags.attr_error(
                at("password_version"),
                "Missing password_version",
                "A write-only password needs password_version: raise it to send a new password.",
            );
        }
        windows_apart(
            pg,
            &at,
            ("backup_window", PG_BACKUP_WINDOW),
            PG_MAINTENANCE_WINDOW,
            "RDS",
            diags,
        );

        // redis
        let rd = config.get("redis");
        let at = |n: &str| AttrPath::attr("redis").then_attr(n);
        windows_apart(
            rd,
            &at,
            ("snapshot_window", REDIS_SNAPSHOT_WINDOW),
            REDIS_MAINTENANCE_WINDOW,
            "ElastiCache",
            diags,
        );
        if let Some(n) = rd.get("num_cache_clusters").as_i64() {
            let failover = rd.get("automatic_failover").as_bool().unwrap_or(true);
            let multi_az = rd.get("multi_az").as_bool().unwrap_or(true);
            if n < 2 && (failover || multi_az) {
                diags.attr_error(
                    at("num_cache_clusters"),
                    "Too few nodes for failover",
                    format!("Automatic failover and Multi-AZ need at least 2 nodes; num_cache_clusters is {n}. Add a node or set automatic_failover = false and multi_az = false."),
                );
            }
        }
        if rd.get("multi_az").as_bool() == Some(true)
            && rd.get("automatic_failover").as_bool() == Some(false)
        {
            diags.attr_error(
                at("multi_az"),
                "Multi-AZ needs automatic failover",
                "ElastiCache turns Multi-AZ on only with automatic_failover = true.",
            );
        }
        let transit_off = rd.get("transit_encryption").as_bool() == Some(false);
        for token in ["auth_token", "auth_token_wo"] {
            if transit_off && !rd.get(token).is_null() {
                diags.attr_error(
                    at(token),
                    "AUTH token without transit encryption",
                    "Redis takes an AUTH token only with transit_encryption = true (the token would travel in clear text).",
                );
            }
        }
        if !rd.get("auth_token").is_null() && !rd.get("auth_token_wo").is_null() {
            diags.attr_error(
                at("auth_token_wo"),
                "Conflicting tokens",
                "Set auth_token_wo or auth_token, not both.",
            );
        }
        if !rd.get("auth_token_wo").is_null() && rd.get("auth_token_version").is_null() {
            diags.attr_error(
                at("auth_token_version"),
                "Missing auth_token_version",
                "A write-only AUTH token needs auth_token_version: raise it to rotate the token.",
            );
        }

        // buckets: a key must make a bucket name with the tier's name.
        let name = config.get("name").as_str().unwrap_or("ode");
        if let Some(buckets) = config.get("buckets").as_map() {
            for (key, b) in buckets {
                let at = |n: &str| AttrPath::attr("buckets").then_key(key).then_attr(n);
                let key_ok = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && crate::aws::validate::bucket_name(&format!("{name}-{key}")).is_ok();
                if !key_ok {
                    diags.attr_error(
                        AttrPath::attr("buckets").then_key(key),
                        "Invalid bucket key",
                        format!("{key:?}: bucket keys are lowercase letters, digits and hyphens, and \"{name}-{key}\" must be a valid bucket name."),
                    );
                }
                if let (Some(ia), Some(glacier)) = (
                    b.get("transition_ia_days").as_i64(),
                    b.get("transition_glacier_days").as_i64(),
                ) {
                    if glacier < ia + 30 {
                        diags.attr_error(
                            at("transition_glacier_days"),
                            "Lifecycle days out of order",
                            format!("Objects must stay in STANDARD_IA for 30 days: transition_glacier_days ({glacier}) must be at least transition_ia_days + 30 ({}).", ia + 30),
                        );
                    }
                }
            }
        }
    }

    async fn modify_plan(&self, aws: &Aws, req: PlanRequest<'_>, resp: &mut PlanResponse) {
        resp.planned.set("exposure", Value::string("verified"));
        crate::kit::placement::check_kms_region(
            aws,
            &resp.planned,
            "kms_key_arn",
            "RDS, ElastiCache, S3 and Secrets Manager",
            &mut resp.diagnostics,
        );
        check_removed_buckets(aws, req.prior, &resp.planned, &mut resp.diagnostics).await;
        let now = Desired::from_value(&resp.planned, &Value::Null);
        let was = Desired::from_value(req.prior, &Value::Null);
        let known = ["postgres", "redis", "buckets"]
            .iter()
            .all(|b| resp.planned.get(b).is_wholly_known());
        let estimate = known.then(|| cost(&now));
        crate::pricing::set(&mut resp.planned, estimate.as_ref());
        if let Some(w) = estimate.as_ref().and_then(|e| e.warning()) {
            resp.diagnostics.warning("Cost estimate incomplete", w);
        }
        if !req.prior.is_null() && req.prior.get("exposure").as_str() != Some("verified") {
            // The repair may make objects anew (a deleted group, bucket or database):
            // what names them is known after apply.
            for a in REPAIRABLE_OUTPUTS {
                resp.planned.set(a, Value::Unknown);
            }
        }
        // Bucket names and ARNs follow from the tier's name and the bucket keys:
        // known at plan, so that what depends on them (IAM policies) plans in full.
        let names_known = resp.planned.get("name").as_str().is_some()
            && !resp.planned.get("buckets").is_unknown();
        let by_key = |f: &dyn Fn(&str) -> String| {
            if !names_known {
                return Value::Unknown;
            }
            Value::Map(
                now.buckets
                    .keys()
                    .map(|k| (k.clone(), Value::string(f(k))))
                    .collect(),
            )
        };
        resp.planned
            .set("bucket_names", by_key(&|k| now.bucket_name(k)));
        resp.planned.set(
            "bucket_arns",
            by_key(&|k| crate::kit::bucket::arn(aws, &now.bucket_name(k))),
        );
        // Neither RDS nor ElastiCache goes back to an older engine version.
        if !req.prior.is_null()
            && resp.planned.get("postgres").is_wholly_known()
            && resp.planned.get("redis").is_wholly_known()
        {
            for (engine, from, to, service) in [
                (
                    "postgres",
                    &was.postgres.engine_version,
                    &now.postgres.engine_version,
                    "RDS",
                ),
                (
                    "redis",
                    &was.redis.engine_version,
                    &now.redis.engine_version,
                    "ElastiCache",
                ),
            ] {
                if ops::is_downgrade(from, to) {
                    resp.diagnostics.attr_error(
                        AttrPath::attr(engine).then_attr("engine_version"),
                        "Engine version lowered",
                        format!("{service} cannot move {engine} from {from} back to {to}. Keep {from} (or newer), or restore a snapshot into a new tier."),
                    );
                }
            }
            // RDS storage only grows.
            let (had, asked) = (
                was.postgres.allocated_storage,
                now.postgres.allocated_storage,
            );
            if asked < had {
                resp.diagnostics.attr_error(
                    AttrPath::attr("postgres").then_attr("allocated_storage"),
                    "Storage cannot shrink",
                    format!("The database has {had} GiB; RDS cannot reduce allocated storage to {asked} GiB. Keep {had} or more, or restore a snapshot into a new tier with less."),
                );
            }
        }
        check_engine_versions(
            aws,
            req.prior.is_null(),
            &was,
            &now,
            &resp.planned,
            &mut resp.diagnostics,
        )
        .await;
        if !req.prior.is_null() {
            // Settings compared as they take effect: a default left null and the
            // same value written out (as an import records it) are one setting.
            for (block, attr) in REPLACING {
                let (before, after) = (
                    req.prior.get(block).get(attr),
                    resp.planned.get(block).get(attr),
                );
                if before != after
                    && (after.is_unknown() || replacing_differs(&was, &now, block, attr))
                {
                    resp.requires_replace
                        .push(AttrPath::attr(block).then_attr(attr));
                }
            }
        }
        // Subnets known at plan time must span two zones, in the composite's VPC.
        crate::kit::placement::check_subnets(
            aws,
            req.prior,
            &resp.planned,
            Some("vpc_id"),
            "A Multi-AZ database and a Redis group with failover need",
            &mut resp.diagnostics,
        )
        .await;
    }

    async fn create(&self, aws: &Aws, req: CreateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, &Value::Null, req.planned, req.config, resp)
            .await;
    }

    async fn read(&self, aws: &Aws, req: ReadRequest<'_>, resp: &mut ReadResponse) {
        let d = Desired::from_value(req.state, &Value::Null);
        resp.private = req.private.to_vec();
        match ops::read(aws, &d).await {
            Ok(obs) if !obs.is_empty() => {
                let fp = &aws.fingerprint;
                let marked = obs
                    .db
                    .as_ref()
                    .is_some_and(|db| claim::marked(&db.tags, fp))
                    || obs
                        .redis
                        .as_ref()
                        .is_some_and(|g| claim::marked(&g.tags, fp));
                claim::release_when_read(marked, &d.name, ops::release_claim(aws, &d, &obs)).await;
                resp.state = state(aws, req.state, &obs);
            }
            Ok(_) => {
                tracing::info!(tier = %d.name, "the data tier is gone; removing it from state");
                resp.state = Value::Null;
            }
            Err(e) => {
                resp.state = req.state.clone();
                report(&mut resp.diagnostics, "Reading", &d.name, vec![e]);
            }
        }
    }

    async fn update(&self, aws: &Aws, req: UpdateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, req.prior, req.planned, req.config, resp)
            .await;
        if resp.state.is_null() {
            resp.state = req.prior.clone();
        }
    }

    async fn plan_destroy(&self, aws: &Aws, req: DestroyPlanRequest<'_>, diags: &mut Diagnostics) {
        let d = Desired::from_value(req.prior, &Value::Null);
        destroy_guards(aws, &d, diags).await;
    }

    async fn delete(&self, aws: &Aws, req: DeleteRequest<'_>, resp: &mut DeleteResponse) {
        let d = Desired::from_value(req.prior, &Value::Null);
        // Checked at plan already; again here, as the world may have changed since.
        let Some(obs) = destroy_guards(aws, &d, &mut resp.diagnostics).await else {
            return;
        };
        let snapshot =
            (d.postgres.final_snapshot && obs.db.is_some()).then(|| ops::final_snapshot_id(&d));
        let errs = ops::delete(
            aws,
            &req.stop,
            &d,
            &obs,
            snapshot.as_deref(),
            deadline_in(d.timeouts.delete),
        )
        .await;
        let failed = !errs.is_empty();
        report(&mut resp.diagnostics, "Deleting", &d.name, errs);
        if let (Some(id), false) = (snapshot, failed) {
            resp.diagnostics.warning(
                format!("Final snapshot {id} taken"),
                format!(
                    "The database of data tier {:?} was snapshotted before deletion as {id}. Restore it with \
                     postgres {{ restore_from_snapshot = \"{id}\" }}. The tier's KMS key ({}) is kept, \
                     because the snapshot cannot be restored without it.",
                    d.name,
                    obs.own_key.as_deref().unwrap_or("supplied")
                ),
            );
        }
    }

    async fn import(&self, aws: &Aws, req: ImportRequest<'_>, resp: &mut ImportResponse) {
        let name = req.id.trim();
        match import_config(aws, name).await {
            Ok(config) => {
                let d = Desired::from_value(&config, &Value::Null);
                match ops::read(aws, &d).await {
                    Ok(obs) if obs.db.is_some() => {
                        resp.state = state(aws, &config, &obs);
                        schema().block.spell_out_implied(&mut resp.state);
                    }
                    Ok(_) => resp.diagnostics.error(
                        format!("Cannot import data tier {name:?}"),
                        "Its DB instance does not exist.",
                    ),
                    Err(e) => report(&mut resp.diagnostics, "Importing", name, vec![e]),
                }
            }
            Err(why) => resp
                .diagnostics
                .error(format!("Cannot import data tier {name:?}"), why),
        }
    }
}

/// The destroy guards (deletion protection, buckets holding objects without
/// `force_destroy`), every refusal said at once. `None` when the tier must not be
/// deleted (or could not be read); otherwise what exists, for the delete.
async fn destroy_guards(aws: &Aws, d: &Desired, diags: &mut Diagnostics) -> Option<Observed> {
    let checked = async {
        let obs = ops::read(aws, d).await?;
        let contents = ops::bucket_contents(aws, d, &obs).await?;
        Ok::<_, AwsError>((obs, contents))
    };
    let (obs, contents) = match checked.await {
        Ok(c) => c,
        Err(e) => {
            report(diags, "Deleting", &d.name, vec![e]);
            return None;
        }
    };
    let refusals = ops::refusals(d, &obs, &contents);
    for (attr, why) in &refusals {
        diags.attr_error(
            AttrPath::attr(attr),
            format!(
                "Data tier {:?} cannot be destroyed yet; nothing was deleted",
                d.name
            ),
            why.clone(),
        );
    }
    refusals.is_empty().then_some(obs)
}

impl DataTier {
    async fn apply(
        &self,
        aws: &Aws,
        stop: &Stop,
        prior: &Value,
        planned: &Value,
        config: &Value,
        resp: &mut ApplyResponse,
    ) {
        let create = prior.is_null();
        let mut d = Desired::from_value(planned, config);
        let (action, limit) = d.timeouts.for_apply(create);
        let deadline = deadline_in(limit);
        if create {
            d.creating = Some(aws.fingerprint.clone());
        }
        let changed = |block: &str, attrs: [&str; 2]| {
            attrs
                .iter()
                .any(|a| prior.get(block).get(a) != planned.get(block).get(a))
        };
        let changes = ops::Changes {
            password: !create && changed("postgres", ["password", "password_version"]),
            auth_token: !create && changed("redis", ["auth_token", "auth_token_version"]),
            tags: !create && prior.get("tags") != planned.get("tags"),
            removed_buckets: removed_buckets(prior, planned),
        };
        match ops::reconcile(aws, stop, &d, changes, deadline).await {
            Ok(errs) => {
                report(&mut resp.diagnostics, action, &d.name, errs);
                // The tier keeps its claim marks until the first read: see kit::claim.
                let obs = ops::read(aws, &d).await;
                match obs {
                    Ok(obs) if !obs.is_empty() => resp.state = state(aws, planned, &obs),
                    Ok(_) => {}
                    Err(e) => report(&mut resp.diagnostics, action, &d.name, vec![e]),
                }
            }
            // Something of that name is not ours: nothing was made, nothing is recorded.
            Err(e @ claim::ClaimError::Taken { .. }) => {
                report_tier(&mut resp.diagnostics, action, &d.name, e)
            }
            Err(e) => {
                report_tier(&mut resp.diagnostics, action, &d.name, e);
                if let Ok(obs) = ops::read(aws, &d).await {
                    if !obs.is_empty() {
                        resp.state = state(aws, planned, &obs);
                    }
                }
            }
        }
    }
}

/// The configuration of a tier this provider created, rebuilt from AWS for
/// import: what AWS reports (defaults are spelled out afterwards, see
/// `Block::spell_out_implied`), and from the DB instance's settings tag what it
/// cannot (`force_destroy`, `final_snapshot`, versions of write-only values,
/// the snapshot it was restored from).
async fn import_config(aws: &Aws, name: &str) -> Result<Value, String> {
    let db_id = format!("{name}-postgres");
    let r = aws
        .rds
        .describe_db_instances()
        .db_instance_identifier(&db_id)
        .send()
        .await
        .op("DescribeDBInstances")
        .map_err(|e| format!("no DB instance {db_id}: {e}"))?;
    let Some(i) = r.db_instances().first() else {
        return Err(format!("no DB instance {db_id}"));
    };
    let tags = crate::kit::tags::rds::map(i.tag_list());
    if !crate::kit::tags::owned_by(&tags, name, ops::COMPONENT) {
        return Err(format!("{db_id} was not created by an ode_data_tier named {name:?}; only tiers this provider made can be imported."));
    }
    let group = i.db_subnet_group();
    let vpc = group
        .and_then(|g| g.vpc_id())
        .unwrap_or_default()
        .to_string();
    let subnets: Vec<String> = group
        .map(|g| {
            g.subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let settings = crate::kit::tags::decode_settings(&tags);
    let setting = |k: &str| settings.get(k).map(String::as_str);
    let number = |k: &str| {
        setting(k)
            .and_then(|n| n.parse::<i64>().ok())
            .map_or(Value::Null, Value::int)
    };
    let user_tags: BTreeMap<String, String> = tags
        .into_iter()
        .filter(|(k, _)| !k.starts_with(crate::aws::OWNERSHIP_PREFIX))
        .filter(|(k, _)| !aws.default_tags.contains_key(k))
        .collect();
    let bucket_keys = ops::bucket_keys(aws, name)
        .await
        .map_err(|e| e.to_string())?;
    let buckets = Value::Map(
        bucket_keys
            .iter()
            .map(|k| (k.clone(), Value::Map(BTreeMap::new())))
            .collect(),
    );
    let probe = Value::object([
        ("name", Value::string(name)),
        ("vpc_id", Value::string(&vpc)),
        ("buckets", buckets.clone()),
    ]);
    let d = Desired::from_value(&probe, &Value::Null);
    let obs = ops::read(aws, &d).await.map_err(|e| e.to_string())?;
    let (mut sgs, mut cidrs) = (Vec::new(), Vec::new());
    if let Some(sg) = obs.sgs.get("postgres") {
        for (_, src) in &sg.ingress {
            if src.starts_with("sg-") {
                sgs.push(src.clone());
            } else {
                cidrs.push(src.clone());
            }
        }
    }
    let list = |v: Vec<String>| {
        if v.is_empty() {
            Value::Null
        } else {
            Value::string_list(v)
        }
    };
    let kms = if obs.own_key.is_some() {
        Value::Null
    } else {
        Value::opt_string(i.kms_key_id().map(str::to_string))
    };
    let postgres = Value::object([
        (
            "database_name",
            Value::string(i.db_name().unwrap_or(PG_DATABASE)),
        ),
        (
            "username",
            Value::string(i.master_username().unwrap_or(PG_USERNAME)),
        ),
        (
            "final_snapshot",
            Value::Bool(setting("final_snapshot") != Some("false")),
        ),
        (
            "apply_immediately",
            Value::Bool(setting("apply_immediately") == Some("true")),
        ),
        ("password_version", number("password_version")),
        (
            "restore_from_snapshot",
            Value::opt_string(setting("restore_from_snapshot")),
        ),
        // The version that runs: a configuration writing it, or leaving the seed's
        // major to the default, plans no change (see `ops::same_line`).
        (
            "engine_version",
            Value::opt_string(i.engine_version().map(str::to_string)),
        ),
    ]);
    let mut redis = Value::object([("auth_token_version", number("auth_token_version"))]);
    if let Some(g) = &obs.redis {
        redis.set("at_rest_encryption", Value::Bool(g.at_rest_encryption));
        if !g.engine_version.is_empty() {
            redis.set("engine_version", Value::string(&g.engine_version));
        }
        // A token the tier did not generate is the user's; a tier made before the
        // settings tag does not say its version.
        if g.auth_token_enabled
            && obs.auth_secret_arn.is_none()
            && setting("auth_token_version").is_none()
        {
            redis.set("auth_token_version", Value::int(1));
        }
    }
    let buckets = if bucket_keys.is_empty() {
        Value::Null
    } else {
        buckets
    };
    Ok(Value::object([
        ("name", Value::string(name)),
        ("vpc_id", Value::string(vpc)),
        ("subnet_ids", Value::string_list(subnets)),
        ("allowed_security_group_ids", list(sgs)),
        ("allowed_cidr_blocks", list(cidrs)),
        ("kms_key_arn", kms),
        (
            "force_destroy",
            Value::Bool(setting("force_destroy") == Some("true")),
        ),
        (
            "tags",
            if user_tags.is_empty() {
                Value::Null
            } else {
                string_map(&user_tags)
            },
        ),
        ("postgres", postgres),
        ("redis", redis),
        ("buckets", buckets),
        ("timeouts", Value::Null),
        ("id", Value::string(name)),
    ]))
}

/// Engine versions against what RDS and ElastiCache offer today, at plan, for a
/// block whose engine or version changes (a new tier included), one Describe call
/// each: a major alone must have a minor on offer, a minor must be offered itself.
/// Valkey does not go back to Redis OSS.
async fn check_engine_versions(
    aws: &Aws,
    new_tier: bool,
    was: &Desired,
    now: &Desired,
    planned: &Value,
    diags: &mut Diagnostics,
) {
    if !new_tier && was.redis.engine == "valkey" && now.redis.engine == "redis" {
        diags.attr_error(
            AttrPath::attr("redis").then_attr("engine"),
            "Engine cannot go back",
            "ElastiCache upgrades a Redis OSS group to Valkey in place, but not back: keep \"valkey\", or make a new tier from a snapshot.",
        );
        return;
    }
    let blocks = [
        (
            "postgres",
            ops::Engine::Postgres,
            was.postgres.engine_version.as_str(),
            now.postgres.engine_version.as_str(),
            false,
        ),
        (
            "redis",
            now.cache_engine(),
            was.redis.engine_version.as_str(),
            now.redis.engine_version.as_str(),
            was.redis.engine != now.redis.engine,
        ),
    ];
    for (block, engine, from, to, engine_changed) in blocks {
        let lowered = !new_tier && ops::is_downgrade(from, to); // refused on its own
        if !planned.get(block).is_wholly_known()
            || lowered
            || !(new_tier || engine_changed || from != to)
        {
            continue;
        }
        let at = AttrPath::attr(block).then_attr("engine_version");
        match ops::offered(aws, engine, to).await {
            Ok(offered) => {
                if let Some(why) = ops::refusal(engine, to, &offered) {
                    diags.attr_error(at, "Engine version not offered", why);
                }
            }
            // Without the permission the check is skipped, and said so: apply would
            // still fail on a version AWS refuses.
            Err(e) if e.is_permission() => diags.warning(
                format!("{} versions not checked", engine.title()),
                format!(
                    "Could not list the versions {} offers: {e}",
                    engine.service()
                ),
            ),
            Err(e) => diags.attr_error(at, "Checking the engine version", e.to_string()),
        }
    }
}
