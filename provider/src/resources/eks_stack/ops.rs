//! AWS calls for `ode_eks_stack` (EKS, IAM, KMS).
//!
//! - [`read`] refreshes the stack in two dependent rounds of concurrent calls
//!   (list, then describe each child).
//! - [`reconcile`] is create, update, upgrade and drift repair: roles and key,
//!   then the cluster, then (concurrently) the OIDC provider and IRSA roles,
//!   access entries, node groups and the add-ons that need no nodes, then the
//!   add-ons that need nodes, then whatever the configuration no longer wants.
//! - [`delete`] tears down in a safe order: add-ons, node groups, access
//!   entries, IRSA roles and OIDC provider, cluster, roles, key.

use std::collections::BTreeMap;

use aws_sdk_eks::types as eks;
use futures::StreamExt;
use tokio::time::Instant;

use super::model::*;
use super::schema::NODELESS_ADDONS;
use crate::aws::{found, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::claim::{self, ClaimError, Owner, CREATING_TAG};
use crate::kit::tags::{owner_key, Tags};
use crate::kit::{self, first_error, gather, round, Fut, Status, Waiter};

/// IAM path of every role the stack creates: one ListRoles call finds them all.
pub fn role_path(stack: &str) -> String {
    format!("/ode/{stack}/")
}

fn stack_tags(aws: &Aws, d: &Desired, key: &str) -> Tags {
    let mut t = aws.tags_all(&d.tags);
    t.insert(owner_key("stack"), d.name.clone());
    t.insert(owner_key("key"), key.to_string());
    if let Some(fp) = &d.creating {
        if key == "cluster" || key.starts_with("role/") {
            t.insert(CREATING_TAG.to_string(), fp.clone());
        }
    }
    t
}

fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// The IAM OIDC provider ARN for a cluster's issuer.
pub fn oidc_arn(aws: &Aws, cluster_arn: &str, issuer: &str) -> String {
    format!(
        "arn:{}:iam::{}:oidc-provider/{}",
        aws.partition,
        account_of(cluster_arn),
        issuer.trim_start_matches("https://")
    )
}

// ------------------------------------------------------------------ read

async fn describe_cluster(aws: &Aws, name: &str) -> Result<Option<ClusterSeen>, AwsError> {
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

fn node_group_seen(n: &eks::Nodegroup) -> Option<(String, NodeGroupSeen)> {
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

/// Refreshes the stack: one round of lists and describes, then one round of
/// per-child describes. Returns an observation without a cluster when it is gone.
pub async fn read(aws: &Aws, d: &Desired) -> Result<Observed, AwsError> {
    let name = d.name.as_str();
    let e = &aws.eks;
    let (cluster, ngs, addons, entries, roles, logs) = tokio::join!(
        describe_cluster(aws, name),
        async {
            found(
                e.list_nodegroups()
                    .cluster_name(name)
                    .send()
                    .await
                    .op("ListNodegroups"),
                &["ResourceNotFoundException"],
            )
        },
        async {
            found(
                e.list_addons()
                    .cluster_name(name)
                    .send()
                    .await
                    .op("ListAddons"),
                &["ResourceNotFoundException"],
            )
        },
        async {
            found(
                e.list_access_entries()
                    .cluster_name(name)
                    .send()
                    .await
                    .op("ListAccessEntries"),
                &["ResourceNotFoundException"],
            )
        },
        async {
            aws.iam
                .list_roles()
                .path_prefix(role_path(name))
                .send()
                .await
                .op("ListRoles")
        },
        log_group(aws, d),
    );
    let mut obs = Observed {
        cluster: cluster?,
        ..Default::default()
    };
    obs.log_group = logs?;
    // The roles outlive the cluster: they are found even when it is gone, except by
    // a create, which checks the claim on each role it meets instead.
    let roles = roles?;
    let roles = match (&obs.cluster, &d.creating) {
        (None, Some(_)) => &[][..],
        _ => roles.roles(),
    };
    let mut sa_role_names = BTreeMap::new();
    for r in roles {
        let arn = r.arn().to_string();
        let name_ = r.role_name();
        if name_ == d.role_name("cluster") {
            obs.cluster_role_arn = Some(arn);
        } else if name_ == d.role_name("node") {
            obs.node_role_arn = Some(arn);
        } else if let Some(key) = d
            .service_accounts
            .keys()
            .find(|k| d.sa_role_name(k) == name_)
        {
            obs.sa_roles.insert(key.clone(), arn);
            let trust = r.assume_role_policy_document().map(decode_policy);
            obs.sa_trust.insert(key.clone(), trust.unwrap_or_default());
            sa_role_names.insert(key.clone(), name_.to_string());
        } else {
            // The path is the stack's own: a role on it is one the stack made.
            obs.stale_roles.push(name_.to_string());
        }
    }
    if obs.cluster.is_none() {
        return Ok(obs);
    }
    let ng_names: Vec<String> = ngs?.map(|r| r.nodegroups().to_vec()).unwrap_or_default();
    let addon_names: Vec<String> = addons?.map(|r| r.addons().to_vec()).unwrap_or_default();
    let (principals, others): (Vec<String>, Vec<String>) = entries?
        .map(|r| r.access_entries().to_vec())
        .unwrap_or_default()
        .into_iter()
        .partition(|p| d.access.contains_key(p));

    // Round 2: each child.
    let cluster_arn = obs
        .cluster
        .as_ref()
        .map(|c| c.arn.clone())
        .unwrap_or_default();
    let issuer = obs
        .cluster
        .as_ref()
        .map(|c| c.issuer.clone())
        .unwrap_or_default();
    let provider_arn = oidc_arn(aws, &cluster_arn, &issuer);
    let ng_futs = ng_names.iter().map(|n| async move {
        e.describe_nodegroup()
            .cluster_name(name)
            .nodegroup_name(n)
            .send()
            .await
            .op("DescribeNodegroup")
    });
    let addon_futs = addon_names.iter().map(|a| async move {
        e.describe_addon()
            .cluster_name(name)
            .addon_name(a)
            .send()
            .await
            .op("DescribeAddon")
    });
    let access_futs = principals.iter().map(|p| async move {
        e.list_associated_access_policies()
            .cluster_name(name)
            .principal_arn(p)
            .send()
            .await
            .op("ListAssociatedAccessPolicies")
            .map(|r| (p.clone(), r))
    });
    // Entries the configuration does not name: those the stack made (its tags say
    // so) were taken out of it; the others (EKS's own for the node role, or made
    // outside the stack) are left alone. The node role's entry is not looked at.
    let node_roles = [obs.node_role_arn.as_deref(), d.node_role_arn.as_deref()];
    let other_futs = others
        .iter()
        .filter(|p| !node_roles.contains(&Some(p.as_str())))
        .map(|p| async move {
            let r = e
                .describe_access_entry()
                .cluster_name(name)
                .principal_arn(p)
                .send()
                .await
                .op("DescribeAccessEntry");
            let ours = found(r, &["ResourceNotFoundException"])?
                .and_then(|r| r.access_entry()?.tags()?.get(&owner_key("stack")).cloned())
                .is_some_and(|stack| stack == d.name);
            Ok::<_, AwsError>(ours.then(|| p.clone()))
        });
    let sa_futs = sa_role_names.iter().map(|(key, role)| async move {
        let (attached, inline) = tokio::join!(
            aws.iam.list_attached_role_policies().role_name(role).send(),
            aws.iam
                .get_role_policy()
                .role_name(role)
                .policy_name("inline")
                .send()
        );
        let attached: Vec<String> = attached
            .op("ListAttachedRolePolicies")?
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        let inline = found(inline.op("GetRolePolicy"), &["NoSuchEntity"])?
            .map(|p| decode_policy(p.policy_document()));
        Ok::<_, AwsError>((key.clone(), (attached, inline)))
    });
    let oidc = async {
        if issuer.is_empty() {
            return Ok(None);
        }
        let r = aws
            .iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&provider_arn)
            .send()
            .await
            .op("GetOpenIDConnectProvider");
        Ok::<_, AwsError>(found(r, &["NoSuchEntity"])?.map(|_| provider_arn.clone()))
    };
    // The managed policies on the cluster and node roles the stack made.
    let made_roles: Vec<(&'static str, String)> = [
        ("cluster", &obs.cluster_role_arn),
        ("node", &obs.node_role_arn),
    ]
    .into_iter()
    .filter(|(_, arn)| arn.is_some())
    .map(|(suffix, _)| (suffix, d.role_name(suffix)))
    .collect();
    let role_futs = made_roles.iter().map(|(suffix, role)| async move {
        let r = aws
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .op("ListAttachedRolePolicies")?;
        let arns = r
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect::<Vec<_>>();
        Ok::<_, AwsError>((suffix.to_string(), arns))
    });
    // The cluster role's use of the secrets key (only on a role the stack made).
    let key_use = async {
        if obs.cluster_role_arn.is_none() {
            return Ok(None);
        }
        let r = aws
            .iam
            .get_role_policy()
            .role_name(d.role_name("cluster"))
            .policy_name("inline")
            .send()
            .await
            .op("GetRolePolicy");
        Ok::<_, AwsError>(
            found(r, &["NoSuchEntity"])?
                .map(|p| normalise_json(&decode_policy(p.policy_document()))),
        )
    };
    let (ngs, addons, access, others, sas, oidc, role_policies, key_use) = tokio::join!(
        futures::future::join_all(ng_futs),
        futures::future::join_all(addon_futs),
        futures::future::join_all(access_futs),
        futures::future::join_all(other_futs),
        futures::future::join_all(sa_futs),
        oidc,
        futures::future::join_all(role_futs),
        key_use,
    );
    obs.cluster_role_inline = key_use?;
    for r in role_policies {
        let (suffix, arns) = r?;
        obs.role_policies.insert(suffix, arns);
    }
    for r in ngs {
        let r = match r {
            Err(e) if e.is_not_found() => continue,
            other => other?,
        };
        if let Some((key, seen)) = r.nodegroup().and_then(node_group_seen) {
            if seen.status != "DELETING" {
                obs.node_groups.entry(key).or_default().push(seen);
            }
        }
    }
    for (name_, r) in addon_names.iter().zip(addons) {
        let r = match r {
            Err(e) if e.is_not_found() => continue,
            other => other?,
        };
        if let Some(a) = r.addon() {
            let status = a
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            if status == "DELETING" {
                continue;
            }
            obs.addons.insert(
                name_.clone(),
                AddonSeen {
                    version: a.addon_version().unwrap_or_default().to_string(),
                    status,
                    configuration: a.configuration_values().map(str::to_string),
                    role_arn: a
                        .service_account_role_arn()
                        .filter(|r| !r.is_empty())
                        .map(str::to_string),
                },
            );
        }
    }
    for r in access {
        let (p, r) = match r {
            Err(e) if e.is_not_found() => continue,
            other => other?,
        };
        let policies = r
            .associated_access_policies()
            .iter()
            .map(|a| {
                (
                    a.policy_arn().unwrap_or_default().to_string(),
                    a.access_scope()
                        .map(|s| s.namespaces().to_vec())
                        .unwrap_or_default(),
                )
            })
            .collect();
        obs.access.insert(p, policies);
    }
    for r in others {
        obs.stale_access.extend(r?);
    }
    for r in sas {
        let (key, policies) = r?;
        obs.sa_policies.insert(key, policies);
    }
    obs.oidc_provider_arn = oidc?;
    Ok(obs)
}

/// IAM returns policy documents URL-encoded.
fn decode_policy(doc: &str) -> String {
    let b = doc.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let decoded = match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) => hex(h).zip(hex(l)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match decoded {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(if b[i] == b'+' { b' ' } else { b[i] });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// For import: the service account keys (from their roles' `ode:key` tags) and the
/// access entries with an associated policy (EKS's own entries for node roles have
/// none) of the stack `name`.
pub async fn discover(aws: &Aws, name: &str) -> Result<(Vec<String>, Vec<String>), AwsError> {
    let (roles, entries) = tokio::join!(
        aws.iam.list_roles().path_prefix(role_path(name)).send(),
        aws.eks.list_access_entries().cluster_name(name).send(),
    );
    let roles: Vec<String> = roles
        .op("ListRoles")?
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    let principals = found(
        entries.op("ListAccessEntries"),
        &["ResourceNotFoundException"],
    )?
    .map(|r| r.access_entries().to_vec())
    .unwrap_or_default();
    let sa_futs = roles.iter().map(|r| async move {
        let got = aws.iam.get_role().role_name(r).send().await.op("GetRole")?;
        Ok::<_, AwsError>(got.role().and_then(|role| {
            role.tags()
                .iter()
                .find(|t| t.key() == owner_key("key"))
                .and_then(|t| t.value().strip_prefix("sa/").map(str::to_string))
        }))
    });
    let access_futs = principals.iter().map(|p| async move {
        let r = aws
            .eks
            .list_associated_access_policies()
            .cluster_name(name)
            .principal_arn(p)
            .send()
            .await
            .op("ListAssociatedAccessPolicies")?;
        Ok::<_, AwsError>((!r.associated_access_policies().is_empty()).then(|| p.clone()))
    });
    let (sas, access) = tokio::join!(
        futures::future::join_all(sa_futs),
        futures::future::join_all(access_futs)
    );
    let sas = sas
        .into_iter()
        .filter_map(|r| r.transpose())
        .collect::<Result<_, _>>()?;
    let access = access
        .into_iter()
        .filter_map(|r| r.transpose())
        .collect::<Result<_, _>>()?;
    Ok((sas, access))
}

/// The control plane log group's retention: None when the group is absent,
/// `Some(None)` when it keeps logs for ever.
async fn log_group(aws: &Aws, d: &Desired) -> Result<Option<Option<i32>>, AwsError> {
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
async fn ensure_log_group(
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

/// The cluster role's inline policy: the use of the secrets key `key`, and no
/// other key (normalised JSON, as read back).
pub fn key_policy(key: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "SecretsEnvelopeEncryption",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            "Resource": key,
        }]
    })
    .to_string()
}

/// A supplied secrets key must exist, be enabled and be a symmetric encryption key.
pub async fn check_supplied_key(aws: &Aws, arn: &str) -> Result<(), String> {
    let r = aws
        .kms
        .describe_key()
        .key_id(arn)
        .send()
        .await
        .op("DescribeKey");
    let meta = match r {
        Ok(r) => r.key_metadata().cloned(),
        Err(e) if e.is_not_found() || e.is_code(&["NotFoundException"]) => {
            return Err(format!("No KMS key {arn} in this account and region."))
        }
        // Without kms:DescribeKey the key cannot be judged here; EKS judges it at create.
        Err(e) if e.is_permission() => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let Some(m) = meta else {
        return Err(format!("KMS described no key for {arn}."));
    };
    let state = m
        .key_state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let usage = m
        .key_usage()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let spec = m
        .key_spec()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    if state != "Enabled" {
        return Err(format!(
            "The key {arn} is {state}; EKS needs an enabled key."
        ));
    }
    if usage != "ENCRYPT_DECRYPT" || spec != "SYMMETRIC_DEFAULT" {
        return Err(format!(
            "The key {arn} is a {spec} key for {usage}; EKS encrypts secrets only with a symmetric (SYMMETRIC_DEFAULT) ENCRYPT_DECRYPT key."
        ));
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

/// Whether `arn` is the secrets key the stack `name` created (its alias).
pub async fn is_stack_key(aws: &Aws, name: &str, arn: &str) -> bool {
    let alias = format!("alias/{name}-eks-secrets");
    matches!(
        aws.kms.describe_key().key_id(alias).send().await,
        Ok(r) if r.key_metadata().and_then(|m| m.arn()) == Some(arn)
    )
}

// ---------------------------------------------------------------- waiting

async fn wait_cluster(
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
async fn wait_update(
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

async fn wait_nodegroup(
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

async fn wait_addon(
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

// ------------------------------------------------------------------ IAM

const CLUSTER_POLICIES: [&str; 1] = ["AmazonEKSClusterPolicy"];
const NODE_POLICIES: [&str; 3] = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];

fn trust(service: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

/// The trust policy of an IRSA role: this cluster's service account `ns/name` only.
pub fn irsa_trust(provider_arn: &str, issuer: &str, ns: &str, name: &str) -> String {
    let host = issuer.trim_start_matches("https://");
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{host}:sub"): format!("system:serviceaccount:{ns}:{name}"),
                format!("{host}:aud"): "sts.amazonaws.com"
            }}
        }]
    })
    .to_string()
}

fn iam_tags(tags: &Tags) -> Result<Vec<aws_sdk_iam::types::Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| AwsError::build("CreateRole", e))
        })
        .collect()
}

