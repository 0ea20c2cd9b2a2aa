//! Default routes, route tables and the internet gateway.

use super::*;

pub(super) async fn set_default_route(
    aws: &Aws,
    rt: &str,
    have: Option<String>,
    want: Option<String>,
) -> Result<(), AwsError> {
    let c = &aws.ec2;
    match (have, want) {
        (_, None) => delete_route(aws, rt, "0.0.0.0/0").await,
        (None, Some(t)) => {
            let r = c
                .create_route()
                .route_table_id(rt)
                .destination_cidr_block("0.0.0.0/0");
            let r = if t.starts_with("nat-") {
                r.nat_gateway_id(t)
            } else {
                r.gateway_id(t)
            };
            r.send().await.op("CreateRoute").map(|_| ())
        }
        (Some(_), Some(t)) => {
            let r = c
                .replace_route()
                .route_table_id(rt)
                .destination_cidr_block("0.0.0.0/0");
            let r = if t.starts_with("nat-") {
                r.nat_gateway_id(t)
            } else {
                r.gateway_id(t)
            };
            r.send().await.op("ReplaceRoute").map(|_| ())
        }
    }
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
