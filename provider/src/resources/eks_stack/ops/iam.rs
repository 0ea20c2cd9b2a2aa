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

/// The trust policy of a role that pods assume through EKS Pod Identity (the
/// association names the service account; the agent tags the session).
pub fn pod_identity_trust() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]
        }]
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
    kit::tags::iam::list(tags, "CreateRole")
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
    if let Some(role) = get_role(aws, name).await? {
        return judge_role(aws, d, name, &role);
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
        .op("CreateRole");
    match r {
        Ok(r) => Ok(r.role().map(|r| r.arn().to_string()).unwrap_or_default()),
        // A CreateRole IAM carried out, retried after its answer was lost: the role
        // the GetRole above did not find carries the stack's tags for this very key
        // (IRSA roles made in a create carry no claim mark), or it is judged as any
        // role of that name is.
        Err(e) if e.is_code(&["EntityAlreadyExists"]) => {
            let role = get_role(aws, name).await?.ok_or(ClaimError::Aws(e))?;
            let tags = kit::tags::iam::map(role.tags());
            if kit::tags::owned_key(&tags, &d.name, COMPONENT) == Some(key) {
                return Ok(role.arn().to_string());
            }
            judge_role(aws, d, name, &role)
        }
        Err(e) => Err(e.into()),
    }
}

async fn get_role(aws: &Aws, name: &str) -> Result<Option<aws_sdk_iam::types::Role>, AwsError> {
    let got = found(
        aws.iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .op("GetRole"),
        &["NoSuchEntity"],
    )?;
    Ok(got.and_then(|r| r.role().cloned()))
}

/// The ARN of an existing `role` when the stack may use it (its own, or left by an
/// unfinished create of this stack); an error when it is another's.
fn judge_role(
    aws: &Aws,
    d: &Desired,
    name: &str,
    role: &aws_sdk_iam::types::Role,
) -> Result<String, ClaimError> {
    let tags: Tags = kit::tags::iam::map(role.tags());
    // Judged by this state's fingerprint, in a create as in an update: a role keeps
    // the create's mark until the first read (kit::claim).
    let ours = tags.get(&owner_key("stack")) == Some(&d.name);
    match claim::judge(&tags, &aws.fingerprint) {
        Owner::Ours if ours => Ok(role.arn().to_string()),
        // An update: the role is the stack's own and finished.
        Owner::Managed if ours && d.creating.is_none() => Ok(role.arn().to_string()),
        owner => Err(ClaimError::Taken {
            what: format!("IAM role {name}"),
            owner: if ours { owner } else { Owner::Managed },
        }),
    }
}

