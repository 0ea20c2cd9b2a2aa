//! The protocol boundary: the only module that sees protobuf (prost/tonic) types.
//!
//! `convert` turns protocol messages into framework types and back, `service`
//! implements the tfplugin6 `Provider` service on top of
//! [`framework::Server`](crate::framework::Server), and `goplugin` implements
//! the side services a go-plugin host expects (health, controller). [`router`]
//! assembles them for the go-plugin server in [`crate::plugin`].

mod convert;
mod goplugin;
mod service;

pub(crate) mod pb {
    #![allow(clippy::all, clippy::pedantic, missing_docs, dead_code)]
    tonic::include_proto!("tfplugin6");
}
pub(crate) mod plugin_pb {
    #![allow(clippy::all, clippy::pedantic, missing_docs, dead_code)]
    tonic::include_proto!("plugin");
}
pub(crate) mod health_pb {
    #![allow(clippy::all, clippy::pedantic, missing_docs, dead_code)]
    tonic::include_proto!("grpc.health.v1");
}

use std::sync::Arc;

use crate::framework::{Provider, Server};

/// The gRPC routes a plugin process serves: tfplugin6, health and the go-plugin
/// controller. `shutdown` is notified when the host asks the plugin to exit.
pub fn router<P: Provider>(
    server: Arc<Server<P>>,
    shutdown: Arc<tokio::sync::Notify>,
) -> tonic::service::Routes {
    let mut routes = tonic::service::RoutesBuilder::default();
    routes
        .add_service(pb::provider_server::ProviderServer::new(
            service::ProviderService::new(server),
        ))
        .add_service(health_pb::health_server::HealthServer::new(
            goplugin::Health,
        ))
        .add_service(
            plugin_pb::grpc_controller_server::GrpcControllerServer::new(goplugin::Controller {
                shutdown,
            }),
        );
    routes.routes()
}

pub use goplugin::HEALTH_SERVICE;
