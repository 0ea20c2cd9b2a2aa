//! Typed views of `ode_eks_stack`: what a plan asks for (with defaults applied),
//! what AWS holds, and the state value built from both.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ops;
use super::schema::*;
use crate::aws::Aws;
use crate::framework::Value;
use crate::kit::timeouts::Timeouts;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60 * 60);
pub const DEFAULT_INSTANCE_TYPE: &str = "t3.medium";
pub const DEFAULT_AMI: &str = "AL2023_x86_64_STANDARD";
pub const DEFAULT_DISK: i64 = 20;
pub const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

/// A node group as configured, defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroupSpec {
    pub instance_types: Vec<String>,
    pub capacity_type: String,
    pub min_size: i32,
    pub max_size: i32,
    pub desired_size: i32,
    pub disk_size: i32,
    pub ami_type: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<(String, String, String)>,
    pub max_unavailable: i32,
    pub autoscaler: bool,
    /// A pinned version; None follows the cluster.
    pub version: Option<String>,
}

impl NodeGroupSpec {
    /// What AWS cannot report about the group, recorded in its settings tag for an
    /// import: that the cluster autoscaler owns its size, and the size the
    /// configuration started it with.
    pub fn settings(&self) -> Option<String> {
        self.autoscaler.then(|| {
            crate::kit::tags::encode_settings(&[
                ("scaling_owner", Some("autoscaler".into())),
                ("desired_size", Some(self.desired_size.to_string())),
            ])
        })?
    }

    /// What AWS cannot change in place: a change means a new group.
    pub fn immutable(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.instance_types.join(","),
            self.capacity_type,
            self.disk_size,
            self.ami_type
        )
    }
}

fn int(v: &Value, default: i64) -> i32 {
    let n = v.as_i64().unwrap_or(default);
    i32::try_from(n.clamp(i64::from(i32::MIN), i64::from(i32::MAX))).unwrap_or(0)
}

