//! Client-side pacing and the call timeout, shared by every resource of one provider
//! process.
//!
//! AWS throttles per account and per API (EC2 documents a token bucket per action,
//! refilled at a fixed rate). A state with many stacks sends bursts of the same action
//! (fifty CreateVpcEndpoint at once, where EC2 refills 0.3 a second), and retrying each
//! with backoff alone keeps the herd hammering the empty bucket. So each (service,
//! operation) has a lane: unpaced until AWS throttles it, then paced at half the rate
//! it was sent at, halved again on each further throttle, and doubled after every
//! quiet second until it is unpaced again. A request waits for its lane before it is
//! sent, and only that wait: the call timeout starts when the request leaves.
//!
//! `call_timeout` bounds how long a sent request may go unanswered. Such a request is
//! never sent again ([`CallTimedOut`] is not a transient error to the SDK's retry
//! classifiers): AWS may have carried out a create whose answer never came, and the
//! next apply finds what it made by its claim. Answered attempts (throttling, 5xx) are
//! retried as the retry policy says, each bounded the same way.
//!
//! The pieces: [`PaceOperation`], an interceptor that names each request's lane from
//! the operation's metadata; [`PacedClient`], the HTTP client that waits for the lane,
//! sends, and bounds the wait for the answer; [`PaceThrottles`], a retry classifier
//! that runs after the SDK's own and tells the lane when AWS throttled it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextMut, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::ErrorKind;
use tokio::time::Instant;

/// The slowest a lane is paced: one request every ten seconds.
const MIN_RATE: f64 = 0.1;
/// A lane paced faster than this is unpaced again.
const MAX_RATE: f64 = 50.0;
/// How long a lane must go without a throttle before its rate doubles.
const QUIET: Duration = Duration::from_secs(1);
/// The window over which a lane measures the rate it sends at.
const WINDOW: Duration = Duration::from_secs(2);

/// A request's lane: service and operation, as the SDK's metadata names them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lane {
    pub service: String,
    pub operation: String,
}

#[derive(Debug, Default)]
struct LaneState {
    /// Requests a second; None while unpaced.
    rate: Option<f64>,
    /// When the next request may leave.
    next: Option<Instant>,
    /// When AWS last throttled the lane (or the rate last doubled).
    calm_since: Option<Instant>,
    /// When the lane's recent requests left (within [`WINDOW`]).
    sent: Vec<Instant>,
}

impl LaneState {
    fn sent_rate(&mut self, now: Instant) -> f64 {
        self.sent
            .retain(|t| now.saturating_duration_since(*t) < WINDOW);
        self.sent.len() as f64 / WINDOW.as_secs_f64()
    }

    /// Doubles the rate for every quiet second since the last change.
    fn recover(&mut self, now: Instant) {
        let (Some(rate), Some(since)) = (self.rate, self.calm_since) else {
            return;
        };
        let quiet = now.duration_since(since).as_secs_f64() / QUIET.as_secs_f64();
        if quiet >= 1.0 {
            let rate = rate * 2f64.powi(quiet.floor().min(16.0) as i32);
            self.rate = (rate < MAX_RATE).then_some(rate);
            self.calm_since = Some(now);
        }
    }
}

/// The lanes of one provider process.
#[derive(Debug, Default)]
pub struct Pacer {
    lanes: Mutex<HashMap<Lane, LaneState>>,
}

impl Pacer {
    /// Waits until `lane` may send a request, and counts it as sent.
    pub async fn admit(&self, lane: &Lane) {
        let wait = {
            let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
            let state = lanes.entry(lane.clone()).or_default();
            let now = Instant::now();
            state.recover(now);
            let leave = match state.rate {
                None => now,
                Some(rate) => {
                    let leave = state.next.map_or(now, |n| n.max(now));
                    state.next = Some(leave + Duration::from_secs_f64(1.0 / rate));
                    leave
                }
            };
            state
                .sent
                .retain(|t| now.saturating_duration_since(*t) < WINDOW);
            state.sent.push(leave);
            leave.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tracing::debug!(service = %lane.service, operation = %lane.operation, wait_ms = wait.as_millis() as u64, "paced");
            tokio::time::sleep(wait).await;
        }
    }

    /// AWS throttled a request of `lane`: the lane slows to half the rate it sent at
    /// (or half its pace).
    pub fn throttled(&self, lane: &Lane) {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let state = lanes.entry(lane.clone()).or_default();
        let now = Instant::now();
        let from = state
            .rate
            .unwrap_or_else(|| state.sent_rate(now).max(2.0 * MIN_RATE));
        let rate = (from / 2.0).max(MIN_RATE);
        tracing::info!(service = %lane.service, operation = %lane.operation, rate, "throttled by AWS: pacing this operation");
        state.rate = Some(rate);
        state.calm_since = Some(now);
    }

