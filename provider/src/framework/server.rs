//! The framework's server: routes each protocol operation, in native types, to
//! the provider, its resources and functions, and enforces the provider contract
//! (plan pipeline, write-only attributes, applied state matches the plan).
//!
//! Nothing here knows about protobuf; `tfproto` converts at the boundary.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tokio::sync::RwLock;

use super::diag::{AttrPath, Diagnostics};
use super::function::{Function, FunctionError};
use super::plan::{find_plan_mismatch, plan};
use super::provider::{ConfigureRequest, Provider};
use super::resource::*;
use super::schema::Schema;
use super::stop::StopSource;
use super::types::Type;
use super::value::Value;
use crate::framework::codec;

/// A resource with its schema and value type computed once.
struct Entry<D> {
    resource: Arc<dyn Resource<D>>,
    schema: Schema,
    ty: Type,
}

/// Everything `GetProviderSchema` answers.
pub struct Schemas<'a> {
    pub provider: &'a Schema,
    pub resources: BTreeMap<&'a str, &'a Schema>,
    pub functions: Vec<Arc<dyn Function>>,
}

/// The outcome of planning one resource instance.
#[derive(Default)]
pub struct PlanOutcome {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct Server<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<&'static str, Entry<P::Data>>,
    functions: Vec<Arc<dyn Function>>,
    data: RwLock<Option<Arc<P::Data>>>,
    stops: StopSource,
}

/// The diagnostic for a resource type this provider does not have.
pub fn unknown_type(name: &str) -> Diagnostics {
    let mut d = Diagnostics::default();
    d.error(
        "Unknown resource type",
        format!("This provider has no resource type {name:?}."),
    );
    d
}

/// A resource call that panicked: a provider bug, reported instead of ending the process.
struct Panicked(String);

impl Panicked {
    fn report(&self, name: &str, op: &str) -> Diagnostics {
        let mut d = Diagnostics::default();
        d.error(
            format!("Provider bug during {op} of {name}"),
            format!(
                "The provider panicked ({}). This is a bug; please report it. Objects this \
                 operation created carry ode:* ownership tags, and the next apply adopts what an \
                 unfinished create of the same resource left.",
                self.0
            ),
        );
        d
    }
}

/// Runs a resource call, catching a panic so that the plugin keeps serving.
async fn guarded(call: impl Future<Output = ()>) -> Result<(), Panicked> {
    AssertUnwindSafe(call)
        .catch_unwind()
        .await
        .map_err(|payload| {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            tracing::error!(panic = %text, "resource call panicked");
            Panicked(text)
        })
}

impl<P: Provider> Server<P> {
    pub fn new(provider: P) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                let ty = schema.value_type();
                (
                    r.type_name(),
                    Entry {
                        resource: r,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        let functions = provider.functions();
        Server {
            provider,
            provider_schema,
            provider_type,
            resources,
            functions,
            data: RwLock::new(None),
            stops: StopSource::default(),
        }
    }

    /// `StopProvider`: cancels every resource operation in flight.
    pub fn stop(&self) {
        tracing::info!("stop requested: cancelling operations in flight");
        self.stops.stop_all();
    }

    pub fn schemas(&self) -> Schemas<'_> {
        Schemas {
            provider: &self.provider_schema,
            resources: self
                .resources
                .iter()
                .map(|(k, e)| (*k, &e.schema))
                .collect(),
            functions: self.functions.clone(),
        }
    }

    pub fn provider_type(&self) -> &Type {
        &self.provider_type
    }

    /// The value type of a resource, for decoding its values.
    pub fn resource_type(&self, name: &str) -> Option<&Type> {
        self.resources.get(name).map(|e| &e.ty)
    }

    pub fn function(&self, name: &str) -> Option<&Arc<dyn Function>> {
        self.functions.iter().find(|f| f.name() == name)
    }

    pub fn validate_provider_config(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::default();
        self.provider.validate(config, &mut d);
        d
    }

