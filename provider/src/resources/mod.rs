//! The provider's resources. Each composite resource is one folder:
//! `schema.rs` (what users write), `model.rs` (typed views of config and state),
//! `ops.rs` (the AWS calls: create, read, update, delete), and `mod.rs` (the
//! [`Resource`](crate::framework::Resource) implementation wiring them up).

use std::sync::Arc;

use crate::aws::Aws;
use crate::framework::Resource;

pub mod network;
pub mod state_backend;

/// Every resource type this provider offers.
pub fn all() -> Vec<Arc<dyn Resource<Aws>>> {
    vec![
        Arc::new(state_backend::StateBackend),
        Arc::new(network::Network),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_schema_is_well_formed() {
        for r in all() {
            let problems = r.schema().block.lint("");
            assert!(problems.is_empty(), "{}: {problems:?}", r.type_name());
        }
    }
}