/// Creates a role of the stack, or adopts it when an unfinished create of this
/// stack left it. A role of that name that is not ours fails the create.
async fn ensure_role(
    aws: &Aws,
    d: &Desired,
    name: &str,
    key: &str,
    trust_policy: String,
) -> Result<String, ClaimError> {
    let got = found(
        aws.iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .op("GetRole"),
        &["NoSuchEntity"],
    )?;
    if let Some(r) = got {
        let role = r.role();
        let tags: Tags = role
            .map(|r| {
                r.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let fp = d.creating.as_deref().unwrap_or_default();
        let ours = tags.get(&owner_key("stack")) == Some(&d.name);
        return match claim::judge(&tags, fp) {
            Owner::Ours if ours => Ok(role.map(|r| r.arn().to_string()).unwrap_or_default()),
            // An update: the role is the stack's own and finished.
            Owner::Managed if ours && d.creating.is_none() => {
                Ok(role.map(|r| r.arn().to_string()).unwrap_or_default())
            }
            owner => Err(ClaimError::Taken {
                what: format!("IAM role {name}"),
                owner: if ours { owner } else { Owner::Managed },
            }),
        };
    }
    let r = aws
        .iam
        .create_role()
        .role_name(name)
        .path(role_path(&d.name))
        .assume_role_policy_document(trust_policy)
        .set_tags(Some(iam_tags(&stack_tags(aws, d, key))?))
        .send()
        .await
        .op("CreateRole")?;
    Ok(r.role().map(|r| r.arn().to_string()).unwrap_or_default())
}

/// Attaches the AWS managed policies `names` (idempotent).
async fn attach(aws: &Aws, role: &str, arns: &[String]) -> Result<(), AwsError> {
    let futs: Vec<Fut<'_, ()>> = arns
        .iter()
        .map(|arn| -> Fut<'_, ()> {
            Box::pin(async move {
                aws.iam
                    .attach_role_policy()
                    .role_name(role)
                    .policy_arn(arn)
                    .send()
                    .await
                    .op("AttachRolePolicy")
                    .map(|_| ())
            })
        })
        .collect();
    first_error(round(&Stop::new(), "AttachRolePolicy", futs).await)
}

/// The managed policies a role the stack made must carry, by role suffix.
pub fn required_policies(aws: &Aws, suffix: &str) -> Vec<String> {
    managed(
        aws,
        if suffix == "cluster" {
            &CLUSTER_POLICIES
        } else {
            &NODE_POLICIES
        },
    )
}

fn managed(aws: &Aws, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| format!("arn:{}:iam::aws:policy/{n}", aws.partition))
        .collect()
}

