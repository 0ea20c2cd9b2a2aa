//! terraform-provider-ode: a Terraform/OpenTofu provider for the ODE platform on AWS.
//!
//! Layers, from the wire up (see ARCHITECTURE.md):
//! - [`plugin`]: the go-plugin server (handshake, auto-mTLS, listener, shutdown).
//! - [`tfproto`]: the only module that sees protocol (prost/tonic) types.
//! - [`framework`]: values, schemas, diagnostics, the resource trait and plan pipeline.
//! - [`provider`]: the `ode` provider's configuration; [`aws`]: configured clients.
//! - [`kit`]: what every composite resource shares (rounds, waiters, retries,
//!   timeouts, claims, tags); [`resources`]: one folder per composite resource.

pub mod aws;
pub mod framework;
pub mod functions;
pub mod kit;
pub mod logging;
pub mod plugin;
pub mod pricing;
pub mod provider;
pub mod resources;
pub mod tfproto;
