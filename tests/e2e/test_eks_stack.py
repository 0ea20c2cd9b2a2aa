"""End-to-end scenarios for the ode_eks_stack resource, run through each core.

The stack runs on the private subnets of an ``ode_network``. The emulator's EKS
extension (tests/support/eks_emulator.py) adds what moto lacks (updates, add-ons,
access entries, per-cluster OIDC issuers). Every scenario ends with a destroy and a
check that nothing of the stack is left.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_network import child_provider_pids
from tests.support.core import Core, finish, write_config
from tests.support.diagnostics import (
    apply_errors,
    assert_error_at,
    attribute_line,
    error_diagnostics,
    plan_diagnostics,
)
from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block

pytestmark = pytest.mark.e2e

CLUSTER = "ode-e2e-cluster"
ADDRESS = "ode_eks_stack.this"
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"


def node_groups(worker_instance: str = "t3.large", worker_extra: str = "") -> str:
    return f"""
  node_groups = {{
    system = {{
      instance_types = ["t3.medium"]
      min_size       = 2
      max_size       = 4
      desired_size   = 2
      labels         = {{ role = "system" }}
    }}
    worker = {{
      instance_types = ["{worker_instance}"]
      min_size       = 3
      max_size       = 10
      desired_size   = 3
{worker_extra}
    }}
  }}
"""


def stack_config(
    emulator: EmulatorClient,
    body: str = "",
    *,
    version: str | None = "1.33",
    groups: str | None = None,
    tags: str = '{ Environment = "e2e" }',
    addons: str = "",
    access: str = "",
    service_accounts: str = "",
) -> str:
    """The seed's stack on a two-zone network, with ``body`` added to the stack and
    ``addons`` / ``access`` / ``service_accounts`` entries added to those maps; with
    ``version`` None the stack leaves kubernetes_version to the provider."""
    version_line = f'  kubernetes_version = "{version}"\n' if version else ""
    return (
        provider_block(emulator)
        + f"""
resource "ode_network" "net" {{
  name               = "ode-e2e-eks-net"
  availability_zones = ["us-east-1a", "us-east-1b"]
  nat_gateways       = "single"
}}

resource "ode_eks_stack" "this" {{
  name               = "{CLUSTER}"
{version_line}  subnet_ids         = ode_network.net.private_subnet_ids
  tags               = {tags}
{groups if groups is not None else node_groups()}
  addons = {{
    "vpc-cni"    = {{}}
    "kube-proxy" = {{}}
    "coredns"    = {{}}
{addons}
  }}

  access_entries = {{
    "{ADMIN}" = {{}}
{access}
  }}

  service_accounts = {{
    "ode/api" = {{
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    }}
{service_accounts}
  }}
{body}
}}

output "stack" {{
  value     = ode_eks_stack.this
  sensitive = false
}}
"""
    )


def stack(core: Core, workdir: Path) -> dict[str, Any]:
    return core.output_json(workdir)["stack"]


def assert_no_changes(core: Core, workdir: Path) -> None:
    plan = core.plan(workdir)
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()


def eks_calls(emulator: EmulatorClient) -> list[str]:
    return [action for service, action in emulator.call_names() if service == "eks"]


def assert_nothing_left(emulator: EmulatorClient) -> None:
    eks = emulator.client("eks")
    iam = emulator.client("iam")
    left = [f"cluster {c}" for c in eks.list_clusters()["clusters"]]
    left += [f"role {r['RoleName']}" for r in iam.list_roles(PathPrefix=f"/ode/{CLUSTER}/")["Roles"]]
    left += [f"OIDC provider {p['Arn']}" for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    kms = emulator.client("kms")
    left += [f"KMS alias {a['AliasName']}" for a in kms.list_aliases()["Aliases"] if CLUSTER in a["AliasName"]]
    logs = emulator.client("logs")
    left += [f"log group {g['logGroupName']}" for g in logs.describe_log_groups(logGroupNamePrefix=f"/aws/eks/{CLUSTER}/")["logGroups"]]
    assert not left, "left behind: " + ", ".join(left)


def apply_stack(core: Core, emulator: EmulatorClient, workdir: Path, **kw: Any) -> dict[str, Any]:
    write_config(workdir, stack_config(emulator, **kw))
    core.init(workdir)
    core.apply(workdir)
    return stack(core, workdir)


#: The EBS CSI driver with the IRSA role its controller assumes.
EBS_CSI_ADDON = '    "aws-ebs-csi-driver" = { service_account = "kube-system/ebs-csi-controller-sa" }'
EBS_CSI_ROLE = """    "kube-system/ebs-csi-controller-sa" = {
      policy_arns = ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    }"""


AUDITOR = "arn:aws:iam::123456789012:role/auditor"


def test_eks_basic(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    s = apply_stack(
        core, emulator, workdir, addons=EBS_CSI_ADDON, service_accounts=EBS_CSI_ROLE, access=f'    "{AUDITOR}" = {{}}'
    )
    assert s["id"] == CLUSTER
    assert re.fullmatch(rf"arn:aws:eks:us-east-1:\d{{12}}:cluster/{CLUSTER}", s["arn"]), s["arn"]
    assert s["endpoint"].startswith("https://")
    assert s["oidc_issuer_url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert s["oidc_provider_arn"].endswith(s["oidc_issuer_url"].removeprefix("https://"))
    assert s["kubernetes_version"] == "1.33"
    assert set(s["node_group_status"]) == {"system", "worker"}
    assert set(s["node_group_status"].values()) == {"ACTIVE"}
    assert set(s["node_group_versions"].values()) == {"1.33"}
    assert set(s["addon_versions"]) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}
    assert re.fullmatch(r"arn:aws:iam::\d{12}:role/ode/" + CLUSTER + r"/.+", s["service_account_role_arns"]["ode/api"])
    assert "aws" in s["kubeconfig"] and "get-token" in s["kubeconfig"]
    assert s["secrets_kms_key_arn"].startswith("arn:aws:kms:")
    assert s["iam_policies"] == "verified"

    eks = emulator.client("eks")
    cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
    assert cluster["version"] == "1.33"
    # The claim lives until the core has the stack in its state (kit::claim).
    assert "ode:creating" in cluster.get("tags", {}), cluster.get("tags")
    logging = [t for setup in cluster["logging"]["clusterLogging"] if setup.get("enabled") for t in setup["types"]]
    assert sorted(logging) == ["api", "controllerManager", "scheduler"]
    workers = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="worker")["nodegroup"]
    assert workers["scalingConfig"] == {"minSize": 3, "maxSize": 10, "desiredSize": 3}
    assert workers["instanceTypes"] == ["t3.large"]
    # The IRSA role trusts exactly this cluster's service account.
    role_name = s["service_account_role_arns"]["ode/api"].rsplit("/", 1)[1]
    trust = emulator.client("iam").get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    condition = json.dumps(trust)
    assert "system:serviceaccount:ode:api" in condition, trust
    entries = eks.list_access_entries(clusterName=CLUSTER)["accessEntries"]
    assert {ADMIN, AUDITOR} <= set(entries), entries
    # The EBS CSI driver assumes its own IRSA role, which carries the driver's policy;
    # the add-ons given no service account assume none.
    ebs_role = s["service_account_role_arns"]["kube-system/ebs-csi-controller-sa"]
    ebs = eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]
    assert ebs.get("serviceAccountRoleArn") == ebs_role, ebs
    assert not eks.describe_addon(clusterName=CLUSTER, addonName="coredns")["addon"].get("serviceAccountRoleArn")
    ebs_policies = emulator.client("iam").list_attached_role_policies(RoleName=ebs_role.rsplit("/", 1)[1])["AttachedPolicies"]
    assert [p["PolicyName"] for p in ebs_policies] == ["AmazonEBSCSIDriverPolicy"], ebs_policies
    assert_no_changes(core, workdir)

    # Without its service account the driver assumes no role: AWS cannot take a role
    # from an add-on, so the stack makes it again. The role no longer needed and the
    # auditor taken out of access_entries are deleted, not forgotten.
    write_config(workdir, stack_config(emulator, addons='    "aws-ebs-csi-driver" = {}'))
    core.apply(workdir)
    ebs = eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]
    assert not ebs.get("serviceAccountRoleArn"), ebs
    assert "kube-system/ebs-csi-controller-sa" not in stack(core, workdir)["service_account_role_arns"]
    roles = [r["RoleName"] for r in emulator.client("iam").list_roles(PathPrefix=f"/ode/{CLUSTER}/")["Roles"]]
    assert ebs_role.rsplit("/", 1)[1] not in roles, roles
    entries = eks.list_access_entries(clusterName=CLUSTER)["accessEntries"]
    assert AUDITOR not in entries and ADMIN in entries, entries
    # The control plane's log group: made by the stack, with its retention and tags.
    logs = emulator.client("logs")
    (group,) = logs.describe_log_groups(logGroupNamePrefix=f"/aws/eks/{CLUSTER}/cluster")["logGroups"]
    assert group["retentionInDays"] == 90, group
    group_tags = logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))["tags"]
    assert group_tags.get("ode:stack") == CLUSTER, group_tags
    # The cluster role the stack made may use the secrets key, and only that key.
    inline = emulator.client("iam").get_role_policy(RoleName=f"{CLUSTER}-cluster", PolicyName="inline")["PolicyDocument"]
    inline = json.loads(inline) if isinstance(inline, str) else inline
    assert [st["Resource"] for st in inline["Statement"]] == [s["secrets_kms_key_arn"]], inline

    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def planned_after(core: Core, workdir: Path, plan: str = "tfplan") -> dict[str, Any]:
    """The stack's planned values in the saved plan ``plan``."""
    shown = json.loads(core.run(workdir, "show", "-json", plan).stdout)
    (change,) = [r for r in shown["resource_changes"] if r["address"] == ADDRESS]
    return change["change"]["after"]


