//! `reconcile`: create, update, upgrade and drift repair of the stack, in five
//! dependent rounds, each built by one function below:
//!
//! 1. [`identities`]: the cluster and node roles, the secrets key and the log
//!    group, concurrently; then the cluster role's use of the key;
//! 2. [`ensure_cluster`]: the cluster (made, changed or upgraded);
//! 3. [`attachments`]: the OIDC provider and service account roles, access
//!    entries, node groups and the add-ons that need no nodes, concurrently;
//! 4. [`late_addons`]: the add-ons that need nodes or a round-3 role;
//! 5. [`stale`]: what the configuration no longer wants, deleted.
//!
//! A create first claims the name: an existing cluster is adopted only when an
//! unfinished create of this very stack left it.

use super::*;

/// Brings the stack to `d`. Returns every error of the round that failed.
pub async fn reconcile(
    aws: &Aws,
    stop: &Stop,
    d: &Desired,
    deadline: Instant,
) -> Result<Vec<AwsError>, ClaimError> {
    let obs = read(aws, d).await?;
    claim_name(d, &obs)?;

    let (cluster_role, node_role, kms) = identities(aws, d, &obs).await?;
    if stop.is_stopped() {
        return Ok(vec![AwsError::stopped("CreateCluster")]);
    }

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
    let obs = if obs.cluster.is_none() {
        Observed {
            cluster: Some(cluster.clone()),
            ..obs
        }
    } else {
        // Node groups and add-ons moved during an upgrade: read them again.
        read(aws, d).await?
    };

    let ctx = Ctx {
        aws,
        stop,
        d,
        obs: &obs,
        cluster: &cluster,
        deadline,
    };
    let (replaced, errs) = attachments(&ctx, &node_role).await;
    if !errs.is_empty() {
        return Ok(errs);
    }
    let errs = round(stop, "CreateAddon", late_addons(&ctx)).await;
    if !errs.is_empty() {
        return Ok(errs);
    }
    Ok(round(stop, "delete", stale(&ctx, replaced)).await)
}

/// A create may go on only when no cluster of its name exists, or the one that
/// does was left by an unfinished create of this stack.
fn claim_name(d: &Desired, obs: &Observed) -> Result<(), ClaimError> {
    let (Some(fp), Some(c)) = (&d.creating, &obs.cluster) else {
        return Ok(());
    };
    match claim::judge(&c.tags, fp) {
        Owner::Ours => Ok(()),
        owner => Err(ClaimError::Taken {
            what: format!("EKS cluster {}", d.name),
            owner,
        }),
    }
}

