//! `ode_eks_stack`: what users write and what they get back.

use super::model::minor;
use super::model::{ADMIN_POLICY, DEFAULT_AMI, DEFAULT_DISK, DEFAULT_INSTANCE_TYPE};
use crate::aws::validate as awsv;
use crate::framework::validate::one_of;
use crate::framework::{Attribute, Block, Schema, Type, Value};

pub const TYPE_NAME: &str = "ode_eks_stack";

pub const DEFAULT_LOG_TYPES: [&str; 3] = ["api", "controllerManager", "scheduler"];
/// Days CloudWatch Logs keeps the control plane logs, unless configured.
pub const DEFAULT_LOG_RETENTION_DAYS: i64 = 90;
/// The retention periods CloudWatch Logs accepts (PutRetentionPolicy).
pub const LOG_RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
pub const AUTH_MODES: [&str; 3] = ["API", "API_AND_CONFIG_MAP", "CONFIG_MAP"];
pub const LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];
pub const CAPACITY_TYPES: [&str; 2] = ["ON_DEMAND", "SPOT"];
pub const SCALING_OWNERS: [&str; 2] = ["terraform", "autoscaler"];
pub const TAINT_EFFECTS: [&str; 3] = ["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"];
/// Addons that run without nodes, created beside the node groups; the others wait
/// for a node group to be ACTIVE.
pub const NODELESS_ADDONS: [&str; 2] = ["vpc-cni", "kube-proxy"];

// ------------------------------------------------------------------ rules
// Rules for single values, attached to their attributes below and run by the
// server; `validate` keeps the rules that span attributes.

fn cluster_name(s: &str) -> Result<(), String> {
    let ok = (1..=100).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?}: cluster names are 1 to 100 letters, digits, '-' or '_', starting with a letter or digit."))
    }
}

fn cluster_version(s: &str) -> Result<(), String> {
    match minor(s) {
        Some((1, m)) if (23..=40).contains(&m) => Ok(()),
        _ => Err(format!(
            "{s:?} is not a Kubernetes version EKS offers (like \"1.29\")."
        )),
    }
}

fn group_version(s: &str) -> Result<(), String> {
    match minor(s) {
        Some((1, _)) => Ok(()),
        _ => Err(format!(
            "{s:?} is not a Kubernetes version (like \"1.29\")."
        )),
    }
}

fn log_retention(days: i64) -> Result<(), String> {
    if LOG_RETENTION_DAYS.contains(&days) {
        Ok(())
    } else {
        Err(format!(
            "CloudWatch Logs keeps logs for one of {} days, not {days}.",
            LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ")
        ))
    }
}

fn cidr(s: &str) -> Result<(), String> {
    crate::resources::network::layout::Cidr::parse(s).map(|_| ())
}

fn instance_type(s: &str) -> Result<(), String> {
    let ok = s.split_once('.').is_some_and(|(f, size)| {
        !f.is_empty()
            && !size.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an EC2 instance type (like \"t3.medium\")."
        ))
    }
}

/// A node count, named in the message.
fn size(attr: &'static str) -> impl Fn(i64) -> Result<(), String> {
    move |n| {
        if (0..=1000).contains(&n) {
            Ok(())
        } else {
            Err(format!("{attr} must be 0 to 1000."))
        }
    }
}

fn disk_size(n: i64) -> Result<(), String> {
    if (1..=16384).contains(&n) {
        Ok(())
    } else {
        Err(format!("disk_size must be 1 to 16384 GiB; got {n}."))
    }
}

fn max_unavailable(n: i64) -> Result<(), String> {
    if (1..=100).contains(&n) {
        Ok(())
    } else {
        Err(format!("max_unavailable must be 1 to 100; got {n}."))
    }
}

/// A Kubernetes label (or taint) value: empty, or 1 to 63 letters, digits, '-', '_'
/// or '.', beginning and ending with a letter or digit.
pub fn label_value(v: &str) -> Result<(), String> {
    let ok = v.is_empty()
        || ((1..=63).contains(&v.len())
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
    if ok {
        Ok(())
    } else {
        Err(format!("{v:?} is not a Kubernetes label value (at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit)."))
    }
}

fn ami_type(s: &str) -> Result<(), String> {
    let known = aws_sdk_eks::types::AmiTypes::values();
    if known.contains(&s) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an EKS AMI type; use one of {}.",
            known.join(", ")
        ))
    }
}

