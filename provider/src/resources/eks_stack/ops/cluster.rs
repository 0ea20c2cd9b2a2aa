//! The cluster: its finder, waiters (the cluster and its updates), the control
//! plane log group, the one-minor-at-a-time version upgrade and create/update.

use super::*;

pub(super) async fn describe_cluster(
    aws: &Aws,
    name: &str,
) -> Result<Option<ClusterSeen>, AwsError> {
    let r = aws
        .eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .op("DescribeCluster");
    let Some(r) = found(r, &["ResourceNotFoundException"])? else {
        return Ok(None);
    };
    let Some(c) = r.cluster() else {
        return Ok(None);
    };
    let vpc = c.resources_vpc_config();
    let mut log_types: Vec<String> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    log_types.sort();
    log_types.dedup();
    Ok(Some(ClusterSeen {
        arn: c.arn().unwrap_or_default().to_string(),
        version: c.version().unwrap_or_default().to_string(),
        status: c
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        endpoint: c.endpoint().unwrap_or_default().to_string(),
        ca: c
            .certificate_authority()
            .and_then(|a| a.data())
            .unwrap_or_default()
            .to_string(),
        issuer: c
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .unwrap_or_default()
            .to_string(),
        security_group: vpc
            .and_then(|v| v.cluster_security_group_id())
            .unwrap_or_default()
            .to_string(),
        platform_version: c.platform_version().unwrap_or_default().to_string(),
        role_arn: c.role_arn().unwrap_or_default().to_string(),
        subnet_ids: vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default(),
        private_access: vpc.is_some_and(|v| v.endpoint_private_access()),
        public_access: vpc.is_some_and(|v| v.endpoint_public_access()),
        public_cidrs: vpc
            .map(|v| v.public_access_cidrs().to_vec())
            .unwrap_or_default(),
        log_types,
        kms_key_arn: c
            .encryption_config()
            .first()
            .and_then(|e| e.provider())
            .and_then(|p| p.key_arn())
            .map(str::to_string),
        auth_mode: c
            .access_config()
            .and_then(|a| a.authentication_mode())
            .map(|m| m.as_str().to_string()),
        tags: c
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        health: issues(
            c.health().map(|h| h.issues()).unwrap_or_default(),
            |i| i.code().map(|c| c.as_str()),
            |i| i.message(),
        ),
    }))
}

/// The control plane log group's retention: None when the group is absent,
/// `Some(None)` when it keeps logs for ever.
pub(super) async fn log_group(aws: &Aws, d: &Desired) -> Result<Option<Option<i32>>, AwsError> {
    let group = d.log_group();
    let r = aws
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&group)
        .send()
        .await
        .op("DescribeLogGroups")?;
    Ok(r.log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(group.as_str()))
        .map(|g| g.retention_in_days()))
}

/// Creates the control plane log group (before the cluster, so EKS writes into
/// a group with the stack's retention and tags) or sets its retention.
pub(super) async fn ensure_log_group(
    aws: &Aws,
    d: &Desired,
    seen: Option<Option<i32>>,
) -> Result<(), AwsError> {
    let group = d.log_group();
    if seen.is_none() {
        let created = aws
            .logs
            .create_log_group()
            .log_group_name(&group)
            .set_tags(Some(kit::tags::string_map(&stack_tags(aws, d, "logs"))))
            .send()
            .await
            .op("CreateLogGroup");
        match created {
            // EKS (or an unfinished create) made it first: set its retention below.
            Err(e) if e.is_code(&["ResourceAlreadyExistsException"]) => {}
            other => {
                other?;
            }
        }
    }
    if seen.flatten() != Some(d.log_retention_days) {
        aws.logs
            .put_retention_policy()
            .log_group_name(&group)
            .retention_in_days(d.log_retention_days)
            .send()
            .await
            .op("PutRetentionPolicy")?;
    }
    Ok(())
}

/// Where a Kubernetes version stands on EKS's calendar (`versionStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Standard,
    Extended,
    Unsupported,
}

/// One Kubernetes version of EKS's calendar, as DescribeClusterVersions reports it;
/// dates as `YYYY-MM-DD`.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionInfo {
    pub version: String,
    pub support: Support,
    pub end_of_standard: Option<String>,
    pub end_of_extended: Option<String>,
}

