"""Module conventions (issue 19): ``create`` toggles, ``examples/complete``, tag maps per
object kind, run through each core against the emulator.

* ``test_module_create_false``: a root module calling all six modules with
  ``create = false``, chained as the platform chains them (the data tier gets the
  disabled network's null VPC and empty subnet lists): the plan has no resource
  change, every module output is null or empty, the apply makes no AWS call that
  changes anything and leaves the emulator empty, and the next plan is empty. With
  ``create = true`` the same empty inputs are refused at plan, naming the attribute,
  before anything is made.
* ``test_module_complete_examples``: ``modules/<name>/examples/complete`` of network,
  eks-stack, data-tier, registry and state-backend, applied at the same time (each
  under its own names): what they set is what the emulator holds (per-tier subnet
  tags, spot and tainted node groups, Valkey, lifecycles, ...), and a second plan is
  empty. Then each module's resource is put back where the modules kept it before the
  ``create`` toggle (``ode_<type>.this`` instead of ``.this[0]``, as ``state mv``
  writes it): the plan moves it and changes nothing else, and after that apply the
  plan is empty. Everything is destroyed and nothing is left.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.e2e.test_data_tier import leftovers as data_leftovers
from tests.modules.layout import copy_hcl_tree
from tests.support.core import Core, Result
from tests.support.emulator import EmulatorClient
from tests.support.examples import Example, point_at_emulator
from tests.support.helpers import assert_emulator_empty

pytestmark = pytest.mark.e2e

PLAN_FILE = "tfplan"

# Calls that change something in AWS (the emulator records every call).
MUTATING = re.compile(r"^(Create|Put|Run|Allocate|Attach|Associate|Modify|Tag|Update|Delete|Authorize|Set)")


def plan_json(core: Core, workdir: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    """``plan -out`` with ``args``, and the saved plan as JSON."""
    result = core.plan(workdir, f"-out={PLAN_FILE}", *args)
    shown = json.loads(core.run(workdir, "show", "-json", PLAN_FILE).stdout)
    return result, shown


def changed(plan: dict[str, Any]) -> list[str]:
    """Addresses of the resource changes that are not no-ops."""
    return [c["address"] for c in plan.get("resource_changes", []) if c["change"]["actions"] != ["no-op"]]


# Outputs that echo settings derived from the variables, not AWS objects: they keep
# their value without the module's resources.
SETTINGS_OUTPUTS = {"platform": {"node_groups", "addons"}}


def is_empty(value: Any) -> bool:
    """Null, or a collection (nested objects included) holding only empty things."""
    if value is None:
        return True
    if isinstance(value, dict):
        return all(is_empty(v) for v in value.values())
    if isinstance(value, list):
        return not value
    return False


# -- create = false ----------------------------------------------------------------------

CREATE_FALSE_MODULES = """
module "network" {
  source = "../modules/network"
  create = false
}

module "eks" {
  source     = "../modules/eks-stack"
  create     = false
  subnet_ids = module.network.private_subnet_ids
}

module "data_tier" {
  source                     = "../modules/data-tier"
  create                     = false
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.isolated_subnet_ids
  allowed_security_group_ids = compact([module.eks.cluster_security_group_id])
}

module "registry" {
  source              = "../modules/registry"
  create              = false
  pull_principal_arns = compact([module.eks.node_role_arn])
}

module "state_backend" {
  source = "../modules/state-backend"
  create = false
}

module "platform" {
  source = "../modules/platform"
  create = false
}
"""

# The stack and the tier on a disabled network: refused, naming the attribute.
ON_NO_NETWORK = """
module "network" {
  source = "../modules/network"
  create = false
}

module "eks" {
  source     = "../modules/eks-stack"
  subnet_ids = module.network.private_subnet_ids
}

