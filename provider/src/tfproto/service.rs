//! The tfplugin6 `Provider` service: decode, call the framework, encode.

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status};

use super::convert::{self, decode, diagnostics, encode};
use super::pb;
use crate::framework::codec::{self, Attrs};
use crate::framework::{Diagnostics, Provider, Server, Type, Value};

pub struct ProviderService<P: Provider> {
    server: Arc<Server<P>>,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(server: Arc<Server<P>>) -> Self {
        ProviderService { server }
    }

    fn resource_type(&self, name: &str) -> Result<&Type, Diagnostics> {
        self.server
            .resource_type(name)
            .ok_or_else(|| crate::framework::server::unknown_type(name))
    }
}

/// Logs one RPC's name, resource type and duration (never its values).
struct RpcSpan {
    rpc: &'static str,
    type_name: String,
    start: Instant,
}

impl RpcSpan {
    fn new(rpc: &'static str, type_name: &str) -> Self {
        tracing::trace!(rpc, type_name, "rpc start");
        RpcSpan {
            rpc,
            type_name: type_name.to_string(),
            start: Instant::now(),
        }
    }
}

impl Drop for RpcSpan {
    fn drop(&mut self) {
        let micros = self.start.elapsed().as_micros() as u64;
        tracing::debug!(rpc = self.rpc, type_name = %self.type_name, micros, "rpc done");
    }
}

/// Runs `body`, turning an early `Err(diags)` into the response's diagnostics.
macro_rules! try_diags {
    ($resp:ty, $body:block) => {{
        let r: Result<$resp, Diagnostics> = async { $body }.await;
        r.unwrap_or_else(|d| <$resp>::from_diags(d))
    }};
}

trait FromDiags {
    fn from_diags(d: Diagnostics) -> Self;
}

macro_rules! from_diags {
    ($($t:ty),*) => {$(
        impl FromDiags for $t {
            fn from_diags(d: Diagnostics) -> Self {
                let mut r = Self::default();
                r.diagnostics = diagnostics(d);
                r
            }
        }
    )*};
}

