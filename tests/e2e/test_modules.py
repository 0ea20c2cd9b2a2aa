"""End-to-end scenarios for the module library (modules/*, examples/local), run through
each core against the emulator.

* ``test_modules_remote_state``: examples/local as a user runs it: step 1 (the
  state-backend module, local state), step 2 (the network module) with its state in
  step 1's bucket and locked by its table, then both torn down as ``make demo-destroy``
  does.
* ``test_modules_lock_contention``: a second apply of step 2 while the first holds the
  lock fails with the core's lock error; the state stays valid, no lock is left.
* ``test_modules_tfvars``: a consumer root module calling modules/network with its own
  terraform.tfvars.
* ``test_modules_bad_variables``: wrong types and values for module variables fail
  (validate, else plan) with the module's own validation messages or the core's type
  error, attached to the argument (or the variable), before anything is created.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions

from tests.modules.layout import REPO_ROOT, copy_hcl_tree
from tests.support.core import Core, Result, write_config
from tests.support.diagnostics import (
    Diagnosed,
    assert_error_at,
    attribute_line,
    block_line,
    error_diagnostics,
    normalise,
)
from tests.support.emulator import EmulatorClient
from tests.support.helpers import assert_emulator_empty

pytestmark = pytest.mark.e2e

# What examples/local/*/terraform.tfvars.example and backend*.hcl.example set.
BUCKET = "ode-terraform-state"
TABLE = "ode-terraform-locks"
STATE_KEY = "ode/production/network.tfstate"
LOCK_ID = f"{BUCKET}/{STATE_KEY}"
# What a core's S3 backend reports when DynamoDB refuses its conditional PutItem.
LOCK_ERROR = "Error acquiring the state lock"


def assert_no_changes(core: Core, workdir: Path, env: dict[str, str] | None = None) -> Result:
    plan = core.plan(workdir, env=env)
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()
    return plan


def lock_items(emulator: EmulatorClient) -> list[str]:
    """The LockID of every item in the lock table that is a lock.

    The S3 backend also keeps ``<bucket>/<key>-md5`` (the state's digest) in the table:
    that is not a lock and may stay.
    """
    items = emulator.client("dynamodb").scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return [item["LockID"]["S"] for item in items if not item["LockID"]["S"].endswith("-md5")]


def state_versions(emulator: EmulatorClient) -> list[dict[str, Any]]:
    listed = emulator.client("s3").list_object_versions(Bucket=BUCKET, Prefix=STATE_KEY)
    return [v for v in listed.get("Versions", []) if v["Key"] == STATE_KEY]


def remote_state(emulator: EmulatorClient) -> dict[str, Any]:
    body = emulator.client("s3").get_object(Bucket=BUCKET, Key=STATE_KEY)["Body"].read()
    return json.loads(body)


@dataclass
class LocalFlow:
    """A copy of examples/local (and modules/) in a scratch directory, run by one core."""

    core: Core
    emulator: EmulatorClient
    root: Path

    @classmethod
    def create(cls, core: Core, emulator: EmulatorClient, tmp_path: Path) -> "LocalFlow":
        root = copy_hcl_tree(tmp_path / "repo")
        flow = cls(core, emulator, root)
        for step in (flow.step1, flow.step2):
            shutil.copy(step / "terraform.tfvars.example", step / "terraform.tfvars")
        return flow

    @property
    def step1(self) -> Path:
        return self.root / "examples/local/1-bootstrap"

    @property
    def step2(self) -> Path:
        return self.root / "examples/local/2-network"

    @property
    def env(self) -> dict[str, str]:
        """The provider blocks of both steps point at the emulator through this variable."""
        return {"TF_VAR_endpoint_url": self.emulator.url}

    def backend_file(self, step2: Path) -> Path:
        """backend.hcl for this core, from the example the README tells it to copy."""
        example = "backend.hcl.example" if self.core.name == "tofu" else "backend-tf15.hcl.example"
        text = (step2 / example).read_text()
        assert "http://127.0.0.1:PORT" in text, f"{example} has no PORT placeholder"
        target = step2 / "backend.hcl"
        target.write_text(text.replace("http://127.0.0.1:PORT", self.emulator.url))
        return target

    def apply_step1(self, *args: str) -> Result:
        return self.core.apply(self.step1, *args, env=self.env)

    def init_step1(self) -> Result:
        return self.core.init(self.step1)

    def init_step2(self, step2: Path | None = None) -> Result:
        step2 = step2 or self.step2
        backend = self.backend_file(step2)
        return self.core.run(step2, "init", "-input=false", "-reconfigure", f"-backend-config={backend.name}")

    def second_step2(self) -> Path:
        """Another checkout of step 2 beside the first (same relative module path)."""
        other = self.step2.with_name("2-network-b")
        shutil.copytree(
            self.step2, other, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl")
        )
        return other

    def destroy_all(self) -> None:
        """Step 2, then step 1 with force_destroy, as scripts/demo.sh down does."""
        self.core.destroy(self.step2, env=self.env)
        self.apply_step1("-var", "force_destroy=true")
        self.core.destroy(self.step1, "-var", "force_destroy=true", env=self.env)


def test_modules_remote_state(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    flow = LocalFlow.create(core, emulator, tmp_path)
    flow.init_step1()
    flow.apply_step1()
    assert (flow.step1 / "terraform.tfstate").exists(), "step 1 keeps its state locally"
    s3 = emulator.client("s3")
    assert s3.get_bucket_versioning(Bucket=BUCKET).get("Status") == "Enabled"
    outputs = core.output_json(flow.step1)
    assert outputs["state_bucket"] == BUCKET and outputs["lock_table"] == TABLE, outputs
    assert f'"{STATE_KEY}"' in outputs["backend_config"], outputs["backend_config"]

    flow.init_step2()
    emulator.reset_calls()
    flow.core.apply(flow.step2, env=flow.env)
    assert not (flow.step2 / "terraform.tfstate").exists(), "step 2 must not keep a local state"

    # The state object is in the bucket, versioned, and holds the network.
    versions = state_versions(emulator)
    assert versions, f"no state object s3://{BUCKET}/{STATE_KEY}"
    state = remote_state(emulator)
    assert any(r.get("module") == "module.network" and r["type"] == "ode_network" for r in state["resources"]), state
    # The apply took and released the lock in the table.
    calls = emulator.call_names()
    assert ("dynamodb", "PutItem") in calls and ("dynamodb", "DeleteItem") in calls, calls
    assert lock_items(emulator) == []

    outputs = core.output_json(flow.step2)
    assert len(outputs["public_subnet_ids"]) == 3 and len(outputs["private_subnet_ids"]) == 3, outputs
    assert len(outputs["isolated_subnet_ids"]) == 3 and len(outputs["nat_public_ips"]) == 3, outputs

    # A second plan reads the remote state and finds nothing to do.
    assert_no_changes(core, flow.step2, env=flow.env)
    assert lock_items(emulator) == []

    # Destroying step 2 writes a new version of the state: the old one is kept.
    core.destroy(flow.step2, env=flow.env)
    versions = state_versions(emulator)
    assert len(versions) >= 2, versions
    assert len({v["VersionId"] for v in versions}) == len(versions), versions
    assert remote_state(emulator)["resources"] == []
    assert lock_items(emulator) == []

    # Step 1 refuses to delete a bucket with state in it, unless force_destroy is applied.
    refused = core.destroy(flow.step1, env=flow.env, check=False)
    assert refused.returncode != 0 and "force_destroy" in refused.output, refused.describe()
    flow.apply_step1("-var", "force_destroy=true")
    core.destroy(flow.step1, "-var", "force_destroy=true", env=flow.env)
    assert_emulator_empty(emulator)


def test_modules_lock_contention(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    flow = LocalFlow.create(core, emulator, tmp_path)
    flow.init_step1()
    flow.apply_step1()
    first, second = flow.step2, flow.second_step2()
    flow.init_step2(first)
    flow.init_step2(second)

    # Slow AWS down so that the first apply holds the lock for seconds.
    emulator.set_latency(200)
    results: dict[str, Result] = {}

    def apply_first() -> None:
        results["first"] = core.apply(first, "-lock-timeout=0s", env=flow.env, check=False)

    thread = threading.Thread(target=apply_first)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not lock_items(emulator):
            assert thread.is_alive(), f"the first apply ended before its lock was seen: {results.get('first')}"
            assert time.monotonic() < deadline, "the first apply never took the lock"
            time.sleep(0.05)
        # The second apply runs while the first holds the lock.
        results["second"] = core.apply(second, "-lock-timeout=0s", env=flow.env, check=False)
    finally:
        thread.join(timeout=600)
        emulator.set_latency(0)

    winner, loser = results["first"], results["second"]
    assert winner.returncode == 0, winner.describe()
    assert loser.returncode != 0, "the second apply got the lock too:\n" + loser.describe()
    text = " ".join(loser.output.replace("│", " ").split())
    assert LOCK_ERROR in text, loser.describe()
    assert "ConditionalCheckFailed" in text, loser.describe()
    assert LOCK_ID in text, loser.describe()
    assert "0 added" not in loser.output and "Creating..." not in loser.output, loser.describe()

    # One network, a valid state both checkouts agree on, no lock left behind.
    vpcs = [v for v in emulator.client("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    assert len(vpcs) == 1, vpcs
    assert lock_items(emulator) == []
    for step2 in (first, second):
        assert_no_changes(core, step2, env=flow.env)
        shown = core.show_json(step2)
        modules = shown["values"]["root_module"]["child_modules"]
        assert [r["address"] for m in modules for r in m["resources"]] == ["module.network.ode_network.this[0]"], shown
    assert lock_items(emulator) == []

    flow.destroy_all()
    assert_emulator_empty(emulator)


# -- a consumer root module ---------------------------------------------------------------

CONSUMER_MAIN = """terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = ">= 0.1.0"
    }
  }
}

