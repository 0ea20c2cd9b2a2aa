//! IAM: the cluster and node roles, IRSA roles and their trust, managed policy
//! attachments, and the stack's OIDC provider when it is retired.

use super::*;

pub(super) const CLUSTER_POLICIES: [&str; 1] = ["AmazonEKSClusterPolicy"];

pub(super) const NODE_POLICIES: [&str; 3] = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];

pub(super) fn trust(service: &str) -> String {
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

pub(super) fn iam_tags(tags: &Tags) -> Result<Vec<aws_sdk_iam::types::Tag>, AwsError> {
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
pub(super) async fn ensure_role(
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
pub(super) async fn attach(aws: &Aws, role: &str, arns: &[String]) -> Result<(), AwsError> {
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

pub(super) fn managed(aws: &Aws, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| format!("arn:{}:iam::aws:policy/{n}", aws.partition))
        .collect()
}

/// Attaches the managed policies missing from a role the stack made (drift).
pub(super) async fn reattach(
    aws: &Aws,
    d: &Desired,
    obs: &Observed,
    suffix: &str,
) -> Result<(), ClaimError> {
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
pub(super) async fn delete_role(
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