/// Round 1: the (cluster role ARN, node role ARN, secrets key ARN): supplied,
/// the stack's own (policies repaired), or made now; and the log group.
async fn identities(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
) -> Result<(String, String, Option<String>), ClaimError> {
    let role = |which: &'static str,
                supplied: &Option<String>,
                own: &Option<String>,
                service: &'static str,
                policies: &'static [&'static str]| {
        let (supplied, own) = (supplied.clone(), own.clone());
        async move {
            match (supplied, own) {
                // The stack's own role (under its path): repair its policies.
                (_, Some(arn)) if d.creating.is_none() => {
                    reattach(aws, d, obs, which).await?;
                    Ok(arn)
                }
                (Some(arn), _) => Ok(arn),
                _ => {
                    let name = d.role_name(which);
                    let key = format!("role/{which}");
                    let arn = ensure_role(aws, d, &name, &key, trust(service)).await?;
                    attach(aws, &name, &managed(aws, policies)).await?;
                    Ok::<_, ClaimError>(arn)
                }
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
    let (cluster_role, node_role, kms, logs) = tokio::join!(
        role(
            "cluster",
            &d.cluster_role_arn,
            &obs.cluster_role_arn,
            "eks.amazonaws.com",
            &CLUSTER_POLICIES,
        ),
        role(
            "node",
            &d.node_role_arn,
            &obs.node_role_arn,
            "ec2.amazonaws.com",
            &NODE_POLICIES,
        ),
        kms,
        ensure_log_group(aws, d, obs.log_group),
    );
    logs?;
    let (cluster_role, node_role, kms) = (cluster_role?, node_role?, kms?);
    grant_key_use(aws, d, obs, kms.as_deref()).await?;
    Ok((cluster_role, node_role, kms))
}

/// A cluster role the stack made may use the secrets key (and only it). The
/// role is the stack's when it lives under the stack's path, or when no role
/// was supplied (a planned `cluster_role_arn` may be the one it made).
async fn grant_key_use(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
    kms: Option<&str>,
) -> Result<(), AwsError> {
    let own_role = obs.cluster_role_arn.is_some() || d.cluster_role_arn.is_none();
    let Some(key) = kms.filter(|_| own_role) else {
        return Ok(());
    };
    let policy = key_policy(key);
    let same = obs
        .cluster_role_inline
        .as_deref()
        .is_some_and(|have| policy::same(have, &policy));
    if same && d.creating.is_none() {
        return Ok(());
    }
    aws.iam
        .put_role_policy()
        .role_name(d.role_name("cluster"))
        .policy_name("inline")
        .policy_document(policy)
        .send()
        .await
        .op("PutRolePolicy")
        .map(|_| ())
}

/// What rounds 3 to 5 share: the stack as read after round 2, and its cluster.
struct Ctx<'a> {
    aws: &'a Aws,
    stop: &'a Stop,
    d: &'a Desired,
    obs: &'a Observed,
    cluster: &'a ClusterSeen,
    deadline: Instant,
}

/// Round 3: the OIDC provider and service account roles, access entries,
/// node groups, and the add-ons that need no nodes, all concurrently. Returns
/// the node groups that new generations replaced, and every error.
async fn attachments(ctx: &Ctx<'_>, node_role: &str) -> (Vec<Vec<String>>, Vec<AwsError>) {
    let (aws, stop, d, obs) = (ctx.aws, ctx.stop, ctx.d, ctx.obs);
    let (cluster, deadline) = (ctx.cluster, ctx.deadline);
    let issuer = cluster.issuer.as_str();
    let provider_arn = oidc_arn(aws, &cluster.arn, issuer);
    let irsa = async {
        if obs.oidc_provider_arn.is_none() && !issuer.is_empty() {
            ensure_oidc(aws, d, issuer).await?;
        }
        let futs: Vec<Fut<'_, ()>> = (d.service_accounts.iter())
            .map(|(key, sa)| -> Fut<'_, ()> {
                Box::pin(ensure_sa_role(aws, d, obs, key, sa, &provider_arn, issuer))
            })
            .collect();
        first_error(round(stop, "CreateRole", futs).await)?;
        // Pod Identity associations for the roles (made just now or before), and
        // none for service accounts that no longer use Pod Identity.
        let account = account_of(&cluster.arn);
        let mut futs: Vec<Fut<'_, ()>> = Vec::new();
        for (key, sa) in d.service_accounts.iter().filter(|(_, s)| s.pod_identity) {
            let role = format!(
                "arn:{}:iam::{account}:role{}{}",
                aws.partition,
                role_path(&d.name),
                d.sa_role_name(key)
            );
            futs.push(Box::pin(async move {
                ensure_pod_identity(aws, d, obs, key, sa, &role).await
            }));
        }
        for (key, p) in &obs.pod_identities {
            if !d.service_accounts.get(key).is_some_and(|s| s.pod_identity) {
                futs.push(Box::pin(delete_pod_identity(
                    aws, stop, &d.name, &p.id, deadline,
                )));
            }
        }
        first_error(round(stop, "CreatePodIdentityAssociation", futs).await)
    };
    let access: Vec<Fut<'_, ()>> = (d.access.iter())
        .map(|(principal, spec)| -> Fut<'_, ()> {
            Box::pin(ensure_access_entry(
                aws,
                d,
                principal,
                spec,
                obs.access.get(principal),
            ))
        })
        .collect();
    let nodegroups: Vec<Fut<'_, Vec<String>>> = (d.node_groups.iter())
        .map(|(key, spec)| -> Fut<'_, Vec<String>> {
            let seen = obs.node_groups.get(key).cloned().unwrap_or_default();
            Box::pin(async move {
                ensure_nodegroup(aws, stop, d, key, spec, &seen, node_role, deadline).await
            })
        })
        .collect();
    let nodeless: Vec<Fut<'_, ()>> = (d.addons.iter())
        .filter(|(n, a)| early_addon(n, a))
        .map(|(n, a)| -> Fut<'_, ()> {
            Box::pin(ensure_addon(
                aws,
                stop,
                d,
                n,
                a,
                obs.addons.get(n),
                None,
                &cluster.version,
                deadline,
            ))
        })
        .collect();
    let (irsa, access, (replaced, mut errs), nodeless) = tokio::join!(
        irsa,
        round(stop, "CreateAccessEntry", access),
        gather(stop, "CreateNodegroup", nodegroups),
        round(stop, "CreateAddon", nodeless),
    );
    errs.extend(irsa.err());
    errs.extend(first_error(access).err());
    errs.extend(first_error(nodeless).err());
    (replaced, errs)
}

/// Round 4: the add-ons that need nodes, or the role of a service account.
fn late_addons<'a>(ctx: &Ctx<'a>) -> Vec<Fut<'a, ()>> {
    let (aws, stop, d, obs) = (ctx.aws, ctx.stop, ctx.d, ctx.obs);
    let (cluster, deadline) = (ctx.cluster, ctx.deadline);
    (d.addons.iter())
        .filter(|(n, a)| !early_addon(n, a))
        .map(|(n, a)| -> Fut<'a, ()> {
            let role = (a.service_account.as_deref()).map(|k| sa_role_arn(aws, d, &cluster.arn, k));
            Box::pin(ensure_addon(
                aws,
                stop,
                d,
                n,
                a,
                obs.addons.get(n),
                role,
                &cluster.version,
                deadline,
            ))
        })
        .collect()
}

/// Round 5: node groups replaced by a new generation or no longer configured,
/// add-ons, access entries and service account roles no longer configured.
fn stale<'a>(ctx: &Ctx<'a>, replaced: Vec<Vec<String>>) -> Vec<Fut<'a, ()>> {
    let (aws, stop, d, obs, deadline) = (ctx.aws, ctx.stop, ctx.d, ctx.obs, ctx.deadline);
    let unconfigured = (obs.node_groups.iter())
        .filter(|(k, _)| !d.node_groups.contains_key(*k))
        .flat_map(|(_, v)| v.iter().map(|g| g.eks_name.clone()));
    let mut futs: Vec<Fut<'a, ()>> = Vec::new();
    for ng in replaced.into_iter().flatten().chain(unconfigured) {
        futs.push(Box::pin(async move {
            delete_nodegroup(aws, stop, &d.name, &ng, deadline).await
        }));
    }
    for name in obs.addons.keys().filter(|n| !d.addons.contains_key(*n)) {
        futs.push(Box::pin(delete_addon(aws, stop, &d.name, name, deadline)));
    }
    for principal in &obs.stale_access {
        futs.push(Box::pin(delete_access_entry(
            aws, stop, &d.name, principal, deadline,
        )));
    }
    for name in &obs.stale_roles {
        futs.push(Box::pin(delete_role(aws, stop, name, deadline)));
    }
    futs
}