provider "ode" {
  region = var.region

  endpoints {
    ec2 = var.endpoint_url
    sts = var.endpoint_url
  }
}

module "network" {
  source = "../modules/network"

  project                 = "shop"
  environment             = "staging"
  cidr_block              = var.cidr_block
  az_count                = var.az_count
  nat_gateways            = var.nat_gateways
  create_isolated_subnets = var.create_isolated_subnets
  tags                    = { Team = "checkout" }
}

output "network" {
  value = {
    vpc_id              = module.network.vpc_id
    vpc_cidr_block      = module.network.vpc_cidr_block
    availability_zones  = module.network.availability_zones
    public_subnet_ids   = module.network.public_subnet_ids
    private_subnet_ids  = module.network.private_subnet_ids
    isolated_subnet_ids = module.network.isolated_subnet_ids
    nat_gateway_ids     = module.network.nat_gateway_ids
    subnet_cidrs_by_az  = module.network.subnet_cidrs_by_az
    isolation           = module.network.isolation
  }
}
"""

CONSUMER_VARIABLES = """variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "endpoint_url" {
  description = "AWS emulator endpoint; null for real AWS."
  type        = string
  default     = null
}

variable "cidr_block" {
  description = "CIDR block of the VPC."
  type        = string
}

variable "az_count" {
  description = "Number of availability zones."
  type        = number
}

