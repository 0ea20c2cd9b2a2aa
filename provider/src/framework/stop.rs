//! Cancellation: the core's `StopProvider` (sent on Ctrl-C) reaches every
//! operation in flight through a [`Stop`] token.
//!
//! The server hands each resource call the token of the current generation;
//! `StopProvider` cancels that generation and starts a new one, so calls made
//! after a stop (the core's final state reads) are not cancelled.

use std::sync::Mutex;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// A cancellation token for one resource operation. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Stop(CancellationToken);

impl Stop {
    /// A token that is never cancelled unless [`Stop::cancel`] is called on it.
    pub fn new() -> Self {
        Stop(CancellationToken::new())
    }

    pub fn is_stopped(&self) -> bool {
        self.0.is_cancelled()
    }

    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Resolves once the token is cancelled.
    pub async fn stopped(&self) {
        self.0.cancelled().await;
    }

    /// Sleeps for `d`; returns `false` when the sleep was cut short by a stop.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.0.cancelled() => false,
        }
    }
}

/// The server's source of [`Stop`] tokens: one generation at a time.
#[derive(Debug, Default)]
pub struct StopSource(Mutex<Stop>);

impl StopSource {
    /// The token calls starting now receive.
    pub fn token(&self) -> Stop {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Cancels every call in flight; later calls get a fresh token.
    pub fn stop_all(&self) {
        if let Ok(mut current) = self.0.lock() {
            current.cancel();
            *current = Stop::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn stop_all_cancels_current_calls_only() {
        let source = StopSource::default();
        let before = source.token();
        source.stop_all();
        let after = source.token();
        assert!(before.is_stopped());
        assert!(!after.is_stopped());
        assert!(!before.sleep(Duration::from_secs(3600)).await);
        assert!(after.sleep(Duration::from_millis(10)).await);
    }
}
