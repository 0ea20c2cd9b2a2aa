//! Default routes, route tables and the internet gateway.

use super::*;

pub(super) async fn set_default_route(
    aws: &Aws,
    rt: &str,
    have: Option<String>,
    want: Option<String>,
) -> Result<(), AwsError> {
    match (have, want) {
        (_, None) => delete_route(aws, rt, "0.0.0.0/0").await,
        (None, Some(t)) => {
            let r = aws
                .ec2
                .create_route()
                .route_table_id(rt)
                .destination_cidr_block("0.0.0.0/0");
            let r = if t.starts_with("nat-") {
                r.nat_gateway_id(&t)
            } else {
                r.gateway_id(&t)
            };
            match r.send().await.op("CreateRoute") {
                // A CreateRoute AWS carried out, retried after its answer was lost
                // (or a route made since the read): pointed where it should go.
                Err(e) if e.is_code(&["RouteAlreadyExists"]) => {
                    replace_default_route(aws, rt, &t).await
                }
                other => other.map(|_| ()),
            }
        }
        (Some(_), Some(t)) => replace_default_route(aws, rt, &t).await,
    }
}

async fn replace_default_route(aws: &Aws, rt: &str, target: &str) -> Result<(), AwsError> {
    let r = aws
        .ec2
        .replace_route()
        .route_table_id(rt)
        .destination_cidr_block("0.0.0.0/0");
    let r = if target.starts_with("nat-") {
        r.nat_gateway_id(target)
    } else {
        r.gateway_id(target)
    };
    r.send().await.op("ReplaceRoute").map(|_| ())
}