fn label(k: &str, v: Option<&str>) -> Result<(), String> {
    label_key(k, None)?;
    v.map_or(Ok(()), label_value)
}

pub fn label_key(k: &str, _: Option<&str>) -> Result<(), String> {
    let name = k.rsplit('/').next().unwrap_or(k);
    let ok = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("{k:?} is not a Kubernetes label key."))
    }
}

fn json(s: &str) -> Result<(), String> {
    serde_json::from_str::<serde_json::Value>(s)
        .map(|_| ())
        .map_err(|e| format!("not JSON: {e}"))
}

fn access_policy(s: &str) -> Result<(), String> {
    if s.starts_with("arn:") && s.contains(":cluster-access-policy/") {
        Ok(())
    } else {
        Err(format!("{s:?} is not an EKS access policy ARN."))
    }
}

fn policy_document(s: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("Statement").is_some() {
        Ok(())
    } else {
        Err("a policy document needs a \"Statement\".".into())
    }
}

fn node_group_block() -> Block {
    Block::new("Managed node groups by name (`node_groups = { system = { ... } }`).")
        .attr(Attribute::string_list("instance_types").implied(Value::string_list([DEFAULT_INSTANCE_TYPE])).check_str(instance_type).doc(
            "EC2 instance types (default `[\"t3.medium\"]`). Changing them replaces the group inside the stack: the new group is ACTIVE before the old one is deleted.",
        ))
        .attr(Attribute::string("capacity_type").implied(CAPACITY_TYPES[0]).check_str(one_of(&CAPACITY_TYPES)).doc(
            "`ON_DEMAND` (default) or `SPOT`. Changing it replaces the group inside the stack.",
        ))
        .attr(Attribute::number("min_size").required().check_int(size("min_size")).doc("Minimum number of nodes."))
        .attr(Attribute::number("max_size").required().check_int(size("max_size")).doc("Maximum number of nodes."))
        .attr(Attribute::number("desired_size").optional().computed().check_int(size("desired_size")).doc(
            "Desired number of nodes (default `min_size`). With `scaling_owner = \"autoscaler\"` only the initial size: later changes made by the cluster autoscaler are not drift.",
        ))
        .attr(Attribute::number("disk_size").implied(Value::int(DEFAULT_DISK)).check_int(disk_size).doc(
            "Root volume size in GiB (default 20). Changing it replaces the group inside the stack.",
        ))
        .attr(Attribute::string("ami_type").implied(DEFAULT_AMI).check_str(ami_type).doc(
            "AMI type, e.g. `AL2023_x86_64_STANDARD` (default) or `BOTTLEROCKET_x86_64`. Changing it replaces the group inside the stack.",
        ))
        .attr(Attribute::string_map("labels").optional().check_entries(label).doc("Kubernetes labels for the nodes."))
        .attr(
            Attribute::new(
                "taints",
                Type::list(Type::object([
                    ("key", Type::String),
                    ("value", Type::String),
                    ("effect", Type::String),
                ])),
            )
            .optional()
            .doc("Kubernetes taints for the nodes: objects with `key`, `value` and `effect` (`NO_SCHEDULE`, `NO_EXECUTE`, `PREFER_NO_SCHEDULE`)."),
        )
        .attr(Attribute::number("max_unavailable").implied(Value::int(1)).check_int(max_unavailable).doc(
            "How many nodes may be unavailable during a version update (default 1).",
        ))
        .attr(Attribute::string("scaling_owner").implied(SCALING_OWNERS[0]).check_str(one_of(&SCALING_OWNERS)).doc(
            "Who owns `desired_size` after creation: `terraform` (default; a size changed outside Terraform is drift) or `autoscaler` (the cluster autoscaler's changes are kept).",
        ))
        .attr(Attribute::string("kubernetes_version").optional().computed().check_str(group_version).doc(
            "Pin the group to an older Kubernetes version within the allowed skew (default: follow the cluster).",
        ))
}

fn addon_block() -> Block {
    Block::new("EKS add-ons by name (`addons = { coredns = {}, metrics-server = {} }`): any add-on EKS offers for the cluster's Kubernetes version (DescribeAddonVersions, checked at plan, as are an explicit version and the top-level settings of `configuration_values`).")
        .attr(Attribute::string("version").optional().computed().doc(
            "Add-on version; when null, the version EKS names as default for the cluster's Kubernetes version (kept current across upgrades).",
        ))
        .attr(Attribute::string("configuration_values").optional().check_str(json).doc(
            "Add-on configuration as a JSON document.",
        ))
        .attr(Attribute::string("service_account").optional().doc(
            "Key of a `service_accounts` entry (`namespace/name`) whose IAM role the add-on's pods assume (EKS `serviceAccountRoleArn`), e.g. `kube-system/ebs-csi-controller-sa` for `aws-ebs-csi-driver` with `AmazonEBSCSIDriverPolicy`. The stack creates that role before the add-on.",
        ))
}

