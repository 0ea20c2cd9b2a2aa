"""Invalid configurations of ``ode_eks_stack`` and of ``modules/eks-stack``.

The stacks run Kubernetes 1.33 on two subnets the test makes in us-east-1a and
us-east-1b (@subnet_a@, @subnet_b@), so that what is checked at plan (versions and
add-ons against EKS's catalogue, the subnets' zones, a supplied KMS key) is checked.
An error inside an element of a map attribute (``node_groups``, ``addons``,
``access_entries``, ``service_accounts``) points at the element's line.
"""

from __future__ import annotations

from . import CROSS, ELEMENT, OMIT, PATTERN, RANGE, READ_ONLY, TYPE, Case, Composite, arg, module_arg, tag_cases, timeout_cases

ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
SUBNETS = '["@subnet_a@", "@subnet_b@"]'


def group(
    slug: str, kind: str, attribute: str, extra: str, says: str, *, key: str = "worker", sizes: str = "min_size = 1\nmax_size = 3",
    at: tuple[str, ...] | None = None, **kw,
) -> Case:
    """A case with one node group ``key`` holding ``sizes`` and ``extra``; its error
    points at the group's line unless ``at`` says otherwise."""
    inner = "\n".join(f"    {line}" for line in f"{sizes}\n{extra}".strip().splitlines())
    body = f"node_groups = {{\n  {key} = {{\n{inner}\n  }}\n}}"
    path = f'node_groups["{key.strip(chr(34))}"]' + (f".{attribute}" if attribute else "")
    return Case(slug, kind, path, says, body=body, at=at if at is not None else ("node_groups", key), **kw)


def entry(
    slug: str, kind: str, attribute: str, map_name: str, key: str, value: str, says: str, *, at: tuple[str, ...] | None = None, **kw
) -> Case:
    """A case with the map attribute ``map_name`` holding ``key = value``; its error
    points at the element's line unless ``at`` says otherwise."""
    body = f"{map_name} = {{\n  {key} = {value}\n}}"
    return Case(slug, kind, attribute, says, body=body, at=at if at is not None else (map_name, key), **kw)


def mod(slug: str, variable: str, value: str, says: str, *, type_error: bool = False) -> Case:
    return module_arg("eks-stack", slug, variable, value, says, type_error=type_error)


#: Where the cores put an error converting a map attribute's value to its type: on the
#: attribute, naming the element in the detail.
TYPE_AT = ("node_groups",)
NAME_RULE = "cluster names are 1 to 100 letters, digits, '-' or '_'"
NOT_OFFERED = "is not a Kubernetes version EKS offers"

