//! NAT gateways and their Elastic IPs: read, waited for, deleted and released.

use super::*;

/// Elastic IPs of the stack by zone (read only when applying, not on refresh).
pub(super) async fn read_eips(aws: &Aws, stack: &str) -> Result<Eips, AwsError> {
    let r = aws
        .ec2
        .describe_addresses()
        .filters(stack_filter(stack))
        .send()
        .await
        .op("DescribeAddresses")?;
    let mut eips = Eips::default();
    for a in r.addresses() {
        let tags = tags::map(a.tags());
        let (Some(ChildKey::Eip(az)), Some(alloc)) = (child_key(&tags, stack), a.allocation_id())
        else {
            continue;
        };
        let seen = (alloc.to_string(), a.association_id().map(str::to_string));
        eips.tags.insert(alloc.to_string(), tags);
        // Two addresses of one zone: the associated one (else the first) is kept.
        let (kept, spare) = keep_in_use(eips.by_az.remove(&az), seen, |a| a.1.is_some());
        eips.by_az.insert(az, kept);
        eips.spare.extend(spare.map(|a| a.0));
    }
    Ok(eips)
}

/// The stack's elastic IPs: (allocation id, association id) by zone, their tags, and
/// second addresses of a zone (a retried AllocateAddress), released by the next apply.
#[derive(Default)]
pub(super) struct Eips {
    pub(super) by_az: BTreeMap<String, (String, Option<String>)>,
    pub(super) tags: BTreeMap<String, BTreeMap<String, String>>,
    pub(super) spare: Vec<String>,
}

/// Waits until the NAT gateways `ids` are available; a failed one ends the
/// wait with its FailureCode and FailureMessage.
pub(super) async fn wait_nats(
    aws: &Aws,
    stop: &Stop,
    ids: &[String],
    deadline: Instant,
) -> Result<(), AwsError> {
    if ids.is_empty() {
        return Ok(());
    }
    let what = format!("NAT gateway(s) {} to become available", ids.join(", "));
    Waiter::new("CreateNatGateway", what, deadline)
        .wait(stop, || async {
            let r = aws
                .ec2
                .describe_nat_gateways()
                .set_nat_gateway_ids(Some(ids.to_vec()))
                .send()
                .await
                .op("DescribeNatGateways")?;
            let mut pending = Vec::new();
            for n in r.nat_gateways() {
                let id = n.nat_gateway_id().unwrap_or("?");
                match n.state() {
                    Some(ec2::NatGatewayState::Available) => {}
                    Some(ec2::NatGatewayState::Failed) => {
                        return Ok(Status::Failed(format!(
                            "{id}: {}: {}",
                            n.failure_code().unwrap_or("no failure code"),
                            n.failure_message().unwrap_or("no failure message")
                        )))
                    }
                    other => pending.push(format!(
                        "{id} {}",
                        other.map(|s| s.as_str()).unwrap_or("unknown")
                    )),
                }
            }
            if r.nat_gateways().len() < ids.len() {
                pending.push("some not listed yet".into());
            }
            Ok(if pending.is_empty() {
                Status::Ready(())
            } else {
                Status::Pending(pending.join(", "))
            })
        })
        .await
}

/// Frees an elastic IP still associated with a NAT gateway that is gone or
/// going: EC2 releases it once the gateway is deleted; emulators may need an
/// explicit disassociation.
pub(super) async fn free_eip(
    aws: &Aws,
    stop: &Stop,
    alloc: &str,
    assoc: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    let what = format!("elastic IP {alloc} to be released by the NAT gateway that held it");
    Waiter::new("CreateNatGateway", what, deadline)
        .wait(stop, || async {
            let dis = aws
                .ec2
                .disassociate_address()
                .association_id(assoc)
                .send()
                .await
                .op("DisassociateAddress");
            // While the gateway still holds the address EC2 refuses; that
            // refusal is the state a timeout reports, not an error to stop at.
            let refused = match dis {
                Ok(_) => return Ok(Status::Ready(())),
                Err(e) if e.is_not_found() => return Ok(Status::Ready(())),
                Err(e) if e.is_permission() => return Err(e),
                Err(e) => e,
            };
            let r = aws
                .ec2
                .describe_addresses()
                .allocation_ids(alloc)
                .send()
                .await
                .op("DescribeAddresses")?;
            Ok(
                if r.addresses().iter().all(|a| a.association_id().is_none()) {
                    Status::Ready(())
                } else {
                    Status::Pending(format!("still associated ({refused})"))
                },
            )
        })
        .await
}

