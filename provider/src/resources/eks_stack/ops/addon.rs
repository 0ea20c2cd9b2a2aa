//! Add-ons: the version EKS names as default, create/update, waiter and delete.

use super::*;

/// An add-on's health issues as `code: message`.
fn addon_health(a: Option<&eks::Addon>) -> Vec<String> {
    let health = a.and_then(|a| a.health()).map(|h| h.issues());
    issues(
        health.unwrap_or_default(),
        |i| i.code().map(|c| c.as_str()),
        |i| i.message(),
    )
}

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
            Some(s @ (eks::AddonStatus::CreateFailed | eks::AddonStatus::UpdateFailed)) => {
                Status::Failed(format!("{}{}", s.as_str(), health_text(&addon_health(a))))
            }
            // DEGRADED may recover (nodes still joining); a timeout names its issues.
            other => Status::Pending(format!(
                "{}{}",
                other.map_or("unknown", |s| s.as_str()),
                health_text(&addon_health(a))
            )),
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

/// One add-on EKS offers for a Kubernetes version: its versions, newest first, and
/// the one EKS names as default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferedAddon {
    pub versions: Vec<String>,
    pub default: Option<String>,
}

/// Every add-on EKS offers for `k8s` (DescribeAddonVersions, every page), by name.
pub async fn offered_addons(
    aws: &Aws,
    k8s: &str,
) -> Result<BTreeMap<String, OfferedAddon>, AwsError> {
    let infos = every(
        aws.eks
            .describe_addon_versions()
            .kubernetes_version(k8s)
            .into_paginator()
            .items()
            .send(),
    )
    .await
    .op("DescribeAddonVersions")?;
    Ok(infos
        .iter()
        .filter_map(|info| {
            let name = info.addon_name()?.to_string();
            let mut offered = OfferedAddon::default();
            for v in info.addon_versions() {
                let Some(version) = v.addon_version() else {
                    continue;
                };
                let default = v
                    .compatibilities()
                    .iter()
                    .any(|c| c.default_version() && c.cluster_version() == Some(k8s));
                if default {
                    offered.default = Some(version.to_string());
                }
                offered.versions.push(version.to_string());
            }
            Some((name, offered))
        })
        .collect())
}

/// The JSON schema of an add-on version's configuration values
/// (DescribeAddonConfiguration); None when EKS gives none.
pub async fn addon_config_schema(
    aws: &Aws,
    addon: &str,
    version: &str,
) -> Result<Option<serde_json::Value>, AwsError> {
    let r = aws
        .eks
        .describe_addon_configuration()
        .addon_name(addon)
        .addon_version(version)
        .send()
        .await
        .op("DescribeAddonConfiguration")?;
    Ok(r.configuration_schema()
        .and_then(|s| serde_json::from_str(s).ok()))
}

