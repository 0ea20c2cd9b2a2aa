//! Bounded retries: for eventual consistency right after a create, and for
//! deletes that wait on dependencies to go away.
//!
//! Permission errors are never retried: they fail at once, with their code and
//! request id, whatever the caller's predicate says.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::wait::Backoff;
use crate::aws::AwsError;
use crate::framework::Stop;

/// How long a call may keep answering "not found" for an object created a
/// moment ago (EC2 ids, IAM roles) before the answer is believed.
pub const PROPAGATION: Duration = Duration::from_secs(60);

/// Codes AWS answers while something else still depends on the object.
pub const DEPENDENCY_CODES: &[&str] = &[
    "DependencyViolation",
    "InvalidIPAddress.InUse",
    "ResourceInUseException",
    "ResourceInUse",
    "DeleteConflict",
    "InvalidCacheClusterState",
    "InvalidDBInstanceState",
];

/// Runs `op` until it succeeds, fails with an error `retryable` rejects (or a
/// permission error), the next attempt would pass `deadline`, or the core
/// stops (a stop error then). Otherwise returns the last error.
pub async fn retry_when<T, F, Fu, R>(
    stop: &Stop,
    deadline: Instant,
    retryable: R,
    mut op: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fu,
    Fu: Future<Output = Result<T, AwsError>>,
    R: Fn(&AwsError) -> bool,
{
    let backoff = Backoff::default();
    let mut delay = backoff.initial;
    loop {
        match op().await {
            Err(e) if !e.is_permission() && retryable(&e) && Instant::now() + delay < deadline => {
                tracing::debug!(operation = e.operation, code = ?e.code, ?delay, "retrying");
                if !stop.sleep(delay).await {
                    return Err(AwsError::stopped(e.operation));
                }
                delay = backoff.next(delay);
            }
            other => return other,
        }
    }
}

/// A call on objects created a moment ago: "not found" is retried for up to
/// [`PROPAGATION`] (never past `deadline`).
pub async fn propagated<T, F, Fu>(stop: &Stop, deadline: Instant, op: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fu,
    Fu: Future<Output = Result<T, AwsError>>,
{
    let limit = super::wait::deadline_in(PROPAGATION).min(deadline);
    retry_when(stop, limit, AwsError::is_not_found, op).await
}

/// A call on an object this apply may have made a moment ago (`fresh`): "not
/// found" is retried for up to [`PROPAGATION`]; on an object that existed
/// before, it is believed at once. For helpers that get no stop token or
/// deadline; the retries are bounded by [`PROPAGATION`] instead.
pub async fn on_new<T, F, Fu>(fresh: bool, op: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fu,
    Fu: Future<Output = Result<T, AwsError>>,
{
    let window = if fresh { PROPAGATION } else { Duration::ZERO };
    propagated(&Stop::new(), super::wait::deadline_in(window), op).await
}

/// An idempotent delete: "not found" is success, dependency errors are retried
/// until `deadline`, anything else (permission errors above all) fails at once.
pub async fn delete<F, Fu>(stop: &Stop, deadline: Instant, op: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fu,
    Fu: Future<Output = Result<(), AwsError>>,
{
    match retry_when(stop, deadline, |e| e.is_code(DEPENDENCY_CODES), op).await {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// Deletes an object ([`delete`]: already gone is fine), then waits until
/// `exists` no longer finds it.
pub async fn delete_and_wait<D, Df, E, Ef>(
    stop: &Stop,
    what: String,
    deadline: Instant,
    op: D,
    exists: E,
) -> Result<(), AwsError>
where
    D: FnMut() -> Df,
    Df: Future<Output = Result<(), AwsError>>,
    E: FnMut() -> Ef,
    Ef: Future<Output = Result<bool, AwsError>>,
{
    delete(stop, deadline, op).await?;
    super::wait::gone(stop, what, deadline, exists).await
}

/// Retires a KMS key a composite made: its alias is deleted and the key is
/// scheduled for deletion after the shortest window (7 days), during which it can
/// still be cancelled. A key already gone or already scheduled counts as retired.
pub async fn retire_key(
    aws: &crate::aws::Aws,
    stop: &Stop,
    deadline: Instant,
    alias: &str,
    key_arn: &str,
) -> Result<(), AwsError> {
    use crate::aws::Op;
    delete(stop, deadline, || async {
        aws.kms
            .delete_alias()
            .alias_name(alias)
            .send()
            .await
            .op("DeleteAlias")
            .map(|_| ())
    })
    .await?;
    // The key id (the ARN's last part): AWS takes either, moto only the id.
    super::key::schedule_deletion(aws, key_arn.rsplit('/').next().unwrap_or(key_arn)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::wait::deadline_in;
    use std::cell::Cell;

    fn failing<'a>(
        calls: &'a Cell<u32>,
        code: &'static str,
        times: u32,
    ) -> impl FnMut() -> std::future::Ready<Result<(), AwsError>> + 'a {
        move || {
            calls.set(calls.get() + 1);
            std::future::ready(if calls.get() <= times {
                Err(AwsError::new("Op", code, "injected"))
            } else {
                Ok(())
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn propagation_retries_not_found_then_succeeds() {
        let calls = Cell::new(0);
        let r = propagated(
            &Stop::new(),
            deadline_in(Duration::from_secs(600)),
            failing(&calls, "InvalidSubnetID.NotFound", 3),
        )
        .await;
        assert_eq!(r, Ok(()));
        assert_eq!(calls.get(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn propagation_is_bounded() {
        let calls = Cell::new(0);
        let started = Instant::now();
        let r = propagated(
            &Stop::new(),
            deadline_in(Duration::from_secs(3600)),
            failing(&calls, "InvalidSubnetID.NotFound", u32::MAX),
        )
        .await;
        assert!(r.unwrap_err().is_not_found());
        assert!(started.elapsed() <= PROPAGATION);
        assert!(calls.get() > 3);
    }

    #[tokio::test(start_paused = true)]
    async fn delete_treats_not_found_as_done() {
        let calls = Cell::new(0);
        let r = delete(
            &Stop::new(),
            deadline_in(Duration::from_secs(60)),
            failing(&calls, "InvalidVpcID.NotFound", 1),
        )
        .await;
        assert_eq!(r, Ok(()));
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn delete_retries_dependencies_until_the_deadline() {
        let calls = Cell::new(0);
        let started = Instant::now();
        let e = delete(
            &Stop::new(),
            deadline_in(Duration::from_secs(15)),
            failing(&calls, "DependencyViolation", u32::MAX),
        )
        .await
        .unwrap_err();
        assert!(e.is_code(&["DependencyViolation"]));
        assert!(started.elapsed() < Duration::from_secs(15));
        assert!(calls.get() >= 4, "{}", calls.get());
    }

    #[tokio::test(start_paused = true)]
    async fn permission_errors_fail_at_once() {
        for code in ["UnauthorizedOperation", "AccessDenied", "AuthFailure"] {
            let calls = Cell::new(0);
            let e = delete(
                &Stop::new(),
                deadline_in(Duration::from_secs(600)),
                failing(&calls, code, u32::MAX),
            )
            .await
            .unwrap_err();
            assert!(e.is_permission());
            assert_eq!(calls.get(), 1, "{code} was retried");
            // Even a predicate that accepts everything does not retry them.
            let calls = Cell::new(0);
            let _ = retry_when(
                &Stop::new(),
                deadline_in(Duration::from_secs(600)),
                |_| true,
                failing(&calls, code, u32::MAX),
            )
            .await;
            assert_eq!(calls.get(), 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_retries() {
        let stop = Stop::new();
        let s = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            s.cancel();
        });
        let calls = Cell::new(0);
        let started = Instant::now();
        let r = delete(
            &stop,
            deadline_in(Duration::from_secs(1800)),
            failing(&calls, "DependencyViolation", u32::MAX),
        )
        .await;
        assert!(r.unwrap_err().is_stopped());
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