pub(super) async fn delete_nats(
    aws: &Aws,
    ids: &[String],
    stop: &Stop,
    deadline: Instant,
) -> Vec<AwsError> {
    let c = &aws.ec2;
    let futs: Vec<Fut<'_, ()>> = ids
        .iter()
        .map(|id| -> Fut<'_, ()> {
            Box::pin(kit::delete(stop, deadline, move || async move {
                c.delete_nat_gateway()
                    .nat_gateway_id(id)
                    .send()
                    .await
                    .op("DeleteNatGateway")
                    .map(|_| ())
            }))
        })
        .collect();
    let errs = round(stop, "DeleteNatGateway", futs).await;
    if !errs.is_empty() {
        return errs;
    }
    let what = format!("NAT gateway(s) {} to be deleted", ids.join(", "));
    let waited = Waiter::new("DeleteNatGateway", what, deadline)
        .wait(stop, || async {
            let r = match c
                .describe_nat_gateways()
                .set_nat_gateway_ids(Some(ids.to_vec()))
                .send()
                .await
                .op("DescribeNatGateways")
            {
                Ok(r) => r,
                Err(e) if e.is_not_found() => return Ok(Status::Ready(())),
                Err(e) => return Err(e),
            };
            let left: Vec<String> = r
                .nat_gateways()
                .iter()
                .filter(|n| n.state() != Some(&ec2::NatGatewayState::Deleted))
                .map(|n| n.nat_gateway_id().unwrap_or("?").to_string())
                .collect();
            Ok(if left.is_empty() {
                Status::Ready(())
            } else {
                Status::Pending(format!("{} still deleting", left.join(", ")))
            })
        })
        .await;
    waited.err().into_iter().collect()
}

