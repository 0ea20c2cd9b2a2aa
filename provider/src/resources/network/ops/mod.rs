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
//! their own; subnets and route tables are made by `reconcile` itself.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types as ec2;
use tokio::time::Instant;

mod flow_logs;
mod nat;
mod routes;
mod vpc;

use flow_logs::*;
use nat::*;
use routes::*;
pub use vpc::*;

use super::layout::Tier;
use super::model::*;
use crate::aws::{Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::claim::{self, Owner, CREATING_TAG};
use crate::kit::tags::{ec2 as tags, owner_key, Tags};
use crate::kit::{self, first_error, gather, propagated, round, Fut, Status, Waiter};

fn filter(name: &str, value: impl Into<String>) -> ec2::Filter {
    ec2::Filter::builder().name(name).values(value).build()
}

fn stack_filter(name: &str) -> ec2::Filter {
    filter(&format!("tag:{}", owner_key("stack")), name)
}

fn child_key(tags: &BTreeMap<String, String>, stack: &str) -> Option<ChildKey> {
    if tags.get(&owner_key("stack")).map(String::as_str) != Some(stack) {
        return None;
    }
    ChildKey::parse(tags.get(&owner_key("key"))?)
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
    t.insert(owner_key("stack"), d.name.clone());
    t.insert(owner_key("key"), key.to_string());
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

/// What a creating call made.
enum Made {
    Subnet(SubnetKey, String),
    RouteTable(RtKey, String),
    Eip(String, String),
    Igw(String),
    /// Zone, id, and whether it was available at once.
    Nat(String, String, bool),
    Nothing,
}

// ------------------------------------------------------------------ read

/// Refreshes every child of the network in one concurrent round (8 calls).
/// Returns an empty observation (no VPC) when the VPC is gone.
pub async fn read(aws: &Aws, stack: &str, vpc_id: &str) -> Result<Observed, AwsError> {
    let c = &aws.ec2;
    let vpc_f = || filter("vpc-id", vpc_id);
    let (vpcs, subnets, rts, nats, igws, sgs, dns_s, dns_h) = tokio::join!(
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
            c.describe_security_groups()
                .filters(vpc_f())
                .filters(filter("group-name", "default"))
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
                obs.route_tables.insert(k, seen);
            }
            _ => obs.other_route_tables.push(seen),
        }
    }
    for n in nats?.nat_gateways() {
        let state = n
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if !matches!(state.as_str(), "pending" | "available") {
            continue;
        }
        let tags = tags::map(n.tags());
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
            obs.igw = Some(IgwSeen {
                id: id.clone(),
                attached: g.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)),
            });
            obs.tags.insert(id, tags);
        }
    }
    obs.default_sg = sgs?.security_groups().first().map(|g| SgSeen {
        id: g.group_id().unwrap_or_default().to_string(),
        has_rules: !g.ip_permissions().is_empty() || !g.ip_permissions_egress().is_empty(),
    });
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

// -------------------------------------------------------------- reconcile

