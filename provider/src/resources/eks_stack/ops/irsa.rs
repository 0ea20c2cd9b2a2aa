//! IAM roles for service accounts: the cluster's OIDC provider, one role per
//! service account that trusts it (IRSA) or EKS Pod Identity, with its policies,
//! and the Pod Identity associations.

use super::*;

/// The OIDC provider of the cluster's `issuer`, made when missing (one made
/// a moment ago by a retried call counts).
pub(super) async fn ensure_oidc(aws: &Aws, d: &Desired, issuer: &str) -> Result<(), AwsError> {
    let made = aws
        .iam
        .create_open_id_connect_provider()
        .url(issuer)
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
        .set_tags(Some(iam_tags(&stack_tags(aws, d, "oidc"))?))
        .send()
        .await
        .op("CreateOpenIDConnectProvider");
    found(made, &["EntityAlreadyExists"]).map(|_| ())
}

/// The role of service account `key`: trusting `provider_arn` for `issuer`
/// (the trust is rewritten when the cluster was made again or the trust was
/// edited outside Terraform), with exactly the configured policies.
pub(super) async fn ensure_sa_role(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
    key: &str,
    sa: &ServiceAccountSpec,
    provider_arn: &str,
    issuer: &str,
) -> Result<(), AwsError> {
    let name = d.sa_role_name(key);
    let trust_doc = if sa.pod_identity {
        pod_identity_trust()
    } else {
        irsa_trust(provider_arn, issuer, &sa.namespace, &sa.name)
    };
    if obs.sa_roles.contains_key(key) {
        let trusted = obs.sa_trust.get(key);
        if !trusted.is_some_and(|t| policy::same(t, &trust_doc)) {
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
            .map_err(|e| e.into_aws("CreateRole"))?;
    }
    let (have_attached, have_inline) = obs.sa_policies.get(key).cloned().unwrap_or_default();
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
        (Some(want), have) if !have.as_deref().is_some_and(|h| policy::same(h, want)) => {
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
}

/// The Pod Identity association of service account `key` with its role `role_arn`:
/// made when missing, pointed at the role when it names another.
pub(super) async fn ensure_pod_identity(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
    key: &str,
    sa: &ServiceAccountSpec,
    role_arn: &str,
) -> Result<(), AwsError> {
    match obs.pod_identities.get(key) {
        Some(p) if p.role_arn == role_arn => Ok(()),
        Some(p) => aws
            .eks
            .update_pod_identity_association()
            .cluster_name(&d.name)
            .association_id(&p.id)
            .role_arn(role_arn)
            .send()
            .await
            .op("UpdatePodIdentityAssociation")
            .map(|_| ()),
        None => {
            // A role made a moment ago may not be visible to EKS yet. An association
            // that exists already names a role outside the stack (the stack's own are
            // read): EKS's ResourceInUseException says so, and nothing is taken over.
            let tags = kit::tags::string_map(&stack_tags(aws, d, &format!("pod-identity/{key}")));
            kit::retry::on_new(true, || async {
                aws.eks
                    .create_pod_identity_association()
                    .cluster_name(&d.name)
                    .namespace(&sa.namespace)
                    .service_account(&sa.name)
                    .role_arn(role_arn)
                    .set_tags(Some(tags.clone()))
                    .send()
                    .await
                    .op("CreatePodIdentityAssociation")
            })
            .await
            .map(|_| ())
        }
    }
}

pub(super) async fn delete_pod_identity(
    aws: &Aws,
    stop: &Stop,
    cluster: &str,
    id: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    kit::delete(stop, deadline, || async {
        aws.eks
            .delete_pod_identity_association()
            .cluster_name(cluster)
            .association_id(id)
            .send()
            .await
            .op("DeletePodIdentityAssociation")
            .map(|_| ())
    })
    .await
}