/// EKS's calendar in the region: every version it reports (`includeAll`, so that a
/// version past its end of support can be named as such), every page.
pub async fn calendar(aws: &Aws) -> Result<Vec<VersionInfo>, AwsError> {
    let day = |d: Option<&aws_smithy_types::DateTime>| {
        d.and_then(|d| d.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
            .map(|s| s.chars().take(10).collect())
    };
    let versions = every(
        aws.eks
            .describe_cluster_versions()
            .include_all(true)
            .into_paginator()
            .items()
            .send(),
    )
    .await
    .op("DescribeClusterVersions")?;
    Ok(versions
        .iter()
        .filter_map(|v| {
            Some(VersionInfo {
                version: v.cluster_version()?.to_string(),
                support: match v.version_status() {
                    Some(eks::VersionStatus::StandardSupport) => Support::Standard,
                    Some(eks::VersionStatus::ExtendedSupport) => Support::Extended,
                    _ => Support::Unsupported,
                },
                end_of_standard: day(v.end_of_standard_support_date()),
                end_of_extended: day(v.end_of_extended_support_date()),
            })
        })
        .collect())
}

pub(super) async fn wait_cluster(
    aws: &Aws,
    stop: &Stop,
    name: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    Waiter::new(
        "CreateCluster",
        format!("cluster {name} to become ACTIVE"),
        deadline,
    )
    .wait(stop, || async {
        let c = describe_cluster(aws, name).await?;
        Ok(match c {
            Some(c) if c.status == "ACTIVE" => Status::Ready(()),
            Some(c) if c.status == "FAILED" => Status::Failed(format!(
                "cluster {name} is FAILED{}",
                health_text(&c.health)
            )),
            Some(c) => Status::Pending(c.status),
            None => Status::Pending("not visible yet".into()),
        })
    })
    .await
}

/// Waits for an EKS update (cluster, node group or add-on) to succeed; its error
/// details reach the diagnostic when it fails.
pub(super) async fn wait_update(
    aws: &Aws,
    stop: &Stop,
    cluster: &str,
    update_id: &str,
    nodegroup: Option<&str>,
    addon: Option<&str>,
    deadline: Instant,
) -> Result<(), AwsError> {
    let what = format!(
        "update {update_id} of {}",
        nodegroup.or(addon).unwrap_or(cluster)
    );
    Waiter::new("DescribeUpdate", what, deadline)
        .wait(stop, || async {
            let r = aws
                .eks
                .describe_update()
                .name(cluster)
                .update_id(update_id)
                .set_nodegroup_name(nodegroup.map(str::to_string))
                .set_addon_name(addon.map(str::to_string))
                .send()
                .await
                .op("DescribeUpdate")?;
            let Some(u) = r.update() else {
                return Ok(Status::Pending("not visible yet".into()));
            };
            Ok(match u.status() {
                Some(eks::UpdateStatus::Successful) => Status::Ready(()),
                Some(eks::UpdateStatus::Failed) | Some(eks::UpdateStatus::Cancelled) => {
                    Status::Failed(
                        u.errors()
                            .iter()
                            .map(|e| {
                                format!(
                                    "{}: {}",
                                    e.error_code().map(|c| c.as_str()).unwrap_or("?"),
                                    e.error_message().unwrap_or_default()
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                }
                other => Status::Pending(other.map_or("unknown", |s| s.as_str()).to_string()),
            })
        })
        .await
}

/// EKS's health issues (of a cluster, node group or add-on) as `code: message`.
pub(super) fn issues<T>(
    items: &[T],
    code: impl Fn(&T) -> Option<&str>,
    message: impl Fn(&T) -> Option<&str>,
) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            format!(
                "{}: {}",
                code(i).unwrap_or("unknown"),
                message(i).unwrap_or("no message")
            )
        })
        .collect()
}

/// A delete's "does it still exist" answer: yes, unless EKS says the delete
/// failed, which ends the wait with the object's health issues.
pub(super) fn still_deleting(
    operation: &'static str,
    what: &str,
    failed: bool,
    health: Vec<String>,
) -> Result<bool, AwsError> {
    if !failed {
        return Ok(true);
    }
    Err(AwsError::new(
        operation,
        "DELETE_FAILED",
        format!("{what} is DELETE_FAILED{}", health_text(&health)),
    ))
}

/// `: issue; issue` after a failed state, or nothing when EKS named none.
pub(super) fn health_text(issues: &[String]) -> String {
    if issues.is_empty() {
        String::new()
    } else {
        format!(": {}", issues.join("; "))
    }
}

/// How many node groups a version upgrade rolls at the same time.
pub(super) const MAX_PARALLEL_UPGRADES: usize = 3;

/// Moves the control plane from `from` to `to` one minor at a time; after each
/// step the node groups that follow the cluster (up to MAX_PARALLEL_UPGRADES at a
/// time), then the add-ons without a pinned version, move to that minor.
pub(super) async fn upgrade(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    from: &str,
    obs: &Observed,
    deadline: Instant,
) -> Result<(), AwsError> {
    let cluster = d.name.as_str();
    for step in upgrade_steps(from, &d.version) {
        tracing::info!(cluster, version = %step, "upgrading the control plane");
        let r = aws
            .eks
            .update_cluster_version()
            .name(cluster)
            .version(&step)
            .send()
            .await
            .op("UpdateClusterVersion")?;
        if let Some(id) = r.update().and_then(|u| u.id()) {
            wait_update(aws, stop, cluster, id, None, None, deadline).await?;
        }
        wait_cluster(aws, stop, cluster, deadline).await?;
        let groups: Vec<&NodeGroupSeen> = obs
            .node_groups
            .iter()
            .filter(|(k, _)| d.node_groups.get(*k).is_some_and(|g| g.version.is_none()))
            .flat_map(|(_, v)| v.iter())
            .collect();
        let futs: Vec<Fut<'_, ()>> = groups
            .into_iter()
            .map(|g| -> Fut<'_, ()> {
                let step = step.clone();
                Box::pin(async move {
                    let r = aws
                        .eks
                        .update_nodegroup_version()
                        .cluster_name(cluster)
                        .nodegroup_name(&g.eks_name)
                        .version(&step)
                        .send()
                        .await
                        .op("UpdateNodegroupVersion")?;
                    match r.update().and_then(|u| u.id()) {
                        Some(id) => {
                            wait_update(aws, stop, cluster, id, Some(&g.eks_name), None, deadline)
                                .await
                        }
                        None => Ok(()),
                    }
                })
            })
            .collect();
        // At most MAX_PARALLEL_UPGRADES node groups roll at once, so that the
        // cluster keeps capacity while each group replaces its nodes.
        if stop.is_stopped() {
            return Err(AwsError::stopped("UpdateNodegroupVersion"));
        }
        let results: Vec<Result<(), AwsError>> = futures::stream::iter(futs)
            .buffer_unordered(MAX_PARALLEL_UPGRADES)
            .collect()
            .await;
        first_error(results.into_iter().filter_map(Result::err).collect())?;
        let futs: Vec<Fut<'_, ()>> = d
            .addons
            .iter()
            .filter(|(n, a)| a.version.is_none() && obs.addons.contains_key(*n))
            .map(|(n, a)| -> Fut<'_, ()> {
                let step = step.clone();
                Box::pin(async move {
                    // The role stays as it is here; round 4 of reconcile settles it.
                    let seen = obs.addons.get(n);
                    let role = seen.and_then(|s| s.role_arn.clone());
                    ensure_addon(aws, stop, d, n, a, seen, role, &step, deadline).await
                })
            })
            .collect();
        first_error(round(stop, "UpdateAddon", futs).await)?;
    }
    Ok(())
}

pub(super) fn logging(types: &[String]) -> eks::Logging {
    let all = LOG_TYPES;
    let on: Vec<eks::LogType> = types
        .iter()
        .map(|t| eks::LogType::from(t.as_str()))
        .collect();
    let off: Vec<eks::LogType> = all
        .iter()
        .filter(|t| !types.iter().any(|x| x == *t))
        .map(|t| eks::LogType::from(*t))
        .collect();
    let mut setups = vec![eks::LogSetup::builder()
        .set_types(Some(on))
        .enabled(true)
        .build()];
    if !off.is_empty() {
        setups.push(
            eks::LogSetup::builder()
                .set_types(Some(off))
                .enabled(false)
                .build(),
        );
    }
    eks::Logging::builder()
        .set_cluster_logging(Some(setups))
        .build()
}

