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
//!
//! Each child object has its own file with its finder, waiter and ensure/delete:
//! `cluster.rs` (and the log group and version upgrades), `nodegroup.rs`,
//! `addon.rs`, `iam.rs` (roles, IRSA, the OIDC provider), `key.rs`.

use std::collections::BTreeMap;

use aws_sdk_eks::types as eks;
use futures::StreamExt;
use tokio::time::Instant;

mod addon;
mod cluster;
mod iam;
mod key;
mod nodegroup;

pub use addon::*;
pub use cluster::*;
pub use iam::*;
pub use key::*;
use nodegroup::*;

use super::model::*;
use super::schema::{LOG_TYPES, NODELESS_ADDONS};
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

// ------------------------------------------------------------- reconcile

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

/// The destroy guard: node groups and Fargate profiles made outside Terraform keep
/// the cluster from being deleted, so the stack is not deleted at all while they
/// exist (nothing of it would be left working). Names them; empty when none.
pub async fn destroy_blockers(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<Vec<String>, AwsError> {
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

/// Deletes the whole stack in a safe order. Already-deleted children are fine.
pub async fn delete(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    obs: &Observed,
    owned_key: Option<&str>,
    deadline: Instant,
) -> Vec<AwsError> {
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
