//! The provider as the framework sees it: its own schema, configuration, and
//! the resources and functions it offers.

use std::sync::Arc;

use async_trait::async_trait;

use super::diag::Diagnostics;
use super::function::Function;
use super::resource::Resource;
use super::schema::Schema;
use super::value::Value;

pub struct ConfigureRequest<'a> {
    /// The core's version string, e.g. "1.12.6".
    pub core_version: &'a str,
    pub config: &'a Value,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every resource call receives (AWS clients, settings).
    type Data: Send + Sync + 'static;

    fn schema(&self) -> Schema;

    /// Checks the provider block's values; runs before `configure`, without AWS access.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the configured data once; errors go to `diags`.
    async fn configure(
        &self,
        req: ConfigureRequest<'_>,
        diags: &mut Diagnostics,
    ) -> Option<Self::Data>;

    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}
