//! The VPC: found by the stack's tag, claimed by a create (adopted only when an
//! unfinished create of this very resource left it), its attributes, its default
//! security group locked down, and its tags for an import.

use super::*;

/// The VPCs tagged as this stack's, with their tags (sorted by id).
pub(super) async fn stack_vpcs(aws: &Aws, stack: &str) -> Result<Vec<(String, Tags)>, AwsError> {
    let r = aws
        .ec2
        .describe_vpcs()
        .filters(stack_filter(stack))
        .filters(filter(&format!("tag:{}", owner_key("key")), "vpc"))
        .send()
        .await
        .op("DescribeVpcs")?;
    let mut vpcs: Vec<(String, Tags)> = r
        .vpcs()
        .iter()
        .filter_map(|v| Some((v.vpc_id()?.to_string(), tags::map(v.tags()))))
        .collect();
    vpcs.sort();
    Ok(vpcs)
}

/// Why a create could not claim the stack's name.
#[derive(Debug)]
pub enum ClaimError {
    Aws(AwsError),
    /// A VPC of this stack exists and is not ours to adopt.
    Taken {
        vpc_id: String,
        owner: Owner,
    },
}

impl From<AwsError> for ClaimError {
    fn from(e: AwsError) -> Self {
        ClaimError::Aws(e)
    }
}

/// How often a create that met a concurrent create of the same name backs off
/// and looks again before giving up.
pub(super) const CLAIM_ATTEMPTS: u32 = 6;

/// Creates the VPC, or adopts the one an unfinished create of this very
/// resource left (see [`crate::kit::claim`]). Returns the VPC id and, for a
/// VPC created just now, what it is known to hold (so the first reconcile
/// round needs no read).
///
/// Two creates of one name may race: each creates its VPC marked
/// `ode:creating`, then lists the stack's VPCs again. One that sees only its
/// own VPC has won (the other's VPC did not exist yet, so the other will see
/// it). One that sees another deletes its own, still empty VPC, waits a
/// random moment and starts over, where it finds the winner's VPC and fails.
pub async fn ensure_vpc(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
) -> Result<(String, Option<Observed>), ClaimError> {
    let fp = d.creating.clone().unwrap_or_default();
    for attempt in 0..CLAIM_ATTEMPTS {
        let existing = stack_vpcs(aws, &d.name).await?;
        // Anything that is not ours to adopt wins over our own leftovers.
        for (id, tags) in &existing {
            let owner = claim::judge(tags, &fp);
            if owner != Owner::Ours {
                return Err(ClaimError::Taken {
                    vpc_id: id.clone(),
                    owner,
                });
            }
        }
        if let Some((id, _)) = existing.into_iter().next() {
            tracing::info!(vpc = %id, stack = %d.name, "adopting the VPC an unfinished create of this network left");
            return Ok((id, None));
        }
        if stop.is_stopped() {
            return Err(AwsError::stopped("CreateVpc").into());
        }
        let tags = child_tags(aws, d, "vpc", "", &none());
        let r = aws
            .ec2
            .create_vpc()
            .cidr_block(&d.cidr)
            .tag_specifications(tags::spec(ec2::ResourceType::Vpc, &tags))
            .send()
            .await
            .op("CreateVpc")?;
        let id = r
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        let rivals = stack_vpcs(aws, &d.name).await?;
        if rivals.iter().all(|(other, _)| *other == id) {
            return Ok((id.clone(), Some(fresh_vpc(&r, d, &id, tags))));
        }
        tracing::info!(vpc = %id, stack = %d.name, attempt, "another create of this network is running; backing off");
        kit::delete(
            stop,
            kit::wait::deadline_in(Duration::from_secs(60)),
            || async {
                aws.ec2
                    .delete_vpc()
                    .vpc_id(&id)
                    .send()
                    .await
                    .op("DeleteVpc")
                    .map(|_| ())
            },
        )
        .await?;
        if !stop.sleep(jitter(attempt)).await {
            return Err(AwsError::stopped("CreateVpc").into());
        }
    }
    Err(AwsError::new(
        "CreateVpc",
        "ConcurrentCreate",
        format!(
            "another create of network {:?} kept racing this one; nothing was kept. Apply again.",
            d.name
        ),
    )
    .into())
}