def test_eks_version_lifecycle(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Versions against EKS's calendar on 2026-12-01 (the emulator's today): an unset
    version resolves at plan to the newest in standard support and stays pinned in
    state; a version past its end of extended support is refused at plan naming the
    offered ones, before anything is made; one in extended support is accepted with a
    warning giving its end date and price, and priced at the extended rate."""
    hcl = stack_config(emulator, version=None, groups="")
    write_config(workdir, hcl)
    core.init(workdir)
    plan = core.plan(workdir, "-out=tfplan")
    assert plan.returncode == 2, plan.describe()
    after = planned_after(core, workdir)
    assert after["kubernetes_version"] == "1.35" and after["cost_items"]["EKS"] == 73, after
    core.apply(workdir, "tfplan")
    assert stack(core, workdir)["kubernetes_version"] == "1.35"
    assert emulator.client("eks").describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.35"
    assert_no_changes(core, workdir)
    # Pinned: a later calendar (1.35 in extended support, nothing newer) moves nothing.
    emulator.set_today("2027-04-01")
    result, diagnostics = plan_diagnostics(core, workdir, "-out=tfplan")
    assert result.returncode == 0, result.describe()
    assert any(d.severity == "warning" and d.says("Kubernetes 1.35 is in extended support") for d in diagnostics), diagnostics
    after = planned_after(core, workdir)
    assert after["kubernetes_version"] == "1.35" and "EKS (extended support)" in after["cost_items"], after
    emulator.set_today(None)
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)

    # Past the end of extended support: refused at plan, on the attribute, with the
    # offered versions; nothing is made.
    emulator.reset_calls()
    hcl = stack_config(emulator, version="1.29", groups="")
    write_config(workdir, hcl)
    diagnosed = error_diagnostics(core, workdir)
    line = attribute_line(hcl, 'resource "ode_eks_stack"', "kubernetes_version")
    refused = assert_error_at(diagnosed, "EKS ended extended support for Kubernetes 1.29 on 2026-03-23", "main.tf", line)
    assert refused.says(
        "offers 1.32 (extended support until 2027-03-23), 1.33 (extended support until 2027-07-29), 1.34, 1.35"
    ), refused
    mutating = [(s, a) for s, a in emulator.call_names() if not a.startswith(("GET", "Describe", "List", "Get"))]
    assert mutating == [], mutating

    # In extended support: accepted, with the end date and the price, and priced so.
    write_config(workdir, stack_config(emulator, version="1.32", groups=""))
    result, diagnostics = plan_diagnostics(core, workdir, "-out=tfplan")
    assert result.returncode == 0, result.describe()
    (warning,) = [d for d in diagnostics if d.severity == "warning" and d.says("Kubernetes 1.32 is in extended support")]
    for fact in ("ended on 2026-03-23", "until 2027-03-23", "$0.60 per cluster hour instead of $0.10", "(1.34, 1.35)"):
        assert warning.says(fact), (fact, warning)
    after = planned_after(core, workdir)
    assert after["cost_items"] == {"EKS (extended support)": 438, "EC2 Nodes": 0}, after
    core.apply(workdir, "tfplan")
    assert stack(core, workdir)["cost_items"]["EKS (extended support)"] == 438
    assert_no_changes(core, workdir)

    # AWS upgrades a cluster past its end of extended support by itself: the next plan
    # shows it and refuses to go back, naming the version to write.
    emulator.set_today("2027-03-24")
    assert emulator.client("eks").describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.33"
    diagnosed = error_diagnostics(core, workdir)
    assert_error_at(diagnosed, "The cluster runs 1.33; EKS cannot go back to 1.32", "main.tf", line)
    write_config(workdir, stack_config(emulator, version="1.33", groups=""))
    core.apply(workdir)
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_upgrade(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """1.33 -> 1.34 in one apply: the control plane first, then node groups, then add-ons."""
    apply_stack(core, emulator, workdir)
    write_config(workdir, stack_config(emulator, version="1.34"))
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "will be updated in-place" in plan.stdout, plan.describe()
    emulator.reset_calls()
    core.apply(workdir)
    calls = eks_calls(emulator)
    cluster_update = next(i for i, c in enumerate(calls) if c.endswith(f"/clusters/{CLUSTER}/updates") and c.startswith("POST"))
    node_updates = [i for i, c in enumerate(calls) if c.endswith("/update-version")]
    assert node_updates, calls
    # The cluster's update was seen to finish before any node group update started.
    polled = [i for i, c in enumerate(calls) if c.startswith("GET") and "/updates/" in c and i > cluster_update]
    assert polled and polled[0] < min(node_updates), calls
    s = stack(core, workdir)
    assert s["kubernetes_version"] == "1.34"
    assert set(s["node_group_versions"].values()) == {"1.34"}
    assert emulator.client("eks").describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.34"
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


@pytest.mark.no_chaos
def test_eks_upgrade_two_steps(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    apply_stack(core, emulator, workdir)
    write_config(workdir, stack_config(emulator, version="1.35"))
    emulator.reset_calls()
    core.apply(workdir)
    versions = [c for c in eks_calls(emulator) if c.startswith("POST") and c.endswith(f"/clusters/{CLUSTER}/updates")]
    assert len(versions) == 2, versions
    s = stack(core, workdir)
    assert s["kubernetes_version"] == "1.35"
    assert set(s["node_group_versions"].values()) == {"1.35"}
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_downgrade_refused(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    apply_stack(core, emulator, workdir, version="1.34")
    hcl = stack_config(emulator, version="1.33")
    write_config(workdir, hcl)
    emulator.reset_calls()
    diagnosed = error_diagnostics(core, workdir)
    assert_error_at(
        diagnosed, "EKS cannot go back to 1.33", "main.tf", attribute_line(hcl, 'resource "ode_eks_stack"', "kubernetes_version")
    )
    # Nothing but the refresh's end of the create's claim (its mark, a tag) is written.
    assert not [c for c in eks_calls(emulator) if not c.startswith("GET") and not c.startswith("DELETE /tags/")]
    write_config(workdir, stack_config(emulator, version="1.34"))
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_autoscaler_owner(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """With scaling_owner = "autoscaler", a desired size changed outside is not drift."""
    apply_stack(core, emulator, workdir, groups=node_groups(worker_extra='    scaling_owner  = "autoscaler"'))
    eks = emulator.client("eks")
    eks.update_nodegroup_config(clusterName=CLUSTER, nodegroupName="worker", scalingConfig={"desiredSize": 7})
    assert_no_changes(core, workdir)
    # The same change to a group Terraform owns is drift, repaired by apply.
    eks.update_nodegroup_config(clusterName=CLUSTER, nodegroupName="system", scalingConfig={"desiredSize": 3})
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "desired_size" in plan.stdout, plan.describe()
    core.apply(workdir)
    assert eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="system")["nodegroup"]["scalingConfig"]["desiredSize"] == 2
    assert eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="worker")["nodegroup"]["scalingConfig"]["desiredSize"] == 7
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_drift(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Logging turned off, an add-on deleted and another's role detached outside
    Terraform: planned, then repaired."""
    s = apply_stack(core, emulator, workdir, addons=EBS_CSI_ADDON, service_accounts=EBS_CSI_ROLE)
    ebs_role = s["service_account_role_arns"]["kube-system/ebs-csi-controller-sa"]
    eks = emulator.client("eks")
    # The driver made to assume another role of the stack.
    eks.update_addon(
        clusterName=CLUSTER, addonName="aws-ebs-csi-driver", serviceAccountRoleArn=s["service_account_role_arns"]["ode/api"]
    )
    wait_addon_active(eks, "aws-ebs-csi-driver")
    eks.update_cluster_config(
        name=CLUSTER, logging={"clusterLogging": [{"types": ["api", "controllerManager", "scheduler"], "enabled": False}]}
    )
    eks.delete_addon(clusterName=CLUSTER, addonName="coredns")
    iam = emulator.client("iam")
    node_role = f"{CLUSTER}-node"
    cni = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    iam.detach_role_policy(RoleName=node_role, PolicyArn=cni)
    iam.delete_role_policy(RoleName=f"{CLUSTER}-cluster", PolicyName="inline")
    logs = emulator.client("logs")
    logs.put_retention_policy(logGroupName=f"/aws/eks/{CLUSTER}/cluster", retentionInDays=1)
    plan = core.plan(workdir)
    assert plan.returncode == 2, plan.describe()
    assert "enabled_log_types" in plan.stdout and "coredns" in plan.stdout, plan.describe()
    assert "missing: AmazonEKS_CNI_Policy on the node role" in plan.stdout, plan.describe()
    assert "the use of the secrets key on the cluster role" in plan.stdout, plan.describe()
    assert re.search(r"log_retention_days\s+= 1 -> 90", plan.stdout), plan.describe()
    assert re.search(r'service_account\s+= "ode/api" -> "kube-system/ebs-csi-controller-sa"', plan.stdout), plan.describe()
    core.apply(workdir)
    ebs = eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]
    assert ebs.get("serviceAccountRoleArn") == ebs_role, ebs
    (group,) = logs.describe_log_groups(logGroupNamePrefix=f"/aws/eks/{CLUSTER}/cluster")["logGroups"]
    assert group["retentionInDays"] == 90, group
    assert iam.get_role_policy(RoleName=f"{CLUSTER}-cluster", PolicyName="inline")["PolicyDocument"]
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=node_role)["AttachedPolicies"]]
    assert cni in attached, attached
    cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
    logging = [t for setup in cluster["logging"]["clusterLogging"] if setup.get("enabled") for t in setup["types"]]
    assert sorted(logging) == ["api", "controllerManager", "scheduler"]
    assert "coredns" in eks.list_addons(clusterName=CLUSTER)["addons"]
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_cluster_deleted_outside(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """The cluster deleted outside Terraform, its roles left: the plan says so, apply
    makes it again inside the stack, the IRSA role trusts the new issuer and the old
    issuer's OIDC provider goes."""
    s = apply_stack(core, emulator, workdir)
    eks = emulator.client("eks")
    iam = emulator.client("iam")
    for group in eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]:
        eks.delete_nodegroup(clusterName=CLUSTER, nodegroupName=group)
    wait_until(lambda: not eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"], "node groups deleted")
    eks.delete_cluster(name=CLUSTER)
    wait_until(lambda: CLUSTER not in eks.list_clusters()["clusters"], "cluster deleted")

    plan = core.plan(workdir)
    assert plan.returncode == 2 and "will be updated in-place" in plan.stdout, plan.describe()
    assert "EKS cluster deleted outside Terraform" in plan.stdout + plan.stderr, plan.describe()
    core.apply(workdir)
    again = stack(core, workdir)
    assert again["arn"] and again["oidc_issuer_url"] != s["oidc_issuer_url"], (s["oidc_issuer_url"], again["oidc_issuer_url"])
    assert set(again["node_group_status"].values()) == {"ACTIVE"}
    assert set(again["addon_versions"]) == {"vpc-cni", "kube-proxy", "coredns"}
    assert ADMIN in eks.list_access_entries(clusterName=CLUSTER)["accessEntries"]
    role_arn = again["service_account_role_arns"]["ode/api"]
    assert role_arn == s["service_account_role_arns"]["ode/api"], "the IRSA role should be kept"
    trust = iam.get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]
    trust = json.dumps(json.loads(trust) if isinstance(trust, str) else trust)
    assert again["oidc_provider_arn"] in trust and s["oidc_provider_arn"] not in trust, trust
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert providers == [again["oidc_provider_arn"]], providers
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def wait_until(done: Any, what: str) -> None:
    for _ in range(200):
        if done():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting: {what}")