fn access_entry_block() -> Block {
    Block::new("Cluster access for IAM principals, keyed by ARN (`access_entries = { \"arn:aws:iam::123456789012:role/admin\" = {} }`).")
        .attr(Attribute::string("policy_arn").implied(ADMIN_POLICY).check_str(access_policy).doc(
            "EKS access policy to associate (default `arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`).",
        ))
        .attr(Attribute::string_list("namespaces").optional().doc(
            "Limit the policy to these namespaces (default: the whole cluster).",
        ))
}

pub const IDENTITIES: [&str; 2] = ["irsa", "pod_identity"];
/// The add-on that gives pods their EKS Pod Identity credentials.
pub const POD_IDENTITY_AGENT: &str = "eks-pod-identity-agent";

fn service_account_block() -> Block {
    Block::new("IAM roles for Kubernetes service accounts, keyed by `namespace/name` (`service_accounts = { \"ode/api\" = { ... } }`): through IRSA (the cluster's OIDC issuer) or EKS Pod Identity.")
        .attr(Attribute::string("identity").implied(IDENTITIES[0]).check_str(one_of(&IDENTITIES)).doc(
            "How the pods get the role: `irsa` (default; the role trusts the cluster's OIDC provider for this service account, and the service account is annotated with the role ARN) or `pod_identity` (the role trusts `pods.eks.amazonaws.com` and the stack makes an EKS Pod Identity association for the service account; needs the `eks-pod-identity-agent` add-on, no annotation).",
        ))
        .attr(Attribute::string_list("policy_arns").optional().check_str(awsv::arn("iam")).doc(
            "Managed policies to attach to the role.",
        ))
        .attr(Attribute::string("policy_json").optional().check_str(policy_document).doc(
            "An inline policy document (JSON) for the role.",
        ))
}

