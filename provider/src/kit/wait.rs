//! A generic waiter: poll a status function until the object reaches its
//! target state, fails, or time runs out; back off between polls; keep the
//! last state and failure reason for the error.
//!
//! The SDK's generated waiters poll no faster than every 10-30 s; this one
//! starts at [`Backoff::initial`] (500 ms by default), which keeps waits short
//! on AWS and on emulators alike.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::aws::error::TIMEOUT;
use crate::aws::AwsError;
use crate::framework::Stop;

/// How long to sleep between polls: `initial`, doubling up to `max`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The delay after `delay`.
    pub fn next(&self, delay: Duration) -> Duration {
        delay.saturating_mul(2).min(self.max).max(self.initial)
    }
}

/// What one poll saw.
#[derive(Debug, PartialEq)]
pub enum Status<T> {
    /// The target state: stop waiting and return this.
    Ready(T),
    /// Still on the way; the text (the object's state) goes into a timeout error.
    Pending(String),
    /// A terminal failure, with the reason AWS gives (e.g. a NAT gateway's
    /// FailureCode and FailureMessage).
    Failed(String),
}

/// Waits for one object (or a batch polled together).
#[derive(Clone, Debug)]
pub struct Waiter {
    /// What is waited for, for messages ("NAT gateways nat-1 to become available").
    pub what: String,
    /// The operation errors are reported under.
    pub operation: &'static str,
    pub deadline: Instant,
    pub backoff: Backoff,
    /// For how long a "not found" answer counts as "not visible yet" (objects
    /// created a moment ago) rather than as an error.
    pub not_found_grace: Duration,
}

/// How long a just-created object may answer "not found" by default.
pub const NOT_FOUND_GRACE: Duration = Duration::from_secs(30);

impl Waiter {
    pub fn new(operation: &'static str, what: impl Into<String>, deadline: Instant) -> Self {
        Waiter {
            what: what.into(),
            operation,
            deadline,
            backoff: Backoff::default(),
            not_found_grace: NOT_FOUND_GRACE,
        }
    }

    pub fn backoff(mut self, b: Backoff) -> Self {
        self.backoff = b;
        self
    }

    pub fn not_found_grace(mut self, d: Duration) -> Self {
        self.not_found_grace = d;
        self
    }