    /// Validates a resource's configuration. `write_only_allowed` is the core's
    /// word that it keeps write-only values out of plans and state (cores before
    /// write-only attributes do not say so): without it, setting one is an error
    /// that points at the attribute.
    pub fn validate_resource_config(
        &self,
        name: &str,
        config: &Value,
        write_only_allowed: bool,
    ) -> Diagnostics {
        let Some(e) = self.resources.get(name) else {
            return unknown_type(name);
        };
        let mut d = Diagnostics::default();
        if !write_only_allowed {
            for at in e.schema.block.write_only_set(config, &AttrPath::root()) {
                d.attr_error(
                    at,
                    "Write-only attribute not supported by this core",
                    "This Terraform or OpenTofu version does not support write-only attributes \
                     (Terraform 1.11 and OpenTofu 1.11 are the first that do), so it would keep \
                     the value in plan and state. Use the sensitive attribute this one's \
                     description names instead, or upgrade the core.",
                );
            }
        }
        e.schema.block.run_checks(config, &AttrPath::root(), &mut d);
        e.resource.validate(config, &mut d);
        e.schema.block.point_at_map_elements(&mut d);
        d
    }

    pub async fn configure(&self, core_version: &str, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::default();
        self.provider.validate(config, &mut d);
        if d.has_errors() {
            return d;
        }
        let req = ConfigureRequest {
            core_version,
            config,
        };
        if let Some(data) = self.provider.configure(req, &mut d).await {
            *self.data.write().await = Some(Arc::new(data));
        }
        d
    }

    async fn data(&self, d: &mut Diagnostics) -> Option<Arc<P::Data>> {
        let data = self.data.read().await.clone();
        if data.is_none() {
            d.error(
                "Provider not configured",
                "The provider was asked to act before it was configured; see earlier errors.",
            );
        }
        data
    }

    pub async fn read(&self, name: &str, state: &Value, private: &[u8]) -> ReadResponse {
        let mut resp = ReadResponse::default();
        let Some(e) = self.resources.get(name) else {
            resp.diagnostics = unknown_type(name);
            return resp;
        };
        let Some(data) = self.data(&mut resp.diagnostics).await else {
            return resp;
        };
        let req = ReadRequest {
            state,
            private,
            stop: self.stops.token(),
        };
        if let Err(bug) = guarded(e.resource.read(&data, req, &mut resp)).await {
            resp.diagnostics = bug.report(name, "read");
            resp.state = state.clone();
            resp.private = private.to_vec();
        }
        resp
    }

    pub async fn plan(
        &self,
        name: &str,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: &[u8],
    ) -> PlanOutcome {
        let mut out = PlanOutcome::default();
        let Some(e) = self.resources.get(name) else {
            out.diagnostics = unknown_type(name);
            return out;
        };
        let base = plan(&e.schema.block, prior, proposed, config);
        if base.planned.is_null() {
            out.planned_private = prior_private.to_vec();
            if prior.is_null() {
                return out;
            }
            let Some(data) = self.data(&mut out.diagnostics).await else {
                return out;
            };
            let req = DestroyPlanRequest {
                prior,
                prior_private,
                stop: self.stops.token(),
            };
            let guard = e.resource.plan_destroy(&data, req, &mut out.diagnostics);
            if let Err(bug) = guarded(guard).await {
                out.diagnostics = bug.report(name, "destroy plan");
            }
            return out;
        }
        let Some(data) = self.data(&mut out.diagnostics).await else {
            return out;
        };
        let mut resp = PlanResponse {
            planned: base.planned,
            requires_replace: base.requires_replace,
            planned_private: prior_private.to_vec(),
            diagnostics: Diagnostics::default(),
        };
        let req = PlanRequest {
            prior,
            config,
            prior_private,
            stop: self.stops.token(),
        };
        if let Err(bug) = guarded(e.resource.modify_plan(&data, req, &mut resp)).await {
            out.diagnostics = bug.report(name, "plan");
            return out;
        }
        resp.requires_replace.sort();
        resp.requires_replace.dedup();
        if !prior.is_null() {
            // Paths only, never values: they may be secrets.
            if let Some(at) = find_plan_mismatch(&resp.planned, prior, AttrPath::root()) {
                tracing::debug!(resource = name, first_change = %at, "the plan changes the object");
            }
        }
        out.planned = resp.planned;
        out.requires_replace = resp.requires_replace;
        out.planned_private = resp.planned_private;
        out.diagnostics = resp.diagnostics;
        e.schema.block.point_at_map_elements(&mut out.diagnostics);
        out
    }

