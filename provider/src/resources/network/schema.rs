//! `ode_network`: what users write and what they get back.

use super::layout::Tier;
use crate::framework::{Attribute, Block, Schema, Type};

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
                .optional()
                .doc("Create this tier (default true)."),
        )
        .attr(Attribute::number("prefix_length").optional().doc(
            "Prefix length of each subnet (default: the largest the layout gives the tier, \
             /21 for public and isolated and /20 for private in a /16 VPC).",
        ))
        .attr(Attribute::string_map("cidrs").optional().doc(
            "Explicit CIDR blocks keyed by availability zone; zones not listed use the layout.",
        ))
        .attr(
            Attribute::string_map("tags")
                .optional()
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
    .attr(Attribute::string("name").required().requires_replace().doc(
        "Name of the network, used in Name tags and ownership tags. Must be unique per account and region. Changing it replaces the network.",
    ))
    .attr(Attribute::string("cidr_block").default("10.0.0.0/16").requires_replace().doc(
        "IPv4 CIDR block of the VPC (/16 to /28). Changing it replaces the network.",
    ))
    .attr(Attribute::string_list("availability_zones").optional().computed().doc(
        "Availability zones to use. When null, the first `az_count` zones the region offers.",
    ))
    .attr(Attribute::number("az_count").optional().doc(
        "How many zones to use when `availability_zones` is null (default 3).",
    ))
    .attr(Attribute::string("nat_gateways").default(NAT_ONE_PER_AZ).doc(
        "NAT strategy: `one_per_az` (each zone's private subnets leave through their own NAT), `single` (one NAT in the first zone) or `none`.",
    ))
    .attr(Attribute::bool("enable_dns_support").default(true).doc("Enable the Amazon DNS server in the VPC."))
    .attr(Attribute::bool("enable_dns_hostnames").default(true).doc("Give instances public DNS hostnames."))
    .attr(Attribute::bool("manage_default_security_group").default(true).doc(
        "Remove every rule from the VPC's default security group, so nothing can use it by accident.",
    ))
    .attr(Attribute::string_map("tags").optional().doc("Tags for every object of the network, merged over the provider's `default_tags`."));
    for tier in Tier::ALL {
        block = block.single(tier.name(), tier_block(tier));
    }
    block = block.single(
        "flow_logs",
        Block::new("Capture the VPC's IP traffic with VPC flow logs.")
            .attr(Attribute::string("destination_arn").required().doc(
                "Where the logs go: an S3 bucket ARN (`arn:aws:s3:::bucket`) or a CloudWatch Logs log group ARN.",
            ))
            .attr(Attribute::string("traffic_type").optional().doc("`ALL` (default), `ACCEPT` or `REJECT`."))
            .attr(Attribute::string("iam_role_arn").optional().doc(
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
        .attr(computed("isolation", Type::String, "`verified` when no isolated subnet can reach the internet; otherwise what breaks isolation (the next apply repairs it)."))
        .attr(computed("egress", Type::String, "`verified` when public subnets route to the internet gateway and private subnets to their NAT as configured; otherwise what is wrong (the next apply repairs it)."));
    let [cost, items] = crate::pricing::attributes();
    let block = block.attr(cost).attr(items);
    // Version 1 added the cost estimate (`estimated_monthly_cost`, `cost_items`).
    Schema::new(1, block)
}
