"""The platform as its users run it (issue 19), with real cores against the emulator.

* ``test_platform_controllers``: the platform applied (two zones, one NAT gateway)
  makes an IAM role for the AWS Load Balancer Controller and one for the cluster
  autoscaler: each trusts the cluster's OIDC provider for exactly its service account
  (``<issuer>:sub`` = ``system:serviceaccount:kube-system:<name>``, audience
  sts.amazonaws.com); the load balancer controller's policy grants the actions AWS
  documents for it, and deletes or changes only what carries its cluster tag; the
  autoscaler's reads everything but resizes only the groups tagged as owned by this
  cluster. The Helm values outputs name those roles, the cluster and the VPC; the
  add-ons are the platform's (metrics-server, coredns tolerating the system taint); a
  second plan is empty; the same state with its composites at the addresses modules
  gave them before the create toggle plans only moves; destroy removes the roles.
* ``test_nodegroup_labels_taints_spot``: node groups with labels, taints, SPOT capacity,
  an ARM AMI type and a larger disk, applied: DescribeNodegroup shows each setting and
  the platform's pool labels and system taint; a second plan is empty; a label and
  taint change is applied to the same groups in place.
* ``test_platform_passthrough``: examples/production/2-platform planned with a
  terraform.tfvars that overrides PostgreSQL, Redis, EKS, the registry and the network:
  each value reaches its composite in the plan; nothing is created.
* ``test_platform_reexports_every_module_output``: every output of the network,
  eks-stack, data-tier and registry modules is an output of the platform module, and
  examples/production/2-platform re-exports every output of the platform.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.modules.layout import MODULES, REPO_ROOT, copy_hcl_tree
from tests.support.core import Core
from tests.support.emulator import EmulatorClient
from tests.support.examples import Example, point_at_emulator
from tests.support.helpers import assert_emulator_empty
from tests.support.mirror import PROVIDER_SOURCE

pytestmark = pytest.mark.e2e

CLUSTER = "ode-production-cluster"
ALB_ACCOUNT = ("kube-system", "aws-load-balancer-controller")
AUTOSCALER_ACCOUNT = ("kube-system", "cluster-autoscaler")

# The cheapest platform that still is the seed's shape: two zones, one NAT gateway, and
# nothing kept on destroy.
SMALL = """  az_count            = 2
  nat_gateways        = "single"
  public_access_cidrs = ["203.0.113.0/24"]
  deletion_protection = false
  force_destroy       = true
