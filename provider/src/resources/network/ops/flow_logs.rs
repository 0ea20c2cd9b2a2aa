//! The VPC's flow log.

use super::*;

/// The VPC's flow log that this network created, if any (one call).
pub async fn read_flow_log(
    aws: &Aws,
    stack: &str,
    vpc_id: &str,
) -> Result<Option<FlowLogSeen>, AwsError> {
    let r = aws
        .ec2
        .describe_flow_logs()
        .filter(filter("resource-id", vpc_id))
        .send()
        .await
        .op("DescribeFlowLogs")?;
    Ok(r.flow_logs()
        .iter()
        .find(|f| child_key(&tags::map(f.tags()), stack) == Some(ChildKey::FlowLog))
        .map(|f| FlowLogSeen {
            id: f.flow_log_id().unwrap_or_default().to_string(),
            destination: f.log_destination().unwrap_or_default().to_string(),
            traffic: f
                .traffic_type()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
        }))
}

pub(super) async fn create_flow_log(
    aws: &Aws,
    d: &Desired,
    spec: &FlowLogSpec,
    vpc_id: &str,
) -> Result<(), AwsError> {
    let tags = child_tags(aws, d, "flowlog", "flow-log", &none());
    let r = aws
        .ec2
        .create_flow_logs()
        .resource_ids(vpc_id)
        .resource_type(ec2::FlowLogsResourceType::Vpc)
        .traffic_type(ec2::TrafficType::from(spec.traffic.as_str()))
        .log_destination_type(ec2::LogDestinationType::from(spec.destination_type()))
        .log_destination(&spec.destination)
        .set_deliver_logs_permission_arn(spec.role.clone())
        .tag_specifications(tags::spec(ec2::ResourceType::VpcFlowLog, &tags))
        .send()
        .await
        .op("CreateFlowLogs")?;
    refused("CreateFlowLogs", r.unsuccessful())
}

/// The first item EC2 lists as unsuccessful in an answer that succeeded as a
/// call, as an error of `operation`.
fn refused(operation: &'static str, items: &[ec2::UnsuccessfulItem]) -> Result<(), AwsError> {
    match items.first().and_then(|u| u.error()) {
        Some(e) => Err(AwsError::new(
            operation,
            e.code().unwrap_or("Unsuccessful"),
            e.message().unwrap_or("no message"),
        )),
        None if !items.is_empty() => {
            Err(AwsError::new(operation, "Unsuccessful", "no reason given"))
        }
        None => Ok(()),
    }
}

