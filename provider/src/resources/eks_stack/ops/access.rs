//! Access entries: a principal's entry in the cluster and the access policy
//! associated with it, made or repaired; stale entries deleted.

use super::*;

/// The entry of `principal` with `spec`'s policy and scope; `have` is the
/// (policy, namespaces) associations seen, None when there is no entry.
pub(super) async fn ensure_access_entry(
    aws: &Aws,
    d: &Desired,
    principal: &str,
    spec: &AccessSpec,
    have: Option<&Vec<(String, Vec<String>)>>,
) -> Result<(), AwsError> {
    if have.is_none() {
        let made = aws
            .eks
            .create_access_entry()
            .cluster_name(&d.name)
            .principal_arn(principal)
            .set_tags(Some(kit::tags::string_map(&stack_tags(aws, d, "access"))))
            .send()
            .await
            .op("CreateAccessEntry");
        // An entry made a moment ago by a retried call.
        found(made, &["ResourceInUseException"])?;
    }
    let want = sorted(spec.namespaces.clone());
    let associated = have.is_some_and(|h| {
        h.iter()
            .any(|(p, ns)| *p == spec.policy_arn && sorted(ns.clone()) == want)
    });
    if associated {
        return Ok(());
    }
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
        .op("AssociateAccessPolicy")
        .map(|_| ())
}

/// Deletes `principal`'s entry (already gone is fine).
pub(super) async fn delete_access_entry(
    aws: &Aws,
    stop: &Stop,
    cluster: &str,
    principal: &str,
    deadline: Instant,
) -> Result<(), AwsError> {
    kit::delete(stop, deadline, || async {
        aws.eks
            .delete_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send()
            .await
            .op("DeleteAccessEntry")
            .map(|_| ())
    })
    .await
}