variable "nat_gateways" {
  description = "NAT strategy."
  type        = string
}

variable "create_isolated_subnets" {
  description = "Whether to create the isolated tier."
  type        = bool
}
"""


def consumer(tmp_path: Path) -> Path:
    """A root module of a user's own, beside a copy of modules/."""
    root = copy_hcl_tree(tmp_path / "repo")
    workdir = root / "consumer"
    workdir.mkdir()
    (workdir / "main.tf").write_text(CONSUMER_MAIN)
    (workdir / "variables.tf").write_text(CONSUMER_VARIABLES)
    return workdir


def test_modules_tfvars(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    workdir = consumer(tmp_path)
    (workdir / "terraform.tfvars").write_text(
        f"""endpoint_url            = "{emulator.url}"
cidr_block              = "10.42.0.0/16"
az_count                = 2
nat_gateways            = "single"
create_isolated_subnets = false
"""
    )
    core.init(workdir)
    core.apply(workdir)
    assert_no_changes(core, workdir)

    net = core.output_json(workdir)["network"]
    vpc = ipaddress.ip_network("10.42.0.0/16")
    assert net["vpc_cidr_block"] == str(vpc), net
    assert len(net["availability_zones"]) == 2, net
    assert len(net["public_subnet_ids"]) == 2, net
    assert len(net["private_subnet_ids"]) == 2, net
    assert not net["isolated_subnet_ids"], net
    assert len(net["nat_gateway_ids"]) == 1, net
    assert not net["subnet_cidrs_by_az"]["isolated"], net
    cidrs = [c for tier in ("public", "private") for c in net["subnet_cidrs_by_az"][tier].values()]
    assert len(cidrs) == 4 and all(ipaddress.ip_network(c).subnet_of(vpc) for c in cidrs), net

    # What the emulator holds matches the outputs.
    ec2 = emulator.client("ec2")
    [aws_vpc] = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    assert aws_vpc["VpcId"] == net["vpc_id"] and aws_vpc["CidrBlock"] == str(vpc)
    tags = {t["Key"]: t["Value"] for t in aws_vpc.get("Tags", [])}
    assert tags.get("Name") == "shop-staging" and tags.get("Team") == "checkout", tags
    assert tags.get("Project") == "shop" and tags.get("Environment") == "staging", tags
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net["vpc_id"]]}])["Subnets"]
    assert sorted(s["SubnetId"] for s in subnets) == sorted(net["public_subnet_ids"] + net["private_subnet_ids"])
    nats = [
        n
        for n in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [net["vpc_id"]]}])["NatGateways"]
        if n["State"] not in ("deleted", "deleting")
    ]
    assert [n["NatGatewayId"] for n in nats] == net["nat_gateway_ids"], nats

    core.destroy(workdir)
    assert_emulator_empty(emulator)