pub(super) fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Creates the cluster (claim-safe) or brings its settings and version to `d`.
/// Returns the cluster as it is afterwards.
pub(super) async fn ensure_cluster(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    cluster_role: &str,
    kms: Option<&str>,
    obs: &Observed,
    deadline: Instant,
) -> Result<(), AwsError> {
    let name = d.name.as_str();
    match &obs.cluster {
        None => {
            let vpc = eks::VpcConfigRequest::builder()
                .set_subnet_ids(Some(d.subnet_ids.clone()))
                .endpoint_private_access(d.private_access)
                .endpoint_public_access(d.public_access)
                .set_public_access_cidrs(d.public_cidrs.clone())
                .build();
            let enc = kms.map(|k| {
                #[allow(deprecated)] // EKS still accepts (and documents) "secrets".
                eks::EncryptionConfig::builder()
                    .resources("secrets")
                    .provider(eks::Provider::builder().key_arn(k).build())
                    .build()
            });
            let req = aws
                .eks
                .create_cluster()
                .name(name)
                .version(&d.version)
                .role_arn(cluster_role)
                .resources_vpc_config(vpc)
                .logging(logging(&d.log_types))
                .set_encryption_config(enc.map(|e| vec![e]))
                .access_config(
                    eks::CreateAccessConfigRequest::builder()
                        .authentication_mode(eks::AuthenticationMode::from(d.auth_mode.as_str()))
                        // Cluster access is what `access_entry` says, nothing implicit.
                        .bootstrap_cluster_creator_admin_permissions(false)
                        .build(),
                )
                .set_tags(Some(kit::tags::string_map(&stack_tags(aws, d, "cluster"))));
            // A role created a moment ago may not be assumable by EKS yet.
            kit::retry_when(
                stop,
                deadline.min(kit::wait::deadline_in(kit::retry::PROPAGATION)),
                |e| e.is_code(&["InvalidParameterException"]) && e.message.contains("role"),
                || async { req.clone().send().await.op("CreateCluster") },
            )
            .await?;
            wait_cluster(aws, stop, name, deadline).await
        }
        Some(c) => {
            // EKS refuses a change while another update runs (an apply that was
            // interrupted mid-update, or a change made outside Terraform).
            if c.status != "ACTIVE" {
                wait_cluster(aws, stop, name, deadline).await?;
            }
            if sorted(c.log_types.clone()) != sorted(d.log_types.clone()) {
                let r = aws
                    .eks
                    .update_cluster_config()
                    .name(name)
                    .logging(logging(&d.log_types))
                    .send()
                    .await
                    .op("UpdateClusterConfig")?;
                if let Some(id) = r.update().and_then(|u| u.id()) {
                    wait_update(aws, stop, name, id, None, None, deadline).await?;
                }
            }
            let cidrs_differ = d
                .public_cidrs
                .as_ref()
                .is_some_and(|want| sorted(want.clone()) != sorted(c.public_cidrs.clone()));
            if c.private_access != d.private_access
                || c.public_access != d.public_access
                || cidrs_differ
            {
                let r = aws
                    .eks
                    .update_cluster_config()
                    .name(name)
                    .resources_vpc_config(
                        eks::VpcConfigRequest::builder()
                            .endpoint_private_access(d.private_access)
                            .endpoint_public_access(d.public_access)
                            .set_public_access_cidrs(d.public_cidrs.clone())
                            .build(),
                    )
                    .send()
                    .await
                    .op("UpdateClusterConfig")?;
                if let Some(id) = r.update().and_then(|u| u.id()) {
                    wait_update(aws, stop, name, id, None, None, deadline).await?;
                }
            }
            upgrade(aws, stop, d, &c.version, obs, deadline).await
        }
    }
}

