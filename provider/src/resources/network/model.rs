//! Typed views of `ode_network`: the desired topology a plan describes, what
//! AWS holds, and the state value built from them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::layout::{self, Cidr, Tier, TierSpec};
use super::schema::*;
use crate::framework::Value;
use crate::kit::timeouts::Timeouts;

/// One tier as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct TierConfig {
    pub enabled: bool,
    pub spec: TierSpec,
    pub tags: BTreeMap<String, String>,
}

/// The settings a plan asks for (AZs resolved).
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub name: String,
    pub cidr: String,
    pub azs: Vec<String>,
    pub nat: String,
    pub dns_support: bool,
    pub dns_hostnames: bool,
    pub manage_default_sg: bool,
    pub tags: BTreeMap<String, String>,
    pub tiers: BTreeMap<Tier, TierConfig>,
    pub flow_logs: Option<FlowLogSpec>,
    /// Services with a gateway endpoint (`s3`, `dynamodb`), on the private and
    /// isolated route tables.
    pub gateway_endpoints: Vec<String>,
    /// Services with an interface endpoint (`ecr.api`, `sts`, ...) in the private
    /// subnets, behind the network's endpoint security group.
    pub interface_endpoints: Vec<String>,
    pub timeouts: Timeouts,
    /// While a create runs: the claim fingerprint the VPC is marked with
    /// (`ode:creating`), removed when the create finishes.
    pub creating: Option<String>,
}

/// Flow log settings as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowLogSpec {
    pub destination: String,
    pub traffic: String,
    pub role: Option<String>,
}

impl FlowLogSpec {
    pub fn from_value(v: &Value) -> Option<Self> {
        let b = v.get("flow_logs").block();
        Some(FlowLogSpec {
            destination: b.get("destination_arn").as_str()?.to_string(),
            traffic: b.get("traffic_type").as_str().unwrap_or("ALL").to_string(),
            role: b.get("iam_role_arn").as_str().map(str::to_string),
        })
    }

    /// `s3` or `cloud-watch-logs`, from the destination ARN.
    pub fn destination_type(&self) -> &'static str {
        if self.destination.starts_with("arn:aws") && self.destination.contains(":s3:") {
            "s3"
        } else {
            "cloud-watch-logs"
        }
    }
}

/// A flow log of the VPC that this network created.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowLogSeen {
    pub id: String,
    pub destination: String,
    pub traffic: String,
}

impl FlowLogSeen {
    pub fn matches(&self, spec: &FlowLogSpec) -> bool {
        self.destination == spec.destination && self.traffic == spec.traffic
    }
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_AZ_COUNT: i64 = 3;

pub fn tier_config(v: &Value, tier: Tier) -> TierConfig {
    let b = v.get(tier.name()).block();
    TierConfig {
        enabled: b.get("enabled").as_bool().unwrap_or(true),
        spec: TierSpec {
            prefix: b
                .get("prefix_length")
                .as_i64()
                .and_then(|p| u8::try_from(p).ok()),
            cidrs: b.get("cidrs").to_string_map(),
        },
        tags: b.get("tags").to_string_map(),
    }
}

impl Desired {
    /// Reads a planned (or prior) state whose AZs are known.
    pub fn from_value(v: &Value) -> Self {
        Desired {
            name: v.get("name").as_str().unwrap_or_default().to_string(),
            cidr: v
                .get("cidr_block")
                .as_str()
                .unwrap_or("10.0.0.0/16")
                .to_string(),
            azs: v.get("availability_zones").to_string_vec(),
            nat: v
                .get("nat_gateways")
                .as_str()
                .unwrap_or(NAT_ONE_PER_AZ)
                .to_string(),
            dns_support: v.get("enable_dns_support").as_bool().unwrap_or(true),
            dns_hostnames: v.get("enable_dns_hostnames").as_bool().unwrap_or(true),
            manage_default_sg: v
                .get("manage_default_security_group")
                .as_bool()
                .unwrap_or(true),
            tags: v.get("tags").to_string_map(),
            tiers: Tier::ALL
                .into_iter()
                .map(|t| (t, tier_config(v, t)))
                .collect(),
            flow_logs: FlowLogSpec::from_value(v),
            gateway_endpoints: v.get("gateway_endpoints").to_string_vec(),
            interface_endpoints: v.get("interface_endpoints").to_string_vec(),
            timeouts: Timeouts::from_value(v, DEFAULT_TIMEOUT),
            creating: None,
        }
    }

    pub fn enabled(&self, tier: Tier) -> bool {
        self.tiers.get(&tier).is_some_and(|t| t.enabled)
    }