# -- bad variables ---------------------------------------------------------------------------------


def validation_messages(module: str) -> dict[str, list[str]]:
    """Every validation error_message of modules/<module>/variables.tf, by variable."""
    options = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    parsed = hcl2.loads((REPO_ROOT / "modules" / module / "variables.tf").read_text(), serialization_options=options)
    messages: dict[str, list[str]] = {}
    for block in parsed.get("variable", []):
        for name, body in block.items():
            # strip_string_quotes keeps escapes such as \" as written: undo the two used.
            messages[name.strip('"')] = [
                v["error_message"].replace('\\"', '"').replace("\\\\", "\\") for v in body.get("validation", [])
            ]
    return messages


@dataclass(frozen=True)
class BadInput:
    module: str  # network or state-backend
    argument: str  # HCL: name = value
    variable: str
    # None: the module's validation message for ``variable``; else text of a type error.
    type_error: str | None = None

    @property
    def id(self) -> str:
        return f"{self.module}:{self.argument}"


BAD_INPUTS = [
    BadInput("network", 'nat_gateways = "two"', "nat_gateways"),
    BadInput("network", "az_count = 0", "az_count"),
    BadInput("network", "az_count = 2.5", "az_count"),
    BadInput("network", 'cidr_block = "10.0.0.0/8"', "cidr_block"),
    BadInput("network", 'cidr_block = "not-a-cidr"', "cidr_block"),
    BadInput("network", 'project = "Bad_Name"', "project"),
    BadInput("network", 'environment = "Prod"', "environment"),
    BadInput("network", 'name = "has space"', "name"),
    BadInput("network", 'availability_zones = ["us-east-1a", "us-east-1a"]', "availability_zones"),
    BadInput("network", "availability_zones = []", "availability_zones"),
    BadInput("network", "public_subnet_prefix_length = 30", "public_subnet_prefix_length"),
    BadInput("network", 'az_count = "three"', "az_count", type_error="a number is required"),
    BadInput("network", 'tags = ["a"]', "tags", type_error="map of string required"),
    BadInput("state-backend", 'bucket_name = "UPPER"', "bucket_name"),
    BadInput("state-backend", 'state_key = "/abs"', "state_key"),
    BadInput("state-backend", 'lock_table_name = "ab"', "lock_table_name"),
    BadInput("state-backend", 'kms_key_arn = "alias/mine"', "kms_key_arn"),
    BadInput("state-backend", 'project = "x"', "project"),
    BadInput("state-backend", 'force_destroy = "maybe"', "force_destroy", type_error="a bool is required"),
]

