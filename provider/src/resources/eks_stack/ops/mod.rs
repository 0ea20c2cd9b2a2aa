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
//! `addon.rs`, `iam.rs` (roles), `irsa.rs` (the OIDC provider and service
//! account roles), `access.rs` (access entries), `key.rs`; `reconcile.rs`
//! holds the rounds.

use std::collections::BTreeMap;

use aws_sdk_eks::types as eks;
use futures::StreamExt;
use tokio::time::Instant;

mod access;
mod addon;
mod cluster;
mod iam;
mod irsa;
mod key;
mod nodegroup;
mod reconcile;

use access::*;
pub use addon::*;
pub use cluster::*;
pub use iam::*;
use irsa::*;
pub use key::*;
pub use nodegroup::CREATE_FAILED;
use nodegroup::*;
pub use reconcile::reconcile;

use super::model::*;
use super::schema::{LOG_TYPES, NODELESS_ADDONS};
use crate::aws::{every, found, Aws, AwsError, Op};
use crate::framework::Stop;
use crate::kit::claim::{self, ClaimError, Owner, CREATING_TAG};
use crate::kit::tags::{owner_key, Tags};
use crate::kit::{self, first_error, gather, policy, round, Fut, Status, Waiter};

/// IAM path of every role the stack creates: one ListRoles call finds them all.
pub fn role_path(stack: &str) -> String {
    format!("/ode/{stack}/")
}

/// The EKS stack's components tag (`ode:component`).
pub const COMPONENT: &str = "eks-stack";

fn stack_tags(aws: &Aws, d: &Desired, key: &str) -> Tags {
    let mut t = aws.tags_all(&d.tags);
    t.extend(kit::tags::ownership(&d.name, COMPONENT, key));
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
    let (cluster, ngs, addons, entries, roles, logs, pods) = tokio::join!(
        describe_cluster(aws, name),
        async {
            found(
                every(
                    e.list_nodegroups()
                        .cluster_name(name)
                        .into_paginator()
                        .items()
                        .send(),
                )
                .await
                .op("ListNodegroups"),
                &["ResourceNotFoundException"],
            )
        },
        async {
            found(
                every(
                    e.list_addons()
                        .cluster_name(name)
                        .into_paginator()
                        .items()
                        .send(),
                )
                .await
                .op("ListAddons"),
                &["ResourceNotFoundException"],
            )
        },
        async {
            found(
                every(
                    e.list_access_entries()
                        .cluster_name(name)
                        .into_paginator()
                        .items()
                        .send(),
                )
                .await
                .op("ListAccessEntries"),
                &["ResourceNotFoundException"],
            )
        },
        async {
            let roles = aws.iam.list_roles().path_prefix(role_path(name));
            every(roles.into_paginator().items().send())
                .await
                .op("ListRoles")
        },
        log_group(aws, d),
        async {
            found(
                every(
                    e.list_pod_identity_associations()
                        .cluster_name(name)
                        .into_paginator()
                        .items()
                        .send(),
                )
                .await
                .op("ListPodIdentityAssociations"),
                &["ResourceNotFoundException"],
            )
        },
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
        _ => &roles[..],
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
            let trust = r.assume_role_policy_document().map(policy::decode);
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
    let ng_names: Vec<String> = ngs?.unwrap_or_default();
    let addon_names: Vec<String> = addons?.unwrap_or_default();
    let (principals, others): (Vec<String>, Vec<String>) = entries?
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
        let policies = e
            .list_associated_access_policies()
            .cluster_name(name)
            .principal_arn(p);
        every(policies.into_paginator().items().send())
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
                .and_then(|r| r.access_entry()?.tags().cloned())
                .is_some_and(|tags| {
                    kit::tags::owned_by(&tags.into_iter().collect(), &d.name, COMPONENT)
                });
            Ok::<_, AwsError>(ours.then(|| p.clone()))
        });
    let sa_futs = sa_role_names.iter().map(|(key, role)| async move {
        let (attached, inline) = tokio::join!(
            every(
                aws.iam
                    .list_attached_role_policies()
                    .role_name(role)
                    .into_paginator()
                    .items()
                    .send()
            ),
            aws.iam
                .get_role_policy()
                .role_name(role)
                .policy_name("inline")
                .send()
        );
        let attached: Vec<String> = attached
            .op("ListAttachedRolePolicies")?
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        let inline = found(inline.op("GetRolePolicy"), &["NoSuchEntity"])?
            .map(|p| policy::decode(p.policy_document()));
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
        let attached = aws.iam.list_attached_role_policies().role_name(role);
        let r = every(attached.into_paginator().items().send())
            .await
            .op("ListAttachedRolePolicies")?;
        let arns = r
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
        Ok::<_, AwsError>(found(r, &["NoSuchEntity"])?.map(|p| policy::decode(p.policy_document())))
    };
    // Pod Identity associations: the stack's are those with a role on its path.
    let pod_ids: Vec<String> = pods?
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a.association_id().map(str::to_string))
        .collect();
    let pod_futs = pod_ids.iter().map(|id| async move {
        let r = e
            .describe_pod_identity_association()
            .cluster_name(name)
            .association_id(id)
            .send()
            .await
            .op("DescribePodIdentityAssociation");
        found(r, &["ResourceNotFoundException"])
    });
    let (ngs, addons, access, others, sas, oidc, role_policies, key_use, pods) = tokio::join!(
        futures::future::join_all(ng_futs),
        futures::future::join_all(addon_futs),
        futures::future::join_all(access_futs),
        futures::future::join_all(other_futs),
        futures::future::join_all(sa_futs),
        oidc,
        futures::future::join_all(role_futs),
        key_use,
        futures::future::join_all(pod_futs),
    );
    obs.cluster_role_inline = key_use?;
    let path = format!(":role{}", role_path(name));
    for r in pods {
        let Some(a) = r?.and_then(|r| r.association().cloned()) else {
            continue;
        };
        let role = a.role_arn().unwrap_or_default();
        if let (true, Some(ns), Some(sa), Some(id)) = (
            role.contains(&path),
            a.namespace(),
            a.service_account(),
            a.association_id(),
        ) {
            obs.pod_identities.insert(
                format!("{ns}/{sa}"),
                PodIdentitySeen {
                    id: id.to_string(),
                    role_arn: role.to_string(),
                },
            );
        }
    }
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

