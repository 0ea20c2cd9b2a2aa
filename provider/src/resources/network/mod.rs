//! `ode_network`: the seed's whole VPC (subnets in three tiers, internet
//! gateway, NAT gateways, route tables) as one resource.

pub mod layout;
mod model;
mod ops;
mod schema;

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::aws::{Aws, AwsError};
use crate::framework::validate::string_at;
use crate::framework::*;
use crate::kit::claim::{self, Owner};
use crate::kit::wait::deadline_in;
use layout::{Cidr, Tier};
use model::*;
use schema::NAT_NONE;

pub use schema::TYPE_NAME;

pub struct Network;

/// Attributes the user writes (kept from config/plan in state).
const CONFIG_ATTRS: [&str; 16] = [
    "name",
    "cidr_block",
    "availability_zones",
    "az_count",
    "nat_gateways",
    "enable_dns_support",
    "enable_dns_hostnames",
    "manage_default_security_group",
    "tags",
    "public",
    "private",
    "isolated",
    "flow_logs",
    "gateway_endpoints",
    "interface_endpoints",
    "timeouts",
];

/// A tier's prefix length defaults to the largest its slot holds: where the
/// configuration leaves it null, a prior value equal to that default is kept (an
/// import records every value), anything else goes back to null, the default.
fn settle_prefixes(req: &PlanRequest<'_>, planned: &mut Value) {
    let Some(Ok(vpc)) = planned.get("cidr_block").as_str().map(Cidr::parse) else {
        return;
    };
    for tier in Tier::ALL {
        let config = req.config.get(tier.name());
        if config.is_unknown() || !config.get("prefix_length").is_null() {
            continue;
        }
        let prior = req.prior.get(tier.name()).get("prefix_length");
        let keep = prior.as_i64() == Some(i64::from(layout::default_prefix(vpc, tier)));
        let mut block = planned.get(tier.name()).clone();
        block.set(
            "prefix_length",
            if keep { prior.clone() } else { Value::Null },
        );
        planned.set(tier.name(), block);
    }
}

fn report(diags: &mut Diagnostics, action: &str, name: &str, errs: Vec<AwsError>) {
    for e in errs {
        diags.error(format!("{action} network {name:?}"), e.to_string());
    }
}

/// The diagnostic for a name whose VPC this resource may not adopt (a network
/// is imported by its VPC's id, which `what` names).
fn report_taken(diags: &mut Diagnostics, name: &str, what: &str, owner: Owner) {
    let claimant = claim::Claimant {
        kind: "Network",
        type_name: "ode_network",
        attribute: "name",
        value: name,
        import_id: "<that VPC's id>",
    };
    claimant.report(diags, what, &owner);
}

/// The state: configuration as planned plus what AWS holds.
fn state(aws: &Aws, planned: &Value, obs: &Observed) -> Value {
    let d = Desired::from_value(planned);
    let mut attrs: BTreeMap<String, Value> = CONFIG_ATTRS
        .iter()
        .map(|a| (a.to_string(), planned.get(a).clone()))
        .collect();
    attrs.extend(observed_values(&aws.partition, &aws.region, &d, obs));
    let mut v = Value::Map(attrs);
    crate::pricing::set(&mut v, Some(&cost(&d)));
    v
}

/// The plan-time estimate: the NAT gateways the configuration asks for.
fn cost(d: &Desired) -> crate::pricing::Estimate {
    match d.topology() {
        Ok(t) => topology_cost(&t),
        Err(_) => crate::pricing::network(0, 0),
    }
}

/// NAT gateways, and each interface endpoint in every zone it serves.
fn topology_cost(t: &Topology) -> crate::pricing::Estimate {
    let endpoint_zones = t
        .endpoints
        .values()
        .map(|e| match e {
            EndpointPlan::Interface(subnets) => subnets.len(),
            EndpointPlan::Gateway(_) => 0,
        })
        .sum();
    crate::pricing::network(t.nats.len(), endpoint_zones)
}

fn layout_error_path(e: &layout::LayoutError) -> AttrPath {
    use layout::Field;
    match (e.field, e.tier) {
        (Field::Prefix, Some(t)) => AttrPath::attr(t.name()).then_attr("prefix_length"),
        (Field::Cidrs, Some(t)) => AttrPath::attr(t.name()).then_attr("cidrs"),
        (Field::Zones, _) => AttrPath::attr("availability_zones"),
        _ => AttrPath::attr("cidr_block"),
    }
}

