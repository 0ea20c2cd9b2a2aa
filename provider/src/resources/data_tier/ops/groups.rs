//! The tier's security groups: what they admit, read back and brought to exactly
//! the allowed sources.

use super::*;

pub(super) fn sg_seen(g: &ec2::SecurityGroup) -> SgSeen {
    let mut ingress = Vec::new();
    for p in g.ip_permissions() {
        let port = p.from_port().unwrap_or(-1);
        for r in p.ip_ranges() {
            ingress.push((port, r.cidr_ip().unwrap_or_default().to_string()));
        }
        for r in p.ipv6_ranges() {
            ingress.push((port, r.cidr_ipv6().unwrap_or_default().to_string()));
        }
        for r in p.user_id_group_pairs() {
            ingress.push((port, r.group_id().unwrap_or_default().to_string()));
        }
    }
    ingress.sort();
    SgSeen {
        id: g.group_id().unwrap_or_default().to_string(),
        tags: ec2_tags::map(g.tags()),
        ingress,
    }
}

/// The ingress a security group of `engine` should have: exactly the allowed sources.
pub(super) fn wanted_ingress(d: &Desired, port: i32) -> Vec<(i32, String)> {
    let mut v: Vec<(i32, String)> = d
        .allowed_sgs
        .iter()
        .chain(d.allowed_cidrs.iter())
        .map(|s| (port, s.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

pub(super) fn permission(port: i32, source: &str) -> ec2::IpPermission {
    let p = ec2::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port);
    if source.starts_with("sg-") {
        p.user_id_group_pairs(ec2::UserIdGroupPair::builder().group_id(source).build())
    } else if source.contains(':') {
        p.ipv6_ranges(ec2::Ipv6Range::builder().cidr_ipv6(source).build())
    } else {
        p.ip_ranges(ec2::IpRange::builder().cidr_ip(source).build())
    }
    .build()
}

/// Creates the engine's security group if missing and brings its ingress to
/// exactly the allowed sources (what else admits traffic is revoked).
pub(super) async fn ensure_sg(
    aws: &Aws,
    d: &Desired,
    engine: &str,
    port: i32,
    seen: Option<&SgSeen>,
) -> Result<String, AwsError> {
    let (id, have) = match seen {
        Some(s) => (s.id.clone(), s.ingress.clone()),
        None => {
            let r = aws
                .ec2
                .create_security_group()
                .group_name(d.sg_name(engine))
                .description(format!("ODE data tier {}: {engine} clients", d.name))
                .vpc_id(&d.vpc_id)
                .tag_specifications(ec2_tags::spec(
                    ec2::ResourceType::SecurityGroup,
                    &tier_tags(aws, d, &format!("sg/{engine}")),
                ))
                .send()
                .await
                .op("CreateSecurityGroup")?;
            (r.group_id().unwrap_or_default().to_string(), Vec::new())
        }
    };
    if let Some(s) = seen {
        let tags = tier_tags(aws, d, &format!("sg/{engine}"));
        let have = BTreeMap::from([(s.id.clone(), s.tags.clone())]);
        ec2_tags::retag(&aws.ec2, &Stop::new(), vec![(s.id.clone(), tags)], &have).await?;
    }
    let want = wanted_ingress(d, port);
    let add: Vec<ec2::IpPermission> = want
        .iter()
        .filter(|w| !have.contains(w))
        .map(|(p, s)| permission(*p, s))
        .collect();
    let revoke: Vec<ec2::IpPermission> = have
        .iter()
        .filter(|h| !want.contains(h))
        .map(|(p, s)| permission(*p, s))
        .collect();
    let grant = async {
        if add.is_empty() {
            return Ok(());
        }
        aws.ec2
            .authorize_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(add))
            .send()
            .await
            .op("AuthorizeSecurityGroupIngress")
            .map(|_| ())
    };
    let take = async {
        if revoke.is_empty() {
            return Ok(());
        }
        aws.ec2
            .revoke_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(revoke))
            .send()
            .await
            .op("RevokeSecurityGroupIngress")
            .map(|_| ())
    };
    tokio::try_join!(grant, take)?;
    Ok(id)
}