/// What keeps a cluster from being deleted: its node groups and Fargate profiles.
pub(super) async fn cluster_blockers(aws: &Aws, name: &str) -> Vec<String> {
    let (ngs, fargate) = tokio::join!(
        every(
            aws.eks
                .list_nodegroups()
                .cluster_name(name)
                .into_paginator()
                .items()
                .send()
        ),
        every(
            aws.eks
                .list_fargate_profiles()
                .cluster_name(name)
                .into_paginator()
                .items()
                .send()
        ),
    );
    let ngs = ngs
        .unwrap_or_default()
        .into_iter()
        .map(|n| format!("node group {n}"));
    let fargate = (fargate.unwrap_or_default().into_iter()).map(|f| format!("Fargate profile {f}"));
    ngs.chain(fargate).collect()
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // SDK error types in scripted answers
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use crate::framework::Value;
    use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupOutput;
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyOutput;
    use aws_sdk_cloudwatchlogs::types::LogGroup;
    use aws_sdk_cloudwatchlogs::Client as Logs;
    use aws_sdk_eks::operation::create_cluster::CreateClusterOutput;
    use aws_sdk_eks::operation::describe_addon_versions::DescribeAddonVersionsOutput;
    use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
    use aws_sdk_eks::operation::describe_cluster_versions::DescribeClusterVersionsOutput;
    use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
    use aws_sdk_eks::operation::list_fargate_profiles::ListFargateProfilesOutput;
    use aws_sdk_eks::operation::list_nodegroups::ListNodegroupsOutput;
    use aws_sdk_eks::operation::update_addon::UpdateAddonOutput;
    use aws_sdk_eks::operation::update_cluster_config::UpdateClusterConfigOutput;
    use aws_sdk_eks::operation::update_cluster_version::UpdateClusterVersionOutput;
    use aws_sdk_eks::operation::update_nodegroup_version::UpdateNodegroupVersionOutput;
    use aws_sdk_eks::Client as Eks;
    use std::time::Duration;

    const NAME: &str = "demo";
    const ARN: &str = "arn:aws:eks:us-east-1:111122223333:cluster/demo";
    const ROLE: &str = "arn:aws:iam::111122223333:role/ode/demo/demo-cluster";
    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/k-1";
    const RETENTION: i64 = 30;

    fn desired() -> Desired {
        Desired::from_value(&Value::object([
            ("name", Value::string(NAME)),
            ("kubernetes_version", Value::string("1.30")),
            ("subnet_ids", Value::string_list(["subnet-1", "subnet-2"])),
            ("log_retention_days", Value::int(RETENTION)),
        ]))
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    fn logs_on(types: &[&str]) -> eks::Logging {
        eks::Logging::builder()
            .cluster_logging(
                eks::LogSetup::builder()
                    .set_types(Some(types.iter().map(|t| eks::LogType::from(*t)).collect()))
                    .enabled(true)
                    .build(),
            )
            .build()
    }

    /// The cluster as `desired()` wants it (default log types and endpoints).
    fn cluster(status: eks::ClusterStatus) -> eks::Cluster {
        eks::Cluster::builder()
            .name(NAME)
            .arn(ARN)
            .version("1.30")
            .status(status)
            .logging(logs_on(&["api", "controllerManager", "scheduler"]))
            .resources_vpc_config(
                eks::VpcConfigResponse::builder()
                    .endpoint_private_access(true)
                    .endpoint_public_access(true)
                    .build(),
            )
            .build()
    }

    fn failed_cluster() -> eks::Cluster {
        let mut c = cluster(eks::ClusterStatus::Failed);
        c.health = Some(
            eks::ClusterHealth::builder()
                .issues(
                    eks::ClusterIssue::builder()
                        .code(eks::ClusterIssueCode::KmsKeyDisabled)
                        .message("The KMS key k-1 is disabled")
                        .build(),
                )
                .build(),
        );
        c
    }

    fn describe(fake: &Fake, times: usize, c: eks::Cluster) {
        answer!(fake, Eks::describe_cluster, move |i| {
            if i.name() != Some(NAME) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeClusterOutput::builder().cluster(c.clone()).build())
        }; times = times);
    }

    fn missing(fake: &Fake, times: usize) {
        answer!(fake, Eks::describe_cluster, |_| Err(failure(
            "ResourceNotFoundException",
            "No cluster found for name: demo."
        )); times = times);
    }

    fn creates(fake: &Fake) {
        answer!(fake, Eks::create_cluster, |i| {
            let d = desired();
            let key = i
                .encryption_config()
                .first()
                .and_then(|e| e.provider())
                .and_then(|p| p.key_arn());
            let logs: Option<Vec<String>> = i.logging().map(|l| {
                l.cluster_logging()
                    .iter()
                    .filter(|s| s.enabled() == Some(true))
                    .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
                    .collect()
            });
            let stack = i.tags().and_then(|t| t.get(&owner_key("stack")));
            let ok = i.name() == Some(NAME)
                && i.version() == Some("1.30")
                && i.role_arn() == Some(ROLE)
                && key == Some(KEY)
                && i.resources_vpc_config().map(|v| v.subnet_ids()) == Some(&d.subnet_ids[..])
                && logs == Some(d.log_types.clone())
                && i.access_config()
                    .and_then(|a| a.bootstrap_cluster_creator_admin_permissions())
                    == Some(false)
                && stack.map(String::as_str) == Some(NAME);
            if !ok {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(CreateClusterOutput::builder().build())
        }; times = 1);
    }

    fn update(id: &str, status: eks::UpdateStatus) -> eks::Update {
        eks::Update::builder().id(id).status(status).build()
    }

    fn failed_update(id: &str, code: eks::ErrorCode, message: &str) -> eks::Update {
        eks::Update::builder()
            .id(id)
            .status(eks::UpdateStatus::Failed)
            .errors(
                eks::ErrorDetail::builder()
                    .error_code(code)
                    .error_message(message)
                    .build(),
            )
            .build()
    }

    /// DescribeUpdate answers `u` (for update `u.id`, of node group `ng` if any).
    fn updates(fake: &Fake, times: usize, ng: Option<&'static str>, u: eks::Update) {
        answer!(fake, Eks::describe_update, move |i| {
            if i.name() != Some(NAME) || i.update_id() != u.id() || i.nodegroup_name() != ng {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeUpdateOutput::builder().update(u.clone()).build())
        }; times = times);
    }

    /// Every update asked about has succeeded.
    fn updates_succeed(fake: &Fake) {
        answer!(fake, Eks::describe_update, |i| {
            Ok(DescribeUpdateOutput::builder()
                .update(update(
                    i.update_id().unwrap_or_default(),
                    eks::UpdateStatus::Successful,
                ))
                .build())
        });
    }

    fn update_not_visible(fake: &Fake) {
        answer!(fake, Eks::describe_update, |_| Err(failure(
            "ResourceNotFoundException",
            "No update found for ID: u-1"
        )); times = 1);
    }

    fn config_updated(fake: &Fake, id: &'static str) {
        answer!(fake, Eks::update_cluster_config, move |i| {
            if i.name() != Some(NAME) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(UpdateClusterConfigOutput::builder()
                .update(update(id, eks::UpdateStatus::InProgress))
                .build())
        }; times = 1);
    }

    // ------------------------------------------------------------ wait_cluster

    #[tokio::test(start_paused = true)]
    async fn wait_cluster_table() {
        use eks::ClusterStatus::*;
        let cases = [
            Case {
                name: "CREATING then ACTIVE",
                script: |f| {
                    describe(f, 2, cluster(Creating));
                    describe(f, 1, cluster(Active));
                },
                want: Ok(()),
            },
            Case {
                name: "not found right after create, then ACTIVE",
                script: |f| {
                    missing(f, 2);
                    describe(f, 1, cluster(Active));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Eks::describe_cluster, |_| Err(failure(
                        "AccessDeniedException",
                        "User is not authorized to perform: eks:DescribeCluster"
                    )))
                },
                want: Err(
                    "AccessDeniedException: User is not authorized to perform: eks:DescribeCluster",
                ),
            },
            Case {
                name: "FAILED",
                script: |f| describe(f, 1, failed_cluster()),
                want: Err("cluster demo to become ACTIVE failed: cluster demo is FAILED"),
            },
        ];
        table(&cases, |aws, stop| async move {
            wait_cluster(&aws, &stop, NAME, deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_cluster_failed_gives_the_reason() {
        let cases = [Case {
            name: "FAILED, with its health issues",
            script: |f| describe(f, 1, failed_cluster()),
            want: Err("The KMS key k-1 is disabled"),
        }];
        table(&cases, |aws, stop| async move {
            wait_cluster(&aws, &stop, NAME, deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_cluster_stops_on_request() {
        stops_promptly(
            |f| describe(f, usize::MAX, cluster(eks::ClusterStatus::Creating)),
            |aws, stop| async move { wait_cluster(&aws, &stop, NAME, deadline()).await },
        )
        .await;
        stops_promptly(
            |f| {
                answer!(f, Eks::describe_cluster, |_| {
                    Ok(DescribeClusterOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            |aws, stop| async move { wait_cluster(&aws, &stop, NAME, deadline()).await },
        )
        .await;
    }

    // ------------------------------------------------------------- wait_update

    #[tokio::test(start_paused = true)]
    async fn wait_update_table() {
        use eks::UpdateStatus::*;
        let cases = [
            Case {
                name: "InProgress then Successful",
                script: |f| {
                    updates(f, 2, Some("workers"), update("u-1", InProgress));
                    updates(f, 1, Some("workers"), update("u-1", Successful));
                },
                want: Ok(()),
            },
            Case {
                name: "not found right after the update started",
                script: |f| {
                    update_not_visible(f);
                    updates(f, 1, Some("workers"), update("u-1", Successful));
                },
                want: Ok(()),
            },
            Case {
                name: "no update in the answer yet",
                script: |f| {
                    answer!(f, Eks::describe_update, |_| Ok(DescribeUpdateOutput::builder().build()); times = 1);
                    updates(f, 1, Some("workers"), update("u-1", Successful));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Eks::describe_update, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DescribeUpdate"
                    )))
                },
                want: Err("AccessDeniedException: not authorized to perform: eks:DescribeUpdate"),
            },
            Case {
                name: "Failed, with AWS's errors",
                script: |f| {
                    updates(
                        f,
                        1,
                        Some("workers"),
                        failed_update(
                            "u-1",
                            eks::ErrorCode::NodeCreationFailure,
                            "Instances failed to join the kubernetes cluster",
                        ),
                    )
                },
                want: Err("update u-1 of workers failed: NodeCreationFailure: Instances failed to join the kubernetes cluster"),
            },
            Case {
                name: "Cancelled",
                script: |f| {
                    let mut u = failed_update(
                        "u-1",
                        eks::ErrorCode::OperationNotPermitted,
                        "cancelled by a newer update",
                    );
                    u.status = Some(Cancelled);
                    updates(f, 1, Some("workers"), u)
                },
                want: Err("update u-1 of workers failed: OperationNotPermitted: cancelled by a newer update"),
            },
        ];
        table(&cases, |aws, stop| async move {
            wait_update(&aws, &stop, NAME, "u-1", Some("workers"), None, deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_update_stops_on_request() {
        stops_promptly(
            |f| {
                updates(
                    f,
                    usize::MAX,
                    None,
                    update("u-1", eks::UpdateStatus::InProgress),
                )
            },
            |aws, stop| async move {
                wait_update(&aws, &stop, NAME, "u-1", None, None, deadline()).await
            },
        )
        .await;
        stops_promptly(
            |f| {
                answer!(f, Eks::describe_update, |_| {
                    Ok(DescribeUpdateOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            |aws, stop| async move {
                wait_update(&aws, &stop, NAME, "u-1", None, None, deadline()).await
            },
        )
        .await;
    }

    // ---------------------------------------------------------- ensure_cluster

    /// A refresh, then `ensure_cluster` on what it saw.
    async fn read_then_ensure(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        let obs = Observed {
            cluster: describe_cluster(&aws, NAME).await?,
            ..Default::default()
        };
        ensure_cluster(&aws, &stop, &desired(), ROLE, Some(KEY), &obs, deadline()).await
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_cluster_table() {
        use eks::ClusterStatus::*;
        let cases = [
            Case {
                name: "absent: created with the role, key, subnets and tags, then ACTIVE",
                script: |f| {
                    missing(f, 1);
                    creates(f);
                    describe(f, 1, cluster(Creating));
                    describe(f, 1, cluster(Active));
                },
                want: Ok(()),
            },
            Case {
                name: "a new role EKS cannot assume yet: the create is retried",
                script: |f| {
                    missing(f, 1);
                    answer!(f, Eks::create_cluster, |_| Err(failure(
                        "InvalidParameterException",
                        "Role with arn: arn:aws:iam::111122223333:role/ode/demo/demo-cluster, could not be assumed because it does not exist or the trusted entity is not correct"
                    )); times = 1);
                    creates(f);
                    describe(f, 1, cluster(Active));
                },
                want: Ok(()),
            },
            Case {
                name: "CreateCluster refused",
                script: |f| {
                    missing(f, 1);
                    answer!(f, Eks::create_cluster, |_| Err(failure(
                        "UnsupportedAvailabilityZoneException",
                        "Cannot create cluster 'demo' because us-east-1e does not currently have sufficient capacity"
                    )));
                },
                want: Err("UnsupportedAvailabilityZoneException: Cannot create cluster 'demo' because us-east-1e"),
            },
            Case {
                name: "not found right after create, then ACTIVE",
                script: |f| {
                    missing(f, 1);
                    creates(f);
                    missing(f, 2);
                    describe(f, 1, cluster(Active));
                },
                want: Ok(()),
            },
            Case {
                name: "FAILED after create",
                script: |f| {
                    missing(f, 1);
                    creates(f);
                    describe(f, 1, failed_cluster());
                },
                want: Err("cluster demo is FAILED"),
            },
            Case {
                name: "in sync: nothing to do",
                script: |f| describe(f, 1, cluster(Active)),
                want: Ok(()),
            },
            Case {
                name: "still UPDATING: waited for",
                script: |f| {
                    describe(f, 1, cluster(Updating));
                    describe(f, 1, cluster(Updating));
                    describe(f, 1, cluster(Active));
                },
                want: Ok(()),
            },
            Case {
                name: "log types drifted: logging updated, the update waited for",
                script: |f| {
                    let mut c = cluster(Active);
                    c.logging = Some(logs_on(&["api"]));
                    describe(f, 1, c);
                    answer!(f, Eks::update_cluster_config, |i| {
                        let on: Vec<String> = i
                            .logging()
                            .map(|l| l.cluster_logging())
                            .unwrap_or_default()
                            .iter()
                            .filter(|s| s.enabled() == Some(true))
                            .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
                            .collect();
                        if on != desired().log_types || i.resources_vpc_config().is_some() {
                            return Err(failure("UnexpectedInput", &format!("{i:?}")));
                        }
                        Ok(UpdateClusterConfigOutput::builder()
                            .update(update("u-1", eks::UpdateStatus::InProgress))
                            .build())
                    }; times = 1);
                    updates(f, 1, None, update("u-1", eks::UpdateStatus::InProgress));
                    updates(f, 1, None, update("u-1", eks::UpdateStatus::Successful));
                },
                want: Ok(()),
            },
            Case {
                name: "endpoint update fails with AWS's reason",
                script: |f| {
                    let mut c = cluster(Active);
                    c.resources_vpc_config = Some(
                        eks::VpcConfigResponse::builder()
                            .endpoint_private_access(true)
                            .endpoint_public_access(false)
                            .build(),
                    );
                    describe(f, 1, c);
                    config_updated(f, "u-1");
                    updates(
                        f,
                        1,
                        None,
                        failed_update(
                            "u-1",
                            eks::ErrorCode::SecurityGroupNotFound,
                            "The security group sg-1 does not exist",
                        ),
                    );
                },
                want: Err("update u-1 of demo failed: SecurityGroupNotFound: The security group sg-1 does not exist"),
            },
            Case {
                name: "UpdateClusterConfig refused",
                script: |f| {
                    let mut c = cluster(Active);
                    c.logging = Some(logs_on(&["api"]));
                    describe(f, 1, c);
                    answer!(f, Eks::update_cluster_config, |_| Err(failure(
                        "InvalidParameterException",
                        "No changes needed for the logging config provided"
                    )));
                },
                want: Err("InvalidParameterException: No changes needed for the logging config provided"),
            },
            Case {
                name: "one minor behind: the control plane is upgraded",
                script: |f| {
                    let mut c = cluster(Active);
                    c.version = Some("1.29".into());
                    describe(f, 1, c);
                    control_plane(f, "1.30");
                    updates_succeed(f);
                    describe(f, 1, cluster(Active));
                },
                want: Ok(()),
            },
        ];
        table(&cases, read_then_ensure).await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_cluster_waits_for_an_update_in_progress_before_updating() {
        let fake = Fake::new();
        let mut c = cluster(eks::ClusterStatus::Updating);
        c.logging = Some(logs_on(&["api"]));
        describe(&fake, 1, c.clone());
        c.status = Some(eks::ClusterStatus::Active);
        describe(&fake, usize::MAX, c);
        answer!(fake, Eks::update_cluster_config, |_| {
            Ok(UpdateClusterConfigOutput::builder().build())
        });
        read_then_ensure(fake.aws(), Stop::new()).await.unwrap();
        let calls = fake.calls();
        let first_update = calls
            .iter()
            .position(|c| c == "UpdateClusterConfig")
            .expect("an UpdateClusterConfig call");
        let describes = calls[..first_update]
            .iter()
            .filter(|c| *c == "DescribeCluster")
            .count();
        assert!(
            describes >= 2,
            "UpdateClusterConfig sent while the cluster was UPDATING: {calls:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_cluster_stops_on_request() {
        stops_promptly(
            |f| {
                missing(f, 1);
                creates(f);
                describe(f, usize::MAX, cluster(eks::ClusterStatus::Creating));
            },
            read_then_ensure,
        )
        .await;
        // A role EKS never comes to see: the create's retries end at the stop.
        stops_promptly(
            |f| {
                missing(f, 1);
                answer!(f, Eks::create_cluster, |_| Err(failure(
                    "InvalidParameterException",
                    "Role with arn: arn:aws:iam::111122223333:role/ode/demo/demo-cluster, could not be assumed"
                )));
            },
            read_then_ensure,
        )
        .await;
    }

    // ----------------------------------------------------------------- upgrade

    fn control_plane(fake: &Fake, version: &'static str) {
        answer!(fake, Eks::update_cluster_version, move |i| {
            if i.name() != Some(NAME) || i.version() != Some(version) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(UpdateClusterVersionOutput::builder()
                .update(update(&format!("cp-{version}"), eks::UpdateStatus::InProgress))
                .build())
        }; times = 1);
    }

    fn nodegroup_follows(fake: &Fake, version: &'static str) {
        answer!(fake, Eks::update_nodegroup_version, move |i| {
            if i.cluster_name() != Some(NAME)
                || i.nodegroup_name() != Some("workers")
                || i.version() != Some(version)
            {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(UpdateNodegroupVersionOutput::builder()
                .update(update(&format!("ng-{version}"), eks::UpdateStatus::InProgress))
                .build())
        }; times = 1);
    }

    /// EKS's default add-on version for Kubernetes `k` is `v<k>-eksbuild.1`.
    fn addon_versions(fake: &Fake) {
        answer!(fake, Eks::describe_addon_versions, |i| {
            let k8s = i.kubernetes_version().unwrap_or_default();
            Ok(DescribeAddonVersionsOutput::builder()
                .addons(
                    eks::AddonInfo::builder()
                        .addon_name(i.addon_name().unwrap_or_default())
                        .addon_versions(
                            eks::AddonVersionInfo::builder()
                                .addon_version(format!("v{k8s}-eksbuild.1"))
                                .compatibilities(
                                    eks::Compatibility::builder()
                                        .cluster_version(k8s)
                                        .default_version(true)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build())
        });
    }

    fn addon_follows(fake: &Fake, version: &'static str) {
        answer!(fake, Eks::update_addon, move |i| {
            if i.cluster_name() != Some(NAME)
                || i.addon_name() != Some("coredns")
                || i.addon_version() != Some(format!("v{version}-eksbuild.1").as_str())
            {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(UpdateAddonOutput::builder()
                .update(update(&format!("ad-{version}"), eks::UpdateStatus::InProgress))
                .build())
        }; times = 1);
    }

    /// A stack at 1.29 that wants 1.31, with a node group and an add-on that
    /// follow the cluster's version.
    fn upgrading() -> (Desired, Observed) {
        let mut d = desired();
        d.version = "1.31".into();
        let spec = NodeGroupSpec {
            instance_types: vec!["t3.medium".into()],
            capacity_type: "ON_DEMAND".into(),
            min_size: 1,
            max_size: 3,
            desired_size: 2,
            disk_size: 20,
            ami_type: "AL2023_x86_64_STANDARD".into(),
            labels: BTreeMap::new(),
            taints: vec![],
            max_unavailable: 1,
            autoscaler: false,
            version: None,
        };
        d.node_groups.insert("workers".into(), spec.clone());
        d.addons.insert(
            "coredns".into(),
            AddonSpec {
                version: None,
                configuration: None,
                service_account: None,
            },
        );
        let mut obs = Observed::default();
        obs.node_groups.insert(
            "workers".into(),
            vec![NodeGroupSeen {
                eks_name: "workers".into(),
                arn: "arn:aws:eks:us-east-1:111122223333:nodegroup/demo/workers/1".into(),
                status: "ACTIVE".into(),
                version: "1.29".into(),
                spec,
                tags: BTreeMap::new(),
            }],
        );
        obs.addons.insert(
            "coredns".into(),
            AddonSeen {
                version: "v1.29-eksbuild.1".into(),
                status: "ACTIVE".into(),
                configuration: None,
                role_arn: None,
            },
        );
        (d, obs)
    }

    async fn upgrade_from_1_29(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        let (d, obs) = upgrading();
        upgrade(&aws, &stop, &d, "1.29", &obs, deadline()).await
    }

    /// Everything but the update answers: the cluster ACTIVE, default versions.
    fn upgrade_world(f: &Fake) {
        describe(f, usize::MAX, cluster(eks::ClusterStatus::Active));
        addon_versions(f);
    }

    #[tokio::test(start_paused = true)]
    async fn upgrade_table() {
        let cases = [
            Case {
                name: "two minors, one at a time: control plane, node groups, add-ons",
                script: |f| {
                    for v in ["1.30", "1.31"] {
                        control_plane(f, v);
                        nodegroup_follows(f, v);
                        addon_follows(f, v);
                    }
                    updates_succeed(f);
                    upgrade_world(f);
                },
                want: Ok(()),
            },
            Case {
                name: "UpdateClusterVersion refused",
                script: |f| {
                    answer!(f, Eks::update_cluster_version, |_| Err(failure(
                        "InvalidParameterException",
                        "Unsupported Kubernetes minor version update from 1.29 to 1.30"
                    )));
                },
                want: Err("InvalidParameterException: Unsupported Kubernetes minor version update from 1.29 to 1.30"),
            },
            Case {
                name: "control plane update fails with AWS's reason",
                script: |f| {
                    control_plane(f, "1.30");
                    updates(
                        f,
                        1,
                        None,
                        failed_update(
                            "cp-1.30",
                            eks::ErrorCode::SubnetNotFound,
                            "The subnet ID 'subnet-1' does not exist",
                        ),
                    );
                },
                want: Err("update cp-1.30 of demo failed: SubnetNotFound: The subnet ID 'subnet-1' does not exist"),
            },
            Case {
                name: "node group update fails with AWS's reason",
                script: |f| {
                    control_plane(f, "1.30");
                    nodegroup_follows(f, "1.30");
                    updates(f, 1, None, update("cp-1.30", eks::UpdateStatus::Successful));
                    updates(
                        f,
                        1,
                        Some("workers"),
                        failed_update(
                            "ng-1.30",
                            eks::ErrorCode::PodEvictionFailure,
                            "Reached max retries while trying to evict pods from nodes in node group workers",
                        ),
                    );
                    upgrade_world(f);
                },
                want: Err("update ng-1.30 of workers failed: PodEvictionFailure: Reached max retries"),
            },
            Case {
                name: "add-on update refused",
                script: |f| {
                    control_plane(f, "1.30");
                    nodegroup_follows(f, "1.30");
                    answer!(f, Eks::update_addon, |_| Err(failure(
                        "InvalidParameterException",
                        "Addon version v1.30-eksbuild.1 is not supported"
                    )));
                    updates_succeed(f);
                    upgrade_world(f);
                },
                want: Err("InvalidParameterException: Addon version v1.30-eksbuild.1 is not supported"),
            },
            Case {
                name: "an update not found right after it started",
                script: |f| {
                    for v in ["1.30", "1.31"] {
                        control_plane(f, v);
                        nodegroup_follows(f, v);
                        addon_follows(f, v);
                    }
                    update_not_visible(f);
                    updates_succeed(f);
                    upgrade_world(f);
                },
                want: Ok(()),
            },
        ];
        table(&cases, upgrade_from_1_29).await;
    }

    #[tokio::test(start_paused = true)]
    async fn upgrade_stops_on_request() {
        stops_promptly(
            |f| {
                control_plane(f, "1.30");
                updates(
                    f,
                    usize::MAX,
                    None,
                    update("cp-1.30", eks::UpdateStatus::InProgress),
                );
            },
            upgrade_from_1_29,
        )
        .await;
        // A node group that keeps rolling.
        stops_promptly(
            |f| {
                control_plane(f, "1.30");
                nodegroup_follows(f, "1.30");
                updates(f, 1, None, update("cp-1.30", eks::UpdateStatus::Successful));
                updates(
                    f,
                    usize::MAX,
                    Some("workers"),
                    update("ng-1.30", eks::UpdateStatus::InProgress),
                );
                upgrade_world(f);
            },
            upgrade_from_1_29,
        )
        .await;
    }

    // --------------------------------------------------------------- log group

    const GROUP: &str = "/aws/eks/demo/cluster";

    fn groups(fake: &Fake, list: Vec<LogGroup>) {
        answer!(fake, Logs::describe_log_groups, move |i| {
            if i.log_group_name_prefix() != Some(GROUP) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeLogGroupsOutput::builder()
                .set_log_groups(Some(list.clone()))
                .build())
        }; times = 1);
    }

    fn group(name: &str, retention: Option<i32>) -> LogGroup {
        LogGroup::builder()
            .log_group_name(name)
            .set_retention_in_days(retention)
            .build()
    }

    fn group_created(fake: &Fake) {
        answer!(fake, Logs::create_log_group, |i| {
            let stack = i.tags().and_then(|t| t.get(&owner_key("stack")));
            if i.log_group_name() != Some(GROUP) || stack.map(String::as_str) != Some(NAME) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(CreateLogGroupOutput::builder().build())
        }; times = 1);
    }

    fn retention_set(fake: &Fake) {
        answer!(fake, Logs::put_retention_policy, |i| {
            if i.log_group_name() != Some(GROUP) || i.retention_in_days() != Some(RETENTION as i32)
            {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(PutRetentionPolicyOutput::builder().build())
        }; times = 1);
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_log_group_table() {
        let cases = [
            Case {
                name: "absent: created with the stack's tags, then its retention set",
                script: |f| {
                    groups(f, vec![]);
                    group_created(f);
                    retention_set(f);
                },
                want: Ok(()),
            },
            Case {
                name: "only a group with a longer name: ours is absent",
                script: |f| {
                    groups(f, vec![group("/aws/eks/demo/cluster-old", Some(30))]);
                    group_created(f);
                    retention_set(f);
                },
                want: Ok(()),
            },
            Case {
                name: "made by EKS meanwhile (already exists): its retention set",
                script: |f| {
                    groups(f, vec![]);
                    answer!(f, Logs::create_log_group, |_| Err(failure(
                        "ResourceAlreadyExistsException",
                        "The specified log group already exists"
                    )));
                    retention_set(f);
                },
                want: Ok(()),
            },
            Case {
                name: "another retention: only the retention set",
                script: |f| {
                    groups(f, vec![group(GROUP, Some(7))]);
                    retention_set(f);
                },
                want: Ok(()),
            },
            Case {
                name: "kept for ever: the retention set",
                script: |f| {
                    groups(f, vec![group(GROUP, None)]);
                    retention_set(f);
                },
                want: Ok(()),
            },
            Case {
                name: "in sync: nothing to do",
                script: |f| groups(f, vec![group(GROUP, Some(RETENTION as i32))]),
                want: Ok(()),
            },
            Case {
                name: "DescribeLogGroups fails",
                script: |f| {
                    answer!(f, Logs::describe_log_groups, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: logs:DescribeLogGroups"
                    )))
                },
                want: Err(
                    "AccessDeniedException: not authorized to perform: logs:DescribeLogGroups",
                ),
            },
            Case {
                name: "CreateLogGroup refused",
                script: |f| {
                    groups(f, vec![]);
                    answer!(f, Logs::create_log_group, |_| Err(failure(
                        "LimitExceededException",
                        "Resource limit exceeded."
                    )));
                },
                want: Err("CreateLogGroup: LimitExceededException: Resource limit exceeded."),
            },
            Case {
                name: "PutRetentionPolicy refused",
                script: |f| {
                    groups(f, vec![group(GROUP, Some(7))]);
                    answer!(f, Logs::put_retention_policy, |_| Err(failure(
                        "OperationAbortedException",
                        "Multiple concurrent requests to update the same resource"
                    )));
                },
                want: Err("PutRetentionPolicy: OperationAbortedException: Multiple concurrent"),
            },
        ];
        table(&cases, |aws, _stop| async move {
            let d = desired();
            let seen = log_group(&aws, &d).await?;
            ensure_log_group(&aws, &d, seen).await
        })
        .await;
    }

    // ------------------------------------------------------ finders and lists

    #[tokio::test]
    async fn describe_cluster_reads_what_eks_reports() {
        let fake = Fake::new();
        answer!(fake, Eks::describe_cluster, |_| {
            let c = eks::Cluster::builder()
                .name(NAME)
                .arn(ARN)
                .version("1.30")
                .status(eks::ClusterStatus::Active)
                .endpoint("https://ABC.gr7.us-east-1.eks.amazonaws.com")
                .certificate_authority(eks::Certificate::builder().data("Q0E=").build())
                .identity(
                    eks::Identity::builder()
                        .oidc(
                            eks::Oidc::builder()
                                .issuer("https://oidc.eks.us-east-1.amazonaws.com/id/ABC")
                                .build(),
                        )
                        .build(),
                )
                .role_arn(ROLE)
                .logging(
                    eks::Logging::builder()
                        .cluster_logging(
                            eks::LogSetup::builder()
                                .types(eks::LogType::Scheduler)
                                .types(eks::LogType::Api)
                                .enabled(true)
                                .build(),
                        )
                        .cluster_logging(
                            eks::LogSetup::builder()
                                .types(eks::LogType::Audit)
                                .enabled(false)
                                .build(),
                        )
                        .cluster_logging(
                            eks::LogSetup::builder()
                                .types(eks::LogType::Api)
                                .enabled(true)
                                .build(),
                        )
                        .build(),
                )
                .resources_vpc_config(
                    eks::VpcConfigResponse::builder()
                        .subnet_ids("subnet-1")
                        .cluster_security_group_id("sg-1")
                        .endpoint_private_access(true)
                        .endpoint_public_access(false)
                        .public_access_cidrs("10.0.0.0/8")
                        .build(),
                )
                .encryption_config(
                    eks::EncryptionConfig::builder()
                        .provider(eks::Provider::builder().key_arn(KEY).build())
                        .build(),
                )
                .access_config(
                    eks::AccessConfigResponse::builder()
                        .authentication_mode(eks::AuthenticationMode::Api)
                        .build(),
                )
                .tags("team", "a")
                .build();
            Ok(DescribeClusterOutput::builder().cluster(c).build())
        });
        let c = describe_cluster(&fake.aws(), NAME)
            .await
            .unwrap()
            .expect("a cluster");
        assert_eq!(c.arn, ARN);
        assert_eq!(c.status, "ACTIVE");
        assert_eq!(c.version, "1.30");
        assert_eq!(c.ca, "Q0E=");
        assert_eq!(c.issuer, "https://oidc.eks.us-east-1.amazonaws.com/id/ABC");
        assert_eq!(c.security_group, "sg-1");
        assert_eq!(c.subnet_ids, vec!["subnet-1"]);
        assert!(c.private_access && !c.public_access);
        assert_eq!(c.public_cidrs, vec!["10.0.0.0/8"]);
        // Enabled types only, each once, sorted.
        assert_eq!(c.log_types, vec!["api", "scheduler"]);
        assert_eq!(c.kms_key_arn.as_deref(), Some(KEY));
        assert_eq!(c.auth_mode.as_deref(), Some("API"));
        assert_eq!(c.tags.get("team").map(String::as_str), Some("a"));

        let fake = Fake::new();
        missing(&fake, 1);
        assert_eq!(describe_cluster(&fake.aws(), NAME).await, Ok(None));

        let fake = Fake::new();
        answer!(fake, Eks::describe_cluster, |_| Err(failure(
            "ServerException",
            "internal error"
        )));
        let e = describe_cluster(&fake.aws(), NAME).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "DescribeCluster: ServerException: internal error"
        );
    }

    #[tokio::test]
    async fn cluster_blockers_name_node_groups_and_fargate_profiles() {
        let fake = Fake::new();
        // Three pages: every one is read.
        answer!(fake, Eks::list_nodegroups, |i| {
            if i.cluster_name() != Some(NAME) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            let (names, next): (&[&str], _) = match i.next_token() {
                None => (&["by-hand"], Some("2")),
                Some("2") => (&["batch-1", "batch-2"], Some("3")),
                _ => (&["last"], None),
            };
            Ok(ListNodegroupsOutput::builder()
                .set_nodegroups(Some(names.iter().map(|n| n.to_string()).collect()))
                .set_next_token(next.map(str::to_string))
                .build())
        });
        answer!(fake, Eks::list_fargate_profiles, |_| {
            Ok(ListFargateProfilesOutput::builder()
                .fargate_profile_names("fp-1")
                .build())
        });
        assert_eq!(
            cluster_blockers(&fake.aws(), NAME).await,
            vec![
                "node group by-hand",
                "node group batch-1",
                "node group batch-2",
                "node group last",
                "Fargate profile fp-1"
            ]
        );
        // Lists that fail name nothing (the delete's own error is reported).
        let fake = Fake::new();
        answer!(fake, Eks::list_nodegroups, |_| Err(failure(
            "AccessDeniedException",
            "no"
        )));
        answer!(fake, Eks::list_fargate_profiles, |_| Err(failure(
            "AccessDeniedException",
            "no"
        )));
        assert!(cluster_blockers(&fake.aws(), NAME).await.is_empty());
    }

    #[tokio::test]
    async fn the_calendar_reads_every_page_with_support_and_dates() {
        let fake = Fake::new();
        answer!(fake, Eks::describe_cluster_versions, |i| {
            if i.include_all() != Some(true) {
                return Err(failure("InvalidParameterException", "includeAll expected"));
            }
            let info = |v: &str, status: eks::VersionStatus, end: i64| {
                eks::ClusterVersionInformation::builder()
                    .cluster_version(v)
                    .version_status(status)
                    .end_of_standard_support_date(aws_smithy_types::DateTime::from_secs(end))
                    .build()
            };
            Ok(match i.next_token() {
                None => DescribeClusterVersionsOutput::builder()
                    .cluster_versions(info(
                        "1.35",
                        eks::VersionStatus::StandardSupport,
                        1_806_105_600,
                    ))
                    .cluster_versions(info(
                        "1.32",
                        eks::VersionStatus::ExtendedSupport,
                        1_774_224_000,
                    ))
                    .next_token("page-2")
                    .build(),
                Some("page-2") => DescribeClusterVersionsOutput::builder()
                    .cluster_versions(info("1.29", eks::VersionStatus::Unsupported, 1_742_688_000))
                    .build(),
                Some(other) => return Err(failure("InvalidParameterException", other)),
            })
        });
        let got = calendar(&fake.aws()).await.unwrap();
        let seen: Vec<_> = got
            .iter()
            .map(|v| (v.version.as_str(), v.support, v.end_of_standard.as_deref()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("1.35", Support::Standard, Some("2027-03-27")),
                ("1.32", Support::Extended, Some("2026-03-23")),
                ("1.29", Support::Unsupported, Some("2025-03-23")),
            ]
        );
        assert!(fake.unscripted().is_empty());

        let fake = Fake::new();
        answer!(fake, Eks::describe_cluster_versions, |_| Err(failure(
            "AccessDeniedException",
            "not authorized to perform: eks:DescribeClusterVersions"
        )));
        let e = calendar(&fake.aws()).await.unwrap_err();
        assert!(
            e.to_string()
                .contains("DescribeClusterVersions: AccessDeniedException"),
            "{e}"
        );
    }

    /// (enabled, log types) of each setup.
    type Setups = Vec<(bool, Vec<String>)>;

    #[test]
    fn logging_turns_off_what_is_not_asked_for() {
        let setups = |types: &[&str]| -> Setups {
            let types: Vec<String> = types.iter().map(|t| t.to_string()).collect();
            logging(&types)
                .cluster_logging()
                .iter()
                .map(|s| {
                    (
                        s.enabled() == Some(true),
                        s.types().iter().map(|t| t.as_str().to_string()).collect(),
                    )
                })
                .collect()
        };
        let all = [
            "api",
            "audit",
            "authenticator",
            "controllerManager",
            "scheduler",
        ];
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let rows: [(&[&str], Setups); 3] = [
            (&all, vec![(true, strings(&all))]),
            (
                &["scheduler", "api"],
                vec![
                    (true, strings(&["scheduler", "api"])),
                    (
                        false,
                        strings(&["audit", "authenticator", "controllerManager"]),
                    ),
                ],
            ),
            (&[], vec![(true, vec![]), (false, strings(&all))]),
        ];
        for (types, want) in rows {
            assert_eq!(setups(types), want, "{types:?}");
        }
    }
}