    /// The topology this configuration describes.
    pub fn topology(&self) -> Result<Topology, layout::LayoutError> {
        let vpc = Cidr::parse(&self.cidr).map_err(|m| layout::LayoutError {
            tier: None,
            field: layout::Field::CidrBlock,
            message: m,
        })?;
        let specs: BTreeMap<Tier, TierSpec> = self
            .tiers
            .iter()
            .filter(|(_, c)| c.enabled)
            .map(|(t, c)| (*t, c.spec.clone()))
            .collect();
        let subnets = layout::layout(vpc, &self.azs, &specs)?;
        let public = self.enabled(Tier::Public);
        let nat_azs: Vec<String> = match (public, self.nat.as_str()) {
            (false, _) | (_, NAT_NONE) => Vec::new(),
            (true, NAT_SINGLE) => self.azs.first().cloned().into_iter().collect(),
            (true, _) => self.azs.clone(),
        };
        let mut route_tables = BTreeSet::new();
        if public {
            route_tables.insert(RtKey::Public);
        }
        if self.enabled(Tier::Private) {
            route_tables.extend(self.azs.iter().map(|az| RtKey::Private(az.clone())));
        }
        if self.enabled(Tier::Isolated) {
            route_tables.insert(RtKey::Isolated);
        }
        let mut endpoints = BTreeMap::new();
        let gateway_tables: Vec<RtKey> = route_tables
            .iter()
            .filter(|k| !matches!(k, RtKey::Public))
            .cloned()
            .collect();
        for service in &self.gateway_endpoints {
            endpoints.insert(
                service.clone(),
                EndpointPlan::Gateway(gateway_tables.clone()),
            );
        }
        let private_subnets: Vec<SubnetKey> = subnets
            .keys()
            .filter(|(t, _)| *t == Tier::Private)
            .map(|(t, az)| SubnetKey {
                tier: *t,
                az: az.clone(),
            })
            .collect();
        for service in &self.interface_endpoints {
            endpoints.insert(
                service.clone(),
                EndpointPlan::Interface(private_subnets.clone()),
            );
        }
        Ok(Topology {
            subnets: subnets
                .into_iter()
                .map(|((t, az), c)| (SubnetKey { tier: t, az }, c.to_string()))
                .collect(),
            igw: public,
            nats: nat_azs.into_iter().collect(),
            route_tables,
            azs: self.azs.clone(),
            endpoint_sg: !self.interface_endpoints.is_empty(),
            endpoints,
        })
    }

    /// Where a private zone's default route goes (None = no internet route).
    pub fn private_nat_for(&self, topo: &Topology, az: &str) -> Option<String> {
        if topo.nats.contains(az) {
            Some(az.to_string())
        } else {
            topo.nats.iter().next().cloned()
        }
    }
}

/// A subnet's logical identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubnetKey {
    pub tier: Tier,
    pub az: String,
}

impl SubnetKey {
    pub fn tag(&self) -> String {
        format!("subnet/{}/{}", self.tier, self.az)
    }
}

/// A route table's logical identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RtKey {
    Public,
    Private(String),
    Isolated,
}

impl RtKey {
    pub fn tag(&self) -> String {
        match self {
            RtKey::Public => "rtb/public".into(),
            RtKey::Private(az) => format!("rtb/private/{az}"),
            RtKey::Isolated => "rtb/isolated".into(),
        }
    }

    pub fn for_subnet(k: &SubnetKey) -> RtKey {
        match k.tier {
            Tier::Public => RtKey::Public,
            Tier::Private => RtKey::Private(k.az.clone()),
            Tier::Isolated => RtKey::Isolated,
        }
    }
}

/// Parses an `ode:key` tag value back into what it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChildKey {
    Vpc,
    Igw,
    Subnet(SubnetKey),
    RouteTable(RtKey),
    Nat(String),
    Eip(String),
    FlowLog,
    Endpoint(String),
    EndpointSg,
}

impl ChildKey {
    pub fn parse(s: &str) -> Option<ChildKey> {
        let parts: Vec<&str> = s.split('/').collect();
        Some(match parts.as_slice() {
            ["vpc"] => ChildKey::Vpc,
            ["igw"] => ChildKey::Igw,
            ["flowlog"] => ChildKey::FlowLog,
            ["subnet", t, az] => ChildKey::Subnet(SubnetKey {
                tier: Tier::from_name(t)?,
                az: az.to_string(),
            }),
            ["rtb", "public"] => ChildKey::RouteTable(RtKey::Public),
            ["rtb", "isolated"] => ChildKey::RouteTable(RtKey::Isolated),
            ["rtb", "private", az] => ChildKey::RouteTable(RtKey::Private(az.to_string())),
            ["nat", az] => ChildKey::Nat(az.to_string()),
            ["eip", az] => ChildKey::Eip(az.to_string()),
            ["vpce", service] => ChildKey::Endpoint(service.to_string()),
            ["sg", "endpoints"] => ChildKey::EndpointSg,
            _ => return None,
        })
    }
}

pub fn nat_tag(az: &str) -> String {
    format!("nat/{az}")
}

pub fn eip_tag(az: &str) -> String {
    format!("eip/{az}")
}

/// The children a configuration calls for.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    /// Subnet CIDRs by key.
    pub subnets: BTreeMap<SubnetKey, String>,
    pub igw: bool,
    /// Zones that hold a NAT gateway.
    pub nats: BTreeSet<String>,
    pub route_tables: BTreeSet<RtKey>,
    pub azs: Vec<String>,
    /// VPC endpoints by service (`s3`, `ecr.api`, ...).
    pub endpoints: BTreeMap<String, EndpointPlan>,
    /// Whether the network keeps a security group for its interface endpoints.
    pub endpoint_sg: bool,
}

