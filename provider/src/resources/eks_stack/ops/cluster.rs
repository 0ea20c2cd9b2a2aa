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
            .set_tags(Some(stack_tags(aws, d, "logs").into_iter().collect()))
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

/// The Kubernetes versions EKS offers in the region (one DescribeClusterVersions
/// call per page).
pub async fn offered_versions(aws: &Aws) -> Result<std::collections::BTreeSet<String>, AwsError> {
    let mut pages = aws.eks.describe_cluster_versions().into_paginator().send();
    let mut out = std::collections::BTreeSet::new();
    while let Some(page) = pages.next().await {
        let page = page.op("DescribeClusterVersions")?;
        out.extend(
            page.cluster_versions()
                .iter()
                .filter_map(|v| v.cluster_version().map(str::to_string)),
        );
    }
    Ok(out)
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
        Ok(match c.map(|c| c.status) {
            Some(s) if s == "ACTIVE" => Status::Ready(()),
            Some(s) if s == "FAILED" => Status::Failed(format!("cluster {name} is FAILED")),
            Some(s) => Status::Pending(s),
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
                other => Status::Pending(format!("{other:?}")),
            })
        })
        .await
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
                .set_tags(Some(stack_tags(aws, d, "cluster").into_iter().collect()));
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
            if c.status != "ACTIVE" {
                wait_cluster(aws, stop, name, deadline).await?;
            }
            upgrade(aws, stop, d, &c.version, obs, deadline).await
        }
    }
}

/// What keeps a cluster from being deleted: its node groups and Fargate profiles.
pub(super) async fn cluster_blockers(aws: &Aws, name: &str) -> Vec<String> {
    let (ngs, fargate) = tokio::join!(
        aws.eks.list_nodegroups().cluster_name(name).send(),
        aws.eks.list_fargate_profiles().cluster_name(name).send(),
    );
    let mut out: Vec<String> = ngs
        .map(|r| {
            r.nodegroups()
                .iter()
                .map(|n| format!("node group {n}"))
                .collect()
        })
        .unwrap_or_default();
    out.extend(
        fargate
            .map(|r| {
                r.fargate_profile_names()
                    .iter()
                    .map(|f| format!("Fargate profile {f}"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    out
}