/// Attaches the AWS managed policies `names` (idempotent). A role created a
/// moment ago may not be visible to IAM yet: "no such entity" is retried for a
/// while (IAM is eventually consistent).
pub(super) async fn attach(aws: &Aws, role: &str, arns: &[String]) -> Result<(), AwsError> {
    let futs: Vec<Fut<'_, ()>> = arns
        .iter()
        .map(|arn| -> Fut<'_, ()> {
            Box::pin(async move {
                kit::retry::on_new(true, || async {
                    aws.iam
                        .attach_role_policy()
                        .role_name(role)
                        .policy_arn(arn)
                        .send()
                        .await
                        .op("AttachRolePolicy")
                        .map(|_| ())
                })
                .await
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
    // Every page: a policy left attached makes DeleteRole refuse.
    let listed = aws.iam.list_attached_role_policies().role_name(name);
    let attached = match every(listed.into_paginator().items().send())
        .await
        .op("ListAttachedRolePolicies")
    {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(e),
    };
    for p in &attached {
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

#[cfg(test)]
#[allow(clippy::result_large_err)] // SDK error types in scripted answers
mod tests {
    use super::*;
    use crate::aws::fake::{answer, failure, stops_promptly, table, Case, Fake};
    use crate::framework::Value;
    use aws_sdk_iam::operation::attach_role_policy::AttachRolePolicyOutput;
    use aws_sdk_iam::operation::create_role::CreateRoleOutput;
    use aws_sdk_iam::operation::delete_open_id_connect_provider::DeleteOpenIdConnectProviderOutput;
    use aws_sdk_iam::operation::delete_role::DeleteRoleOutput;
    use aws_sdk_iam::operation::delete_role_policy::DeleteRolePolicyOutput;
    use aws_sdk_iam::operation::detach_role_policy::DetachRolePolicyOutput;
    use aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput;
    use aws_sdk_iam::operation::get_role::GetRoleOutput;
    use aws_sdk_iam::operation::list_attached_role_policies::ListAttachedRolePoliciesOutput;
    use aws_sdk_iam::types::{AttachedPolicy, Role, Tag};
    use aws_sdk_iam::Client as Iam;
    use std::time::Duration;

    const NAME: &str = "demo";
    const FP: &str = "0123456789abcdef";
    const ROLE: &str = "demo-cluster";
    const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/ode/demo/demo-cluster";
    const OIDC_ARN: &str =
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC";

    fn desired(creating: Option<&str>) -> Desired {
        let mut d = Desired::from_value(&Value::object([
            ("name", Value::string(NAME)),
            ("subnet_ids", Value::string_list(["subnet-1"])),
        ]));
        d.creating = creating.map(str::to_string);
        d
    }

    fn deadline() -> Instant {
        Instant::now() + Duration::from_secs(600)
    }

    fn tag(k: &str, v: &str) -> Tag {
        Tag::builder().key(k).value(v).build().unwrap()
    }

    fn claim(e: ClaimError) -> AwsError {
        match e {
            ClaimError::Aws(e) => e,
            ClaimError::Taken { what, owner } => {
                AwsError::new("Claim", "Taken", format!("{what} is taken ({owner:?})"))
            }
        }
    }

    // ------------------------------------------------------------- ensure_role

    /// GetRole finds the role, tagged `tags`.
    fn role_exists(fake: &Fake, tags: &'static [(&'static str, &'static str)]) {
        answer!(fake, Iam::get_role, move |i| {
            if i.role_name() != Some(ROLE) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            let role = Role::builder()
                .path("/ode/demo/")
                .role_name(ROLE)
                .role_id("AROA1")
                .arn(ROLE_ARN)
                .create_date(aws_smithy_types::DateTime::from_secs(0))
                .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
                .build()
                .unwrap();
            Ok(GetRoleOutput::builder().role(role).build())
        }; times = 1);
    }

    fn no_role(fake: &Fake) {
        answer!(fake, Iam::get_role, |_| Err(failure(
            "NoSuchEntity",
            "The role with name demo-cluster cannot be found."
        )); times = 1);
    }

    /// CreateRole answers a request for the stack's cluster role, under its
    /// path, trusting EKS, tagged as the stack's (marked `creating` if any).
    fn created(fake: &Fake, creating: Option<&'static str>) {
        answer!(fake, Iam::create_role, move |i| {
            let tags: Tags = i
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            let trust: serde_json::Value =
                serde_json::from_str(i.assume_role_policy_document().unwrap_or_default())
                    .unwrap_or_default();
            let ok = i.role_name() == Some(ROLE)
                && i.path() == Some("/ode/demo/")
                && trust["Statement"][0]["Principal"]["Service"] == "eks.amazonaws.com"
                && tags.get(&owner_key("stack")).map(String::as_str) == Some(NAME)
                && tags.get(&owner_key("key")).map(String::as_str) == Some("role/cluster")
                && tags.get(CREATING_TAG).map(String::as_str) == creating;
            if !ok {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            let role = Role::builder()
                .path("/ode/demo/")
                .role_name(ROLE)
                .role_id("AROA1")
                .arn(ROLE_ARN)
                .create_date(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .unwrap();
            Ok(CreateRoleOutput::builder().role(role).build())
        }; times = 1);
    }

    async fn ensure_cluster_role(d: Desired, aws: Aws) -> Result<(), AwsError> {
        let arn = ensure_role(&aws, &d, ROLE, "role/cluster", trust("eks.amazonaws.com"))
            .await
            .map_err(claim)?;
        if arn != ROLE_ARN {
            return Err(AwsError::new("Test", "WrongArn", arn));
        }
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_role_table() {
        let cases = [
            Case {
                name: "absent (NoSuchEntity): created under the stack's path, marked",
                script: |f| {
                    no_role(f);
                    created(f, Some(FP));
                },
                want: Ok(()),
            },
            Case {
                name: "left by an unfinished create of this stack: adopted",
                script: |f| role_exists(f, &[("ode:stack", NAME), ("ode:creating", FP)]),
                want: Ok(()),
            },
            Case {
                name: "CreateRole carried out, its answer lost and sent again: the stack's role",
                script: |f| {
                    no_role(f);
                    answer!(f, Iam::create_role, |_| Err(failure(
                        "EntityAlreadyExists",
                        "Role with name demo-cluster already exists."
                    )));
                    role_exists(
                        f,
                        &[
                            ("ode:stack", NAME),
                            ("ode:component", "eks-stack"),
                            ("ode:key", "role/cluster"),
                        ],
                    );
                },
                want: Ok(()),
            },
            Case {
                name: "a role of that name made meanwhile by another stack",
                script: |f| {
                    no_role(f);
                    answer!(f, Iam::create_role, |_| Err(failure(
                        "EntityAlreadyExists",
                        "Role with name demo-cluster already exists."
                    )));
                    role_exists(f, &[("ode:stack", "other")]);
                },
                want: Err("IAM role demo-cluster is taken (Managed)"),
            },
            Case {
                name: "another stack's role of that name",
                script: |f| role_exists(f, &[("ode:stack", "other")]),
                want: Err("IAM role demo-cluster is taken (Managed)"),
            },
            Case {
                name: "being created by another configuration",
                script: |f| {
                    role_exists(
                        f,
                        &[("ode:stack", NAME), ("ode:creating", "fedcba9876543210")],
                    )
                },
                want: Err("IAM role demo-cluster is taken (CreatingElsewhere)"),
            },
            Case {
                name: "a finished role of a stack of that name, met by a create",
                script: |f| role_exists(f, &[("ode:stack", NAME)]),
                want: Err("IAM role demo-cluster is taken (Managed)"),
            },
            Case {
                name: "our mark but not the stack's tag",
                script: |f| role_exists(f, &[("ode:creating", FP)]),
                want: Err("IAM role demo-cluster is taken (Managed)"),
            },
            Case {
                name: "GetRole fails",
                script: |f| {
                    answer!(f, Iam::get_role, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: iam:GetRole"
                    )))
                },
                want: Err("GetRole: AccessDenied: not authorized to perform: iam:GetRole"),
            },
            Case {
                name: "CreateRole refused",
                script: |f| {
                    no_role(f);
                    answer!(f, Iam::create_role, |_| Err(failure(
                        "LimitExceeded",
                        "Cannot exceed quota for RolesPerAccount: 1000"
                    )));
                },
                want: Err(
                    "CreateRole: LimitExceeded: Cannot exceed quota for RolesPerAccount: 1000",
                ),
            },
        ];
        table(&cases, |aws, _| ensure_cluster_role(desired(Some(FP)), aws)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn ensure_role_on_update_table() {
        let cases = [
            Case {
                name: "the stack's own finished role: kept",
                script: |f| role_exists(f, &[("ode:stack", NAME)]),
                want: Ok(()),
            },
            Case {
                name: "another stack's role: taken",
                script: |f| role_exists(f, &[("ode:stack", "other")]),
                want: Err("IAM role demo-cluster is taken (Managed)"),
            },
            Case {
                name: "absent: created without a creating mark",
                script: |f| {
                    no_role(f);
                    created(f, None);
                },
                want: Ok(()),
            },
        ];
        table(&cases, |aws, _| ensure_cluster_role(desired(None), aws)).await;
    }

    // ------------------------------------------------------ attach / reattach

    fn node_policy(arn: &str) -> bool {
        NODE_POLICIES
            .iter()
            .any(|n| arn == format!("arn:aws:iam::aws:policy/{n}"))
    }

    fn attached(fake: &Fake, times: usize) {
        answer!(fake, Iam::attach_role_policy, |i| {
            if i.role_name() != Some("demo-node") || !i.policy_arn().is_some_and(node_policy) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(AttachRolePolicyOutput::builder().build())
        }; times = times);
    }

    async fn attach_node_policies(aws: Aws, _: Stop) -> Result<(), AwsError> {
        attach(&aws, "demo-node", &managed(&aws, &NODE_POLICIES)).await
    }

    #[tokio::test(start_paused = true)]
    async fn attach_table() {
        let cases = [
            Case {
                name: "each managed policy attached",
                script: |f| attached(f, 3),
                want: Ok(()),
            },
            Case {
                name: "one refused",
                script: |f| {
                    answer!(f, Iam::attach_role_policy, |i| {
                        if i.policy_arn().is_some_and(|p| p.ends_with("/AmazonEKS_CNI_Policy")) {
                            return Err(failure(
                                "PolicyNotAttachable",
                                "Policy arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy is not attachable",
                            ));
                        }
                        Ok(AttachRolePolicyOutput::builder().build())
                    });
                },
                want: Err("AttachRolePolicy: PolicyNotAttachable: Policy arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
            },
        ];
        table(&cases, attach_node_policies).await;
    }

    #[tokio::test(start_paused = true)]
    async fn attach_retries_a_role_not_visible_yet() {
        let cases = [Case {
            name: "role not found right after create, then attached",
            script: |f| {
                answer!(f, Iam::attach_role_policy, |_| Err(failure(
                    "NoSuchEntity",
                    "The role with name demo-node cannot be found."
                )); times = 1);
                attached(f, 3);
            },
            want: Ok(()),
        }];
        table(&cases, attach_node_policies).await;
    }

    #[tokio::test]
    async fn reattach_attaches_only_what_is_missing() {
        let fake = Fake::new();
        let aws = fake.aws();
        let have = format!("arn:aws:iam::aws:policy/{}", NODE_POLICIES[0]);
        answer!(fake, Iam::attach_role_policy, move |i| {
            let arn = i.policy_arn().unwrap_or_default();
            if i.role_name() != Some("demo-node") || arn == have || !node_policy(arn) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(AttachRolePolicyOutput::builder().build())
        });
        let mut obs = Observed::default();
        obs.role_policies.insert(
            "node".into(),
            vec![format!("arn:aws:iam::aws:policy/{}", NODE_POLICIES[0])],
        );
        reattach(&aws, &desired(None), &obs, "node")
            .await
            .map_err(claim)
            .unwrap();
        assert_eq!(fake.count("AttachRolePolicy"), NODE_POLICIES.len() - 1);

        // Nothing missing: no call.
        obs.role_policies
            .insert("cluster".into(), required_policies(&aws, "cluster"));
        reattach(&aws, &desired(None), &obs, "cluster")
            .await
            .map_err(claim)
            .unwrap();
        assert_eq!(fake.count("AttachRolePolicy"), NODE_POLICIES.len() - 1);
        assert!(fake.unscripted().is_empty(), "{:?}", fake.unscripted());
    }

    // ------------------------------------------------------------- delete_role

    const SA_ROLE: &str = "demo-sa-kube-system-ebs";
    const POLICY_A: &str = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";
    const POLICY_B: &str = "arn:aws:iam::111122223333:policy/extra";

    fn listed(fake: &Fake) {
        answer!(fake, Iam::list_attached_role_policies, |i| {
            if i.role_name() != Some(SA_ROLE) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(ListAttachedRolePoliciesOutput::builder()
                .attached_policies(AttachedPolicy::builder().policy_arn(POLICY_A).build())
                .attached_policies(AttachedPolicy::builder().policy_arn(POLICY_B).build())
                .build())
        }; times = 1);
    }

    fn detached(fake: &Fake) {
        answer!(fake, Iam::detach_role_policy, |i| {
            let arn = i.policy_arn().unwrap_or_default();
            if i.role_name() != Some(SA_ROLE) || (arn != POLICY_A && arn != POLICY_B) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DetachRolePolicyOutput::builder().build())
        }; times = 2);
    }

    fn inline_deleted(fake: &Fake) {
        answer!(fake, Iam::delete_role_policy, |i| {
            if i.role_name() != Some(SA_ROLE) || i.policy_name() != Some("inline") {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DeleteRolePolicyOutput::builder().build())
        }; times = 1);
    }

    fn role_deleted(fake: &Fake) {
        answer!(fake, Iam::delete_role, |i| {
            if i.role_name() != Some(SA_ROLE) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DeleteRoleOutput::builder().build())
        }; times = 1);
    }

    async fn delete_sa_role(aws: Aws, stop: Stop) -> Result<(), AwsError> {
        delete_role(&aws, &stop, SA_ROLE, deadline()).await
    }

    #[tokio::test(start_paused = true)]
    async fn delete_role_table() {
        let cases = [
            Case {
                name: "policies detached, inline policy and role deleted",
                script: |f| {
                    listed(f);
                    detached(f);
                    inline_deleted(f);
                    role_deleted(f);
                },
                want: Ok(()),
            },
            Case {
                name: "already gone",
                script: |f| {
                    answer!(f, Iam::list_attached_role_policies, |_| Err(failure(
                        "NoSuchEntity",
                        "The role with name demo-sa-kube-system-ebs cannot be found."
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "no inline policy",
                script: |f| {
                    listed(f);
                    detached(f);
                    answer!(f, Iam::delete_role_policy, |_| Err(failure(
                        "NoSuchEntity",
                        "The role policy with name inline cannot be found."
                    )));
                    role_deleted(f);
                },
                want: Ok(()),
            },
            Case {
                name: "still in use: the delete is retried",
                script: |f| {
                    listed(f);
                    detached(f);
                    inline_deleted(f);
                    answer!(f, Iam::delete_role, |_| Err(failure(
                        "DeleteConflict",
                        "Cannot delete entity, must detach all policies first."
                    )); times = 2);
                    role_deleted(f);
                },
                want: Ok(()),
            },
            Case {
                name: "gone meanwhile",
                script: |f| {
                    listed(f);
                    detached(f);
                    inline_deleted(f);
                    answer!(f, Iam::delete_role, |_| Err(failure(
                        "NoSuchEntity",
                        "The role with name demo-sa-kube-system-ebs cannot be found."
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "DetachRolePolicy refused",
                script: |f| {
                    listed(f);
                    answer!(f, Iam::detach_role_policy, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: iam:DetachRolePolicy"
                    )));
                },
                want: Err("DetachRolePolicy: AccessDenied: not authorized to perform: iam:DetachRolePolicy"),
            },
            Case {
                name: "ListAttachedRolePolicies fails",
                script: |f| {
                    answer!(f, Iam::list_attached_role_policies, |_| Err(failure(
                        "ServiceFailure",
                        "internal error"
                    )))
                },
                want: Err("ListAttachedRolePolicies: ServiceFailure: internal error"),
            },
        ];
        table(&cases, delete_sa_role).await;
    }

    #[tokio::test(start_paused = true)]
    async fn delete_role_stops_on_request() {
        stops_promptly(
            |f| {
                listed(f);
                detached(f);
                inline_deleted(f);
                answer!(f, Iam::delete_role, |_| Err(failure(
                    "DeleteConflict",
                    "Cannot delete entity, must remove roles from instance profile first."
                )));
            },
            delete_sa_role,
        )
        .await;
    }

    // ------------------------------------------------------------- retire_oidc

    fn provider(fake: &Fake, tags: &'static [(&'static str, &'static str)]) {
        answer!(fake, Iam::get_open_id_connect_provider, move |i| {
            if i.open_id_connect_provider_arn() != Some(OIDC_ARN) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(GetOpenIdConnectProviderOutput::builder()
                .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
                .build())
        }; times = 1);
    }

    fn provider_deleted(fake: &Fake) {
        answer!(fake, Iam::delete_open_id_connect_provider, |i| {
            if i.open_id_connect_provider_arn() != Some(OIDC_ARN) {
                return Err(failure("UnexpectedInput", &format!("{i:?}")));
            }
            Ok(DeleteOpenIdConnectProviderOutput::builder().build())
        }; times = 1);
    }

    #[tokio::test(start_paused = true)]
    async fn retire_oidc_table() {
        let cases = [
            Case {
                name: "the stack's provider: deleted",
                script: |f| {
                    provider(f, &[("ode:stack", NAME), ("ode:key", "oidc")]);
                    provider_deleted(f);
                },
                want: Ok(()),
            },
            Case {
                name: "already gone",
                script: |f| {
                    answer!(f, Iam::get_open_id_connect_provider, |_| Err(failure(
                        "NoSuchEntity",
                        "OpenIDConnect Provider not found"
                    )))
                },
                want: Ok(()),
            },
            Case {
                name: "another stack's provider: left",
                script: |f| provider(f, &[("ode:stack", "other")]),
                want: Ok(()),
            },
            Case {
                name: "an untagged provider: left",
                script: |f| provider(f, &[]),
                want: Ok(()),
            },
            Case {
                name: "gone between the get and the delete",
                script: |f| {
                    provider(f, &[("ode:stack", NAME)]);
                    answer!(f, Iam::delete_open_id_connect_provider, |_| Err(failure(
                        "NoSuchEntity",
                        "OpenIDConnect Provider not found"
                    )));
                },
                want: Ok(()),
            },
            Case {
                name: "GetOpenIDConnectProvider fails",
                script: |f| {
                    answer!(f, Iam::get_open_id_connect_provider, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: iam:GetOpenIDConnectProvider"
                    )))
                },
                want: Err("GetOpenIDConnectProvider: AccessDenied"),
            },
            Case {
                name: "DeleteOpenIDConnectProvider refused",
                script: |f| {
                    provider(f, &[("ode:stack", NAME)]);
                    answer!(f, Iam::delete_open_id_connect_provider, |_| Err(failure(
                        "AccessDenied",
                        "not authorized to perform: iam:DeleteOpenIDConnectProvider"
                    )));
                },
                want: Err("DeleteOpenIDConnectProvider: AccessDenied: not authorized"),
            },
        ];
        table(&cases, |aws, _| async move {
            retire_oidc(&aws, &desired(None), OIDC_ARN).await
        })
        .await;
    }

    // ------------------------------------------------------------ pure helpers

    #[test]
    fn trust_policies() {
        for service in ["eks.amazonaws.com", "ec2.amazonaws.com"] {
            let t: serde_json::Value = serde_json::from_str(&trust(service)).unwrap();
            let s = &t["Statement"][0];
            assert_eq!(s["Principal"]["Service"], service);
            assert_eq!(s["Action"], "sts:AssumeRole");
            assert_eq!(s["Effect"], "Allow");
        }
        let rows = [
            (
                "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
                "kube-system",
                "ebs",
            ),
            ("oidc.eks.eu-west-1.amazonaws.com/id/XYZ", "apps", "api"),
        ];
        for (issuer, ns, sa) in rows {
            let t: serde_json::Value =
                serde_json::from_str(&irsa_trust(OIDC_ARN, issuer, ns, sa)).unwrap();
            let s = &t["Statement"][0];
            let host = issuer.strip_prefix("https://").unwrap_or(issuer);
            assert_eq!(s["Principal"]["Federated"], OIDC_ARN);
            assert_eq!(s["Action"], "sts:AssumeRoleWithWebIdentity");
            let cond = &s["Condition"]["StringEquals"];
            assert_eq!(
                cond[format!("{host}:sub")],
                format!("system:serviceaccount:{ns}:{sa}")
            );
            assert_eq!(cond[format!("{host}:aud")], "sts.amazonaws.com");
            assert_eq!(cond.as_object().map(|o| o.len()), Some(2));
        }
    }

    #[test]
    fn tags_and_names() {
        let tags = Tags::from([
            ("team".to_string(), "a".to_string()),
            (owner_key("stack"), NAME.to_string()),
        ]);
        let got: Vec<(String, String)> = iam_tags(&tags)
            .unwrap()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        assert_eq!(got, tags.into_iter().collect::<Vec<_>>());

        let aws = Fake::new().aws();
        assert_eq!(
            required_policies(&aws, "cluster"),
            vec!["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]
        );
        assert_eq!(
            required_policies(&aws, "node"),
            vec![
                "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            ]
        );
        assert_eq!(
            sa_role_arn(
                &aws,
                &desired(None),
                "arn:aws:eks:us-east-1:111122223333:cluster/demo",
                "kube-system/ebs"
            ),
            "arn:aws:iam::111122223333:role/ode/demo/demo-sa-kube-system-ebs"
        );
    }
}