/// Where a VPC endpoint serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointPlan {
    /// A gateway endpoint on these route tables.
    Gateway(Vec<RtKey>),
    /// An interface endpoint in these subnets.
    Interface(Vec<SubnetKey>),
}

impl EndpointPlan {
    pub fn is_interface(&self) -> bool {
        matches!(self, EndpointPlan::Interface(_))
    }
}

/// The services EC2 offers gateway endpoints for.
pub const GATEWAY_SERVICES: [&str; 2] = ["s3", "dynamodb"];

/// The full service name of an AWS service's endpoint in `region`.
pub fn endpoint_service_name(region: &str, service: &str) -> String {
    format!("com.amazonaws.{region}.{service}")
}

pub fn endpoint_tag(service: &str) -> String {
    format!("vpce/{service}")
}

pub const ENDPOINT_SG_TAG: &str = "sg/endpoints";

// ------------------------------------------------------------ observation

#[derive(Clone, Debug, Default, PartialEq)]
pub struct VpcSeen {
    pub id: String,
    /// The claim mark's fingerprint while the VPC's create is unrecorded.
    pub creating: Option<String>,
    pub owner: String,
    pub cidr: String,
    pub dns_support: bool,
    pub dns_hostnames: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubnetSeen {
    pub id: String,
    pub cidr: String,
    pub az: String,
    pub map_public_ip: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NatSeen {
    pub id: String,
    pub subnet_id: String,
    pub allocation_id: Option<String>,
    pub public_ip: Option<String>,
    /// `pending` or `available` (deleted and failed gateways are not kept).
    pub state: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub destination: String,
    /// igw-..., nat-..., or another target id.
    pub target: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteTableSeen {
    pub id: String,
    pub routes: Vec<Route>,
    /// (association id, subnet id)
    pub associations: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IgwSeen {
    pub id: String,
    pub attached: bool,
}

/// A VPC endpoint of the network as EC2 describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointSeen {
    pub id: String,
    pub interface: bool,
    pub route_table_ids: Vec<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    /// `pending`, `available`, ... (`failed` ones are made again).
    pub state: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SgSeen {
    pub id: String,
    pub has_rules: bool,
}

/// Everything of one network that AWS holds, keyed by logical identity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub vpc: Option<VpcSeen>,
    pub subnets: BTreeMap<SubnetKey, SubnetSeen>,
    pub igw: Option<IgwSeen>,
    pub nats: BTreeMap<String, NatSeen>,
    /// The stack's NAT gateways AWS could not make (`failed`): they hold nothing and
    /// are deleted, not counted as their zone's.
    pub failed_nats: Vec<String>,
    pub route_tables: BTreeMap<RtKey, RouteTableSeen>,
    /// Route tables of the VPC this network did not create (main table included).
    pub other_route_tables: Vec<RouteTableSeen>,
    pub default_sg: Option<SgSeen>,
    /// Read only when flow logs are configured or being removed.
    pub flow_log: Option<FlowLogSeen>,
    /// The network's VPC endpoints (not deleted), by service.
    pub endpoints: BTreeMap<String, EndpointSeen>,
    /// Second copies of one child (same `ode:key`): what a create retried after AWS had
    /// carried it out (the answer lost on the way) made. The copy in use is kept; these
    /// are deleted by the next apply and by destroy.
    pub spare_route_tables: Vec<RouteTableSeen>,
    pub spare_igws: Vec<String>,
    /// The network's security group for its interface endpoints.
    pub endpoint_sg: Option<String>,
    /// Whether that group admits HTTPS from the VPC.
    pub endpoint_sg_open: bool,
    /// Tags of every child above, by resource id.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
}

pub const DEFAULT_ROUTES: [&str; 2] = ["0.0.0.0/0", "::/0"];

impl Observed {
    /// The route table a subnet is explicitly associated with, if any.
    pub fn table_of(&self, subnet_id: &str) -> Option<&RouteTableSeen> {
        self.route_tables
            .values()
            .chain(self.other_route_tables.iter())
            .find(|rt| rt.associations.iter().any(|(_, s)| s == subnet_id))
    }

    /// What lets an isolated subnet reach the internet; "verified" when nothing does.
    pub fn isolation(&self) -> String {
        let mut problems = Vec::new();
        for (k, s) in self
            .subnets
            .iter()
            .filter(|(k, _)| k.tier == Tier::Isolated)
        {
            match self.table_of(&s.id) {
                Some(rt) => {
                    for r in &rt.routes {
                        let internet = DEFAULT_ROUTES.contains(&r.destination.as_str())
                            || r.target.starts_with("igw-")
                            || r.target.starts_with("nat-");
                        if internet {
                            problems.push(format!(
                                "{} ({}) routes {} to {}",
                                rt.id, k.az, r.destination, r.target
                            ));
                        }
                    }
                }
                None => problems.push(format!("{} ({}) has no isolated route table", s.id, k.az)),
            }
        }
        problems.sort();
        problems.dedup();
        if problems.is_empty() {
            "verified".into()
        } else {
            format!("violated: {}", problems.join("; "))
        }
    }

    /// How the endpoints differ from `topo`: missing, failed, or serving other route
    /// tables, subnets or security groups than the network's.
    pub fn endpoint_problems(&self, topo: &Topology) -> Vec<String> {
        let mut problems = Vec::new();
        for (service, plan) in &topo.endpoints {
            let Some(seen) = self.endpoints.get(service) else {
                problems.push(format!("the {service} endpoint is missing"));
                continue;
            };
            if seen.state == "failed" {
                problems.push(format!("the {service} endpoint {} failed", seen.id));
            }
            let (want, have, what): (BTreeSet<String>, BTreeSet<String>, &str) = match plan {
                EndpointPlan::Gateway(tables) => (
                    tables
                        .iter()
                        .filter_map(|k| self.route_tables.get(k).map(|r| r.id.clone()))
                        .collect(),
                    seen.route_table_ids.iter().cloned().collect(),
                    "route tables",
                ),
                EndpointPlan::Interface(subnets) => (
                    subnets
                        .iter()
                        .filter_map(|k| self.subnets.get(k).map(|s| s.id.clone()))
                        .collect(),
                    seen.subnet_ids.iter().cloned().collect(),
                    "subnets",
                ),
            };
            if want != have || seen.interface != plan.is_interface() {
                problems.push(format!(
                    "the {service} endpoint {} serves {what} [{}] instead of [{}]",
                    seen.id,
                    have.into_iter().collect::<Vec<_>>().join(", "),
                    want.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
            if plan.is_interface() {
                let sg: Vec<String> = self.endpoint_sg.iter().cloned().collect();
                if seen.security_group_ids != sg {
                    problems.push(format!(
                        "the {service} endpoint {} uses security groups [{}] instead of the network's",
                        seen.id,
                        seen.security_group_ids.join(", ")
                    ));
                }
            }
        }
        for (service, seen) in &self.endpoints {
            if !topo.endpoints.contains_key(service) {
                problems.push(format!(
                    "the {service} endpoint {} is no longer wanted",
                    seen.id
                ));
            }
        }
        problems
    }

    /// Whether public and private subnets route as `d` says; "verified" when they do.
    pub fn egress(&self, d: &Desired, topo: &Topology) -> String {
        let mut problems = Vec::new();
        let default_target = |key: &RtKey| {
            self.route_tables.get(key).and_then(|rt| {
                rt.routes
                    .iter()
                    .find(|r| r.destination == "0.0.0.0/0")
                    .map(|r| r.target.clone())
            })
        };
        if topo.route_tables.contains(&RtKey::Public) {
            let want = self.igw.as_ref().map(|i| i.id.clone());
            if default_target(&RtKey::Public) != want || want.is_none() {
                problems.push(
                    "the public route table has no default route to the internet gateway"
                        .to_string(),
                );
            }
        }
        for az in &topo.azs {
            let key = RtKey::Private(az.clone());
            if !topo.route_tables.contains(&key) {
                continue;
            }
            let want = d
                .private_nat_for(topo, az)
                .and_then(|n| self.nats.get(&n).map(|g| g.id.clone()));
            if default_target(&key) != want {
                problems.push(format!(
                    "the private route table in {az} routes 0.0.0.0/0 to {} instead of {}",
                    default_target(&key).unwrap_or_else(|| "nothing".into()),
                    want.unwrap_or_else(|| "nothing".into())
                ));
            }
        }
        for (k, s) in &self.subnets {
            if k.tier == Tier::Isolated {
                continue;
            }
            let want = self
                .route_tables
                .get(&RtKey::for_subnet(k))
                .map(|r| r.id.as_str());
            if self.table_of(&s.id).map(|r| r.id.as_str()) != want {
                problems.push(format!(
                    "{} ({} {}) is not associated with its route table",
                    s.id, k.tier, k.az
                ));
            }
        }
        problems.extend(self.endpoint_problems(topo));
        // Second copies (a create retried after AWS carried it out) are deleted.
        for rt in &self.spare_route_tables {
            problems.push(format!(
                "{} is a second copy of one of the network's route tables",
                rt.id
            ));
        }
        for igw in &self.spare_igws {
            problems.push(format!("{igw} is a second internet gateway of the network"));
        }
        if problems.is_empty() {
            "verified".into()
        } else {
            format!("wrong: {}", problems.join("; "))
        }
    }
}

// ------------------------------------------------------------------ state

/// The values of the per-tier outputs, in AZ order.
fn tier_values(
    tier: Tier,
    azs: &[String],
    id_of: impl Fn(&str) -> Option<Value>,
    cidr_of: impl Fn(&str) -> Option<String>,
) -> Vec<(String, Value)> {
    let t = tier.name();
    let present: Vec<&String> = azs.iter().filter(|az| id_of(az).is_some()).collect();
    let ids: Vec<Value> = present.iter().filter_map(|az| id_of(az)).collect();
    let cidrs: Vec<Value> = present
        .iter()
        .filter_map(|az| cidr_of(az).map(Value::String))
        .collect();
    let ids_by: BTreeMap<String, Value> = present
        .iter()
        .filter_map(|az| id_of(az).map(|v| ((*az).clone(), v)))
        .collect();
    let cidrs_by: BTreeMap<String, Value> = present
        .iter()
        .filter_map(|az| cidr_of(az).map(|c| ((*az).clone(), Value::String(c))))
        .collect();
    vec![
        (format!("{t}_subnet_ids"), Value::List(ids)),
        (format!("{t}_subnet_cidrs"), Value::List(cidrs)),
        (format!("{t}_subnet_ids_by_az"), Value::Map(ids_by)),
        (format!("{t}_subnet_cidrs_by_az"), Value::Map(cidrs_by)),
    ]
}

/// The computed attributes for what AWS holds.
pub fn observed_values(
    partition: &str,
    region: &str,
    d: &Desired,
    obs: &Observed,
) -> Vec<(String, Value)> {
    let vpc = obs.vpc.as_ref();
    let topo = d.topology().ok();
    let mut out = vec![
        (
            "id".to_string(),
            Value::opt_string(vpc.map(|v| v.id.clone())),
        ),
        (
            "vpc_id".to_string(),
            Value::opt_string(vpc.map(|v| v.id.clone())),
        ),
        (
            "vpc_arn".to_string(),
            Value::opt_string(
                vpc.map(|v| format!("arn:{partition}:ec2:{region}:{}:vpc/{}", v.owner, v.id)),
            ),
        ),
        (
            "internet_gateway_id".to_string(),
            Value::opt_string(obs.igw.as_ref().map(|i| i.id.clone())),
        ),
        (
            "default_security_group_id".to_string(),
            Value::opt_string(obs.default_sg.as_ref().map(|s| s.id.clone())),
        ),
    ];
    // Zones in configured order first, then any other zone a child was found in.
    let mut azs = d.azs.clone();
    for k in obs.subnets.keys() {
        if !azs.contains(&k.az) {
            azs.push(k.az.clone());
        }
    }
    for tier in Tier::ALL {
        let key = |az: &str| SubnetKey {
            tier,
            az: az.to_string(),
        };
        out.extend(tier_values(
            tier,
            &azs,
            |az| obs.subnets.get(&key(az)).map(|s| Value::string(&s.id)),
            |az| obs.subnets.get(&key(az)).map(|s| s.cidr.clone()),
        ));
    }
    let nat_azs: Vec<&String> = azs.iter().filter(|az| obs.nats.contains_key(*az)).collect();
    out.push((
        "nat_gateway_ids".into(),
        Value::List(
            nat_azs
                .iter()
                .map(|az| Value::string(&obs.nats[*az].id))
                .collect(),
        ),
    ));
    out.push((
        "nat_public_ips".into(),
        Value::List(
            nat_azs
                .iter()
                .filter_map(|az| obs.nats[*az].public_ip.clone().map(Value::String))
                .collect(),
        ),
    ));
    let rt = |k: &RtKey| Value::opt_string(obs.route_tables.get(k).map(|r| r.id.clone()));
    out.push(("public_route_table_id".into(), rt(&RtKey::Public)));
    out.push((
        "private_route_table_ids".into(),
        Value::List(
            azs.iter()
                .filter_map(|az| obs.route_tables.get(&RtKey::Private(az.clone())))
                .map(|r| Value::string(&r.id))
                .collect(),
        ),
    ));
    out.push(("isolated_route_table_id".into(), rt(&RtKey::Isolated)));
    out.push((
        "flow_log_id".into(),
        Value::opt_string(obs.flow_log.as_ref().map(|f| f.id.clone())),
    ));
    out.push((
        "vpc_endpoint_ids".into(),
        Value::Map(
            obs.endpoints
                .iter()
                .map(|(service, e)| (service.clone(), Value::string(&e.id)))
                .collect(),
        ),
    ));
    out.push((
        "endpoint_security_group_id".into(),
        Value::opt_string(obs.endpoint_sg.clone()),
    ));
    out.push(("isolation".into(), Value::string(obs.isolation())));
    out.push((
        "egress".into(),
        Value::string(match &topo {
            Some(t) => obs.egress(d, t),
            None => "unknown: the configuration's layout is invalid".into(),
        }),
    ));
    out
}

/// The computed attributes a plan promises: known where the child already
/// exists with the same settings or can be derived from configuration, unknown
/// where apply will create it.
pub fn planned_values(d: &Desired, topo: &Topology, prior: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let prior_str = |name: &str| match prior.get(name) {
        Value::String(s) => Value::String(s.clone()),
        _ => Value::Unknown,
    };
    for name in ["id", "vpc_id", "vpc_arn", "default_security_group_id"] {
        out.push((name.to_string(), prior_str(name)));
    }
    out.push((
        "internet_gateway_id".into(),
        if topo.igw {
            prior_str("internet_gateway_id")
        } else {
            Value::Null
        },
    ));
    for tier in Tier::ALL {
        let t = tier.name();
        let prior_ids = prior.get(&format!("{t}_subnet_ids_by_az"));
        let prior_cidrs = prior.get(&format!("{t}_subnet_cidrs_by_az"));
        let key = |az: &str| SubnetKey {
            tier,
            az: az.to_string(),
        };
        out.extend(tier_values(
            tier,
            &topo.azs,
            |az| {
                let cidr = topo.subnets.get(&key(az))?;
                // Kept only when the same subnet (same CIDR) already exists.
                Some(match (prior_ids.get(az), prior_cidrs.get(az).as_str()) {
                    (Value::String(id), Some(c)) if c == cidr => Value::String(id.clone()),
                    _ => Value::Unknown,
                })
            },
            |az| topo.subnets.get(&key(az)).cloned(),
        ));
    }
    // NAT gateways: known when every planned one already exists in the same zone.
    let prior_nat_ids = prior
        .get("nat_gateway_ids")
        .as_list()
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let nat_azs: Vec<&String> = topo
        .azs
        .iter()
        .filter(|az| topo.nats.contains(*az))
        .collect();
    let same_nats = !prior.is_null()
        && prior_nat_ids.len() == nat_azs.len()
        && prior.get("nat_gateways") == &Value::string(&d.nat)
        && prior.get("availability_zones").to_string_vec() == d.azs;
    if same_nats {
        out.push((
            "nat_gateway_ids".into(),
            prior.get("nat_gateway_ids").clone(),
        ));
        out.push(("nat_public_ips".into(), prior.get("nat_public_ips").clone()));
    } else {
        out.push((
            "nat_gateway_ids".into(),
            Value::List(nat_azs.iter().map(|_| Value::Unknown).collect()),
        ));
        out.push((
            "nat_public_ips".into(),
            Value::List(nat_azs.iter().map(|_| Value::Unknown).collect()),
        ));
    }
    let has = |k: &RtKey| topo.route_tables.contains(k);
    out.push((
        "public_route_table_id".into(),
        if has(&RtKey::Public) {
            prior_str("public_route_table_id")
        } else {
            Value::Null
        },
    ));
    out.push((
        "isolated_route_table_id".into(),
        if has(&RtKey::Isolated) {
            prior_str("isolated_route_table_id")
        } else {
            Value::Null
        },
    ));
    let private: Vec<&String> = topo
        .azs
        .iter()
        .filter(|az| has(&RtKey::Private((*az).clone())))
        .collect();
    let prior_private = prior.get("private_route_table_ids");
    let same_private = prior_private.as_list().map(<[Value]>::len) == Some(private.len())
        && prior.get("availability_zones").to_string_vec() == d.azs;
    out.push((
        "private_route_table_ids".into(),
        if same_private {
            prior_private.clone()
        } else {
            Value::List(private.iter().map(|_| Value::Unknown).collect())
        },
    ));
    let same_flow_logs = FlowLogSpec::from_value(prior) == d.flow_logs;
    out.push((
        "flow_log_id".into(),
        match (&d.flow_logs, same_flow_logs) {
            (None, _) => Value::Null,
            (Some(_), true) => prior_str("flow_log_id"),
            (Some(_), false) => Value::Unknown,
        },
    ));
    // An endpoint keeps its id while it stays of the same kind; a new one is unknown.
    let prior_ids = prior.get("vpc_endpoint_ids");
    let kind_before = |service: &str| {
        let listed = |a: &str| prior.get(a).to_string_vec().iter().any(|s| s == service);
        if listed("interface_endpoints") {
            Some(true)
        } else if listed("gateway_endpoints") {
            Some(false)
        } else {
            None
        }
    };
    out.push((
        "vpc_endpoint_ids".into(),
        Value::Map(
            topo.endpoints
                .iter()
                .map(|(service, plan)| {
                    let id = match (prior_ids.get(service), kind_before(service)) {
                        (Value::String(id), Some(i)) if i == plan.is_interface() => {
                            Value::String(id.clone())
                        }
                        _ => Value::Unknown,
                    };
                    (service.clone(), id)
                })
                .collect(),
        ),
    ));
    out.push((
        "endpoint_security_group_id".into(),
        if topo.endpoint_sg {
            prior_str("endpoint_security_group_id")
        } else {
            Value::Null
        },
    ));
    out.push(("isolation".into(), Value::string("verified")));
    out.push(("egress".into(), Value::string("verified")));
    out
}

/// Reconstructs the configuration of a network this provider created, for import.
pub fn config_from_observed(
    aws: &crate::aws::Aws,
    name: &str,
    vpc_tags: &BTreeMap<String, String>,
    obs: &Observed,
) -> Value {
    let vpc = obs.vpc.clone().unwrap_or_default();
    let azs: Vec<String> = obs
        .subnets
        .keys()
        .map(|k| k.az.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let nat = match obs.nats.len() {
        0 => NAT_NONE,
        1 if azs.len() > 1 => NAT_SINGLE,
        _ => NAT_ONE_PER_AZ,
    };
    // User tags: what the VPC carries beyond its name, ownership and default tags.
    let user = |tags: &BTreeMap<String, String>, also_skip: &BTreeMap<String, String>| {
        let m: BTreeMap<String, Value> = tags
            .iter()
            .filter(|(k, v)| {
                k.as_str() != "Name"
                    && k.as_str() != "Tier"
                    && !k.starts_with(crate::aws::OWNERSHIP_PREFIX)
                    && aws.default_tags.get(*k) != Some(*v)
                    && also_skip.get(*k) != Some(*v)
            })
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect();
        if m.is_empty() {
            Value::Null
        } else {
            Value::Map(m)
        }
    };
    let vpc_user = user(vpc_tags, &BTreeMap::new());
    let vpc_user_map = vpc_user.to_string_map();
    let mut attrs: Vec<(&str, Value)> = vec![
        ("name", Value::string(name)),
        ("cidr_block", Value::string(&vpc.cidr)),
        ("availability_zones", Value::string_list(azs.clone())),
        (
            "az_count",
            Value::int(i64::try_from(azs.len()).unwrap_or(0)),
        ),
        ("nat_gateways", Value::string(nat)),
        ("enable_dns_support", Value::Bool(vpc.dns_support)),
        ("enable_dns_hostnames", Value::Bool(vpc.dns_hostnames)),
        ("manage_default_security_group", Value::Bool(true)),
        ("tags", vpc_user),
        ("timeouts", Value::Null),
        (
            "gateway_endpoints",
            Value::string_list(
                obs.endpoints
                    .iter()
                    .filter(|(_, e)| !e.interface)
                    .map(|(s, _)| s.clone()),
            ),
        ),
        (
            "interface_endpoints",
            Value::string_list(
                obs.endpoints
                    .iter()
                    .filter(|(_, e)| e.interface)
                    .map(|(s, _)| s.clone()),
            ),
        ),
        (
            "flow_logs",
            obs.flow_log.as_ref().map_or(Value::Null, |f| {
                Value::object([
                    ("destination_arn", Value::string(&f.destination)),
                    ("traffic_type", Value::string(&f.traffic)),
                    ("iam_role_arn", Value::Null),
                ])
            }),
        ),
    ];
    let vpc_cidr = Cidr::parse(&vpc.cidr).ok();
    for tier in Tier::ALL {
        let subnets: Vec<(&SubnetKey, &SubnetSeen)> =
            obs.subnets.iter().filter(|(k, _)| k.tier == tier).collect();
        let block = |enabled: Value, prefix: Value, cidrs: Value, tags: Value| {
            Value::object([
                ("enabled", enabled),
                ("prefix_length", prefix),
                ("cidrs", cidrs),
                ("tags", tags),
            ])
        };
        if subnets.is_empty() {
            attrs.push((
                tier.name(),
                block(Value::Bool(false), Value::Null, Value::Null, Value::Null),
            ));
            continue;
        }
        let tier_tags = subnets
            .first()
            .and_then(|(_, s)| obs.tags.get(&s.id))
            .map(|t| user(t, &vpc_user_map))
            .unwrap_or(Value::Null);
        let prefixes: BTreeSet<u8> = subnets
            .iter()
            .filter_map(|(_, s)| Cidr::parse(&s.cidr).ok().map(|c| c.prefix))
            .collect();
        let fits = |prefix: Option<u8>| {
            vpc_cidr.is_some_and(|v| {
                subnets.iter().all(|(k, s)| {
                    layout::subnet_cidr(v, tier, &k.az, prefix)
                        .map(|c| c.to_string())
                        .as_deref()
                        == Ok(s.cidr.as_str())
                })
            })
        };
        // Spelled out: the prefix every subnet has, or the CIDRs of the subnets
        // that are not where the layout puts them.
        let on = Value::Bool(true);
        let v = if prefixes.len() == 1 && fits(prefixes.first().copied()) {
            let p = i64::from(*prefixes.first().unwrap_or(&0));
            block(on, Value::int(p), Value::Null, tier_tags)
        } else {
            let cidrs = subnets
                .iter()
                .filter(|(k, s)| {
                    vpc_cidr
                        .and_then(|v| layout::subnet_cidr(v, tier, &k.az, None).ok())
                        .map(|c| c.to_string())
                        .as_deref()
                        != Some(s.cidr.as_str())
                })
                .map(|(k, s)| (k.az.clone(), Value::string(&s.cidr)))
                .collect();
            block(on, Value::Null, Value::Map(cidrs), tier_tags)
        };
        attrs.push((tier.name(), v));
    }
    Value::object(attrs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::codec::tests::arb_value;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever a state or plan holds (nulls, unknowns, odd strings, extreme
        /// numbers), reading it and laying it out answers, never panics.
        #[test]
        fn models_of_any_value_never_panic(v in arb_value(super::super::schema::schema().value_type(), true)) {
            let d = Desired::from_value(&v);
            let _ = d.topology();
            let _ = FlowLogSpec::from_value(&v);
        }
    }

    #[test]
    fn child_keys_round_trip() {
        let keys = [
            ChildKey::Vpc,
            ChildKey::Igw,
            ChildKey::Subnet(SubnetKey {
                tier: Tier::Private,
                az: "us-east-1b".into(),
            }),
            ChildKey::RouteTable(RtKey::Private("us-east-1c".into())),
            ChildKey::RouteTable(RtKey::Public),
            ChildKey::Nat("us-east-1a".into()),
            ChildKey::Eip("us-east-1a".into()),
            ChildKey::Endpoint("ecr.api".into()),
            ChildKey::EndpointSg,
        ];
        for k in keys {
            let tag = match &k {
                ChildKey::Vpc => "vpc".to_string(),
                ChildKey::Igw => "igw".to_string(),
                ChildKey::Subnet(s) => s.tag(),
                ChildKey::RouteTable(r) => r.tag(),
                ChildKey::Nat(az) => nat_tag(az),
                ChildKey::Eip(az) => eip_tag(az),
                ChildKey::FlowLog => "flowlog".to_string(),
                ChildKey::Endpoint(service) => endpoint_tag(service),
                ChildKey::EndpointSg => ENDPOINT_SG_TAG.to_string(),
            };
            assert_eq!(ChildKey::parse(&tag), Some(k));
        }
        assert_eq!(ChildKey::parse("subnet/bogus/x"), None);
    }

    fn desired(nat: &str) -> Desired {
        Desired {
            name: "n".into(),
            cidr: "10.0.0.0/16".into(),
            azs: vec![
                "us-east-1a".into(),
                "us-east-1b".into(),
                "us-east-1c".into(),
            ],
            nat: nat.into(),
            dns_support: true,
            dns_hostnames: true,
            manage_default_sg: true,
            tags: BTreeMap::new(),
            tiers: Tier::ALL
                .into_iter()
                .map(|t| {
                    (
                        t,
                        TierConfig {
                            enabled: true,
                            spec: TierSpec::default(),
                            tags: BTreeMap::new(),
                        },
                    )
                })
                .collect(),
            flow_logs: None,
            gateway_endpoints: Vec::new(),
            interface_endpoints: Vec::new(),
            timeouts: Timeouts {
                create: DEFAULT_TIMEOUT,
                update: DEFAULT_TIMEOUT,
                delete: DEFAULT_TIMEOUT,
            },
            creating: None,
        }
    }

    #[test]
    fn nat_strategies_shape_the_topology() {
        let t = desired(NAT_ONE_PER_AZ).topology().unwrap();
        assert_eq!(t.nats.len(), 3);
        assert_eq!(t.route_tables.len(), 5);
        let d = desired(NAT_SINGLE);
        let t = d.topology().unwrap();
        assert_eq!(t.nats.iter().collect::<Vec<_>>(), ["us-east-1a"]);
        assert_eq!(
            d.private_nat_for(&t, "us-east-1c").as_deref(),
            Some("us-east-1a")
        );
        let d = desired(NAT_NONE);
        let t = d.topology().unwrap();
        assert!(t.nats.is_empty());
        assert_eq!(d.private_nat_for(&t, "us-east-1c"), None);
    }

    #[test]
    fn isolation_reports_internet_routes() {
        let mut obs = Observed::default();
        let k = SubnetKey {
            tier: Tier::Isolated,
            az: "us-east-1a".into(),
        };
        obs.subnets.insert(
            k,
            SubnetSeen {
                id: "subnet-1".into(),
                cidr: "10.0.64.0/21".into(),
                az: "us-east-1a".into(),
                map_public_ip: false,
            },
        );
        obs.route_tables.insert(
            RtKey::Isolated,
            RouteTableSeen {
                id: "rtb-1".into(),
                routes: vec![Route {
                    destination: "10.0.0.0/16".into(),
                    target: "local".into(),
                }],
                associations: vec![("a-1".into(), "subnet-1".into())],
            },
        );
        assert_eq!(obs.isolation(), "verified");
        obs.route_tables
            .get_mut(&RtKey::Isolated)
            .unwrap()
            .routes
            .push(Route {
                destination: "0.0.0.0/0".into(),
                target: "igw-1".into(),
            });
        assert!(
            obs.isolation().starts_with("violated: rtb-1"),
            "{}",
            obs.isolation()
        );
    }

    #[test]
    fn plans_keep_existing_subnet_ids_and_unknown_new_ones() {
        let d = desired(NAT_ONE_PER_AZ);
        let topo = d.topology().unwrap();
        let prior = Value::object([
            (
                "public_subnet_ids_by_az",
                Value::object([("us-east-1a", Value::string("subnet-a"))]),
            ),
            (
                "public_subnet_cidrs_by_az",
                Value::object([("us-east-1a", Value::string("10.0.0.0/21"))]),
            ),
        ]);
        let planned: BTreeMap<String, Value> =
            planned_values(&d, &topo, &prior).into_iter().collect();
        let ids = planned["public_subnet_ids"].as_list().unwrap();
        assert_eq!(ids[0], Value::string("subnet-a"));
        assert_eq!(ids[1], Value::Unknown);
        assert_eq!(planned["public_subnet_cidrs"].as_list().unwrap().len(), 3);
        assert_eq!(planned["isolation"], Value::string("verified"));
    }
}
