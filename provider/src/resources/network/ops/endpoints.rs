//! VPC endpoints: gateway endpoints (S3, DynamoDB) on the private and isolated route
//! tables, interface endpoints in the private subnets behind the network's endpoint
//! security group (HTTPS from the VPC). Each is found again by its ownership tag
//! (`vpce/<service>`, `sg/endpoints`), so an interrupted apply leaves nothing unknown.

use super::*;

/// Endpoint states that hold an endpoint (a `failed` one is made again; deleted,
/// rejected and expired ones are gone).
const LIVE: [&str; 4] = ["pendingAcceptance", "pending", "available", "failed"];

/// The endpoint types (`Gateway`, `Interface`) the region offers for each service
/// asked about (DescribeVpcEndpointServices, every page; a service the region does
/// not offer is absent).
pub async fn offered_endpoint_types<'a>(
    aws: &Aws,
    services: impl Iterator<Item = &'a String>,
) -> Result<BTreeMap<String, Vec<String>>, AwsError> {
    let wanted: BTreeMap<String, String> = services
        .map(|s| (endpoint_service_name(&aws.region, s), s.clone()))
        .collect();
    let mut offered = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let r = aws
            .ec2
            .describe_vpc_endpoint_services()
            .max_results(1000)
            .set_next_token(token.clone())
            .send()
            .await
            .op("DescribeVpcEndpointServices")?;
        for detail in r.service_details() {
            let Some(short) = detail.service_name().and_then(|n| wanted.get(n)) else {
                continue;
            };
            // A service may be listed once per type (S3: Gateway and Interface).
            let kinds: &mut Vec<String> = offered.entry(short.clone()).or_default();
            for t in detail.service_type() {
                if let Some(k) = t.service_type().map(|k| k.as_str().to_string()) {
                    if !kinds.contains(&k) {
                        kinds.push(k);
                    }
                }
            }
        }
        token = r.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(offered);
        }
    }
}

/// The network's endpoints, from a DescribeVpcEndpoints of its VPC.
pub(super) fn observe_endpoints(stack: &str, endpoints: &[ec2::VpcEndpoint], obs: &mut Observed) {
    for e in endpoints {
        let tags = tags::map(e.tags());
        let Some(ChildKey::Endpoint(service)) = child_key(&tags, stack) else {
            continue;
        };
        let state = e
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if !LIVE.iter().any(|s| s.eq_ignore_ascii_case(&state)) {
            continue;
        }
        let id = e.vpc_endpoint_id().unwrap_or_default().to_string();
        obs.endpoints.insert(
            service,
            EndpointSeen {
                id: id.clone(),
                interface: e.vpc_endpoint_type() == Some(&ec2::VpcEndpointType::Interface),
                route_table_ids: e.route_table_ids().to_vec(),
                subnet_ids: e.subnet_ids().to_vec(),
                security_group_ids: e
                    .groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(str::to_string))
                    .collect(),
                state: state.to_lowercase(),
            },
        );
        obs.tags.insert(id, tags);
    }
}

/// Whether a security group admits HTTPS from `cidr`.
pub(super) fn admits_https(group: &ec2::SecurityGroup, cidr: &str) -> bool {
    group.ip_permissions().iter().any(|p| {
        p.ip_protocol() == Some("tcp")
            && p.from_port() == Some(443)
            && p.to_port() == Some(443)
            && p.ip_ranges().iter().any(|r| r.cidr_ip() == Some(cidr))
    })
}

