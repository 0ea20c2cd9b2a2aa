"""Import is a round trip, for every composite and every module, run through each core.

Each scenario applies a configuration, forgets the composite (``state rm``), imports it
by its documented id and plans: the plan must be empty and replace nothing. Every
composite is checked with

* ``defaults``: the least configuration, relying on every default; the same import is
  then planned with every setting spelled out at its default value (both describe the
  same objects, so one apply serves both);
* ``custom``: non-default values everywhere AWS lets them be set, including what AWS
  cannot report (``force_destroy``, ``final_snapshot``, node group ownership by the
  cluster autoscaler, a pinned add-on), which the composite records itself;

and every module through its ``examples/basic`` configuration (``test_module_import``).
A scenario ends with a destroy and a check that nothing is left.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from tests.e2e import test_data_tier as data
from tests.e2e import test_eks_stack as eks
from tests.e2e.test_network import assert_no_stack_objects, only_default_vpc
from tests.support.core import Core, Result, write_config
from tests.support.emulator import EmulatorClient
from tests.support.examples import collect
from tests.support.helpers import assert_emulator_empty, provider_block
from tests.support.secrets import secret_scan  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e

ADMIN = eks.ADMIN
NET = """
resource "ode_network" "net" {
  name               = "ode-e2e-import-net"
  availability_zones = ["us-east-1a", "us-east-1b"]
  nat_gateways       = "single"
}
"""


def assert_roundtrip(plan: Result, what: str) -> None:
    """An empty plan (and, said separately for a clearer failure, no replacement)."""
    assert "must be replaced" not in plan.stdout, f"{what}: the plan replaces something\n" + plan.describe()
    assert plan.returncode == 0, f"{what}: expected an empty plan after the import\n" + plan.describe()


def import_and_plan(core: Core, workdir: Path, address: str, import_id: str, configs: dict[str, str]) -> None:
    """Forget ``address``, import it by ``import_id``, then plan each configuration."""
    core.run(workdir, "state", "rm", address)
    core.import_(workdir, address, import_id)
    for what, config in configs.items():
        write_config(workdir, config)
        assert_roundtrip(core.plan(workdir), what)


@dataclass
class Case:
    """One composite: the configurations of one set of objects, keyed by form."""

    address: str
    import_id: Callable[[EmulatorClient, dict], str]
    configs: Callable[[EmulatorClient, dict], dict[str, str]]
    # Applied before destroy when the configurations keep destroy from deleting.
    teardown: Callable[[EmulatorClient, dict], str] | None = None
    # What must be gone after destroy.
    gone: Callable[[EmulatorClient], None] = assert_emulator_empty
    # Run after the apply and before the import (e.g. what an autoscaler does).
    outside: Callable[[EmulatorClient, Core, Path], None] | None = None
    setup: Callable[[EmulatorClient], dict] = field(default=lambda emulator: {})
    # Applied before the first configuration (what only an update can make).
    earlier: Callable[[EmulatorClient, dict], str] | None = None


def run_case(core: Core, emulator: EmulatorClient, workdir: Path, case: Case) -> None:
    ctx = case.setup(emulator)
    configs = case.configs(emulator, ctx)
    first = next(iter(configs.values()))
    for config in ([case.earlier(emulator, ctx)] if case.earlier else []) + [first]:
        write_config(workdir, config)
        core.init(workdir)
        core.apply(workdir)
    values = core.state_resource(workdir, case.address)
    if case.outside:
        case.outside(emulator, core, workdir)
    import_and_plan(core, workdir, case.address, case.import_id(emulator, values), configs)
    if case.teardown:
        write_config(workdir, case.teardown(emulator, ctx))
        core.apply(workdir)
    core.destroy(workdir)
    case.gone(emulator)


def kms_key(emulator: EmulatorClient) -> dict:
    return {"key": emulator.client("kms").create_key(Description="import round trip")["KeyMetadata"]["Arn"]}


# ---------------------------------------------------------------- state backend

BACKEND = "ode-e2e-import-state"


def backend(body: str) -> Callable[[EmulatorClient, dict], str]:
    return lambda emulator, ctx: provider_block(emulator) + f"""
