"""The whole seed topology, end to end, as a user runs examples/local: step 1 the state
backend (local state), step 3 the `platform` module with its state in step 1's bucket.

* ``test_platform_basic``: the defaults give exactly the seed's inventory; a second plan
  is empty; the seed's outputs are there; destroy leaves nothing.
* ``test_platform_tfvars``: a terraform.tfvars that renames project and environment and
  shrinks to two zones: every name and count follows.
* ``test_platform_cost``: the plan-time estimate lists the seed's items, adds up, and
  moves when the node counts change.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_data_tier import leftovers as data_leftovers
from tests.modules.layout import REPO_ROOT, copy_hcl_tree
from tests.support.core import Core
from tests.support.emulator import EmulatorClient
from tests.support.helpers import assert_emulator_empty
from tests.support.secrets import secret_scan  # noqa: F401  (a fixture)

pytestmark = pytest.mark.e2e

SEED_ITEMS = {"VPC", "EKS", "EC2 Nodes", "RDS", "ElastiCache", "S3", "ECR", "NAT Gateway"}


class Platform:
    """A copy of examples/local (and modules/) run by one core against the emulator."""

    def __init__(self, core: Core, emulator: EmulatorClient, tmp_path: Path, tfvars: str | None = None):
        self.core, self.emulator = core, emulator
        root = copy_hcl_tree(tmp_path / "repo")
        self.step1 = root / "examples/local/1-bootstrap"
        self.step3 = root / "examples/local/3-platform"
        shutil.copy(self.step1 / "terraform.tfvars.example", self.step1 / "terraform.tfvars")
        text = (self.step3 / "terraform.tfvars.example").read_text()
        (self.step3 / "terraform.tfvars").write_text(tfvars if tfvars is not None else text)
        example = "backend.hcl.example" if core.name == "tofu" else "backend-tf15.hcl.example"
        backend = (self.step3 / example).read_text().replace("http://127.0.0.1:PORT", emulator.url)
        (self.step3 / "backend.hcl").write_text(backend)
        self.env = {"TF_VAR_endpoint_url": emulator.url}

    def up(self) -> str:
        """Applies both steps; returns what the platform's apply printed."""
        self.core.init(self.step1, env=self.env)
        self.core.apply(self.step1, env=self.env)
        self.core.run(self.step3, "init", "-input=false", "-backend-config=backend.hcl", env=self.env)
        applied = self.core.apply(self.step3, env=self.env)
        return applied.stdout + applied.stderr

    def outputs(self) -> dict[str, Any]:
        return self.core.output_json(self.step3, env=self.env)

    def plan(self, *args: str):
        return self.core.plan(self.step3, *args, env=self.env)

    def down(self) -> None:
        self.core.destroy(self.step3, env=self.env)
        self.core.apply(self.step1, "-var", "force_destroy=true", env=self.env)
        self.core.destroy(self.step1, "-var", "force_destroy=true", env=self.env)


def inventory(emulator: EmulatorClient) -> dict[str, Any]:
    ec2 = emulator.client("ec2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    subnets = [s for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] in {v["VpcId"] for v in vpcs}]
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"]
    eks = emulator.client("eks")
    clusters = eks.list_clusters()["clusters"]
    groups = {}
    for c in clusters:
        for g in eks.list_nodegroups(clusterName=c)["nodegroups"]:
            ng = eks.describe_nodegroup(clusterName=c, nodegroupName=g)["nodegroup"]
            groups[g] = (ng["scalingConfig"]["desiredSize"], ng["instanceTypes"])
    dbs = emulator.client("rds").describe_db_instances()["DBInstances"]
    rgs = emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]
    buckets = sorted(b["Name"] for b in emulator.client("s3").list_buckets()["Buckets"] if b["Name"] != "ode-terraform-state")
    repos = sorted(r["repositoryName"] for r in emulator.client("ecr").describe_repositories()["repositories"])
    return {
        "vpcs": len(vpcs),
        "subnets": len(subnets),
        "zones": sorted({s["AvailabilityZone"] for s in subnets}),
        "nats": len(nats),
        "clusters": clusters,
        "node_groups": groups,
        "postgres": [(d["Engine"], d["EngineVersion"], d["MultiAZ"]) for d in dbs],
        "redis": [(len(g["MemberClusters"]),) for g in rgs],
        "buckets": buckets,
        "repositories": repos,
    }


