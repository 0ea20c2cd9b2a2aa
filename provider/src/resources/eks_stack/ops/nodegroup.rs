//! Managed node groups: the finder's view of one, its waiter, create, in-place
//! update, create-before-destroy replacement and delete.

use super::*;

pub(super) fn node_group_seen(n: &eks::Nodegroup) -> Option<(String, NodeGroupSeen)> {
    let tags: Tags = n
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let key = tags
        .get(&owner_key("key"))?
        .strip_prefix("nodegroup/")?
        .to_string();
    let scaling = n.scaling_config();
    let spec = NodeGroupSpec {
        instance_types: n.instance_types().to_vec(),
        capacity_type: n
            .capacity_type()
            .map(|c| c.as_str().to_string())
            .unwrap_or_else(|| "ON_DEMAND".into()),
        min_size: scaling.and_then(|s| s.min_size()).unwrap_or(0),
        max_size: scaling.and_then(|s| s.max_size()).unwrap_or(0),
        desired_size: scaling.and_then(|s| s.desired_size()).unwrap_or(0),
        disk_size: n.disk_size().unwrap_or(DEFAULT_DISK as i32),
        ami_type: n
            .ami_type()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default(),
        labels: n
            .labels()
            .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        taints: n
            .taints()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                    t.effect()
                        .map(|e| e.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        max_unavailable: n
            .update_config()
            .and_then(|u| u.max_unavailable())
            .unwrap_or(1),
        autoscaler: false,
        version: n.version().map(str::to_string),
    };
    Some((
        key,
        NodeGroupSeen {
            eks_name: n.nodegroup_name().unwrap_or_default().to_string(),
            arn: n.nodegroup_arn().unwrap_or_default().to_string(),
            status: n
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            version: n.version().unwrap_or_default().to_string(),
            spec,
            tags,
        },
    ))
}

/// A node group's health issues as `code: message`.
fn ng_health(n: Option<&eks::Nodegroup>) -> Vec<String> {
    let health = n.and_then(|n| n.health()).map(|h| h.issues());
    issues(
        health.unwrap_or_default(),
        |i| i.code().map(|c| c.as_str()),
        |i| i.message(),
    )
}

pub(super) async fn wait_nodegroup(
    aws: &Aws,
    stop: &Stop,
    cluster: &str,
    ng: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    Waiter::new(
        "CreateNodegroup",
        format!("node group {ng} to become ACTIVE"),
        deadline,
    )
    .wait(stop, || async {
        let r = aws
            .eks
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(ng)
            .send()
            .await
            .op("DescribeNodegroup")?;
        let n = r.nodegroup();
        Ok(match n.and_then(|n| n.status()) {
            Some(eks::NodegroupStatus::Active) => Status::Ready(()),
            Some(s @ (eks::NodegroupStatus::CreateFailed | eks::NodegroupStatus::Degraded)) => {
                let issues = ng_health(n);
                Status::Failed(if issues.is_empty() {
                    format!("{}: no health issues reported", s.as_str())
                } else {
                    format!("{}: {}", s.as_str(), issues.join("; "))
                })
            }
            other => Status::Pending(other.map_or("unknown", |s| s.as_str()).to_string()),
        })
    })
    .await
}

pub(super) fn scaling(g: &NodeGroupSpec) -> eks::NodegroupScalingConfig {
    eks::NodegroupScalingConfig::builder()
        .min_size(g.min_size)
        .max_size(g.max_size)
        .desired_size(g.desired_size)
        .build()
}

pub(super) fn taints(g: &NodeGroupSpec) -> Vec<eks::Taint> {
    g.taints
        .iter()
        .map(|(k, v, e)| {
            eks::Taint::builder()
                .key(k)
                .value(v)
                .effect(eks::TaintEffect::from(e.as_str()))
                .build()
        })
        .collect()
}

/// A node group name for `key` whose immutable settings are `spec`: the key for
/// the first generation, the key with a short hash of the settings after that.
pub(super) fn generation_name(
    key: &str,
    spec: &NodeGroupSpec,
    existing: &[NodeGroupSeen],
) -> String {
    if existing.is_empty() {
        return key.to_string();
    }
    let h = spec
        .immutable()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{key}-{:06x}", h & 0xff_ffff)
}

/// Brings the settings tag of an EKS object to `want` (removed when None).
pub(super) async fn sync_settings_tag(
    aws: &Aws,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: Option<String>,
) -> Result<(), AwsError> {
    let key = kit::tags::settings_key();
    if have.get(&key) == want.as_ref() {
        return Ok(());
    }
    match want {
        Some(v) => aws
            .eks
            .tag_resource()
            .resource_arn(arn)
            .tags(key, v)
            .send()
            .await
            .op("TagResource")
            .map(|_| ()),
        None => aws
            .eks
            .untag_resource()
            .resource_arn(arn)
            .tag_keys(key)
            .send()
            .await
            .op("UntagResource")
            .map(|_| ()),
    }
}

/// The status of a node group or add-on whose create failed (EKS can only delete it).
pub const CREATE_FAILED: &str = "CREATE_FAILED";

/// Creates, updates in place, or replaces (create-before-destroy) one node group; a
/// generation whose create failed is deleted first.
/// Returns the EKS names of older generations to delete once this one is ACTIVE.
#[allow(clippy::too_many_arguments)]
pub(super) async fn ensure_nodegroup(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    key: &str,
    spec: &NodeGroupSpec,
    seen: &[NodeGroupSeen],
    node_role: &str,
    deadline: Instant,
) -> Result<Vec<String>, AwsError> {
    let cluster = d.name.as_str();
    // A group whose create failed serves nothing, and EKS cannot repair it: it is
    // deleted, then made again (under the name it had, the cause being gone).
    let failed: Vec<&NodeGroupSeen> = seen.iter().filter(|s| s.status == CREATE_FAILED).collect();
    for f in &failed {
        delete_nodegroup(aws, stop, cluster, &f.eks_name, deadline).await?;
    }
    let seen: Vec<NodeGroupSeen> = seen
        .iter()
        .filter(|s| s.status != CREATE_FAILED)
        .cloned()
        .collect();
    let seen = seen.as_slice();
    let current = seen
        .iter()
        .find(|s| s.tags.get(&owner_key("spec")).map(String::as_str) == Some(&spec.immutable()));
    let stale: Vec<String> = seen
        .iter()
        .filter(|s| Some(*s) != current)
        .map(|s| s.eks_name.clone())
        .collect();
    match current {
        None => {
            let eks_name = generation_name(key, spec, seen);
            let mut tags = stack_tags(aws, d, &format!("nodegroup/{key}"));
            tags.insert(owner_key("spec"), spec.immutable());
            if let Some(settings) = spec.settings() {
                tags.insert(kit::tags::settings_key(), settings);
            }
            let r = aws
                .eks
                .create_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(&eks_name)
                .scaling_config(scaling(spec))
                .set_subnets(Some(d.subnet_ids.clone()))
                .set_instance_types(Some(spec.instance_types.clone()))
                .capacity_type(eks::CapacityTypes::from(spec.capacity_type.as_str()))
                .ami_type(eks::AmiTypes::from(spec.ami_type.as_str()))
                .disk_size(spec.disk_size)
                .set_labels(
                    (!spec.labels.is_empty()).then(|| spec.labels.clone().into_iter().collect()),
                )
                .set_taints((!spec.taints.is_empty()).then(|| taints(spec)))
                .update_config(
                    eks::NodegroupUpdateConfig::builder()
                        .max_unavailable(spec.max_unavailable)
                        .build(),
                )
                .node_role(node_role)
                .set_version(Some(
                    spec.version.clone().unwrap_or_else(|| d.version.clone()),
                ))
                .set_tags(Some(kit::tags::string_map(&tags)));
            // The node role may be new: retried while EKS cannot see it yet.
            kit::retry_when(
                stop,
                deadline.min(kit::wait::deadline_in(kit::retry::PROPAGATION)),
                |e| {
                    e.is_not_found()
                        || (e.is_code(&["InvalidParameterException"]) && e.message.contains("role"))
                },
                || async { r.clone().send().await.op("CreateNodegroup") },
            )
            .await?;
            wait_nodegroup(aws, stop, cluster, &eks_name, deadline).await?;
        }
        Some(s) => {
            sync_settings_tag(aws, &s.arn, &s.tags, spec.settings()).await?;
            let size_drift = s.spec.min_size != spec.min_size
                || s.spec.max_size != spec.max_size
                || (!spec.autoscaler && s.spec.desired_size != spec.desired_size);
            let labels_drift = s.spec.labels != spec.labels;
            let taints_drift = s.spec.taints != spec.taints;
            if size_drift
                || labels_drift
                || taints_drift
                || s.spec.max_unavailable != spec.max_unavailable
            {
                let mut scaling_ = spec.clone();
                if spec.autoscaler {
                    scaling_.desired_size = s.spec.desired_size.clamp(spec.min_size, spec.max_size);
                }
                let removed: Vec<String> = s
                    .spec
                    .labels
                    .keys()
                    .filter(|k| !spec.labels.contains_key(*k))
                    .cloned()
                    .collect();
                let taint_keys = |t: &[(String, String, String)]| -> Vec<(String, String)> {
                    t.iter().map(|(k, _, e)| (k.clone(), e.clone())).collect()
                };
                let kept = taint_keys(&spec.taints);
                let gone: Vec<eks::Taint> = (s.spec.taints.iter())
                    .filter(|(k, _, e)| !kept.contains(&(k.clone(), e.clone())))
                    .map(|(k, _, e)| {
                        eks::Taint::builder()
                            .key(k)
                            .effect(eks::TaintEffect::from(e.as_str()))
                            .build()
                    })
                    .collect();
                let taint_change = taints_drift.then(|| {
                    eks::UpdateTaintsPayload::builder()
                        .set_add_or_update_taints(Some(taints(spec)).filter(|t| !t.is_empty()))
                        .set_remove_taints(Some(gone).filter(|t| !t.is_empty()))
                        .build()
                });
                let r = aws
                    .eks
                    .update_nodegroup_config()
                    .cluster_name(cluster)
                    .nodegroup_name(&s.eks_name)
                    .scaling_config(scaling(&scaling_))
                    .set_taints(taint_change)
                    .labels(
                        eks::UpdateLabelsPayload::builder()
                            .set_add_or_update_labels(Some(
                                spec.labels.clone().into_iter().collect(),
                            ))
                            .set_remove_labels((!removed.is_empty()).then_some(removed))
                            .build(),
                    )
                    .update_config(
                        eks::NodegroupUpdateConfig::builder()
                            .max_unavailable(spec.max_unavailable)
                            .build(),
                    )
                    .send()
                    .await
                    .op("UpdateNodegroupConfig")?;
                if let Some(id) = r.update().and_then(|u| u.id()) {
                    wait_update(aws, stop, cluster, id, Some(&s.eks_name), None, deadline).await?;
                }
            }
        }
    }
    Ok(stale)
}

pub(super) async fn delete_nodegroup(
    aws: &Aws,
    stop: &Stop,
    cluster: &str,
    ng: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    let e = &aws.eks;
    kit::delete_and_wait(
        stop,
        format!("node group {ng}"),
        deadline,
        || async {
            e.delete_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(ng)
                .send()
                .await
                .op("DeleteNodegroup")
                .map(|_| ())
        },
        || async {
            let r = e
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(ng)
                .send()
                .await
                .op("DescribeNodegroup");
            let Some(r) = found(r, &["ResourceNotFoundException"])? else {
                return Ok(false);
            };
            let n = r.nodegroup();
            let failed = n.and_then(|n| n.status()) == Some(&eks::NodegroupStatus::DeleteFailed);
            still_deleting(
                "DeleteNodegroup",
                &format!("node group {ng}"),
                failed,
                ng_health(n),
            )
        },
    )
    .await
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // SDK error types in scripted answers
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use crate::framework::Value;
    use aws_sdk_eks::operation::create_nodegroup::CreateNodegroupOutput;
    use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupOutput;
    use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
    use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
    use aws_sdk_eks::operation::tag_resource::TagResourceOutput;
    use aws_sdk_eks::operation::untag_resource::UntagResourceOutput;
    use aws_sdk_eks::operation::update_nodegroup_config::UpdateNodegroupConfigOutput;
    use aws_sdk_eks::Client as Eks;
    use std::collections::HashMap;
    use std::time::Duration;

    const NAME: &str = "demo";
    const NODE_ROLE: &str = "arn:aws:iam::111122223333:role/ode/demo/demo-node";
    const NG_ARN: &str = "arn:aws:eks:us-east-1:111122223333:nodegroup/demo/workers/1";
    const HEALTH: &str = "Instances failed to join the kubernetes cluster";

    fn desired() -> Desired {
        Desired::from_value(&Value::object([
            ("name", Value::string(NAME)),
            ("kubernetes_version", Value::string("1.30")),
            ("subnet_ids", Value::string_list(["subnet-1", "subnet-2"])),
        ]))
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    fn spec() -> NodeGroupSpec {
        NodeGroupSpec {
            instance_types: vec!["t3.medium".into()],
            capacity_type: "ON_DEMAND".into(),
            min_size: 1,
            max_size: 3,
            desired_size: 2,
            disk_size: 20,
            ami_type: "AL2023_x86_64_STANDARD".into(),
            labels: BTreeMap::from([("role".to_string(), "app".to_string())]),
            taints: vec![],
            max_unavailable: 1,
            autoscaler: false,
            version: None,
        }
    }

    fn nodegroup(name: &str, status: eks::NodegroupStatus) -> eks::Nodegroup {
        eks::Nodegroup::builder()
            .nodegroup_name(name)
            .status(status)
            .health(
                eks::NodegroupHealth::builder()
                    .issues(
                        eks::Issue::builder()
                            .code(eks::NodegroupIssueCode::NodeCreationFailure)
                            .message(HEALTH)
                            .resource_ids("i-1")
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    /// DescribeNodegroup answers `ng` for its name.
    fn states(fake: &Fake, times: usize, ng: eks::Nodegroup) {
        answer!(fake, Eks::describe_nodegroup, move |i| {
            if i.cluster_name() != Some(NAME) || i.nodegroup_name() != ng.nodegroup_name() {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeNodegroupOutput::builder().nodegroup(ng.clone()).build())
        }; times = times);
    }

    fn missing(fake: &Fake, times: usize) {
        answer!(fake, Eks::describe_nodegroup, |_| Err(failure(
            "ResourceNotFoundException",
            "No node group found for name: workers."
        )); times = times);
    }

    fn update(id: &str, status: eks::UpdateStatus) -> eks::Update {
        eks::Update::builder().id(id).status(status).build()
    }

    fn updates(fake: &Fake, times: usize, u: eks::Update) {
        answer!(fake, Eks::describe_update, move |i| {
            if i.name() != Some(NAME)
                || i.update_id() != u.id()
                || i.nodegroup_name() != Some("workers")
            {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeUpdateOutput::builder().update(u.clone()).build())
        }; times = times);
    }

    fn stale_is(got: Vec<String>, want: &[&str]) -> Result<(), AwsError> {
        if got == want {
            Ok(())
        } else {
            Err(AwsError::new(
                "Test",
                "WrongStale",
                format!("stale generations {got:?}, want {want:?}"),
            ))
        }
    }

    // ----------------------------------------------------------- wait_nodegroup

    #[tokio::test(start_paused = true)]
    async fn wait_nodegroup_table() {
        use eks::NodegroupStatus::*;
        let cases = [
            Case {
                name: "CREATING then ACTIVE",
                script: |f| {
                    states(f, 2, nodegroup("workers", Creating));
                    states(f, 1, nodegroup("workers", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "not found right after create, then ACTIVE",
                script: |f| {
                    missing(f, 2);
                    states(f, 1, nodegroup("workers", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Eks::describe_nodegroup, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DescribeNodegroup"
                    )))
                },
                want: Err("AccessDeniedException: not authorized to perform: eks:DescribeNodegroup"),
            },
            Case {
                name: "CREATE_FAILED, with its health issues",
                script: |f| states(f, 1, nodegroup("workers", CreateFailed)),
                want: Err("node group workers to become ACTIVE failed: CREATE_FAILED: NodeCreationFailure: Instances failed to join"),
            },
            Case {
                name: "DEGRADED, with its health issues",
                script: |f| {
                    states(f, 1, nodegroup("workers", Creating));
                    states(f, 1, nodegroup("workers", Degraded));
                },
                want: Err("NodeCreationFailure: Instances failed to join the kubernetes cluster"),
            },
            Case {
                name: "CREATE_FAILED without health issues",
                script: |f| {
                    let mut ng = nodegroup("workers", CreateFailed);
                    ng.health = None;
                    states(f, 1, ng);
                },
                want: Err("no health issues reported"),
            },
        ];
        table(&cases, |aws, stop| async move {
            wait_nodegroup(&aws, &stop, NAME, "workers", deadline()).await
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_nodegroup_stops_on_request() {
        stops_promptly(
            |f| states(f, usize::MAX, nodegroup("workers", eks::NodegroupStatus::Creating)),
            |aws, stop| async move {
                wait_nodegroup(&aws, &stop, NAME, "workers", deadline()).await
            },
        )
        .await;
        stops_promptly(
            |f| {
                answer!(f, Eks::describe_nodegroup, |_| {
                    Ok(DescribeNodegroupOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            |aws, stop| async move {
                wait_nodegroup(&aws, &stop, NAME, "workers", deadline()).await
            },
        )
        .await;
    }

    // ------------------------------------------------- ensure_nodegroup: create

    /// CreateNodegroup answers when the request carries `spec()` for the stack,
    /// under a name `name_ok` accepts.
    fn created(fake: &Fake, name_ok: fn(&str) -> bool) {
        answer!(fake, Eks::create_nodegroup, move |i| {
            let (d, s) = (desired(), spec());
            let tag = |k: &str| i.tags().and_then(|t| t.get(k)).map(String::as_str);
            let scaling = i
                .scaling_config()
                .map(|c| (c.min_size(), c.max_size(), c.desired_size()));
            let labels: Option<BTreeMap<String, String>> =
                i.labels().map(|l| l.clone().into_iter().collect());
            let ok = i.cluster_name() == Some(NAME)
                && i.nodegroup_name().is_some_and(name_ok)
                && i.node_role() == Some(NODE_ROLE)
                && i.version() == Some(d.version.as_str())
                && i.subnets() == d.subnet_ids.as_slice()
                && i.instance_types() == s.instance_types.as_slice()
                && i.capacity_type().map(|c| c.as_str()) == Some(s.capacity_type.as_str())
                && i.ami_type().map(|a| a.as_str()) == Some(s.ami_type.as_str())
                && i.disk_size() == Some(s.disk_size)
                && scaling == Some((Some(s.min_size), Some(s.max_size), Some(s.desired_size)))
                && labels == Some(s.labels.clone())
                && i.taints().is_empty()
                && tag(&owner_key("stack")) == Some(NAME)
                && tag(&owner_key("key")) == Some("nodegroup/workers")
                && tag(&owner_key("spec")) == Some(s.immutable().as_str());
            if !ok {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(CreateNodegroupOutput::builder().build())
        }; times = 1);
    }

    fn first_name(n: &str) -> bool {
        n == "workers"
    }

    async fn ensure_first(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        let stale = ensure_nodegroup(
            &aws,
            &stop,
            &desired(),
            "workers",
            &spec(),
            &[],
            NODE_ROLE,
            deadline(),
        )
        .await?;
        stale_is(stale, &[])
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_create_table() {
        use eks::NodegroupStatus::*;
        let cases = [
            Case {
                name: "first generation, named after its key, then ACTIVE",
                script: |f| {
                    created(f, first_name);
                    states(f, 1, nodegroup("workers", Creating));
                    states(f, 1, nodegroup("workers", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "a node role EKS cannot see yet: the create is retried",
                script: |f| {
                    answer!(f, Eks::create_nodegroup, |_| Err(failure(
                        "InvalidParameterException",
                        "Following required service principals [ec2.amazonaws.com] were not found in the trust relationships of nodeRole arn:aws:iam::111122223333:role/ode/demo/demo-node"
                    )); times = 2);
                    created(f, first_name);
                    states(f, 1, nodegroup("workers", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "CreateNodegroup refused",
                script: |f| {
                    answer!(f, Eks::create_nodegroup, |_| Err(failure(
                        "ResourceLimitExceededException",
                        "Nodegroups per cluster limit exceeded"
                    )))
                },
                want: Err("CreateNodegroup: ResourceLimitExceededException: Nodegroups per cluster limit exceeded"),
            },
            Case {
                name: "not found right after create, then ACTIVE",
                script: |f| {
                    created(f, first_name);
                    missing(f, 1);
                    states(f, 1, nodegroup("workers", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "CREATE_FAILED, with its health issues",
                script: |f| {
                    created(f, first_name);
                    states(f, 1, nodegroup("workers", Creating));
                    states(f, 1, nodegroup("workers", CreateFailed));
                },
                want: Err("NodeCreationFailure: Instances failed to join the kubernetes cluster"),
            },
        ];
        table(&cases, ensure_first).await;
    }

    /// A group of the same settings whose create failed: deleted (and seen gone)
    /// first, then made again under its own name.
    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_makes_a_failed_group_again() {
        use eks::NodegroupStatus::*;
        let cases = [
            Case {
                name: "deleted, gone, then made again and ACTIVE",
                script: |f| {
                    answer!(f, Eks::delete_nodegroup, |i| {
                        if i.nodegroup_name() != Some("workers") {
                            return Err(failure("UnexpectedInput", &format!("{i:?}")));
                        }
                        Ok(DeleteNodegroupOutput::builder().build())
                    }; times = 1);
                    missing(f, 1);
                    created(f, first_name);
                    states(f, 1, nodegroup("workers", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "the delete refused: nothing is made",
                script: |f| {
                    answer!(f, Eks::delete_nodegroup, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DeleteNodegroup"
                    )));
                },
                want: Err("DeleteNodegroup: AccessDeniedException"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let mut failed = current();
            failed.status = CREATE_FAILED.into();
            failed.spec = spec();
            let stale = ensure_nodegroup(
                &aws,
                &stop,
                &desired(),
                "workers",
                &spec(),
                &[failed],
                NODE_ROLE,
                deadline(),
            )
            .await?;
            stale_is(stale, &[])
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_stops_on_request() {
        stops_promptly(
            |f| {
                created(f, first_name);
                states(
                    f,
                    usize::MAX,
                    nodegroup("workers", eks::NodegroupStatus::Creating),
                );
            },
            ensure_first,
        )
        .await;
        stops_promptly(
            |f| {
                answer!(f, Eks::create_nodegroup, |_| Err(failure(
                    "InvalidParameterException",
                    "The node role arn:aws:iam::111122223333:role/ode/demo/demo-node is not valid"
                )))
            },
            ensure_first,
        )
        .await;
    }

    // ------------------------------------------------ ensure_nodegroup: replace

    fn old_generation(eks_name: &str) -> NodeGroupSeen {
        let mut s = spec();
        s.instance_types = vec!["t3.small".into()];
        NodeGroupSeen {
            eks_name: eks_name.into(),
            arn: format!("arn:aws:eks:us-east-1:111122223333:nodegroup/demo/{eks_name}/0"),
            status: "ACTIVE".into(),
            version: "1.30".into(),
            tags: BTreeMap::from([(owner_key("spec"), s.immutable())]),
            spec: s,
        }
    }

    fn next_name(n: &str) -> bool {
        n.len() == "workers-".len() + 6
            && n.strip_prefix("workers-")
                .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_replace_table() {
        use eks::NodegroupStatus::*;
        fn next(status: eks::NodegroupStatus) -> eks::Nodegroup {
            let name = generation_name("workers", &spec(), &[old_generation("workers")]);
            nodegroup(&name, status)
        }
        let cases = [
            Case {
                name: "settings AWS cannot change: a new generation, the old one stale",
                script: |f| {
                    created(f, next_name);
                    states(f, 1, next(Creating));
                    states(f, 1, next(Active));
                },
                want: Ok(()),
            },
            Case {
                name: "the new generation fails: nothing stale yet",
                script: |f| {
                    created(f, next_name);
                    states(f, 1, next(CreateFailed));
                },
                want: Err("NodeCreationFailure: Instances failed to join"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let seen = [old_generation("workers")];
            let stale = ensure_nodegroup(
                &aws,
                &stop,
                &desired(),
                "workers",
                &spec(),
                &seen,
                NODE_ROLE,
                deadline(),
            )
            .await?;
            stale_is(stale, &["workers"])
        })
        .await;
    }

    // ------------------------------------------------- ensure_nodegroup: update

    /// The current generation (its immutable settings are `spec()`'s), seen
    /// with one node less and a label `spec()` no longer has.
    fn current() -> NodeGroupSeen {
        let mut s = spec();
        s.desired_size = 1;
        s.labels.insert("old".into(), "x".into());
        NodeGroupSeen {
            eks_name: "workers".into(),
            arn: NG_ARN.into(),
            status: "ACTIVE".into(),
            version: "1.30".into(),
            tags: BTreeMap::from([(owner_key("spec"), spec().immutable())]),
            spec: s,
        }
    }

    fn config_updated(fake: &Fake) {
        answer!(fake, Eks::update_nodegroup_config, |i| {
            let s = spec();
            let scaling = i
                .scaling_config()
                .map(|c| (c.min_size(), c.max_size(), c.desired_size()));
            let labels = i.labels();
            let want_labels: HashMap<String, String> = s.labels.clone().into_iter().collect();
            let ok = i.cluster_name() == Some(NAME)
                && i.nodegroup_name() == Some("workers")
                && scaling == Some((Some(s.min_size), Some(s.max_size), Some(s.desired_size)))
                && labels.and_then(|l| l.add_or_update_labels()) == Some(&want_labels)
                && labels.map(|l| l.remove_labels()) == Some(&["old".to_string()][..])
                && i.update_config().and_then(|u| u.max_unavailable()) == Some(s.max_unavailable);
            if !ok {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(UpdateNodegroupConfigOutput::builder()
                .update(update("u-1", eks::UpdateStatus::InProgress))
                .build())
        }; times = 1);
    }

    async fn ensure_current(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        let seen = [current(), old_generation("workers-0a1b2c")];
        let stale = ensure_nodegroup(
            &aws,
            &stop,
            &desired(),
            "workers",
            &spec(),
            &seen,
            NODE_ROLE,
            deadline(),
        )
        .await?;
        stale_is(stale, &["workers-0a1b2c"])
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_update_table() {
        use eks::UpdateStatus::*;
        let cases = [
            Case {
                name: "size and labels drifted: config updated, the update waited for",
                script: |f| {
                    config_updated(f);
                    updates(f, 1, update("u-1", InProgress));
                    updates(f, 1, update("u-1", Successful));
                },
                want: Ok(()),
            },
            Case {
                name: "UpdateNodegroupConfig refused",
                script: |f| {
                    answer!(f, Eks::update_nodegroup_config, |_| Err(failure(
                        "ResourceInUseException",
                        "Nodegroup workers is currently in UPDATING state"
                    )))
                },
                want: Err("UpdateNodegroupConfig: ResourceInUseException: Nodegroup workers is currently in UPDATING state"),
            },
            Case {
                name: "the update fails with AWS's reason",
                script: |f| {
                    config_updated(f);
                    updates(
                        f,
                        1,
                        eks::Update::builder()
                            .id("u-1")
                            .status(Failed)
                            .errors(
                                eks::ErrorDetail::builder()
                                    .error_code(eks::ErrorCode::InsufficientFreeAddresses)
                                    .error_message("Subnet subnet-1 has no free addresses")
                                    .build(),
                            )
                            .build(),
                    );
                },
                want: Err("update u-1 of workers failed: InsufficientFreeAddresses: Subnet subnet-1 has no free addresses"),
            },
            Case {
                name: "the update not found right after it started",
                script: |f| {
                    config_updated(f);
                    answer!(f, Eks::describe_update, |_| Err(failure(
                        "ResourceNotFoundException",
                        "No update found for ID: u-1"
                    )); times = 1);
                    updates(f, 1, update("u-1", Successful));
                },
                want: Ok(()),
            },
        ];
        table(&cases, ensure_current).await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_update_stops_on_request() {
        stops_promptly(
            |f| {
                config_updated(f);
                updates(f, usize::MAX, update("u-1", eks::UpdateStatus::InProgress));
            },
            ensure_current,
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_in_sync_makes_no_call() {
        let cases = [Case {
            name: "in sync: nothing to do",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, stop| async move {
            let mut seen = current();
            seen.spec = spec();
            let stale = ensure_nodegroup(
                &aws,
                &stop,
                &desired(),
                "workers",
                &spec(),
                &[seen],
                NODE_ROLE,
                deadline(),
            )
            .await?;
            stale_is(stale, &[])
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_autoscaler_table() {
        // The autoscaler owns the size: the size it chose (5) is kept within the
        // new bounds (1..=3), and the group's settings tag says who owns it.
        fn autoscaled() -> NodeGroupSpec {
            NodeGroupSpec {
                autoscaler: true,
                ..spec()
            }
        }
        fn tagged(f: &Fake) {
            answer!(f, Eks::tag_resource, |i| {
                let want = autoscaled().settings().unwrap_or_default();
                let v = i.tags().and_then(|t| t.get(&kit::tags::settings_key()));
                if i.resource_arn() != Some(NG_ARN) || v != Some(&want) {
                    return Err(failure("UnexpectedInput", &format!("{i:?}")));
                }
                Ok(TagResourceOutput::builder().build())
            }; times = 1);
        }
        let cases = [
            Case {
                name: "settings tag added, desired size clamped into the bounds",
                script: |f| {
                    tagged(f);
                    answer!(f, Eks::update_nodegroup_config, |i| {
                        let s = autoscaled();
                        let desired = i.scaling_config().and_then(|c| c.desired_size());
                        if desired != Some(s.max_size) {
                            return Err(failure("UnexpectedInput", &format!("{i:?}")));
                        }
                        Ok(UpdateNodegroupConfigOutput::builder().build())
                    }; times = 1);
                },
                want: Ok(()),
            },
            Case {
                name: "TagResource refused",
                script: |f| {
                    answer!(f, Eks::tag_resource, |_| Err(failure(
                        "BadRequestException",
                        "tag value is not valid"
                    )))
                },
                want: Err("TagResource: BadRequestException: tag value is not valid"),
            },
        ];
        table(&cases, |aws, stop| async move {
            let mut seen = current();
            seen.spec.desired_size = 5;
            seen.spec.max_size = 6;
            let stale = ensure_nodegroup(
                &aws,
                &stop,
                &desired(),
                "workers",
                &autoscaled(),
                &[seen],
                NODE_ROLE,
                deadline(),
            )
            .await?;
            stale_is(stale, &[])
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_nodegroup_updates_taints() {
        let cases = [Case {
            name: "a taint added",
            script: |f| {
                answer!(f, Eks::update_nodegroup_config, |i| {
                    let added = i.taints().map(|t| t.add_or_update_taints()).unwrap_or_default();
                    let ok = added.len() == 1
                        && added[0].key() == Some("dedicated")
                        && added[0].value() == Some("gpu")
                        && added[0].effect() == Some(&eks::TaintEffect::NoSchedule);
                    if !ok {
                        return Err(failure(
                            "UnexpectedInput",
                            &format!("taints not updated: {i:?}"),
                        ));
                    }
                    Ok(UpdateNodegroupConfigOutput::builder().build())
                }; times = 1);
            },
            want: Ok(()),
        }];
        table(&cases, |aws, stop| async move {
            let mut seen = current();
            seen.spec = spec();
            let mut want = spec();
            want.taints = vec![("dedicated".into(), "gpu".into(), "NO_SCHEDULE".into())];
            ensure_nodegroup(
                &aws,
                &stop,
                &desired(),
                "workers",
                &want,
                &[seen],
                NODE_ROLE,
                deadline(),
            )
            .await
        })
        .await;
    }

    // --------------------------------------------------------- delete_nodegroup

    fn deleted(fake: &Fake) {
        answer!(fake, Eks::delete_nodegroup, |i| {
            if i.cluster_name() != Some(NAME) || i.nodegroup_name() != Some("workers") {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DeleteNodegroupOutput::builder().build())
        }; times = 1);
    }

    async fn delete_workers(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        delete_nodegroup(&aws, &stop, NAME, "workers", deadline()).await
    }

    #[tokio::test(start_paused = true)]
    async fn delete_nodegroup_table() {
        use eks::NodegroupStatus::*;
        let cases = [
            Case {
                name: "deleted: DELETING, then gone",
                script: |f| {
                    deleted(f);
                    states(f, 2, nodegroup("workers", Deleting));
                    missing(f, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "already gone",
                script: |f| {
                    answer!(f, Eks::delete_nodegroup, |_| Err(failure(
                        "ResourceNotFoundException",
                        "No node group found for name: workers."
                    )));
                    missing(f, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "in use: the delete is retried",
                script: |f| {
                    answer!(f, Eks::delete_nodegroup, |_| Err(failure(
                        "ResourceInUseException",
                        "Nodegroup workers is currently in UPDATING state"
                    )); times = 2);
                    deleted(f);
                    missing(f, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "DeleteNodegroup refused",
                script: |f| {
                    answer!(f, Eks::delete_nodegroup, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DeleteNodegroup"
                    )))
                },
                want: Err("DeleteNodegroup: AccessDeniedException: not authorized to perform: eks:DeleteNodegroup"),
            },
            Case {
                name: "AWS failure while waiting",
                script: |f| {
                    deleted(f);
                    answer!(f, Eks::describe_nodegroup, |_| Err(failure(
                        "ServerException",
                        "internal error"
                    )));
                },
                want: Err("DescribeNodegroup: ServerException: internal error"),
            },
        ];
        table(&cases, delete_workers).await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_nodegroup_failed_gives_the_reason() {
        let cases = [Case {
            name: "DELETE_FAILED, with its health issues",
            script: |f| {
                deleted(f);
                states(
                    f,
                    usize::MAX,
                    nodegroup("workers", eks::NodegroupStatus::DeleteFailed),
                );
            },
            want: Err("NodeCreationFailure: Instances failed to join the kubernetes cluster"),
        }];
        table(&cases, delete_workers).await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_nodegroup_stops_on_request() {
        stops_promptly(
            |f| {
                deleted(f);
                states(
                    f,
                    usize::MAX,
                    nodegroup("workers", eks::NodegroupStatus::Deleting),
                );
            },
            delete_workers,
        )
        .await;
        stops_promptly(
            |f| {
                answer!(f, Eks::delete_nodegroup, |_| Err(failure(
                    "ResourceInUseException",
                    "Nodegroup workers is currently in UPDATING state"
                )))
            },
            delete_workers,
        )
        .await;
    }

    // ------------------------------------------------------- sync_settings_tag

    #[tokio::test(start_paused = true)]
    async fn sync_settings_tag_table() {
        const V: &str = "scaling_owner=autoscaler desired_size=2";
        let key = || kit::tags::settings_key();
        let add = [
            Case {
                name: "missing: tagged",
                script: |f| {
                    answer!(f, Eks::tag_resource, |i| {
                        let v = i.tags().and_then(|t| t.get(&kit::tags::settings_key()));
                        if i.resource_arn() != Some(NG_ARN) || v.map(String::as_str) != Some(V) {
                            return Err(failure("UnexpectedInput", &format!("{i:?}")));
                        }
                        Ok(TagResourceOutput::builder().build())
                    }; times = 1)
                },
                want: Ok(()),
            },
            Case {
                name: "TagResource refused",
                script: |f| {
                    answer!(f, Eks::tag_resource, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:TagResource"
                    )))
                },
                want: Err("TagResource: AccessDeniedException"),
            },
        ];
        table(&add, |aws, _| async move {
            sync_settings_tag(&aws, NG_ARN, &BTreeMap::new(), Some(V.into())).await
        })
        .await;
        let remove = [
            Case {
                name: "no longer wanted: untagged",
                script: |f| {
                    answer!(f, Eks::untag_resource, |i| {
                        if i.resource_arn() != Some(NG_ARN)
                            || i.tag_keys() != [kit::tags::settings_key()]
                        {
                            return Err(failure("UnexpectedInput", &format!("{i:?}")));
                        }
                        Ok(UntagResourceOutput::builder().build())
                    }; times = 1)
                },
                want: Ok(()),
            },
            Case {
                name: "UntagResource refused",
                script: |f| {
                    answer!(f, Eks::untag_resource, |_| Err(failure(
                        "ResourceNotFoundException",
                        "The resource was not found"
                    )))
                },
                want: Err("UntagResource: ResourceNotFoundException"),
            },
        ];
        table(&remove, |aws, _| async move {
            let have = BTreeMap::from([(key(), V.to_string())]);
            sync_settings_tag(&aws, NG_ARN, &have, None).await
        })
        .await;
        let same = [Case {
            name: "as wanted: no call",
            script: |_| {},
            want: Ok(()),
        }];
        table(&same, |aws, _| async move {
            let have = BTreeMap::from([(key(), V.to_string())]);
            sync_settings_tag(&aws, NG_ARN, &have, Some(V.into())).await?;
            sync_settings_tag(&aws, NG_ARN, &BTreeMap::new(), None).await
        })
        .await;
    }

    // ------------------------------------------------------------ pure helpers

    #[test]
    fn generation_names() {
        let old = [old_generation("workers")];
        assert_eq!(generation_name("workers", &spec(), &[]), "workers");
        let next = generation_name("workers", &spec(), &old);
        assert!(next_name(&next), "{next}");
        // Stable for the same settings, different for others.
        assert_eq!(generation_name("workers", &spec(), &old), next);
        let mut other = spec();
        other.disk_size = 50;
        assert_ne!(generation_name("workers", &other, &old), next);
    }

    #[test]
    fn node_group_seen_reads_the_key_and_settings() {
        let ng = eks::Nodegroup::builder()
            .nodegroup_name("workers-0a1b2c")
            .nodegroup_arn(NG_ARN)
            .status(eks::NodegroupStatus::Active)
            .version("1.29")
            .instance_types("m5.large")
            .capacity_type(eks::CapacityTypes::Spot)
            .scaling_config(
                eks::NodegroupScalingConfig::builder()
                    .min_size(2)
                    .max_size(4)
                    .desired_size(3)
                    .build(),
            )
            .disk_size(40)
            .ami_type(eks::AmiTypes::BottlerocketX8664)
            .labels("role", "app")
            .taints(
                eks::Taint::builder()
                    .key("dedicated")
                    .value("gpu")
                    .effect(eks::TaintEffect::NoExecute)
                    .build(),
            )
            .update_config(
                eks::NodegroupUpdateConfig::builder()
                    .max_unavailable(2)
                    .build(),
            )
            .tags(owner_key("key"), "nodegroup/workers")
            .build();
        let (key, seen) = node_group_seen(&ng).expect("a node group of the stack");
        assert_eq!(key, "workers");
        assert_eq!(seen.eks_name, "workers-0a1b2c");
        assert_eq!(seen.arn, NG_ARN);
        assert_eq!(seen.status, "ACTIVE");
        assert_eq!(seen.version, "1.29");
        let s = &seen.spec;
        assert_eq!(s.instance_types, vec!["m5.large"]);
        assert_eq!(s.capacity_type, "SPOT");
        assert_eq!((s.min_size, s.max_size, s.desired_size), (2, 4, 3));
        assert_eq!(s.disk_size, 40);
        assert_eq!(s.ami_type, "BOTTLEROCKET_x86_64");
        assert_eq!(s.labels.get("role").map(String::as_str), Some("app"));
        assert_eq!(
            s.taints,
            vec![("dedicated".into(), "gpu".into(), "NO_EXECUTE".into())]
        );
        assert_eq!(s.max_unavailable, 2);
        assert_eq!(s.version.as_deref(), Some("1.29"));

        // Not the stack's: no key tag, or a key of another kind.
        let mut other = ng.clone();
        other.tags = None;
        assert!(node_group_seen(&other).is_none());
        let mut other = ng;
        other.tags = Some(HashMap::from([(owner_key("key"), "addon/x".to_string())]));
        assert!(node_group_seen(&other).is_none());
    }

    #[test]
    fn scaling_and_taints_carry_the_spec() {
        let mut s = spec();
        s.taints = vec![
            ("a".into(), "1".into(), "NO_SCHEDULE".into()),
            ("b".into(), "2".into(), "PREFER_NO_SCHEDULE".into()),
        ];
        let c = scaling(&s);
        assert_eq!(
            (c.min_size(), c.max_size(), c.desired_size()),
            (Some(1), Some(3), Some(2))
        );
        let got = taints(&s);
        let got: Vec<_> = got
            .iter()
            .map(|x| (x.key(), x.value(), x.effect().map(|e| e.as_str())))
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("a"), Some("1"), Some("NO_SCHEDULE")),
                (Some("b"), Some("2"), Some("PREFER_NO_SCHEDULE")),
            ]
        );
    }
}