fn node_group(v: &Value) -> NodeGroupSpec {
    let min = int(v.get("min_size"), 1);
    let taints = v
        .get("taints")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            let s = |k: &str| t.get(k).as_str().unwrap_or_default().to_string();
            (s("key"), s("value"), s("effect"))
        })
        .collect();
    NodeGroupSpec {
        instance_types: match v.get("instance_types").as_list() {
            Some(_) => v.get("instance_types").to_string_vec(),
            None => vec![DEFAULT_INSTANCE_TYPE.to_string()],
        },
        capacity_type: v
            .get("capacity_type")
            .as_str()
            .unwrap_or("ON_DEMAND")
            .to_string(),
        min_size: min,
        max_size: int(v.get("max_size"), i64::from(min)),
        desired_size: int(v.get("desired_size"), i64::from(min)),
        disk_size: int(v.get("disk_size"), DEFAULT_DISK),
        ami_type: v
            .get("ami_type")
            .as_str()
            .unwrap_or(DEFAULT_AMI)
            .to_string(),
        labels: v.get("labels").to_string_map(),
        taints,
        max_unavailable: int(v.get("max_unavailable"), 1),
        autoscaler: v.get("scaling_owner").as_str() == Some("autoscaler"),
        version: v.get("kubernetes_version").as_str().map(str::to_string),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AddonSpec {
    pub version: Option<String>,
    pub configuration: Option<String>,
    /// Key of the `service_accounts` entry whose IRSA role the add-on uses.
    pub service_account: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccessSpec {
    pub policy_arn: String,
    pub namespaces: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceAccountSpec {
    pub namespace: String,
    pub name: String,
    pub policy_arns: Vec<String>,
    pub policy_json: Option<String>,
    /// Through EKS Pod Identity (an association) instead of IRSA.
    pub pod_identity: bool,
}

/// The settings a plan asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub name: String,
    pub version: String,
    pub subnet_ids: Vec<String>,
    pub private_access: bool,
    pub public_access: bool,
    pub public_cidrs: Option<Vec<String>>,
    pub log_types: Vec<String>,
    pub log_retention_days: i32,
    pub kms_key_arn: Option<String>,
    pub cluster_role_arn: Option<String>,
    pub node_role_arn: Option<String>,
    pub auth_mode: String,
    pub tags: BTreeMap<String, String>,
    pub node_groups: BTreeMap<String, NodeGroupSpec>,
    pub addons: BTreeMap<String, AddonSpec>,
    pub access: BTreeMap<String, AccessSpec>,
    pub service_accounts: BTreeMap<String, ServiceAccountSpec>,
    pub timeouts: Timeouts,
    /// While a create runs: the claim fingerprint (see `kit::claim`).
    pub creating: Option<String>,
}

fn entries(v: &Value) -> Vec<(String, &Value)> {
    v.as_map()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

impl Desired {
    pub fn from_value(v: &Value) -> Self {
        let opt_list = |name: &str| (!v.get(name).is_null()).then(|| v.get(name).to_string_vec());
        Desired {
            name: v.get("name").as_str().unwrap_or_default().to_string(),
            version: v
                .get("kubernetes_version")
                .as_str()
                .unwrap_or_default()
                .to_string(),
            subnet_ids: v.get("subnet_ids").to_string_vec(),
            private_access: v.get("endpoint_private_access").as_bool().unwrap_or(true),
            public_access: v.get("endpoint_public_access").as_bool().unwrap_or(true),
            public_cidrs: opt_list("public_access_cidrs"),
            log_types: opt_list("enabled_log_types")
                .unwrap_or_else(|| DEFAULT_LOG_TYPES.map(String::from).to_vec()),
            log_retention_days: v
                .get("log_retention_days")
                .as_i64()
                .unwrap_or(DEFAULT_LOG_RETENTION_DAYS) as i32,
            kms_key_arn: v.get("kms_key_arn").as_str().map(str::to_string),
            cluster_role_arn: v.get("cluster_role_arn").as_str().map(str::to_string),
            node_role_arn: v.get("node_role_arn").as_str().map(str::to_string),
            auth_mode: v
                .get("authentication_mode")
                .as_str()
                .unwrap_or("API_AND_CONFIG_MAP")
                .to_string(),
            tags: v.get("tags").to_string_map(),
            node_groups: entries(v.get("node_groups"))
                .into_iter()
                .map(|(k, g)| (k, node_group(g)))
                .collect(),
            addons: entries(v.get("addons"))
                .into_iter()
                .map(|(k, a)| {
                    let s = |n: &str| a.get(n).as_str().map(str::to_string);
                    (
                        k,
                        AddonSpec {
                            version: s("version"),
                            configuration: s("configuration_values"),
                            service_account: s("service_account"),
                        },
                    )
                })
                .collect(),
            access: entries(v.get("access_entries"))
                .into_iter()
                .map(|(k, a)| {
                    (
                        k,
                        AccessSpec {
                            policy_arn: a
                                .get("policy_arn")
                                .as_str()
                                .unwrap_or(ADMIN_POLICY)
                                .to_string(),
                            namespaces: a.get("namespaces").to_string_vec(),
                        },
                    )
                })
                .collect(),
            service_accounts: entries(v.get("service_accounts"))
                .into_iter()
                .map(|(k, a)| {
                    let (ns, name) = k.split_once('/').unwrap_or(("default", k.as_str()));
                    let spec = ServiceAccountSpec {
                        namespace: ns.to_string(),
                        name: name.to_string(),
                        policy_arns: a.get("policy_arns").to_string_vec(),
                        policy_json: a.get("policy_json").as_str().map(str::to_string),
                        pod_identity: a.get("identity").as_str() == Some("pod_identity"),
                    };
                    (k.clone(), spec)
                })
                .collect(),
            timeouts: Timeouts::from_value(v, DEFAULT_TIMEOUT),
            creating: None,
        }
    }

    /// The control plane's CloudWatch Logs group (EKS writes to this name).
    pub fn log_group(&self) -> String {
        format!("/aws/eks/{}/cluster", self.name)
    }

    /// The IAM role names the stack creates (at most 64 characters).
    pub fn role_name(&self, suffix: &str) -> String {
        let mut n = format!("{}-{suffix}", self.name);
        n.truncate(64);
        n
    }

    /// The IRSA role name of a service account key (`namespace/name`).
    pub fn sa_role_name(&self, key: &str) -> String {
        let flat: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let mut n = format!("{}-sa-{flat}", self.name);
        if n.len() > 64 {
            // Keep it unique: a short hash of the whole name replaces the tail.
            let h = format!("{:08x}", fnv(&n) as u32);
            n.truncate(55);
            n.push('-');
            n.push_str(&h);
        }
        n
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `1.29` -> (1, 29).
pub fn minor(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// How many minors older than its cluster a managed node group may run: three from
/// Kubernetes 1.28 on (the kubelet skew policy), two before.
pub fn allowed_skew(cluster: (u32, u32)) -> u32 {
    if cluster >= (1, 28) {
        3
    } else {
        2
    }
}

/// Why a node group pinned to `group` cannot run under a cluster at `cluster`
/// (newer than the cluster, or older than the allowed skew); None when it can.
pub fn skew_error(cluster: &str, group: &str) -> Option<String> {
    let (c, g) = (minor(cluster)?, minor(group)?);
    if g > c {
        return Some(format!(
            "A node group cannot run a newer Kubernetes version than its cluster: {group} is newer than the cluster's {cluster}. Pin {cluster} or older, or leave kubernetes_version null to follow the cluster."
        ));
    }
    let skew = allowed_skew(c);
    if c.0 != g.0 || c.1 - g.1 > skew {
        let oldest = format!("{}.{}", c.0, c.1.saturating_sub(skew));
        return Some(format!(
            "EKS lets a node group run at most {skew} minor versions older than a {cluster} cluster: {group} is too old. Pin {oldest} to {cluster}, or leave kubernetes_version null to follow the cluster."
        ));
    }
    None
}

/// The versions an upgrade from `from` to `to` passes through, one minor at a time
/// (empty when `to` is not newer).
pub fn upgrade_steps(from: &str, to: &str) -> Vec<String> {
    match (minor(from), minor(to)) {
        (Some((fa, fb)), Some((ta, tb))) if fa == ta && tb > fb => {
            ((fb + 1)..=tb).map(|m| format!("{ta}.{m}")).collect()
        }
        _ => Vec::new(),
    }
}

// ------------------------------------------------------------ observation

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterSeen {
    pub arn: String,
    pub version: String,
    pub status: String,
    pub endpoint: String,
    pub ca: String,
    pub issuer: String,
    pub security_group: String,
    pub platform_version: String,
    pub role_arn: String,
    pub subnet_ids: Vec<String>,
    pub private_access: bool,
    pub public_access: bool,
    pub public_cidrs: Vec<String>,
    pub log_types: Vec<String>,
    pub kms_key_arn: Option<String>,
    pub auth_mode: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// EKS's health issues (`code: message`), AWS's reason for a FAILED cluster.
    pub health: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroupSeen {
    /// The EKS node group name (the key, or the key with a generation suffix).
    pub eks_name: String,
    pub arn: String,
    pub status: String,
    pub version: String,
    pub spec: NodeGroupSpec,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AddonSeen {
    pub version: String,
    pub status: String,
    pub configuration: Option<String>,
    /// The IAM role the add-on's service account assumes, if any.
    pub role_arn: Option<String>,
}

/// Everything of one stack that AWS holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub cluster: Option<ClusterSeen>,
    /// By key (the `node_group` label); each key may have an old and a new group
    /// while a replacement runs: all are listed.
    pub node_groups: BTreeMap<String, Vec<NodeGroupSeen>>,
    pub addons: BTreeMap<String, AddonSeen>,
    /// Principal ARN -> associated policy ARNs with their namespaces (the
    /// principals the configuration names).
    pub access: BTreeMap<String, Vec<(String, Vec<String>)>>,
    /// Access entries the stack made for principals the configuration no longer
    /// names (deleted by the next apply).
    pub stale_access: Vec<String>,
    pub oidc_provider_arn: Option<String>,
    pub cluster_role_arn: Option<String>,
    pub node_role_arn: Option<String>,
    /// Managed policies attached to the cluster and node roles the stack made, by
    /// role suffix (`cluster`, `node`).
    pub role_policies: BTreeMap<String, Vec<String>>,
    /// The inline policy of the cluster role the stack made (its use of the
    /// secrets key), when it has one.
    pub cluster_role_inline: Option<String>,
    /// The control plane log group: absent (None), or its retention in days
    /// (`Some(None)`: kept for ever).
    pub log_group: Option<Option<i32>>,
    /// IRSA role ARN by service account key.
    pub sa_roles: BTreeMap<String, String>,
    /// The trust policy (JSON) of each IRSA role, by key.
    pub sa_trust: BTreeMap<String, String>,
    /// Roles under the stack's IAM path that no longer serve it: the IRSA roles of
    /// service accounts taken out of the configuration (deleted by the next apply).
    pub stale_roles: Vec<String>,
    /// Policy ARNs attached to each IRSA role, and its inline policy, by key.
    pub sa_policies: BTreeMap<String, (Vec<String>, Option<String>)>,
    /// The cluster's Pod Identity associations for roles of the stack (those made
    /// for others are not the stack's), by `namespace/name`.
    pub pod_identities: BTreeMap<String, PodIdentitySeen>,
}

/// A Pod Identity association of the stack.
#[derive(Clone, Debug, PartialEq)]
pub struct PodIdentitySeen {
    pub id: String,
    pub role_arn: String,
}

impl Observed {
    /// Whether objects of the stack remain although its cluster is gone (deleted
    /// outside Terraform): the stack is then repaired, not created anew.
    pub fn remnants(&self) -> bool {
        self.cluster_role_arn.is_some()
            || self.node_role_arn.is_some()
            || !self.sa_roles.is_empty()
            || self.log_group.is_some()
    }
}

/// The kubeconfig for a cluster (exec plugin: `aws eks get-token`).
pub fn kubeconfig(name: &str, region: &str, endpoint: &str, ca: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: {endpoint}\n    certificate-authority-data: {ca}\ncontexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\ncurrent-context: {name}\nusers:\n- name: {name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [\"eks\", \"get-token\", \"--cluster-name\", \"{name}\", \"--region\", \"{region}\"]\n"
    )
}

// ------------------------------------------------------------------ state

/// Attributes the user writes (kept from config/plan in state unless AWS drifted).
const CONFIG_ATTRS: [&str; 19] = [
    "name",
    "kubernetes_version",
    "subnet_ids",
    "endpoint_private_access",
    "endpoint_public_access",
    "public_access_cidrs",
    "enabled_log_types",
    "log_retention_days",
    "kms_key_arn",
    "cluster_role_arn",
    "node_role_arn",
    "authentication_mode",
    "tags",
    "node_groups",
    "addons",
    "access_entries",
    "service_accounts",
    "timeouts",
    "id",
];

/// What only a cluster has: null in the state while the cluster is gone and the
/// rest of the stack remains, unknown in the plan that makes it again.
pub(super) const CLUSTER_OUTPUTS: [&str; 11] = [
    "arn",
    "endpoint",
    "certificate_authority_data",
    "oidc_issuer_url",
    "cluster_security_group_id",
    "platform_version",
    "kubeconfig",
    "node_group_arns",
    "node_group_versions",
    "node_group_status",
    "addon_versions",
];

/// What the state says of an add-on's role: the `service_accounts` key whose
/// role it assumes, or the ARN of a role the stack does not own (drift).
pub(super) fn addon_service_account(obs: &Observed, seen: &AddonSeen) -> Value {
    match &seen.role_arn {
        None => Value::Null,
        Some(arn) => Value::string(
            obs.sa_roles
                .iter()
                .find(|(_, r)| *r == arn)
                .map_or(arn.as_str(), |(k, _)| k.as_str()),
        ),
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The state for `base` (the plan after an apply, the prior state on refresh)
/// as AWS has it: configured values stay as written unless AWS differs (drift),
/// computed values come from AWS. Null when the cluster is gone.
pub fn state(aws: &Aws, base: &Value, obs: &Observed) -> Value {
    let Some(c) = &obs.cluster else {
        return Value::Null;
    };
    let d = Desired::from_value(base);
    let mut st: BTreeMap<String, Value> = CONFIG_ATTRS
        .iter()
        .map(|a| (a.to_string(), base.get(a).clone()))
        .collect();
    st.extend(cluster_settings(&d, c, obs));
    let groups = node_groups_state(&d, base, obs);
    st.insert("node_groups".into(), groups.value);
    let (addons, addon_versions) = addons_state(base, obs);
    st.insert("addons".into(), addons);
    st.insert(
        "access_entries".into(),
        existing(base, "access_entries", |p| obs.access.contains_key(p)),
    );
    st.insert(
        "service_accounts".into(),
        existing(base, "service_accounts", |k| obs.sa_roles.contains_key(k)),
    );
    let provider_arn = obs
        .oidc_provider_arn
        .clone()
        .unwrap_or_else(|| ops::oidc_arn(aws, &c.arn, &c.issuer));
    st.insert(
        "iam_policies".into(),
        Value::string(iam_policies(aws, &d, c, obs, &provider_arn)),
    );
    let computed: [(&str, Value); 16] = [
        ("arn", Value::string(&c.arn)),
        ("endpoint", Value::string(&c.endpoint)),
        ("certificate_authority_data", Value::string(&c.ca)),
        ("oidc_issuer_url", Value::string(&c.issuer)),
        ("oidc_provider_arn", Value::string(provider_arn)),
        (
            "cluster_security_group_id",
            Value::string(&c.security_group),
        ),
        (
            "secrets_kms_key_arn",
            Value::opt_string(c.kms_key_arn.clone()),
        ),
        ("platform_version", Value::string(&c.platform_version)),
        ("node_group_arns", Value::Map(groups.arns)),
        ("node_group_versions", Value::Map(groups.versions)),
        ("node_group_status", Value::Map(groups.statuses)),
        ("addon_versions", Value::Map(addon_versions)),
        (
            "service_account_role_arns",
            Value::Map(
                (obs.sa_roles.iter())
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect(),
            ),
        ),
        (
            "pod_identity_association_ids",
            Value::Map(
                (obs.pod_identities.iter())
                    .map(|(k, p)| (k.clone(), Value::string(&p.id)))
                    .collect(),
            ),
        ),
        (
            "kubeconfig",
            Value::string(kubeconfig(&d.name, &aws.region, &c.endpoint, &c.ca)),
        ),
        ("id", Value::string(&d.name)),
    ];
    st.extend(computed.into_iter().map(|(k, v)| (k.to_string(), v)));
    let mut v = Value::Map(st);
    // The plan priced the version's support (EKS's calendar is read at plan only):
    // the extended rate stays until a plan finds the version back in standard support.
    let extended = !base
        .get("cost_items")
        .get(crate::pricing::EKS_EXTENDED_ITEM)
        .is_null();
    crate::pricing::set(&mut v, Some(&super::cost(&d, extended)));
    v
}

/// The cluster's own settings where AWS differs from what was asked, and the
/// roles (supplied, or the stack's own).
fn cluster_settings(d: &Desired, c: &ClusterSeen, obs: &Observed) -> Vec<(String, Value)> {
    let mut st = vec![
        ("id", Value::string(&d.name)),
        ("endpoint_private_access", Value::Bool(c.private_access)),
        ("endpoint_public_access", Value::Bool(c.public_access)),
        // The log group: gone or kept for ever reads as null, another period as itself.
        (
            "log_retention_days",
            match obs.log_group {
                Some(Some(days)) => Value::int(i64::from(days)),
                _ => Value::Null,
            },
        ),
        (
            "cluster_role_arn",
            Value::opt_string(
                d.cluster_role_arn
                    .clone()
                    .or_else(|| obs.cluster_role_arn.clone()),
            ),
        ),
        (
            "node_role_arn",
            Value::opt_string(
                d.node_role_arn
                    .clone()
                    .or_else(|| obs.node_role_arn.clone()),
            ),
        ),
    ];
    if c.version != d.version && !c.version.is_empty() {
        st.push(("kubernetes_version", Value::string(&c.version)));
    }
    let cidrs_differ = (d.public_cidrs.as_ref())
        .is_some_and(|w| sorted(w.clone()) != sorted(c.public_cidrs.clone()));
    if cidrs_differ {
        st.push((
            "public_access_cidrs",
            Value::string_list(c.public_cidrs.clone()),
        ));
    }
    if sorted(d.log_types.clone()) != sorted(c.log_types.clone()) {
        st.push(("enabled_log_types", Value::string_list(c.log_types.clone())));
    }
    if let Some(m) = &c.auth_mode {
        st.push(("authentication_mode", Value::string(m)));
    }
    st.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// The `node_groups` that exist, with drift in what Terraform owns, and the
/// outputs read from the newest generation of each.
struct NodeGroupsState {
    value: Value,
    arns: BTreeMap<String, Value>,
    versions: BTreeMap<String, Value>,
    statuses: BTreeMap<String, Value>,
}

fn node_groups_state(d: &Desired, base: &Value, obs: &Observed) -> NodeGroupsState {
    let mut groups = base
        .get("node_groups")
        .as_map()
        .cloned()
        .unwrap_or_default();
    let mut out = NodeGroupsState {
        value: Value::Null,
        arns: BTreeMap::new(),
        versions: BTreeMap::new(),
        statuses: BTreeMap::new(),
    };
    groups.retain(|k, _| obs.node_groups.contains_key(k));
    let mut failed = Vec::new();
    for (key, gv) in groups.iter_mut() {
        let spec = d.node_groups.get(key).cloned();
        let seen = obs.node_groups.get(key).and_then(|v| {
            v.iter()
                .find(|g| {
                    spec.as_ref().is_some_and(|s| {
                        g.tags.get(&crate::kit::tags::owner_key("spec")) == Some(&s.immutable())
                    })
                })
                .or(v.last())
        });
        let (Some(spec), Some(seen)) = (spec, seen) else {
            continue;
        };
        out.arns.insert(key.clone(), Value::string(&seen.arn));
        out.versions
            .insert(key.clone(), Value::string(&seen.version));
        out.statuses
            .insert(key.clone(), Value::string(&seen.status));
        if seen.status == super::ops::CREATE_FAILED {
            // Not the group the configuration asks for: the next plan makes it again.
            failed.push(key.clone());
            continue;
        }
        let mut set_int = |attr: &str, want: i32, have: i32| {
            if want != have {
                gv.set(attr, Value::int(i64::from(have)));
            }
        };
        set_int("min_size", spec.min_size, seen.spec.min_size);
        set_int("max_size", spec.max_size, seen.spec.max_size);
        if !spec.autoscaler {
            set_int("desired_size", spec.desired_size, seen.spec.desired_size);
        }
        if seen.spec.immutable() != spec.immutable() {
            gv.set(
                "instance_types",
                Value::string_list(seen.spec.instance_types.clone()),
            );
        }
    }
    groups.retain(|k, _| !failed.contains(k));
    out.value = map_or_null(base, "node_groups", groups);
    out
}

/// The `addons` that exist, with the version and role AWS reports, and their versions.
fn addons_state(base: &Value, obs: &Observed) -> (Value, BTreeMap<String, Value>) {
    let mut addons = base.get("addons").as_map().cloned().unwrap_or_default();
    // An add-on whose create failed is not the one configured: the next plan makes
    // it again.
    addons.retain(|k, _| {
        obs.addons
            .get(k)
            .is_some_and(|a| a.status != super::ops::CREATE_FAILED)
    });
    let mut versions = BTreeMap::new();
    for (name, av) in addons.iter_mut() {
        let Some(seen) = obs.addons.get(name) else {
            continue;
        };
        versions.insert(name.clone(), Value::string(&seen.version));
        av.set("service_account", addon_service_account(obs, seen));
        if av
            .get("version")
            .as_str()
            .is_some_and(|v| v != seen.version)
        {
            av.set("version", Value::string(&seen.version));
        }
    }
    (map_or_null(base, "addons", addons), versions)
}

/// The entries of the map attribute `attr` whose object exists.
fn existing(base: &Value, attr: &str, exists: impl Fn(&str) -> bool) -> Value {
    let mut entries = base.get(attr).as_map().cloned().unwrap_or_default();
    entries.retain(|k, _| exists(k));
    map_or_null(base, attr, entries)
}

/// `entries` as the map attribute `attr`: null when empty and the user wrote none.
fn map_or_null(base: &Value, attr: &str, entries: BTreeMap<String, Value>) -> Value {
    if entries.is_empty() && base.get(attr).is_null() {
        Value::Null
    } else {
        Value::Map(entries)
    }
}

/// `verified`, or what the stack's roles miss: managed policies, the trust of
/// service account roles in this cluster's issuer, the use of the secrets key.
fn iam_policies(
    aws: &Aws,
    d: &Desired,
    c: &ClusterSeen,
    obs: &Observed,
    provider_arn: &str,
) -> String {
    let mut missing: Vec<String> = obs
        .role_policies
        .iter()
        .flat_map(|(suffix, have)| {
            ops::required_policies(aws, suffix)
                .into_iter()
                .filter(|p| !have.contains(p))
                .map(move |p| {
                    format!(
                        "{} on the {suffix} role",
                        p.rsplit('/').next().unwrap_or(&p)
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for (key, have) in &obs.sa_trust {
        let (ns, sa) = key.split_once('/').unwrap_or_default();
        let pod_identity = d.service_accounts.get(key).is_some_and(|s| s.pod_identity);
        let want = if pod_identity {
            ops::pod_identity_trust()
        } else {
            ops::irsa_trust(provider_arn, &c.issuer, ns, sa)
        };
        if !crate::kit::policy::same(have, &want) {
            missing.push(if pod_identity {
                format!("the trust of the {key} role in EKS Pod Identity")
            } else {
                format!("the trust of the {key} role in this cluster's issuer")
            });
        }
    }
    for (key, sa) in d.service_accounts.iter().filter(|(_, s)| s.pod_identity) {
        let role = obs.sa_roles.get(key);
        let linked = obs.pod_identities.get(key);
        if role.is_some() && linked.map(|p| &p.role_arn) != role {
            missing.push(format!(
                "the Pod Identity association of {}/{} with its role",
                sa.namespace, sa.name
            ));
        }
    }
    for key in obs.pod_identities.keys() {
        if !d.service_accounts.get(key).is_some_and(|s| s.pod_identity) {
            missing.push(format!("no Pod Identity association for {key}"));
        }
    }
    if let (Some(key), true) = (&c.kms_key_arn, obs.cluster_role_arn.is_some()) {
        let want = ops::key_policy(key);
        let used = (obs.cluster_role_inline.as_deref())
            .is_some_and(|have| crate::kit::policy::same(have, &want));
        if !used {
            missing.push("the use of the secrets key on the cluster role".into());
        }
    }
    if missing.is_empty() {
        "verified".to_string()
    } else {
        format!("missing: {}", missing.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn node_group_skew() {
        assert_eq!(skew_error("1.29", "1.29"), None);
        assert_eq!(skew_error("1.32", "1.29"), None);
        assert_eq!(skew_error("1.27", "1.25"), None);
        assert!(skew_error("1.29", "1.30").unwrap().contains("newer"));
        assert!(skew_error("1.32", "1.28").unwrap().contains("1.29 to 1.32"));
        assert!(skew_error("1.27", "1.24").unwrap().contains("at most 2"));
        assert_eq!(skew_error("1.29", "latest"), None);
    }

    use super::*;

    #[test]
    fn upgrades_go_one_minor_at_a_time() {
        assert_eq!(upgrade_steps("1.29", "1.31"), vec!["1.30", "1.31"]);
        assert_eq!(upgrade_steps("1.29", "1.30"), vec!["1.30"]);
        assert!(upgrade_steps("1.30", "1.29").is_empty());
        assert!(upgrade_steps("1.29", "1.29").is_empty());
        assert!(upgrade_steps("x", "1.29").is_empty());
    }

    #[test]
    fn role_names_fit_iam() {
        let d = Desired::from_value(&Value::object([("name", Value::string("c".repeat(60)))]));
        assert!(d.role_name("cluster").len() <= 64);
        let a = d.sa_role_name("namespace-number-one/service-account-a");
        let b = d.sa_role_name("namespace-number-one/service-account-b");
        assert!(a.len() <= 64 && b.len() <= 64);
        assert_ne!(a, b);
    }

    #[test]
    fn node_group_defaults() {
        let v = Value::object([("min_size", Value::int(2)), ("max_size", Value::int(4))]);
        let g = node_group(&v);
        assert_eq!(g.instance_types, vec!["t3.medium"]);
        assert_eq!(g.desired_size, 2);
        assert_eq!(g.capacity_type, "ON_DEMAND");
        assert!(!g.autoscaler);
    }
}