module "data_tier" {
  source     = "../modules/data-tier"
  vpc_id     = module.network.vpc_id
  subnet_ids = module.network.isolated_subnet_ids
}
"""

CREATE_FALSE_OUTPUTS = """
output "modules" {
  value = {
    network       = module.network
    eks           = module.eks
    data_tier     = module.data_tier
    registry      = module.registry
    state_backend = module.state_backend
    platform      = module.platform
  }
}
"""


def consumer_root(tmp_path: Path, emulator: EmulatorClient, name: str, modules: str) -> Path:
    """A consumer root calling ``modules``, beside a copy of modules/, its provider
    pointed at the emulator."""
    workdir = copy_hcl_tree(tmp_path / name) / "consumer"
    workdir.mkdir()
    providers = """terraform {
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = ">= 0.1.0"
    }
  }
}

provider "ode" {
  region = "us-east-1"
}
"""
    (workdir / "main.tf").write_text(providers + modules)
    point_at_emulator(workdir, emulator.url)
    return workdir


def test_module_create_false(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    workdir = consumer_root(tmp_path, emulator, "disabled", CREATE_FALSE_MODULES + CREATE_FALSE_OUTPUTS)
    core.init(workdir)
    emulator.reset_calls()

    first, plan = plan_json(core, workdir)
    assert not changed(plan), f"create = false planned changes: {changed(plan)}\n{first.describe()}"
    assert not plan.get("resource_changes"), plan.get("resource_changes")
    outputs = plan["planned_values"]["outputs"]["modules"]["value"]
    assert set(outputs) == {"network", "eks", "data_tier", "registry", "state_backend", "platform"}, outputs
    for module, values in outputs.items():
        assert values, f"module {module} has no outputs"
        settings = SETTINGS_OUTPUTS.get(module, set())
        assert settings <= set(values), f"module {module} lacks the settings outputs {settings}"
        full = [name for name, value in values.items() if not is_empty(value) and name not in settings]
        assert not full, f"module {module}: outputs not null or empty with create = false: {full}"
    # Each tier of the network's per-tier outputs is still a key: callers index them.
    assert outputs["network"]["subnet_ids_by_az"] == {"public": {}, "private": {}, "isolated": {}}, outputs["network"]

    core.apply(workdir, PLAN_FILE)
    mutating = [call for call in emulator.call_names() if MUTATING.match(call[1])]
    assert not mutating, f"create = false changed something in AWS: {mutating}"
    again = core.plan(workdir)
    assert again.returncode == 0, "expected an empty plan\n" + again.describe()
    assert core.run(workdir, "state", "list", check=False).stdout.strip() == "", "the state holds resources"
    assert_emulator_empty(emulator)

    # The same empty inputs with create = true: the preconditions name the attribute.
    workdir = consumer_root(tmp_path, emulator, "no-network", ON_NO_NETWORK)
    core.init(workdir)
    emulator.reset_calls()
    refused = core.plan(workdir, check=False)
    assert refused.returncode == 1, refused.describe()
    text = " ".join(refused.output.replace("│", " ").split())
    for message in (
        "EKS needs subnets in at least two availability zones; list at least two subnet IDs in subnet_ids",
        "vpc_id must be the VPC of the subnets",
        "RDS and ElastiCache need subnets in at least two availability zones; list at least two subnet IDs in subnet_ids",
    ):
        assert message in text, f"missing {message!r}\n{refused.describe()}"
    mutating = [call for call in emulator.call_names() if MUTATING.match(call[1])]
    assert not mutating, mutating
    assert_emulator_empty(emulator)


# -- examples/complete -------------------------------------------------------------------


@dataclass
class Complete:
    """One module's examples/complete, copied and pointed at the emulator."""

    module: str
    workdir: Path
    check: Callable[[EmulatorClient, dict[str, Any]], None]


