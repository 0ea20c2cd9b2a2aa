//! Provider-defined functions, callable as `provider::ode::NAME(...)` on cores
//! that support them (OpenTofu >= 1.7, Terraform >= 1.8).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::framework::{Function, FunctionError, Param, Signature, Type, Value};
use crate::resources::network::layout::{self, Cidr, Tier, TierSpec};

pub fn all() -> Vec<Arc<dyn Function>> {
    vec![Arc::new(SubnetLayout)]
}

/// `subnet_layout(cidr_block, availability_zones)`: the CIDRs `ode_network`
/// gives each tier in each zone with its default layout.
pub struct SubnetLayout;

impl Function for SubnetLayout {
    fn name(&self) -> &'static str {
        "subnet_layout"
    }

    fn signature(&self) -> Signature {
        Signature {
            params: vec![
                Param::new(
                    "cidr_block",
                    Type::String,
                    "The VPC's IPv4 CIDR block, e.g. `10.0.0.0/16`.",
                ),
                Param::new(
                    "availability_zones",
                    Type::list(Type::String),
                    "The zones, e.g. `[\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"]`.",
                ),
            ],
            returns: Type::map(Type::map(Type::String)),
            summary: "Subnet CIDRs of ode_network's default layout".into(),
            description:
                "Returns `{ public = { AZ = CIDR, ... }, private = {...}, isolated = {...} }`: \
                the subnets `ode_network` creates for this CIDR block and these zones with the \
                default tier settings. Adding a zone or a tier never moves an existing subnet."
                    .into(),
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let cidr = args.first().and_then(Value::as_str).unwrap_or_default();
        let vpc = Cidr::parse(cidr).map_err(|e| FunctionError::at(0, e))?;
        let azs = args.get(1).map(Value::to_string_vec).unwrap_or_default();
        let tiers: BTreeMap<Tier, TierSpec> = Tier::ALL
            .into_iter()
            .map(|t| (t, TierSpec::default()))
            .collect();
        let l = layout::layout(vpc, &azs, &tiers).map_err(|e| {
            let arg = usize::from(e.field == layout::Field::Zones);
            FunctionError::at(arg, e.message)
        })?;
        let mut out: BTreeMap<String, Value> = Tier::ALL
            .into_iter()
            .map(|t| (t.name().to_string(), Value::Map(BTreeMap::new())))
            .collect();
        for ((tier, az), c) in l {
            if let Some(Value::Map(m)) = out.get_mut(tier.name()) {
                m.insert(az, Value::string(c.to_string()));
            }
        }
        Ok(Value::Map(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_function_matches_the_resource_layout() {
        let out = SubnetLayout
            .call(&[
                Value::string("10.0.0.0/16"),
                Value::string_list(["us-east-1a", "us-east-1b"]),
            ])
            .unwrap();
        assert_eq!(
            out.get("public").get("us-east-1b"),
            &Value::string("10.0.8.0/21")
        );
        assert_eq!(
            out.get("private").get("us-east-1a"),
            &Value::string("10.0.128.0/20")
        );
        let err = SubnetLayout
            .call(&[
                Value::string("10.0.0.1/16"),
                Value::string_list(["us-east-1a"]),
            ])
            .unwrap_err();
        assert_eq!(err.argument, Some(0));
    }
}