/// Deletes the flow log `id`; one already gone counts as deleted.
pub(super) async fn delete_flow_log(aws: &Aws, id: &str) -> Result<(), AwsError> {
    let r = aws
        .ec2
        .delete_flow_logs()
        .flow_log_ids(id)
        .send()
        .await
        .op("DeleteFlowLogs");
    let answered = match r {
        Ok(r) => refused("DeleteFlowLogs", r.unsuccessful()),
        Err(e) => Err(e),
    };
    match answered {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, table, Case, Fake};
    use crate::kit::timeouts::Timeouts;
    use crate::resources::network::schema::NAT_NONE;
    use aws_sdk_ec2::operation::create_flow_logs::CreateFlowLogsOutput;
    use aws_sdk_ec2::operation::delete_flow_logs::DeleteFlowLogsOutput;
    use aws_sdk_ec2::operation::describe_flow_logs::DescribeFlowLogsOutput;
    use aws_sdk_ec2::Client as Ec2;

    const STACK: &str = "net";
    const BUCKET: &str = "arn:aws:s3:::flow-bucket";
    const GROUP: &str = "arn:aws:logs:us-east-1:111122223333:log-group:flows";
    const ROLE: &str = "arn:aws:iam::111122223333:role/flows";

    fn desired() -> Desired {
        Desired {
            name: STACK.into(),
            cidr: "10.0.0.0/16".into(),
            azs: vec!["us-east-1a".into()],
            nat: NAT_NONE.into(),
            dns_support: true,
            dns_hostnames: true,
            manage_default_sg: true,
            tags: BTreeMap::from([("team".to_string(), "core".to_string())]),
            tiers: BTreeMap::new(),
            flow_logs: None,
            gateway_endpoints: Vec::new(),
            interface_endpoints: Vec::new(),
            timeouts: Timeouts {
                create: Duration::from_secs(600),
                update: Duration::from_secs(600),
                delete: Duration::from_secs(600),
            },
            creating: None,
        }
    }

    fn to_bucket() -> FlowLogSpec {
        FlowLogSpec {
            destination: BUCKET.into(),
            traffic: "ALL".into(),
            role: None,
        }
    }

    fn flow_log(id: &str, stack: &str, destination: &str) -> ec2::FlowLog {
        let tags = [(owner_key("stack"), stack), (owner_key("key"), "flowlog")];
        ec2::FlowLog::builder()
            .flow_log_id(id)
            .resource_id("vpc-1")
            .log_destination(destination)
            .traffic_type(ec2::TrafficType::Reject)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| ec2::Tag::builder().key(k).value(*v).build())
                    .collect(),
            ))
            .build()
    }

    /// DescribeFlowLogs of vpc-1 answers `logs`.
    fn listed(fake: &Fake, logs: Vec<ec2::FlowLog>) {
        answer!(fake, Ec2::describe_flow_logs, move |input| {
            let f = input.filter();
            if f.len() != 1
                || f[0].name() != Some("resource-id")
                || f[0].values() != ["vpc-1".to_string()]
            {
                return Err(failure("BadInput", "not filtered by vpc-1"));
            }
            Ok(DescribeFlowLogsOutput::builder()
                .set_flow_logs(Some(logs.clone()))
                .build())
        });
    }

    #[tokio::test(start_paused = true)]
    async fn read_flow_log_table() {
        let cases = [
            Case {
                name: "ours among others",
                script: |f| {
                    listed(
                        f,
                        vec![
                            flow_log("fl-other", "other-net", GROUP),
                            flow_log("fl-1", STACK, BUCKET),
                        ],
                    )
                },
                want: Ok(()),
            },
            Case {
                name: "none of ours",
                script: |f| listed(f, vec![flow_log("fl-other", "other-net", GROUP)]),
                want: Ok(()),
            },
            Case {
                name: "none (or the VPC is gone)",
                script: |f| listed(f, vec![]),
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::describe_flow_logs, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to describe flow logs"
                    )))
                },
                want: Err("DescribeFlowLogs: UnauthorizedOperation: not allowed"),
            },
        ];
        table(&cases, |aws, _| async move {
            let got = read_flow_log(&aws, STACK, "vpc-1").await?;
            // Only ever the stack's own flow log.
            if let Some(f) = &got {
                if f.id != "fl-1" {
                    return Err(AwsError::new("Test", "WrongFlowLog", f.id.clone()));
                }
            }
            Ok(got)
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn read_flow_log_maps_ours() {
        let fake = Fake::new();
        listed(
            &fake,
            vec![
                flow_log("fl-other", "other-net", GROUP),
                flow_log("fl-1", STACK, BUCKET),
            ],
        );
        assert_eq!(
            read_flow_log(&fake.aws(), STACK, "vpc-1").await.unwrap(),
            Some(FlowLogSeen {
                id: "fl-1".into(),
                destination: BUCKET.into(),
                traffic: "REJECT".into(),
            })
        );
        let fake = Fake::new();
        listed(&fake, vec![flow_log("fl-other", "other-net", BUCKET)]);
        assert_eq!(
            read_flow_log(&fake.aws(), STACK, "vpc-1").await.unwrap(),
            None
        );
    }

    /// CreateFlowLogs that checks the request for `spec` on vpc-1, tags included.
    fn creates(fake: &Fake, spec: FlowLogSpec, answer: CreateFlowLogsOutput) {
        answer!(fake, Ec2::create_flow_logs, move |input| {
            let tags = input
                .tag_specifications()
                .first()
                .filter(|s| s.resource_type() == Some(&ec2::ResourceType::VpcFlowLog))
                .map(|s| tags::map(s.tags()))
                .unwrap_or_default();
            let ok = input.resource_ids() == ["vpc-1".to_string()]
                && input.resource_type() == Some(&ec2::FlowLogsResourceType::Vpc)
                && input.traffic_type() == Some(&ec2::TrafficType::from(spec.traffic.as_str()))
                && input.log_destination_type()
                    == Some(&ec2::LogDestinationType::from(spec.destination_type()))
                && input.log_destination() == Some(spec.destination.as_str())
                && input.deliver_logs_permission_arn() == spec.role.as_deref()
                && tags.get("Name").map(String::as_str) == Some("net-flow-log")
                && tags.get("team").map(String::as_str) == Some("core")
                && child_key(&tags, STACK) == Some(ChildKey::FlowLog);
            if !ok {
                return Err(failure("BadInput", "not the flow log asked for"));
            }
            Ok(answer.clone())
        });
    }

    fn unsuccessful(code: &str, message: &str) -> CreateFlowLogsOutput {
        CreateFlowLogsOutput::builder()
            .unsuccessful(
                ec2::UnsuccessfulItem::builder()
                    .resource_id("vpc-1")
                    .error(
                        ec2::UnsuccessfulItemError::builder()
                            .code(code)
                            .message(message)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[tokio::test(start_paused = true)]
    async fn create_flow_log_table() {
        let cases = [
            Case {
                name: "creates the flow log",
                script: |f| {
                    let made = CreateFlowLogsOutput::builder().flow_log_ids("fl-1").build();
                    creates(f, to_bucket(), made)
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::create_flow_logs, |_| Err(failure(
                        "FlowLogsLimitExceeded",
                        "You have reached the flow logs limit for this resource."
                    )))
                },
                want: Err("CreateFlowLogs: FlowLogsLimitExceeded: You have reached the flow logs limit"),
            },
            Case {
                name: "refused for the VPC, with AWS's reason",
                script: |f| {
                    creates(
                        f,
                        to_bucket(),
                        unsuccessful(
                            "InvalidParameter",
                            "Access Denied for LogDestination: flow-bucket. Please check LogDestination permission",
                        ),
                    )
                },
                want: Err("CreateFlowLogs: InvalidParameter: Access Denied for LogDestination: flow-bucket"),
            },
            Case {
                name: "VPC not visible yet right after create: a not-found error a caller can retry",
                script: |f| {
                    creates(
                        f,
                        to_bucket(),
                        unsuccessful("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist"),
                    )
                },
                want: Err("CreateFlowLogs: InvalidVpcID.NotFound: The vpc ID 'vpc-1' does not exist"),
            },
            Case {
                name: "refused without a reason",
                script: |f| {
                    let refused = CreateFlowLogsOutput::builder()
                        .unsuccessful(ec2::UnsuccessfulItem::builder().resource_id("vpc-1").build())
                        .build();
                    creates(f, to_bucket(), refused)
                },
                want: Err("CreateFlowLogs: Unsuccessful: no reason given"),
            },
        ];
        table(&cases, |aws, _| async move {
            create_flow_log(&aws, &desired(), &to_bucket(), "vpc-1").await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn create_flow_log_to_a_log_group_passes_the_role() {
        let spec = FlowLogSpec {
            destination: GROUP.into(),
            traffic: "REJECT".into(),
            role: Some(ROLE.into()),
        };
        let fake = Fake::new();
        creates(&fake, spec.clone(), CreateFlowLogsOutput::builder().build());
        create_flow_log(&fake.aws(), &desired(), &spec, "vpc-1")
            .await
            .unwrap();
        assert_eq!(fake.count("CreateFlowLogs"), 1);
        assert!(fake.unscripted().is_empty(), "{:?}", fake.unscripted());
    }

    fn deletes(fake: &Fake, answer: DeleteFlowLogsOutput) {
        answer!(fake, Ec2::delete_flow_logs, move |input| {
            if input.flow_log_ids() != ["fl-1".to_string()] {
                return Err(failure("BadInput", "not fl-1"));
            }
            Ok(answer.clone())
        });
    }

    fn not_deleted(code: &str, message: &str) -> DeleteFlowLogsOutput {
        DeleteFlowLogsOutput::builder()
            .unsuccessful(
                ec2::UnsuccessfulItem::builder()
                    .resource_id("fl-1")
                    .error(
                        ec2::UnsuccessfulItemError::builder()
                            .code(code)
                            .message(message)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    #[tokio::test(start_paused = true)]
    async fn delete_flow_log_table() {
        let cases = [
            Case {
                name: "deletes it",
                script: |f| deletes(f, DeleteFlowLogsOutput::builder().build()),
                want: Ok(()),
            },
            Case {
                name: "already gone (reported as unsuccessful, not found)",
                script: |f| {
                    deletes(
                        f,
                        not_deleted(
                            "InvalidFlowLogId.NotFound",
                            "These flow log ids in the input list are not found: [TotalCount: 1] fl-1",
                        ),
                    )
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Ec2::delete_flow_logs, |_| Err(failure(
                        "UnauthorizedOperation",
                        "not allowed to delete flow logs"
                    )))
                },
                want: Err("DeleteFlowLogs: UnauthorizedOperation: not allowed to delete flow logs"),
            },
        ];
        table(&cases, |aws, _| async move {
            delete_flow_log(&aws, "fl-1").await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_flow_log_reports_a_refused_delete() {
        let cases = [Case {
            name: "refused for the flow log, with AWS's reason",
            script: |f| {
                deletes(
                    f,
                    not_deleted("InternalError", "An internal error has occurred"),
                )
            },
            want: Err("DeleteFlowLogs: InternalError: An internal error has occurred"),
        }];
        table(&cases, |aws, _| async move {
            delete_flow_log(&aws, "fl-1").await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_flow_log_counts_not_found_as_gone() {
        let cases = [Case {
            name: "already gone (not-found error)",
            script: |f| {
                answer!(f, Ec2::delete_flow_logs, |_| Err(failure(
                    "InvalidFlowLogId.NotFound",
                    "These flow log ids in the input list are not found: [TotalCount: 1] fl-1"
                )))
            },
            want: Ok(()),
        }];
        table(&cases, |aws, _| async move {
            delete_flow_log(&aws, "fl-1").await
        })
        .await;
    }
}