def check_network(emulator: EmulatorClient, outputs: dict[str, Any]) -> None:
    ec2 = emulator.client("ec2")
    [vpc] = ec2.describe_vpcs(VpcIds=[outputs["vpc_id"]])["Vpcs"]
    vpc_tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
    assert vpc_tags.get("Team") == "platform" and "Tier" not in vpc_tags, vpc_tags
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}])["Subnets"]
    by_id = {s["SubnetId"]: s for s in subnets}
    assert len(subnets) == 6, subnets
    cidrs = outputs["subnet_cidrs_by_az"]
    assert cidrs["private"] == {"us-east-1a": "10.20.128.0/19", "us-east-1b": "10.20.160.0/19"}, cidrs
    assert all(c.endswith("/22") for c in cidrs["public"].values()), cidrs
    assert all(c.endswith("/23") for c in cidrs["isolated"].values()), cidrs
    # Each tier's own tag map is on its subnets only, over the network's tags.
    for tier, ids in outputs["subnet_ids_by_az"].items():
        for subnet_id in ids.values():
            tags = {t["Key"]: t["Value"] for t in by_id[subnet_id].get("Tags", [])}
            assert tags.get("Tier") == tier and tags.get("Team") == "platform", (tier, tags)
            cluster_tag = tags.get("kubernetes.io/cluster/ode-complete-network-cluster")
            assert cluster_tag == (None if tier == "isolated" else "shared"), (tier, tags)
    assert len(outputs["nat_gateway_ids"]) == 1, outputs
    assert outputs["isolation"] == "verified", outputs


def check_eks(emulator: EmulatorClient, outputs: dict[str, Any]) -> None:
    eks = emulator.client("eks")
    name = outputs["cluster_name"]
    assert name == "ode-complete-eks", outputs
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert cluster["resourcesVpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"], cluster["resourcesVpcConfig"]
    assert cluster["accessConfig"]["authenticationMode"] == "API", cluster.get("accessConfig")
    groups = [
        eks.describe_nodegroup(clusterName=name, nodegroupName=group)["nodegroup"]
        for group in eks.list_nodegroups(clusterName=name)["nodegroups"]
    ]
    by_key = {g["labels"]["ode.dev/pool"]: g for g in groups}
    assert set(by_key) == {"system", "worker"}, groups
    assert by_key["worker"]["capacityType"] == "SPOT" and by_key["worker"]["instanceTypes"] == ["t3.large", "t3a.large"], by_key["worker"]
    assert by_key["worker"]["diskSize"] == 50 and not by_key["worker"].get("taints"), by_key["worker"]
    assert by_key["system"]["taints"] == [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}], by_key["system"]
    coredns = eks.describe_addon(clusterName=name, addonName="coredns")["addon"]
    assert json.loads(coredns["configurationValues"]) == {"replicaCount": 2}, coredns
    assert set(outputs["service_account_role_arns"]) == {"ode/ode-api", "ode/ode-worker", "kube-system/ebs-csi-controller-sa"}, outputs


def check_data_tier(emulator: EmulatorClient, outputs: dict[str, Any]) -> None:
    [db] = emulator.client("rds").describe_db_instances(DBInstanceIdentifier="ode-complete-data-postgres")["DBInstances"]
    assert (db["EngineVersion"].split(".")[0], db["DBInstanceClass"], db["MultiAZ"]) == ("16", "db.t3.small", False), db
    assert db["DeletionProtection"] is False and db["MasterUsername"] == "ode_owner", db
    [group] = emulator.client("elasticache").describe_replication_groups(ReplicationGroupId="ode-complete-data-redis")["ReplicationGroups"]
    assert len(group["MemberClusters"]) == 2, group
    [member] = emulator.client("elasticache").describe_cache_clusters(CacheClusterId=group["MemberClusters"][0])["CacheClusters"]
    assert (member["Engine"], member["EngineVersion"].split(".")[0]) == ("valkey", "8"), member
    assert outputs["bucket_names"] == {
        "documents": "ode-complete-data-documents",
        "exports": "ode-complete-data-exports",
        "fonts": "ode-complete-data-fonts",
    }, outputs
    assert emulator.client("s3").get_bucket_versioning(Bucket="ode-complete-data-fonts").get("Status") != "Enabled"
    assert outputs["exposure"] == "verified", outputs
    assert outputs["master_secret_arn"] and outputs["redis_auth_secret_arn"], outputs