    pub async fn apply(
        &self,
        name: &str,
        prior: &Value,
        planned: &Value,
        config: &Value,
        planned_private: &[u8],
    ) -> ApplyResponse {
        let mut resp = ApplyResponse::default();
        let Some(e) = self.resources.get(name) else {
            resp.diagnostics = unknown_type(name);
            return resp;
        };
        let Some(data) = self.data(&mut resp.diagnostics).await else {
            resp.state = prior.clone();
            return resp;
        };
        if planned.is_null() {
            let mut del = DeleteResponse::default();
            let req = DeleteRequest {
                prior,
                private: planned_private,
                stop: self.stops.token(),
            };
            if let Err(bug) = guarded(e.resource.delete(&data, req, &mut del)).await {
                del.diagnostics.extend(bug.report(name, "delete"));
            }
            resp.diagnostics = del.diagnostics;
            // On failure the object still exists: keep it in state.
            if resp.diagnostics.has_errors() {
                resp.state = prior.clone();
                resp.private = planned_private.to_vec();
            }
            return resp;
        }
        let stop = self.stops.token();
        let outcome = if prior.is_null() {
            let req = CreateRequest {
                config,
                planned,
                planned_private,
                stop,
            };
            guarded(e.resource.create(&data, req, &mut resp)).await
        } else {
            let req = UpdateRequest {
                prior,
                config,
                planned,
                planned_private,
                stop,
            };
            guarded(e.resource.update(&data, req, &mut resp)).await
        };
        if let Err(bug) = outcome {
            // What the call made is unknown: keep what state had, and say so.
            resp.diagnostics = bug.report(name, if prior.is_null() { "create" } else { "update" });
            resp.state = prior.clone();
            resp.private = planned_private.to_vec();
            return resp;
        }
        e.schema.block.null_write_only(&mut resp.state);
        if resp.diagnostics.has_errors() && !resp.state.is_wholly_known() {
            // A partial result after a failure: what is not known is recorded as null,
            // so that the core keeps the object (and nothing it holds is forgotten).
            resp.state = std::mem::take(&mut resp.state).unknown_as_null();
        }
        if !resp.diagnostics.has_errors() && !resp.state.is_null() {
            if let Some(at) = find_plan_mismatch(planned, &resp.state, AttrPath::root()) {
                resp.diagnostics.attr_error(
                    at.clone(),
                    "Provider produced a result that differs from its plan",
                    format!(
                        "{name}: the applied value of {at} is not the planned one. This is a bug \
                         in the provider; please report it."
                    ),
                );
            }
            if !resp.state.is_wholly_known() {
                resp.diagnostics.error(
                    "Provider left values unknown after apply",
                    format!("{name}: this is a bug in the provider; please report it."),
                );
            }
        }
        resp
    }

    pub async fn import(&self, name: &str, id: &str) -> ImportResponse {
        let mut resp = ImportResponse::default();
        let Some(e) = self.resources.get(name) else {
            resp.diagnostics = unknown_type(name);
            return resp;
        };
        let Some(data) = self.data(&mut resp.diagnostics).await else {
            return resp;
        };
        let req = ImportRequest {
            id,
            stop: self.stops.token(),
        };
        if let Err(bug) = guarded(e.resource.import(&data, req, &mut resp)).await {
            resp.diagnostics = bug.report(name, "import");
            resp.state = Value::Null;
        }
        resp
    }

    /// Upgrades stored JSON state to the current schema; returns the JSON to decode.
    pub fn upgrade(
        &self,
        name: &str,
        version: i64,
        raw: serde_json::Value,
    ) -> (serde_json::Value, Diagnostics) {
        let Some(e) = self.resources.get(name) else {
            return (raw, unknown_type(name));
        };
        let mut d = Diagnostics::default();
        let current = e.schema.version;
        if version > current {
            d.error(
                "State written by a newer provider",
                format!(
                    "{name} state has schema version {version}, but this provider knows only up \
                     to {current}. Upgrade the provider."
                ),
            );
            return (raw, d);
        }
        if version == current {
            return (raw, d);
        }
        let upgraded =
            codec::from_json(raw.to_string().as_bytes(), &e.ty, codec::Attrs::DropUnknown)
                .map_err(|err| err.to_string())
                .and_then(|v| e.resource.upgrade_state(version, v))
                .and_then(|v| codec::to_json(&v, &e.ty).map_err(|err| err.to_string()));
        match upgraded {
            Ok(j) => (j, d),
            Err(why) => {
                d.error(format!("Upgrading {name} state"), why);
                (raw, d)
            }
        }
    }