"""

# What AWS's install guide for the load balancer controller grants, by purpose (a
# sample of each group: the policy must hold at least these).
ALB_DOCUMENTED_ACTIONS = {
    "iam:CreateServiceLinkedRole",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeAvailabilityZones",
    "ec2:CreateSecurityGroup",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DeleteSecurityGroup",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:SetWebAcl",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "wafv2:GetWebACL",
    "wafv2:AssociateWebACL",
    "waf-regional:AssociateWebACL",
    "shield:GetSubscriptionState",
    "cognito-idp:DescribeUserPoolClient",
}
# Changes to existing objects that must carry the controller's own tag.
ALB_TAGGED_ONLY = {
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "ec2:DeleteSecurityGroup",
}
# What the autoscaler needs, per its AWS cloud provider's documentation.
AUTOSCALER_READS = {
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetInstanceTypesFromInstanceRequirements",
    "eks:DescribeNodegroup",
}
AUTOSCALER_WRITES = {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}


# -- a root module calling the platform -------------------------------------------------------

REQUIRED_PROVIDERS = f"""terraform {{
  required_providers {{
    ode = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}
"""


class Root:
    """A root module in a copy of the repository that calls modules/platform with
    ``arguments`` (HCL lines inside the module block), local state, the emulator's
    endpoints."""

    def __init__(self, core: Core, emulator: EmulatorClient, tmp_path: Path, arguments: str):
        self.core = core
        tree = copy_hcl_tree(tmp_path / "repo")
        self.dir = tree / "examples" / "platform-users"
        self.dir.mkdir(parents=True)
        outputs = "\n".join(
            f'output "{name}" {{\n  value = module.platform.{name}\n}}\n'
            for name in (
                "vpc_id",
                "cluster_name",
                "oidc_provider_arn",
                "oidc_issuer_url",
                "service_account_role_arns",
                "load_balancer_controller_role_arn",
                "cluster_autoscaler_role_arn",
                "load_balancer_controller_helm_values",
                "cluster_autoscaler_helm_values",
                "node_group_names",
                "addon_versions",
            )
        )
        (self.dir / "main.tf").write_text(
            f"{REQUIRED_PROVIDERS}\n"
            f'module "platform" {{\n  source = "../../modules/platform"\n\n{arguments}}}\n\n{outputs}'
        )
        point_at_emulator(self.dir, emulator.url)

    def set_arguments(self, arguments: str) -> None:
        main = self.dir / "main.tf"
        text = main.read_text()
        start = text.index("\n\n", text.index('source = "../../modules/platform"')) + 2
        end = text.index("}\n\noutput")
        main.write_text(text[:start] + arguments + text[end:])

    def apply(self) -> str:
        self.core.init(self.dir)
        applied = self.core.apply(self.dir)
        return applied.stdout + applied.stderr

    def outputs(self) -> dict[str, Any]:
        return self.core.output_json(self.dir)

    def assert_second_plan_empty(self) -> None:
        plan = self.core.plan(self.dir)
        assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()

    def destroy(self) -> None:
        self.core.destroy(self.dir)

    def unindex_state(self) -> None:
        """Rewrite the state as the modules wrote it before their create toggle: each
        composite a single resource without an instance key."""
        state = json.loads(self.core.run(self.dir, "state", "pull").stdout)
        for resource in state["resources"]:
            for instance in resource["instances"]:
                assert instance.pop("index_key") == 0, resource
        state["serial"] += 1
        (self.dir / "unindexed.tfstate").write_text(json.dumps(state))
        self.core.run(self.dir, "state", "push", "unindexed.tfstate")

    def planned_changes(self) -> dict[str, dict[str, Any]]:
        """{address: resource change} of a saved plan."""
        self.core.run(self.dir, "plan", "-input=false", "-out=tfplan")
        shown = json.loads(self.core.run(self.dir, "show", "-json", "tfplan").stdout)
        return {c["address"]: c for c in shown.get("resource_changes", [])}


def role(emulator: EmulatorClient, arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(trust policy, inline policy) of the role ``arn``, as IAM returns them."""
    iam = emulator.client("iam")
    name = arn.rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["inline"], name
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [], name
    policy = iam.get_role_policy(RoleName=name, PolicyName="inline")["PolicyDocument"]
    return as_json(trust), as_json(policy)


def as_json(document: Any) -> dict[str, Any]:
    return json.loads(document) if isinstance(document, str) else document


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(s, Action=listed(s["Action"]), Resource=listed(s["Resource"])) for s in listed(policy["Statement"])]


def assert_trusts_only(trust: dict[str, Any], provider_arn: str, issuer_url: str, account: tuple[str, str]) -> None:
    (statement,) = listed(trust["Statement"])
    host = issuer_url.removeprefix("https://")
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Federated": provider_arn}, statement
    assert listed(statement["Action"]) == ["sts:AssumeRoleWithWebIdentity"], statement
    namespace, name = account
    assert statement["Condition"] == {
        "StringEquals": {f"{host}:sub": f"system:serviceaccount:{namespace}:{name}", f"{host}:aud": "sts.amazonaws.com"}
    }, statement


def stack_roles(emulator: EmulatorClient) -> list[str]:
    return [r["RoleName"] for r in emulator.client("iam").list_roles(PathPrefix=f"/ode/{CLUSTER}/")["Roles"]]


def test_platform_controllers(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    root = Root(core, emulator, tmp_path, SMALL)
    root.apply()
    out = root.outputs()
    roles = out["service_account_role_arns"]
    assert out["load_balancer_controller_role_arn"] == roles["/".join(ALB_ACCOUNT)]
    assert out["cluster_autoscaler_role_arn"] == roles["/".join(AUTOSCALER_ACCOUNT)]
    assert len(set(roles.values())) == len(roles), roles
    provider_arn, issuer = out["oidc_provider_arn"], out["oidc_issuer_url"]

    # The load balancer controller: trusted by its account only, AWS's actions, and
    # whatever deletes or changes an existing object only on the controller's own.
    trust, policy = role(emulator, out["load_balancer_controller_role_arn"])
    assert_trusts_only(trust, provider_arn, issuer, ALB_ACCOUNT)
    granted = statements(policy)
    actions = {a for s in granted for a in s["Action"]}
    assert ALB_DOCUMENTED_ACTIONS <= actions, sorted(ALB_DOCUMENTED_ACTIONS - actions)
    assert {a.split(":")[0] for a in actions} == {"iam", "ec2", "elasticloadbalancing", "acm", "cognito-idp", "waf-regional", "wafv2", "shield"}
    assert {a for a in actions if a.startswith("iam:")} == {"iam:CreateServiceLinkedRole", "iam:ListServerCertificates", "iam:GetServerCertificate"}
    for s in granted:
        assert s["Effect"] == "Allow"
        if set(s["Action"]) & ALB_TAGGED_ONLY:
            assert s["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}, s
        if "elasticloadbalancing:CreateLoadBalancer" in s["Action"]:
            assert s["Condition"] == {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}, s
        if "iam:CreateServiceLinkedRole" in s["Action"]:
            assert s["Action"] == ["iam:CreateServiceLinkedRole"]
            assert s["Condition"] == {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}, s

    # The autoscaler: reads, and resizes only this cluster's groups.
    trust, policy = role(emulator, out["cluster_autoscaler_role_arn"])
    assert_trusts_only(trust, provider_arn, issuer, AUTOSCALER_ACCOUNT)
    granted = statements(policy)
    assert {a for s in granted for a in s["Action"]} == AUTOSCALER_READS | AUTOSCALER_WRITES
    for s in granted:
        if set(s["Action"]) & AUTOSCALER_WRITES:
            assert set(s["Action"]) == AUTOSCALER_WRITES, s
            assert s["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER}": "owned"}}, s
        elif s["Action"] == ["eks:DescribeNodegroup"]:
            assert s["Resource"] == [f"arn:aws:eks:us-east-1:*:nodegroup/{CLUSTER}/*/*"], s
        else:
            assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in s["Action"]), s

    # The application's roles trust their own accounts, not the controllers'.
    for key in ("ode/ode-api", "ode/ode-worker"):
        trusted, _ = role(emulator, roles[key])
        namespace, name = key.split("/")
        assert_trusts_only(trusted, provider_arn, issuer, (namespace, name))

    # The Helm values carry what was made.
    alb = yaml.safe_load(out["load_balancer_controller_helm_values"])
    assert (alb["clusterName"], alb["vpcId"], alb["region"]) == (CLUSTER, out["vpc_id"], "us-east-1")
    assert alb["serviceAccount"]["name"] == ALB_ACCOUNT[1]
    assert alb["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": out["load_balancer_controller_role_arn"]}
    autoscaler = yaml.safe_load(out["cluster_autoscaler_helm_values"])
    assert autoscaler["autoDiscovery"]["clusterName"] == CLUSTER
    assert autoscaler["rbac"]["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": out["cluster_autoscaler_role_arn"]}
    version = emulator.client("eks").describe_cluster(name=CLUSTER)["cluster"]["version"]
    assert autoscaler["image"]["tag"] == f"v{version}.0"

    # The platform's add-ons, coredns tolerating the system group's taint.
    eks = emulator.client("eks")
    assert sorted(eks.list_addons(clusterName=CLUSTER)["addons"]) == sorted(
        ["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "metrics-server"]
    )
    assert set(out["addon_versions"]) == set(eks.list_addons(clusterName=CLUSTER)["addons"])
    coredns = json.loads(eks.describe_addon(clusterName=CLUSTER, addonName="coredns")["addon"]["configurationValues"])
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in coredns["tolerations"], coredns

    root.assert_second_plan_empty()

    # A platform applied before the create toggle has its composites at un-indexed
    # addresses: the modules' moved blocks take them over, nothing is replaced.
    root.unindex_state()
    moves = root.planned_changes()
    assert {c["previous_address"] for c in moves.values()} == {
        f"module.platform.module.{m}.ode_{r}.this"
        for m, r in (("network", "network"), ("eks", "eks_stack"), ("data_tier", "data_tier"), ("registry", "registry"))
    }, moves
    assert all(c["change"]["actions"] == ["no-op"] for c in moves.values()), moves

    root.destroy()
    assert stack_roles(emulator) == []
    assert_emulator_empty(emulator)


NODE_GROUPS = """  node_groups = {
    system = { instance_types = ["t3.medium"], min_size = 1, max_size = 2, desired_size = 1 }
    worker = {
      instance_types = ["m7g.large", "m6g.large"]
      capacity_type  = "SPOT"
      ami_type       = "AL2023_ARM_64_STANDARD"
      disk_size      = 50
      min_size       = 1
      max_size       = 4
      desired_size   = 2
      scaling_owner  = "autoscaler"
      labels         = { team = "documents" }
      taints         = [{ key = "spot", value = "true", effect = "PREFER_NO_SCHEDULE" }]
    }
  }
"""


def nodegroups(emulator: EmulatorClient) -> dict[str, dict[str, Any]]:
    eks = emulator.client("eks")
    return {
        name: eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=name)["nodegroup"]
        for name in eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]
    }


def test_nodegroup_labels_taints_spot(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    root = Root(core, emulator, tmp_path, SMALL + NODE_GROUPS)
    root.apply()
    groups = nodegroups(emulator)
    assert set(groups) == {"system", "worker"}, set(groups)
    assert root.outputs()["node_group_names"] == {"system": "system", "worker": "worker"}

    system, worker = groups["system"], groups["worker"]
    # The platform's pool label and the system group's taint, with nothing configured.
    assert system["labels"] == {"ode.dev/pool": "system"}, system
    assert system["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}], system
    assert system["capacityType"] == "ON_DEMAND" and system["instanceTypes"] == ["t3.medium"]
    # The worker's own settings, its labels merged over the pool label.
    assert worker["labels"] == {"ode.dev/pool": "worker", "team": "documents"}, worker
    assert worker["taints"] == [{"key": "spot", "value": "true", "effect": "PREFER_NO_SCHEDULE"}], worker
    assert worker["capacityType"] == "SPOT"
    assert worker["amiType"] == "AL2023_ARM_64_STANDARD"
    assert worker["diskSize"] == 50
    assert worker["instanceTypes"] == ["m7g.large", "m6g.large"]
    assert worker["scalingConfig"] == {"minSize": 1, "maxSize": 4, "desiredSize": 2}
    root.assert_second_plan_empty()

    # Labels and taints change in place: the same groups, no replacement.
    arns = {name: g["nodegroupArn"] for name, g in groups.items()}
    root.set_arguments(
        SMALL
        + NODE_GROUPS.replace('labels         = { team = "documents" }', 'labels         = { team = "rendering" }').replace(
            'taints         = [{ key = "spot", value = "true", effect = "PREFER_NO_SCHEDULE" }]', "taints         = []"
        )
    )
    root.apply()
    after = nodegroups(emulator)
    assert {name: g["nodegroupArn"] for name, g in after.items()} == arns
    assert after["worker"]["labels"] == {"ode.dev/pool": "worker", "team": "rendering"}, after["worker"]
    assert not after["worker"].get("taints"), after["worker"]
    assert after["system"]["taints"] == system["taints"]
    root.assert_second_plan_empty()
    root.destroy()
    assert_emulator_empty(emulator)


# -- pass-through: examples/production/2-platform with a tfvars ---------------------------------

PASSTHROUGH_TFVARS = """aws_region  = "us-east-1"
project     = "ode"
environment = "production"

public_access_cidrs = ["203.0.113.0/24", "198.51.100.10/32"]
kubernetes_version  = "1.34"
cluster_admin_arns  = ["arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:role/ci-deploy"]

eks = {
  endpoint_private_access = true
  enabled_log_types       = ["api", "audit"]
  log_retention_days      = 30
  access_entries = {
    "arn:aws:iam::123456789012:role/support" = {
      policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
      namespaces = ["ode"]
    }
  }
}

postgres = {
  engine_version        = "16"
  instance_class        = "db.r6g.large"
  allocated_storage     = 200
  max_allocated_storage = 1000
  multi_az              = false
  backup_retention_days = 14
  performance_insights  = true
  parameters            = { "log_min_duration_statement" = "500" }
}
restore_from_snapshot = "ode-production-postgres-final-20261130120000"

redis = {
  engine                  = "valkey"
  engine_version          = "8"
  node_type               = "cache.r7g.large"
  num_cache_clusters      = 3
  snapshot_retention_days = 3
}

registry = {
  repositories = {
    api    = {}
    worker = { keep_tagged_images = 50 }
  }
  untagged_expiry_days = 3
  immutable_tags       = false
}

network = {
  private_subnet_prefix_length = 22
  public_subnet_tags           = { "team" = "platform" }
}

addons = {
  "metrics-server" = { configuration_values = "{\\"replicas\\":2}" }
}
"""


def single(block: Any) -> dict[str, Any]:
    """A nested block of a plan's JSON: an object, or a list of one for list blocks."""
    if isinstance(block, list):
        (block,) = block
    return block


def planned(core: Core, workdir: Path) -> dict[str, dict[str, Any]]:
    """{address: planned values} of every resource the saved plan creates."""
    core.run(workdir, "plan", "-input=false", "-out=tfplan")
    plan = json.loads(core.run(workdir, "show", "-json", "tfplan").stdout)
    changes = {c["address"]: c for c in plan["resource_changes"]}
    assert all(c["change"]["actions"] == ["create"] for c in changes.values()), changes.keys()
    return {address: c["change"]["after"] for address, c in changes.items()}


def test_platform_passthrough(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    workdir = Example(id="examples/production/2-platform", path=Path("examples/production/2-platform")).prepare(
        tmp_path, emulator.url
    )
    (workdir / "terraform.tfvars").write_text(PASSTHROUGH_TFVARS)
    core.init(workdir)
    after = planned(core, workdir)
    prefix = "module.platform.module"
    cluster = after[f"{prefix}.eks.ode_eks_stack.this[0]"]
    tier = after[f"{prefix}.data_tier.ode_data_tier.this[0]"]
    registry = after[f"{prefix}.registry.ode_registry.this[0]"]
    network = after[f"{prefix}.network.ode_network.this[0]"]

    # EKS: the version, who may reach the endpoint, the logs, the admins and the extra
    # access entry, the add-on's configuration over the platform's.
    assert cluster["kubernetes_version"] == "1.34"
    assert sorted(cluster["public_access_cidrs"]) == ["198.51.100.10/32", "203.0.113.0/24"]
    assert (cluster["enabled_log_types"], cluster["log_retention_days"]) == (["api", "audit"], 30)
    assert set(cluster["access_entries"]) == {
        "arn:aws:iam::123456789012:role/platform-admin",
        "arn:aws:iam::123456789012:role/ci-deploy",
        "arn:aws:iam::123456789012:role/support",
    }
    support = cluster["access_entries"]["arn:aws:iam::123456789012:role/support"]
    assert (support["policy_arn"], support["namespaces"]) == ("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ["ode"])
    assert json.loads(cluster["addons"]["metrics-server"]["configuration_values"]) == {"replicas": 2}
    assert set(cluster["addons"]) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver", "metrics-server"}

    # PostgreSQL, the snapshot it starts from, and Redis.
    postgres = single(tier["postgres"])
    assert {k: postgres[k] for k in ("engine_version", "instance_class", "allocated_storage", "max_allocated_storage")} == {
        "engine_version": "16",
        "instance_class": "db.r6g.large",
        "allocated_storage": 200,
        "max_allocated_storage": 1000,
    }
    assert (postgres["multi_az"], postgres["backup_retention_days"], postgres["performance_insights"]) == (False, 14, True)
    assert postgres["parameters"] == {"log_min_duration_statement": "500"}
    assert postgres["restore_from_snapshot"] == "ode-production-postgres-final-20261130120000"
    redis = single(tier["redis"])
    assert (redis["engine"], redis["engine_version"], redis["node_type"]) == ("valkey", "8", "cache.r7g.large")
    assert (redis["num_cache_clusters"], redis["snapshot_retention_days"]) == (3, 3)

    # The registry and the network.
    assert set(registry["repositories"]) == {"api", "worker"}
    assert registry["repositories"]["worker"]["keep_tagged_images"] == 50
    assert registry["untagged_expiry_days"] == 3 and registry["immutable_tags"] is False
    private = single(network["private"])
    assert private["prefix_length"] == 22
    public = single(network["public"])
    assert public["tags"]["team"] == "platform" and public["tags"]["kubernetes.io/cluster/ode-production-cluster"] == "shared"
    assert_emulator_empty(emulator)


# -- every module output reaches the user --------------------------------------------------------

_OUTPUT = re.compile(r'^output "(\w+)" \{\n(.*?)^\}', re.M | re.S)


def outputs_of(directory: Path) -> dict[str, str]:
    """{output name: its body} of the .tf files of ``directory``."""
    text = "\n".join(p.read_text() for p in sorted(directory.glob("*.tf")))
    return {m.group(1): m.group(2) for m in _OUTPUT.finditer(text)}


def test_platform_reexports_every_module_output() -> None:
    platform = outputs_of(MODULES / "platform")
    bodies = "\n".join(platform.values())
    calls = dict(re.findall(r'^module "(\w+)" \{\n  source = "\.\./([\w-]+)"', (MODULES / "platform" / "main.tf").read_text(), re.M))
    assert set(calls.values()) == {"network", "eks-stack", "data-tier", "registry"}, calls
    missing = [
        f"module.{call}.{name}"
        for call, source in calls.items()
        for name in outputs_of(MODULES / source)
        if not re.search(rf"\bmodule\.{call}\.{name}\b", bodies)
    ]
    assert not missing, f"outputs of the platform's modules no platform output carries: {missing}"

    production = outputs_of(REPO_ROOT / "examples" / "production" / "2-platform")
    missing = [name for name in platform if f"module.platform.{name}\n" not in production.get(name, "")]
    assert not missing, f"platform outputs examples/production/2-platform does not re-export: {missing}"