def check_registry(emulator: EmulatorClient, outputs: dict[str, Any]) -> None:
    ecr = emulator.client("ecr")
    names = sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])
    assert names == ["ode-complete-api", "ode-complete-migrations", "ode-complete-viewer", "ode-complete-worker"], names
    rules = json.loads(ecr.get_lifecycle_policy(repositoryName="ode-complete-migrations")["lifecyclePolicyText"])["rules"]
    counts = sorted(r["selection"]["countNumber"] for r in rules)
    assert counts == [1, 5], rules
    assert outputs["compliance"] == "verified", outputs


def check_state_backend(emulator: EmulatorClient, outputs: dict[str, Any]) -> None:
    assert outputs["bucket"] == "ode-complete-terraform-state", outputs
    assert outputs["lock_table"] == "ode-complete-terraform-state-locks", outputs
    assert '"ode/staging/platform.tfstate"' in outputs["backend_config"], outputs
    tags = emulator.client("s3").get_bucket_tagging(Bucket=outputs["bucket"])["TagSet"]
    assert {"Key": "Team", "Value": "platform"} in tags, tags


CHECKS: dict[str, Callable[[EmulatorClient, dict[str, Any]], None]] = {
    "network": check_network,
    "eks-stack": check_eks,
    "data-tier": check_data_tier,
    "registry": check_registry,
    "state-backend": check_state_backend,
}


def run_complete(core: Core, emulator: EmulatorClient, example: Complete) -> None:
    """Apply, check what the emulator holds, second plan, then the moved state's plan."""
    workdir = example.workdir
    core.init(workdir)
    core.apply(workdir)
    example.check(emulator, core.output_json(workdir))
    second = core.plan(workdir)
    assert second.returncode == 0, f"{example.module}: expected an empty second plan\n{second.describe()}"

    # The state as the modules wrote it before the create toggle: the resource at .this.
    addresses = core.run(workdir, "state", "list").stdout.split()
    assert addresses and all(a.endswith("[0]") for a in addresses), addresses
    for address in addresses:
        core.run(workdir, "state", "mv", address, address.removesuffix("[0]"))
    moved, plan = plan_json(core, workdir)
    assert not changed(plan), f"{example.module}: the moved state plans changes: {changed(plan)}\n{moved.describe()}"
    moves = {c["previous_address"]: c["address"] for c in plan["resource_changes"] if c.get("previous_address")}
    assert moves == {a.removesuffix("[0]"): a for a in addresses}, (moves, moved.describe())
    core.apply(workdir, PLAN_FILE)
    after = core.plan(workdir)
    assert after.returncode == 0, f"{example.module}: expected an empty plan after the move\n{after.describe()}"


def test_module_complete_examples(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    examples = []
    for module, check in CHECKS.items():
        path = Path("modules") / module / "examples" / "complete"
        workdir = Example(id=str(path), path=path).prepare(tmp_path / module, emulator.url)
        examples.append(Complete(module, workdir, check))

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(examples)) as pool:
        futures = {e.module: pool.submit(run_complete, core, emulator, e) for e in examples}
        errors = {module: f.exception() for module, f in futures.items() if f.exception() is not None}
    applied = time.monotonic() - start
    try:
        assert not errors, "\n\n".join(f"{module}: {error}" for module, error in errors.items())
    finally:
        with ThreadPoolExecutor(max_workers=len(examples)) as pool:
            destroyed = list(pool.map(lambda e: core.destroy(e.workdir, check=False), examples))
    failed = [r.describe() for r in destroyed if r.returncode != 0]
    assert not failed, "\n\n".join(failed)
    print(f"{core.name}: five complete examples applied and checked in {applied:.0f} s")

    assert emulator.client("eks").list_clusters()["clusters"] == []
    assert emulator.client("ecr").describe_repositories()["repositories"] == []
    assert not data_leftovers(emulator, "ode-complete-data"), data_leftovers(emulator, "ode-complete-data")
    assert_emulator_empty(emulator)
