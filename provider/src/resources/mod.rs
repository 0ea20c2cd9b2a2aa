//! The provider's resources. Each composite resource is one folder:
//! `schema.rs` (what users write), `model.rs` (typed views of config and state),
//! `ops.rs` (the AWS calls: create, read, update, delete), and `mod.rs` (the
//! [`Resource`](crate::framework::Resource) implementation wiring them up).

use std::sync::Arc;

use crate::aws::Aws;
use crate::framework::Resource;

pub mod data_tier;
pub mod eks_stack;
pub mod network;
pub mod registry;
pub mod state_backend;

/// Every resource type this provider offers.
pub fn all() -> Vec<Arc<dyn Resource<Aws>>> {
    vec![
        Arc::new(state_backend::StateBackend),
        Arc::new(network::Network),
        Arc::new(eks_stack::EksStack),
        Arc::new(data_tier::DataTier),
        Arc::new(registry::Registry),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::codec::tests::arb_value;
    use crate::framework::{Diagnostics, Value};
    use proptest::prelude::*;
    use proptest::test_runner::TestRunner;

    /// Strings that have broken parsers elsewhere: empty, huge numbers, bad units,
    /// odd CIDRs and zones, non-ASCII, very long.
    const NASTY: &[&str] = &[
        "",
        "0s",
        "-1m",
        "1.5.5h",
        "99999999999999999999999999999999999999h",
        "18446744073709551616s",
        "10.0.0.0/99",
        "999.1.1.1/16",
        "10.0.0.0/-1",
        "us-east-1",
        "us-east-1\u{0}",
        "ö̈ü",
        "arn:aws:kms",
        "arn:",
    ];

    /// `v` with every string inside (at any depth) replaced by `s`.
    fn with_strings(v: &Value, s: &str) -> Value {
        match v {
            Value::String(_) => Value::string(s),
            Value::List(items) => Value::List(items.iter().map(|i| with_strings(i, s)).collect()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, i)| (k.clone(), with_strings(i, s)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Validation sees every shape of configuration, known or not, and every nasty
    /// string in every string attribute, without panicking.
    #[test]
    fn validation_never_panics() {
        for r in all() {
            let mut runner = TestRunner::new(ProptestConfig::with_cases(300));
            let values = (
                arb_value(r.schema().value_type(), true),
                prop::sample::select(NASTY),
            );
            runner
                .run(&values, |(v, nasty)| {
                    let mut d = Diagnostics::default();
                    r.validate(&v, &mut d);
                    r.validate(&with_strings(&v, nasty), &mut d);
                    Ok(())
                })
                .unwrap_or_else(|e| panic!("{}: {e}", r.type_name()));
        }
    }

    #[test]
    fn every_resource_schema_is_well_formed() {
        for r in all() {
            let problems = r.schema().block.lint("");
            assert!(problems.is_empty(), "{}: {problems:?}", r.type_name());
        }
    }
}