CASES = (
    # -- the cluster
    arg("name-empty", PATTERN, "name", '""', NAME_RULE),
    arg("name-leading-hyphen", PATTERN, "name", '"-ode"', NAME_RULE),
    arg("name-dot", PATTERN, "name", '"ode.cluster"', NAME_RULE),
    arg("name-101-chars", RANGE, "name", f'"{"c" * 101}"', NAME_RULE),
    Case("name-missing", TYPE, "name", 'The argument "name" is required', args={"name": OMIT}, at=()),
    arg("version-major-two", PATTERN, "kubernetes_version", '"2.0"', f'"2.0" {NOT_OFFERED}'),
    arg("version-1-22", RANGE, "kubernetes_version", '"1.22"', f'"1.22" {NOT_OFFERED}'),
    arg("version-patch", PATTERN, "kubernetes_version", '"1.33.1"', f'"1.33.1" {NOT_OFFERED}'),
    arg("version-v-prefix", PATTERN, "kubernetes_version", '"v1.33"', f'"v1.33" {NOT_OFFERED}'),
    arg("version-number", TYPE, "kubernetes_version", "[1.33]", "string required"),
    arg("version-not-offered", CROSS, "kubernetes_version", '"1.40"', "EKS in us-east-1 does not offer Kubernetes 1.40"),
    arg("version-ended", CROSS, "kubernetes_version", '"1.27"', "EKS ended extended support for Kubernetes 1.27"),
    arg("subnets-one", RANGE, "subnet_ids", '["@subnet_a@"]', "EKS needs subnets in at least two availability zones; list at least two"),
    arg("subnet-not-an-id", PATTERN, "subnet_ids", '["@subnet_a@", "sn-0123"]', '"sn-0123" is not a subnet ID'),
    arg("subnets-one-zone", CROSS, "subnet_ids", '["@subnet_a@", "@subnet_a2@"]', "these are all in us-east-1a"),
    arg("subnets-string", TYPE, "subnet_ids", '"@subnet_a@"', "list of string required"),
    Case("subnets-missing", TYPE, "subnet_ids", 'The argument "subnet_ids" is required', args={"subnet_ids": OMIT}, at=()),
    arg("public-cidr-33", PATTERN, "public_access_cidrs", '["10.0.0.0/33"]', '"10.0.0.0/33" is not an IPv4 CIDR block'),
    arg("public-cidr-host-bits", PATTERN, "public_access_cidrs", '["203.0.113.1/24"]', '"203.0.113.1/24" has host bits set'),
    arg("log-type-unknown", PATTERN, "enabled_log_types", '["api", "everything"]', '"everything": use one of api, audit'),
    arg("log-type-case", PATTERN, "enabled_log_types", '["API"]', '"API": use one of'),
    arg("log-retention-45", RANGE, "log_retention_days", "45", "CloudWatch Logs keeps logs for one of 1, 3, 5"),
    arg("log-retention-zero", RANGE, "log_retention_days", "0", "not 0."),
    arg("endpoint-access-string", TYPE, "endpoint_public_access", '"yes"', "a bool is required"),
    arg("kms-not-arn", PATTERN, "kms_key_arn", '"my-key"', '"my-key" is not a valid kms ARN'),
    arg("kms-iam-arn", PATTERN, "kms_key_arn", '"arn:aws:iam::123456789012:role/x"', "is not a valid kms ARN"),
    arg("kms-disabled", CROSS, "kms_key_arn", '"@key_disabled@"', "EKS needs an enabled key"),
    arg("kms-asymmetric", CROSS, "kms_key_arn", '"@key_asymmetric@"', "EKS encrypts secrets only with a symmetric"),
    arg(
        "kms-missing", CROSS, "kms_key_arn", '"arn:aws:kms:us-east-1:@account@:key/00000000-0000-0000-0000-000000000000"',
        "No KMS key arn:aws:kms:us-east-1",
    ),
    arg("cluster-role-not-arn", PATTERN, "cluster_role_arn", '"admin"', '"admin" is not a valid iam ARN'),
    arg("node-role-s3-arn", PATTERN, "node_role_arn", '"arn:aws:s3:::bucket"', "is not a valid iam ARN"),
    arg(
        "cluster-role-user", PATTERN, "cluster_role_arn", '"arn:aws:iam::123456789012:user/bob"', "role",
    ),
    arg("auth-mode-open", PATTERN, "authentication_mode", '"OPEN"', '"OPEN": use one of API, API_AND_CONFIG_MAP, CONFIG_MAP'),
    arg("auth-mode-lowercase", PATTERN, "authentication_mode", '"api"', '"api": use one of'),
    *tag_cases(),
    *timeout_cases(),
    arg("unknown-argument", TYPE, "cluster_version", '"1.33"', 'An argument named "cluster_version" is not expected here'),
    arg("read-only-endpoint", TYPE, "endpoint", '"https://example.com"', "endpoint"),
    # -- node groups
    group("group-name-space", ELEMENT, "", "", '"bad group": node group names are 1 to 63', key='"bad group"'),
    group("group-name-64-chars", ELEMENT, "", "", "node group names are 1 to 63", key=f'"{"g" * 64}"'),
    group("instance-types-empty", RANGE, "instance_types", "instance_types = []", "List at least one instance type"),
    group("instance-type-large", PATTERN, "instance_types", 'instance_types = ["large"]', '"large" is not an EC2 instance type'),
    group("capacity-cheap", PATTERN, "capacity_type", 'capacity_type = "CHEAP"', '"CHEAP": use one of ON_DEMAND, SPOT'),
    group("min-over-max", CROSS, "min_size", "", "min_size (4) must not exceed max_size (3)", sizes="min_size = 4\nmax_size = 3"),
    group("max-zero", RANGE, "max_size", "", "max_size must be at least 1", sizes="min_size = 0\nmax_size = 0"),
    group("desired-above-max", CROSS, "desired_size", "desired_size = 5", "desired_size (5) must be between min_size (1) and max_size (3)"),
    group("min-negative", RANGE, "min_size", "", "min_size must be 0 to 1000", sizes="min_size = -1\nmax_size = 3"),
    group("max-1001", RANGE, "max_size", "", "max_size must be 0 to 1000", sizes="min_size = 1\nmax_size = 1001"),
    group("min-string", TYPE, "min_size", "", "a number is required", sizes='min_size = "one"\nmax_size = 3', at=TYPE_AT),
    group("min-missing", TYPE, "min_size", "", '"min_size" is required', sizes="max_size = 3", at=TYPE_AT),
    group("disk-zero", RANGE, "disk_size", "disk_size = 0", "disk_size must be 1 to 16384 GiB; got 0"),
    group("disk-huge", RANGE, "disk_size", "disk_size = 20000", "got 20000"),
    group("max-unavailable-zero", RANGE, "max_unavailable", "max_unavailable = 0", "max_unavailable must be 1 to 100; got 0"),
    group("max-unavailable-101", RANGE, "max_unavailable", "max_unavailable = 101", "got 101"),
    group("label-key-hyphen", ELEMENT, "labels", 'labels = { "-role" = "x" }', '"-role" is not a Kubernetes label key'),
    group("label-key-64-chars", ELEMENT, "labels", f'labels = {{ "example.com/{"k" * 64}" = "x" }}', "is not a Kubernetes label key"),
    group(
        "label-value-long", ELEMENT, "labels", f'labels = {{ role = "{"v" * 64}" }}', "label value",
    ),
    group("taint-effect", ELEMENT, "taints[0]", 'taints = [{ key = "a", value = "1", effect = "NEVER" }]', '"NEVER": use one of NO_SCHEDULE'),
    group(
        "taint-duplicate", ELEMENT, "taints[1]",
        'taints = [\n  { key = "a", value = "1", effect = "NO_SCHEDULE" },\n  { key = "a", value = "2", effect = "NO_SCHEDULE" },\n]',
        'The taint "a" with effect NO_SCHEDULE is listed more than once',
    ),
    group("taint-effect-missing", TYPE, "taints[0]", 'taints = [{ key = "a", value = "1" }]', 'attribute "effect" is required', at=TYPE_AT),
    group(
        "taint-key-space", ELEMENT, "taints[0]", 'taints = [{ key = "bad key", value = "1", effect = "NO_SCHEDULE" }]', "taint",
    ),
    group("scaling-owner", PATTERN, "scaling_owner", 'scaling_owner = "karpenter"', '"karpenter": use one of terraform, autoscaler'),
    group(
        "ami-type-unknown", PATTERN, "ami_type", 'ami_type = "NOT_AN_AMI"', "AMI",
    ),
    group("group-version-bad", PATTERN, "kubernetes_version", 'kubernetes_version = "2.1"', '"2.1" is not a Kubernetes version'),
    group(
        "group-version-newer", CROSS, "kubernetes_version", 'kubernetes_version = "1.34"', "cannot run a newer Kubernetes version than its cluster",
    ),
    group(
        "group-version-too-old", CROSS, "kubernetes_version", 'kubernetes_version = "1.29"',
        "EKS lets a node group run at most 3 minor versions older than a 1.33 cluster: 1.29 is too old",
    ),
    group(
        "group-version-new-pinned", CROSS, "kubernetes_version", 'kubernetes_version = "1.32"',
        "EKS makes a node group at its cluster's Kubernetes version only (1.33)",
    ),
    arg("node-groups-list", TYPE, "node_groups", "[]", "map of object required"),
    # -- add-ons
    entry("addon-name-space", ELEMENT, 'addons["Metrics Server"]', "addons", '"Metrics Server"', "{}", '"Metrics Server" is not an EKS add-on name'),
    entry(
        "addon-config-not-json", PATTERN, 'addons["coredns"].configuration_values', "addons", "coredns",
        '{ configuration_values = "{oops" }', "not JSON",
    ),
    entry(
        "addon-service-account-unknown", CROSS, 'addons["aws-ebs-csi-driver"].service_account', "addons", '"aws-ebs-csi-driver"',
        '{ service_account = "kube-system/ebs" }', '"kube-system/ebs" is not a key of service_accounts (none declared)',
    ),
    entry("addon-unknown", CROSS, 'addons["istio"]', "addons", "istio", "{}", 'EKS offers no add-on "istio" for Kubernetes 1.33'),
    entry(
        "addon-version-not-offered", CROSS, 'addons["metrics-server"].version', "addons", '"metrics-server"', '{ version = "v0.6.0-eksbuild.1" }',
        "metrics-server v0.6.0-eksbuild.1 does not run on Kubernetes 1.33",
    ),
    entry(
        "addon-config-refused", CROSS, 'addons["metrics-server"].configuration_values', "addons", '"metrics-server"',
        "{ configuration_values = jsonencode({ replica = 2 }) }", '"replica" is not one of its settings',
    ),
    entry(
        "addon-config-wrong-type", CROSS, 'addons["coredns"].configuration_values', "addons", "coredns",
        '{ configuration_values = jsonencode({ replicaCount = "two" }) }', '"replicaCount" must be of type integer',
    ),
    # -- access entries
    entry("access-not-arn", ELEMENT, 'access_entries["admin"]', "access_entries", '"admin"', "{}", '"admin" is not an IAM role or user ARN'),
    entry(
        "access-policy-name", PATTERN, "access_entries[admin].policy_arn", "access_entries", f'"{ADMIN}"',
        '{ policy_arn = "AmazonEKSClusterAdminPolicy" }', '"AmazonEKSClusterAdminPolicy" is not an EKS access policy ARN',
    ),
    entry(
        "access-namespaces-string", TYPE, "access_entries[admin].namespaces", "access_entries", f'"{ADMIN}"', '{ namespaces = "ode" }',
        "list of string required", at=("access_entries",),
    ),
    # -- service accounts
    entry("sa-key-no-namespace", ELEMENT, 'service_accounts["ode-api"]', "service_accounts", '"ode-api"', "{}", '"ode-api": write namespace/name'),
    entry("sa-key-uppercase", ELEMENT, 'service_accounts["Ode/API"]', "service_accounts", '"Ode/API"', "{}", '"Ode/API": write namespace/name'),
    entry(
        "sa-policy-not-json", PATTERN, "service_accounts[ode/api].policy_json", "service_accounts", '"ode/api"',
        '{ policy_json = "allow all" }', "not JSON",
    ),
    entry(
        "sa-policy-no-statement", PATTERN, "service_accounts[ode/api].policy_json", "service_accounts", '"ode/api"',
        '{ policy_json = jsonencode({ Version = "2012-10-17" }) }', 'a policy document needs a "Statement"',
    ),
    entry(
        "sa-policy-arn", PATTERN, "service_accounts[ode/api].policy_arns", "service_accounts", '"ode/api"', '{ policy_arns = ["s3-read"] }',
        '"s3-read" is not a valid iam ARN',
    ),
    entry(
        "sa-identity", PATTERN, "service_accounts[ode/api].identity", "service_accounts", '"ode/api"', '{ identity = "kiam" }',
        '"kiam": use one of irsa, pod_identity',
    ),
    entry(
        "sa-pod-identity-without-agent", CROSS, "service_accounts[ode/api].identity", "service_accounts", '"ode/api"',
        '{ identity = "pod_identity" }', "which needs the eks-pod-identity-agent add-on",
    ),
    # -- the module's variables
    mod("module-project", "project", '"ODE"', "The project must be 3 to 32 lowercase letters"),
    mod("module-environment", "environment", '"prod_1"', "The environment must be up to 32 lowercase letters"),
    mod("module-name", "name", '"-cluster"', "The cluster name must be 1 to 100 letters"),
    mod("module-region", "aws_region", '"US-EAST-1"', "aws_region must be an AWS region name"),
    mod("module-version", "kubernetes_version", '"1.22"', "kubernetes_version must be a Kubernetes minor version EKS offers"),
    mod("module-subnets-one", "subnet_ids", '["@subnet_a@"]', "list at least two subnet IDs"),
    mod("module-subnets-ids", "subnet_ids", '["a", "b"]', "subnet_ids must be subnet IDs"),
    mod("module-public-cidrs", "public_access_cidrs", '["10.0.0.0"]', "public_access_cidrs must be CIDR blocks"),
    mod("module-auth-mode", "authentication_mode", '"OPEN"', "authentication_mode must be one of API"),
    mod("module-log-types", "enabled_log_types", '["everything"]', "enabled_log_types may list api, audit"),
    mod("module-log-retention", "log_retention_days", "45", "log_retention_days must be a period CloudWatch Logs offers"),
    mod("module-kms", "kms_key_arn", '"alias/eks"', "kms_key_arn must be a KMS key ARN"),
    mod("module-node-role", "node_role_arn", '"arn:aws:iam::123456789012:user/x"', "node_role_arn must be an IAM role ARN"),
    mod("module-group-name", "node_groups", '{ "bad group" = { min_size = 1, max_size = 2 } }', "Node group names must be 1 to 63"),
    mod("module-group-sizes", "node_groups", "{ worker = { min_size = 3, max_size = 2 } }", "min_size must not exceed max_size"),
    mod(
        "module-group-ami", "node_groups", '{ worker = { min_size = 1, max_size = 2, ami_type = "NOT_AN_AMI" } }', "ami_type must be an EKS AMI type",
    ),
    mod("module-addon-name", "addons", '{ "Metrics Server" = {} }', "addons must be keyed by EKS add-on names"),
    mod("module-access-key", "access_entries", '{ admin = {} }', "access_entries must be keyed by IAM role or user ARNs"),
    mod("module-sa-key", "service_accounts", '{ "ode-api" = {} }', 'service_accounts must be keyed by "namespace/name"'),
    mod("module-timeouts", "timeouts", '{ delete = "forever" }', "must be durations like 45m"),
    mod("module-group-type", "node_groups", '{ worker = { min_size = "one", max_size = 2 } }', "a number is required", type_error=True),
    mod("module-subnets-type", "subnet_ids", '"@subnet_a@"', "list of string required", type_error=True),
)

COMPOSITE = Composite(
    name="ode_eks_stack",
    module="eks-stack",
    base={"name": '"corpus-{n}"', "kubernetes_version": '"1.33"', "subnet_ids": SUBNETS},
    module_base={"name": '"corpus-{n}"', "kubernetes_version": '"1.33"', "subnet_ids": SUBNETS},
    cases=CASES,
    services=("ec2", "eks", "iam", "kms", "logs"),
)