pub fn schema() -> Schema {
    let computed = Attribute::output;
    let volatile = Attribute::volatile_output;
    let block = Block::new(
        "The ODE EKS stack as one resource: the cluster, its IAM roles, secrets encryption \
         key, OIDC provider, access entries, managed node groups, add-ons and IAM roles for \
         service accounts, created in dependency order (concurrent where independent), \
         upgraded in place one minor version at a time (control plane, then node groups, \
         then add-ons), and deleted in a safe order.",
    )
    .attr(Attribute::string("name").required().requires_replace().check_str(cluster_name).doc(
        "Cluster name (e.g. `ode-production-cluster`). Changing it replaces the stack.",
    ))
    .attr(Attribute::string("kubernetes_version").optional().computed().use_state_for_unknown().check_str(cluster_version).doc(
        "Kubernetes version (`1.35`). Left unset, a new stack takes the newest version EKS offers in standard support (shown in the plan), which then stays in state: it never moves by itself. A version past its end of extended support is refused at plan; one in extended support is accepted with a warning and priced at the extended rate. Raising it upgrades in place, one minor at a time within one apply; lowering it is refused.",
    ))
    .attr(Attribute::string_list("subnet_ids").required().check_str(awsv::ec2_id("subnet-", "subnet")).doc(
        "Subnets for the control plane's network interfaces and the node groups: the private subnets of at least two availability zones.",
    ))
    .attr(Attribute::bool("endpoint_private_access").default(true).doc(
        "Reach the API server from inside the VPC.",
    ))
    .attr(Attribute::bool("endpoint_public_access").default(true).doc(
        "Reach the API server from the internet (limited by `public_access_cidrs`).",
    ))
    .attr(Attribute::string_list("public_access_cidrs").implied(Value::string_list(["0.0.0.0/0"])).check_str(cidr).doc(
        "CIDR blocks allowed to reach the public endpoint (default: anywhere).",
    ))
    .attr(
        Attribute::string_list("enabled_log_types")
            .check_str(one_of(&LOG_TYPES))
            .default(Value::string_list(DEFAULT_LOG_TYPES))
            .doc("Control plane log types sent to CloudWatch Logs: `api`, `audit`, `authenticator`, `controllerManager`, `scheduler`."),
    )
    .attr(Attribute::number("log_retention_days").default(Value::int(DEFAULT_LOG_RETENTION_DAYS)).check_int(log_retention).doc(
        "Days CloudWatch Logs keeps the control plane logs. The stack owns the log group `/aws/eks/<name>/cluster` (created before the cluster, deleted after it); one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.",
    ))
    .attr(Attribute::string("kms_key_arn").optional().requires_replace().check_str(awsv::arn("kms")).doc(
        "KMS key for envelope encryption of Kubernetes secrets; when null the stack creates one (and schedules its deletion on destroy). A supplied key must be an enabled symmetric encryption key (checked at plan); a cluster role the stack creates is granted its use (`kms:Encrypt`, `kms:Decrypt`, `kms:ListGrants`, `kms:DescribeKey` on that key only).",
    ))
    .attr(Attribute::string("cluster_role_arn").optional().computed().use_state_for_unknown().requires_replace().check_str(awsv::role_arn).doc(
        "IAM role of the control plane; when null the stack creates one with AmazonEKSClusterPolicy.",
    ))
    .attr(Attribute::string("node_role_arn").optional().computed().use_state_for_unknown().requires_replace().check_str(awsv::role_arn).doc(
        "IAM role of the nodes; when null the stack creates one with the worker node, CNI and ECR read-only policies.",
    ))
    .attr(Attribute::string("authentication_mode").default("API_AND_CONFIG_MAP").check_str(one_of(&AUTH_MODES)).doc(
        "How principals authenticate: `API`, `API_AND_CONFIG_MAP` (default) or `CONFIG_MAP`.",
    ))
    .attr(Attribute::string_map("tags").implied(Value::Map(Default::default())).check_entries(awsv::tag).doc(
        "Tags for every object of the stack, merged over the provider's `default_tags`.",
    ))
    .attr(node_group_block().into_map_attribute("node_groups").implied(Value::Map(Default::default())))
    .attr(addon_block().into_map_attribute("addons").implied(Value::Map(Default::default())))
    .attr(access_entry_block().into_map_attribute("access_entries").implied(Value::Map(Default::default())))
    .attr(service_account_block().into_map_attribute("service_accounts").implied(Value::Map(Default::default())))
    .single("timeouts", crate::kit::timeouts::block("60m"))
    .attr(computed("id", Type::String, "The cluster name."))
    .attr(computed("arn", Type::String, "The cluster ARN."))
    .attr(computed("endpoint", Type::String, "The API server endpoint."))
    .attr(computed("certificate_authority_data", Type::String, "The cluster CA certificate, base64."))
    .attr(computed("oidc_issuer_url", Type::String, "The cluster's OIDC issuer URL."))
    .attr(computed("oidc_provider_arn", Type::String, "The IAM OIDC provider ARN that IRSA roles trust."))
    .attr(computed("cluster_security_group_id", Type::String, "The security group EKS created for the cluster and its nodes (allow it at the data tier)."))
    .attr(computed("secrets_kms_key_arn", Type::String, "The KMS key that encrypts Kubernetes secrets."))
    .attr(Attribute::string("iam_policies").computed().doc(
        "`verified` when the cluster and node roles the stack made carry their managed policies (and the cluster role its use of the secrets key) and each IRSA role trusts the cluster's issuer; otherwise what is missing (drift that apply repairs).",
    ))
    .attr(volatile("platform_version", Type::String, "The EKS platform version."))
    .attr(volatile("node_group_arns", Type::map(Type::String), "Node group ARNs by key."))
    .attr(volatile("node_group_versions", Type::map(Type::String), "Kubernetes version of each node group, by key."))
    .attr(volatile("node_group_status", Type::map(Type::String), "Status of each node group, by key."))
    .attr(volatile("addon_versions", Type::map(Type::String), "Installed version of each add-on, by name."))
    .attr(volatile("service_account_role_arns", Type::map(Type::String), "Role ARN of each service account (IRSA or Pod Identity), by `namespace/name`."))
    .attr(volatile("pod_identity_association_ids", Type::map(Type::String), "EKS Pod Identity association ID of each `pod_identity` service account, by `namespace/name`."))
    .attr(volatile("kubeconfig", Type::String, "A kubeconfig for the cluster that gets tokens with `aws eks get-token` (no secret in it)."));
    let [cost, items] = crate::pricing::attributes();
    let block = block.attr(cost).attr(items);
    Schema::new(0, block)
}
