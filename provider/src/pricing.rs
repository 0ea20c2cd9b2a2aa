//! Plan-time cost estimates: the price table the project ships and the sums
//! the composites report as `estimated_monthly_cost` and `cost_items`.
//!
//! Prices are AWS's public on-demand list prices for us-east-1 (Linux, USD) as
//! of [`PRICES_AS_OF`], per hour unless the name says otherwise; a month is 730
//! hours. Usage that the topology does not fix (object storage, image storage,
//! requests, data transfer) is priced from the stated assumptions. The estimate
//! is a planning aid, not a bill: other regions, discounts, Savings Plans, data
//! transfer and taxes are not in it.

use std::collections::BTreeMap;

pub const PRICES_AS_OF: &str = "2025-06-01";
pub const HOURS_PER_MONTH: f64 = 730.0;

pub const EKS_CLUSTER_HOUR: f64 = 0.10;
/// The `cost_items` name of a cluster in extended support.
pub const EKS_EXTENDED_ITEM: &str = "EKS (extended support)";
/// A cluster whose Kubernetes version is in extended support.
pub const EKS_EXTENDED_CLUSTER_HOUR: f64 = 0.60;
pub const NAT_GATEWAY_HOUR: f64 = 0.045;
pub const PUBLIC_IPV4_HOUR: f64 = 0.005;
/// An interface VPC endpoint, per availability zone it serves (us-east-1 list price;
/// gateway endpoints are free; data processed is not estimated).
pub const INTERFACE_ENDPOINT_AZ_HOUR: f64 = 0.01;
pub const EBS_GP3_GB_MONTH: f64 = 0.08;
pub const RDS_STORAGE_GB_MONTH: f64 = 0.115;
pub const S3_STANDARD_GB_MONTH: f64 = 0.023;
pub const ECR_GB_MONTH: f64 = 0.10;
/// Spot capacity is priced at this share of on-demand (the seed's "saves ~70%").
pub const SPOT_SHARE: f64 = 0.30;
/// ElastiCache for Valkey nodes cost 20% less than Redis OSS nodes of the same type.
pub const VALKEY_NODE_SHARE: f64 = 0.80;
/// Assumed stored data: the seed's "1TB storage" for the document buckets.
pub const S3_ASSUMED_GB: f64 = 1024.0;
/// Assumed monthly S3 request charges for that storage.
pub const S3_ASSUMED_REQUESTS: f64 = 5.0;
/// Assumed image storage of the registry, all repositories together.
pub const ECR_ASSUMED_GB: f64 = 100.0;

const EC2: &[(&str, f64)] = &[
    ("t3.nano", 0.0052),
    ("t3.micro", 0.0104),
    ("t3.small", 0.0208),
    ("t3.medium", 0.0416),
    ("t3.large", 0.0832),
    ("t3.xlarge", 0.1664),
    ("t3.2xlarge", 0.3328),
    ("t3a.medium", 0.0376),
    ("t3a.large", 0.0752),
    ("t3a.xlarge", 0.1504),
    ("t4g.medium", 0.0336),
    ("t4g.large", 0.0672),
    ("m5.large", 0.096),
    ("m5.xlarge", 0.192),
    ("m5.2xlarge", 0.384),
    ("m6i.large", 0.096),
    ("m6i.xlarge", 0.192),
    ("m6i.2xlarge", 0.384),
    ("m6g.large", 0.077),
    ("m6g.xlarge", 0.154),
    ("m7i.large", 0.1008),
    ("m7i.xlarge", 0.2016),
    ("c5.large", 0.085),
    ("c5.xlarge", 0.17),
    ("c6i.large", 0.085),
    ("c6i.xlarge", 0.17),
    ("c6g.large", 0.068),
    ("r5.large", 0.126),
    ("r6i.large", 0.126),
    ("r6g.large", 0.1008),
];

/// PostgreSQL, Single-AZ; Multi-AZ doubles it.
const RDS_POSTGRES: &[(&str, f64)] = &[
    ("db.t3.micro", 0.018),
    ("db.t3.small", 0.036),
    ("db.t3.medium", 0.072),
    ("db.t3.large", 0.145),
    ("db.t3.xlarge", 0.29),
    ("db.t4g.micro", 0.016),
    ("db.t4g.small", 0.032),
    ("db.t4g.medium", 0.065),
    ("db.t4g.large", 0.129),
    ("db.m5.large", 0.178),
    ("db.m5.xlarge", 0.356),
    ("db.m6g.large", 0.159),
    ("db.m6i.large", 0.178),
    ("db.m6i.xlarge", 0.356),
    ("db.r5.large", 0.25),
    ("db.r6g.large", 0.225),
    ("db.r6i.large", 0.25),
];

