//! `ode_state_backend`: the S3 bucket and DynamoDB table that hold and lock
//! Terraform state, as one resource.

mod model;
mod ops;
mod schema;

use async_trait::async_trait;

use crate::aws::{validate as awsv, Aws};
use crate::framework::*;
use crate::kit::claim;
use model::*;
use ops::Failure;

pub use schema::TYPE_NAME;

pub struct StateBackend;

/// Reports a failure as a diagnostic, against the attribute at fault when there is one.
fn report(diags: &mut Diagnostics, action: &str, d: &Desired, f: Failure) {
    match f {
        Failure::Aws(e) => diags.error(
            format!("{action} state backend {:?}", d.bucket),
            e.to_string(),
        ),
        Failure::Foreign { attribute, detail } => diags.attr_error(
            AttrPath::attr(attribute),
            format!("{action} state backend {:?}", d.bucket),
            detail,
        ),
        Failure::NotEmpty { versions } => diags.attr_error(
            AttrPath::attr("force_destroy"),
            format!("State bucket {:?} is not empty", d.bucket),
            format!(
                "The bucket still holds {versions}{} object version(s) or delete marker(s): \
                 state that may still be in use. Nothing was deleted. To delete the bucket \
                 with everything in it, set force_destroy = true, apply, then destroy again.",
                if versions >= 1000 { "+" } else { "" }
            ),
        ),
    }
}

impl StateBackend {
    /// Reads the backend back after a create or update and fills the response.
    async fn finish(&self, aws: &Aws, d: &Desired, action: &str, resp: &mut ApplyResponse) {
        match ops::read(aws, d).await {
            Ok(Some(seen)) => resp.state = state(aws, d, &seen),
            Ok(None) => resp.state = Value::Null,
            Err(e) => report(&mut resp.diagnostics, action, d, e.into()),
        }
    }
}