/// Brings the network in `vpc_id` to `topo`. Returns the errors of the first
/// round that failed (later rounds depend on earlier ones and are skipped).
pub async fn reconcile(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    topo: &Topology,
    vpc_id: &str,
    known: Option<Observed>,
    deadline: Instant,
) -> Vec<AwsError> {
    let c = &aws.ec2;
    let (mut obs, eips) = match known {
        Some(o) => (o, Eips::default()),
        None => match tokio::join!(
            read(aws, &d.name, vpc_id),
            read_eips(aws, &d.name),
            read_flow_log(aws, &d.name, vpc_id)
        ) {
            (Ok(mut o), Ok(e), Ok(f)) => {
                o.flow_log = f;
                (o, e)
            }
            (o, e, f) => {
                return o.err().into_iter().chain(e.err()).chain(f.err()).collect();
            }
        },
    };
    obs.tags.extend(eips.tags);
    let eip_ids: Vec<(String, String)> = eips
        .by_az
        .iter()
        .map(|(az, (alloc, _))| (az.clone(), alloc.clone()))
        .collect();
    let mut eips = eips.by_az;
    let Some(vpc) = obs.vpc.clone() else {
        return vec![AwsError::new(
            "DescribeVpcs",
            "InvalidVpcID.NotFound",
            format!("VPC {vpc_id} disappeared"),
        )];
    };

    // The default security group's lock-down (two dependent calls) runs beside
    // rounds 1 and 2 instead of lengthening either.
    let lockdown = (d.manage_default_sg && obs.default_sg.as_ref().is_some_and(|g| g.has_rules))
        .then(|| {
            let gid = obs
                .default_sg
                .as_ref()
                .map(|g| g.id.clone())
                .unwrap_or_default();
            let (client, vpc) = (aws.ec2.clone(), vpc_id.to_string());
            tokio::spawn(async move { lock_down_sg(&client, &vpc, &gid).await })
        });

    // Round 1: everything that needs only the VPC.
    let mut subnets: BTreeMap<SubnetKey, String> = obs
        .subnets
        .iter()
        .map(|(k, s)| (k.clone(), s.id.clone()))
        .collect();
    let mut rts: BTreeMap<RtKey, String> = obs
        .route_tables
        .iter()
        .map(|(k, r)| (k.clone(), r.id.clone()))
        .collect();
    let mut igw = obs.igw.clone();
    let new_subnets: Vec<(SubnetKey, String)> = topo
        .subnets
        .iter()
        .filter(|(k, _)| !subnets.contains_key(*k))
        .map(|(k, c)| (k.clone(), c.clone()))
        .collect();
    let new_rts: Vec<RtKey> = topo
        .route_tables
        .iter()
        .filter(|k| !rts.contains_key(*k))
        .cloned()
        .collect();
    let new_eips: Vec<String> = topo
        .nats
        .iter()
        .filter(|az| !eips.contains_key(*az) && !obs.nats.contains_key(*az))
        .cloned()
        .collect();

    let mut futs: Vec<Fut<'_, Made>> = Vec::new();
    for (k, cidr) in &new_subnets {
        let (k, cidr) = (k.clone(), cidr.clone());
        let tags = subnet_tags(aws, d, &k);
        futs.push(Box::pin(async move {
            let r = c
                .create_subnet()
                .vpc_id(vpc_id)
                .cidr_block(&cidr)
                .availability_zone(&k.az)
                .tag_specifications(tags::spec(ec2::ResourceType::Subnet, &tags))
                .send()
                .await
                .op("CreateSubnet")?;
            let id = r
                .subnet()
                .and_then(|s| s.subnet_id())
                .unwrap_or_default()
                .to_string();
            Ok(Made::Subnet(k, id))
        }));
    }
    for k in &new_rts {
        let k = k.clone();
        let tags = rt_tags(aws, d, &k);
        futs.push(Box::pin(async move {
            let r = c
                .create_route_table()
                .vpc_id(vpc_id)
                .tag_specifications(tags::spec(ec2::ResourceType::RouteTable, &tags))
                .send()
                .await
                .op("CreateRouteTable")?;
            let id = r
                .route_table()
                .and_then(|t| t.route_table_id())
                .unwrap_or_default()
                .to_string();
            Ok(Made::RouteTable(k, id))
        }));
    }
    for az in &new_eips {
        let az = az.clone();
        let tags = child_tags(aws, d, &eip_tag(&az), &format!("nat-{az}"), &none());
        futs.push(Box::pin(async move {
            let r = c
                .allocate_address()
                .domain(ec2::DomainType::Vpc)
                .tag_specifications(tags::spec(ec2::ResourceType::ElasticIp, &tags))
                .send()
                .await
                .op("AllocateAddress")?;
            Ok(Made::Eip(
                az,
                r.allocation_id().unwrap_or_default().to_string(),
            ))
        }));
    }
    if topo.igw && igw.is_none() {
        let tags = child_tags(aws, d, "igw", "igw", &none());
        futs.push(Box::pin(async move {
            let r = c
                .create_internet_gateway()
                .tag_specifications(tags::spec(ec2::ResourceType::InternetGateway, &tags))
                .send()
                .await
                .op("CreateInternetGateway")?;
            let id = r
                .internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .unwrap_or_default();
            Ok(Made::Igw(id.to_string()))
        }));
    }
    if vpc.dns_support != d.dns_support {
        futs.push(Box::pin(async move {
            c.modify_vpc_attribute()
                .vpc_id(vpc_id)
                .enable_dns_support(bool_attr(d.dns_support))
                .send()
                .await
                .op("ModifyVpcAttribute")
                .map(|_| Made::Nothing)
        }));
    }
    if vpc.dns_hostnames != d.dns_hostnames {
        futs.push(Box::pin(async move {
            c.modify_vpc_attribute()
                .vpc_id(vpc_id)
                .enable_dns_hostnames(bool_attr(d.dns_hostnames))
                .send()
                .await
                .op("ModifyVpcAttribute")
                .map(|_| Made::Nothing)
        }));
    }
    match (&d.flow_logs, &obs.flow_log) {
        (Some(spec), Some(seen)) if seen.matches(spec) => {}
        (Some(spec), seen) => {
            let old = seen.as_ref().map(|f| f.id.clone());
            futs.push(Box::pin(async move {
                if let Some(id) = old {
                    delete_flow_log(aws, &id).await?;
                }
                create_flow_log(aws, d, spec, vpc_id)
                    .await
                    .map(|_| Made::Nothing)
            }));
        }
        (None, Some(seen)) => {
            let id = seen.id.clone();
            futs.push(Box::pin(async move {
                delete_flow_log(aws, &id).await.map(|_| Made::Nothing)
            }));
        }
        (None, None) => {}
    }
    futs.push(Box::pin(async {
        retag(aws, stop, d, &obs, &eip_ids)
            .await
            .map(|_| Made::Nothing)
    }));
    let (made, errs) = gather(stop, "reconcile round 1", futs).await;
    for m in made {
        match m {
            Made::Subnet(k, id) => {
                subnets.insert(k, id);
            }
            Made::RouteTable(k, id) => {
                rts.insert(k, id);
            }
            Made::Eip(az, id) => {
                eips.insert(az, (id, None));
            }
            Made::Igw(id) => {
                igw = Some(IgwSeen {
                    id,
                    attached: false,
                })
            }
            Made::Nat(..) | Made::Nothing => {}
        }
    }
    if !errs.is_empty() {
        return errs;
    }

    // Round 2: attach, associate, NAT gateways, public IP mapping.
    let mut futs: Vec<Fut<'_, Made>> = Vec::new();
    if let Some(g) = igw.as_ref().filter(|g| topo.igw && !g.attached) {
        let gid = g.id.clone();
        futs.push(Box::pin(async move {
            propagated(stop, deadline, || async {
                c.attach_internet_gateway()
                    .internet_gateway_id(&gid)
                    .vpc_id(vpc_id)
                    .send()
                    .await
                    .op("AttachInternetGateway")
            })
            .await
            .map(|_| Made::Nothing)
        }));
    }
    for (k, sid) in subnets
        .iter()
        .filter(|(k, _)| topo.subnets.contains_key(*k))
    {
        let Some(want) = rts.get(&RtKey::for_subnet(k)).cloned() else {
            continue;
        };
        let current = obs.table_of(sid).map(|rt| {
            let assoc = rt
                .associations
                .iter()
                .find(|(_, s)| s == sid)
                .map(|(a, _)| a.clone())
                .unwrap_or_default();
            (rt.id.clone(), assoc)
        });
        let sid = sid.clone();
        match current {
            Some((rt, _)) if rt == want => {}
            Some((_, assoc)) => futs.push(Box::pin(async move {
                propagated(stop, deadline, || async {
                    c.replace_route_table_association()
                        .association_id(&assoc)
                        .route_table_id(&want)
                        .send()
                        .await
                        .op("ReplaceRouteTableAssociation")
                })
                .await
                .map(|_| Made::Nothing)
            })),
            None => futs.push(Box::pin(async move {
                propagated(stop, deadline, || async {
                    c.associate_route_table()
                        .route_table_id(&want)
                        .subnet_id(&sid)
                        .send()
                        .await
                        .op("AssociateRouteTable")
                })
                .await
                .map(|_| Made::Nothing)
            })),
        }
    }
    for (k, sid) in subnets
        .iter()
        .filter(|(k, _)| k.tier == Tier::Public && topo.subnets.contains_key(*k))
    {
        if obs.subnets.get(k).is_some_and(|s| s.map_public_ip) {
            continue;
        }
        let sid = sid.clone();
        futs.push(Box::pin(async move {
            propagated(stop, deadline, || async {
                c.modify_subnet_attribute()
                    .subnet_id(&sid)
                    .map_public_ip_on_launch(bool_attr(true))
                    .send()
                    .await
                    .op("ModifySubnetAttribute")
            })
            .await
            .map(|_| Made::Nothing)
        }));
    }
    for az in topo.nats.iter().filter(|az| !obs.nats.contains_key(*az)) {
        let Some(sid) = subnets
            .get(&SubnetKey {
                tier: Tier::Public,
                az: az.clone(),
            })
            .cloned()
        else {
            continue;
        };
        let Some((alloc, held)) = eips.get(az).cloned() else {
            continue;
        };
        let tags = child_tags(aws, d, &nat_tag(az), &format!("nat-{az}"), &none());
        let az = az.clone();
        let token = format!("{}-{az}-{}", d.name, nonce());
        let token: String = token.chars().take(64).collect();
        futs.push(Box::pin(async move {
            // The zone's address may still belong to a NAT gateway deleted outside Terraform.
            if let Some(assoc) = held {
                free_eip(aws, stop, &alloc, &assoc, deadline).await?;
            }
            // The client token makes a retried create return the same gateway.
            let r = propagated(stop, deadline, || async {
                c.create_nat_gateway()
                    .subnet_id(&sid)
                    .allocation_id(&alloc)
                    .client_token(&token)
                    .tag_specifications(tags::spec(ec2::ResourceType::Natgateway, &tags))
                    .send()
                    .await
                    .op("CreateNatGateway")
            })
            .await?;
            let nat = r.nat_gateway();
            let id = nat.and_then(|n| n.nat_gateway_id()).unwrap_or_default();
            let ready = nat.and_then(|n| n.state()) == Some(&ec2::NatGatewayState::Available);
            Ok(Made::Nat(az, id.to_string(), ready))
        }));
    }
    let (made, errs) = gather(stop, "reconcile round 2", futs).await;
    let mut nats: BTreeMap<String, String> = obs
        .nats
        .iter()
        .map(|(az, n)| (az.clone(), n.id.clone()))
        .collect();
    // NAT gateways routes may not point to until they are available.
    let mut pending: Vec<String> = obs
        .nats
        .iter()
        .filter(|(az, n)| topo.nats.contains(*az) && n.state != "available")
        .map(|(_, n)| n.id.clone())
        .collect();
    for m in made {
        if let Made::Nat(az, id, ready) = m {
            if !ready {
                pending.push(id.clone());
            }
            nats.insert(az, id);
        }
    }
    let mut errs = errs;
    if let Some(task) = lockdown {
        match task.await {
            Ok(Err(e)) => errs.push(e),
            Err(join) => errs.push(AwsError::new(
                "RevokeSecurityGroupIngress",
                "InternalError",
                format!("the lock-down task failed: {join}"),
            )),
            Ok(Ok(())) => {}
        }
    }
    if !errs.is_empty() {
        return errs;
    }

    // Round 3: default routes, once new NAT gateways are available.
    if let Err(e) = wait_nats(aws, stop, &pending, deadline).await {
        return vec![e];
    }
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    let current_default = |rt_id: &str| -> Option<String> {
        obs.route_tables
            .values()
            .find(|r| r.id == rt_id)
            .and_then(|r| {
                r.routes
                    .iter()
                    .find(|x| x.destination == "0.0.0.0/0")
                    .map(|x| x.target.clone())
            })
    };
    for key in &topo.route_tables {
        let Some(rt_id) = rts.get(key).cloned() else {
            continue;
        };
        let want: Option<String> = match key {
            RtKey::Public => igw.as_ref().map(|g| g.id.clone()),
            RtKey::Private(az) => d
                .private_nat_for(topo, az)
                .and_then(|n| nats.get(&n).cloned()),
            RtKey::Isolated => None,
        };
        let have = current_default(&rt_id);
        if have != want {
            let rt = rt_id.clone();
            futs.push(Box::pin(async move {
                propagated(stop, deadline, || {
                    set_default_route(aws, &rt, have.clone(), want.clone())
                })
                .await
            }));
        }
        // Isolated tables keep no other way out either (IPv6 default, gateways).
        if let (RtKey::Isolated, Some(seen)) = (key, obs.route_tables.get(key)) {
            for r in &seen.routes {
                let stray = r.destination == "::/0"
                    || (r.destination != "0.0.0.0/0"
                        && (r.target.starts_with("igw-") || r.target.starts_with("nat-")));
                if stray {
                    let (rt, dest) = (rt_id.clone(), r.destination.clone());
                    futs.push(Box::pin(async move { delete_route(aws, &rt, &dest).await }));
                }
            }
        }
    }
    let errs = round(stop, "reconcile round 3", futs).await;
    if !errs.is_empty() {
        return errs;
    }

    // Round 4: remove what the configuration no longer wants.
    let stale_nats: Vec<String> = obs
        .nats
        .iter()
        .filter(|(az, _)| !topo.nats.contains(*az))
        .map(|(_, n)| n.id.clone())
        .collect();
    let stale_subnets: Vec<String> = obs
        .subnets
        .iter()
        .filter(|(k, _)| !topo.subnets.contains_key(*k))
        .map(|(_, s)| s.id.clone())
        .collect();
    let stale_rts: Vec<&RouteTableSeen> = obs
        .route_tables
        .iter()
        .filter(|(k, _)| !topo.route_tables.contains(*k))
        .map(|(_, r)| r)
        .collect();
    let stale_eips: Vec<String> = eips
        .iter()
        .filter(|(az, _)| !topo.nats.contains(*az))
        .map(|(_, (a, _))| a.clone())
        .collect();
    let stale_igw = igw.filter(|_| !topo.igw);
    let mut errs = Vec::new();
    if !stale_nats.is_empty() {
        errs.extend(delete_nats(aws, &stale_nats, stop, deadline).await);
    }
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    for id in stale_subnets {
        futs.push(Box::pin(async move {
            delete_subnet(aws, &id, stop, deadline).await
        }));
    }
    for id in stale_eips {
        futs.push(Box::pin(async move {
            release_eip(aws, &id, stop, deadline).await
        }));
    }
    if let Some(g) = stale_igw {
        futs.push(Box::pin(async move {
            delete_igw(aws, &g.id, vpc_id, stop, deadline).await
        }));
    }
    errs.extend(round(stop, "reconcile round 4", futs).await);
    if errs.is_empty() {
        let futs: Vec<Fut<'_, ()>> = stale_rts
            .into_iter()
            .map(|rt| -> Fut<'_, ()> { Box::pin(delete_route_table(aws, rt, stop, deadline)) })
            .collect();
        errs.extend(round(stop, "reconcile round 4", futs).await);
    }
    errs
}

fn nonce() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{n:x}")
}