BAD_INPUTS_MAIN = """terraform {{
  required_providers {{
    ode = {{
      source  = "registry.terraform.io/ode/ode"
      version = ">= 0.1.0"
    }}
  }}
}}

provider "ode" {{
  region            = "us-east-1"
  s3_use_path_style = true
  endpoints {{
    ec2      = "{url}"
    s3       = "{url}"
    dynamodb = "{url}"
    sts      = "{url}"
  }}
}}

module "network" {{
  source = "../modules/network"
{network}
}}

module "state_backend" {{
  source = "../modules/state-backend"
{state_backend}
}}
"""


def variables_tf_lines(module: str, variable: str) -> tuple[int, int | None]:
    """The lines of ``variable "<variable>"`` in modules/<module>/variables.tf and of its
    (first) validation block, if it has one."""
    text = (REPO_ROOT / "modules" / module / "variables.tf").read_text()
    declared = block_line(text, f'variable "{variable}"')
    lines = text.splitlines()
    for i in range(declared, len(lines)):
        if lines[i] == "}":
            return declared, None
        if re.match(r"\s*validation\s*\{", lines[i]):
            return declared, i + 1
    return declared, None


def check_bad_input(core: Core, case: BadInput, diagnosed: Diagnosed, hcl: str, messages: list[str]) -> None:
    """The error of one bad module argument: what it says and where it points.

    A value the variable's validation rejects: both cores attach the error to the
    argument in the caller's main.tf and name the validation rule in the module. A value
    of the wrong type: both cores name the variable's declaration in the detail; Terraform
    1.5 attaches the error to the argument in main.tf, OpenTofu 1.12 to the variable's
    declaration in the module.
    """
    module_block = case.module.replace("-", "_")
    argument = case.argument.split("=", 1)[0].strip()
    argument_line = attribute_line(hcl, f'module "{module_block}"', argument)
    variables_tf = f"../modules/{case.module}/variables.tf"
    declared, validation = variables_tf_lines(case.module, case.variable)
    if case.type_error is None:
        [expected] = messages
        diagnostic = assert_error_at(diagnosed, expected, "main.tf", argument_line)
        rule = f"validation rule at {variables_tf}:{validation},"
        assert rule in normalise(diagnostic.detail), f"the error does not name the {rule}\n{diagnosed.describe()}"
    else:
        if core.name == "tofu":
            diagnostic = assert_error_at(diagnosed, case.type_error, variables_tf, declared)
        else:
            diagnostic = assert_error_at(diagnosed, case.type_error, "main.tf", argument_line)
        declaration = f"module.{module_block}.var.{case.variable} declared at {variables_tf}:{declared},"
        assert declaration in normalise(diagnostic.detail), (
            f"the error does not name {declaration}\n{diagnosed.describe()}"
        )


def test_modules_bad_variables(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    workdir = copy_hcl_tree(tmp_path / "repo") / "consumer"
    workdir.mkdir()
    write_config(workdir, BAD_INPUTS_MAIN.format(url=emulator.url, network="", state_backend=""))
    core.init(workdir)
    messages = {"network": validation_messages("network"), "state-backend": validation_messages("state-backend")}
    emulator.reset_calls()

    failures = []
    for case in BAD_INPUTS:
        hcl = BAD_INPUTS_MAIN.format(
            url=emulator.url,
            network=f"  {case.argument}" if case.module == "network" else "",
            state_backend=f"  {case.argument}" if case.module == "state-backend" else "",
        )
        write_config(workdir, hcl)
        diagnosed = error_diagnostics(core, workdir)
        try:
            check_bad_input(core, case, diagnosed, hcl, messages[case.module][case.variable])
        except AssertionError as error:
            failures.append(f"{case.id}: {error}")
    assert not failures, f"{len(failures)} of {len(BAD_INPUTS)} bad inputs not reported right:\n\n" + "\n\n".join(failures)

    # Nothing was created: no AWS call changed anything.
    mutating = [c for c in emulator.call_names() if re.match(r"(Create|Put|Run|Allocate|Attach|Associate|Modify|Tag)", c[1])]
    assert not mutating, mutating
    assert_emulator_empty(emulator)