const ELASTICACHE: &[(&str, f64)] = &[
    ("cache.t3.micro", 0.017),
    ("cache.t3.small", 0.034),
    ("cache.t3.medium", 0.068),
    ("cache.t4g.micro", 0.016),
    ("cache.t4g.small", 0.032),
    ("cache.t4g.medium", 0.065),
    ("cache.m5.large", 0.156),
    ("cache.m6g.large", 0.149),
    ("cache.m7g.large", 0.158),
    ("cache.r5.large", 0.216),
    ("cache.r6g.large", 0.206),
    ("cache.r7g.large", 0.219),
];

fn price(table: &[(&str, f64)], kind: &str) -> Option<f64> {
    table.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)
}

/// Cost items (the seed's table's names) in USD per month, and the kinds the
/// table has no price for (left out of the sum, said in a warning).
#[derive(Debug, Default, PartialEq)]
pub struct Estimate {
    pub items: BTreeMap<String, f64>,
    pub unpriced: Vec<String>,
}

impl Estimate {
    fn add(&mut self, item: &str, usd: f64) {
        *self.items.entry(item.to_string()).or_default() += usd;
    }

    /// The total, in cents precision.
    pub fn total(&self) -> f64 {
        round(self.items.values().sum())
    }

    /// Items rounded to cents.
    pub fn rounded(&self) -> BTreeMap<String, f64> {
        self.items
            .iter()
            .map(|(k, v)| (k.clone(), round(*v)))
            .collect()
    }

    /// The warning for what the table cannot price, if anything.
    pub fn warning(&self) -> Option<String> {
        (!self.unpriced.is_empty()).then(|| {
            format!(
                "The price table ({PRICES_AS_OF}, us-east-1 on-demand) has no price for {}; the estimate leaves them out.",
                self.unpriced.join(", ")
            )
        })
    }
}

/// The two computed attributes every composite has.
pub fn attributes() -> [crate::framework::Attribute; 2] {
    use crate::framework::{Attribute, Type};
    [
        Attribute::new("estimated_monthly_cost", Type::Number).computed().doc(
            "Estimated monthly cost in USD of what the plan makes, from the price table the provider ships (us-east-1 on-demand list prices as of 2025-06-01; usage such as stored objects priced from stated assumptions). An estimate, not a bill.",
        ),
        Attribute::new("cost_items", Type::map(Type::Number)).computed().doc(
            "The estimate by item (the seed's names: `NAT Gateway`, `EKS`, `EC2 Nodes`, `RDS`, ...), USD per month.",
        ),
    ]
}

/// Writes `e` into a plan or state value; unknown when `e` is None (inputs unknown).
pub fn set(v: &mut crate::framework::Value, e: Option<&Estimate>) {
    use crate::framework::Value;
    match e {
        Some(e) => {
            v.set(
                "estimated_monthly_cost",
                Value::Number(crate::framework::Number::Float(e.total())),
            );
            v.set(
                "cost_items",
                Value::Map(
                    e.rounded()
                        .into_iter()
                        .map(|(k, n)| (k, Value::Number(crate::framework::Number::Float(n))))
                        .collect(),
                ),
            );
        }
        None => {
            v.set("estimated_monthly_cost", Value::Unknown);
            v.set("cost_items", Value::Unknown);
        }
    }
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A network: NAT gateways and their public IPv4 addresses, and interface VPC
/// endpoints by the zones each serves (`endpoint_zones`: the sum over endpoints).
pub fn network(nat_gateways: usize, endpoint_zones: usize) -> Estimate {
    let mut e = Estimate::default();
    e.add(
        "NAT Gateway",
        nat_gateways as f64 * NAT_GATEWAY_HOUR * HOURS_PER_MONTH,
    );
    e.add(
        "VPC",
        nat_gateways as f64 * PUBLIC_IPV4_HOUR * HOURS_PER_MONTH,
    );
    if endpoint_zones > 0 {
        e.add(
            "VPC Endpoints",
            endpoint_zones as f64 * INTERFACE_ENDPOINT_AZ_HOUR * HOURS_PER_MONTH,
        );
    }
    e
}

/// A node group for the estimate: instance type (the first listed is priced),
/// nodes, spot or not, root volume GiB.
pub struct Nodes<'a> {
    pub instance_type: &'a str,
    pub count: i64,
    pub spot: bool,
    pub disk_gb: i64,
}

