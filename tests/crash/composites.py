"""The five composites the crash loop kills: for each, what it stands on (made with
boto3 before the first apply, so that only the composite's own calls are recorded and
killed), its create configuration and an update that changes as many kinds of its
children as it can in one apply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block

ACCOUNT_ROLE = "arn:aws:iam::123456789012:role"
FLOW_LOG_BUCKET = "crash-flow-logs"

#: Kill points (distinct mutating calls of a create, update and destroy) each composite
#: is killed at, at least.
MIN_KILL_POINTS = 20

#: What a composite stands on: names -> ids the configurations refer to.
Setup = dict[str, str]


@dataclass(frozen=True)
class Composite:
    id: str  # the resource type
    address: str
    prepare: Callable[[EmulatorClient], Setup]
    body: Callable[[Setup, str], str]  # (setup, "create" | "update") -> the resource's HCL
    # Why its create, update and destroy make fewer than MIN_KILL_POINTS kinds of
    # mutating call ("" when they make at least that many).
    fewer_kill_points: str = ""
    # Kinds of object (tests/crash/inventory.py) a destroy keeps by design.
    kept_after_destroy: tuple[str, ...] = ()

    def config(self, emulator: EmulatorClient, setup: Setup, step: str) -> str:
        return provider_block(emulator) + self.body(setup, step)


def _nothing(emulator: EmulatorClient) -> Setup:
    return {}


def _subnets(emulator: EmulatorClient) -> Setup:
    """A VPC with a subnet in each of two zones (the EKS stack's and the data tier's)."""
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(["us-east-1a", "us-east-1b"])
    ]
    return {"vpc": vpc, "subnets": json.dumps(subnets)}


def _flow_log_bucket(emulator: EmulatorClient) -> Setup:
    emulator.client("s3").create_bucket(Bucket=FLOW_LOG_BUCKET)
    return {}


def _state_key(emulator: EmulatorClient) -> Setup:
    return {"key": emulator.client("kms").create_key(Description="crash loop: the backend's key")["KeyMetadata"]["Arn"]}


# -- ode_network -------------------------------------------------------------------------


def _network(setup: Setup, step: str) -> str:
    if step == "create":
        body = """  tags = { Environment = "crash", Team = "platform" }
"""
    else:
        # A zone fewer, one NAT for all, another gateway endpoint, an interface endpoint
        # (its security group), flow logs, DNS hostnames off, other tags.
        body = f"""  az_count             = 2
  nat_gateways         = "single"
  gateway_endpoints    = ["s3", "dynamodb"]
  interface_endpoints  = ["sts"]
  enable_dns_hostnames = false
  tags                 = {{ Environment = "crash-updated", CostCenter = "42" }}
  private {{
    tags = {{ tier = "app" }}
  }}
  flow_logs {{
    destination_arn = "arn:aws:s3:::{FLOW_LOG_BUCKET}"
  }}
"""
    return f"""
resource "ode_network" "this" {{
  name = "crash-net"
{body}}}
"""


# -- ode_eks_stack -----------------------------------------------------------------------


def _eks(setup: Setup, step: str) -> str:
    if step == "create":
        version, worker, system_size, tags = "1.33", "t3.large", 2, '{ Environment = "crash" }'
        addons = ""
        access = f'    "{ACCOUNT_ROLE}/platform-admin" = {{}}'
        accounts = """    "ode/api" = {
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    }"""
        logs = ""
    else:
        # An upgrade (control plane, node groups, add-ons), a node group replaced (new
        # instance type) and one resized, an add-on with an IRSA role and the Pod
        # Identity agent, an access entry swapped, an IRSA role swapped for a Pod
        # Identity one, other log types and tags.
        version, worker, system_size, tags = "1.34", "m5.large", 3, '{ Environment = "crash-updated" }'
        addons = """    "aws-ebs-csi-driver" = { service_account = "kube-system/ebs-csi-controller-sa" }
    "eks-pod-identity-agent" = {}"""
        access = f'    "{ACCOUNT_ROLE}/auditor" = {{}}'
        accounts = """    "kube-system/ebs-csi-controller-sa" = {
      policy_arns = ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    }
    "ode/worker" = {
      policy_arns = ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
      identity    = "pod_identity"
    }"""
        logs = '  enabled_log_types  = ["api", "audit"]\n  log_retention_days = 30\n'
    return f"""