/// What a configuration schema refuses at the top level of `values`: keys it does not
/// define (when it allows no others) and values of the wrong JSON type. The deeper
/// levels are left to EKS, which checks the whole document when the add-on is made.
pub fn config_problems(schema: &serde_json::Value, values: &serde_json::Value) -> Vec<String> {
    let Some(values) = values.as_object() else {
        return vec!["the configuration must be a JSON object".into()];
    };
    let properties = schema.get("properties").and_then(|p| p.as_object());
    let closed = schema.get("additionalProperties") == Some(&serde_json::Value::Bool(false));
    let mut problems = Vec::new();
    for (key, value) in values {
        match properties.and_then(|p| p.get(key)) {
            None if closed => {
                let known: Vec<&str> = properties
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                problems.push(format!(
                    "{key:?} is not one of its settings ({})",
                    known.join(", ")
                ));
            }
            None => {}
            Some(p) => {
                let fits = match p.get("type").and_then(|t| t.as_str()) {
                    Some("object") => value.is_object(),
                    Some("array") => value.is_array(),
                    Some("string") => value.is_string(),
                    Some("boolean") => value.is_boolean(),
                    Some("integer") => value.is_i64() || value.is_u64(),
                    Some("number") => value.is_number(),
                    _ => true,
                };
                if !fits {
                    problems.push(format!(
                        "{key:?} must be of type {}",
                        p.get("type").and_then(|t| t.as_str()).unwrap_or_default()
                    ));
                }
            }
        }
    }
    problems
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
        // An add-on whose create failed cannot be repaired by an update: made again.
        Some(s) if s.status == CREATE_FAILED => {
            tracing::info!(
                cluster,
                addon = name,
                "re-creating an add-on whose create failed"
            );
            delete_addon(aws, stop, cluster, name, deadline).await?;
            None
        }
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
            let Some(r) = found(r, &["ResourceNotFoundException"])? else {
                return Ok(false);
            };
            let a = r.addon();
            let failed = a.and_then(|a| a.status()) == Some(&eks::AddonStatus::DeleteFailed);
            still_deleting(
                "DeleteAddon",
                &format!("add-on {addon}"),
                failed,
                addon_health(a),
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
    use aws_sdk_eks::operation::create_addon::CreateAddonOutput;
    use aws_sdk_eks::operation::delete_addon::DeleteAddonOutput;
    use aws_sdk_eks::operation::describe_addon::DescribeAddonOutput;
    use aws_sdk_eks::operation::describe_addon_versions::DescribeAddonVersionsOutput;
    use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
    use aws_sdk_eks::operation::update_addon::UpdateAddonOutput;
    use aws_sdk_eks::Client as Eks;
    use std::time::Duration;

    const NAME: &str = "demo";
    const ROLE: &str = "arn:aws:iam::111122223333:role/ode/demo/demo-sa-kube-system-ebs";
    const HEALTH: &str =
        "Conflicts found when trying to apply. Will not continue due to resolve conflicts mode.";

    fn desired() -> Desired {
        Desired::from_value(&Value::object([
            ("name", Value::string(NAME)),
            ("kubernetes_version", Value::string("1.30")),
            ("subnet_ids", Value::string_list(["subnet-1"])),
        ]))
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    fn addon(name: &str, status: eks::AddonStatus) -> eks::Addon {
        eks::Addon::builder()
            .addon_name(name)
            .status(status)
            .health(
                eks::AddonHealth::builder()
                    .issues(
                        eks::AddonIssue::builder()
                            .code(eks::AddonIssueCode::ConfigurationConflict)
                            .message(HEALTH)
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    /// DescribeAddon answers `a` for its name.
    fn states(fake: &Fake, times: usize, a: eks::Addon) {
        answer!(fake, Eks::describe_addon, move |i| {
            if i.cluster_name() != Some(NAME) || i.addon_name() != a.addon_name() {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeAddonOutput::builder().addon(a.clone()).build())
        }; times = times);
    }

    fn missing(fake: &Fake, times: usize) {
        answer!(fake, Eks::describe_addon, |i| Err(failure(
            "ResourceNotFoundException",
            &format!("No addon: {} found in cluster: demo", i.addon_name().unwrap_or_default())
        )); times = times);
    }

    fn update(id: &str, status: eks::UpdateStatus) -> eks::Update {
        eks::Update::builder().id(id).status(status).build()
    }

    fn updates(fake: &Fake, times: usize, u: eks::Update) {
        answer!(fake, Eks::describe_update, move |i| {
            if i.name() != Some(NAME)
                || i.update_id() != u.id()
                || i.addon_name() != Some("coredns")
                || i.nodegroup_name().is_some()
            {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeUpdateOutput::builder().update(u.clone()).build())
        }; times = times);
    }

    // --------------------------------------------------------------- wait_addon

    async fn wait_vpc_cni(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        wait_addon(&aws, &stop, NAME, "vpc-cni", deadline()).await
    }

    #[tokio::test(start_paused = true)]
    async fn wait_addon_table() {
        use eks::AddonStatus::*;
        let cases = [
            Case {
                name: "CREATING then ACTIVE",
                script: |f| {
                    states(f, 2, addon("vpc-cni", Creating));
                    states(f, 1, addon("vpc-cni", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "not found right after create, then ACTIVE",
                script: |f| {
                    missing(f, 2);
                    states(f, 1, addon("vpc-cni", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "DEGRADED for a while, then ACTIVE",
                script: |f| {
                    states(f, 2, addon("vpc-cni", Degraded));
                    states(f, 1, addon("vpc-cni", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "AWS failure",
                script: |f| {
                    answer!(f, Eks::describe_addon, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DescribeAddon"
                    )))
                },
                want: Err("AccessDeniedException: not authorized to perform: eks:DescribeAddon"),
            },
            Case {
                name: "CREATE_FAILED, with its health issues",
                script: |f| {
                    states(f, 1, addon("vpc-cni", Creating));
                    states(f, 1, addon("vpc-cni", CreateFailed));
                },
                want: Err(
                    "add-on vpc-cni to become ACTIVE failed: CREATE_FAILED: ConfigurationConflict: Conflicts found when trying to apply",
                ),
            },
            Case {
                name: "UPDATE_FAILED, with its health issues",
                script: |f| states(f, 1, addon("vpc-cni", UpdateFailed)),
                want: Err(
                    "add-on vpc-cni to become ACTIVE failed: UPDATE_FAILED: ConfigurationConflict: Conflicts found when trying to apply",
                ),
            },
        ];
        table(&cases, wait_vpc_cni).await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_addon_degraded_gives_the_reason() {
        let cases = [Case {
            name: "DEGRADED, with its health issues",
            script: |f| states(f, usize::MAX, addon("vpc-cni", eks::AddonStatus::Degraded)),
            want: Err("Conflicts found when trying to apply"),
        }];
        table(&cases, wait_vpc_cni).await;
    }

    #[tokio::test(start_paused = true)]
    async fn wait_addon_stops_on_request() {
        stops_promptly(
            |f| states(f, usize::MAX, addon("vpc-cni", eks::AddonStatus::Creating)),
            wait_vpc_cni,
        )
        .await;
        stops_promptly(
            |f| {
                answer!(f, Eks::describe_addon, |_| {
                    Ok(DescribeAddonOutput::builder().build())
                }; delay = Duration::from_secs(3600))
            },
            wait_vpc_cni,
        )
        .await;
    }

    // ---------------------------------------------------- default_addon_version

    fn info(version: &str, compat: &[(&str, bool)]) -> eks::AddonVersionInfo {
        eks::AddonVersionInfo::builder()
            .addon_version(version)
            .set_compatibilities(Some(
                compat
                    .iter()
                    .map(|(k, default)| {
                        eks::Compatibility::builder()
                            .cluster_version(*k)
                            .default_version(*default)
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    /// vpc-cni's versions: the newest is the default for 1.31 only; the default
    /// for 1.30 is v1.18.1-eksbuild.1.
    fn versions(fake: &Fake) {
        answer!(fake, Eks::describe_addon_versions, |i| {
            if i.addon_name() != Some("vpc-cni") || i.kubernetes_version() != Some("1.30") {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DescribeAddonVersionsOutput::builder()
                .addons(
                    eks::AddonInfo::builder()
                        .addon_name("vpc-cni")
                        .addon_versions(info(
                            "v1.19.0-eksbuild.1",
                            &[("1.31", true), ("1.30", false)],
                        ))
                        .addon_versions(info("v1.18.1-eksbuild.1", &[("1.30", true)]))
                        .build(),
                )
                .build())
        }; times = 1);
    }

    #[tokio::test]
    async fn default_addon_version_picks_eks_default() {
        let got = |script: fn(&Fake)| async move {
            let fake = Fake::new();
            script(&fake);
            let r = default_addon_version(&fake.aws(), "vpc-cni", "1.30").await;
            assert!(fake.unscripted().is_empty(), "{:?}", fake.unscripted());
            r
        };
        assert_eq!(
            got(versions).await,
            Ok(Some("v1.18.1-eksbuild.1".to_string()))
        );
        // No default for this version: the first listed.
        assert_eq!(
            got(|f| {
                answer!(f, Eks::describe_addon_versions, |_| {
                    Ok(DescribeAddonVersionsOutput::builder()
                        .addons(
                            eks::AddonInfo::builder()
                                .addon_versions(info("v1.19.0-eksbuild.1", &[("1.30", false)]))
                                .addon_versions(info("v1.18.1-eksbuild.1", &[("1.29", true)]))
                                .build(),
                        )
                        .build())
                })
            })
            .await,
            Ok(Some("v1.19.0-eksbuild.1".to_string()))
        );
        // An add-on EKS does not offer for this version.
        assert_eq!(
            got(|f| {
                answer!(f, Eks::describe_addon_versions, |_| {
                    Ok(DescribeAddonVersionsOutput::builder().build())
                })
            })
            .await,
            Ok(None)
        );
        let e = got(|f| {
            answer!(f, Eks::describe_addon_versions, |_| Err(failure(
                "InvalidParameterException",
                "Kubernetes version 1.30 is not supported"
            )))
        })
        .await
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "DescribeAddonVersions: InvalidParameterException: Kubernetes version 1.30 is not supported"
        );
    }

    // ---------------------------------------------------- ensure_addon: create

    /// CreateAddon answers when the request is vpc-cni at `version`, without a
    /// role (unless `role`), with the stack's tags.
    fn created(fake: &Fake, name: &'static str, version: &'static str, role: Option<&'static str>) {
        answer!(fake, Eks::create_addon, move |i| {
            let tag = |k: &str| i.tags().and_then(|t| t.get(k)).map(String::as_str);
            let ok = i.cluster_name() == Some(NAME)
                && i.addon_name() == Some(name)
                && i.addon_version() == Some(version)
                && i.service_account_role_arn() == role
                && i.configuration_values().is_none()
                && i.resolve_conflicts() == Some(&eks::ResolveConflicts::Overwrite)
                && tag(&owner_key("stack")) == Some(NAME)
                && tag(&owner_key("key")) == Some(format!("addon/{name}").as_str());
            if !ok {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(CreateAddonOutput::builder().build())
        }; times = 1);
    }

    async fn ensure_vpc_cni(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        let spec = AddonSpec {
            version: None,
            configuration: None,
            service_account: None,
        };
        ensure_addon(
            &aws,
            &stop,
            &desired(),
            "vpc-cni",
            &spec,
            None,
            None,
            "1.30",
            deadline(),
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_addon_create_table() {
        use eks::AddonStatus::*;
        let cases = [
            Case {
                name: "absent: created at EKS's default version, then ACTIVE",
                script: |f| {
                    versions(f);
                    created(f, "vpc-cni", "v1.18.1-eksbuild.1", None);
                    states(f, 1, addon("vpc-cni", Creating));
                    states(f, 1, addon("vpc-cni", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "DescribeAddonVersions fails",
                script: |f| {
                    answer!(f, Eks::describe_addon_versions, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DescribeAddonVersions"
                    )))
                },
                want: Err("DescribeAddonVersions: AccessDeniedException"),
            },
            Case {
                name: "CreateAddon refused",
                script: |f| {
                    versions(f);
                    answer!(f, Eks::create_addon, |_| Err(failure(
                        "InvalidParameterException",
                        "ConfigurationValue provided in request is not supported"
                    )));
                },
                want: Err("CreateAddon: InvalidParameterException: ConfigurationValue provided in request is not supported"),
            },
            Case {
                name: "not found right after create, then ACTIVE",
                script: |f| {
                    versions(f);
                    created(f, "vpc-cni", "v1.18.1-eksbuild.1", None);
                    missing(f, 2);
                    states(f, 1, addon("vpc-cni", Active));
                },
                want: Ok(()),
            },
            Case {
                name: "CREATE_FAILED, with AWS's reason",
                script: |f| {
                    versions(f);
                    created(f, "vpc-cni", "v1.18.1-eksbuild.1", None);
                    states(f, 1, addon("vpc-cni", CreateFailed));
                },
                want: Err("add-on vpc-cni to become ACTIVE failed: CREATE_FAILED: ConfigurationConflict: Conflicts found when trying to apply"),
            },
        ];
        table(&cases, ensure_vpc_cni).await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_addon_stops_on_request() {
        stops_promptly(
            |f| {
                versions(f);
                created(f, "vpc-cni", "v1.18.1-eksbuild.1", None);
                states(f, usize::MAX, addon("vpc-cni", eks::AddonStatus::Creating));
            },
            ensure_vpc_cni,
        )
        .await;
    }

    // ---------------------------------------------------- ensure_addon: update

    const PINNED: &str = "v1.11.3-eksbuild.2";
    const CONFIG: &str = "{\"replicaCount\":3}";

    fn coredns_spec() -> AddonSpec {
        AddonSpec {
            version: Some(PINNED.into()),
            configuration: Some(CONFIG.into()),
            service_account: None,
        }
    }

    fn coredns_seen() -> AddonSeen {
        AddonSeen {
            version: "v1.11.1-eksbuild.1".into(),
            status: "ACTIVE".into(),
            configuration: None,
            role_arn: None,
        }
    }

    /// UpdateAddon answers (with update `id`, if any) a request that moves
    /// coredns to the pinned version, configuration and role.
    fn updated(fake: &Fake, id: Option<&'static str>) {
        answer!(fake, Eks::update_addon, move |i| {
            let ok = i.cluster_name() == Some(NAME)
                && i.addon_name() == Some("coredns")
                && i.addon_version() == Some(PINNED)
                && i.configuration_values() == Some(CONFIG)
                && i.service_account_role_arn() == Some(ROLE)
                && i.resolve_conflicts() == Some(&eks::ResolveConflicts::Overwrite);
            if !ok {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(UpdateAddonOutput::builder()
                .set_update(id.map(|id| update(id, eks::UpdateStatus::InProgress)))
                .build())
        }; times = 1);
    }

    async fn ensure_coredns(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        let seen = coredns_seen();
        ensure_addon(
            &aws,
            &stop,
            &desired(),
            "coredns",
            &coredns_spec(),
            Some(&seen),
            Some(ROLE.into()),
            "1.30",
            deadline(),
        )
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_addon_update_table() {
        use eks::UpdateStatus::*;
        let cases = [
            Case {
                name: "version, configuration and role changed: updated, update waited for",
                script: |f| {
                    updated(f, Some("u-1"));
                    updates(f, 1, update("u-1", InProgress));
                    updates(f, 1, update("u-1", Successful));
                },
                want: Ok(()),
            },
            Case {
                name: "UpdateAddon refused",
                script: |f| {
                    answer!(f, Eks::update_addon, |_| Err(failure(
                        "InvalidParameterException",
                        "Addon version v1.11.3-eksbuild.2 is not supported"
                    )))
                },
                want: Err("UpdateAddon: InvalidParameterException: Addon version v1.11.3-eksbuild.2 is not supported"),
            },
            Case {
                name: "the update fails with AWS's reason",
                script: |f| {
                    updated(f, Some("u-1"));
                    updates(
                        f,
                        1,
                        eks::Update::builder()
                            .id("u-1")
                            .status(Failed)
                            .errors(
                                eks::ErrorDetail::builder()
                                    .error_code(eks::ErrorCode::ConfigurationConflict)
                                    .error_message(HEALTH)
                                    .build(),
                            )
                            .build(),
                    );
                },
                want: Err("update u-1 of coredns failed: ConfigurationConflict: Conflicts found"),
            },
            Case {
                name: "the update not found right after it started",
                script: |f| {
                    updated(f, Some("u-1"));
                    answer!(f, Eks::describe_update, |_| Err(failure(
                        "ResourceNotFoundException",
                        "No update found for ID: u-1"
                    )); times = 1);
                    updates(f, 1, update("u-1", Successful));
                },
                want: Ok(()),
            },
            Case {
                name: "no update id: the add-on is waited for",
                script: |f| {
                    updated(f, None);
                    states(f, 1, addon("coredns", eks::AddonStatus::Updating));
                    states(f, 1, addon("coredns", eks::AddonStatus::Active));
                },
                want: Ok(()),
            },
            Case {
                name: "no update id: UPDATE_FAILED with AWS's reason",
                script: |f| {
                    updated(f, None);
                    states(f, 1, addon("coredns", eks::AddonStatus::UpdateFailed));
                },
                want: Err("add-on coredns to become ACTIVE failed: UPDATE_FAILED: ConfigurationConflict: Conflicts found"),
            },
        ];
        table(&cases, ensure_coredns).await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_addon_update_stops_on_request() {
        stops_promptly(
            |f| {
                updated(f, Some("u-1"));
                updates(f, usize::MAX, update("u-1", eks::UpdateStatus::InProgress));
            },
            ensure_coredns,
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_addon_in_sync_makes_no_call() {
        let cases = [Case {
            name: "in sync: nothing to do",
            script: |_| {},
            want: Ok(()),
        }];
        table(&cases, |aws, stop| async move {
            let seen = AddonSeen {
                version: PINNED.into(),
                configuration: Some(CONFIG.into()),
                role_arn: Some(ROLE.into()),
                ..coredns_seen()
            };
            ensure_addon(
                &aws,
                &stop,
                &desired(),
                "coredns",
                &coredns_spec(),
                Some(&seen),
                Some(ROLE.into()),
                "1.30",
                deadline(),
            )
            .await
        })
        .await;
    }

    // ----------------------------------------------- ensure_addon: role removed

    const EBS: &str = "aws-ebs-csi-driver";
    const EBS_VERSION: &str = "v1.35.0-eksbuild.1";

    /// The EBS CSI driver, seen with a role, wanted without one: AWS cannot take
    /// the role away, so the add-on is deleted and made again.
    async fn ensure_ebs_without_role(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        let spec = AddonSpec {
            version: Some(EBS_VERSION.into()),
            configuration: None,
            service_account: None,
        };
        let seen = AddonSeen {
            version: EBS_VERSION.into(),
            status: "ACTIVE".into(),
            configuration: None,
            role_arn: Some(ROLE.into()),
        };
        ensure_addon(
            &aws,
            &stop,
            &desired(),
            EBS,
            &spec,
            Some(&seen),
            None,
            "1.30",
            deadline(),
        )
        .await
    }

    fn deleted(fake: &Fake, name: &'static str) {
        answer!(fake, Eks::delete_addon, move |i| {
            if i.cluster_name() != Some(NAME) || i.addon_name() != Some(name) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DeleteAddonOutput::builder().build())
        }; times = 1);
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_addon_role_removed_table() {
        use eks::AddonStatus::*;
        let cases = [
            Case {
                name: "deleted, gone, made again without a role",
                script: |f| {
                    deleted(f, EBS);
                    states(f, 1, addon(EBS, Deleting));
                    missing(f, 1);
                    created(f, EBS, EBS_VERSION, None);
                    states(f, 1, addon(EBS, Active));
                },
                want: Ok(()),
            },
            Case {
                name: "DeleteAddon refused: nothing made",
                script: |f| {
                    answer!(f, Eks::delete_addon, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DeleteAddon"
                    )))
                },
                want: Err("DeleteAddon: AccessDeniedException"),
            },
            Case {
                name: "CreateAddon refused after the delete",
                script: |f| {
                    deleted(f, EBS);
                    missing(f, 1);
                    answer!(f, Eks::create_addon, |_| Err(failure(
                        "ResourceInUseException",
                        "Addon aws-ebs-csi-driver already exists"
                    )));
                },
                want: Err(
                    "CreateAddon: ResourceInUseException: Addon aws-ebs-csi-driver already exists",
                ),
            },
        ];
        table(&cases, ensure_ebs_without_role).await;
    }

    // -------------------------------------------------------------- delete_addon

    async fn delete_coredns(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        delete_addon(&aws, &stop, NAME, "coredns", deadline()).await
    }

    #[tokio::test(start_paused = true)]
    async fn delete_addon_table() {
        use eks::AddonStatus::*;
        let cases = [
            Case {
                name: "deleted: DELETING, then gone",
                script: |f| {
                    deleted(f, "coredns");
                    states(f, 2, addon("coredns", Deleting));
                    missing(f, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "already gone",
                script: |f| {
                    answer!(f, Eks::delete_addon, |_| Err(failure(
                        "ResourceNotFoundException",
                        "No addon: coredns found in cluster: demo"
                    )));
                    missing(f, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "in use: the delete is retried",
                script: |f| {
                    answer!(f, Eks::delete_addon, |_| Err(failure(
                        "ResourceInUseException",
                        "Addon coredns is currently being updated"
                    )); times = 1);
                    deleted(f, "coredns");
                    missing(f, 1);
                },
                want: Ok(()),
            },
            Case {
                name: "DeleteAddon refused",
                script: |f| {
                    answer!(f, Eks::delete_addon, |_| Err(failure(
                        "AccessDeniedException",
                        "not authorized to perform: eks:DeleteAddon"
                    )))
                },
                want: Err("DeleteAddon: AccessDeniedException: not authorized to perform: eks:DeleteAddon"),
            },
            Case {
                name: "AWS failure while waiting",
                script: |f| {
                    deleted(f, "coredns");
                    answer!(f, Eks::describe_addon, |_| Err(failure(
                        "ServerException",
                        "internal error"
                    )));
                },
                want: Err("DescribeAddon: ServerException: internal error"),
            },
        ];
        table(&cases, delete_coredns).await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_addon_failed_gives_the_reason() {
        let cases = [Case {
            name: "DELETE_FAILED, with its health issues",
            script: |f| {
                deleted(f, "coredns");
                states(
                    f,
                    usize::MAX,
                    addon("coredns", eks::AddonStatus::DeleteFailed),
                );
            },
            want: Err("Conflicts found when trying to apply"),
        }];
        table(&cases, delete_coredns).await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_addon_stops_on_request() {
        stops_promptly(
            |f| {
                deleted(f, "coredns");
                states(f, usize::MAX, addon("coredns", eks::AddonStatus::Deleting));
            },
            delete_coredns,
        )
        .await;
    }

    #[test]
    fn early_addons_need_no_nodes_and_no_role() {
        let spec = |sa: Option<&str>| AddonSpec {
            version: None,
            configuration: None,
            service_account: sa.map(str::to_string),
        };
        let rows = [
            ("vpc-cni", None, true),
            ("kube-proxy", None, true),
            ("vpc-cni", Some("kube-system/aws-node"), false),
            ("coredns", None, false),
            ("aws-ebs-csi-driver", Some("kube-system/ebs"), false),
        ];
        for (name, sa, want) in rows {
            assert_eq!(early_addon(name, &spec(sa)), want, "{name} {sa:?}");
        }
    }
}
