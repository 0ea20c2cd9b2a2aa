//! The composite-resource kit: what every composite resource needs besides its
//! schema, its model and its AWS calls.
//!
//! - [`rounds`]: dependent rounds of concurrent calls that stop between rounds
//!   when the core asks to stop.
//! - [`wait`]: a generic waiter (status function, pending and target states,
//!   timeout, backoff, last failure reason kept).
//! - [`retry`]: bounded retries for eventual consistency (`retry_when`,
//!   [`retry::propagated`]) and idempotent deletes ([`retry::delete`]).
//! - [`timeouts`]: the `timeouts` block and its duration parser.
//! - [`claim`]: which leftovers a create may adopt (only those of an unfinished
//!   create of the same resource instance).
//! - [`key`]: a composite's own KMS key behind its alias, found again by its
//!   tags after an unfinished create.
//! - [`tags`]: ownership tags and one tagging helper per AWS service.
//! - [`policy`]: IAM policy documents decoded as IAM returns them and
//!   compared by meaning.
//! - [`placement`]: plan-time checks of where inputs live (subnets: two zones, one
//!   VPC; KMS keys: the provider's region).
//! - [`bucket`]: a secure S3 bucket (encryption, versioning, public access
//!   blocked, TLS-only policy, lifecycle), read and written concurrently.
//!
//! Everything here takes a [`Stop`](crate::framework::Stop) token: a stop ends
//! waits and retries at once and keeps later rounds from starting; a call
//! already sent to AWS is let to finish, so that no object AWS made goes
//! unrecorded.

pub mod bucket;
pub mod claim;
pub mod key;
pub mod placement;
pub mod policy;
pub mod retry;
pub mod rounds;
pub mod tags;
pub mod timeouts;
pub mod wait;

pub use retry::{delete, delete_and_wait, propagated, retire_key, retry_when};
pub use rounds::{first_error, gather, round, Fut};
pub use wait::{Backoff, Status, Waiter};
