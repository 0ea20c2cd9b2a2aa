//! Typed views of `ode_state_backend` values: what the plan asks for, what AWS has.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::Aws;
use crate::framework::Value;
use crate::kit::timeouts::Timeouts;

/// The settings a plan asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub bucket: String,
    pub lock_table: String,
    pub state_key: String,
    pub kms_key_arn: Option<String>,
    pub force_destroy: bool,
    /// The `tags` argument as written (None when null).
    pub tags: Option<BTreeMap<String, String>>,
    /// The `timeouts` block as written, and the limits it sets.
    pub timeouts_block: Value,
    pub timeouts: Timeouts,
    /// While a create runs: the claim fingerprint bucket and table are marked
    /// with (`ode:creating`), removed when the create finishes.
    pub creating: Option<String>,
}

/// Limits when the `timeouts` block leaves them unset.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

impl Desired {
    /// Reads a planned (or prior) state. Required attributes are known by then.
    pub fn from_value(v: &Value) -> Self {
        Desired {
            bucket: v.get("bucket").as_str().unwrap_or_default().to_string(),
            lock_table: v.get("lock_table").as_str().unwrap_or_default().to_string(),
            state_key: v
                .get("state_key")
                .as_str()
                .unwrap_or("terraform.tfstate")
                .to_string(),
            kms_key_arn: v.get("kms_key_arn").as_str().map(str::to_string),
            force_destroy: v.get("force_destroy").as_bool().unwrap_or(false),
            tags: (!v.get("tags").is_null()).then(|| v.get("tags").to_string_map()),
            timeouts_block: v.get("timeouts").clone(),
            timeouts: Timeouts::from_value(v, DEFAULT_TIMEOUT),
            creating: None,
        }
    }
}

pub use crate::kit::bucket::{BucketSeen, ENC_AES, ENC_KMS, VERSIONING_ON};

/// What AWS holds for the lock table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableSeen {
    pub arn: String,
    pub point_in_time_recovery: bool,
    pub tags: BTreeMap<String, String>,
}

/// The bucket and, if it still exists, the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub bucket: BucketSeen,
    pub table: Option<TableSeen>,
}

/// The `backend "s3"` block for root modules that keep state in this backend.
pub fn backend_config(d: &Desired, region: &str) -> String {
    let mut s = String::from("terraform {\n  backend \"s3\" {\n");
    let mut line = |k: &str, v: String| s.push_str(&format!("    {k:<14} = {v}\n"));
    line("bucket", format!("{:?}", d.bucket));
    line("key", format!("{:?}", d.state_key));
    line("region", format!("{region:?}"));
    line("dynamodb_table", format!("{:?}", d.lock_table));
    line("encrypt", "true".into());
    if let Some(k) = &d.kms_key_arn {
        line("kms_key_id", format!("{k:?}"));
    }
    s.push_str("  }\n}\n");
    s
}

pub use crate::kit::bucket::arn as bucket_arn;

/// The state value for `d` as found in AWS.
pub fn state(aws: &Aws, d: &Desired, seen: &Seen) -> Value {
    let (visible, _) = crate::kit::tags::split(seen.bucket.tags.clone());
    Value::object([
        ("id", Value::string(&d.bucket)),
        ("bucket", Value::string(&d.bucket)),
        ("lock_table", Value::string(&d.lock_table)),
        ("state_key", Value::string(&d.state_key)),
        ("kms_key_arn", Value::opt_string(d.kms_key_arn.clone())),
        ("force_destroy", Value::Bool(d.force_destroy)),
        ("timeouts", d.timeouts_block.clone()),
        (
            "tags",
            d.tags
                .as_ref()
                .map_or(Value::Null, |t| Value::string_map(t.iter())),
        ),
        ("bucket_arn", Value::string(bucket_arn(aws, &d.bucket))),
        (
            "lock_table_arn",
            Value::opt_string(seen.table.as_ref().map(|t| t.arn.clone())),
        ),
        ("region", Value::string(&aws.region)),
        ("tags_all", Value::string_map(visible.iter())),
        ("versioning", Value::string(&seen.bucket.versioning)),
        ("encryption", Value::string(&seen.bucket.encryption)),
        (
            "public_access_blocked",
            Value::Bool(seen.bucket.public_access_blocked),
        ),
        ("tls_only_policy", Value::Bool(seen.bucket.tls_only_policy)),
        (
            "point_in_time_recovery",
            Value::Bool(
                seen.table
                    .as_ref()
                    .is_some_and(|t| t.point_in_time_recovery),
            ),
        ),
        (
            "backend_config",
            Value::string(backend_config(d, &aws.region)),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::codec;
    use crate::framework::codec::tests::arb_value;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any value of the schema's type reads into a model and back into a state
        /// without panicking.
        #[test]
        fn models_of_any_value_never_panic(v in arb_value(super::super::schema::schema().value_type(), true)) {
            let d = Desired::from_value(&v);
            let seen = Seen { bucket: BucketSeen::default(), table: None };
            let _ = state(&test_aws(), &d, &seen);
            let _ = backend_config(&d, "us-east-1");
        }
    }

    #[test]
    fn backend_config_is_ready_to_paste() {
        let d = Desired {
            bucket: "b".into(),
            lock_table: "t".into(),
            state_key: "ode/terraform.tfstate".into(),
            kms_key_arn: None,
            force_destroy: false,
            tags: None,
            timeouts_block: Value::Null,
            timeouts: Timeouts::from_value(&Value::Null, DEFAULT_TIMEOUT),
            creating: None,
        };
        let s = backend_config(&d, "us-east-1");
        assert!(s.contains("backend \"s3\""));
        assert!(s.contains("bucket         = \"b\""));
        assert!(s.contains("dynamodb_table = \"t\""));
        assert!(s.contains("key            = \"ode/terraform.tfstate\""));
        assert!(!s.contains("kms_key_id"));
    }

    #[test]
    fn desired_round_trips_through_a_state_value_that_fits_the_schema() {
        let v = Value::object([
            ("bucket", Value::string("b")),
            ("lock_table", Value::string("t")),
            ("state_key", Value::string("k")),
            ("kms_key_arn", Value::Null),
            ("force_destroy", Value::Bool(true)),
            ("tags", Value::object([("a", Value::string("1"))])),
        ]);
        let d = Desired::from_value(&v);
        assert_eq!(d.tags.as_ref().unwrap()["a"], "1");
        assert!(d.force_destroy);
        // Every attribute the model writes exists in the schema with the right type.
        let ty = super::super::schema::schema().value_type();
        let seen = Seen {
            bucket: BucketSeen::default(),
            table: None,
        };
        let aws_like = test_aws();
        let st = state(&aws_like, &d, &seen);
        codec::to_msgpack(&st, &ty).expect("state fits schema");
        assert_eq!(Desired::from_value(&st), d);
    }

    fn test_aws() -> Aws {
        Aws::for_tests()
    }
}