/// An EKS cluster with its node groups; `extended`: its Kubernetes version is in
/// extended support, priced at that rate under its own item.
pub fn eks(groups: &[Nodes<'_>], extended: bool) -> Estimate {
    let mut e = Estimate::default();
    if extended {
        e.add(
            EKS_EXTENDED_ITEM,
            EKS_EXTENDED_CLUSTER_HOUR * HOURS_PER_MONTH,
        );
    } else {
        e.add("EKS", EKS_CLUSTER_HOUR * HOURS_PER_MONTH);
    }
    e.add("EC2 Nodes", 0.0);
    for g in groups {
        match price(EC2, g.instance_type) {
            Some(p) => {
                let share = if g.spot { SPOT_SHARE } else { 1.0 };
                let n = g.count.max(0) as f64;
                e.add("EC2 Nodes", n * p * share * HOURS_PER_MONTH);
                e.add("EC2 Nodes", n * g.disk_gb.max(0) as f64 * EBS_GP3_GB_MONTH);
            }
            None => e.unpriced.push(g.instance_type.to_string()),
        }
    }
    e
}

/// The data tier: PostgreSQL, Redis and the buckets (the seed's assumed 1 TB).
pub fn data_tier(
    instance_class: &str,
    multi_az: bool,
    storage_gb: i64,
    node_type: &str,
    valkey: bool,
    nodes: i64,
    buckets: usize,
) -> Estimate {
    let mut e = Estimate::default();
    let copies = if multi_az { 2.0 } else { 1.0 };
    match price(RDS_POSTGRES, instance_class) {
        Some(p) => e.add("RDS", copies * p * HOURS_PER_MONTH),
        None => e.unpriced.push(instance_class.to_string()),
    }
    e.add(
        "RDS",
        copies * storage_gb.max(0) as f64 * RDS_STORAGE_GB_MONTH,
    );
    let share = if valkey { VALKEY_NODE_SHARE } else { 1.0 };
    match price(ELASTICACHE, node_type) {
        Some(p) => e.add(
            "ElastiCache",
            nodes.max(0) as f64 * p * share * HOURS_PER_MONTH,
        ),
        None => e.unpriced.push(node_type.to_string()),
    }
    if buckets > 0 {
        e.add(
            "S3",
            S3_ASSUMED_GB * S3_STANDARD_GB_MONTH + S3_ASSUMED_REQUESTS,
        );
    }
    e
}

/// The registry: the assumed image storage.
pub fn registry(repositories: usize) -> Estimate {
    let mut e = Estimate::default();
    if repositories > 0 {
        e.add("ECR", ECR_ASSUMED_GB * ECR_GB_MONTH);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_topology_priced_item_by_item() {
        let net = network(3, 0);
        assert_eq!(net.rounded()["NAT Gateway"], 98.55);
        assert!(!net.rounded().contains_key("VPC Endpoints"));
        // Four interface endpoints in three zones: $0.01 per zone-hour each.
        assert_eq!(network(3, 12).rounded()["VPC Endpoints"], 87.6);
        let nodes = [
            Nodes {
                instance_type: "t3.medium",
                count: 2,
                spot: false,
                disk_gb: 20,
            },
            Nodes {
                instance_type: "t3.large",
                count: 3,
                spot: false,
                disk_gb: 20,
            },
        ];
        let eks_standard = eks(&nodes, false);
        assert_eq!(eks_standard.rounded()["EKS"], 73.0);
        // 2 x 0.0416 + 3 x 0.0832 per hour, plus 5 x 20 GiB of gp3.
        assert_eq!(eks_standard.rounded()["EC2 Nodes"], 250.94);
        // A version in extended support: $0.60 an hour under its own item, nodes alike.
        let eks_extended = eks(&nodes, true);
        assert_eq!(eks_extended.rounded()[EKS_EXTENDED_ITEM], 438.0);
        assert!(!eks_extended.items.contains_key("EKS"));
        assert_eq!(eks_extended.rounded()["EC2 Nodes"], 250.94);
        let data = data_tier("db.t3.medium", true, 100, "cache.t3.medium", false, 2, 3);
        assert_eq!(data.rounded()["RDS"], 128.12);
        assert_eq!(data.rounded()["ElastiCache"], 99.28);
        let valkey = data_tier("db.t3.medium", true, 100, "cache.t3.medium", true, 2, 3);
        assert_eq!(valkey.rounded()["ElastiCache"], 79.42);
        assert_eq!(data.rounded()["S3"], 28.55);
        assert_eq!(registry(3).rounded()["ECR"], 10.0);
    }

    #[test]
    fn spot_and_unknown_types() {
        let on_demand = eks(
            &[Nodes {
                instance_type: "t3.large",
                count: 3,
                spot: false,
                disk_gb: 0,
            }],
            false,
        );
        let spot = eks(
            &[Nodes {
                instance_type: "t3.large",
                count: 3,
                spot: true,
                disk_gb: 0,
            }],
            false,
        );
        assert!(spot.items["EC2 Nodes"] < on_demand.items["EC2 Nodes"] * 0.31);
        let odd = eks(
            &[Nodes {
                instance_type: "x9.huge",
                count: 1,
                spot: false,
                disk_gb: 20,
            }],
            false,
        );
        assert_eq!(odd.unpriced, vec!["x9.huge"]);
        assert!(odd.warning().unwrap().contains("x9.huge"));
    }
}