def wait_addon_active(eks: Any, name: str) -> None:
    """Waits (briefly: the emulator's transitions are short) for an add-on update."""
    for _ in range(100):
        if eks.describe_addon(clusterName=CLUSTER, addonName=name)["addon"]["status"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise AssertionError(f"add-on {name} did not become ACTIVE")


def line_of(hcl: str, *markers: str) -> int:
    """The 1-based line of the last marker, each searched after the previous one."""
    lines = hcl.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith('resource "ode_eks_stack"'))
    for marker in markers:
        at = next(i for i in range(at + 1, len(lines)) if lines[i].strip().startswith(marker))
    return at + 1


def group(extra: str) -> str:
    """The seed's groups with ``extra`` lines added to the worker group."""
    return node_groups(worker_extra="  " + extra)


# (case, config, markers locating the attribute, message); an error inside an element
# of a map attribute (node_groups, addons, ...) points at the element's line. Each config is built from
# the valid one with one thing wrong.
BAD_INPUTS: list[tuple[str, dict[str, str], tuple[str, ...], str]] = [
    ("version-bad", {"version": "2.0"}, ("kubernetes_version",), "is not a Kubernetes version EKS offers"),
    ("version-not-offered", {"version": "1.40"}, ("kubernetes_version",), "does not offer Kubernetes 1.40"),
    ("log-retention-bad", {"body": "log_retention_days = 45"}, ("log_retention_days",), "not 45"),
    ("log-type-bad", {"body": 'enabled_log_types = ["api", "everything"]'}, ("enabled_log_types",), '"everything": use one of'),
    ("auth-mode-bad", {"body": 'authentication_mode = "OPEN"'}, ("authentication_mode",), '"OPEN": use one of'),
    ("public-cidr-bad", {"body": 'public_access_cidrs = ["10.0.0.0/33"]'}, ("public_access_cidrs",), "10.0.0.0/33"),
    ("kms-not-arn", {"body": 'kms_key_arn = "my-key"'}, ("kms_key_arn",), "is not a valid kms ARN"),
    ("cluster-role-not-arn", {"body": 'cluster_role_arn = "admin"'}, ("cluster_role_arn",), "is not a valid iam ARN"),
    ("tag-reserved", {"tags": '{ "ode:stack" = "x" }'}, ("tags",), "reserves for its"),
    ("timeout-bad", {"body": 'timeouts {\n    create = "an hour"\n  }'}, ("timeouts", "create"), "unknown unit"),
    ("min-over-max", {"groups": node_groups().replace("min_size       = 3", "min_size       = 11")}, ("node_groups", "worker = {"), "must not exceed max_size"),
    ("desired-outside", {"groups": node_groups().replace("desired_size   = 3", "desired_size   = 20")}, ("node_groups", "worker = {"), "must be between min_size"),
    ("instance-type-bad", {"groups": node_groups(worker_instance="large")}, ("node_groups", "worker = {"), "is not an EC2 instance type"),
    ("capacity-bad", {"groups": group('    capacity_type = "CHEAP"')}, ("node_groups", "worker = {"), '"CHEAP": use one of'),
    ("scaling-owner-bad", {"groups": group('    scaling_owner = "karpenter"')}, ("node_groups", "worker = {"), '"karpenter": use one of'),
    ("disk-zero", {"groups": group("    disk_size = 0")}, ("node_groups", "worker = {"), "disk_size must be 1 to 16384"),
    ("label-key-bad", {"groups": group('    labels = { "-bad" = "x" }')}, ("node_groups", "worker = {"), "is not a Kubernetes label key"),
    (
        "taint-duplicate",
        {"groups": group('    taints = [{ key = "a", value = "1", effect = "NO_SCHEDULE" }, { key = "a", value = "2", effect = "NO_SCHEDULE" }]')},
        ("node_groups", "worker = {"),
        "listed more than once",
    ),
    ("taint-effect-bad", {"groups": group('    taints = [{ key = "a", value = "1", effect = "NEVER" }]')}, ("node_groups", "worker = {"), '"NEVER": use one of'),
    # Add-ons are checked against what EKS offers for the version (DescribeAddonVersions,
    # DescribeAddonConfiguration), at plan.
    ("addon-unknown", {"addons": '    "istio" = {}'}, ("addons", '"istio"'), 'EKS offers no add-on "istio" for Kubernetes 1.33'),
    ("addon-name-bad", {"addons": '    "Metrics Server" = {}'}, ("addons", '"Metrics Server"'), "is not an EKS add-on name"),
    (
        "addon-version-not-offered",
        {"addons": '    "metrics-server" = { version = "v0.6.0-eksbuild.1" }'},
        ("addons", '"metrics-server"'),
        "metrics-server v0.6.0-eksbuild.1 does not run on Kubernetes 1.33",
    ),
    (
        "addon-configuration-refused",
        {"addons": '    "metrics-server" = { configuration_values = jsonencode({ replica = 2 }) }'},
        ("addons", '"metrics-server"'),
        '"replica" is not one of its settings',
    ),
    (
        "addon-service-account-unknown",
        {"addons": '    "aws-ebs-csi-driver" = { service_account = "kube-system/ebs" }'},
        ("addons", '"aws-ebs-csi-driver"'),
        '"kube-system/ebs" is not a key of service_accounts (ode/api)',
    ),
    ("addon-config-not-json", {"addons": '    "aws-ebs-csi-driver" = {\n      configuration_values = "{oops"\n    }'}, ("addons", '"aws-ebs-csi-driver"'), "not JSON"),
    ("access-not-arn", {"access": '    "admin" = {}'}, ("access_entries", '"admin"'), '"admin" is not an IAM role or user ARN'),
    ("sa-key-bad", {"service_accounts": '    "Ode_API" = {}'}, ("service_accounts", '"Ode_API"'), '"Ode_API": write namespace/name'),
    ("sa-policy-not-json", {"service_accounts": '    "ode/worker" = {\n      policy_json = "allow all"\n    }'}, ("service_accounts", '"ode/worker"'), "not JSON"),
    ("sa-policy-arn-bad", {"service_accounts": '    "ode/worker" = {\n      policy_arns = ["s3-read"]\n    }'}, ("service_accounts", '"ode/worker"'), "is not a valid iam ARN"),
]