    /// The current pace of `lane` (requests a second), None while unpaced.
    pub fn rate(&self, lane: &Lane) -> Option<f64> {
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        let state = lanes.get_mut(lane)?;
        state.recover(Instant::now());
        state.rate
    }
}

/// Names each request's [`Lane`] (a request extension the HTTP client reads).
#[derive(Debug)]
pub struct PaceOperation;

impl Intercept for PaceOperation {
    fn name(&self) -> &'static str {
        "ode pace operation"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            let lane = Lane {
                service: m.service().to_string(),
                operation: m.name().to_string(),
            };
            context.request_mut().add_extension(lane);
        }
        Ok(())
    }
}

/// Tells a request's lane when AWS throttled it. Runs after the SDK's classifiers and
/// changes none of their verdict.
#[derive(Debug)]
pub struct PaceThrottles(pub Arc<Pacer>);

impl ClassifyRetry for PaceThrottles {
    fn classify_retry(&self, _ctx: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        let throttled = matches!(
            previous,
            RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: ErrorKind::ThrottlingError,
                ..
            })
        );
        if throttled {
            if let Some(lane) = ctx.request().and_then(|r| r.extension::<Lane>()) {
                self.0.throttled(lane);
            }
        }
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "ode pace throttles"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// A sent request left unanswered for `call_timeout`: never retried.
#[derive(Debug)]
pub struct CallTimedOut(pub Duration);

impl std::fmt::Display for CallTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request timed out: no answer within call_timeout ({}s); it is not sent again",
            self.0.as_secs_f64()
        )
    }
}

impl std::error::Error for CallTimedOut {}

/// The HTTPS client the SDK makes when none is given (rustls with aws-lc, proxies from
/// the environment), for [`PacedClient`] to send through.
pub fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{tls, Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut conn = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// The HTTP client every service client sends through: the lane's wait, then the
/// request, bounded by the call timeout.
#[derive(Debug, Clone)]
pub struct PacedClient {
    pub inner: SharedHttpClient,
    pub pacer: Arc<Pacer>,
    pub call_timeout: Duration,
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
            call_timeout: self.call_timeout,
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
    call_timeout: Duration,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, pacer, limit) = (self.inner.clone(), self.pacer.clone(), self.call_timeout);
        HttpConnectorFuture::new(async move {
            if let Some(lane) = request.extension::<Lane>().cloned() {
                pacer.admit(&lane).await;
            }
            match tokio::time::timeout(limit, inner.call(request)).await {
                Ok(answer) => answer,
                Err(_) => Err(ConnectorError::other(Box::new(CallTimedOut(limit)), None)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane() -> Lane {
        Lane {
            service: "ec2".into(),
            operation: "CreateVpcEndpoint".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_lane_is_paced_then_recovers() {
        let p = Pacer::default();
        let l = lane();
        // Unpaced: ten requests leave at once.
        let t0 = Instant::now();
        for _ in 0..10 {
            p.admit(&l).await;
        }
        assert_eq!(Instant::now(), t0);
        assert_eq!(p.rate(&l), None);
        // Throttled after 10 requests in the window: half of 5 a second.
        p.throttled(&l);
        assert_eq!(p.rate(&l), Some(2.5));
        let t1 = Instant::now();
        for _ in 0..3 {
            p.admit(&l).await;
        }
        // The first leaves at once, the next two 0.4 s apart.
        assert_eq!(
            Instant::now().duration_since(t1),
            Duration::from_millis(800)
        );
        // Throttled again: halved, never below the floor.
        p.throttled(&l);
        assert_eq!(p.rate(&l), Some(1.25));
        for _ in 0..10 {
            p.throttled(&l);
        }
        assert_eq!(p.rate(&l), Some(MIN_RATE));
        // Quiet seconds double the rate until it is unpaced.
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(p.rate(&l), Some(MIN_RATE * 8.0));
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(p.rate(&l), None);
        // Other lanes are never paced by this one.
        p.throttled(&l);
        let other = Lane {
            operation: "DescribeVpcs".into(),
            ..lane()
        };
        assert_eq!(p.rate(&other), None);
    }

    #[test]
    fn a_call_timeout_is_not_a_transient_error() {
        let e = ConnectorError::other(Box::new(CallTimedOut(Duration::from_secs(3))), None);
        // What the SDK's transient-error classifier retries: timeouts, I/O errors and
        // "other" errors with a kind; this is none of them.
        assert!(!e.is_timeout() && !e.is_io() && e.as_other().is_none());
    }
}