    /// Polls `status` until it answers [`Status::Ready`]. Fails with the
    /// object's failure reason, with a timeout naming the last state seen, at
    /// once on a permission error, or with a stop error when the core stops
    /// (also in the middle of a poll that hangs).
    pub async fn wait<T, F, Fu>(&self, stop: &Stop, mut status: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fu,
        Fu: Future<Output = Result<Status<T>, AwsError>>,
    {
        let started = Instant::now();
        let mut delay = self.backoff.initial;
        let mut last: String;
        loop {
            if stop.is_stopped() {
                return Err(AwsError::stopped(self.operation));
            }
            // A poll only reads, so one that hangs is abandoned at a stop or at
            // the deadline (a create or delete in flight is never abandoned: its
            // answer says what exists).
            let poll = tokio::select! {
                // An answer at hand wins over a stop or a deadline reached meanwhile.
                biased;
                r = status() => r,
                _ = stop.stopped() => return Err(AwsError::stopped(self.operation)),
                _ = tokio::time::sleep_until(self.deadline) => Err(AwsError::new(
                    self.operation,
                    TIMEOUT,
                    format!("no answer before the deadline while waiting for {}", self.what),
                )),
            };
            match poll {
                Ok(Status::Ready(v)) => return Ok(v),
                Ok(Status::Failed(reason)) => {
                    return Err(AwsError::new(
                        self.operation,
                        "Failed",
                        format!("{} failed: {reason}", self.what),
                    ))
                }
                Ok(Status::Pending(state)) => last = state,
                Err(e) if e.is_not_found() && started.elapsed() < self.not_found_grace => {
                    last = format!("not visible yet ({})", e.code.as_deref().unwrap_or("?"));
                }
                Err(e) => return Err(e),
            }
            if Instant::now() + delay > self.deadline {
                return Err(AwsError::new(
                    self.operation,
                    TIMEOUT,
                    format!(
                        "timed out after {:.0?} waiting for {}; last seen: {last}",
                        started.elapsed(),
                        self.what
                    ),
                ));
            }
            if !stop.sleep(delay).await {
                return Err(AwsError::stopped(self.operation));
            }
            delay = self.backoff.next(delay);
        }
    }
}

/// Waits until `exists` says the object is gone; a not-found answer counts as gone.
pub async fn gone<F, Fu>(
    stop: &Stop,
    what: String,
    deadline: Instant,
    exists: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fu,
    Fu: Future<Output = Result<bool, AwsError>>,
{
    let mut exists = exists;
    Waiter::new("Delete", format!("{what} to be deleted"), deadline)
        .not_found_grace(Duration::ZERO)
        .wait(stop, || {
            let f = exists();
            async move {
                match f.await {
                    Ok(true) => Ok(Status::Pending("deleting".into())),
                    Ok(false) => Ok(Status::Ready(())),
                    Err(e) if e.is_not_found() => Ok(Status::Ready(())),
                    Err(e) => Err(e),
                }
            }
        })
        .await
}

/// `now + d`, saturating far in the future instead of overflowing.
pub fn deadline_in(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn waiter(timeout: Duration) -> Waiter {
        Waiter::new("Wait", "the thing", deadline_in(timeout))
    }

    #[tokio::test(start_paused = true)]
    async fn returns_once_ready() {
        let polls = Cell::new(0);
        let v = waiter(Duration::from_secs(60))
            .wait(&Stop::new(), || {
                polls.set(polls.get() + 1);
                let n = polls.get();
                async move {
                    Ok(if n < 3 {
                        Status::Pending("pending".into())
                    } else {
                        Status::Ready(n)
                    })
                }
            })
            .await;
        assert_eq!(v, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_the_last_state() {
        let started = Instant::now();
        let e = waiter(Duration::from_secs(20))
            .wait(&Stop::new(), || async {
                Ok::<Status<()>, _>(Status::Pending("still pending".into()))
            })
            .await
            .unwrap_err();
        assert!(e.is_code(&[TIMEOUT]), "{e}");
        assert!(e.message.contains("still pending"), "{e}");
        assert!(started.elapsed() <= Duration::from_secs(20));
        // Backoff doubles to its 10 s cap: 0.5+1+2+4+8 = 15.5 s of sleeping.
        assert!(started.elapsed() >= Duration::from_secs(15));
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_at_hand_wins_over_a_deadline_already_reached() {
        for _ in 0..20 {
            let w = waiter(Duration::ZERO);
            let v = w
                .wait(&Stop::new(), || async {
                    Ok::<_, AwsError>(Status::Ready(7))
                })
                .await;
            assert_eq!(v, Ok(7));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_the_failure_reason() {
        let e = waiter(Duration::from_secs(60))
            .wait(&Stop::new(), || async {
                Ok::<Status<()>, _>(Status::Failed("Gateway.NotAttached: no IGW".into()))
            })
            .await
            .unwrap_err();
        assert!(e.message.contains("Gateway.NotAttached: no IGW"), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_is_pending_only_during_the_grace() {
        let w = waiter(Duration::from_secs(600)).not_found_grace(Duration::from_secs(5));
        let polls = Cell::new(0);
        let e = w
            .wait(&Stop::new(), || {
                polls.set(polls.get() + 1);
                async { Err::<Status<()>, _>(AwsError::new("Describe", "X.NotFound", "gone")) }
            })
            .await
            .unwrap_err();
        assert!(e.is_not_found());
        assert!(polls.get() > 1, "not found was retried during the grace");
        let polls = Cell::new(0);
        let ok = w
            .wait(&Stop::new(), || {
                polls.set(polls.get() + 1);
                let n = polls.get();
                async move {
                    if n < 3 {
                        Err(AwsError::new("Describe", "X.NotFound", "not yet"))
                    } else {
                        Ok(Status::Ready(()))
                    }
                }
            })
            .await;
        assert_eq!(ok, Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn permission_errors_end_the_wait_at_once() {
        let polls = Cell::new(0);
        let e = waiter(Duration::from_secs(600))
            .wait(&Stop::new(), || {
                polls.set(polls.get() + 1);
                async { Err::<Status<()>, _>(AwsError::new("Describe", "AccessDenied", "no")) }
            })
            .await
            .unwrap_err();
        assert!(e.is_permission());
        assert_eq!(polls.get(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_the_wait_promptly() {
        let stop = Stop::new();
        let canceller = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            canceller.cancel();
        });
        let started = Instant::now();
        let e = waiter(Duration::from_secs(1800))
            .backoff(Backoff {
                initial: Duration::from_secs(10),
                max: Duration::from_secs(10),
            })
            .wait(&stop, || async {
                Ok::<Status<()>, _>(Status::Pending("pending".into()))
            })
            .await
            .unwrap_err();
        assert!(e.is_stopped(), "{e}");
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[test]
    fn deadlines_never_overflow() {
        let _ = deadline_in(Duration::MAX);
        assert_eq!(
            Backoff::default().next(Duration::MAX),
            Duration::from_secs(10)
        );
    }
}