/// For import: the service account keys (from their roles' `ode:key` tags) and the
/// access entries with an associated policy (EKS's own entries for node roles have
/// none) of the stack `name`.
pub async fn discover(aws: &Aws, name: &str) -> Result<(Vec<String>, Vec<String>), AwsError> {
    let (roles, entries) = tokio::join!(
        every(
            aws.iam
                .list_roles()
                .path_prefix(role_path(name))
                .into_paginator()
                .items()
                .send()
        ),
        every(
            aws.eks
                .list_access_entries()
                .cluster_name(name)
                .into_paginator()
                .items()
                .send()
        ),
    );
    let roles: Vec<String> = roles
        .op("ListRoles")?
        .iter()
        .map(|r| r.role_name().to_string())
        .collect();
    let principals = found(
        entries.op("ListAccessEntries"),
        &["ResourceNotFoundException"],
    )?
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
        let policies = aws
            .eks
            .list_associated_access_policies()
            .cluster_name(name)
            .principal_arn(p);
        let r = every(policies.into_paginator().items().send())
            .await
            .op("ListAssociatedAccessPolicies")?;
        Ok::<_, AwsError>((!r.is_empty()).then(|| p.clone()))
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
        every(
            aws.eks
                .list_nodegroups()
                .cluster_name(&d.name)
                .into_paginator()
                .items()
                .send()
        ),
        every(
            aws.eks
                .list_fargate_profiles()
                .cluster_name(&d.name)
                .into_paginator()
                .items()
                .send()
        ),
    );
    let ngs = found(ngs.op("ListNodegroups"), &["ResourceNotFoundException"])?;
    let fargate = found(
        fargate.op("ListFargateProfiles"),
        &["ResourceNotFoundException"],
    )?;
    let mut out: Vec<String> = ngs
        .iter()
        .flatten()
        .filter(|n| !ours.contains(n.as_str()))
        .map(|n| format!("node group {n}"))
        .collect();
    out.extend(
        fargate
            .iter()
            .flatten()
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
        futs.push(Box::pin(delete_access_entry(
            aws, stop, name, principal, deadline,
        )));
    }
    for p in obs.pod_identities.values() {
        futs.push(Box::pin(delete_pod_identity(
            aws, stop, name, &p.id, deadline,
        )));
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
    futs.push(Box::pin(async move {
        if let Some(key) = owned_key {
            let alias = format!("alias/{name}-eks-secrets");
            kit::retire_key(aws, stop, deadline, &alias, key).await?;
        }
        // Spare copies of the stack's key (a CreateKey carried out twice) go too.
        kit::key::retire_spares(aws, &kit::tags::ownership(name, COMPONENT, "kms"), None).await
    }));
    round(stop, "delete", futs).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