/// Lets HTTPS from the VPC (`cidr`) reach the endpoints' security group.
pub(super) async fn open_endpoint_sg(
    aws: &Aws,
    stop: &Stop,
    deadline: Instant,
    group: &str,
    cidr: &str,
) -> Result<(), AwsError> {
    let rule = ec2::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(
            ec2::IpRange::builder()
                .cidr_ip(cidr)
                .description("HTTPS from the VPC to its interface endpoints")
                .build(),
        )
        .build();
    let r = propagated(stop, deadline, || async {
        aws.ec2
            .authorize_security_group_ingress()
            .group_id(group)
            .ip_permissions(rule.clone())
            .send()
            .await
            .op("AuthorizeSecurityGroupIngress")
    })
    .await;
    match r {
        // Made by an earlier, interrupted run.
        Err(e) if e.is_code(&["InvalidPermission.Duplicate"]) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Makes the endpoints' security group (admitting HTTPS from the VPC); its id.
pub(super) async fn create_endpoint_sg(
    aws: &Aws,
    stop: &Stop,
    deadline: Instant,
    d: &Desired,
    vpc_id: &str,
    cidr: &str,
) -> Result<String, AwsError> {
    let tags = child_tags(aws, d, ENDPOINT_SG_TAG, "endpoints", &none());
    let r = propagated(stop, deadline, || async {
        aws.ec2
            .create_security_group()
            .group_name(format!("{}-endpoints", d.name))
            .description("Interface VPC endpoints of the network: HTTPS from the VPC")
            .vpc_id(vpc_id)
            .tag_specifications(tags::spec(ec2::ResourceType::SecurityGroup, &tags))
            .send()
            .await
            .op("CreateSecurityGroup")
    })
    .await;
    let id = match r {
        Ok(r) => required("CreateSecurityGroup", "GroupId", r.group_id())?,
        // A create EC2 carried out whose answer was lost, sent again: the network's own
        // group (its ownership tags, in its VPC) is taken.
        Err(e) if e.is_code(&["InvalidGroup.Duplicate"]) => {
            own_endpoint_sg(aws, d, vpc_id).await?.ok_or(e)?
        }
        Err(e) => return Err(e),
    };
    open_endpoint_sg(aws, stop, deadline, &id, cidr).await?;
    Ok(id)
}

/// The id of the network's endpoint group in `vpc_id`, by its ownership tags.
async fn own_endpoint_sg(aws: &Aws, d: &Desired, vpc_id: &str) -> Result<Option<String>, AwsError> {
    let r = aws
        .ec2
        .describe_security_groups()
        .filters(ec2::Filter::builder().name("vpc-id").values(vpc_id).build())
        .filters(
            ec2::Filter::builder()
                .name("group-name")
                .values(format!("{}-endpoints", d.name))
                .build(),
        )
        .send()
        .await
        .op("DescribeSecurityGroups")?;
    Ok(r.security_groups()
        .iter()
        .find(|g| {
            kit::tags::owned_key(&tags::map(g.tags()), &d.name, COMPONENT) == Some(ENDPOINT_SG_TAG)
        })
        .and_then(|g| g.group_id())
        .map(str::to_string))
}

pub(super) async fn delete_endpoint_sg(
    aws: &Aws,
    stop: &Stop,
    deadline: Instant,
    group: &str,
) -> Result<(), AwsError> {
    // The endpoints' network interfaces may hold it for a while after they go.
    kit::delete(stop, deadline, || async {
        aws.ec2
            .delete_security_group()
            .group_id(group)
            .send()
            .await
            .op("DeleteSecurityGroup")
            .map(|_| ())
    })
    .await
}

/// What one endpoint needs: the ids it serves (route tables or subnets) and, for an
/// interface endpoint, its security group.
pub(super) struct EndpointTarget<'a> {
    pub service: &'a str,
    pub interface: bool,
    pub ids: Vec<String>,
    pub security_group: Option<String>,
}

/// Makes one endpoint. The client token makes a retried create answer the same
/// endpoint instead of making a second.
pub(super) async fn create_endpoint(
    aws: &Aws,
    stop: &Stop,
    deadline: Instant,
    d: &Desired,
    vpc_id: &str,
    t: &EndpointTarget<'_>,
) -> Result<String, AwsError> {
    let tags = child_tags(
        aws,
        d,
        &endpoint_tag(t.service),
        &format!("vpce-{}", t.service),
        &none(),
    );
    let token: String = format!("{}-{}-{}", d.name, t.service, nonce())
        .chars()
        .take(64)
        .collect();
    let r = propagated(stop, deadline, || async {
        let call = aws
            .ec2
            .create_vpc_endpoint()
            .vpc_id(vpc_id)
            .service_name(endpoint_service_name(&aws.region, t.service))
            .client_token(&token)
            .tag_specifications(tags::spec(ec2::ResourceType::VpcEndpoint, &tags));
        let call = if t.interface {
            call.vpc_endpoint_type(ec2::VpcEndpointType::Interface)
                .set_subnet_ids(Some(t.ids.clone()))
                .set_security_group_ids(t.security_group.clone().map(|g| vec![g]))
                .private_dns_enabled(true)
        } else {
            call.vpc_endpoint_type(ec2::VpcEndpointType::Gateway)
                .set_route_table_ids(Some(t.ids.clone()))
        };
        call.send().await.op("CreateVpcEndpoint")
    })
    .await?;
    required(
        "CreateVpcEndpoint",
        "VpcEndpointId",
        r.vpc_endpoint().and_then(|e| e.vpc_endpoint_id()),
    )
}

/// Brings an existing endpoint's route tables, subnets and security group to `t`
/// (one ModifyVpcEndpoint; none when nothing differs).
pub(super) async fn modify_endpoint(
    aws: &Aws,
    stop: &Stop,
    deadline: Instant,
    seen: &EndpointSeen,
    t: &EndpointTarget<'_>,
) -> Result<(), AwsError> {
    let diff = |have: &[String], want: &[String]| -> (Vec<String>, Vec<String>) {
        let add = want.iter().filter(|w| !have.contains(w)).cloned().collect();
        let remove = have.iter().filter(|h| !want.contains(h)).cloned().collect();
        (add, remove)
    };
    let some = |v: Vec<String>| if v.is_empty() { None } else { Some(v) };
    let (add, remove) = if t.interface {
        diff(&seen.subnet_ids, &t.ids)
    } else {
        diff(&seen.route_table_ids, &t.ids)
    };
    let want_sg: Vec<String> = t.security_group.iter().cloned().collect();
    let (add_sg, remove_sg) = if t.interface {
        diff(&seen.security_group_ids, &want_sg)
    } else {
        (Vec::new(), Vec::new())
    };
    if add.is_empty() && remove.is_empty() && add_sg.is_empty() && remove_sg.is_empty() {
        return Ok(());
    }
    propagated(stop, deadline, || async {
        let call = aws
            .ec2
            .modify_vpc_endpoint()
            .vpc_endpoint_id(&seen.id)
            .set_add_security_group_ids(some(add_sg.clone()))
            .set_remove_security_group_ids(some(remove_sg.clone()));
        let call = if t.interface {
            call.set_add_subnet_ids(some(add.clone()))
                .set_remove_subnet_ids(some(remove.clone()))
        } else {
            call.set_add_route_table_ids(some(add.clone()))
                .set_remove_route_table_ids(some(remove.clone()))
        };
        call.send().await.op("ModifyVpcEndpoint")
    })
    .await
    .map(|_| ())
}

/// Deletes endpoints (one DeleteVpcEndpoints for all) and waits until EC2 no longer
/// holds them, so the subnets, route tables and security group they used can go.
pub(super) async fn delete_endpoints(
    aws: &Aws,
    stop: &Stop,
    deadline: Instant,
    ids: &[String],
) -> Result<(), AwsError> {
    if ids.is_empty() {
        return Ok(());
    }
    let r = kit::delete(stop, deadline, || async {
        let r = aws
            .ec2
            .delete_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(ids.to_vec()))
            .send()
            .await
            .op("DeleteVpcEndpoints")?;
        // Per-endpoint failures come back as items; one already gone is fine.
        let failed: Vec<String> = r
            .unsuccessful()
            .iter()
            .filter_map(|u| {
                let e = u.error()?;
                let code = e.code().unwrap_or_default();
                (!code.contains("NotFound")).then(|| {
                    format!(
                        "{}: {code}: {}",
                        u.resource_id().unwrap_or("?"),
                        e.message().unwrap_or_default()
                    )
                })
            })
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(AwsError::new(
                "DeleteVpcEndpoints",
                "Unsuccessful",
                failed.join("; "),
            ))
        }
    })
    .await;
    r?;
    let what = format!("VPC endpoint(s) {}", ids.join(", "));
    kit::wait::gone(stop, what, deadline, || async {
        let r = aws
            .ec2
            .describe_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(ids.to_vec()))
            .send()
            .await
            .op("DescribeVpcEndpoints");
        match r {
            Ok(r) => Ok(r.vpc_endpoints().iter().any(|e| {
                let state = e.state().map(|s| s.as_str()).unwrap_or_default();
                !["deleted", "rejected", "expired"].contains(&state.to_lowercase().as_str())
            })),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    })
    .await
}
