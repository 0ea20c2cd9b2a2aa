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
    match r.unsuccessful().first() {
        Some(u) => Err(AwsError::new(
            "CreateFlowLogs",
            u.error().and_then(|e| e.code()).unwrap_or("Unsuccessful"),
            u.error()
                .and_then(|e| e.message())
                .unwrap_or("unsuccessful"),
        )),
        None => Ok(()),
    }
}

pub(super) async fn delete_flow_log(aws: &Aws, id: &str) -> Result<(), AwsError> {
    aws.ec2
        .delete_flow_logs()
        .flow_log_ids(id)
        .send()
        .await
        .op("DeleteFlowLogs")
        .map(|_| ())
}