resource "ode_eks_stack" "this" {{
  name               = "crash-cluster"
  kubernetes_version = "{version}"
  subnet_ids         = {setup["subnets"]}
  tags               = {tags}
{logs}
  node_groups = {{
    system = {{
      instance_types = ["t3.medium"]
      min_size       = 2
      max_size       = 4
      desired_size   = {system_size}
    }}
    worker = {{
      instance_types = ["{worker}"]
      min_size       = 1
      max_size       = 3
      desired_size   = 1
    }}
  }}

  addons = {{
    "vpc-cni"    = {{}}
    "kube-proxy" = {{}}
    "coredns"    = {{}}
{addons}
  }}

  access_entries = {{
{access}
  }}

  service_accounts = {{
{accounts}
  }}
}}
"""


# -- ode_data_tier -----------------------------------------------------------------------


def _data(setup: Setup, step: str) -> str:
    if step == "create":
        postgres = "deletion_protection = false"
        redis = ""
        cidrs, tags, buckets = '["10.42.0.0/16"]', '{ Environment = "crash" }', ""
    else:
        # Both engines modified now, parameters, the allowed sources, a bucket added and
        # one dropped, other tags.
        postgres = """deletion_protection   = false
    apply_immediately     = true
    instance_class        = "db.t3.large"
    backup_retention_days = 14
    parameters            = { "log_min_duration_statement" = "500" }"""
        redis = """node_type          = "cache.t3.large"
    engine_version     = "7.1"
    maintenance_window = "tue:03:00-tue:04:00"
    parameters         = { "maxmemory-policy" = "allkeys-lru" }"""
        cidrs, tags = '["10.42.0.0/24", "10.42.1.0/24"]', '{ Environment = "crash-updated", Team = "data" }'
        buckets = """  buckets = {
    documents = {}
    exports   = {}
    archive   = { transition_ia_days = 30 }
  }
"""
    return f"""
resource "ode_data_tier" "this" {{
  name                = "crash-data"
  vpc_id              = "{setup["vpc"]}"
  subnet_ids          = {setup["subnets"]}
  allowed_cidr_blocks = {cidrs}
  tags                = {tags}
{buckets}
  postgres {{
    {postgres}
  }}

  redis {{
    {redis}
  }}
}}
"""


# -- ode_registry ------------------------------------------------------------------------


def _registry(setup: Setup, step: str) -> str:
    if step == "create":
        body = f"""  pull_principal_arns = ["{ACCOUNT_ROLE}/crash-node"]
  tags                = {{ Environment = "crash", Team = "platform" }}
"""
    else:
        # A repository added and one dropped, another lifecycle, mutable tags, no pull
        # principal (no repository policy), a tag changed and one removed.
        body = f"""  pull_principal_arns = []
  tags                = {{ Environment = "crash-updated" }}
  immutable_tags      = false
  keep_tagged_images  = 10
  repositories = {{
    api    = {{}}
    worker = {{ untagged_expiry_days = 3 }}
    jobs   = {{}}
  }}
"""
    return f"""
resource "ode_registry" "this" {{
  name = "crash-reg"
{body}}}
"""


# -- ode_state_backend -------------------------------------------------------------------


def _state_backend(setup: Setup, step: str) -> str:
    if step == "create":
        body = '  tags = { Environment = "crash", Team = "platform" }\n'
    else:
        # SSE-KMS instead of SSE-S3, force_destroy, another state key, a tag changed and
        # one removed.
        body = f"""  tags          = {{ Environment = "crash-updated" }}
  kms_key_arn   = "{setup["key"]}"
  force_destroy = true
  state_key     = "crash/other.tfstate"
"""
    return f"""
resource "ode_state_backend" "this" {{
  bucket     = "crash-terraform-state"
  lock_table = "crash-terraform-locks"
{body}}}
"""


COMPOSITES = {
    c.id: c
    for c in [
        Composite("ode_network", "ode_network.this", _flow_log_bucket, _network),
        Composite("ode_eks_stack", "ode_eks_stack.this", _subnets, _eks),
        # The final snapshot, and the key it is encrypted with, outlive the tier.
        Composite("ode_data_tier", "ode_data_tier.this", _subnets, _data, kept_after_destroy=("rds-snapshot", "kms-key", "kms-alias")),
        Composite(
            "ode_registry",
            "ode_registry.this",
            _nothing,
            _registry,
            "ECR repositories with a lifecycle, a pull policy, tag mutability and tags: every "
            "kind of call the registry makes is in the update, which changes all of them",
        ),
        Composite(
            "ode_state_backend",
            "ode_state_backend.this",
            _state_key,
            _state_backend,
            "one bucket and one table: the update changes every setting that has a call of "
            "its own (encryption, tags); the rest is written once at create",
        ),
    ]
}