/// Attaches the managed policies missing from a role the stack made (drift).
async fn reattach(aws: &Aws, d: &Desired, obs: &Observed, suffix: &str) -> Result<(), ClaimError> {
    let have = obs.role_policies.get(suffix).cloned().unwrap_or_default();
    let missing: Vec<String> = required_policies(aws, suffix)
        .into_iter()
        .filter(|p| !have.contains(p))
        .collect();
    attach(aws, &d.role_name(suffix), &missing)
        .await
        .map_err(ClaimError::Aws)
}

/// Deletes a role with its attached and inline policies.
async fn delete_role(
    aws: &Aws,
    stop: &Stop,
    name: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    let attached = match aws
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .op("ListAttachedRolePolicies")
    {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(e),
    };
    for p in attached.attached_policies() {
        if let Some(arn) = p.policy_arn() {
            kit::delete(stop, deadline, || async {
                aws.iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .op("DetachRolePolicy")
                    .map(|_| ())
            })
            .await?;
        }
    }
    kit::delete(stop, deadline, || async {
        aws.iam
            .delete_role_policy()
            .role_name(name)
            .policy_name("inline")
            .send()
            .await
            .op("DeleteRolePolicy")
            .map(|_| ())
    })
    .await?;
    kit::delete(stop, deadline, || async {
        aws.iam
            .delete_role()
            .role_name(name)
            .send()
            .await
            .op("DeleteRole")
            .map(|_| ())
    })
    .await
}