resource "ode_state_backend" "this" {{
  bucket     = "{BACKEND}"
  lock_table = "{BACKEND}-locks"
{body.format(**ctx)}
}}
"""


BACKEND_SPELLED = """  state_key     = "terraform.tfstate"
  kms_key_arn   = null
  force_destroy = false
  tags          = null"""
BACKEND_CUSTOM = """  state_key     = "ode/production/terraform.tfstate"
  kms_key_arn   = "{key}"
  force_destroy = true
  tags          = {{ Team = "platform" }}"""


# ---------------------------------------------------------------- network

NETWORK = "ode-e2e-import"


def network(body: str) -> Callable[[EmulatorClient, dict], str]:
    return lambda emulator, ctx: provider_block(emulator) + f"""
resource "ode_network" "this" {{
  name = "{NETWORK}"
{body}
}}
"""


NETWORK_SPELLED = """  cidr_block                    = "10.0.0.0/16"
  availability_zones            = ["us-east-1a", "us-east-1b", "us-east-1c"]
  nat_gateways                  = "one_per_az"
  enable_dns_support            = true
  enable_dns_hostnames          = true
  manage_default_security_group = true
  tags                          = null
  public {
    enabled       = true
    prefix_length = 21
  }
  private {
    enabled       = true
    prefix_length = 20
  }
  isolated {
    enabled       = true
    prefix_length = 21
  }"""
NETWORK_CUSTOM = """  cidr_block           = "10.20.0.0/16"
  availability_zones   = ["us-east-1a", "us-east-1b"]
  nat_gateways         = "single"
  enable_dns_hostnames = false
  tags                 = { Team = "network" }
  public {
    prefix_length = 24
    tags          = { Exposure = "internet" }
  }
  private {
    cidrs = { "us-east-1a" = "10.20.240.0/20" }
  }
  isolated {
    enabled = false
  }"""


def network_gone(emulator: EmulatorClient) -> None:
    assert_no_stack_objects(emulator, NETWORK)
    only_default_vpc(emulator)


# ---------------------------------------------------------------- registry

REGISTRY = "ode-e2e-import"


def registry(body: str) -> Callable[[EmulatorClient, dict], str]:
    return lambda emulator, ctx: provider_block(emulator) + f"""
resource "ode_registry" "this" {{
  name = "{REGISTRY}"
{body.format(**ctx)}
}}
"""


REGISTRY_SPELLED = """  keep_tagged_images   = 30
  untagged_expiry_days = 7
  immutable_tags       = true
  kms_key_arn          = null
  pull_principal_arns  = null
  force_destroy        = false
  tags                 = null
  repositories = {{
    api    = {{}}
    worker = {{ keep_tagged_images = null }}
    viewer = {{ untagged_expiry_days = null }}
  }}"""
REGISTRY_CUSTOM = """  keep_tagged_images   = 12
  untagged_expiry_days = 3
  immutable_tags       = false
  kms_key_arn          = "{key}"
  pull_principal_arns  = ["arn:aws:iam::123456789012:role/nodes", "arn:aws:iam::123456789012:role/ci"]
  force_destroy        = true
  tags                 = {{ Team = "build" }}
  repositories = {{
    renderer = {{ keep_tagged_images = 50 }}
    fonts    = {{ untagged_expiry_days = 1 }}
  }}"""

# The registry's own values are the defaults while most repositories override one:
# the registry's values come from what it recorded, not from the repositories.
REGISTRY_OVERRIDES = """  repositories = {{
    api    = {{ keep_tagged_images = 50 }}
    worker = {{ keep_tagged_images = 50 }}
    viewer = {{}}
  }}"""


def registry_gone(emulator: EmulatorClient) -> None:
    left = emulator.client("ecr").describe_repositories()["repositories"]
    assert not left, [r["repositoryName"] for r in left]


# ---------------------------------------------------------------- EKS stack

def stack(body: str) -> Callable[[EmulatorClient, dict], str]:
    return lambda emulator, ctx: provider_block(emulator) + NET + f"""
