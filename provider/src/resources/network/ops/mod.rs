//! EC2 calls for `ode_network`.
//!
//! - [`read`] refreshes the whole network in one concurrent round of eight
//!   calls, all filtered by VPC (or by the stack's ownership tag).
//! - [`reconcile`] drives what exists towards a [`Topology`] in dependent
//!   rounds, each round's calls concurrent: create missing children, attach and
//!   associate, route, then remove what is no longer wanted. Create, update,
//!   drift repair and adoption after a crash are all the same reconcile.
//! - [`delete`] tears down in dependency order with bounded retries, naming
//!   whatever outside Terraform blocks it.
//!
//! The VPC (and its claim), NAT gateways, routes and flow logs have files of
//! their own; `reconcile` (its rounds, one function each) too.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types as ec2;
use tokio::time::Instant;

mod endpoints;
mod flow_logs;
mod nat;
mod reconcile;
mod routes;
mod vpc;

pub use endpoints::offered_endpoint_types;
use endpoints::*;
use flow_logs::*;
use nat::*;
pub use reconcile::{has_spares, reconcile};
use routes::*;
pub use vpc::*;

use super::layout::Tier;
use super::model::*;
use crate::aws::{required, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::claim::{self, ClaimError, Owner, CREATING_TAG};
use crate::kit::tags::{ec2 as tags, owner_key, Tags};
use crate::kit::{self, first_error, gather, propagated, round, Fut, Status, Waiter};

fn filter(name: &str, value: impl Into<String>) -> ec2::Filter {
    ec2::Filter::builder().name(name).values(value).build()
}

fn stack_filter(name: &str) -> ec2::Filter {
    filter(&format!("tag:{}", owner_key("stack")), name)
}

/// The network's components tag (`ode:component`).
pub const COMPONENT: &str = "network";

fn child_key(tags: &BTreeMap<String, String>, stack: &str) -> Option<ChildKey> {
    ChildKey::parse(kit::tags::owned_key(tags, stack, COMPONENT)?)
}

/// The full tag set of one child.
pub fn child_tags(
    aws: &Aws,
    d: &Desired,
    key: &str,
    name_suffix: &str,
    extra: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut t = BTreeMap::new();
    let name = if name_suffix.is_empty() {
        d.name.clone()
    } else {
        format!("{}-{name_suffix}", d.name)
    };
    t.insert("Name".to_string(), name);
    t.extend(aws.tags_all(&d.tags));
    t.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    t.extend(kit::tags::ownership(&d.name, COMPONENT, key));
    if let (Some(fp), "vpc") = (&d.creating, key) {
        t.insert(CREATING_TAG.to_string(), fp.clone());
    }
    t
}

fn subnet_tags(aws: &Aws, d: &Desired, k: &SubnetKey) -> BTreeMap<String, String> {
    let mut extra = d
        .tiers
        .get(&k.tier)
        .map(|t| t.tags.clone())
        .unwrap_or_default();
    extra.insert("Tier".into(), k.tier.name().into());
    child_tags(aws, d, &k.tag(), &format!("{}-{}", k.tier, k.az), &extra)
}

fn rt_tags(aws: &Aws, d: &Desired, k: &RtKey) -> BTreeMap<String, String> {
    let suffix = match k {
        RtKey::Public => "public".to_string(),
        RtKey::Private(az) => format!("private-{az}"),
        RtKey::Isolated => "isolated".to_string(),
    };
    child_tags(aws, d, &k.tag(), &suffix, &BTreeMap::new())
}

fn none() -> BTreeMap<String, String> {
    BTreeMap::new()
}

/// Of two copies of one child (a create retried after AWS carried it out), the one
/// to keep (the one `in_use`, else the first found) and the spare, if any.
pub(super) fn keep_in_use<T>(
    first: Option<T>,
    seen: T,
    in_use: impl Fn(&T) -> bool,
) -> (T, Option<T>) {
    match first {
        Some(first) if !in_use(&first) && in_use(&seen) => (seen, Some(first)),
        Some(first) => (first, Some(seen)),
        None => (seen, None),
    }
}

/// A value unique to this moment, for client tokens.
fn nonce() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{n:x}")
}

// ------------------------------------------------------------------ read

