//! The provider framework: native types for values, schemas and diagnostics,
//! the resource and provider traits, and the server that enforces the plugin
//! protocol's contract. Nothing in this module sees protocol (prost) types.

pub mod codec;
pub mod diag;
pub mod function;
pub mod plan;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod server;
pub mod stop;
pub mod types;
pub mod validate;
pub mod value;

pub use diag::{AttrPath, Diagnostics, Severity};
pub use function::{Function, FunctionError, Param, Signature};
pub use provider::{ConfigureRequest, Provider};
pub use resource::*;
pub use schema::{Attribute, Block, Nesting, Schema};
pub use server::Server;
pub use stop::Stop;
pub use types::Type;
pub use value::{Number, Value};
