//! Plan-time checks of where a composite's inputs live, refused at plan as AWS would
//! refuse them at apply: subnets in one availability zone (Multi-AZ databases,
//! failover groups, EKS) or of another VPC than the composite's, and a KMS key of
//! another region than the provider's (S3, ECR, RDS, EKS and Secrets Manager encrypt
//! with keys of their own region only).

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{Aws, Op};
use crate::framework::{AttrPath, Diagnostics, Value};

/// Checks `subnet_ids` of `planned` when it (or `vpc_attr`, the composite's VPC
/// attribute, if it has one) changed: two zones at least, and one VPC: `vpc_attr`'s
/// when it is known. `who` says what needs the two zones ("EKS needs").
pub async fn check_subnets(
    aws: &Aws,
    prior: &Value,
    planned: &Value,
    vpc_attr: Option<&str>,
    who: &str,
    diags: &mut Diagnostics,
) {
    let subnets = planned.get("subnet_ids");
    let null = Value::Null;
    let vpc = vpc_attr.map_or(&null, |a| planned.get(a));
    let changed = prior.is_null()
        || prior.get("subnet_ids") != subnets
        || vpc_attr.is_some_and(|a| prior.get(a) != vpc);
    if !changed || !subnets.is_wholly_known() || subnets.is_null() {
        return;
    }
    let at = AttrPath::attr("subnet_ids");
    let ids = subnets.to_string_vec();
    let found = match aws
        .ec2
        .describe_subnets()
        .set_subnet_ids(Some(ids))
        .send()
        .await
        .op("DescribeSubnets")
    {
        Ok(r) => r,
        Err(e) => return diags.attr_error(at, "Checking the subnets", e.to_string()),
    };
    let mut zones = BTreeSet::new();
    let mut by_vpc: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in found.subnets() {
        zones.extend(s.availability_zone().map(str::to_string));
        by_vpc
            .entry(s.vpc_id().unwrap_or_default().to_string())
            .or_default()
            .push(s.subnet_id().unwrap_or_default().to_string());
    }
    if zones.len() < 2 {
        diags.attr_error(
            at.clone(),
            "Subnets in fewer than two availability zones",
            format!(
                "{who} subnets in at least two availability zones; these are all in {}.",
                zones.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    match vpc.as_str() {
        Some(vpc) => {
            let foreign: Vec<String> = by_vpc
                .iter()
                .filter(|(v, _)| v.as_str() != vpc)
                .map(|(v, ids)| format!("{} (in {v})", ids.join(", ")))
                .collect();
            if !foreign.is_empty() {
                diags.attr_error(
                    at,
                    "Subnets of another VPC",
                    format!(
                        "The subnets must be in vpc_id {vpc}; {} {} not.",
                        foreign.join("; "),
                        if foreign.len() == 1 && !foreign[0].contains(',') {
                            "is"
                        } else {
                            "are"
                        }
                    ),
                );
            }
        }
        None if by_vpc.len() > 1 => diags.attr_error(
            at,
            "Subnets of more than one VPC",
            format!(
                "The subnets must all be in one VPC; they are in {}.",
                by_vpc.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ),
        None => {}
    }
}

/// `attr` (a KMS key ARN) of `planned` must be in the provider's region; `who` names
/// the service that uses it ("S3").
pub fn check_kms_region(
    aws: &Aws,
    planned: &Value,
    attr: &str,
    who: &str,
    diags: &mut Diagnostics,
) {
    let Some(arn) = planned.get(attr).as_str() else {
        return;
    };
    match arn.split(':').nth(3) {
        Some(region) if region != aws.region => diags.attr_error(
            AttrPath::attr(attr),
            "KMS key of another region",
            format!(
                "{attr} is a key of {region}; {who} encrypts with KMS keys of its own region only, {} (the provider's region). Use a key (or a multi-Region replica) in {}.",
                aws.region, aws.region
            ),
        ),
        _ => {}
    }
}
