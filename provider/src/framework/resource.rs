//! What a resource implements, and the request/response structs it sees.
//!
//! Every method takes a request struct and fills a response struct, so adding
//! a field later never breaks an implementation. Only `schema`, `create`,
//! `read`, `update` and `delete` are required; validation, plan modification,
//! import and state upgrades have defaults.

use async_trait::async_trait;

use super::diag::{AttrPath, Diagnostics};
use super::schema::Schema;
use super::stop::Stop;
use super::value::Value;

/// Plan-time view of one resource instance, after the framework's pipeline ran.
pub struct PlanRequest<'a> {
    /// Cancelled when the core asks the provider to stop (Ctrl-C).
    pub stop: Stop,
    /// State before this change; null when the object is about to be created.
    pub prior: &'a Value,
    /// The configuration as written (unknowns where it depends on other resources).
    pub config: &'a Value,
    pub prior_private: &'a [u8],
}

/// What [`Resource::modify_plan`] may change.
#[derive(Default)]
pub struct PlanResponse {
    /// The planned state; the framework's pipeline already applied defaults and
    /// marked changing computed values unknown.
    pub planned: Value,
    /// Attributes whose change forces replacement (schema-driven ones are already here).
    pub requires_replace: Vec<AttrPath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// The core plans to destroy the object (PlanResourceChange with a null proposed state).
pub struct DestroyPlanRequest<'a> {
    /// Cancelled when the core asks the provider to stop (Ctrl-C).
    pub stop: Stop,
    /// The state about to be destroyed (refreshed, unless the core was told not to).
    pub prior: &'a Value,
    pub prior_private: &'a [u8],
}

pub struct CreateRequest<'a> {
    /// Cancelled when the core asks the provider to stop (Ctrl-C).
    pub stop: Stop,
    pub config: &'a Value,
    pub planned: &'a Value,
    pub planned_private: &'a [u8],
}

pub struct UpdateRequest<'a> {
    /// Cancelled when the core asks the provider to stop (Ctrl-C).
    pub stop: Stop,
    pub prior: &'a Value,
    pub config: &'a Value,
    pub planned: &'a Value,
    pub planned_private: &'a [u8],
}

/// The result of a create or update.
///
/// On failure, `state` must still describe everything that exists (null only
/// when nothing was created), so that the core records it and nothing leaks.
#[derive(Default)]
pub struct ApplyResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest<'a> {
    /// Cancelled when the core asks the provider to stop (Ctrl-C).
    pub stop: Stop,
    pub state: &'a Value,
    pub private: &'a [u8],
}

/// The refreshed state: null when the object no longer exists.
#[derive(Default)]
pub struct ReadResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct DeleteRequest<'a> {
    /// Cancelled when the core asks the provider to stop (Ctrl-C).
    pub stop: Stop,
    pub prior: &'a Value,
    pub private: &'a [u8],
}

#[derive(Default)]
pub struct DeleteResponse {
    pub diagnostics: Diagnostics,
}

pub struct ImportRequest<'a> {
    /// The id the user gave to `import`.
    pub id: &'a str,
    pub stop: Stop,
}

/// An imported object: a state good enough for the core's following Read.
#[derive(Default)]
pub struct ImportResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// A managed resource type. `D` is the provider's configured data (AWS clients).
#[async_trait]
pub trait Resource<D>: Send + Sync {
    /// The full type name, e.g. `ode_state_backend`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks configuration values (unknowns must be tolerated). Runs without AWS access.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Resource-level plan hook, run after the schema-driven pipeline.
    async fn modify_plan(&self, _data: &D, _req: PlanRequest<'_>, _resp: &mut PlanResponse) {}

    /// Destroy guards, checked when the core plans a destroy: an error here fails
    /// the plan, so nothing anywhere in that run is deleted. `delete` checks the
    /// same guards again (the world may change between plan and apply).
    async fn plan_destroy(
        &self,
        _data: &D,
        _req: DestroyPlanRequest<'_>,
        _diags: &mut Diagnostics,
    ) {
    }

    async fn create(&self, data: &D, req: CreateRequest<'_>, resp: &mut ApplyResponse);

    async fn read(&self, data: &D, req: ReadRequest<'_>, resp: &mut ReadResponse);

    async fn update(&self, data: &D, req: UpdateRequest<'_>, resp: &mut ApplyResponse);

    /// Deletes everything the object owns; already-gone parts count as deleted.
    async fn delete(&self, data: &D, req: DeleteRequest<'_>, resp: &mut DeleteResponse);

    /// Builds a state from an import id. The default says import is not supported.
    async fn import(&self, _data: &D, _req: ImportRequest<'_>, resp: &mut ImportResponse) {
        resp.diagnostics.error(
            "Import not supported",
            format!("{} cannot be imported.", self.type_name()),
        );
    }

    /// Brings state written by the older schema `version` to the current one. The
    /// server decodes it with the current type first (attributes the current
    /// schema no longer has are dropped, new ones are null) and refuses state of a
    /// newer version; the default changes nothing.
    fn upgrade_state(&self, version: i64, state: Value) -> Result<Value, String> {
        let _ = version;
        Ok(state)
    }
}