/// A random wait of 0.2 to ~1.7 s, longer with each attempt.
pub(super) fn jitter(attempt: u32) -> Duration {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id().wrapping_mul(2_654_435_761);
    Duration::from_millis(200 + u64::from(seed % 1500) + 200 * u64::from(attempt))
}

/// What a VPC created just now holds: AWS's defaults (DNS support on,
/// hostnames off, a default security group that allows egress, only its main
/// route table).
pub(super) fn fresh_vpc(
    r: &aws_sdk_ec2::operation::create_vpc::CreateVpcOutput,
    d: &Desired,
    id: &str,
    tags: Tags,
) -> Observed {
    let mut fresh = Observed {
        vpc: Some(VpcSeen {
            id: id.to_string(),
            owner: r
                .vpc()
                .and_then(|v| v.owner_id())
                .unwrap_or_default()
                .to_string(),
            cidr: d.cidr.clone(),
            dns_support: true,
            dns_hostnames: false,
        }),
        default_sg: Some(SgSeen {
            id: String::new(),
            has_rules: true,
        }),
        ..Default::default()
    };
    fresh.tags.insert(id.to_string(), tags);
    fresh
}

/// Ends a successful create: the VPC loses its `ode:creating` mark, so that no
/// later create adopts it.
pub async fn release_claim(aws: &Aws, vpc_id: &str) -> Result<(), AwsError> {
    aws.ec2
        .delete_tags()
        .resources(vpc_id)
        .tags(ec2::Tag::builder().key(CREATING_TAG).build())
        .send()
        .await
        .op("DeleteTags")
        .map(|_| ())
}

pub(super) fn bool_attr(v: bool) -> ec2::AttributeBooleanValue {
    ec2::AttributeBooleanValue::builder().value(v).build()
}

/// Removes every rule of the VPC's default security group (`group_id` may be
/// empty when not known yet).
pub(super) async fn lock_down_sg(
    c: &aws_sdk_ec2::Client,
    vpc_id: &str,
    group_id: &str,
) -> Result<(), AwsError> {
    let req = c.describe_security_groups();
    let req = if group_id.is_empty() {
        req.filters(filter("vpc-id", vpc_id))
            .filters(filter("group-name", "default"))
    } else {
        req.group_ids(group_id)
    };
    let g = req.send().await.op("DescribeSecurityGroups")?;
    let Some(g) = g.security_groups().first() else {
        return Ok(());
    };
    let group_id = g.group_id().unwrap_or_default();
    let (ingress, egress) = (
        g.ip_permissions().to_vec(),
        g.ip_permissions_egress().to_vec(),
    );
    let i = async {
        if ingress.is_empty() {
            return Ok(());
        }
        c.revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(ingress))
            .send()
            .await
            .op("RevokeSecurityGroupIngress")
            .map(|_| ())
    };
    let e = async {
        if egress.is_empty() {
            return Ok(());
        }
        c.revoke_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(egress))
            .send()
            .await
            .op("RevokeSecurityGroupEgress")
            .map(|_| ())
    };
    tokio::try_join!(i, e).map(|_| ())
}

/// A VPC's tags; `None` when it does not exist.
pub async fn vpc_tags(aws: &Aws, vpc_id: &str) -> Result<Option<Tags>, AwsError> {
    match aws
        .ec2
        .describe_vpcs()
        .vpc_ids(vpc_id)
        .send()
        .await
        .op("DescribeVpcs")
    {
        Ok(r) => Ok(r.vpcs().first().map(|v| tags::map(v.tags()))),
        Err(e) if e.is_code(&["InvalidVpcID.NotFound"]) => Ok(None),
        Err(e) => Err(e),
    }
}