/// Refreshes every child of the network in one concurrent round (8 calls).
/// Returns an empty observation (no VPC) when the VPC is gone.
pub async fn read(aws: &Aws, stack: &str, vpc_id: &str) -> Result<Observed, AwsError> {
    let c = &aws.ec2;
    let vpc_f = || filter("vpc-id", vpc_id);
    let (vpcs, subnets, rts, nats, igws, sgs, dns_s, dns_h, vpces) = tokio::join!(
        async {
            c.describe_vpcs()
                .vpc_ids(vpc_id)
                .send()
                .await
                .op("DescribeVpcs")
        },
        async {
            c.describe_subnets()
                .filters(vpc_f())
                .send()
                .await
                .op("DescribeSubnets")
        },
        async {
            c.describe_route_tables()
                .filters(vpc_f())
                .send()
                .await
                .op("DescribeRouteTables")
        },
        async {
            c.describe_nat_gateways()
                .filter(vpc_f())
                .send()
                .await
                .op("DescribeNatGateways")
        },
        async {
            c.describe_internet_gateways()
                .filters(stack_filter(stack))
                .send()
                .await
                .op("DescribeInternetGateways")
        },
        async {
            // The default group, and the network's own (its endpoints').
            c.describe_security_groups()
                .filters(vpc_f())
                .filters(
                    ec2::Filter::builder()
                        .name("group-name")
                        .values("default")
                        .values(format!("{stack}-endpoints"))
                        .build(),
                )
                .send()
                .await
                .op("DescribeSecurityGroups")
        },
        async {
            c.describe_vpc_attribute()
                .vpc_id(vpc_id)
                .attribute(ec2::VpcAttributeName::EnableDnsSupport)
                .send()
                .await
                .op("DescribeVpcAttribute")
        },
        async {
            c.describe_vpc_attribute()
                .vpc_id(vpc_id)
                .attribute(ec2::VpcAttributeName::EnableDnsHostnames)
                .send()
                .await
                .op("DescribeVpcAttribute")
        },
        async {
            c.describe_vpc_endpoints()
                .filters(vpc_f())
                .send()
                .await
                .op("DescribeVpcEndpoints")
        },
    );
    let vpcs = match vpcs {
        Err(e) if e.is_code(&["InvalidVpcID.NotFound"]) => return Ok(Observed::default()),
        other => other?,
    };
    let Some(v) = vpcs.vpcs().first() else {
        return Ok(Observed::default());
    };
    let mut obs = Observed::default();
    obs.tags.insert(vpc_id.to_string(), tags::map(v.tags()));
    let dns = |r: Result<
        aws_sdk_ec2::operation::describe_vpc_attribute::DescribeVpcAttributeOutput,
        AwsError,
    >,
               support: bool|
     -> Result<bool, AwsError> {
        let r = r?;
        let a = if support {
            r.enable_dns_support()
        } else {
            r.enable_dns_hostnames()
        };
        Ok(a.and_then(|a| a.value()).unwrap_or(false))
    };
    obs.vpc = Some(VpcSeen {
        id: vpc_id.to_string(),
        creating: tags::map(v.tags()).remove(CREATING_TAG),
        owner: v.owner_id().unwrap_or_default().to_string(),
        cidr: v.cidr_block().unwrap_or_default().to_string(),
        dns_support: dns(dns_s, true)?,
        dns_hostnames: dns(dns_h, false)?,
    });
    for s in subnets?.subnets() {
        let tags = tags::map(s.tags());
        let id = s.subnet_id().unwrap_or_default().to_string();
        if let Some(ChildKey::Subnet(k)) = child_key(&tags, stack) {
            obs.subnets.insert(
                k,
                SubnetSeen {
                    id: id.clone(),
                    cidr: s.cidr_block().unwrap_or_default().to_string(),
                    az: s.availability_zone().unwrap_or_default().to_string(),
                    map_public_ip: s.map_public_ip_on_launch().unwrap_or(false),
                },
            );
            obs.tags.insert(id, tags);
        }
    }
    for rt in rts?.route_tables() {
        let tags = tags::map(rt.tags());
        let seen = RouteTableSeen {
            id: rt.route_table_id().unwrap_or_default().to_string(),
            routes: rt
                .routes()
                .iter()
                .filter_map(|r| {
                    let destination = r
                        .destination_cidr_block()
                        .or(r.destination_ipv6_cidr_block())?
                        .to_string();
                    let target = r
                        .gateway_id()
                        .or(r.nat_gateway_id())
                        .or(r.transit_gateway_id())
                        .or(r.network_interface_id())
                        .or(r.vpc_peering_connection_id())
                        .or(r.egress_only_internet_gateway_id())
                        .unwrap_or("unknown")
                        .to_string();
                    Some(Route {
                        destination,
                        target,
                    })
                })
                .collect(),
            associations: rt
                .associations()
                .iter()
                .filter_map(|a| {
                    Some((
                        a.route_table_association_id()?.to_string(),
                        a.subnet_id()?.to_string(),
                    ))
                })
                .collect(),
        };
        match child_key(&tags, stack) {
            Some(ChildKey::RouteTable(k)) => {
                obs.tags.insert(seen.id.clone(), tags);
                // Two tables of one key: the one with subnets (else the first) is kept.
                let (kept, spare) = keep_in_use(obs.route_tables.remove(&k), seen, |t| {
                    !t.associations.is_empty()
                });
                obs.route_tables.insert(k, kept);
                obs.spare_route_tables.extend(spare);
            }
            _ => obs.other_route_tables.push(seen),
        }
    }
    for n in nats?.nat_gateways() {
        let state = n
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        let tags = tags::map(n.tags());
        if state == "failed" {
            if let (Some(ChildKey::Nat(_)), Some(id)) =
                (child_key(&tags, stack), n.nat_gateway_id())
            {
                obs.failed_nats.push(id.to_string());
            }
            continue;
        }
        if !matches!(state.as_str(), "pending" | "available") {
            continue;
        }
        if let Some(ChildKey::Nat(az)) = child_key(&tags, stack) {
            let addr = n.nat_gateway_addresses().first();
            let id = n.nat_gateway_id().unwrap_or_default().to_string();
            obs.nats.insert(
                az,
                NatSeen {
                    id: id.clone(),
                    subnet_id: n.subnet_id().unwrap_or_default().to_string(),
                    allocation_id: addr.and_then(|a| a.allocation_id()).map(str::to_string),
                    public_ip: addr.and_then(|a| a.public_ip()).map(str::to_string),
                    state,
                },
            );
            obs.tags.insert(id, tags);
        }
    }
    for g in igws?.internet_gateways() {
        let tags = tags::map(g.tags());
        if child_key(&tags, stack) == Some(ChildKey::Igw) {
            let id = g.internet_gateway_id().unwrap_or_default().to_string();
            let seen = IgwSeen {
                id: id.clone(),
                attached: g.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)),
            };
            obs.tags.insert(id, tags);
            // Two gateways of the stack: the attached one (else the first) is kept.
            let (kept, spare) = keep_in_use(obs.igw.take(), seen, |g| g.attached);
            obs.igw = Some(kept);
            obs.spare_igws.extend(spare.map(|g| g.id));
        }
    }
    let vpc_cidr = obs.vpc.as_ref().map(|v| v.cidr.clone()).unwrap_or_default();
    for g in sgs?.security_groups() {
        let id = g.group_id().unwrap_or_default().to_string();
        let tags = tags::map(g.tags());
        if g.group_name() == Some("default") {
            obs.default_sg = Some(SgSeen {
                id,
                has_rules: !g.ip_permissions().is_empty() || !g.ip_permissions_egress().is_empty(),
            });
        } else if child_key(&tags, stack) == Some(ChildKey::EndpointSg) {
            obs.endpoint_sg_open = admits_https(g, &vpc_cidr);
            obs.endpoint_sg = Some(id.clone());
            obs.tags.insert(id, tags);
        }
    }
    observe_endpoints(stack, vpces?.vpc_endpoints(), &mut obs);
    Ok(obs)
}