pub(super) async fn delete_route(aws: &Aws, rt: &str, dest: &str) -> Result<(), AwsError> {
    let r = aws.ec2.delete_route().route_table_id(rt);
    let r = if dest.contains(':') {
        r.destination_ipv6_cidr_block(dest)
    } else {
        r.destination_cidr_block(dest)
    };
    match r.send().await.op("DeleteRoute") {
        Err(e) if e.is_code(&["InvalidRoute.NotFound"]) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Deletes a route table after removing its subnet associations (EC2 keeps an
/// association whose subnet is gone from blocking the delete in some cases).
pub(super) async fn delete_route_table(
    aws: &Aws,
    rt: &RouteTableSeen,
    stop: &Stop,
    deadline: Instant,
) -> Result<(), AwsError> {
    let c = &aws.ec2;
    let disassociate: Vec<Fut<'_, ()>> = rt
        .associations
        .iter()
        .map(|(assoc, _)| -> Fut<'_, ()> {
            Box::pin(kit::delete(stop, deadline, move || async move {
                c.disassociate_route_table()
                    .association_id(assoc)
                    .send()
                    .await
                    .op("DisassociateRouteTable")
                    .map(|_| ())
            }))
        })
        .collect();
    first_error(round(stop, "DisassociateRouteTable", disassociate).await)?;
    let id = rt.id.as_str();
    kit::delete(stop, deadline, || async {
        c.delete_route_table()
            .route_table_id(id)
            .send()
            .await
            .op("DeleteRouteTable")
            .map(|_| ())
    })
    .await
}

pub(super) async fn delete_igw(
    aws: &Aws,
    id: &str,
    vpc_id: &str,
    stop: &Stop,
    deadline: Instant,
) -> Result<(), AwsError> {
    let detach = kit::delete(stop, deadline, || async {
        match aws
            .ec2
            .detach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc_id)
            .send()
            .await
            .op("DetachInternetGateway")
        {
            Err(e) if e.is_code(&["Gateway.NotAttached"]) => Ok(()),
            other => other.map(|_| ()),
        }
    })
    .await;
    if let Err(mut e) = detach {
        if e.is_code(&["DependencyViolation"]) || e.message.contains("mapped public address") {
            e.message = format!(
                "Internet gateway {id} cannot be detached while addresses in the VPC are mapped to it (elastic IPs or public IPs of instances created outside Terraform). ({})",
                e.message
            );
        }
        return Err(e);
    }
    kit::delete(stop, deadline, || async {
        aws.ec2
            .delete_internet_gateway()
            .internet_gateway_id(id)
            .send()
            .await
            .op("DeleteInternetGateway")
            .map(|_| ())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use aws_sdk_ec2::operation::create_route::CreateRouteOutput;
    use aws_sdk_ec2::operation::delete_internet_gateway::DeleteInternetGatewayOutput;
    use aws_sdk_ec2::operation::delete_route::DeleteRouteOutput;
    use aws_sdk_ec2::operation::delete_route_table::DeleteRouteTableOutput;
    use aws_sdk_ec2::operation::detach_internet_gateway::DetachInternetGatewayOutput;
    use aws_sdk_ec2::operation::disassociate_route_table::DisassociateRouteTableOutput;
    use aws_sdk_ec2::operation::replace_route::ReplaceRouteOutput;
    use aws_sdk_ec2::Client as Ec2;

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    /// The target a default route should have in each of the test's tables.
    fn target_of(rt: Option<&str>) -> Option<&'static str> {
        match rt {
            Some("rtb-pub") => Some("igw-1"),
            Some("rtb-priv") => Some("nat-1"),
            _ => None,
        }
    }

    /// Whether a route names `want` in the right field (gateway or NAT gateway).
    fn targets(want: Option<&str>, gateway: Option<&str>, nat: Option<&str>) -> bool {
        match want {
            Some(t) if t.starts_with("nat-") => nat == Some(t) && gateway.is_none(),
            Some(t) => gateway == Some(t) && nat.is_none(),
            None => false,
        }
    }

    /// CreateRoute that checks each default route goes where [`target_of`] says.
    fn creates(fake: &Fake) {
        answer!(fake, Ec2::create_route, |input| {
            if input.destination_cidr_block() != Some("0.0.0.0/0")
                || !targets(
                    target_of(input.route_table_id()),
                    input.gateway_id(),
                    input.nat_gateway_id(),
                )
            {
                return Err(failure("BadInput", "wrong default route"));
            }
            Ok(CreateRouteOutput::builder().r#return(true).build())
        });
    }

    fn replaces(fake: &Fake) {
        answer!(fake, Ec2::replace_route, |input| {
            if input.destination_cidr_block() != Some("0.0.0.0/0")
                || !targets(
                    target_of(input.route_table_id()),
                    input.gateway_id(),
                    input.nat_gateway_id(),
                )
            {
                return Err(failure("BadInput", "wrong default route"));
            }
            Ok(ReplaceRouteOutput::builder().build())
        });
    }

    /// The public and a private table get their default routes, as reconcile
    /// sets them (a target made a moment ago may not be visible yet).
    async fn route_both(aws: &Aws, stop: &Stop, have: [Option<&str>; 2]) -> Result<(), AwsError> {
        for (rt, have) in ["rtb-pub", "rtb-priv"].into_iter().zip(have) {
            let want = target_of(Some(rt)).map(str::to_string);
            let have = have.map(str::to_string);
            propagated(stop, deadline(), || {
                set_default_route(aws, rt, have.clone(), want.clone())
            })
            .await?;
        }
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn set_default_route_creates_table() {
        let cases = [
            Case {
                name: "public to the internet gateway, private to the NAT gateway",
                script: creates,
                want: Ok(()),
            },
            Case {
                name: "gateway not visible yet right after create, then routed",
                script: |f| {
                    answer!(f, Ec2::create_route, |_| Err(failure(
                        "InvalidGatewayID.NotFound",
                        "The gateway ID 'igw-1' does not exist"
                    )); times = 2);
                    creates(f);
                },
                want: Ok(()),
            },
            Case {
                name: "NAT gateway never visible: gives up with AWS's reason",
                script: |f| {
                    // Only the NAT gateway's route fails, for good.
                    answer!(f, Ec2::create_route, |input| {
                        if input.nat_gateway_id().is_some() {
                            return Err(failure(
                                "InvalidNatGatewayID.NotFound",
                                "The natGateway ID 'nat-1' does not exist",
                            ));
                        }
                        Ok(CreateRouteOutput::builder().build())
                    });
                },
                want: Err("InvalidNatGatewayID.NotFound: The natGateway ID 'nat-1' does not exist"),
            },
            Case {
                name:
                    "route made by a CreateRoute whose answer was lost: pointed with ReplaceRoute",
                script: |f| {
                    answer!(f, Ec2::create_route, |_| Err(failure(
                        "RouteAlreadyExists",
                        "The route identified by 0.0.0.0/0 already exists."
                    )); times = 2);
                    replaces(f);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::create_route, |_| Err(failure(
                        "RouteLimitExceeded",
                        "The maximum number of routes has been reached."
                    )))
                },
                want: Err("CreateRoute: RouteLimitExceeded: The maximum number of routes"),
            },
            Case {
                name: "permission failure is not retried",
                script: |f| {
                    answer!(f, Ec2::create_route, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to create routes"
                    )); times = 1);
                    creates(f);
                },
                want: Err("CreateRoute: UnauthorizedOperation: not allowed to create routes"),
            },
        ];
        table(&cases, |aws, stop| async move {
            route_both(&aws, &stop, [None, None]).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn set_default_route_replaces_table() {
        let cases = [
            Case {
                name: "replaces the old targets",
                script: replaces,
                want: Ok(()),
            },
            Case {
                name: "new NAT gateway not visible yet, then routed",
                script: |f| {
                    replaces(f);
                    answer!(f, Ec2::replace_route, |_| Err(failure(
                        "InvalidNatGatewayID.NotFound",
                        "The natGateway ID 'nat-1' does not exist"
                    )); times = 1);
                    replaces(f);
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::replace_route, |_| Err(failure(
                        "InvalidParameterValue",
                        "There is no route defined for '0.0.0.0/0' in the route table."
                    )))
                },
                want: Err("ReplaceRoute: InvalidParameterValue: There is no route defined"),
            },
        ];
        table(&cases, |aws, stop| async move {
            route_both(&aws, &stop, [Some("igw-old"), Some("nat-old")]).await
        })
        .await;
    }

    /// DeleteRoute that checks the table and how the destination is named.
    fn deletes_routes(fake: &Fake) {
        answer!(fake, Ec2::delete_route, |input| {
            let ok = input.route_table_id() == Some("rtb-iso")
                && matches!(
                    (
                        input.destination_cidr_block(),
                        input.destination_ipv6_cidr_block(),
                    ),
                    (Some("0.0.0.0/0"), None) | (None, Some("::/0"))
                );
            if !ok {
                return Err(failure("BadInput", "wrong route"));
            }
            Ok(DeleteRouteOutput::builder().build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn default_routes_are_removed_table() {
        let cases = [
            Case {
                name: "removes the IPv4 and IPv6 default routes",
                script: deletes_routes,
                want: Ok(()),
            },
            Case {
                name: "already gone (not found)",
                script: |f| {
                    answer!(f, Ec2::delete_route, |_| Err(failure(
                        "InvalidRoute.NotFound",
                        "no route with destination-cidr-block 0.0.0.0/0 in route table rtb-iso"
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::delete_route, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to delete routes"
                    )))
                },
                want: Err("DeleteRoute: UnauthorizedOperation: not allowed to delete routes"),
            },
        ];
        table(&cases, |aws, _| async move {
            set_default_route(&aws, "rtb-iso", Some("igw-1".into()), None).await?;
            delete_route(&aws, "rtb-iso", "::/0").await
        })
        .await;
    }

    fn route_table() -> RouteTableSeen {
        RouteTableSeen {
            id: "rtb-1".into(),
            routes: Vec::new(),
            associations: vec![
                ("rtbassoc-1".into(), "subnet-1".into()),
                ("rtbassoc-2".into(), "subnet-2".into()),
            ],
        }
    }

    fn disassociates(fake: &Fake) {
        answer!(fake, Ec2::disassociate_route_table, |input| {
            if !matches!(input.association_id(), Some("rtbassoc-1" | "rtbassoc-2")) {
                return Err(failure("BadInput", "not an association of rtb-1"));
            }
            Ok(DisassociateRouteTableOutput::builder().build())
        }; times = 2);
    }

    fn deletes_table(fake: &Fake) {
        answer!(fake, Ec2::delete_route_table, |input| {
            if input.route_table_id() != Some("rtb-1") {
                return Err(failure("BadInput", "not rtb-1"));
            }
            Ok(DeleteRouteTableOutput::builder().build())
        });
    }

    fn table_in_use(fake: &Fake) {
        answer!(fake, Ec2::delete_route_table, |_| Err(failure(
            "DependencyViolation",
            "The routeTable 'rtb-1' has dependencies and cannot be deleted."
        )));
    }

    #[tokio::test(start_paused = true)]
    async fn delete_route_table_table() {
        let cases = [
            Case {
                name: "disassociates its subnets, then deletes it",
                script: |f| {
                    disassociates(f);
                    deletes_table(f);
                },
                want: Ok(()),
            },
            Case {
                name: "associations already gone (not found)",
                script: |f| {
                    answer!(f, Ec2::disassociate_route_table, |_| Err(failure(
                        "InvalidAssociationID.NotFound",
                        "The association ID 'rtbassoc-1' does not exist"
                    )));
                    deletes_table(f);
                },
                want: Ok(()),
            },
            Case {
                name: "table already gone (not found)",
                script: |f| {
                    disassociates(f);
                    answer!(f, Ec2::delete_route_table, |_| Err(failure(
                        "InvalidRouteTableID.NotFound",
                        "The routeTable ID 'rtb-1' does not exist"
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "in use for a while, then deleted",
                script: |f| {
                    disassociates(f);
                    answer!(f, Ec2::delete_route_table, |_| Err(failure(
                        "DependencyViolation",
                        "The routeTable 'rtb-1' has dependencies and cannot be deleted."
                    )); times = 3);
                    deletes_table(f);
                },
                want: Ok(()),
            },
            Case {
                name: "still in use at the deadline, with AWS's reason",
                script: |f| {
                    disassociates(f);
                    table_in_use(f);
                },
                want: Err("DependencyViolation: The routeTable 'rtb-1' has dependencies"),
            },
            Case {
                name: "a disassociation fails: the table is left alone",
                script: |f| {
                    answer!(f, Ec2::disassociate_route_table, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to disassociate route tables"
                    )))
                },
                want: Err("DisassociateRouteTable: UnauthorizedOperation: not allowed"),
            },
            Case {
                name: "AWS failure on delete",
                script: |f| {
                    disassociates(f);
                    answer!(f, Ec2::delete_route_table, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to delete route tables"
                    )));
                },
                want: Err("DeleteRouteTable: UnauthorizedOperation: not allowed"),
            },
        ];
        table(&cases, |aws, stop| async move {
            delete_route_table(&aws, &route_table(), &stop, deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_route_table_stops_on_request() {
        stops_promptly(
            |f| {
                disassociates(f);
                table_in_use(f);
            },
            |aws, stop| async move {
                let far = Instant::now() + Duration::from_secs(3600);
                delete_route_table(&aws, &route_table(), &stop, far).await
            },
        )
        .await;
    }

    fn detaches(fake: &Fake) {
        answer!(fake, Ec2::detach_internet_gateway, |input| {
            if input.internet_gateway_id() != Some("igw-1") || input.vpc_id() != Some("vpc-1") {
                return Err(failure("BadInput", "not igw-1 from vpc-1"));
            }
            Ok(DetachInternetGatewayOutput::builder().build())
        });
    }

    fn deletes_igw(fake: &Fake) {
        answer!(fake, Ec2::delete_internet_gateway, |input| {
            if input.internet_gateway_id() != Some("igw-1") {
                return Err(failure("BadInput", "not igw-1"));
            }
            Ok(DeleteInternetGatewayOutput::builder().build())
        });
    }

    fn addresses_mapped(fake: &Fake) {
        answer!(fake, Ec2::detach_internet_gateway, |_| {
            Err(failure(
            "DependencyViolation",
            "Network vpc-1 has some mapped public address(es). Please unmap those public address(es) before detaching the gateway."
        ))
        });
    }

    #[tokio::test(start_paused = true)]
    async fn delete_igw_table() {
        let cases = [
            Case {
                name: "detaches, then deletes",
                script: |f| {
                    detaches(f);
                    deletes_igw(f);
                },
                want: Ok(()),
            },
            Case {
                name: "not attached",
                script: |f| {
                    answer!(f, Ec2::detach_internet_gateway, |_| Err(failure(
                        "Gateway.NotAttached",
                        "resource igw-1 is not attached to network vpc-1"
                    )));
                    deletes_igw(f);
                },
                want: Ok(()),
            },
            Case {
                name: "already gone (not found)",
                script: |f| {
                    answer!(f, Ec2::detach_internet_gateway, |_| Err(failure(
                        "InvalidInternetGatewayID.NotFound",
                        "The internetGateway ID 'igw-1' does not exist"
                    )));
                    answer!(f, Ec2::delete_internet_gateway, |_| Err(failure(
                        "InvalidInternetGatewayID.NotFound",
                        "The internetGateway ID 'igw-1' does not exist"
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "addresses mapped for a while, then detached",
                script: |f| {
                    answer!(f, Ec2::detach_internet_gateway, |_| Err(failure(
                        "DependencyViolation",
                        "Network vpc-1 has some mapped public address(es)."
                    )); times = 3);
                    detaches(f);
                    deletes_igw(f);
                },
                want: Ok(()),
            },
            Case {
                name: "addresses still mapped at the deadline: says why, keeps AWS's words",
                script: addresses_mapped,
                want: Err("Internet gateway igw-1 cannot be detached while addresses in the VPC are mapped to it"),
            },
            Case {
                name: "addresses still mapped at the deadline: AWS's message kept",
                script: addresses_mapped,
                want: Err("(Network vpc-1 has some mapped public address(es). Please unmap"),
            },
            Case {
                name: "AWS failure on detach: not deleted",
                script: |f| {
                    answer!(f, Ec2::detach_internet_gateway, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to detach internet gateways"
                    )))
                },
                want: Err("DetachInternetGateway: UnauthorizedOperation: not allowed"),
            },
            Case {
                name: "AWS failure on delete",
                script: |f| {
                    detaches(f);
                    answer!(f, Ec2::delete_internet_gateway, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to delete internet gateways"
                    )));
                },
                want: Err("DeleteInternetGateway: UnauthorizedOperation: not allowed"),
            },
        ];
        table(&cases, |aws, stop| async move {
            delete_igw(&aws, "igw-1", "vpc-1", &stop, deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_igw_stops_on_request() {
        stops_promptly(addresses_mapped, |aws, stop| async move {
            let far = Instant::now() + Duration::from_secs(3600);
            delete_igw(&aws, "igw-1", "vpc-1", &stop, far).await
        })
        .await;
    }
}