    pub fn call_function(&self, name: &str, args: &[Value]) -> Result<Value, FunctionError> {
        match self.function(name) {
            Some(f) => f.call(args),
            None => Err(FunctionError {
                text: format!("This provider has no function {name:?}."),
                argument: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The server's safety nets, through a fake provider whose one resource
    //! misbehaves as its `mode` attribute says.

    use super::*;
    use crate::framework::schema::{Attribute, Block};

    struct Fake;

    #[async_trait::async_trait]
    impl Resource<()> for Fake {
        fn type_name(&self) -> &'static str {
            "fake_thing"
        }

        fn schema(&self) -> Schema {
            Schema::new(
                0,
                Block::new("A fake.")
                    .attr(
                        Attribute::string("mode")
                            .required()
                            .doc("How to misbehave."),
                    )
                    .attr(Attribute::bool("guard").optional().doc("Refuse destroy."))
                    .attr(Attribute::output("out", Type::String, "An output.")),
            )
        }

        async fn plan_destroy(&self, _: &(), req: DestroyPlanRequest<'_>, diags: &mut Diagnostics) {
            match req.prior.get("mode").as_str() {
                Some("panic") => panic!("destroy plan went wrong"),
                _ if req.prior.get("guard").as_bool() == Some(true) => {
                    diags.error("Guarded", "nothing was deleted")
                }
                _ => {}
            }
        }

        async fn create(&self, _: &(), req: CreateRequest<'_>, resp: &mut ApplyResponse) {
            let mut state = req.planned.clone();
            match req.planned.get("mode").as_str().unwrap_or_default() {
                "panic" => panic!("create went wrong"),
                "differ" => {
                    state.set("mode", Value::string("something else"));
                    state.set("out", Value::string("made"));
                }
                "unknown" => {}
                "wait" => {
                    req.stop.stopped().await;
                    state.set("out", Value::string("made before the stop"));
                    resp.diagnostics.error("Interrupted", "stopped by the core");
                }
                "fail-partial" => {
                    resp.diagnostics.error("Creating", "half made");
                }
                _ => state.set("out", Value::string("made")),
            }
            resp.state = state;
        }

        async fn read(&self, _: &(), req: ReadRequest<'_>, resp: &mut ReadResponse) {
            resp.state = req.state.clone();
        }

        async fn update(&self, _: &(), req: UpdateRequest<'_>, resp: &mut ApplyResponse) {
            resp.state = req.planned.clone();
        }

        async fn delete(&self, _: &(), req: DeleteRequest<'_>, resp: &mut DeleteResponse) {
            if req.prior.get("mode").as_str() == Some("stuck") {
                resp.diagnostics.error("Deleting", "AWS refused");
            }
        }
    }

    struct FakeProvider;

    #[async_trait::async_trait]
    impl Provider for FakeProvider {
        type Data = ();

        fn schema(&self) -> Schema {
            Schema::new(0, Block::new("The fake provider."))
        }

        async fn configure(&self, _: ConfigureRequest<'_>, _: &mut Diagnostics) -> Option<()> {
            Some(())
        }

        fn resources(&self) -> Vec<Arc<dyn Resource<()>>> {
            vec![Arc::new(Fake)]
        }
    }

    async fn server() -> Server<FakeProvider> {
        let s = Server::new(FakeProvider);
        assert!(s.configure("1.12.6", &Value::Null).await.is_empty());
        s
    }

    fn thing(mode: &str) -> Value {
        Value::object([
            ("mode", Value::string(mode)),
            ("guard", Value::Null),
            ("out", Value::Unknown),
        ])
    }

    /// Asks the server to create a thing that behaves as `mode` says.
    async fn create(s: &Server<FakeProvider>, mode: &str) -> ApplyResponse {
        let planned = thing(mode);
        s.apply("fake_thing", &Value::Null, &planned, &planned, &[])
            .await
    }

    fn said(d: &Diagnostics) -> String {
        d.0.iter()
            .map(|d| format!("{} {}", d.summary, d.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[tokio::test]
    async fn a_panicking_call_is_reported_and_the_server_keeps_serving() {
        let s = server().await;
        let r = create(&s, "panic").await;
        assert!(said(&r.diagnostics).contains("Provider bug during create of fake_thing"));
        assert!(said(&r.diagnostics).contains("create went wrong"));
        assert!(r.state.is_null(), "nothing is claimed to exist");
        let ok = create(&s, "fine").await;
        assert!(!ok.diagnostics.has_errors(), "{}", said(&ok.diagnostics));
        assert_eq!(ok.state.get("out"), &Value::string("made"));
    }

    #[tokio::test]
    async fn an_applied_value_that_differs_from_the_plan_is_named() {
        let s = server().await;
        let r = create(&s, "differ").await;
        let d = r.diagnostics.0.first().expect("a diagnostic");
        assert_eq!(
            d.summary,
            "Provider produced a result that differs from its plan"
        );
        assert_eq!(d.path, Some(AttrPath::attr("mode")));
    }

    #[tokio::test]
    async fn values_left_unknown_after_apply_are_an_error() {
        let s = server().await;
        let r = create(&s, "unknown").await;
        assert!(said(&r.diagnostics).contains("Provider left values unknown after apply"));
    }

    #[tokio::test]
    async fn a_partial_failure_keeps_what_exists_with_unknowns_as_null() {
        let s = server().await;
        let p = thing("fail-partial");
        let r = s.apply("fake_thing", &Value::Null, &p, &p, &[]).await;
        assert!(said(&r.diagnostics).contains("half made"));
        assert_eq!(r.state.get("mode"), &Value::string("fail-partial"));
        assert!(
            r.state.get("out").is_null(),
            "unknown becomes null so the core keeps the object"
        );
    }

    #[tokio::test]
    async fn stop_reaches_a_call_in_flight() {
        let s = Arc::new(server().await);
        let running = {
            let s = s.clone();
            tokio::spawn(async move { create(&s, "wait").await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        s.stop();
        let r = tokio::time::timeout(std::time::Duration::from_secs(5), running)
            .await
            .expect("the call ends once stopped")
            .expect("the task ran");
        assert!(said(&r.diagnostics).contains("Interrupted"));
        assert_eq!(r.state.get("out"), &Value::string("made before the stop"));
        // A call made after the stop gets a fresh token.
        let after = create(&s, "fine").await;
        assert!(!after.diagnostics.has_errors());
    }

    #[tokio::test]
    async fn destroy_guards_run_when_the_destroy_is_planned() {
        let s = server().await;
        let mut guarded = thing("fine");
        guarded.set("guard", Value::Bool(true));
        guarded.set("out", Value::string("made"));
        let refused = s
            .plan(
                "fake_thing",
                &guarded,
                &Value::Null,
                &Value::Null,
                b"private",
            )
            .await;
        assert!(said(&refused.diagnostics).contains("nothing was deleted"));
        assert!(refused.planned.is_null());
        let mut open = guarded.clone();
        open.set("guard", Value::Bool(false));
        let planned = s
            .plan("fake_thing", &open, &Value::Null, &Value::Null, b"private")
            .await;
        assert!(
            planned.diagnostics.is_empty(),
            "{}",
            said(&planned.diagnostics)
        );
        assert!(planned.planned.is_null());
        assert_eq!(planned.planned_private, b"private");
        // Nothing to destroy and nothing to make: no guard runs.
        let nothing = s
            .plan("fake_thing", &Value::Null, &Value::Null, &Value::Null, &[])
            .await;
        assert!(nothing.diagnostics.is_empty());
        let mut panicking = open.clone();
        panicking.set("mode", Value::string("panic"));
        let bug = s
            .plan("fake_thing", &panicking, &Value::Null, &Value::Null, &[])
            .await;
        assert!(said(&bug.diagnostics).contains("Provider bug during destroy plan of fake_thing"));
    }

    #[tokio::test]
    async fn a_failed_delete_keeps_the_object_in_state() {
        let s = server().await;
        let mut prior = thing("stuck");
        prior.set("out", Value::string("made"));
        let r = s
            .apply("fake_thing", &prior, &Value::Null, &Value::Null, b"p")
            .await;
        assert!(said(&r.diagnostics).contains("AWS refused"));
        assert_eq!(r.state, prior);
        assert_eq!(r.private, b"p");
    }
}