impl Network {
    /// Reads the network back after a create or update, whatever happened, so
    /// that state records everything that exists. A VPC created a moment ago
    /// that is not visible yet is read again (bounded); one that stays missing
    /// is an error, never a silent null state.
    async fn finish(
        &self,
        aws: &Aws,
        planned: &Value,
        vpc_id: &str,
        action: &str,
        resp: &mut ApplyResponse,
    ) {
        let name = planned.get("name").as_str().unwrap_or_default().to_string();
        let flow = !planned.get("flow_logs").is_null();
        // The read-back runs even after a stop: it is what keeps state complete.
        let unstoppable = Stop::new();
        let read = crate::kit::propagated(
            &unstoppable,
            deadline_in(crate::kit::retry::PROPAGATION),
            || async {
                let obs = ops::read_all(aws, &name, vpc_id, flow).await?;
                match obs.vpc {
                    Some(_) => Ok(obs),
                    None => Err(AwsError::new(
                        "DescribeVpcs",
                        "InvalidVpcID.NotFound",
                        format!("VPC {vpc_id} is not visible"),
                    )),
                }
            },
        )
        .await;
        match read {
            Ok(obs) => resp.state = state(aws, planned, &obs),
            Err(e) if e.is_not_found() => {
                resp.diagnostics.error(
                    format!("{action} network {name:?}"),
                    format!("VPC {vpc_id} disappeared during the apply (deleted outside Terraform?). Run plan again to create the network anew."),
                );
            }
            Err(e) => {
                report(&mut resp.diagnostics, action, &name, vec![e]);
                // Without a read, state keeps at least the VPC, so that it is not forgotten.
                if resp.state.is_null() {
                    let mut partial = planned.clone();
                    partial.set("vpc_id", Value::string(vpc_id));
                    partial.set("id", Value::string(vpc_id));
                    resp.state = partial;
                }
            }
        }
    }

    async fn apply(
        &self,
        aws: &Aws,
        stop: &Stop,
        planned: &Value,
        create: bool,
        resp: &mut ApplyResponse,
    ) {
        let mut d = Desired::from_value(planned);
        let (action, limit) = d.timeouts.for_apply(create);
        let deadline = deadline_in(limit);
        let topo = match d.topology() {
            Ok(t) => t,
            Err(e) => {
                resp.diagnostics
                    .error(format!("{action} network {:?}", d.name), e.message);
                return;
            }
        };
        let (vpc_id, known) = if create {
            d.creating = Some(aws.fingerprint.clone());
            match ops::ensure_vpc(aws, stop, &d).await {
                Ok(v) => v,
                Err(claim::ClaimError::Taken { what, owner }) => {
                    return report_taken(&mut resp.diagnostics, &d.name, &what, owner)
                }
                Err(claim::ClaimError::Aws(e)) => {
                    return report(&mut resp.diagnostics, action, &d.name, vec![e])
                }
            }
        } else {
            let id = planned.get("vpc_id").as_str().unwrap_or_default();
            (id.to_string(), None)
        };
        // The VPC keeps its claim mark until the first read: see kit::claim.
        let mut errs = ops::reconcile(aws, stop, &d, &topo, &vpc_id, known, deadline).await;
        // A create AWS carried out whose answer was lost, sent again, leaves a second
        // copy: deleted now, by one more pass, so that the apply ends as planned.
        if errs.is_empty() {
            match ops::has_spares(aws, &d.name, &vpc_id).await {
                Ok(false) => {}
                Ok(true) => {
                    tracing::info!(network = %d.name, "deleting second copies left by retried creates");
                    errs = ops::reconcile(aws, stop, &d, &topo, &vpc_id, None, deadline).await;
                }
                Err(e) => errs = e,
            }
        }
        report(&mut resp.diagnostics, action, &d.name, errs);
        // Whatever happened, record everything that exists.
        self.finish(aws, planned, &vpc_id, action, resp).await;
    }
}

#[async_trait]
impl Resource<Aws> for Network {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    /// Version 0 (provider 0.1.0) had no cost estimate: it is computed from the
    /// stored configuration, as a plan would, so the upgraded state plans empty.
    fn upgrade_state(&self, version: i64, mut state: Value) -> Result<Value, String> {
        if version < 1 {
            let estimate = cost(&Desired::from_value(&state));
            crate::pricing::set(&mut state, Some(&estimate));
        }
        if version < 2 {
            for tier in Tier::ALL {
                if state.get(tier.name()).is_null() {
                    let nulls =
                        ["enabled", "prefix_length", "cidrs", "tags"].map(|a| (a, Value::Null));
                    state.set(tier.name(), Value::object(nulls));
                }
            }
        }
        // Version 3 added the VPC endpoints: a network made before has none, and
        // keeps none until its configuration lists some.
        if version < 3 {
            state.set("gateway_endpoints", Value::List(Vec::new()));
            state.set("vpc_endpoint_ids", Value::Map(Default::default()));
        }
        Ok(state)
    }