/// [`read`], plus the flow log when `flow_logs` (one more call, concurrent).
pub async fn read_all(
    aws: &Aws,
    stack: &str,
    vpc_id: &str,
    flow_logs: bool,
) -> Result<Observed, AwsError> {
    if !flow_logs {
        return read(aws, stack, vpc_id).await;
    }
    let (obs, flow) = tokio::join!(read(aws, stack, vpc_id), read_flow_log(aws, stack, vpc_id));
    let mut obs = obs?;
    obs.flow_log = flow?;
    Ok(obs)
}

/// The zones the region offers, in name order.
pub async fn availability_zones(aws: &Aws) -> Result<Vec<String>, AwsError> {
    let r = aws
        .ec2
        .describe_availability_zones()
        .filters(filter("state", "available"))
        .filters(filter("zone-type", "availability-zone"))
        .send()
        .await
        .op("DescribeAvailabilityZones")?;
    let mut zones: Vec<String> = r
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name().map(str::to_string))
        .collect();
    zones.sort();
    Ok(zones)
}

// ------------------------------------------------------------- waiting

// ---------------------------------------------------------------- delete

/// Names the network interfaces that keep `filter` (a subnet or VPC) from being deleted.
async fn blockers(aws: &Aws, filter_name: &str, id: &str) -> String {
    match aws
        .ec2
        .describe_network_interfaces()
        .filters(filter(filter_name, id))
        .send()
        .await
        .op("DescribeNetworkInterfaces")
    {
        Ok(r) if !r.network_interfaces().is_empty() => r
            .network_interfaces()
            .iter()
            .map(|n| {
                format!(
                    "{} ({}{})",
                    n.network_interface_id().unwrap_or("?"),
                    n.interface_type()
                        .map(|t| t.as_str())
                        .unwrap_or("interface"),
                    n.description()
                        .filter(|d| !d.is_empty())
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// A delete that was refused because of dependencies, with the network
/// interfaces that are the dependencies named.
async fn explain_blocked(
    aws: &Aws,
    r: Result<(), AwsError>,
    what: &str,
    filter_name: &str,
    id: &str,
) -> Result<(), AwsError> {
    match r {
        Err(mut e) if e.is_code(&["DependencyViolation"]) => {
            let names = blockers(aws, filter_name, id).await;
            if !names.is_empty() {
                e.message = format!("{what} is still used by network interfaces created outside Terraform: {names}. Delete them (or what owns them), then run destroy again. ({})", e.message);
            }
            Err(e)
        }
        other => other,
    }
}

async fn delete_subnet(
    aws: &Aws,
    id: &str,
    stop: &Stop,
    deadline: Instant,
) -> Result<(), AwsError> {
    let r = kit::delete(stop, deadline, || async {
        aws.ec2
            .delete_subnet()
            .subnet_id(id)
            .send()
            .await
            .op("DeleteSubnet")
            .map(|_| ())
    })
    .await;
    explain_blocked(aws, r, &format!("Subnet {id}"), "subnet-id", id).await
}

/// Deletes the whole network in dependency order. Already-deleted children are fine.
pub async fn delete(
    aws: &Aws,
    stop: &Stop,
    stack: &str,
    vpc_id: &str,
    deadline: Instant,
) -> Vec<AwsError> {
    let (obs, eips, flow) = tokio::join!(
        read(aws, stack, vpc_id),
        read_eips(aws, stack),
        read_flow_log(aws, stack, vpc_id)
    );
    let (obs, eips, flow) = match (obs, eips, flow) {
        (Ok(o), Ok(e), Ok(f)) => (o, e, f),
        (o, e, f) => return o.err().into_iter().chain(e.err()).chain(f.err()).collect(),
    };
    if let Some(f) = flow {
        if let Err(e) = delete_flow_log(aws, &f.id).await {
            return vec![e];
        }
    }
    // NAT gateways and endpoints first: they hold the elastic IPs and network
    // interfaces in the subnets, and routes in the route tables.
    let nat_ids: Vec<String> = (obs.nats.values().map(|n| n.id.clone()))
        .chain(obs.failed_nats.iter().cloned())
        .collect();
    let endpoint_ids: Vec<String> = obs.endpoints.values().map(|e| e.id.clone()).collect();
    let (mut errs, endpoints) = tokio::join!(
        async {
            if nat_ids.is_empty() {
                Vec::new()
            } else {
                delete_nats(aws, &nat_ids, stop, deadline).await
            }
        },
        delete_endpoints(aws, stop, deadline, &endpoint_ids)
    );
    errs.extend(endpoints.err());
    if !errs.is_empty() {
        return errs;
    }
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    if let Some(sg) = &obs.endpoint_sg {
        let sg = sg.clone();
        futs.push(Box::pin(async move {
            delete_endpoint_sg(aws, stop, deadline, &sg).await
        }));
    }
    for alloc in eips
        .by_az
        .values()
        .map(|(a, _)| a.clone())
        .chain(eips.spare.clone())
    {
        futs.push(Box::pin(async move {
            release_eip(aws, &alloc, stop, deadline).await
        }));
    }
    for gid in obs
        .igw
        .iter()
        .map(|g| g.id.clone())
        .chain(obs.spare_igws.clone())
    {
        futs.push(Box::pin(async move {
            delete_igw(aws, &gid, vpc_id, stop, deadline).await
        }));
    }
    for s in obs.subnets.values() {
        let sid = s.id.clone();
        futs.push(Box::pin(async move {
            delete_subnet(aws, &sid, stop, deadline).await
        }));
    }
    let errs = round(stop, "delete round 1", futs).await;
    if !errs.is_empty() {
        return errs;
    }
    let futs: Vec<Fut<'_, ()>> = obs
        .route_tables
        .values()
        .chain(&obs.spare_route_tables)
        .map(|r| -> Fut<'_, ()> { Box::pin(delete_route_table(aws, r, stop, deadline)) })
        .collect();
    let errs = round(stop, "delete round 2", futs).await;
    if !errs.is_empty() {
        return errs;
    }
    if obs.vpc.is_none() {
        return Vec::new();
    }
    let r = kit::delete(stop, deadline, || async {
        aws.ec2
            .delete_vpc()
            .vpc_id(vpc_id)
            .send()
            .await
            .op("DeleteVpc")
            .map(|_| ())
    })
    .await;
    explain_blocked(aws, r, &format!("VPC {vpc_id}"), "vpc-id", vpc_id)
        .await
        .err()
        .into_iter()
        .collect()
}
