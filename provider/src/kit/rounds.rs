//! Rounds of independent calls run concurrently; rounds that depend on each
//! other run one after the other.

use std::future::Future;
use std::pin::Pin;

use futures::future::join_all;

use crate::aws::AwsError;
use crate::framework::Stop;

/// One boxed AWS call (or short sequence of calls) of a round.
pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, AwsError>> + Send + 'a>>;

/// Runs `futs` concurrently and returns what succeeded and every error. When
/// the core has asked to stop, nothing is started and the only error says so.
pub async fn gather<T>(
    stop: &Stop,
    what: &'static str,
    futs: Vec<Fut<'_, T>>,
) -> (Vec<T>, Vec<AwsError>) {
    if futs.is_empty() {
        return (Vec::new(), Vec::new());
    }
    if stop.is_stopped() {
        return (Vec::new(), vec![AwsError::stopped(what)]);
    }
    let mut made = Vec::new();
    let mut errs = Vec::new();
    for r in join_all(futs).await {
        match r {
            Ok(v) => made.push(v),
            Err(e) => errs.push(e),
        }
    }
    (made, errs)
}

/// [`gather`] for calls that return nothing: every error of the round.
pub async fn round(stop: &Stop, what: &'static str, futs: Vec<Fut<'_, ()>>) -> Vec<AwsError> {
    gather(stop, what, futs).await.1
}

/// The first error of a round, as a `Result`.
pub fn first_error(errs: Vec<AwsError>) -> Result<(), AwsError> {
    match errs.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_round_runs_every_call_and_keeps_every_error() {
        let stop = Stop::new();
        let futs: Vec<Fut<'_, u32>> = vec![
            Box::pin(async { Ok(1) }),
            Box::pin(async { Err(AwsError::new("A", "X", "a")) }),
            Box::pin(async { Ok(2) }),
            Box::pin(async { Err(AwsError::new("B", "Y", "b")) }),
        ];
        let (made, errs) = gather(&stop, "test", futs).await;
        assert_eq!(made, vec![1, 2]);
        assert_eq!(errs.len(), 2);
    }

    #[tokio::test]
    async fn a_stopped_round_starts_nothing() {
        let stop = Stop::new();
        stop.cancel();
        let started = AtomicUsize::new(0);
        let futs: Vec<Fut<'_, ()>> = vec![Box::pin(async {
            started.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })];
        let errs = round(&stop, "test", futs).await;
        assert_eq!(started.load(Ordering::SeqCst), 0);
        assert!(errs[0].is_stopped());
    }
}