    /// The rules that span attributes (and the zones, whose duplicates are found
    /// before each zone is checked); each attribute's own rules are declared with
    /// it in the schema.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let azs = config.get("availability_zones");
        let given = |v: &Value| !v.is_null() && !v.is_unknown();
        if given(azs) && given(config.get("az_count")) {
            diags.attr_error(
                AttrPath::attr("az_count"),
                "Conflicting arguments",
                "Set either availability_zones or az_count, not both.",
            );
        }
        if let Some(list) = azs.as_list() {
            if list.is_empty() {
                diags.attr_error(
                    AttrPath::attr("availability_zones"),
                    "Invalid value for availability_zones",
                    "List at least one availability zone.",
                );
            }
            let mut seen = std::collections::BTreeSet::new();
            for (i, z) in list.iter().enumerate() {
                let path = AttrPath::attr("availability_zones").then_index(i);
                if let Some(s) = z.as_str() {
                    if !seen.insert(s.to_string()) {
                        diags.attr_error(
                            path,
                            "Duplicate availability zone",
                            format!("{s:?} is listed more than once."),
                        );
                    } else {
                        string_at(z, path, diags, |s| layout::az_slot(s).map(|_| ()));
                    }
                }
            }
        }
        let tier_on =
            |t: Tier| config.get(t.name()).block().get("enabled").as_bool() != Some(false);
        if config.get("nat_gateways").as_str() == Some(NAT_NONE) && tier_on(Tier::Private) {
            diags.attr_warning(
                AttrPath::attr("nat_gateways"),
                "Private subnets without egress",
                "With nat_gateways = \"none\" the private subnets have no route to the internet.",
            );
        }
        if config.get("nat_gateways").as_str() != Some(NAT_NONE)
            && !config.get("nat_gateways").is_unknown()
            && !tier_on(Tier::Public)
        {
            diags.attr_error(
                AttrPath::attr("public").then_attr("enabled"),
                "NAT gateways need public subnets",
                "NAT gateways live in the public tier: enable it, or set nat_gateways = \"none\".",
            );
        }
        let flow = config.get("flow_logs").block();
        let at = |a: &str| AttrPath::attr("flow_logs").then_attr(a);
        if flow
            .get("destination_arn")
            .as_str()
            .is_some_and(|d| d.contains(":logs:"))
            && flow.get("iam_role_arn").is_null()
        {
            diags.attr_error(
                at("iam_role_arn"),
                "Missing IAM role for flow logs",
                "Flow logs to CloudWatch Logs need iam_role_arn, a role the flow logs service can assume.",
            );
        }
        let listed = |a: &str| -> Vec<String> {
            let v = config.get(a);
            if v.is_wholly_known() {
                v.to_string_vec()
            } else {
                Vec::new()
            }
        };
        let (gateway, interface) = (listed("gateway_endpoints"), listed("interface_endpoints"));
        if !interface.is_empty() && !tier_on(Tier::Private) {
            diags.attr_error(
                AttrPath::attr("interface_endpoints"),
                "Interface endpoints need private subnets",
                "Interface endpoints live in the private subnets: enable the private tier, or list no interface endpoints.",
            );
        }
        if !gateway.is_empty() && !tier_on(Tier::Private) && !tier_on(Tier::Isolated) {
            diags.attr_error(
                AttrPath::attr("gateway_endpoints"),
                "Gateway endpoints need private or isolated subnets",
                "Gateway endpoints serve the private and isolated route tables: enable one of those tiers, or set gateway_endpoints = [].",
            );
        }
        for service in interface.iter().filter(|s| gateway.contains(s)) {
            diags.attr_error(
                AttrPath::attr("interface_endpoints"),
                "Endpoint listed twice",
                format!("{service:?} is in both gateway_endpoints and interface_endpoints; a network gives each service one endpoint."),
            );
        }
        crate::kit::timeouts::validate(config, diags);
        // With every input known, check the whole layout now.
        if !diags.has_errors()
            && azs.is_wholly_known()
            && !azs.is_null()
            && config.is_wholly_known()
        {
            let mut v = config.clone();
            if v.get("cidr_block").is_null() {
                v.set("cidr_block", Value::string("10.0.0.0/16"));
            }
            if let Err(e) = Desired::from_value(&v).topology() {
                diags.attr_error(layout_error_path(&e), "Subnets do not fit", e.message);
            }
        }
    }

    async fn modify_plan(&self, aws: &Aws, req: PlanRequest<'_>, resp: &mut PlanResponse) {
        // Gateway endpoints left unset: a new network gets S3's; an existing one
        // keeps its list (an upgraded state records none).
        if resp.planned.get("gateway_endpoints").is_unknown()
            && req.config.get("gateway_endpoints").is_null()
        {
            let kept = match req.prior.get("gateway_endpoints") {
                Value::Null if req.prior.is_null() => Value::string_list(["s3"]),
                Value::Null => Value::List(Vec::new()),
                prior => prior.clone(),
            };
            resp.planned.set("gateway_endpoints", kept);
        }
        // Zones and their count are computed: what the configuration says of them.
        let computed = ["availability_zones", "az_count"];
        let inputs_known = CONFIG_ATTRS
            .iter()
            .filter(|a| !computed.contains(*a))
            .all(|a| resp.planned.get(a).is_wholly_known())
            && computed.iter().all(|a| req.config.get(a).is_wholly_known());
        if !inputs_known {
            crate::pricing::set(&mut resp.planned, None);
            return;
        }
        settle_prefixes(&req, &mut resp.planned);
        // Zones: as configured, else the first az_count the region offers.
        let region_zones = match ops::availability_zones(aws).await {
            Ok(z) => z,
            Err(e) => {
                resp.diagnostics
                    .error("Listing availability zones", e.to_string());
                return;
            }
        };
        let azs: Vec<String> = match req.config.get("availability_zones").as_list() {
            Some(list) => {
                let azs: Vec<String> = list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                for (i, az) in azs.iter().enumerate() {
                    if !region_zones.contains(az) {
                        resp.diagnostics.attr_error(
                            AttrPath::attr("availability_zones").then_index(i),
                            "Unknown availability zone",
                            format!(
                                "{az:?} is not an available zone of {}; it offers {}.",
                                aws.region,
                                region_zones.join(", ")
                            ),
                        );
                    }
                }
                azs
            }
            None => {
                let n = req
                    .config
                    .get("az_count")
                    .as_i64()
                    .unwrap_or(DEFAULT_AZ_COUNT) as usize;
                if n > region_zones.len() {
                    resp.diagnostics.attr_error(
                        AttrPath::attr("az_count"),
                        "Not enough availability zones",
                        format!(
                            "{} offers {} zones ({}); az_count is {n}.",
                            aws.region,
                            region_zones.len(),
                            region_zones.join(", ")
                        ),
                    );
                }
                region_zones.iter().take(n).cloned().collect()
            }
        };
        if resp.diagnostics.has_errors() {
            return;
        }
        // az_count left null: a prior count of the zones the plan uses is kept (an
        // import records it), anything else goes back to null.
        if req.config.get("az_count").is_null() {
            let prior = req.prior.get("az_count");
            let keep = prior.as_i64() == i64::try_from(azs.len()).ok();
            resp.planned
                .set("az_count", if keep { prior.clone() } else { Value::Null });
        }
        resp.planned
            .set("availability_zones", Value::string_list(azs));
        let d = Desired::from_value(&resp.planned);
        let topo = match d.topology() {
            Ok(t) => t,
            Err(e) => {
                resp.diagnostics
                    .attr_error(layout_error_path(&e), "Subnets do not fit", e.message);
                return;
            }
        };
        let endpoints_changed = ["gateway_endpoints", "interface_endpoints"]
            .iter()
            .any(|a| req.prior.get(a) != resp.planned.get(a));
        if endpoints_changed && !topo.endpoints.is_empty() {
            match ops::offered_endpoint_types(aws, topo.endpoints.keys()).await {
                Ok(offered) => {
                    for (service, plan) in &topo.endpoints {
                        let (attr, kind) = if plan.is_interface() {
                            ("interface_endpoints", "Interface")
                        } else {
                            ("gateway_endpoints", "Gateway")
                        };
                        let why = match offered.get(service) {
                            None => format!(
                                "{} offers no VPC endpoint service {:?}.",
                                aws.region,
                                endpoint_service_name(&aws.region, service)
                            ),
                            Some(kinds) if !kinds.iter().any(|k| k == kind) => format!(
                                "{service} offers {} endpoints in {}, not {kind}.",
                                kinds.join(" and "),
                                aws.region
                            ),
                            Some(_) => continue,
                        };
                        resp.diagnostics.attr_error(
                            AttrPath::attr(attr),
                            "Endpoint not offered",
                            why,
                        );
                    }
                }
                Err(e) => resp
                    .diagnostics
                    .error("Checking the VPC endpoint services", e.to_string()),
            }
            if resp.diagnostics.has_errors() {
                return;
            }
        }
        let replacing = !resp.requires_replace.is_empty();
        let prior = if replacing { &Value::Null } else { req.prior };
        for (name, v) in planned_values(&d, &topo, prior) {
            resp.planned.set(&name, v);
        }
        crate::pricing::set(&mut resp.planned, Some(&topology_cost(&topo)));
    }

    async fn create(&self, aws: &Aws, req: CreateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, req.planned, true, resp).await;
    }

    async fn read(&self, aws: &Aws, req: ReadRequest<'_>, resp: &mut ReadResponse) {
        let name = req.state.get("name").as_str().unwrap_or_default();
        let vpc_id = req.state.get("vpc_id").as_str().unwrap_or_default();
        resp.private = req.private.to_vec();
        let flow = !req.state.get("flow_logs").is_null();
        match ops::read_all(aws, name, vpc_id, flow).await {
            Ok(obs) if obs.vpc.is_some() => {
                let marked = obs.vpc.as_ref().and_then(|v| v.creating.as_deref())
                    == Some(aws.fingerprint.as_str());
                claim::release_when_read(marked, name, ops::release_claim(aws, vpc_id)).await;
                resp.state = state(aws, req.state, &obs);
            }
            Ok(_) => {
                tracing::info!(vpc = vpc_id, "VPC is gone; removing the network from state");
                resp.state = Value::Null;
            }
            Err(e) => report(&mut resp.diagnostics, "Reading", name, vec![e]),
        }
    }

    async fn update(&self, aws: &Aws, req: UpdateRequest<'_>, resp: &mut ApplyResponse) {
        self.apply(aws, &req.stop, req.planned, false, resp).await;
    }

    async fn delete(&self, aws: &Aws, req: DeleteRequest<'_>, resp: &mut DeleteResponse) {
        let d = Desired::from_value(req.prior);
        let vpc_id = req.prior.get("vpc_id").as_str().unwrap_or_default();
        let deadline = deadline_in(d.timeouts.delete);
        let errs = ops::delete(aws, &req.stop, &d.name, vpc_id, deadline).await;
        report(&mut resp.diagnostics, "Deleting", &d.name, errs);
    }

    async fn import(&self, aws: &Aws, req: ImportRequest<'_>, resp: &mut ImportResponse) {
        let vpc_id = req.id.trim();
        if !vpc_id.starts_with("vpc-") {
            resp.diagnostics.error(
                "Invalid import ID",
                format!("Import ode_network by its VPC ID (vpc-...); got {vpc_id:?}."),
            );
            return;
        }
        let tags = match ops::vpc_tags(aws, vpc_id).await {
            Ok(Some(t)) => t,
            Ok(None) => {
                resp.diagnostics
                    .error(format!("Cannot import {vpc_id}"), "No such VPC.");
                return;
            }
            Err(e) => {
                resp.diagnostics
                    .error(format!("Importing {vpc_id}"), e.to_string());
                return;
            }
        };
        let name = tags
            .get(&crate::kit::tags::owner_key("stack"))
            .filter(|name| crate::kit::tags::owned_key(&tags, name, ops::COMPONENT) == Some("vpc"))
            .cloned();
        let Some(name) = name else {
            resp.diagnostics.error(
                format!("Cannot import {vpc_id}"),
                "This VPC was not created by ode_network (it has no ode:stack / ode:key tags).",
            );
            return;
        };
        let obs = match ops::read_all(aws, &name, vpc_id, true).await {
            Ok(o) => o,
            Err(e) => {
                resp.diagnostics
                    .error(format!("Importing {vpc_id}"), e.to_string());
                return;
            }
        };
        let config = model::config_from_observed(aws, &name, &tags, &obs);
        resp.state = state(aws, &config, &obs);
        schema::schema().block.spell_out_implied(&mut resp.state);
    }
}