#[async_trait]
impl Resource<Aws> for StateBackend {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    /// Each attribute's rules are declared with it in the schema.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        crate::kit::timeouts::validate(config, diags);
    }

    async fn modify_plan(&self, aws: &Aws, req: PlanRequest<'_>, resp: &mut PlanResponse) {
        let p = &mut resp.planned;
        let known = |v: &Value| v.is_wholly_known();
        p.set("region", Value::string(&aws.region));
        crate::kit::placement::check_kms_region(aws, p, "kms_key_arn", "S3", &mut resp.diagnostics);
        if let Some(b) = p.get("bucket").as_str() {
            let b = b.to_string();
            p.set("id", Value::string(&b));
            p.set("bucket_arn", Value::string(bucket_arn(aws, &b)));
        }
        // The settings this resource enforces: a drifted value read back from AWS
        // plans a change back to these, which apply then restores.
        p.set("versioning", Value::string(VERSIONING_ON));
        p.set("public_access_blocked", Value::Bool(true));
        p.set("tls_only_policy", Value::Bool(true));
        p.set("point_in_time_recovery", Value::Bool(true));
        let kms = p.get("kms_key_arn").clone();
        p.set(
            "encryption",
            match kms {
                Value::Unknown => Value::Unknown,
                Value::Null => Value::string(ENC_AES),
                _ => Value::string(ENC_KMS),
            },
        );
        let tags = req.config.get("tags");
        p.set(
            "tags_all",
            if known(tags) {
                Value::string_map(aws.tags_all(&tags.to_string_map()).iter())
            } else {
                Value::Unknown
            },
        );
        let inputs = ["bucket", "lock_table", "state_key", "kms_key_arn"];
        let snippet = if inputs.iter().all(|a| known(p.get(a))) {
            Value::string(backend_config(&Desired::from_value(p), &aws.region))
        } else {
            Value::Unknown
        };
        p.set("backend_config", snippet);
        // A lock table deleted outside Terraform is recreated by the next apply.
        if !req.prior.is_null() && req.prior.get("lock_table_arn").is_null() {
            p.set("lock_table_arn", Value::Unknown);
        }
    }

    async fn create(&self, aws: &Aws, req: CreateRequest<'_>, resp: &mut ApplyResponse) {
        let mut d = Desired::from_value(req.planned);
        d.creating = Some(aws.fingerprint.clone());
        if let Err(f) = ops::create(aws, &req.stop, &d).await {
            report(&mut resp.diagnostics, "Creating", &d, f);
        }
        // Even after a failure, record whatever exists so nothing is forgotten.
        self.finish(aws, &d, "Creating", resp).await;
    }

    async fn read(&self, aws: &Aws, req: ReadRequest<'_>, resp: &mut ReadResponse) {
        let d = Desired::from_value(req.state);
        match ops::read_halves(aws, &d).await {
            Ok((Some(bucket), table)) => {
                let seen = Seen { bucket, table };
                let fp = &aws.fingerprint;
                let marked = claim::marked(&seen.bucket.tags, fp)
                    || seen
                        .table
                        .as_ref()
                        .is_some_and(|t| claim::marked(&t.tags, fp));
                claim::release_when_read(marked, &d.bucket, ops::release_claim(aws, &d)).await;
                resp.state = state(aws, &d, &seen);
            }
            // The bucket was deleted outside Terraform (or by a destroy that was cut
            // short) while its lock table remains: the state keeps the backend, so
            // that apply makes the bucket again and destroy deletes the table.
            Ok((None, Some(_))) if !req.state.get("lock_table_arn").is_null() => {
                tracing::info!(bucket = %d.bucket, "the state bucket is gone while its lock table remains");
                let mut st = req.state.clone();
                st.set("bucket_arn", Value::Null);
                resp.state = st;
            }
            Ok((None, _)) => {
                tracing::info!(bucket = %d.bucket, "state bucket is gone; removing from state");
                resp.state = Value::Null;
            }
            Err(e) => report(&mut resp.diagnostics, "Reading", &d, e.into()),
        }
        resp.private = req.private.to_vec();
    }

    async fn update(&self, aws: &Aws, req: UpdateRequest<'_>, resp: &mut ApplyResponse) {
        let d = Desired::from_value(req.planned);
        let seen = match ops::read(aws, &d).await {
            Ok(Some(seen)) => seen,
            // Deleted outside Terraform while the table remains: made again.
            Ok(None) => {
                match ops::make_bucket(aws, &d).await {
                    Ok(()) => self.finish(aws, &d, "Updating", resp).await,
                    Err(f) => {
                        report(&mut resp.diagnostics, "Updating", &d, f);
                        resp.state = req.prior.clone();
                    }
                }
                return;
            }
            Err(e) => {
                report(&mut resp.diagnostics, "Updating", &d, e.into());
                resp.state = req.prior.clone();
                return;
            }
        };
        if let Err(f) = ops::update(aws, &req.stop, &d, &seen).await {
            report(&mut resp.diagnostics, "Updating", &d, f);
        }
        self.finish(aws, &d, "Updating", resp).await;
    }

    async fn plan_destroy(&self, aws: &Aws, req: DestroyPlanRequest<'_>, diags: &mut Diagnostics) {
        let d = Desired::from_value(req.prior);
        if let Err(f) = ops::destroy_guard(aws, &d).await {
            report(diags, "Deleting", &d, f);
        }
    }

    async fn delete(&self, aws: &Aws, req: DeleteRequest<'_>, resp: &mut DeleteResponse) {
        let d = Desired::from_value(req.prior);
        let owns_table = !req.prior.get("lock_table_arn").is_null();
        if let Err(f) = ops::delete(aws, &req.stop, &d, owns_table).await {
            report(&mut resp.diagnostics, "Deleting", &d, f);
        }
    }

    async fn import(&self, aws: &Aws, req: ImportRequest<'_>, resp: &mut ImportResponse) {
        let bucket = req.id.trim();
        if let Err(why) = awsv::bucket_name(bucket) {
            resp.diagnostics.error(
                "Invalid import ID",
                format!("Import ode_state_backend by its bucket name. {why}"),
            );
            return;
        }
        let (lock_table, state_key) = match ops::ownership(aws, bucket).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                resp.diagnostics.error(
                    format!("Cannot import state backend {bucket:?}"),
                    "The bucket does not exist, or it has no ode:lock-table tag and so was not \
                     created by ode_state_backend.",
                );
                return;
            }
            Err(e) => {
                resp.diagnostics
                    .error(format!("Importing state backend {bucket:?}"), e.to_string());
                return;
            }
        };
        let mut d = Desired {
            bucket: bucket.to_string(),
            lock_table,
            state_key,
            kms_key_arn: None,
            force_destroy: false,
            tags: None,
            timeouts_block: Value::Null,
            timeouts: crate::kit::timeouts::Timeouts::from_value(&Value::Null, DEFAULT_TIMEOUT),
            creating: None,
        };
        match ops::read(aws, &d).await {
            Ok(Some(seen)) => {
                d.kms_key_arn = seen.bucket.kms_key_arn.clone();
                // User tags are what the bucket carries beyond the provider's defaults.
                let (visible, _) = crate::kit::tags::split(seen.bucket.tags.clone());
                let own: std::collections::BTreeMap<_, _> = visible
                    .into_iter()
                    .filter(|(k, v)| aws.default_tags.get(k) != Some(v))
                    .collect();
                d.tags = (!own.is_empty()).then_some(own);
                let settings = crate::kit::tags::decode_settings(&seen.bucket.tags);
                d.force_destroy = settings.get("force_destroy").map(String::as_str) == Some("true");
                resp.state = state(aws, &d, &seen);
                schema::schema().block.spell_out_implied(&mut resp.state);
            }
            Ok(None) => resp.diagnostics.error(
                format!("Cannot import state backend {bucket:?}"),
                "The bucket does not exist.",
            ),
            Err(e) => resp
                .diagnostics
                .error(format!("Importing state backend {bucket:?}"), e.to_string()),
        }
    }
}