@pytest.mark.usefixtures("secret_scan")  # the remote state's versions are scanned too
def test_platform_basic(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    p = Platform(core, emulator, tmp_path)
    printed = p.up()
    # Everything the checks compare is known at plan: the first apply warns of nothing.
    assert "Warning" not in printed, printed
    inv = inventory(emulator)
    assert inv["vpcs"] == 1 and inv["subnets"] == 9 and len(inv["zones"]) == 3, inv
    assert inv["nats"] == 3, inv
    assert inv["clusters"] == ["ode-production-cluster"], inv
    assert inv["node_groups"] == {"system": (2, ["t3.medium"]), "worker": (3, ["t3.large"])}, inv
    assert inv["postgres"] == [("postgres", "15.15", True)], inv
    assert inv["redis"] == [(2,)], inv
    assert inv["buckets"] == ["ode-production-documents", "ode-production-exports", "ode-production-fonts"], inv
    assert inv["repositories"] == ["ode-api", "ode-viewer", "ode-worker"], inv

    out = p.outputs()
    assert out["vpc_id"].startswith("vpc-")
    assert out["cluster_name"] == "ode-production-cluster"
    assert out["update_kubeconfig_command"] == "aws eks update-kubeconfig --name ode-production-cluster --region us-east-1"
    assert out["rds_endpoint"] and out["redis_endpoint"]
    assert set(out["repository_urls"]) == {"api", "worker", "viewer"}
    # The remote state holds the platform; nothing secret is in it.
    state = emulator.client("s3").get_object(Bucket="ode-terraform-state", Key="ode/production/platform.tfstate")["Body"].read()
    assert b"ode_eks_stack" in state and b"ode_data_tier" in state
    sm = emulator.client("secretsmanager")
    secrets = [sm.get_secret_value(SecretId=s["ARN"])["SecretString"] for s in sm.list_secrets()["SecretList"]]
    for secret in secrets:
        token = json.loads(secret)["password"] if secret.startswith("{") else secret
        assert token.encode() not in state, "a secret is in the remote state"

    plan = p.plan()
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()
    p.down()
    assert inventory(emulator)["clusters"] == []
    assert not data_leftovers(emulator, "ode-production"), data_leftovers(emulator, "ode-production")
    assert emulator.client("ecr").describe_repositories()["repositories"] == []
    assert_emulator_empty(emulator)


def test_platform_tfvars(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    tfvars = """aws_region          = "us-east-1"
project             = "acme"
environment         = "staging"
az_count            = 2
deletion_protection = false
force_destroy       = true
"""
    p = Platform(core, emulator, tmp_path, tfvars)
    p.up()
    inv = inventory(emulator)
    assert inv["subnets"] == 6 and len(inv["zones"]) == 2 and inv["nats"] == 2, inv
    assert inv["clusters"] == ["acme-staging-cluster"], inv
    assert inv["buckets"] == ["acme-staging-documents", "acme-staging-exports", "acme-staging-fonts"], inv
    assert inv["repositories"] == ["acme-api", "acme-viewer", "acme-worker"], inv
    rds = emulator.client("rds").describe_db_instances()["DBInstances"]
    assert [d["DBInstanceIdentifier"] for d in rds] == ["acme-staging-postgres"]
    assert p.outputs()["update_kubeconfig_command"].endswith("--name acme-staging-cluster --region us-east-1")
    plan = p.plan()
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()
    p.down()
    assert_emulator_empty(emulator)


def everything(emulator: EmulatorClient) -> dict[str, Any]:
    """What the emulator holds, object by object, for before/after comparisons."""
    ec2 = emulator.client("ec2")
    eks = emulator.client("eks")
    s3 = emulator.client("s3")
    buckets = {}
    for b in s3.list_buckets()["Buckets"]:
        versions = s3.list_object_versions(Bucket=b["Name"])
        buckets[b["Name"]] = len(versions.get("Versions", [])) + len(versions.get("DeleteMarkers", []))
    clusters = {
        c: {
            "node_groups": sorted(eks.list_nodegroups(clusterName=c)["nodegroups"]),
            "addons": sorted(eks.list_addons(clusterName=c)["addons"]),
            "fargate": sorted(eks.list_fargate_profiles(clusterName=c)["fargateProfileNames"]),
        }
        for c in eks.list_clusters()["clusters"]
    }
    ecr = emulator.client("ecr")
    return {
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
        "nat_gateways": sorted(n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"),
        "security_groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
        "clusters": clusters,
        "roles": sorted(r["RoleName"] for r in emulator.client("iam").list_roles()["Roles"]),
        "db_instances": sorted(d["DBInstanceIdentifier"] for d in emulator.client("rds").describe_db_instances()["DBInstances"]),
        "replication_groups": sorted(
            g["ReplicationGroupId"] for g in emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"]
        ),
        "buckets": buckets,
        "tables": sorted(emulator.client("dynamodb").list_tables()["TableNames"]),
        "repositories": {
            r["repositoryName"]: len(ecr.list_images(repositoryName=r["repositoryName"])["imageIds"])
            for r in ecr.describe_repositories()["repositories"]
        },
        "keys": sorted(
            k["KeyId"]
            for k in emulator.client("kms").list_keys()["Keys"]
            if emulator.client("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
        ),
    }


def assert_refused_deleting_nothing(p: Platform, step: Path, message: str) -> None:
    """Destroy of ``step`` fails at plan, saying ``message``; AWS and the state are
    as they were, and no delete call was made."""
    before, listed = everything(p.emulator), p.core.run(step, "state", "list", env=p.env).stdout
    p.emulator.reset_calls()
    refused = p.core.destroy(step, check=False, env=p.env)
    assert refused.returncode != 0, refused.describe()
    text = " ".join(refused.output.split())
    assert message in text, refused.describe()
    # DeleteItem is the core releasing its state lock in the lock table; DeleteTags
    # (and EKS's DELETE /tags/) the refresh ending a create's claim mark, a tag.
    deletes = [
        a
        for _, a in p.emulator.call_names()
        if a.startswith(("Delete", "DELETE", "Schedule", "Terminate", "Release"))
        and a != "DeleteItem"
        and a != "DeleteTags"
        and not a.startswith("DELETE /tags/")
    ]
    assert not deletes, deletes
    assert everything(p.emulator) == before
    assert p.core.run(step, "state", "list", env=p.env).stdout == listed


def test_platform_destroy_refused_deletes_nothing(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    """Every destroy guard is checked when the core plans the destroy: with any of
    them in the way, destroy fails and nothing anywhere in the run is deleted (not the
    registry beside a protected database, not the network under a cluster)."""
    example = (REPO_ROOT / "examples/local/3-platform/terraform.tfvars.example").read_text()
    # The platform's defaults: deletion protection on, no force_destroy.
    tfvars = "\n".join(line for line in example.splitlines() if not line.startswith(("deletion_protection", "force_destroy")))
    assert tfvars != example
    p = Platform(core, emulator, tmp_path, tfvars)
    p.up()
    # 1. The seed's default: the database's deletion protection is on.
    assert_refused_deleting_nothing(p, p.step3, "Data tier \"ode-production\" cannot be destroyed yet; nothing was deleted")
    rds = emulator.client("rds")
    rds.modify_db_instance(DBInstanceIdentifier="ode-production-postgres", DeletionProtection=False, ApplyImmediately=True)
    # 2. An image in a repository.
    ecr = emulator.client("ecr")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {}, "layers": []})
    ecr.put_image(repositoryName="ode-api", imageManifest=manifest, imageTag="1.0.0")
    assert_refused_deleting_nothing(p, p.step3, "Registry \"ode\" cannot be destroyed yet; nothing was deleted")
    ecr.batch_delete_image(repositoryName="ode-api", imageIds=[{"imageTag": "1.0.0"}])
    # 3. A document in a bucket.
    s3 = emulator.client("s3")
    s3.put_object(Bucket="ode-production-documents", Key="contract.pdf", Body=b"%PDF")
    assert_refused_deleting_nothing(p, p.step3, "Bucket ode-production-documents still holds")
    for v in s3.list_object_versions(Bucket="ode-production-documents").get("Versions", []):
        s3.delete_object(Bucket="ode-production-documents", Key=v["Key"], VersionId=v["VersionId"])
    # 4. A Fargate profile made outside Terraform keeps the cluster.
    eks = emulator.client("eks")
    network = emulator.client("ec2").describe_subnets(Filters=[{"Name": "tag:ode:key", "Values": ["subnet/private/us-east-1a"]}])
    eks.create_fargate_profile(
        fargateProfileName="outside",
        clusterName="ode-production-cluster",
        podExecutionRoleArn="arn:aws:iam::123456789012:role/fargate",
        subnets=[s["SubnetId"] for s in network["Subnets"]],
        selectors=[{"namespace": "batch"}],
    )
    assert_refused_deleting_nothing(p, p.step3, "still has Fargate profile outside created outside Terraform")
    eks.delete_fargate_profile(clusterName="ode-production-cluster", fargateProfileName="outside")
    # 5. The state bucket still holds the platform's state.
    assert_refused_deleting_nothing(p, p.step1, "State bucket \"ode-terraform-state\" is not empty")
    p.down()
    assert inventory(emulator)["clusters"] == []
    assert emulator.client("ecr").describe_repositories()["repositories"] == []
    assert_emulator_empty(emulator)


def planned_cost(p: Platform) -> tuple[float, dict[str, float]]:
    plan_file = "cost.tfplan"
    p.core.run(p.step3, "plan", "-input=false", f"-out={plan_file}", env=p.env)
    shown = json.loads(p.core.run(p.step3, "show", "-json", plan_file, env=p.env).stdout)
    values = shown["planned_values"]["outputs"]
    return values["estimated_monthly_cost"]["value"], values["cost_items"]["value"]


def test_platform_cost(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    """The estimate is known at plan time, lists the seed's items, adds up, and follows
    the node counts (nothing is applied: the backend bucket is all that is made)."""
    p = Platform(core, emulator, tmp_path)
    p.core.init(p.step1, env=p.env)
    p.core.apply(p.step1, env=p.env)
    p.core.run(p.step3, "init", "-input=false", "-backend-config=backend.hcl", env=p.env)
    total, items = planned_cost(p)
    assert set(items) == SEED_ITEMS, items
    assert abs(total - sum(items.values())) < 0.05, (total, items)
    # The guide's table is this estimate, item by item.
    guide = (REPO_ROOT / "docs" / "guides" / "estimating-costs.md").read_text()
    rows = dict(re.findall(r"^\| ([A-Za-z][A-Za-z0-9 ]*?) \| ~\$\d+ \| \$([\d.]+) \|", guide, re.M))
    assert {k: float(v) for k, v in rows.items()} == {k: round(v, 2) for k, v in items.items()}, rows
    assert f"**~${round(total)}**" in guide, total
    # One t3.large is 0.0832 USD an hour (730 hours a month) plus its 20 GiB gp3 root volume.
    main_tf = p.step3 / "main.tf"
    main_tf.write_text(
        main_tf.read_text().replace(
            "  force_destroy       = var.force_destroy\n}",
            '  force_destroy       = var.force_destroy\n\n  node_groups = {\n    system = { instance_types = ["t3.medium"], min_size = 2, max_size = 4, desired_size = 2 }\n    worker = { instance_types = ["t3.large"], min_size = 3, max_size = 10, desired_size = 6 }\n  }\n}',
        )
    )
    bigger, bigger_items = planned_cost(p)
    assert round(bigger_items["EC2 Nodes"] - items["EC2 Nodes"], 2) == round(3 * (0.0832 * 730 + 20 * 0.08), 2), (items, bigger_items)
    assert bigger > total
    print(f"estimate for the seed's defaults: ${total:.2f}/month; the seed's table says ~$518 ({items})")
    p.core.destroy(p.step1, "-var", "force_destroy=true", env=p.env)