// ------------------------------------------------------------- reconcile

/// Add-ons created beside the node groups: those that run without nodes and
/// assume no role (an IRSA role is made in the same round, so those wait).
fn early_addon(name: &str, spec: &AddonSpec) -> bool {
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

/// The ARN of the IRSA role the stack makes for service account `key`.
pub fn sa_role_arn(aws: &Aws, d: &Desired, cluster_arn: &str, key: &str) -> String {
    format!(
        "arn:{}:iam::{}:role{}{}",
        aws.partition,
        account_of(cluster_arn),
        role_path(&d.name),
        d.sa_role_name(key)
    )
}

/// Brings an add-on to its spec (create or update), then waits for it. `role` is
/// the IAM role its service account assumes (None: none).
#[allow(clippy::too_many_arguments)]
async fn ensure_addon(
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

fn scaling(g: &NodeGroupSpec) -> eks::NodegroupScalingConfig {
    eks::NodegroupScalingConfig::builder()
        .min_size(g.min_size)
        .max_size(g.max_size)
        .desired_size(g.desired_size)
        .build()
}

fn taints(g: &NodeGroupSpec) -> Vec<eks::Taint> {
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
fn generation_name(key: &str, spec: &NodeGroupSpec, existing: &[NodeGroupSeen]) -> String {
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
async fn sync_settings_tag(
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
async fn ensure_nodegroup(
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

/// How many node groups a version upgrade rolls at the same time.
const MAX_PARALLEL_UPGRADES: usize = 3;

/// Moves the control plane from `from` to `to` one minor at a time; after each
/// step the node groups that follow the cluster (up to MAX_PARALLEL_UPGRADES at a
/// time), then the add-ons without a pinned version, move to that minor.
async fn upgrade(
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

fn logging(types: &[String]) -> eks::Logging {
    let all = super::schema::LOG_TYPES;
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

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Creates the cluster (claim-safe) or brings its settings and version to `d`.
/// Returns the cluster as it is afterwards.
async fn ensure_cluster(
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

/// Brings the stack to `d`. Returns every error of the round that failed.
pub async fn reconcile(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    deadline: Instant,
) -> Result<Vec<AwsError>, ClaimError> {
    let mut obs = read(aws, d).await?;

    // A create claims the name before anything is made: an existing cluster is
    // adopted only when an unfinished create of this very stack left it.
    if let (Some(fp), Some(c)) = (&d.creating, &obs.cluster) {
        let owner = claim::judge(&c.tags, fp);
        if owner != Owner::Ours {
            return Err(ClaimError::Taken {
                what: format!("EKS cluster {}", d.name),
                owner,
            });
        }
    }

    // Round 1: roles and key.
    let (cluster_role, node_role, kms) = {
        let cluster_role = async {
            match (&d.cluster_role_arn, &obs.cluster_role_arn) {
                // The stack's own role (under its path): repair its policies.
                (_, Some(arn)) if d.creating.is_none() => {
                    reattach(aws, d, &obs, "cluster").await?;
                    Ok(arn.clone())
                }
                (Some(arn), _) => Ok(arn.clone()),
                _ => {
                    let name = d.role_name("cluster");
                    let arn =
                        ensure_role(aws, d, &name, "role/cluster", trust("eks.amazonaws.com"))
                            .await?;
                    attach(aws, &name, &managed(aws, &CLUSTER_POLICIES)).await?;
                    Ok::<_, ClaimError>(arn)
                }
            }
        };
        let node_role = async {
            match (&d.node_role_arn, &obs.node_role_arn) {
                // The stack's own role (under its path): repair its policies.
                (_, Some(arn)) if d.creating.is_none() => {
                    reattach(aws, d, &obs, "node").await?;
                    Ok(arn.clone())
                }
                (Some(arn), _) => Ok(arn.clone()),
                _ => {
                    let name = d.role_name("node");
                    let arn =
                        ensure_role(aws, d, &name, "role/node", trust("ec2.amazonaws.com")).await?;
                    attach(aws, &name, &managed(aws, &NODE_POLICIES)).await?;
                    Ok::<_, ClaimError>(arn)
                }
            }
        };
        let kms = async {
            if let Some(k) = &d.kms_key_arn {
                return Ok(Some(k.clone()));
            }
            if let Some(k) = obs.cluster.as_ref().and_then(|c| c.kms_key_arn.clone()) {
                return Ok(Some(k));
            }
            ensure_key(aws, d).await.map(Some)
        };
        let logs = ensure_log_group(aws, d, obs.log_group);
        let (c, n, k, l) = tokio::join!(cluster_role, node_role, kms, logs);
        l?;
        (c?, n?, k?)
    };
    // A cluster role the stack made may use the secrets key (and only it).
    // (The role is the stack's when it lives under the stack's path, or when no
    // role was supplied; a planned `cluster_role_arn` may be the one it made.)
    let own_role = obs.cluster_role_arn.is_some() || d.cluster_role_arn.is_none();
    if let (Some(key), true) = (&kms, own_role) {
        let policy = key_policy(key);
        if obs.cluster_role_inline.as_deref() != Some(policy.as_str()) || d.creating.is_some() {
            aws.iam
                .put_role_policy()
                .role_name(d.role_name("cluster"))
                .policy_name("inline")
                .policy_document(policy)
                .send()
                .await
                .op("PutRolePolicy")?;
        }
    }
    if stop.is_stopped() {
        return Ok(vec![AwsError::stopped("CreateCluster")]);
    }

    // Round 2: the cluster (and its upgrade).
    if let Err(e) =
        ensure_cluster(aws, stop, d, &cluster_role, kms.as_deref(), &obs, deadline).await
    {
        return Ok(vec![e]);
    }
    let Some(cluster) = describe_cluster(aws, &d.name).await? else {
        return Ok(vec![AwsError::new(
            "DescribeCluster",
            "ResourceNotFoundException",
            format!("cluster {} disappeared", d.name),
        )]);
    };
    if obs.cluster.is_none() {
        obs = Observed {
            cluster: Some(cluster.clone()),
            ..obs
        };
    } else {
        // Node groups and add-ons moved during an upgrade: read them again.
        obs = read(aws, d).await?;
    }

    // Round 3: OIDC provider and IRSA roles, access entries, node groups, node-less add-ons.
    let (obs, cluster) = (&obs, &cluster);
    let issuer = cluster.issuer.clone();
    let provider_arn = oidc_arn(aws, &cluster.arn, &issuer);
    let oidc_and_irsa = async {
        if obs.oidc_provider_arn.is_none() && !issuer.is_empty() {
            aws.iam
                .create_open_id_connect_provider()
                .url(&issuer)
                .client_id_list("sts.amazonaws.com")
                .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
                .set_tags(Some(iam_tags(&stack_tags(aws, d, "oidc"))?))
                .send()
                .await
                .op("CreateOpenIDConnectProvider")
                .map(|_| ())
                .or_else(|e| {
                    if e.is_code(&["EntityAlreadyExists"]) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })?;
        }
        let futs: Vec<Fut<'_, ()>> = d
            .service_accounts
            .iter()
            .map(|(key, sa)| -> Fut<'_, ()> {
                let provider_arn = provider_arn.clone();
                let issuer = issuer.clone();
                Box::pin(async move {
                    let name = d.sa_role_name(key);
                    let trust_doc = irsa_trust(&provider_arn, &issuer, &sa.namespace, &sa.name);
                    let trusted = obs.sa_trust.get(key).map(|t| normalise_json(t));
                    if obs.sa_roles.contains_key(key) {
                        // A cluster made again has a new issuer; or the trust was
                        // edited outside Terraform.
                        if trusted != Some(normalise_json(&trust_doc)) {
                            aws.iam
                                .update_assume_role_policy()
                                .role_name(&name)
                                .policy_document(&trust_doc)
                                .send()
                                .await
                                .op("UpdateAssumeRolePolicy")?;
                        }
                    } else {
                        ensure_role(aws, d, &name, &format!("sa/{key}"), trust_doc)
                            .await
                            .map_err(|e| match e {
                                ClaimError::Aws(e) => e,
                                ClaimError::Taken { what, .. } => AwsError::new(
                                    "CreateRole",
                                    "EntityAlreadyExists",
                                    format!("{what} exists and is not this stack's"),
                                ),
                            })?;
                    }
                    let (have_attached, have_inline) =
                        obs.sa_policies.get(key).cloned().unwrap_or_default();
                    let missing: Vec<String> = sa
                        .policy_arns
                        .iter()
                        .filter(|p| !have_attached.contains(p))
                        .cloned()
                        .collect();
                    attach(aws, &name, &missing).await?;
                    for extra in have_attached.iter().filter(|p| !sa.policy_arns.contains(p)) {
                        aws.iam
                            .detach_role_policy()
                            .role_name(&name)
                            .policy_arn(extra)
                            .send()
                            .await
                            .op("DetachRolePolicy")?;
                    }
                    match (&sa.policy_json, &have_inline) {
                        (Some(want), have)
                            if have.as_deref().map(normalise_json)
                                != Some(normalise_json(want)) =>
                        {
                            aws.iam
                                .put_role_policy()
                                .role_name(&name)
                                .policy_name("inline")
                                .policy_document(want)
                                .send()
                                .await
                                .op("PutRolePolicy")?;
                        }
                        (None, Some(_)) => {
                            aws.iam
                                .delete_role_policy()
                                .role_name(&name)
                                .policy_name("inline")
                                .send()
                                .await
                                .op("DeleteRolePolicy")?;
                        }
                        _ => {}
                    }
                    Ok(())
                })
            })
            .collect();
        first_error(round(stop, "CreateRole", futs).await)
    };
    let access = async {
        let futs: Vec<Fut<'_, ()>> = d
            .access
            .iter()
            .map(|(principal, spec)| -> Fut<'_, ()> {
                Box::pin(async move {
                    let have = obs.access.get(principal);
                    if have.is_none() {
                        aws.eks
                            .create_access_entry()
                            .cluster_name(&d.name)
                            .principal_arn(principal)
                            .set_tags(Some(stack_tags(aws, d, "access").into_iter().collect()))
                            .send()
                            .await
                            .op("CreateAccessEntry")
                            .map(|_| ())
                            .or_else(|e| {
                                if e.is_code(&["ResourceInUseException"]) {
                                    Ok(())
                                } else {
                                    Err(e)
                                }
                            })?;
                    }
                    let want = (spec.policy_arn.clone(), sorted(spec.namespaces.clone()));
                    let ok = have.is_some_and(|h| {
                        h.iter()
                            .any(|(p, ns)| *p == want.0 && sorted(ns.clone()) == want.1)
                    });
                    if !ok {
                        let scope = if spec.namespaces.is_empty() {
                            eks::AccessScope::builder()
                                .r#type(eks::AccessScopeType::Cluster)
                                .build()
                        } else {
                            eks::AccessScope::builder()
                                .r#type(eks::AccessScopeType::Namespace)
                                .set_namespaces(Some(spec.namespaces.clone()))
                                .build()
                        };
                        aws.eks
                            .associate_access_policy()
                            .cluster_name(&d.name)
                            .principal_arn(principal)
                            .policy_arn(&spec.policy_arn)
                            .access_scope(scope)
                            .send()
                            .await
                            .op("AssociateAccessPolicy")?;
                    }
                    Ok(())
                })
            })
            .collect();
        first_error(round(stop, "CreateAccessEntry", futs).await)
    };
    let nodegroups = async {
        let futs: Vec<Fut<'_, Vec<String>>> = d
            .node_groups
            .iter()
            .map(|(key, spec)| -> Fut<'_, Vec<String>> {
                let seen = obs.node_groups.get(key).cloned().unwrap_or_default();
                let node_role = node_role.clone();
                Box::pin(async move {
                    ensure_nodegroup(aws, stop, d, key, spec, &seen, &node_role, deadline).await
                })
            })
            .collect();
        gather(stop, "CreateNodegroup", futs).await
    };
    let nodeless = async {
        let futs: Vec<Fut<'_, ()>> = d
            .addons
            .iter()
            .filter(|(n, a)| early_addon(n, a))
            .map(|(n, a)| -> Fut<'_, ()> {
                Box::pin(async move {
                    ensure_addon(
                        aws,
                        stop,
                        d,
                        n,
                        a,
                        obs.addons.get(n),
                        None,
                        &cluster.version,
                        deadline,
                    )
                    .await
                })
            })
            .collect();
        first_error(round(stop, "CreateAddon", futs).await)
    };
    let (irsa, access, (stale, ng_errs), nodeless) =
        tokio::join!(oidc_and_irsa, access, nodegroups, nodeless);
    let mut errs: Vec<AwsError> = ng_errs;
    errs.extend(irsa.err());
    errs.extend(access.err());
    errs.extend(nodeless.err());
    if !errs.is_empty() {
        return Ok(errs);
    }

    // Round 4: add-ons that need nodes or an IRSA role of round 3.
    let futs: Vec<Fut<'_, ()>> = d
        .addons
        .iter()
        .filter(|(n, a)| !early_addon(n, a))
        .map(|(n, a)| -> Fut<'_, ()> {
            let role = a
                .service_account
                .as_deref()
                .map(|k| sa_role_arn(aws, d, &cluster.arn, k));
            Box::pin(async move {
                ensure_addon(
                    aws,
                    stop,
                    d,
                    n,
                    a,
                    obs.addons.get(n),
                    role,
                    &cluster.version,
                    deadline,
                )
                .await
            })
        })
        .collect();
    let errs = round(stop, "CreateAddon", futs).await;
    if !errs.is_empty() {
        return Ok(errs);
    }

    // Round 5: remove what the configuration no longer wants.
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    for ng in stale.into_iter().flatten().chain(
        obs.node_groups
            .iter()
            .filter(|(k, _)| !d.node_groups.contains_key(*k))
            .flat_map(|(_, v)| v.iter().map(|g| g.eks_name.clone())),
    ) {
        futs.push(Box::pin(async move {
            delete_nodegroup(aws, stop, &d.name, &ng, deadline).await
        }));
    }
    for name in obs.addons.keys().filter(|n| !d.addons.contains_key(*n)) {
        futs.push(Box::pin(async move {
            delete_addon(aws, stop, &d.name, name, deadline).await
        }));
    }
    for principal in &obs.stale_access {
        futs.push(Box::pin(async move {
            kit::delete(stop, deadline, || async {
                aws.eks
                    .delete_access_entry()
                    .cluster_name(&d.name)
                    .principal_arn(principal)
                    .send()
                    .await
                    .op("DeleteAccessEntry")
                    .map(|_| ())
            })
            .await
        }));
    }
    for name in &obs.stale_roles {
        futs.push(Box::pin(async move {
            delete_role(aws, stop, name, deadline).await
        }));
    }
    Ok(round(stop, "delete", futs).await)
}

pub fn normalise_json(s: &str) -> String {
    serde_json::from_str::<serde_json::Value>(s)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| s.to_string())
}

/// The stack's secrets key: adopted through its alias when an unfinished create
/// of this stack left it, else created.
async fn ensure_key(aws: &Aws, d: &Desired) -> Result<String, ClaimError> {
    let alias = format!("alias/{}-eks-secrets", d.name);
    let existing = found(
        aws.kms
            .describe_key()
            .key_id(&alias)
            .send()
            .await
            .op("DescribeKey"),
        &["NotFoundException"],
    )?;
    if let Some(k) = existing.as_ref().and_then(|r| r.key_metadata()) {
        let arn = k.arn().unwrap_or_default().to_string();
        let tags: Tags = aws
            .kms
            .list_resource_tags()
            .key_id(k.key_id())
            .send()
            .await
            .op("ListResourceTags")?
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect();
        let ours = tags.get(&owner_key("stack")) == Some(&d.name);
        return match claim::judge(&tags, d.creating.as_deref().unwrap_or_default()) {
            Owner::Ours => Ok(arn),
            // An update that makes the cluster again: the key is the stack's own.
            Owner::Managed if ours && d.creating.is_none() => Ok(arn),
            owner => Err(ClaimError::Taken {
                what: format!("KMS key {alias}"),
                owner,
            }),
        };
    }
    let mut tags = stack_tags(aws, d, "kms");
    if let Some(fp) = &d.creating {
        tags.insert(CREATING_TAG.to_string(), fp.clone());
    }
    let kms_tags = tags
        .iter()
        .map(|(k, v)| {
            aws_sdk_kms::types::Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| AwsError::build("CreateKey", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let r = aws
        .kms
        .create_key()
        .description(format!(
            "Envelope encryption of Kubernetes secrets of EKS cluster {}",
            d.name
        ))
        .set_tags(Some(kms_tags))
        .send()
        .await
        .op("CreateKey")?;
    let meta = r.key_metadata();
    let (id, arn) = (
        meta.map(|m| m.key_id().to_string()).unwrap_or_default(),
        meta.and_then(|m| m.arn()).unwrap_or_default().to_string(),
    );
    aws.kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&id)
        .send()
        .await
        .op("CreateAlias")?;
    Ok(arn)
}

/// Ends a successful create: the cluster, the roles and the key lose their
/// `ode:creating` mark.
pub async fn release_claim(aws: &Aws, d: &Desired, obs: &Observed) -> Result<(), AwsError> {
    let cluster = async {
        match &obs.cluster {
            Some(c) => aws
                .eks
                .untag_resource()
                .resource_arn(&c.arn)
                .tag_keys(CREATING_TAG)
                .send()
                .await
                .op("UntagResource")
                .map(|_| ()),
            None => Ok(()),
        }
    };
    let roles = async {
        for name in [d.role_name("cluster"), d.role_name("node")] {
            let r = aws
                .iam
                .untag_role()
                .role_name(&name)
                .tag_keys(CREATING_TAG)
                .send()
                .await
                .op("UntagRole");
            found(r, &["NoSuchEntity"])?;
        }
        Ok::<_, AwsError>(())
    };
    let key = async {
        let alias = format!("alias/{}-eks-secrets", d.name);
        let k = found(
            aws.kms
                .describe_key()
                .key_id(&alias)
                .send()
                .await
                .op("DescribeKey"),
            &["NotFoundException"],
        )?;
        if let Some(id) = k
            .as_ref()
            .and_then(|r| r.key_metadata())
            .map(|m| m.key_id().to_string())
        {
            aws.kms
                .untag_resource()
                .key_id(id)
                .tag_keys(CREATING_TAG)
                .send()
                .await
                .op("UntagResource")?;
        }
        Ok::<_, AwsError>(())
    };
    tokio::try_join!(cluster, roles, key).map(|_| ())
}

// ---------------------------------------------------------------- delete

async fn delete_nodegroup(
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

async fn delete_addon(
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

/// The destroy guard: node groups and Fargate profiles made outside Terraform keep
/// the cluster from being deleted, so the stack is not deleted at all while they
/// exist (nothing of it would be left working). Names them; empty when none.
pub async fn destroy_blockers(aws: &Aws, d: &Desired) -> Result<Vec<String>, AwsError> {
    let obs = read(aws, d).await?;
    if obs.cluster.is_none() {
        return Ok(Vec::new());
    }
    let ours: std::collections::BTreeSet<&str> = obs
        .node_groups
        .values()
        .flatten()
        .map(|g| g.eks_name.as_str())
        .collect();
    let (ngs, fargate) = tokio::join!(
        aws.eks.list_nodegroups().cluster_name(&d.name).send(),
        aws.eks.list_fargate_profiles().cluster_name(&d.name).send(),
    );
    let ngs = found(ngs.op("ListNodegroups"), &["ResourceNotFoundException"])?;
    let fargate = found(
        fargate.op("ListFargateProfiles"),
        &["ResourceNotFoundException"],
    )?;
    let mut out: Vec<String> = ngs
        .iter()
        .flat_map(|r| r.nodegroups())
        .filter(|n| !ours.contains(n.as_str()))
        .map(|n| format!("node group {n}"))
        .collect();
    out.extend(
        fargate
            .iter()
            .flat_map(|r| r.fargate_profile_names())
            .map(|f| format!("Fargate profile {f}")),
    );
    Ok(out)
}

/// What keeps a cluster from being deleted: its node groups and Fargate profiles.
async fn cluster_blockers(aws: &Aws, name: &str) -> Vec<String> {
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

/// Deletes the whole stack in a safe order. Already-deleted children are fine.
/// Deletes an OIDC provider of this stack that no longer serves it (its cluster
/// was made again, with a new issuer). A provider not tagged as the stack's is left.
pub async fn retire_oidc(aws: &Aws, d: &Desired, arn: &str) -> Result<(), AwsError> {
    let r = aws
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .op("GetOpenIDConnectProvider");
    let Some(r) = found(r, &["NoSuchEntity"])? else {
        return Ok(());
    };
    let stack = owner_key("stack");
    if !r
        .tags()
        .iter()
        .any(|t| t.key() == stack && t.value() == d.name)
    {
        return Ok(());
    }
    let r = aws
        .iam
        .delete_open_id_connect_provider()
        .open_id_connect_provider_arn(arn)
        .send()
        .await
        .op("DeleteOpenIDConnectProvider");
    found(r, &["NoSuchEntity"]).map(|_| ())
}

pub async fn delete(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    owned_key: Option<&str>,
    deadline: Instant,
) -> Vec<AwsError> {
    let obs = match read(aws, d).await {
        Ok(o) => o,
        Err(e) => return vec![e],
    };
    let name = d.name.as_str();
    // Add-ons first: some hold finalizers on nodes.
    let futs: Vec<Fut<'_, ()>> = obs
        .addons
        .keys()
        .map(|a| -> Fut<'_, ()> { Box::pin(delete_addon(aws, stop, name, a, deadline)) })
        .collect();
    let errs = round(stop, "DeleteAddon", futs).await;
    if !errs.is_empty() {
        return errs;
    }
    let futs: Vec<Fut<'_, ()>> = obs
        .node_groups
        .values()
        .flatten()
        .map(|g| -> Fut<'_, ()> {
            Box::pin(delete_nodegroup(aws, stop, name, &g.eks_name, deadline))
        })
        .collect();
    let errs = round(stop, "DeleteNodegroup", futs).await;
    if !errs.is_empty() {
        return errs;
    }
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    for principal in obs.access.keys() {
        futs.push(Box::pin(async move {
            kit::delete(stop, deadline, || async {
                aws.eks
                    .delete_access_entry()
                    .cluster_name(name)
                    .principal_arn(principal)
                    .send()
                    .await
                    .op("DeleteAccessEntry")
                    .map(|_| ())
            })
            .await
        }));
    }
    let roles = obs
        .sa_roles
        .keys()
        .map(|key| d.sa_role_name(key))
        .chain(obs.stale_roles.iter().cloned());
    for role in roles {
        futs.push(Box::pin(async move {
            delete_role(aws, stop, &role, deadline).await
        }));
    }
    if let Some(arn) = obs.oidc_provider_arn.clone() {
        futs.push(Box::pin(async move {
            kit::delete(stop, deadline, || async {
                aws.iam
                    .delete_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .send()
                    .await
                    .op("DeleteOpenIDConnectProvider")
                    .map(|_| ())
            })
            .await
        }));
    }
    let errs = round(stop, "delete", futs).await;
    if !errs.is_empty() {
        return errs;
    }
    if obs.cluster.is_some() {
        let r = kit::delete(stop, deadline, || async {
            aws.eks
                .delete_cluster()
                .name(name)
                .send()
                .await
                .op("DeleteCluster")
                .map(|_| ())
        })
        .await;
        if let Err(mut e) = r {
            if e.is_code(&["ResourceInUseException"]) {
                let blockers = cluster_blockers(aws, name).await;
                if !blockers.is_empty() {
                    e.message = format!(
                        "cluster {name} still has {} created outside Terraform; delete them, then run destroy again. ({})",
                        blockers.join(", "),
                        e.message
                    );
                }
            }
            return vec![e];
        }
        if let Err(e) = kit::wait::gone(stop, format!("cluster {name}"), deadline, || async {
            Ok(describe_cluster(aws, name).await?.is_some())
        })
        .await
        {
            return vec![e];
        }
    }
    let mut futs: Vec<Fut<'_, ()>> = Vec::new();
    if obs.log_group.is_some() {
        let group = d.log_group();
        futs.push(Box::pin(async move {
            kit::delete(stop, deadline, || async {
                aws.logs
                    .delete_log_group()
                    .log_group_name(&group)
                    .send()
                    .await
                    .op("DeleteLogGroup")
                    .map(|_| ())
            })
            .await
        }));
    }
    // Only the roles the stack made: they live under its IAM path.
    for (made, suffix) in [
        (&obs.cluster_role_arn, "cluster"),
        (&obs.node_role_arn, "node"),
    ] {
        if made.is_some() {
            let role = d.role_name(suffix);
            futs.push(Box::pin(async move {
                delete_role(aws, stop, &role, deadline).await
            }));
        }
    }
    if let Some(key) = owned_key {
        let alias = format!("alias/{name}-eks-secrets");
        futs.push(Box::pin(async move {
            kit::retire_key(aws, stop, deadline, &alias, key).await
        }));
    }
    round(stop, "delete", futs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_url_decoded() {
        assert_eq!(decode_policy("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(decode_policy("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(decode_policy("%"), "%");
        assert_eq!(decode_policy("%4"), "%4");
    }

    #[test]
    fn irsa_trust_names_the_service_account() {
        let t = irsa_trust(
            "arn:aws:iam::1:oidc-provider/oidc.eks/id/X",
            "https://oidc.eks/id/X",
            "ode",
            "api",
        );
        assert!(t.contains("system:serviceaccount:ode:api"));
        assert!(t.contains("oidc.eks/id/X:aud"));
    }
}
