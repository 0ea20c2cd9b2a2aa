//! `ode_network`: what users write and what they get back.

use super::layout::Tier;
use super::layout::{self, Cidr};
use crate::aws::validate as awsv;
use crate::framework::{Attribute, Block, Schema, Type, Value};

fn network_name(s: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?}: names are 1 to 64 letters, digits, '-' or '_'."
        ))
    }
}

fn vpc_cidr(s: &str) -> Result<(), String> {
    let c = Cidr::parse(s)?;
    if (16..=layout::MAX_PREFIX).contains(&c.prefix) {
        Ok(())
    } else {
        Err(format!(
            "The VPC's prefix length must be between 16 and 28; got /{}.",
            c.prefix
        ))
    }
}

fn az_count(n: i64) -> Result<(), String> {
    if (1..=8).contains(&n) {
        Ok(())
    } else {
        Err(format!("az_count must be 1 to 8; got {n}."))
    }
}

fn nat_strategy(s: &str) -> Result<(), String> {
    match s {
        NAT_ONE_PER_AZ | NAT_SINGLE | NAT_NONE => Ok(()),
        _ => Err(format!(
            "{s:?} is not a NAT strategy: use \"one_per_az\", \"single\" or \"none\"."
        )),
    }
}

fn subnet_prefix(n: i64) -> Result<(), String> {
    if (16..=28).contains(&n) {
        Ok(())
    } else {
        Err(format!("Subnet prefix lengths are 16 to 28; got {n}."))
    }
}

fn subnet_cidr(s: &str) -> Result<(), String> {
    Cidr::parse(s).map(|_| ())
}

fn flow_destination(s: &str) -> Result<(), String> {
    let named = |marker: &str| {
        s.split_once(marker)
            .is_some_and(|(_, name)| !name.is_empty())
    };
    if s.starts_with("arn:aws") && (named(":s3:::") || named(":log-group:")) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is neither an S3 bucket ARN nor a CloudWatch Logs log group ARN."
        ))
    }
}

fn gateway_service(s: &str) -> Result<(), String> {
    if super::model::GATEWAY_SERVICES.contains(&s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?}: gateway endpoints exist for \"s3\" and \"dynamodb\" only; list other services in interface_endpoints."
        ))
    }
}

fn interface_service(s: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an AWS service's endpoint name (like \"ecr.api\" or \"sts\"; without the com.amazonaws.<region>. prefix)."
        ))
    }
}

fn traffic_type(s: &str) -> Result<(), String> {
    match s {
        "ALL" | "ACCEPT" | "REJECT" => Ok(()),
        _ => Err(format!("{s:?}: use ALL, ACCEPT or REJECT.")),
    }
}

pub const TYPE_NAME: &str = "ode_network";

/// NAT strategies.
pub const NAT_ONE_PER_AZ: &str = "one_per_az";
pub const NAT_SINGLE: &str = "single";
pub const NAT_NONE: &str = "none";

fn tier_block(tier: Tier) -> Block {
    let what = match tier {
        Tier::Public => {
            "Public subnets: routed to the internet gateway; they hold the NAT gateways."
        }
        Tier::Private => {
            "Private subnets: outbound-only internet access through their zone's NAT gateway."
        }
        Tier::Isolated => "Isolated subnets: no route to or from the internet (databases, caches).",
    };
    Block::new(what)
        .attr(
            Attribute::bool("enabled")
                .implied(true)
                .doc("Create this tier (default true)."),
        )
        .attr(
            Attribute::number("prefix_length")
                .optional()
                .computed()
                .check_int(subnet_prefix)
                .doc(
                "Prefix length of each subnet (default: the largest the layout gives the tier, \
             /21 for public and isolated and /20 for private in a /16 VPC).",
            ),
        )
        .attr(Attribute::string_map("cidrs").optional().check_str(subnet_cidr).doc(
            "Explicit CIDR blocks keyed by availability zone; zones not listed use the layout.",
        ))
        .attr(
            Attribute::string_map("tags")
                .optional()
                .check_entries(awsv::tag)
                .doc("Extra tags for this tier's subnets."),
        )
}

/// Computed per-tier attributes, in schema order: (suffix, type, description).
pub fn tier_outputs(tier: Tier) -> Vec<(String, Type, String)> {
    let t = tier.name();
    vec![
        (
            format!("{t}_subnet_ids"),
            Type::list(Type::String),
            format!("IDs of the {t} subnets, in availability zone order."),
        ),
        (
            format!("{t}_subnet_cidrs"),
            Type::list(Type::String),
            format!("CIDR blocks of the {t} subnets, in availability zone order."),
        ),
        (
            format!("{t}_subnet_ids_by_az"),
            Type::map(Type::String),
            format!("IDs of the {t} subnets keyed by availability zone."),
        ),
        (
            format!("{t}_subnet_cidrs_by_az"),
            Type::map(Type::String),
            format!("CIDR blocks of the {t} subnets keyed by availability zone."),
        ),
    ]
}