resource "ode_eks_stack" "this" {{
  name       = "{eks.CLUSTER}"
  subnet_ids = ode_network.net.private_subnet_ids
{body}
}}
"""


STACK_DEFAULTS = """  node_groups = {
    system = { min_size = 2, max_size = 4 }
  }"""
STACK_SPELLED = f"""  kubernetes_version      = "1.35"
  endpoint_private_access = true
  endpoint_public_access  = true
  public_access_cidrs     = ["0.0.0.0/0"]
  enabled_log_types       = ["api", "controllerManager", "scheduler"]
  log_retention_days      = 90
  kms_key_arn             = null
  authentication_mode     = "API_AND_CONFIG_MAP"
  tags                    = null
  node_groups = {{
    system = {{
      instance_types     = ["t3.medium"]
      capacity_type      = "ON_DEMAND"
      min_size           = 2
      max_size           = 4
      desired_size       = 2
      disk_size          = 20
      ami_type           = "AL2023_x86_64_STANDARD"
      labels             = null
      taints             = null
      max_unavailable    = 1
      scaling_owner      = "terraform"
      kubernetes_version = null
    }}
  }}
  addons           = null
  access_entries   = null
  service_accounts = null"""
STACK_CUSTOM = f"""  kubernetes_version      = "1.33"
  endpoint_private_access = true
  endpoint_public_access  = true
  public_access_cidrs     = ["203.0.113.0/24"]
  enabled_log_types       = ["api", "audit"]
  log_retention_days      = 30
  authentication_mode     = "API"
  tags                    = {{ Team = "platform" }}
  node_groups = {{
    system = {{
      instance_types     = ["t3.large"]
      capacity_type      = "SPOT"
      min_size           = 1
      max_size           = 3
      desired_size       = 2
      disk_size          = 50
      ami_type           = "BOTTLEROCKET_x86_64"
      labels             = {{ role = "system" }}
      taints             = [{{ key = "dedicated", value = "system", effect = "NO_SCHEDULE" }}]
      max_unavailable    = 2
      kubernetes_version = "1.32"
    }}
    worker = {{
      min_size      = 3
      max_size      = 10
      desired_size  = 3
      scaling_owner = "autoscaler"
    }}
  }}
  addons = {{
    "vpc-cni" = {{
      version              = "v1.18.3-eksbuild.3"
      configuration_values = jsonencode({{ env = {{ ENABLE_PREFIX_DELEGATION = "true" }} }})
    }}
    coredns              = {{}}
    "aws-ebs-csi-driver" = {{ service_account = "kube-system/ebs-csi-controller-sa" }}
  }}
  access_entries = {{
    "{ADMIN}" = {{
      policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
      namespaces = ["ode"]
    }}
  }}
  service_accounts = {{
    "ode/api" = {{
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
      policy_json = jsonencode({{
        Version   = "2012-10-17"
        Statement = [{{ Effect = "Allow", Action = ["sqs:ReceiveMessage"], Resource = "*" }}]
      }})
    }}
    "kube-system/ebs-csi-controller-sa" = {{
      policy_arns = ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    }}
  }}"""

STACK_CUSTOM_BEFORE_UPGRADE = STACK_CUSTOM.replace(
    'kubernetes_version      = "1.33"', 'kubernetes_version      = "1.32"'
).replace('      kubernetes_version = "1.32"\n', "")


def autoscaler_scales_workers(emulator: EmulatorClient, core: Core, workdir: Path) -> None:
    """The cluster autoscaler moves the workers from 3 to 4 nodes."""
    client = emulator.client("eks")
    (name,) = [n for n in client.list_nodegroups(clusterName=eks.CLUSTER)["nodegroups"] if n.startswith("worker")]
    client.update_nodegroup_config(
        clusterName=eks.CLUSTER, nodegroupName=name, scalingConfig={"minSize": 3, "maxSize": 10, "desiredSize": 4}
    )


def stack_gone(emulator: EmulatorClient) -> None:
    eks.assert_nothing_left(emulator)
    only_default_vpc(emulator)


# ---------------------------------------------------------------- data tier

def tier(body: str) -> Callable[[EmulatorClient, dict], str]:
    return lambda emulator, ctx: provider_block(emulator) + NET + f"""