def test_eks_bad_inputs(core: Core, emulator: EmulatorClient, workdir: Path, subtests) -> None:
    write_config(workdir, stack_config(emulator))
    core.init(workdir)
    emulator.reset_calls()
    for case, parts, markers, message in BAD_INPUTS:
        with subtests.test(case=case):
            body = parts.get("body")
            hcl = stack_config(
                emulator,
                "  " + body if body else "",
                version=parts.get("version", "1.33"),
                groups=parts.get("groups"),
                addons=parts.get("addons", ""),
                access=parts.get("access", ""),
                service_accounts=parts.get("service_accounts", ""),
                **({"tags": parts["tags"]} if "tags" in parts else {}),
            )
            write_config(workdir, hcl)
            diagnosed = error_diagnostics(core, workdir)
            assert_error_at(diagnosed, message, "main.tf", line_of(hcl, *markers), case=case)
    with subtests.test(case="subnets-one-zone"):
        # Two subnets of one zone, known at plan time: refused before anything is made.
        ec2 = emulator.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        ids = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
            for i in (1, 2)
        ]
        hcl = stack_config(emulator).replace(
            "subnet_ids         = ode_network.net.private_subnet_ids", f"subnet_ids         = {json.dumps(ids)}"
        )
        write_config(workdir, hcl)
        diagnosed = error_diagnostics(core, workdir)
        assert_error_at(diagnosed, "these are all in us-east-1a", "main.tf", line_of(hcl, "subnet_ids"), case="subnets-one-zone")
    for case, create_key, message in (
        ("kms-key-disabled", {}, "EKS needs an enabled key"),
        ("kms-key-asymmetric", {"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}, "only with a symmetric"),
    ):
        with subtests.test(case=case):
            kms = emulator.client("kms")
            meta = kms.create_key(**create_key)["KeyMetadata"]
            key = meta["Arn"]
            if case == "kms-key-disabled":
                kms.disable_key(KeyId=meta["KeyId"])
            hcl = stack_config(emulator, f'  kms_key_arn = "{key}"')
            write_config(workdir, hcl)
            diagnosed = error_diagnostics(core, workdir)
            assert_error_at(diagnosed, message, "main.tf", line_of(hcl, "kms_key_arn"), case=case)
    # Nothing was created: only reads reached EKS.
    assert not [c for c in eks_calls(emulator) if not c.startswith("GET")]


def test_eks_nodegroup_replace(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """An instance type change is made create-before-destroy inside the stack: the new
    group is ACTIVE before the old one's delete is called."""
    apply_stack(core, emulator, workdir)
    write_config(workdir, stack_config(emulator, groups=node_groups(worker_instance="m5.large")))
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "will be updated in-place" in plan.stdout and "m5.large" in plan.stdout, plan.describe()
    emulator.reset_calls()
    core.apply(workdir)
    calls = eks_calls(emulator)
    created = next(i for i, c in enumerate(calls) if c.startswith("POST") and c.endswith("/node-groups"))
    deleted = next(i for i, c in enumerate(calls) if c.startswith("DELETE") and c.endswith("/node-groups/worker"))
    new_name = next(
        g for g in emulator.client("eks").list_nodegroups(clusterName=CLUSTER)["nodegroups"] if g.startswith("worker-")
    )
    described_new = [i for i, c in enumerate(calls) if c.startswith("GET") and c.endswith(f"/node-groups/{new_name}")]
    # Created, seen ACTIVE, and only then the old group's delete.
    assert created < deleted and any(created < i < deleted for i in described_new), calls
    eks = emulator.client("eks")
    assert sorted(eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]) == ["system", new_name]
    assert eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=new_name)["nodegroup"]["instanceTypes"] == ["m5.large"]
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_import(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    apply_stack(core, emulator, first)
    network = core.state_resource(first, "ode_network.net")
    # The second configuration takes the stack over: the network is handed over too.
    write_config(second, stack_config(emulator))
    core.init(second)
    core.import_(second, "ode_network.net", network["vpc_id"])
    core.import_(second, ADDRESS, CLUSTER)
    assert_no_changes(core, second)
    for address in ("ode_network.net", ADDRESS):
        core.run(first, "state", "rm", address)
    core.destroy(second)
    assert_nothing_left(emulator)


def test_eks_crash_adopt(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """The provider is killed while the cluster is being created; the next apply adopts
    what the killed one left: one cluster, no duplicate roles, key or node groups."""
    write_config(workdir, stack_config(emulator))
    core.init(workdir)
    emulator.set_eks_transitions(transition_s=8)
    emulator.reset_calls()
    proc = core.start(workdir, "apply", "-input=false", "-auto-approve")
    try:
        deadline = time.monotonic() + 120
        while "POST /clusters" not in eks_calls(emulator):
            assert proc.poll() is None and time.monotonic() < deadline, "no CreateCluster call"
            time.sleep(0.05)
        time.sleep(0.5)  # inside the wait for ACTIVE
        for pid in child_provider_pids(proc.pid):
            os.kill(pid, signal.SIGKILL)
        finish(proc)
    finally:
        emulator.set_eks_transitions(transition_s=0)
    assert proc.returncode != 0
    eks = emulator.client("eks")
    assert eks.list_clusters()["clusters"] == [CLUSTER]
    tags = eks.describe_cluster(name=CLUSTER)["cluster"]["tags"]
    assert "ode:creating" in tags, tags  # left unfinished, marked for adoption
    roles_before = sorted(r["RoleName"] for r in emulator.client("iam").list_roles(PathPrefix=f"/ode/{CLUSTER}/")["Roles"])

    core.apply(workdir)
    s = stack(core, workdir)
    assert eks.list_clusters()["clusters"] == [CLUSTER]
    assert sorted(eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]) == ["system", "worker"]
    roles = sorted(r["RoleName"] for r in emulator.client("iam").list_roles(PathPrefix=f"/ode/{CLUSTER}/")["Roles"])
    assert set(roles_before) <= set(roles) and len(roles) == 3, roles  # cluster, node, one IRSA role
    aliases = [a for a in emulator.client("kms").list_aliases()["Aliases"] if CLUSTER in a["AliasName"]]
    assert len(aliases) == 1, aliases
    assert set(s["node_group_status"].values()) == {"ACTIVE"}
    assert_no_changes(core, workdir)
    # The refresh of that plan ended the claim.
    assert "ode:creating" not in eks.describe_cluster(name=CLUSTER)["cluster"]["tags"]
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_destroy_blocked(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A Fargate profile made outside Terraform keeps the cluster alive: destroy gives up
    at the delete timeout and names it; once it is gone, destroy finishes."""
    apply_stack(core, emulator, workdir, body='  timeouts {\n    delete = "15s"\n  }')
    eks = emulator.client("eks")
    network = core.state_resource(workdir, "ode_network.net")
    eks.create_fargate_profile(
        fargateProfileName="outside",
        clusterName=CLUSTER,
        podExecutionRoleArn="arn:aws:iam::123456789012:role/fargate",
        subnets=network["private_subnet_ids"],
        selectors=[{"namespace": "batch"}],
    )
    started = time.monotonic()
    refused = core.destroy(workdir, check=False)
    took = time.monotonic() - started
    assert refused.returncode != 0, refused.describe()
    text = re.sub(r"\s+", " ", refused.output)
    assert "still has Fargate profile outside created outside Terraform" in text, refused.describe()
    assert took < 90, took
    assert ADDRESS in core.run(workdir, "state", "list").stdout.split()
    eks.delete_fargate_profile(clusterName=CLUSTER, fargateProfileName="outside")
    core.destroy(workdir)
    assert_nothing_left(emulator)


# (cluster version, worker pin, what the plan says). A pin newer than the cluster,
# older than the skew EKS allows, or, for a group about to be made, any version but
# the cluster's (EKS makes node groups at the cluster's version) is refused.
SKEW_CASES = [
    ("1.33", "1.34", "1.34 is newer than the cluster's 1.33"),
    ("1.35", "1.31", "at most 3 minor versions older than a 1.35 cluster: 1.31 is too old"),
    ("1.33", "1.32", "EKS makes a node group at its cluster's Kubernetes version only (1.33)"),
]


def test_eks_version_skew_refused(core: Core, emulator: EmulatorClient, workdir: Path, subtests) -> None:
    """Node group version skew is checked at plan on the pin, nothing is created; EKS
    (the emulator) refuses the same requests."""
    write_config(workdir, stack_config(emulator))
    core.init(workdir)
    emulator.reset_calls()
    for version, pin, message in SKEW_CASES:
        with subtests.test(cluster=version, pin=pin):
            hcl = stack_config(emulator, version=version, groups=group(f'    kubernetes_version = "{pin}"'))
            write_config(workdir, hcl)
            assert_error_at(
                error_diagnostics(core, workdir), message, "main.tf", line_of(hcl, "node_groups", "worker = {")
            )
    assert not [a for a in eks_calls(emulator) if not a.startswith("GET")], eks_calls(emulator)
    assert emulator.client("ec2").describe_vpcs(Filters=[{"Name": "tag:ode:stack", "Values": ["ode-e2e-eks-net"]}])["Vpcs"] == []

    # EKS itself: a node group is made at its cluster's version, and updated only
    # within the skew.
    apply_stack(core, emulator, workdir)
    client = emulator.client("eks")
    network = core.state_resource(workdir, "ode_network.net")
    role = stack(core, workdir)["node_role_arn"]
    for pin in ("1.34", "1.32"):
        with pytest.raises(client.exceptions.InvalidParameterException):
            client.create_nodegroup(
                clusterName=CLUSTER, nodegroupName=f"outside-{pin}", nodeRole=role,
                subnets=network["private_subnet_ids"], version=pin,
            )
    (worker,) = [n for n in client.list_nodegroups(clusterName=CLUSTER)["nodegroups"] if n.startswith("worker")]
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.update_nodegroup_version(clusterName=CLUSTER, nodegroupName=worker, version="1.34")
    assert sorted(client.list_nodegroups(clusterName=CLUSTER)["nodegroups"]) == ["system", "worker"]
    core.destroy(workdir)
    assert_nothing_left(emulator)


# -- failure states: AWS's reason reaches the user, nothing is lost, a re-apply converges --

SYSTEM_ONLY = """
  node_groups = {
    system = {
      instance_types = ["t3.medium"]
      min_size       = 1
      max_size       = 2
    }
  }
"""
WITH_WORKER = SYSTEM_ONLY.replace(
    "\n  }\n", '\n    worker = {\n      instance_types = ["t3.large"]\n      min_size       = 1\n      max_size       = 3\n    }\n  }\n'
)


def assert_failed_with(diagnosed: Any, *facts: str) -> None:
    assert diagnosed.failed, diagnosed.describe()
    text = diagnosed.text()
    for fact in facts:
        assert fact in text, (fact, diagnosed.describe())


@pytest.mark.no_chaos
def test_eks_nodegroup_create_failed(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A node group EKS cannot make ends CREATE_FAILED: the apply fails with EKS's health
    issue; the stack keeps everything else; the next plan offers to make the group
    again, and the re-apply (the cause gone) replaces the failed group."""
    apply_stack(core, emulator, workdir, groups=SYSTEM_ONLY)
    reason = "Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient t3.large capacity"
    emulator.fail_next("nodegroup", "worker", reason, code="AsgInstanceLaunchFailures")
    write_config(workdir, stack_config(emulator, groups=WITH_WORKER))
    assert_failed_with(apply_errors(core, workdir), "CREATE_FAILED", "AsgInstanceLaunchFailures", reason)
    eks = emulator.client("eks")
    (failed,) = [n for n in eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"] if n.startswith("worker")]
    assert eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=failed)["nodegroup"]["status"] == "CREATE_FAILED"
    # What the failed apply recorded (outputs are not updated by a failed apply).
    s = core.state_resource(workdir, ADDRESS)
    assert set(s["node_groups"]) == {"system"} and s["node_group_status"]["worker"] == "CREATE_FAILED", s["node_group_status"]
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "worker" in plan.stdout, plan.describe()
    core.apply(workdir)
    groups = sorted(eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"])
    assert len(groups) == 2, groups
    statuses = {n: eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=n)["nodegroup"]["status"] for n in groups}
    assert set(statuses.values()) == {"ACTIVE"}, statuses
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


@pytest.mark.no_chaos
def test_eks_addon_create_failed(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """An add-on EKS cannot install ends CREATE_FAILED: its health issue is the
    diagnostic; the re-apply deletes it and installs it again."""
    apply_stack(core, emulator, workdir, groups=SYSTEM_ONLY)
    reason = "Conflicts found when trying to apply. Will not continue due to resolve conflicts mode"
    emulator.fail_next("addon", "aws-ebs-csi-driver", reason, code="ConfigurationConflict")
    write_config(workdir, stack_config(emulator, groups=SYSTEM_ONLY, addons='    "aws-ebs-csi-driver" = {}'))
    assert_failed_with(apply_errors(core, workdir), "aws-ebs-csi-driver", "CREATE_FAILED", "ConfigurationConflict", reason)
    eks = emulator.client("eks")
    assert eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]["status"] == "CREATE_FAILED"
    assert "aws-ebs-csi-driver" not in core.state_resource(workdir, ADDRESS)["addons"]
    core.apply(workdir)
    assert eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]["status"] == "ACTIVE"
    # The stack holds the add-on already: the apply changes nothing but the outputs a
    # failed apply does not update.
    assert "0 added, 0 changed, 0 destroyed" in core.apply(workdir).stdout
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


@pytest.mark.no_chaos
def test_eks_addon_degraded(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """An add-on that stays DEGRADED: the apply waits until its deadline and then says
    so with the add-on's health issue; once the cause is gone (EKS reconciles the
    add-on, here an update made outside) the state holds it: nothing is changed."""
    apply_stack(core, emulator, workdir, groups=SYSTEM_ONLY)
    reason = "Deployment coredns has 0/2 ready replicas"
    emulator.fail_next("addon-degraded", "aws-ebs-csi-driver", reason, code="InsufficientNumberOfReplicas")
    body = '  timeouts {\n    update = "20s"\n  }'
    write_config(workdir, stack_config(emulator, body, groups=SYSTEM_ONLY, addons='    "aws-ebs-csi-driver" = {}'))
    assert_failed_with(apply_errors(core, workdir), "aws-ebs-csi-driver", "DEGRADED", "InsufficientNumberOfReplicas", reason)
    eks = emulator.client("eks")
    addon = eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]
    assert addon["status"] == "DEGRADED"
    eks.update_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver", addonVersion=addon["addonVersion"])
    assert eks.describe_addon(clusterName=CLUSTER, addonName="aws-ebs-csi-driver")["addon"]["status"] == "ACTIVE"
    # The stack holds the add-on already: the apply changes nothing but the outputs a
    # failed apply does not update.
    assert "0 added, 0 changed, 0 destroyed" in core.apply(workdir).stdout
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_platform_addons(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Any add-on EKS offers for the cluster's version: metrics-server (a community
    add-on) and snapshot-controller with configuration values are installed at the
    versions EKS names as default, their configuration reaches EKS, a changed value is
    an in-place update, and the second plan is empty."""
    extra = """    "metrics-server" = {
      configuration_values = jsonencode({ replicas = 2, tolerations = [{ key = "CriticalAddonsOnly", operator = "Exists" }] })
    }
    "snapshot-controller" = { configuration_values = jsonencode({ replicaCount = 1 }) }"""
    out = apply_stack(core, emulator, workdir, groups=SYSTEM_ONLY, version="1.35", addons=extra)
    eks = emulator.client("eks")
    metrics = eks.describe_addon(clusterName=CLUSTER, addonName="metrics-server")["addon"]
    assert metrics["status"] == "ACTIVE"
    assert json.loads(metrics["configurationValues"])["replicas"] == 2
    [info] = eks.describe_addon_versions(addonName="metrics-server", kubernetesVersion="1.35")["addons"]
    [default] = [
        v["addonVersion"] for v in info["addonVersions"] if any(c["defaultVersion"] for c in v["compatibilities"])
    ]
    assert out["addon_versions"]["metrics-server"] == metrics["addonVersion"] == default
    snapshot = eks.describe_addon(clusterName=CLUSTER, addonName="snapshot-controller")["addon"]
    assert json.loads(snapshot["configurationValues"]) == {"replicaCount": 1}
    assert_no_changes(core, workdir)
    write_config(
        workdir,
        stack_config(emulator, groups=SYSTEM_ONLY, version="1.35", addons=extra.replace("replicas = 2", "replicas = 3")),
    )
    plan = core.plan(workdir)
    assert "1 to change" in plan.stdout and "0 to add" in plan.stdout, plan.describe()
    core.apply(workdir)
    metrics = eks.describe_addon(clusterName=CLUSTER, addonName="metrics-server")["addon"]
    assert json.loads(metrics["configurationValues"])["replicas"] == 3
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_pod_identity(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A service account through EKS Pod Identity: its role trusts pods.eks.amazonaws.com
    and an association names it; without the agent add-on the plan refuses; an
    association deleted outside is drift that apply makes again; moving the service
    account to IRSA deletes the association and trusts the cluster's issuer."""
    worker = """    "ode/worker" = {
      identity    = "pod_identity"
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    }"""
    write_config(workdir, stack_config(emulator, groups=SYSTEM_ONLY, service_accounts=worker))
    core.init(workdir)
    diagnosed = error_diagnostics(core, workdir)
    hcl = stack_config(emulator, groups=SYSTEM_ONLY, service_accounts=worker)
    assert_error_at(diagnosed, "needs the eks-pod-identity-agent add-on", "main.tf", line_of(hcl, '"ode/worker"'))
    agent = '    "eks-pod-identity-agent" = {}'
    out = apply_stack(core, emulator, workdir, groups=SYSTEM_ONLY, service_accounts=worker, addons=agent)
    eks, iam = emulator.client("eks"), emulator.client("iam")
    role_arn = out["service_account_role_arns"]["ode/worker"]
    role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}, statement
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    [summary] = eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"]
    assert (summary["namespace"], summary["serviceAccount"]) == ("ode", "worker")
    association = eks.describe_pod_identity_association(clusterName=CLUSTER, associationId=summary["associationId"])["association"]
    assert association["roleArn"] == role_arn
    assert out["pod_identity_association_ids"] == {"ode/worker": summary["associationId"]}
    assert out["iam_policies"] == "verified"
    # The IRSA service account keeps its OIDC trust and gets no association.
    assert set(out["service_account_role_arns"]) == {"ode/api", "ode/worker"}
    assert_no_changes(core, workdir)

    eks.delete_pod_identity_association(clusterName=CLUSTER, associationId=summary["associationId"])
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "Pod Identity association of ode/worker" in plan.stdout, plan.describe()
    core.apply(workdir)
    [again] = eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"]
    assert again["associationId"] != summary["associationId"]
    assert_no_changes(core, workdir)

    write_config(
        workdir,
        stack_config(emulator, groups=SYSTEM_ONLY, addons=agent, service_accounts=worker.replace('"pod_identity"', '"irsa"')),
    )
    core.apply(workdir)
    assert eks.list_pod_identity_associations(clusterName=CLUSTER)["associations"] == []
    role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[1])["Role"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity", statement
    assert stack(core, workdir)["pod_identity_association_ids"] == {}
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


@pytest.mark.no_chaos
def test_eks_update_failed(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A control plane upgrade EKS reports Failed: its error is the diagnostic, the
    cluster and the state stay at the old version, and the re-apply upgrades."""
    apply_stack(core, emulator, workdir, groups=SYSTEM_ONLY, version="1.34")
    reason = "One or more of the subnets has too few free addresses for the upgrade"
    emulator.fail_next("update", CLUSTER, reason, code="InsufficientFreeAddresses")
    write_config(workdir, stack_config(emulator, groups=SYSTEM_ONLY, version="1.35"))
    assert_failed_with(apply_errors(core, workdir), "InsufficientFreeAddresses", reason)
    eks = emulator.client("eks")
    assert eks.describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.34"
    assert core.state_resource(workdir, ADDRESS)["kubernetes_version"] == "1.34"
    core.apply(workdir)
    assert eks.describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.35"
    assert set(stack(core, workdir)["node_group_versions"].values()) == {"1.35"}
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)


def test_eks_pagination(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """Every list the stack reads is read to its last page: with the emulator answering
    one item a page, five node groups, four add-ons, six access entries and seven roles
    (a page each) plan empty after apply, drift on a last page shows and is repaired,
    and a destroy leaves nothing."""
    emulator.set_page_size(1)
    names = ["g1", "g2", "g3", "g4", "g5"]
    principals = [f"arn:aws:iam::123456789012:role/team-{n}" for n in names[:4]]

    def config(groups: list[str]) -> str:
        return stack_config(
            emulator,
            groups="\n  node_groups = {\n"
            + "".join(
                f'    {n} = {{\n      instance_types = ["t3.medium"]\n      min_size       = 1\n      max_size       = 2\n    }}\n'
                for n in groups
            )
            + "  }\n",
            addons='    "aws-ebs-csi-driver" = {}',
            access="".join(f'    "{p}" = {{}}\n' for p in principals),
            service_accounts="".join(f'    "ode/{n}" = {{}}\n' for n in names[:4]),
        )

    write_config(workdir, config(names))
    core.init(workdir)
    core.apply(workdir)
    eks = emulator.client("eks")
    def listed() -> list[str]:
        pages = eks.get_paginator("list_nodegroups").paginate(clusterName=CLUSTER)
        return sorted(n for page in pages for n in page["nodegroups"])

    assert listed() == names
    emulator.reset_calls()
    assert_no_changes(core, workdir)
    calls = eks_calls(emulator)
    for suffix in ("/node-groups", "/addons", "/access-entries"):
        pages = [c for c in calls if c.startswith("GET") and c.endswith(suffix)]
        assert len(pages) >= 3, (suffix, calls)
    roles = [a for s, a in emulator.call_names() if (s, a) == ("iam", "ListRoles")]
    assert len(roles) >= 3, emulator.call_names()

    # Drift on what later pages hold: found, shown, repaired.
    eks.delete_nodegroup(clusterName=CLUSTER, nodegroupName="g5")
    eks.delete_addon(clusterName=CLUSTER, addonName="vpc-cni")
    plan = core.plan(workdir)
    assert plan.returncode == 2 and "g5" in plan.stdout and "vpc-cni" in plan.stdout, plan.describe()
    core.apply(workdir)
    assert_no_changes(core, workdir)
    # Groups the configuration no longer names are deleted, wherever they are listed.
    write_config(workdir, config(["g5"]))
    core.apply(workdir)
    assert listed() == ["g5"]
    assert_no_changes(core, workdir)
    core.destroy(workdir)
    assert_nothing_left(emulator)