pub fn schema() -> Schema {
    let mut block = Block::new(
        "The ODE network as one resource: a VPC over several availability zones with \
         public, private and isolated subnets, an internet gateway, NAT gateways, route \
         tables and a locked-down default security group. Children are created \
         concurrently, refreshed in a few batched calls, repaired when they drift, and \
         tagged so that an interrupted apply is adopted instead of duplicated.",
    )
    .attr(Attribute::string("name").required().requires_replace().check_str(network_name).doc(
        "Name of the network, used in Name tags and ownership tags. Must be unique per account and region. Changing it replaces the network.",
    ))
    .attr(Attribute::string("cidr_block").default("10.0.0.0/16").requires_replace().check_str(vpc_cidr).doc(
        "IPv4 CIDR block of the VPC (/16 to /28). Changing it replaces the network.",
    ))
    .attr(Attribute::string_list("availability_zones").optional().computed().doc(
        "Availability zones to use. When null, the first `az_count` zones the region offers.",
    ))
    .attr(Attribute::number("az_count").optional().computed().check_int(az_count).doc(
        "How many zones to use when `availability_zones` is null (default 3).",
    ))
    .attr(Attribute::string("nat_gateways").default(NAT_ONE_PER_AZ).check_str(nat_strategy).doc(
        "NAT strategy: `one_per_az` (each zone's private subnets leave through their own NAT), `single` (one NAT in the first zone) or `none`.",
    ))
    .attr(Attribute::bool("enable_dns_support").default(true).doc("Enable the Amazon DNS server in the VPC."))
    .attr(Attribute::bool("enable_dns_hostnames").default(true).doc("Give instances public DNS hostnames."))
    .attr(Attribute::bool("manage_default_security_group").default(true).doc(
        "Remove every rule from the VPC's default security group, so nothing can use it by accident.",
    ))
    .attr(Attribute::string_map("tags").implied(Value::Map(Default::default())).check_entries(awsv::tag).doc("Tags for every object of the network, merged over the provider's `default_tags`."))
    .attr(Attribute::new("gateway_endpoints", Type::set(Type::String)).optional().computed().use_state_for_unknown().check_str(gateway_service).doc(
        "Services reached through a gateway VPC endpoint on the private and isolated route tables: `s3`, `dynamodb` (gateway endpoints are free). Left unset, a new network gets `[\"s3\"]` and keeps its list in state; networks made before endpoints existed keep none until the configuration lists them.",
    ))
    .attr(Attribute::new("interface_endpoints", Type::set(Type::String)).implied(Value::List(Vec::new())).check_str(interface_service).doc(
        "Services reached through an interface VPC endpoint in the private subnets, with private DNS, e.g. `[\"ecr.api\", \"ecr.dkr\", \"sts\", \"logs\"]` (default none). They share a security group the network makes that admits HTTPS from the VPC. Each is priced per zone and hour. Checked at plan against the services the region offers.",
    ));
    // Group blocks: a tier left out is one with every default, so an imported
    // network (which spells its tiers out) plans no change either way.
    for tier in Tier::ALL {
        block = block.group(tier.name(), tier_block(tier));
    }
    block = block.single(
        "flow_logs",
        Block::new("Capture the VPC's IP traffic with VPC flow logs.")
            .attr(Attribute::string("destination_arn").required().check_str(flow_destination).doc(
                "Where the logs go: an S3 bucket ARN (`arn:aws:s3:::bucket`) or a CloudWatch Logs log group ARN.",
            ))
            .attr(Attribute::string("traffic_type").optional().check_str(traffic_type).doc("`ALL` (default), `ACCEPT` or `REJECT`."))
            .attr(Attribute::string("iam_role_arn").optional().check_str(awsv::arn("iam")).doc(
                "Role that lets the flow logs service write to CloudWatch Logs (required for log group destinations).",
            )),
    );
    block = block.single("timeouts", crate::kit::timeouts::block("30m"));
    let computed = Attribute::output;
    block = block
        .attr(computed("id", Type::String, "The VPC ID."))
        .attr(computed("vpc_id", Type::String, "The VPC ID."))
        .attr(computed("vpc_arn", Type::String, "ARN of the VPC."))
        .attr(computed(
            "internet_gateway_id",
            Type::String,
            "ID of the internet gateway (null without a public tier).",
        ))
        .attr(computed(
            "default_security_group_id",
            Type::String,
            "ID of the VPC's default security group.",
        ));
    for tier in Tier::ALL {
        for (name, ty, doc) in tier_outputs(tier) {
            block = block.attr(computed(&name, ty, &doc));
        }
    }
    block = block
        .attr(computed("nat_gateway_ids", Type::list(Type::String), "IDs of the NAT gateways, in availability zone order."))
        .attr(computed("nat_public_ips", Type::list(Type::String), "Public IPs of the NAT gateways, in availability zone order."))
        .attr(computed("public_route_table_id", Type::String, "ID of the public route table."))
        .attr(computed("private_route_table_ids", Type::list(Type::String), "IDs of the private route tables (one per zone), in availability zone order."))
        .attr(computed("isolated_route_table_id", Type::String, "ID of the isolated route table."))
        .attr(computed("flow_log_id", Type::String, "ID of the VPC flow log (null without `flow_logs`)."))
        .attr(computed("vpc_endpoint_ids", Type::map(Type::String), "IDs of the VPC endpoints, by service."))
        .attr(computed("endpoint_security_group_id", Type::String, "ID of the security group of the interface endpoints (null without interface endpoints)."))
        .attr(computed("isolation", Type::String, "`verified` when no isolated subnet can reach the internet; otherwise what breaks isolation (the next apply repairs it)."))
        .attr(computed("egress", Type::String, "`verified` when public subnets route to the internet gateway, private subnets to their NAT, and the VPC endpoints serve the route tables and subnets as configured; otherwise what is wrong (the next apply repairs it)."));
    let [cost, items] = crate::pricing::attributes();
    let block = block.attr(cost).attr(items);
    // Version 1 added the cost estimate (`estimated_monthly_cost`, `cost_items`);
    // version 2 made the tiers group blocks (never null); version 3 added the VPC
    // endpoints.
    Schema::new(3, block)
}