resource "ode_data_tier" "this" {{
  name       = "{data.TIER}"
  vpc_id     = ode_network.net.vpc_id
  subnet_ids = ode_network.net.isolated_subnet_ids
{body}
}}
"""


TIER_SPELLED = """  allowed_security_group_ids = null
  allowed_cidr_blocks        = null
  kms_key_arn                = null
  force_destroy              = false
  tags                       = null
  postgres {
    engine_version             = "15.15" # what the default "15" made: the newest 15.x
    instance_class             = "db.t3.medium"
    allocated_storage          = 100
    max_allocated_storage      = null
    storage_type               = "gp3"
    multi_az                   = true
    database_name              = "odedb"
    username                   = "odeadmin"
    backup_retention_days      = 7
    backup_window              = "03:00-04:00"
    maintenance_window         = "sun:04:30-sun:05:30"
    deletion_protection        = true
    final_snapshot             = true
    parameters                 = null
    performance_insights       = false
    auto_minor_version_upgrade = true
    apply_immediately          = false
    restore_from_snapshot      = null
  }
  redis {
    engine                  = "redis"
    engine_version          = "7.1" # what the default "7" made
    node_type               = "cache.t3.medium"
    num_cache_clusters      = 2
    automatic_failover      = true
    multi_az                = true
    at_rest_encryption      = true
    transit_encryption      = true
    parameters              = null
    snapshot_retention_days = 7
    snapshot_window         = "02:00-03:00"
    maintenance_window      = "sun:05:30-sun:06:30"
  }
  buckets = {
    documents = { versioning = true, encryption = "aws:kms" }
    exports   = {}
    fonts     = { transition_ia_days = null }
  }"""
TIER_CUSTOM = """  allowed_cidr_blocks = ["10.0.0.0/16"]
  force_destroy       = true
  tags                = { Team = "data" }
  postgres {
    engine_version             = "15.14"
    instance_class             = "db.t3.large"
    allocated_storage          = 50
    max_allocated_storage      = 200
    storage_type               = "gp2"
    multi_az                   = false
    database_name              = "documents"
    username                   = "docadmin"
    backup_retention_days      = 3
    backup_window              = "01:00-02:00"
    maintenance_window         = "mon:03:00-mon:04:00"
    deletion_protection        = false
    final_snapshot             = false
    parameters                 = { "rds.force_ssl" = "1" }
    performance_insights       = true
    auto_minor_version_upgrade = false
    apply_immediately          = true
  }
  redis {
    engine                  = "valkey"
    engine_version          = "8.0"
    node_type               = "cache.t3.small"
    num_cache_clusters      = 3
    parameters              = { "maxmemory-policy" = "allkeys-lru" }
    snapshot_retention_days = 1
    snapshot_window         = "05:00-06:00"
    maintenance_window      = "tue:07:00-tue:08:00"
  }
  buckets = {
    uploads = { versioning = false, encryption = "AES256", transition_ia_days = 30 }
    exports = { noncurrent_expiration_days = 14 }
  }"""
TIER_TEARDOWN = """  postgres {
    deletion_protection = false
    final_snapshot      = false
  }
  force_destroy = true"""


def tier_gone(emulator: EmulatorClient) -> None:
    data.assert_nothing_left(emulator)
    only_default_vpc(emulator)


CASES = {
    "state_backend": Case(
        address="ode_state_backend.this",
        import_id=lambda emulator, v: v["bucket"],
        configs=lambda emulator, ctx: {"defaults": backend("")(emulator, ctx), "spelled out": backend(BACKEND_SPELLED)(emulator, ctx)},
    ),
    "network": Case(
        address="ode_network.this",
        import_id=lambda emulator, v: v["vpc_id"],
        configs=lambda emulator, ctx: {"defaults": network("")(emulator, ctx), "spelled out": network(NETWORK_SPELLED)(emulator, ctx)},
        gone=network_gone,
    ),
    "registry": Case(
        address="ode_registry.this",
        import_id=lambda emulator, v: v["name"],
        configs=lambda emulator, ctx: {"defaults": registry("")(emulator, ctx), "spelled out": registry(REGISTRY_SPELLED)(emulator, ctx)},
        gone=registry_gone,
    ),
    "eks_stack": Case(
        address="ode_eks_stack.this",
        import_id=lambda emulator, v: v["name"],
        configs=lambda emulator, ctx: {"defaults": stack(STACK_DEFAULTS)(emulator, ctx), "spelled out": stack(STACK_SPELLED)(emulator, ctx)},
        gone=stack_gone,
    ),
    "data_tier": Case(
        address="ode_data_tier.this",
        import_id=lambda emulator, v: v["name"],
        configs=lambda emulator, ctx: {"defaults": tier("")(emulator, ctx), "spelled out": tier(TIER_SPELLED)(emulator, ctx)},
        teardown=lambda emulator, ctx: tier(TIER_TEARDOWN)(emulator, ctx),
        gone=tier_gone,
    ),
}

CUSTOM = {
    "state_backend": Case(
        address="ode_state_backend.this",
        import_id=lambda emulator, v: v["bucket"],
        configs=lambda emulator, ctx: {"custom": backend(BACKEND_CUSTOM)(emulator, ctx)},
        setup=kms_key,
    ),
    "network": Case(
        address="ode_network.this",
        import_id=lambda emulator, v: v["vpc_id"],
        configs=lambda emulator, ctx: {"custom": network(NETWORK_CUSTOM)(emulator, ctx)},
        gone=network_gone,
    ),
    "registry": Case(
        address="ode_registry.this",
        import_id=lambda emulator, v: v["name"],
        configs=lambda emulator, ctx: {"custom": registry(REGISTRY_CUSTOM)(emulator, ctx)},
        setup=kms_key,
        gone=registry_gone,
    ),
    "registry_overrides": Case(
        address="ode_registry.this",
        import_id=lambda emulator, v: v["name"],
        configs=lambda emulator, ctx: {"custom": registry(REGISTRY_OVERRIDES)(emulator, ctx)},
        gone=registry_gone,
    ),
    "eks_stack": Case(
        address="ode_eks_stack.this",
        import_id=lambda emulator, v: v["name"],
        configs=lambda emulator, ctx: {"custom": stack(STACK_CUSTOM)(emulator, ctx)},
        # EKS makes node groups at the cluster's version: the pinned group is made
        # at 1.32 and stays there while the cluster is upgraded to 1.33.
        earlier=lambda emulator, ctx: stack(STACK_CUSTOM_BEFORE_UPGRADE)(emulator, ctx),
        outside=autoscaler_scales_workers,
        gone=stack_gone,
    ),
    "data_tier": Case(
        address="ode_data_tier.this",
        import_id=lambda emulator, v: v["name"],
        configs=lambda emulator, ctx: {"custom": tier(TIER_CUSTOM)(emulator, ctx)},
        gone=tier_gone,
    ),
}


# The composites (and modules) that hold secrets (the RDS-managed master password, the
# Redis AUTH token the tier generates): run under the secrets scan (tests/support/secrets.py).
SECRETS = {"data_tier", "data-tier", "platform"}


@pytest.mark.parametrize("composite", list(CASES))
def test_import_roundtrip_defaults(
    core: Core, emulator: EmulatorClient, workdir: Path, composite: str, request: pytest.FixtureRequest
) -> None:
    """Made with the defaults; imported; planned with the defaults, then with every
    setting spelled out at its default value: both plans are empty."""
    if composite in SECRETS:
        request.getfixturevalue("secret_scan")
    run_case(core, emulator, workdir, CASES[composite])


@pytest.mark.parametrize("composite", list(CUSTOM))
def test_import_roundtrip_custom(
    core: Core, emulator: EmulatorClient, workdir: Path, composite: str, request: pytest.FixtureRequest
) -> None:
    """Made with non-default values (and, for the EKS stack, workers the autoscaler
    has moved); imported; the plan is empty."""
    if composite in SECRETS:
        request.getfixturevalue("secret_scan")
    run_case(core, emulator, workdir, CUSTOM[composite])


# ---------------------------------------------------------------- modules

# Each module's basic example and the composite types it holds (every composite in
# the example is imported, those of the modules it stands on too).
MODULE_EXAMPLES = {
    "state-backend": {"ode_state_backend"},
    "network": {"ode_network"},
    "registry": {"ode_registry"},
    "eks-stack": {"ode_eks_stack", "ode_network"},
    "data-tier": {"ode_data_tier", "ode_network"},
    "platform": {"ode_network", "ode_eks_stack", "ode_data_tier", "ode_registry"},
}
IMPORT_ID = {
    "ode_state_backend": "bucket",
    "ode_network": "vpc_id",
    "ode_registry": "name",
    "ode_eks_stack": "name",
    "ode_data_tier": "name",
}


def composites(core: Core, workdir: Path) -> dict[str, dict]:
    """Every ode_* resource in the state, by address, with its values."""
    found: dict[str, dict] = {}

    def walk(module: dict) -> None:
        for r in module.get("resources", []):
            if r["type"] in IMPORT_ID and r["mode"] == "managed":
                found[r["address"]] = r
        for child in module.get("child_modules", []):
            walk(child)

    walk(core.show_json(workdir).get("values", {}).get("root_module", {}))
    return found


@pytest.mark.parametrize("module", list(MODULE_EXAMPLES))
def test_module_import_roundtrip(
    core: Core, emulator: EmulatorClient, tmp_path: Path, module: str, request: pytest.FixtureRequest
) -> None:
    """The module's basic example applied; every composite in it forgotten and
    imported; the plan is empty."""
    if module in SECRETS:
        request.getfixturevalue("secret_scan")
    (example,) = [e for e in collect() if e.snippet is None and str(e.path) == f"modules/{module}/examples/basic"]
    workdir = example.prepare(tmp_path, emulator.url)
    core.init(workdir)
    core.apply(workdir)
    found = composites(core, workdir)
    assert MODULE_EXAMPLES[module] <= {r["type"] for r in found.values()}, sorted(found)
    for address in sorted(found):
        resource = found[address]
        core.run(workdir, "state", "rm", address)
        core.import_(workdir, address, resource["values"][IMPORT_ID[resource["type"]]])
    assert_roundtrip(core.plan(workdir), f"modules/{module}")
    # The examples keep the seed's deletion protection: lift it outside Terraform
    # for the teardown (the refreshed state lets destroy go on).
    rds = emulator.client("rds")
    for db in rds.describe_db_instances()["DBInstances"]:
        rds.modify_db_instance(
            DBInstanceIdentifier=db["DBInstanceIdentifier"], DeletionProtection=False, ApplyImmediately=True
        )
    core.destroy(workdir)
    left = [b["Name"] for b in emulator.client("s3").list_buckets()["Buckets"]]
    left += [c for c in emulator.client("eks").list_clusters()["clusters"]]
    left += [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]]
    left += [r["repositoryName"] for r in emulator.client("ecr").describe_repositories()["repositories"]]
    assert not left, "left behind: " + json.dumps(left)
    only_default_vpc(emulator)
