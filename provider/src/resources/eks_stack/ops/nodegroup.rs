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
            Some(eks::NodegroupStatus::CreateFailed) | Some(eks::NodegroupStatus::Degraded) => {
                Status::Failed(
                    n.and_then(|n| n.health())
                        .map(|h| {
                            h.issues()
                                .iter()
                                .map(|i| {
                                    format!(
                                        "{}: {}",
                                        i.code().map(|c| c.as_str()).unwrap_or("?"),
                                        i.message().unwrap_or_default()
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                        .unwrap_or_else(|| "no health issues reported".into()),
                )
            }
            other => Status::Pending(format!("{other:?}")),
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

/// Creates, updates in place, or replaces (create-before-destroy) one node group.
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
                .set_tags(Some(tags.into_iter().collect()));
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
                let r = aws
                    .eks
                    .update_nodegroup_config()
                    .cluster_name(cluster)
                    .nodegroup_name(&s.eks_name)
                    .scaling_config(scaling(&scaling_))
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
            Ok(found(r, &["ResourceNotFoundException"])?.is_some())
        },
    )
    .await
}
