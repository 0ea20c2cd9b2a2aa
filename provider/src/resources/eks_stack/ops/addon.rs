//! Add-ons: the version EKS names as default, create/update, waiter and delete.

use super::*;

pub(super) async fn wait_addon(
    aws: &Aws,
    stop: &Stop,
    cluster: &str,
    addon: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    Waiter::new(
        "CreateAddon",
        format!("add-on {addon} to become ACTIVE"),
        deadline,
    )
    .wait(stop, || async {
        let r = aws
            .eks
            .describe_addon()
            .cluster_name(cluster)
            .addon_name(addon)
            .send()
            .await
            .op("DescribeAddon")?;
        let a = r.addon();
        Ok(match a.and_then(|a| a.status()) {
            Some(eks::AddonStatus::Active) => Status::Ready(()),
            Some(eks::AddonStatus::CreateFailed) | Some(eks::AddonStatus::UpdateFailed) => {
                Status::Failed(
                    a.and_then(|a| a.health())
                        .map(|h| {
                            h.issues()
                                .iter()
                                .map(|i| i.message().unwrap_or_default().to_string())
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                        .unwrap_or_default(),
                )
            }
            other => Status::Pending(format!("{other:?}")),
        })
    })
    .await
}

/// Add-ons created beside the node groups: those that run without nodes and
/// assume no role (an IRSA role is made in the same round, so those wait).
pub(super) fn early_addon(name: &str, spec: &AddonSpec) -> bool {
    NODELESS_ADDONS.contains(&name) && spec.service_account.is_none()
}

/// The add-on version EKS names as default for `k8s`.
pub async fn default_addon_version(
    aws: &Aws,
    addon: &str,
    k8s: &str,
) -> Result<Option<String>, AwsError> {
    let r = aws
        .eks
        .describe_addon_versions()
        .addon_name(addon)
        .kubernetes_version(k8s)
        .send()
        .await
        .op("DescribeAddonVersions")?;
    let versions = r
        .addons()
        .first()
        .map(|a| a.addon_versions())
        .unwrap_or_default();
    let default = versions.iter().find(|v| {
        v.compatibilities()
            .iter()
            .any(|c| c.default_version() && c.cluster_version() == Some(k8s))
    });
    Ok(default
        .or(versions.first())
        .and_then(|v| v.addon_version())
        .map(str::to_string))
}

/// Brings an add-on to its spec (create or update), then waits for it. `role` is
/// the IAM role its service account assumes (None: none).
#[allow(clippy::too_many_arguments)]
pub(super) async fn ensure_addon(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    name: &str,
    spec: &AddonSpec,
    seen: Option<&AddonSeen>,
    role: Option<String>,
    k8s: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    let version = match &spec.version {
        Some(v) => Some(v.clone()),
        None => default_addon_version(aws, name, k8s).await?,
    };
    let cluster = d.name.as_str();
    // AWS cannot take the role of an add-on away (UpdateAddon needs a role ARN):
    // the add-on is made again without one.
    let seen = match seen {
        Some(s) if s.role_arn.is_some() && role.is_none() => {
            tracing::info!(
                cluster,
                addon = name,
                "re-creating the add-on without its role"
            );
            delete_addon(aws, stop, cluster, name, deadline).await?;
            None
        }
        other => other,
    };
    match seen {
        None => {
            aws.eks
                .create_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .set_addon_version(version)
                .set_configuration_values(spec.configuration.clone())
                .set_service_account_role_arn(role)
                .resolve_conflicts(eks::ResolveConflicts::Overwrite)
                .set_tags(Some(
                    stack_tags(aws, d, &format!("addon/{name}"))
                        .into_iter()
                        .collect(),
                ))
                .send()
                .await
                .op("CreateAddon")?;
            wait_addon(aws, stop, cluster, name, deadline).await
        }
        Some(s) => {
            let want_version = version.unwrap_or_else(|| s.version.clone());
            if s.version == want_version
                && s.configuration == spec.configuration
                && s.role_arn == role
            {
                return Ok(());
            }
            let role = role.filter(|r| s.role_arn.as_ref() != Some(r));
            let r = aws
                .eks
                .update_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .addon_version(&want_version)
                .set_configuration_values(spec.configuration.clone())
                .set_service_account_role_arn(role)
                .resolve_conflicts(eks::ResolveConflicts::Overwrite)
                .send()
                .await
                .op("UpdateAddon")?;
            match r.update().and_then(|u| u.id()) {
                Some(id) => wait_update(aws, stop, cluster, id, None, Some(name), deadline).await,
                None => wait_addon(aws, stop, cluster, name, deadline).await,
            }
        }
    }
}

pub(super) async fn delete_addon(
    aws: &Aws,
    stop: &Stop,
    cluster: &str,
    addon: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    let e = &aws.eks;
    kit::delete_and_wait(
        stop,
        format!("add-on {addon}"),
        deadline,
        || async {
            e.delete_addon()
                .cluster_name(cluster)
                .addon_name(addon)
                .send()
                .await
                .op("DeleteAddon")
                .map(|_| ())
        },
        || async {
            let r = e
                .describe_addon()
                .cluster_name(cluster)
                .addon_name(addon)
                .send()
                .await
                .op("DescribeAddon");
            Ok(found(r, &["ResourceNotFoundException"])?.is_some())
        },
    )
    .await
}