pub(super) async fn release_eip(
    aws: &Aws,
    allocation: &str,
    stop: &Stop,
    deadline: Instant,
) -> Result<(), AwsError> {
    kit::delete(stop, deadline, || async {
        aws.ec2
            .release_address()
            .allocation_id(allocation)
            .send()
            .await
            .op("ReleaseAddress")
            .map(|_| ())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
    use aws_sdk_ec2::Client as Ec2;
    use std::time::Duration;

    fn nat(id: &str, state: ec2::NatGatewayState) -> ec2::NatGateway {
        ec2::NatGateway::builder()
            .nat_gateway_id(id)
            .state(state)
            .failure_code("Gateway.NotAttached")
            .failure_message("Network vpc-1 has no Internet gateway attached")
            .build()
    }

    fn states(fake: &Fake, times: usize, list: Vec<ec2::NatGateway>) {
        answer!(fake, Ec2::describe_nat_gateways, move |_| {
            Ok(DescribeNatGatewaysOutput::builder()
                .set_nat_gateways(Some(list.clone()))
                .build())
        }; times = times);
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    #[tokio::test(start_paused = true)]
    async fn wait_nats_table() {
        use ec2::NatGatewayState::*;
        let cases = [
            Case {
                name: "pending then available",
                script: |f| {
                    states(f, 2, vec![nat("nat-1", Pending)]);
                    states(f, 1, vec![nat("nat-1", Available)]);
                },
                want: Ok(()),
            },
            Case {
                name: "failed, with AWS's reason",
                script: |f| states(f, 1, vec![nat("nat-1", Failed)]),
                want: Err("nat-1: Gateway.NotAttached: Network vpc-1 has no Internet gateway"),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::describe_nat_gateways, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to describe NAT gateways"
                    )))
                },
                want: Err("UnauthorizedOperation: not allowed to describe NAT gateways"),
            },
            Case {
                name: "not listed yet after create, then listed",
                script: |f| {
                    states(f, 2, vec![]);
                    states(f, 1, vec![nat("nat-1", Available)]);
                },
                want: Ok(()),
            },
        ];
        table(&cases, |aws, stop| async move {
            wait_nats(&aws, &stop, &["nat-1".into()], deadline()).await
        })
        .await;
    }

    fn addresses(f: &Fake, associated: bool) {
        use aws_sdk_ec2::operation::describe_addresses::DescribeAddressesOutput;
        answer!(f, Ec2::describe_addresses, move |i| {
            assert_eq!(i.allocation_ids(), ["eipalloc-1"]);
            let a = ec2::Address::builder().allocation_id("eipalloc-1");
            let a = if associated { a.association_id("eipassoc-1") } else { a };
            Ok(DescribeAddressesOutput::builder().addresses(a.build()).build())
        }; times = 1);
    }

    fn refuse(f: &Fake, code: &'static str) {
        answer!(f, Ec2::disassociate_address, move |i| {
            assert_eq!(i.association_id(), Some("eipassoc-1"));
            Err(failure(code, "the address is held by nat-1"))
        }; times = 1);
    }

    #[tokio::test(start_paused = true)]
    async fn free_eip_table() {
        use aws_sdk_ec2::operation::disassociate_address::DisassociateAddressOutput;
        let cases = [
            Case {
                name: "disassociated",
                script: |f| {
                    answer!(f, Ec2::disassociate_address, |_| Ok(
                        DisassociateAddressOutput::builder().build()
                    ))
                },
                want: Ok(()),
            },
            Case {
                name: "association already gone",
                script: |f| refuse(f, "InvalidAssociationID.NotFound"),
                want: Ok(()),
            },
            Case {
                name: "refused while the gateway holds it, then released by EC2",
                script: |f| {
                    refuse(f, "InvalidIPAddress.InUse");
                    addresses(f, true);
                    refuse(f, "InvalidIPAddress.InUse");
                    addresses(f, false);
                },
                want: Ok(()),
            },
            Case {
                name: "no permission",
                script: |f| refuse(f, "UnauthorizedOperation"),
                want: Err("UnauthorizedOperation: the address is held by nat-1"),
            },
        ];
        table(&cases, |aws, stop| async move {
            free_eip(&aws, &stop, "eipalloc-1", "eipassoc-1", deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn free_eip_times_out_with_ec2s_refusal() {
        let fake = Fake::new();
        for _ in 0..20 {
            refuse(&fake, "InvalidIPAddress.InUse");
            addresses(&fake, true);
        }
        let soon = Instant::now() + Duration::from_secs(20);
        let e = free_eip(&fake.aws(), &Stop::new(), "eipalloc-1", "eipassoc-1", soon)
            .await
            .unwrap_err();
        assert!(e.message.contains("still associated"), "{e}");
        assert!(
            e.message
                .contains("InvalidIPAddress.InUse: the address is held by nat-1"),
            "{e}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn wait_nats_stops_on_request() {
        stops_promptly(
            |f| {
                states(
                    f,
                    usize::MAX,
                    vec![nat("nat-1", ec2::NatGatewayState::Pending)],
                )
            },
            |aws, stop| async move { wait_nats(&aws, &stop, &["nat-1".into()], deadline()).await },
        )
        .await;
        // A call that hangs is cut short too.
        stops_promptly(
            |f| {
                answer!(f, Ec2::describe_nat_gateways, |_| {
                    Ok(DescribeNatGatewaysOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            |aws, stop| async move { wait_nats(&aws, &stop, &["nat-1".into()], deadline()).await },
        )
        .await;
    }
}