/// Brings every existing child's tags to what the configuration says.
async fn retag(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    obs: &Observed,
    eips: &[(String, String)],
) -> Result<(), AwsError> {
    let mut want: Vec<(String, Tags)> = Vec::new();
    if let Some(v) = &obs.vpc {
        want.push((v.id.clone(), child_tags(aws, d, "vpc", "", &none())));
    }
    for (k, s) in &obs.subnets {
        want.push((s.id.clone(), subnet_tags(aws, d, k)));
    }
    for (k, r) in &obs.route_tables {
        want.push((r.id.clone(), rt_tags(aws, d, k)));
    }
    if let Some(g) = &obs.igw {
        want.push((g.id.clone(), child_tags(aws, d, "igw", "igw", &none())));
    }
    for (az, n) in &obs.nats {
        want.push((
            n.id.clone(),
            child_tags(aws, d, &nat_tag(az), &format!("nat-{az}"), &none()),
        ));
    }
    for (az, alloc) in eips {
        want.push((
            alloc.clone(),
            child_tags(aws, d, &eip_tag(az), &format!("nat-{az}"), &none()),
        ));
    }
    tags::retag(&aws.ec2, stop, want, &obs.tags).await
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
    // NAT gateways first: they hold the elastic IPs and ENIs in public subnets.
    let nat_ids: Vec<String> = obs.nats.values().map(|n| n.id.clone()).collect();
    if !nat_ids.is_empty() {
        let errs = delete_nats(aws, &nat_ids, stop, deadline).await;
        if !errs.is_empty() {
            return errs;
        }
    }
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    for (alloc, _) in eips.by_az.values() {
        let alloc = alloc.clone();
        futs.push(Box::pin(async move {
            release_eip(aws, &alloc, stop, deadline).await
        }));
    }
    if let Some(g) = &obs.igw {
        let gid = g.id.clone();
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