from_diags!(
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::upgrade_resource_state::Response,
    pb::validate_resource_config::Response,
    pb::validate_provider_config::Response,
    pb::configure_provider::Response
);

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _req: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        let _span = RpcSpan::new("GetMetadata", "");
        let s = self.server.schemas();
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: Vec::new(),
            data_sources: Vec::new(),
            resources: s
                .resources
                .keys()
                .map(|n| pb::get_metadata::ResourceMetadata {
                    type_name: n.to_string(),
                })
                .collect(),
            functions: s
                .functions
                .iter()
                .map(|f| pb::get_metadata::FunctionMetadata {
                    name: f.name().to_string(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _req: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        let _span = RpcSpan::new("GetProviderSchema", "");
        let s = self.server.schemas();
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(convert::schema(s.provider)),
            resource_schemas: s
                .resources
                .iter()
                .map(|(n, sc)| (n.to_string(), convert::schema(sc)))
                .collect(),
            data_source_schemas: Default::default(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(capabilities()),
            functions: s
                .functions
                .iter()
                .map(|f| (f.name().to_string(), convert::function(f.as_ref())))
                .collect(),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let _span = RpcSpan::new("ValidateProviderConfig", "");
        let req = req.into_inner();
        Ok(Response::new(try_diags!(
            pb::validate_provider_config::Response,
            {
                let config = decode(req.config.as_ref(), self.server.provider_type())?;
                let d = self.server.validate_provider_config(&config);
                Ok(pb::validate_provider_config::Response {
                    diagnostics: diagnostics(d),
                })
            }
        )))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let _span = RpcSpan::new("ValidateResourceConfig", &req.type_name);
        Ok(Response::new(try_diags!(
            pb::validate_resource_config::Response,
            {
                let ty = self.resource_type(&req.type_name)?;
                let config = decode(req.config.as_ref(), ty)?;
                let d = self.server.validate_resource_config(
                    &req.type_name,
                    &config,
                    req.client_capabilities
                        .as_ref()
                        .is_some_and(|c| c.write_only_attributes_allowed),
                );
                Ok(pb::validate_resource_config::Response {
                    diagnostics: diagnostics(d),
                })
            }
        )))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let mut d = Diagnostics::default();
        d.error(
            "Unknown data source",
            format!("This provider has no data source {:?}.", req.type_name),
        );
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics(d),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let _span = RpcSpan::new("UpgradeResourceState", &req.type_name);
        Ok(Response::new(try_diags!(
            pb::upgrade_resource_state::Response,
            {
                let ty = self.resource_type(&req.type_name)?;
                let raw = req.raw_state.unwrap_or_default();
                if raw.json.is_empty() {
                    let mut d = Diagnostics::default();
                    if !raw.flatmap.is_empty() {
                        d.error(
                        "Unsupported state format",
                        "This state uses the legacy flatmap format, which this provider never wrote.",
                    );
                    }
                    return Ok(pb::upgrade_resource_state::Response {
                        upgraded_state: Some(encode(&Value::Null, ty)?),
                        diagnostics: diagnostics(d),
                    });
                }
                let json: serde_json::Value = serde_json::from_slice(&raw.json).map_err(|e| {
                    let mut d = Diagnostics::default();
                    d.error("Malformed stored state", e.to_string());
                    d
                })?;
                let (upgraded, d) = self.server.upgrade(&req.type_name, req.version, json);
                if d.has_errors() {
                    return Err(d);
                }
                let bytes = upgraded.to_string();
                let value =
                    codec::from_json(bytes.as_bytes(), ty, Attrs::DropUnknown).map_err(|e| {
                        let mut d = Diagnostics::default();
                        d.error("Stored state does not fit the schema", e.to_string());
                        d
                    })?;
                let out = encode(&value, ty)?;
                Ok(pb::upgrade_resource_state::Response {
                    upgraded_state: Some(out),
                    diagnostics: diagnostics(d),
                })
            }
        )))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let _span = RpcSpan::new("ConfigureProvider", "");
        let req = req.into_inner();
        Ok(Response::new(try_diags!(
            pb::configure_provider::Response,
            {
                let config = decode(req.config.as_ref(), self.server.provider_type())?;
                let d = self.server.configure(&req.terraform_version, &config).await;
                Ok(pb::configure_provider::Response {
                    diagnostics: diagnostics(d),
                })
            }
        )))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let _span = RpcSpan::new("ReadResource", &req.type_name);
        Ok(Response::new(try_diags!(pb::read_resource::Response, {
            let ty = self.resource_type(&req.type_name)?;
            let state = decode(req.current_state.as_ref(), ty)?;
            let resp = self.server.read(&req.type_name, &state, &req.private).await;
            // On a failed read keep what the core had, so nothing is forgotten.
            let (new_state, private) = if resp.diagnostics.has_errors() {
                (state, req.private)
            } else {
                (resp.state, resp.private)
            };
            Ok(pb::read_resource::Response {
                new_state: Some(encode(&new_state, ty)?),
                diagnostics: diagnostics(resp.diagnostics),
                private,
                deferred: None,
                new_identity: None,
            })
        })))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let _span = RpcSpan::new("PlanResourceChange", &req.type_name);
        Ok(Response::new(try_diags!(
            pb::plan_resource_change::Response,
            {
                let ty = self.resource_type(&req.type_name)?;
                let prior = decode(req.prior_state.as_ref(), ty)?;
                let proposed = decode(req.proposed_new_state.as_ref(), ty)?;
                let config = decode(req.config.as_ref(), ty)?;
                let out = self
                    .server
                    .plan(
                        &req.type_name,
                        &prior,
                        &proposed,
                        &config,
                        &req.prior_private,
                    )
                    .await;
                Ok(pb::plan_resource_change::Response {
                    planned_state: Some(encode(&out.planned, ty)?),
                    requires_replace: out.requires_replace.iter().map(convert::path).collect(),
                    planned_private: out.planned_private,
                    diagnostics: diagnostics(out.diagnostics),
                    legacy_type_system: false,
                    deferred: None,
                    planned_identity: None,
                })
            }
        )))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let _span = RpcSpan::new("ApplyResourceChange", &req.type_name);
        Ok(Response::new(try_diags!(
            pb::apply_resource_change::Response,
            {
                let ty = self.resource_type(&req.type_name)?;
                let prior = decode(req.prior_state.as_ref(), ty)?;
                let planned = decode(req.planned_state.as_ref(), ty)?;
                let config = decode(req.config.as_ref(), ty)?;
                let resp = self
                    .server
                    .apply(
                        &req.type_name,
                        &prior,
                        &planned,
                        &config,
                        &req.planned_private,
                    )
                    .await;
                Ok(pb::apply_resource_change::Response {
                    new_state: Some(encode(&resp.state, ty)?),
                    private: resp.private,
                    diagnostics: diagnostics(resp.diagnostics),
                    legacy_type_system: false,
                    new_identity: None,
                })
            }
        )))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let _span = RpcSpan::new("ImportResourceState", &req.type_name);
        Ok(Response::new(try_diags!(
            pb::import_resource_state::Response,
            {
                let ty = self.resource_type(&req.type_name)?;
                let resp = self.server.import(&req.type_name, &req.id).await;
                let imported = if resp.diagnostics.has_errors() || resp.state.is_null() {
                    Vec::new()
                } else {
                    vec![pb::import_resource_state::ImportedResource {
                        type_name: req.type_name.clone(),
                        state: Some(encode(&resp.state, ty)?),
                        private: resp.private,
                        identity: None,
                    }]
                };
                Ok(pb::import_resource_state::Response {
                    imported_resources: imported,
                    diagnostics: diagnostics(resp.diagnostics),
                    deferred: None,
                })
            }
        )))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let mut d = Diagnostics::default();
        d.error(
            "Unknown data source",
            format!("This provider has no data source {:?}.", req.type_name),
        );
        Ok(Response::new(pb::read_data_source::Response {
            state: None,
            diagnostics: diagnostics(d),
            deferred: None,
        }))
    }

    async fn get_functions(
        &self,
        _req: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        let _span = RpcSpan::new("GetFunctions", "");
        let s = self.server.schemas();
        Ok(Response::new(pb::get_functions::Response {
            functions: s
                .functions
                .iter()
                .map(|f| (f.name().to_string(), convert::function(f.as_ref())))
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let req = req.into_inner();
        let _span = RpcSpan::new("CallFunction", &req.name);
        let Some(f) = self.server.function(&req.name) else {
            return Ok(Response::new(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: format!("This provider has no function {:?}.", req.name),
                    function_argument: None,
                }),
            }));
        };
        let sig = f.signature();
        let mut args = Vec::with_capacity(req.arguments.len());
        for (i, (dv, p)) in req.arguments.iter().zip(&sig.params).enumerate() {
            match decode(Some(dv), &p.ty) {
                Ok(v) => args.push(v),
                Err(d) => {
                    let text = d.0.first().map(|x| x.detail.clone()).unwrap_or_default();
                    return Ok(Response::new(pb::call_function::Response {
                        result: None,
                        error: Some(pb::FunctionError {
                            text,
                            function_argument: Some(i as i64),
                        }),
                    }));
                }
            }
        }
        let out = match self.server.call_function(&req.name, &args) {
            Ok(v) => match encode(&v, &sig.returns) {
                Ok(dv) => pb::call_function::Response {
                    result: Some(dv),
                    error: None,
                },
                Err(d) => pb::call_function::Response {
                    result: None,
                    error: Some(pb::FunctionError {
                        text: d.0.first().map(|x| x.detail.clone()).unwrap_or_default(),
                        function_argument: None,
                    }),
                },
            },
            Err(e) => pb::call_function::Response {
                result: None,
                error: Some(convert::function_error(e)),
            },
        };
        Ok(Response::new(out))
    }

    async fn stop_provider(
        &self,
        _req: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        let _span = RpcSpan::new("StopProvider", "");
        self.server.stop();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: false,
    }
}
