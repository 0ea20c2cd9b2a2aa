//! Side services of a go-plugin plugin: health checks and the controller.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use super::health_pb::{self, health_check_response::ServingStatus};
use super::plugin_pb;

/// The health service name go-plugin hosts ask about.
pub const HEALTH_SERVICE: &str = "plugin";

pub struct Health;

fn status_for(service: &str) -> ServingStatus {
    if service.is_empty() || service == HEALTH_SERVICE {
        ServingStatus::Serving
    } else {
        ServingStatus::ServiceUnknown
    }
}

type WatchStream =
    Pin<Box<dyn futures::Stream<Item = Result<health_pb::HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl health_pb::health_server::Health for Health {
    async fn check(
        &self,
        req: Request<health_pb::HealthCheckRequest>,
    ) -> Result<Response<health_pb::HealthCheckResponse>, Status> {
        let status = status_for(&req.get_ref().service);
        if status == ServingStatus::ServiceUnknown {
            return Err(Status::not_found("unknown service"));
        }
        Ok(Response::new(health_pb::HealthCheckResponse {
            status: status as i32,
        }))
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        req: Request<health_pb::HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let status = status_for(&req.get_ref().service);
        let first = health_pb::HealthCheckResponse {
            status: status as i32,
        };
        // One answer, then the stream stays open as the health protocol expects.
        let stream =
            futures::stream::once(async move { Ok(first) }).chain(futures::stream::pending());
        Ok(Response::new(Box::pin(stream)))
    }
}

use futures::StreamExt;

pub struct Controller {
    pub shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl plugin_pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _req: Request<plugin_pb::Empty>,
    ) -> Result<Response<plugin_pb::Empty>, Status> {
        tracing::debug!("host asked the plugin to shut down");
        self.shutdown.notify_one();
        Ok(Response::new(plugin_pb::Empty {}))
    }
}
