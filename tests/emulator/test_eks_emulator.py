"""Checks of the emulator's EKS (tests/support/eks_emulator.py), through boto3.

Each test checks the response fields the provider's Rust SDK reads: ids, ARNs,
statuses, versions, and the shape of updates.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.emulator

ACCOUNT = "123456789012"
CLUSTER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ode-eks-cluster"
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ode-eks-node"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform/ode-admin"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
ADDONS = ("vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver")
#: What EKS offered on 2025-02-01, the day these tests read its calendar on (the
#: calendar itself, on other days, is test_cluster_versions_follow_the_calendar's).
KUBERNETES_VERSIONS = ("1.26", "1.27", "1.28", "1.29", "1.30", "1.31", "1.32")
CALENDAR_DAY = "2025-02-01"
# Transitions short enough to wait out, and one that never ends within a test.
TRANSITION_S = 0.5
LONG_S = 600
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def eks(emulator: EmulatorClient):
    emulator.set_today(CALENDAR_DAY)
    return emulator.client("eks")


def create_cluster(
    eks, name: str = "ode", version: str | None = "1.30", subnets=("subnet-1",), **kwargs: Any
) -> dict:
    request = {
        "name": name,
        "roleArn": CLUSTER_ROLE,
        "resourcesVpcConfig": {"subnetIds": list(subnets)},
        **kwargs,
    }
    if version is not None:
        request["version"] = version
    return eks.create_cluster(**request)["cluster"]


def create_nodegroup(eks, name: str = "system", cluster: str = "ode", **kwargs: Any) -> dict:
    request = {
        "clusterName": cluster,
        "nodegroupName": name,
        "nodeRole": NODE_ROLE,
        "subnets": ["subnet-1"],
        **kwargs,
    }
    return eks.create_nodegroup(**request)["nodegroup"]


def error_of(call: Callable[[], Any]) -> tuple[str, int]:
    """(code, HTTP status) of the ClientError that ``call`` raises."""
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def refusal_of(call: Callable[[], Any]) -> tuple[str, int, str]:
    """(code, HTTP status, message) of the ClientError that ``call`` raises."""
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def lagging_nodegroup(eks, cluster_version: str) -> None:
    """Cluster ``ode`` at ``cluster_version`` with node group ``system`` one minor behind:
    created at the cluster's version (the only one CreateNodegroup takes), then left
    behind by UpdateClusterVersion."""
    major, minor = cluster_version.split(".")
    create_cluster(eks, version=f"{major}.{int(minor) - 1}")
    create_nodegroup(eks)
    eks.update_cluster_version(name="ode", version=cluster_version)


def wait_past_transitions() -> None:
    """Wait until changes started by the calls that have answered are complete.

    The emulator times a change from when it handles the call, and the state of a
    resource from when a later call arrives: both lie between the answers the client sees.
    """
    time.sleep(TRANSITION_S + 0.05)


def check_update(update: dict, kind: str, status: str = "Successful") -> None:
    assert re.fullmatch(UUID, update["id"])
    assert update["type"] == kind
    assert update["status"] == status
    assert update["errors"] == []
    assert update["createdAt"]


# -- clusters ----------------------------------------------------------------------------


def test_cluster_has_aws_fields(emulator: EmulatorClient, eks) -> None:
    ec2 = emulator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]

    cluster = create_cluster(eks, subnets=[subnet], accessConfig={"authenticationMode": "API"})
    assert cluster["status"] == "ACTIVE"
    assert cluster["arn"] == f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/ode"
    assert cluster["version"] == "1.30"
    issuer = cluster["identity"]["oidc"]["issuer"]
    match = re.fullmatch(r"https://oidc\.eks\.us-east-1\.amazonaws\.com/id/([0-9A-F]{32})", issuer)
    assert match, issuer
    assert cluster["endpoint"] == f"https://{match.group(1)}.gr7.us-east-1.eks.amazonaws.com"
    assert base64.b64decode(cluster["certificateAuthority"]["data"]).startswith(
        b"-----BEGIN CERTIFICATE-----\n"
    )
    assert cluster["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": True,
    }
    vpc_config = cluster["resourcesVpcConfig"]
    assert vpc_config["vpcId"] == vpc
    assert vpc_config["subnetIds"] == [subnet]
    assert (vpc_config["endpointPublicAccess"], vpc_config["endpointPrivateAccess"]) == (True, False)
    assert vpc_config["publicAccessCidrs"] == ["0.0.0.0/0"]
    # The cluster security group is a real one in the VPC, removed with the cluster.
    group_id = vpc_config["clusterSecurityGroupId"]
    [group] = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert group["VpcId"] == vpc
    assert {"Key": "aws:eks:cluster-name", "Value": "ode"} in group["Tags"]
    assert eks.describe_cluster(name="ode")["cluster"] == cluster

    assert eks.delete_cluster(name="ode")["cluster"]["status"] == "DELETING"
    assert error_of(lambda: eks.describe_cluster(name="ode")) == ("ResourceNotFoundException", 404)
    assert group_id not in {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}


def test_each_cluster_has_its_own_oidc_issuer(eks) -> None:
    issuers = {create_cluster(eks, name=f"c{i}")["identity"]["oidc"]["issuer"] for i in range(3)}
    assert len(issuers) == 3


def test_cluster_defaults(eks) -> None:
    """Without accessConfig the API default is CONFIG_MAP; without a version, the newest."""
    cluster = create_cluster(eks, version=None)
    assert cluster["version"] == "1.31"
    assert cluster["accessConfig"]["authenticationMode"] == "CONFIG_MAP"
    assert cluster["logging"] == {
        "clusterLogging": [
            {"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": False}
        ]
    }
    assert eks.list_access_entries(clusterName="ode")["accessEntries"] == []


def test_delete_cluster_refused_while_node_groups_exist(eks) -> None:
    create_cluster(eks)
    create_nodegroup(eks)
    assert error_of(lambda: eks.delete_cluster(name="ode")) == ("ResourceInUseException", 409)
    eks.delete_nodegroup(clusterName="ode", nodegroupName="system")
    eks.delete_cluster(name="ode")
    assert eks.list_clusters()["clusters"] == []


def test_delete_cluster_refused_while_fargate_profiles_exist(eks) -> None:
    create_cluster(eks)
    eks.create_fargate_profile(
        clusterName="ode",
        fargateProfileName="default",
        podExecutionRoleArn=NODE_ROLE,
        selectors=[{"namespace": "default"}],
    )
    assert error_of(lambda: eks.delete_cluster(name="ode")) == ("ResourceInUseException", 409)


def test_missing_cluster(eks) -> None:
    for call in (
        lambda: eks.describe_cluster(name="nope"),
        lambda: eks.list_nodegroups(clusterName="nope"),
        lambda: eks.list_addons(clusterName="nope"),
        lambda: eks.list_updates(name="nope"),
        lambda: eks.update_cluster_version(name="nope", version="1.31"),
    ):
        assert error_of(call) == ("ResourceNotFoundException", 404)


# -- cluster updates ---------------------------------------------------------------------


def test_update_cluster_version(eks) -> None:
    create_cluster(eks, version="1.30")
    update = eks.update_cluster_version(name="ode", version="1.31")["update"]
    check_update(update, "VersionUpdate")
    params = {p["type"]: p["value"] for p in update["params"]}
    assert params["Version"] == "1.31"
    assert params["PlatformVersion"].startswith("eks.")
    assert eks.describe_update(name="ode", updateId=update["id"])["update"] == update
    assert eks.list_updates(name="ode")["updateIds"] == [update["id"]]
    cluster = eks.describe_cluster(name="ode")["cluster"]
    assert (cluster["version"], cluster["status"]) == ("1.31", "ACTIVE")
    assert cluster["platformVersion"] == params["PlatformVersion"]


def test_update_cluster_version_one_minor_up_only(eks) -> None:
    create_cluster(eks, version="1.30")
    for version in ("1.32", "1.29", "1.30", "2.0", "latest"):
        call = lambda: eks.update_cluster_version(name="ode", version=version)
        assert error_of(call) == ("InvalidParameterException", 400), version
    assert eks.describe_cluster(name="ode")["cluster"]["version"] == "1.30"
    assert eks.list_updates(name="ode")["updateIds"] == []


def test_update_cluster_version_needs_node_groups_on_the_cluster_version(eks) -> None:
    lagging_nodegroup(eks, "1.31")
    assert error_of(lambda: eks.update_cluster_version(name="ode", version="1.32")) == (
        "InvalidRequestException",
        400,
    )


def test_update_cluster_config_logging(eks) -> None:
    create_cluster(eks)
    logging = {"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]}
    update = eks.update_cluster_config(name="ode", logging=logging)["update"]
    check_update(update, "LoggingUpdate")
    assert update["params"] == [
        {"type": "ClusterLogging", "value": '[{"types":["api","audit"],"enabled":true}]'}
    ]
    assert eks.describe_cluster(name="ode")["cluster"]["logging"] == {
        "clusterLogging": [
            {"types": ["api", "audit"], "enabled": True},
            {"types": ["authenticator", "controllerManager", "scheduler"], "enabled": False},
        ]
    }
    eks.update_cluster_config(name="ode", logging={"clusterLogging": [{"types": ["api"], "enabled": False}]})
    assert eks.describe_cluster(name="ode")["cluster"]["logging"]["clusterLogging"][0] == {
        "types": ["audit"],
        "enabled": True,
    }


def test_update_cluster_config_endpoint_access(eks) -> None:
    create_cluster(eks)
    config = {"endpointPrivateAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}
    update = eks.update_cluster_config(name="ode", resourcesVpcConfig=config)["update"]
    check_update(update, "EndpointAccessUpdate")
    assert {p["type"]: p["value"] for p in update["params"]} == {
        "EndpointPrivateAccess": "true",
        "PublicAccessCidrs": '["203.0.113.0/24"]',
    }
    vpc_config = eks.describe_cluster(name="ode")["cluster"]["resourcesVpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert vpc_config["subnetIds"] == ["subnet-1"]

    update = eks.update_cluster_config(name="ode", resourcesVpcConfig={"securityGroupIds": ["sg-1"]})[
        "update"
    ]
    check_update(update, "VpcConfigUpdate")
    assert eks.describe_cluster(name="ode")["cluster"]["resourcesVpcConfig"]["securityGroupIds"] == ["sg-1"]


def test_update_cluster_config_access_config(eks) -> None:
    create_cluster(eks, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    update = eks.update_cluster_config(name="ode", accessConfig={"authenticationMode": "API"})["update"]
    check_update(update, "AccessConfigUpdate")
    assert update["params"] == [{"type": "AuthenticationMode", "value": "API"}]
    assert eks.describe_cluster(name="ode")["cluster"]["accessConfig"]["authenticationMode"] == "API"
    # AWS only moves towards API.
    back = lambda: eks.update_cluster_config(name="ode", accessConfig={"authenticationMode": "CONFIG_MAP"})
    assert error_of(back) == ("InvalidParameterException", 400)


def test_update_cluster_config_refusals(eks) -> None:
    create_cluster(eks)
    both = lambda: eks.update_cluster_config(
        name="ode",
        logging={"clusterLogging": [{"types": ["api"], "enabled": True}]},
        resourcesVpcConfig={"endpointPrivateAccess": True},
    )
    assert error_of(both) == ("InvalidParameterException", 400)
    no_endpoint = lambda: eks.update_cluster_config(
        name="ode", resourcesVpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": False}
    )
    assert error_of(no_endpoint) == ("InvalidParameterException", 400)
    assert eks.list_updates(name="ode")["updateIds"] == []


# -- node groups -------------------------------------------------------------------------


def test_nodegroup_gets_the_cluster_version(eks) -> None:
    create_cluster(eks, version="1.30")
    nodegroup = create_nodegroup(eks)
    assert nodegroup["status"] == "ACTIVE"
    assert re.fullmatch(
        rf"arn:aws:eks:us-east-1:{ACCOUNT}:nodegroup/ode/system/{UUID}", nodegroup["nodegroupArn"]
    )
    assert nodegroup["version"] == "1.30"
    assert nodegroup["releaseVersion"].startswith("1.30.")
    assert "remoteAccess" not in nodegroup
    explicit = create_nodegroup(eks, name="explicit", version="1.30")
    assert (explicit["version"], explicit["releaseVersion"][:5]) == ("1.30", "1.30.")


def test_create_nodegroup_takes_the_cluster_version_only(eks) -> None:
    create_cluster(eks, version="1.32")
    create = lambda version: lambda: create_nodegroup(eks, name="pinned", version=version)
    # Newer than the cluster, older than the skew a 1.32 cluster allows (1.29 to 1.32).
    assert refusal_of(create("1.33")) == (
        "InvalidParameterException",
        400,
        "Requested Kubernetes version 1.33 is newer than the cluster's version 1.32",
    )
    assert refusal_of(create("1.28")) == (
        "InvalidParameterException",
        400,
        "Requested Kubernetes version 1.28 is more than 3 minor versions older than "
        "the cluster's version 1.32",
    )
    # Within the skew, but CreateNodegroup takes the cluster's version only.
    assert refusal_of(create("1.29")) == (
        "InvalidParameterException",
        400,
        "Requested Nodegroup Kubernetes version 1.29 is invalid. Allowed Kubernetes version is 1.32",
    )
    assert error_of(create("2.32")) == ("InvalidParameterException", 400)
    assert eks.list_nodegroups(clusterName="ode")["nodegroups"] == []
    assert create("1.32")()["version"] == "1.32"
    assert eks.list_nodegroups(clusterName="ode")["nodegroups"] == ["pinned"]


def test_create_nodegroup_skew_before_kubernetes_1_28(eks) -> None:
    create_cluster(eks, version="1.27")
    refused = lambda: create_nodegroup(eks, version="1.24")
    assert refusal_of(refused) == (
        "InvalidParameterException",
        400,
        "Requested Kubernetes version 1.24 is more than 2 minor versions older than "
        "the cluster's version 1.27",
    )
    assert eks.list_nodegroups(clusterName="ode")["nodegroups"] == []
    assert create_nodegroup(eks)["version"] == "1.27"


def test_allowed_skew() -> None:
    from tests.support.eks_emulator import allowed_skew

    assert [allowed_skew(v) for v in ("1.25", "1.27", "1.28", "1.32", "1.35")] == [2, 2, 3, 3, 3]


def test_update_nodegroup_config(eks) -> None:
    create_cluster(eks)
    create_nodegroup(
        eks,
        labels={"role": "system", "old": "x"},
        taints=[{"key": "a", "value": "1", "effect": "NO_SCHEDULE"}],
    )
    create_nodegroup(eks, name="other")
    update = eks.update_nodegroup_config(
        clusterName="ode",
        nodegroupName="system",
        scalingConfig={"minSize": 1, "maxSize": 5, "desiredSize": 3},
        labels={"addOrUpdateLabels": {"tier": "core"}, "removeLabels": ["old"]},
        taints={
            "addOrUpdateTaints": [{"key": "b", "value": "2", "effect": "NO_EXECUTE"}],
            "removeTaints": [{"key": "a", "effect": "NO_SCHEDULE"}],
        },
    )["update"]
    check_update(update, "ConfigUpdate")
    params = {p["type"]: p["value"] for p in update["params"]}
    assert (params["MinSize"], params["MaxSize"], params["DesiredSize"]) == ("1", "5", "3")
    assert params["LabelsToAdd"] == '{"tier":"core"}'

    nodegroup = eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]
    assert nodegroup["scalingConfig"] == {"minSize": 1, "maxSize": 5, "desiredSize": 3}
    assert nodegroup["labels"] == {"role": "system", "tier": "core"}
    assert nodegroup["taints"] == [{"key": "b", "value": "2", "effect": "NO_EXECUTE"}]
    # moto shared one default scaling dict between node groups.
    other = eks.describe_nodegroup(clusterName="ode", nodegroupName="other")["nodegroup"]
    assert other["scalingConfig"] == {"minSize": 2, "maxSize": 2, "desiredSize": 2}

    # A node group's update is found with its name only, as on AWS.
    described = eks.describe_update(name="ode", updateId=update["id"], nodegroupName="system")["update"]
    assert described == update
    assert error_of(lambda: eks.describe_update(name="ode", updateId=update["id"])) == (
        "ResourceNotFoundException",
        404,
    )
    assert eks.list_updates(name="ode", nodegroupName="system")["updateIds"] == [update["id"]]
    assert eks.list_updates(name="ode", nodegroupName="other")["updateIds"] == []

    bad = lambda: eks.update_nodegroup_config(
        clusterName="ode", nodegroupName="system", scalingConfig={"desiredSize": 9}
    )
    assert error_of(bad) == ("InvalidParameterException", 400)


def test_update_nodegroup_version(eks) -> None:
    lagging_nodegroup(eks, "1.31")
    update = eks.update_nodegroup_version(clusterName="ode", nodegroupName="system", version="1.31")["update"]
    check_update(update, "VersionUpdate")
    params = {p["type"]: p["value"] for p in update["params"]}
    assert params["Version"] == "1.31"
    assert params["ReleaseVersion"].startswith("1.31.")
    nodegroup = eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]
    assert (nodegroup["version"], nodegroup["releaseVersion"]) == ("1.31", params["ReleaseVersion"])
    assert (
        eks.describe_update(name="ode", updateId=update["id"], nodegroupName="system")["update"]["status"]
        == "Successful"
    )

    # An explicit release of the current version.
    update = eks.update_nodegroup_version(
        clusterName="ode", nodegroupName="system", releaseVersion="1.31.9-20250101"
    )["update"]
    assert {p["type"]: p["value"] for p in update["params"]} == {
        "Version": "1.31",
        "ReleaseVersion": "1.31.9-20250101",
    }
    assert (
        eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]["releaseVersion"]
        == "1.31.9-20250101"
    )


def test_update_nodegroup_version_refusals(eks) -> None:
    lagging_nodegroup(eks, "1.31")
    # Newer than the cluster, older than the skew (1.28 to 1.31 for a 1.31 cluster), a
    # rollback, a release of another Kubernetes version.
    for request in (
        {"version": "1.32"},
        {"version": "1.27"},
        {"version": "1.29"},
        {"releaseVersion": "1.29.0-20240101"},
    ):
        call = lambda: eks.update_nodegroup_version(clusterName="ode", nodegroupName="system", **request)
        assert error_of(call) == ("InvalidParameterException", 400), request
    update = lambda version: lambda: eks.update_nodegroup_version(
        clusterName="ode", nodegroupName="system", version=version
    )
    assert refusal_of(update("1.32"))[2] == (
        "Requested Kubernetes version 1.32 is newer than the cluster's version 1.31"
    )
    assert refusal_of(update("1.27"))[2] == (
        "Requested Kubernetes version 1.27 is more than 3 minor versions older than "
        "the cluster's version 1.31"
    )
    assert eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]["version"] == "1.30"
    assert eks.list_updates(name="ode", nodegroupName="system")["updateIds"] == []
    # The accepted case: within the skew, up to the cluster's version.
    check_update(update("1.31")()["update"], "VersionUpdate")
    assert eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]["version"] == "1.31"


def test_update_nodegroup_version_skew_before_kubernetes_1_28(eks) -> None:
    lagging_nodegroup(eks, "1.27")
    update = lambda version: lambda: eks.update_nodegroup_version(
        clusterName="ode", nodegroupName="system", version=version
    )
    assert refusal_of(update("1.24")) == (
        "InvalidParameterException",
        400,
        "Requested Kubernetes version 1.24 is more than 2 minor versions older than "
        "the cluster's version 1.27",
    )
    assert eks.list_updates(name="ode", nodegroupName="system")["updateIds"] == []
    check_update(update("1.27")()["update"], "VersionUpdate")


# -- tags --------------------------------------------------------------------------------


def test_tags_on_every_eks_arn(eks) -> None:
    cluster = create_cluster(
        eks, accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    )
    nodegroup = create_nodegroup(eks, tags={"team": "core"})
    addon = eks.create_addon(clusterName="ode", addonName="coredns")["addon"]
    entry = eks.create_access_entry(clusterName="ode", principalArn=ADMIN_ROLE)["accessEntry"]
    for arn in (cluster["arn"], nodegroup["nodegroupArn"], addon["addonArn"], entry["accessEntryArn"]):
        eks.tag_resource(resourceArn=arn, tags={"env": "test", "drop": "me", "also": "me"})
        eks.untag_resource(resourceArn=arn, tagKeys=["drop", "also"])
        assert eks.list_tags_for_resource(resourceArn=arn)["tags"]["env"] == "test"
        assert "drop" not in eks.list_tags_for_resource(resourceArn=arn)["tags"]
    assert eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]["tags"] == {
        "team": "core",
        "env": "test",
    }
    assert eks.describe_addon(clusterName="ode", addonName="coredns")["addon"]["tags"] == {"env": "test"}
    missing = f"arn:aws:eks:us-east-1:{ACCOUNT}:nodegroup/ode/gone/{'0' * 8}-0000-0000-0000-{'0' * 12}"
    assert error_of(lambda: eks.list_tags_for_resource(resourceArn=missing)) == (
        "ResourceNotFoundException",
        404,
    )


# -- add-ons -----------------------------------------------------------------------------


def test_addon_lifecycle(eks, emulator: EmulatorClient) -> None:
    create_cluster(eks, version="1.31")
    role = f"arn:aws:iam::{ACCOUNT}:role/vpc-cni"
    addon = eks.create_addon(
        clusterName="ode",
        addonName="vpc-cni",
        serviceAccountRoleArn=role,
        configurationValues='{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}',
        tags={"team": "core"},
    )["addon"]
    assert addon["status"] == "ACTIVE"
    assert re.fullmatch(rf"arn:aws:eks:us-east-1:{ACCOUNT}:addon/ode/vpc-cni/{UUID}", addon["addonArn"])
    assert addon["addonVersion"] == default_version(eks, "vpc-cni", "1.31")
    assert (addon["clusterName"], addon["serviceAccountRoleArn"], addon["tags"]) == (
        "ode",
        role,
        {"team": "core"},
    )
    assert addon["configurationValues"] == '{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}'
    assert eks.describe_addon(clusterName="ode", addonName="vpc-cni")["addon"] == addon
    eks.create_addon(clusterName="ode", addonName="coredns", addonVersion="v1.11.3-eksbuild.1")
    assert eks.list_addons(clusterName="ode")["addons"] == ["coredns", "vpc-cni"]

    duplicate = lambda: eks.create_addon(clusterName="ode", addonName="vpc-cni")
    assert error_of(duplicate) == ("ResourceInUseException", 409)

    new_role = f"arn:aws:iam::{ACCOUNT}:role/vpc-cni-2"
    update = eks.update_addon(
        clusterName="ode",
        addonName="vpc-cni",
        addonVersion="v1.19.0-eksbuild.1",
        serviceAccountRoleArn=new_role,
        resolveConflicts="OVERWRITE",
    )["update"]
    check_update(update, "AddonUpdate")
    assert {p["type"]: p["value"] for p in update["params"]} == {
        "AddonVersion": "v1.19.0-eksbuild.1",
        "ServiceAccountRoleArn": new_role,
        "ResolveConflicts": "OVERWRITE",
    }
    assert eks.describe_update(name="ode", updateId=update["id"], addonName="vpc-cni")["update"] == update
    assert eks.list_updates(name="ode", addonName="vpc-cni")["updateIds"] == [update["id"]]
    updated = eks.describe_addon(clusterName="ode", addonName="vpc-cni")["addon"]
    assert (updated["addonVersion"], updated["status"]) == ("v1.19.0-eksbuild.1", "ACTIVE")
    assert updated["serviceAccountRoleArn"] == new_role
    assert updated["configurationValues"] == addon["configurationValues"]
    # AWS cannot take a role away by update (serviceAccountRoleArn has a minimum length).
    raw = emulator.client("eks", validate=False)
    no_role = lambda: raw.update_addon(clusterName="ode", addonName="vpc-cni", serviceAccountRoleArn="")
    assert error_of(no_role) == ("ValidationException", 400)
    (violation,) = emulator.api_models()["violations"]
    assert violation["operation"] == "UpdateAddon" and "serviceAccountRoleArn" in violation["problem"], violation
    emulator.clear_api_violations()  # made on purpose

    assert eks.delete_addon(clusterName="ode", addonName="vpc-cni")["addon"]["status"] == "DELETING"
    assert error_of(lambda: eks.describe_addon(clusterName="ode", addonName="vpc-cni")) == (
        "ResourceNotFoundException",
        404,
    )
    assert error_of(lambda: eks.delete_addon(clusterName="ode", addonName="vpc-cni")) == (
        "ResourceNotFoundException",
        404,
    )
    assert eks.list_addons(clusterName="ode")["addons"] == ["coredns"]


def test_create_addon_refusals(eks) -> None:
    create_cluster(eks, version="1.31")
    # An unknown version, a version for another Kubernetes version, an unknown add-on.
    for request in (
        {"addonName": "vpc-cni", "addonVersion": "v0.0.1-eksbuild.1"},
        {"addonName": "kube-proxy", "addonVersion": "v1.30.6-eksbuild.3"},
        {"addonName": "not-an-addon"},
    ):
        call = lambda: eks.create_addon(clusterName="ode", **request)
        assert error_of(call) == ("InvalidParameterException", 400), request
    assert eks.list_addons(clusterName="ode")["addons"] == []
    missing_cluster = lambda: eks.create_addon(clusterName="nope", addonName="vpc-cni")
    assert error_of(missing_cluster) == ("ResourceNotFoundException", 404)


def default_version(eks, addon: str, kubernetes: str) -> str:
    [info] = eks.describe_addon_versions(addonName=addon, kubernetesVersion=kubernetes)["addons"]
    [default] = [
        v["addonVersion"]
        for v in info["addonVersions"]
        for c in v["compatibilities"]
        if c["clusterVersion"] == kubernetes and c["defaultVersion"]
    ]
    return default


def test_describe_addon_versions_catalog(eks) -> None:
    everything = eks.describe_addon_versions()["addons"]
    assert set(ADDONS) <= {a["addonName"] for a in everything}
    for info in everything:
        community = info["addonName"] == "metrics-server"
        assert (info["publisher"], info["owner"]) == ("eks", "community" if community else "aws")
        assert info["type"]
        for version in info["addonVersions"]:
            assert re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", version["addonVersion"]), version
            assert version["compatibilities"]
    for addon in ADDONS:
        for kubernetes in KUBERNETES_VERSIONS:
            [info] = eks.describe_addon_versions(addonName=addon, kubernetesVersion=kubernetes)["addons"]
            assert len(info["addonVersions"]) >= 2, (addon, kubernetes)
            for version in info["addonVersions"]:
                assert [c["clusterVersion"] for c in version["compatibilities"]] == [kubernetes]
            default_version(eks, addon, kubernetes)  # exactly one default
    assert eks.describe_addon_versions(addonName="vpc-cni", kubernetesVersion="1.10")["addons"] == []
    assert {a["addonName"] for a in eks.describe_addon_versions(types=["storage"])["addons"]} == {
        "aws-ebs-csi-driver",
        "aws-efs-csi-driver",
        "snapshot-controller",
    }
    assert [a["addonName"] for a in eks.describe_addon_versions(owners=["community"])["addons"]] == [
        "metrics-server"
    ]
    pages = eks.get_paginator("describe_addon_versions").paginate(
        kubernetesVersion="1.32", PaginationConfig={"PageSize": 3}
    )
    paged = [[a["addonName"] for a in page["addons"]] for page in pages]
    assert len(paged) >= 3 and all(len(names) <= 3 for names in paged)
    assert [name for names in paged for name in names] == [
        a["addonName"] for a in eks.describe_addon_versions(kubernetesVersion="1.32")["addons"]
    ]
    bad_token = lambda: eks.describe_addon_versions(nextToken="no-such-addon")
    assert error_of(bad_token) == ("InvalidParameterException", 400)


def test_addon_configuration_schema(eks) -> None:
    """DescribeAddonConfiguration gives each add-on's schema; CreateAddon and UpdateAddon
    refuse configuration values it does not allow, as AWS does."""
    schema = eks.describe_addon_configuration(addonName="metrics-server", addonVersion="v0.7.2-eksbuild.3")
    document = json.loads(schema["configurationSchema"])
    assert document["additionalProperties"] is False
    assert document["properties"]["replicas"] == {"type": "integer"}
    missing = lambda: eks.describe_addon_configuration(addonName="metrics-server", addonVersion="v9.9.9")
    assert error_of(missing) == ("ResourceNotFoundException", 404)
    create_cluster(eks, version="1.32")
    for values in ('{"replica": 2}', '{"replicas": "two"}', '{"replicas": true}', "[1, 2]", "{not json"):
        call = lambda: eks.create_addon(clusterName="ode", addonName="metrics-server", configurationValues=values)
        assert error_of(call) == ("InvalidParameterException", 400), values
    assert eks.list_addons(clusterName="ode")["addons"] == []
    made = eks.create_addon(clusterName="ode", addonName="metrics-server", configurationValues='{"replicas": 2}')
    assert made["addon"]["configurationValues"] == '{"replicas": 2}'


def test_describe_cluster_versions(eks) -> None:
    everything = eks.describe_cluster_versions()["clusterVersions"]
    assert [v["clusterVersion"] for v in everything] == sorted(
        KUBERNETES_VERSIONS, key=lambda v: tuple(map(int, v.split("."))), reverse=True
    )
    for info in everything:
        assert info["clusterType"] == "eks"
        assert re.fullmatch(r"eks\.\d+", info["defaultPlatformVersion"])
        assert info["kubernetesPatchVersion"].startswith(info["clusterVersion"] + ".")
        assert info["releaseDate"] < info["endOfStandardSupportDate"] < info["endOfExtendedSupportDate"]
        assert (info["versionStatus"], info["status"]) in {
            ("STANDARD_SUPPORT", "standard-support"),
            ("EXTENDED_SUPPORT", "extended-support"),
        }
    [default] = [v for v in everything if v["defaultVersion"]]
    assert default["clusterVersion"] == "1.31"
    assert create_cluster(eks, version=None)["version"] == default["clusterVersion"]
    assert [
        v["clusterVersion"] for v in eks.describe_cluster_versions(defaultOnly=True)["clusterVersions"]
    ] == ["1.31"]
    # A version outside the catalog is simply absent.
    picked = eks.describe_cluster_versions(clusterVersions=["1.30", "1.19"])["clusterVersions"]
    assert [v["clusterVersion"] for v in picked] == ["1.30"]
    extended = eks.describe_cluster_versions(versionStatus="EXTENDED_SUPPORT")["clusterVersions"]
    assert [v["clusterVersion"] for v in extended] == ["1.28", "1.27", "1.26"]
    assert eks.describe_cluster_versions(clusterType="eks-local-outposts")["clusterVersions"] == []
    pages = eks.get_paginator("describe_cluster_versions").paginate(PaginationConfig={"PageSize": 2})
    assert [v["clusterVersion"] for page in pages for v in page["clusterVersions"]] == [
        v["clusterVersion"] for v in everything
    ]


def test_cluster_versions_match_the_addon_catalog(eks) -> None:
    """Every version offered can run a cluster with node groups and every catalog add-on."""
    for info in eks.describe_cluster_versions()["clusterVersions"]:
        version = info["clusterVersion"]
        for addon in ADDONS:
            default_version(eks, addon, version)
        name = "v" + version.replace(".", "-")
        create_cluster(eks, name=name, version=version)
        nodegroup = create_nodegroup(eks, cluster=name)
        assert nodegroup["releaseVersion"].startswith(version + ".")


# -- access entries ----------------------------------------------------------------------


def test_access_entry_lifecycle(eks) -> None:
    create_cluster(
        eks, accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    )
    assert eks.list_access_entries(clusterName="ode")["accessEntries"] == []
    entry = eks.create_access_entry(
        clusterName="ode", principalArn=ADMIN_ROLE, kubernetesGroups=["ops"], tags={"a": "b"}
    )["accessEntry"]
    assert (entry["clusterName"], entry["principalArn"], entry["type"]) == ("ode", ADMIN_ROLE, "STANDARD")
    assert entry["kubernetesGroups"] == ["ops"]
    assert entry["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ode-admin/{{{{SessionName}}}}"
    assert re.fullmatch(
        rf"arn:aws:eks:us-east-1:{ACCOUNT}:access-entry/ode/role/{ACCOUNT}/ode-admin/{UUID}",
        entry["accessEntryArn"],
    )
    assert eks.describe_access_entry(clusterName="ode", principalArn=ADMIN_ROLE)["accessEntry"] == entry
    duplicate = lambda: eks.create_access_entry(clusterName="ode", principalArn=ADMIN_ROLE)
    assert error_of(duplicate) == ("ResourceInUseException", 409)

    updated = eks.update_access_entry(
        clusterName="ode", principalArn=ADMIN_ROLE, kubernetesGroups=["ops", "dev"], username="admin"
    )
    assert (updated["accessEntry"]["kubernetesGroups"], updated["accessEntry"]["username"]) == (
        ["ops", "dev"],
        "admin",
    )

    answer = eks.associate_access_policy(
        clusterName="ode",
        principalArn=ADMIN_ROLE,
        policyArn=POLICY + "AmazonEKSClusterAdminPolicy",
        accessScope={"type": "cluster"},
    )
    assert (answer["clusterName"], answer["principalArn"]) == ("ode", ADMIN_ROLE)
    association = answer["associatedAccessPolicy"]
    assert association["policyArn"] == POLICY + "AmazonEKSClusterAdminPolicy"
    assert association["accessScope"] == {"type": "cluster", "namespaces": []}
    assert association["associatedAt"] and association["modifiedAt"]
    eks.associate_access_policy(
        clusterName="ode",
        principalArn=ADMIN_ROLE,
        policyArn=POLICY + "AmazonEKSViewPolicy",
        accessScope={"type": "namespace", "namespaces": ["apps", "jobs"]},
    )
    listed = eks.list_associated_access_policies(clusterName="ode", principalArn=ADMIN_ROLE)
    assert (listed["clusterName"], listed["principalArn"]) == ("ode", ADMIN_ROLE)
    assert {p["policyArn"]: p["accessScope"] for p in listed["associatedAccessPolicies"]} == {
        POLICY + "AmazonEKSClusterAdminPolicy": {"type": "cluster", "namespaces": []},
        POLICY + "AmazonEKSViewPolicy": {"type": "namespace", "namespaces": ["apps", "jobs"]},
    }
    by_policy = eks.list_access_entries(clusterName="ode", associatedPolicyArn=POLICY + "AmazonEKSViewPolicy")
    assert by_policy["accessEntries"] == [ADMIN_ROLE]

    eks.disassociate_access_policy(
        clusterName="ode", principalArn=ADMIN_ROLE, policyArn=POLICY + "AmazonEKSViewPolicy"
    )
    listed = eks.list_associated_access_policies(clusterName="ode", principalArn=ADMIN_ROLE)
    assert [p["policyArn"] for p in listed["associatedAccessPolicies"]] == [
        POLICY + "AmazonEKSClusterAdminPolicy"
    ]
    again = lambda: eks.disassociate_access_policy(
        clusterName="ode", principalArn=ADMIN_ROLE, policyArn=POLICY + "AmazonEKSViewPolicy"
    )
    assert error_of(again) == ("ResourceNotFoundException", 404)

    eks.delete_access_entry(clusterName="ode", principalArn=ADMIN_ROLE)
    assert eks.list_access_entries(clusterName="ode")["accessEntries"] == []
    missing = lambda: eks.describe_access_entry(clusterName="ode", principalArn=ADMIN_ROLE)
    assert error_of(missing) == ("ResourceNotFoundException", 404)


def test_access_entry_refusals(eks) -> None:
    create_cluster(eks, name="configmap")
    on_config_map = lambda: eks.create_access_entry(clusterName="configmap", principalArn=ADMIN_ROLE)
    assert error_of(on_config_map) == ("InvalidRequestException", 400)

    create_cluster(eks, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    not_iam = lambda: eks.create_access_entry(clusterName="ode", principalArn="arn:aws:s3:::bucket")
    assert error_of(not_iam) == ("InvalidParameterException", 400)
    eks.create_access_entry(clusterName="ode", principalArn=ADMIN_ROLE)
    for policy, scope in (
        ("AmazonEKSViewPolicy", {"type": "namespace"}),
        ("AmazonEKSViewPolicy", {"type": "cluster", "namespaces": ["apps"]}),
        ("NoSuchPolicy", {"type": "cluster"}),
    ):
        call = lambda: eks.associate_access_policy(
            clusterName="ode", principalArn=ADMIN_ROLE, policyArn=POLICY + policy, accessScope=scope
        )
        assert error_of(call) == ("InvalidParameterException", 400), (policy, scope)

    # Node roles: EKS sets their username and groups, and they take no access policy.
    node_role = lambda groups: eks.create_access_entry(
        clusterName="ode", principalArn=NODE_ROLE, type="EC2_LINUX", kubernetesGroups=groups
    )
    assert error_of(lambda: node_role(["ops"])) == ("InvalidParameterException", 400)
    entry = node_role([])["accessEntry"]
    assert (entry["type"], entry["username"]) == ("EC2_LINUX", "system:node:{{EC2PrivateDNSName}}")
    associate = lambda: eks.associate_access_policy(
        clusterName="ode",
        principalArn=NODE_ROLE,
        policyArn=POLICY + "AmazonEKSViewPolicy",
        accessScope={"type": "cluster"},
    )
    assert error_of(associate) == ("InvalidParameterException", 400)


def test_cluster_creator_gets_an_admin_access_entry(emulator: EmulatorClient, eks) -> None:
    """AWS adds one for the caller when bootstrapClusterCreatorAdminPermissions is true."""
    create_cluster(eks, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    caller = emulator.client("sts").get_caller_identity()["Arn"]  # arn:aws:sts::...:user/moto
    creator = caller.replace(":sts::", ":iam::")
    assert eks.list_access_entries(clusterName="ode")["accessEntries"] == [creator]
    [policy] = eks.list_associated_access_policies(clusterName="ode", principalArn=creator)[
        "associatedAccessPolicies"
    ]
    assert policy["policyArn"] == POLICY + "AmazonEKSClusterAdminPolicy"
    assert policy["accessScope"]["type"] == "cluster"


# -- transitions -------------------------------------------------------------------------
# Changes started with LONG_S still read transitional at the end of a test, however slow
# the machine; changes started with TRANSITION_S are waited out.


def test_creation_transitions(emulator: EmulatorClient, eks) -> None:
    emulator.set_eks_transitions(LONG_S)
    assert create_cluster(eks, name="slow")["status"] == "CREATING"
    assert eks.describe_cluster(name="slow")["cluster"]["status"] == "CREATING"
    assert error_of(lambda: create_nodegroup(eks, cluster="slow")) == ("InvalidRequestException", 400)
    assert error_of(lambda: eks.create_addon(clusterName="slow", addonName="coredns")) == (
        "InvalidRequestException",
        400,
    )
    busy = lambda: eks.update_cluster_version(name="slow", version="1.31")
    assert error_of(busy) == ("ResourceInUseException", 409)

    emulator.set_eks_transitions(TRANSITION_S)
    assert create_cluster(eks)["status"] == "CREATING"
    wait_past_transitions()
    assert eks.describe_cluster(name="ode")["cluster"]["status"] == "ACTIVE"
    assert create_nodegroup(eks)["status"] == "CREATING"
    assert eks.create_addon(clusterName="ode", addonName="kube-proxy")["addon"]["status"] == "CREATING"
    wait_past_transitions()
    assert (
        eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]["status"] == "ACTIVE"
    )
    assert eks.describe_addon(clusterName="ode", addonName="kube-proxy")["addon"]["status"] == "ACTIVE"
    assert eks.describe_cluster(name="slow")["cluster"]["status"] == "CREATING"


def cluster_with_nodegroup_and_addon(eks, name: str) -> None:
    create_cluster(eks, name=name, version="1.30")
    create_nodegroup(eks, cluster=name)
    eks.create_addon(clusterName=name, addonName="coredns")


def test_updates_in_progress(emulator: EmulatorClient, eks) -> None:
    cluster_with_nodegroup_and_addon(eks, "slow")
    emulator.set_eks_transitions(LONG_S)

    update = eks.update_cluster_version(name="slow", version="1.31")["update"]
    check_update(update, "VersionUpdate", status="InProgress")
    assert eks.describe_update(name="slow", updateId=update["id"])["update"]["status"] == "InProgress"
    cluster = eks.describe_cluster(name="slow")["cluster"]
    assert (cluster["status"], cluster["version"]) == ("UPDATING", "1.30")
    again = lambda: eks.update_cluster_version(name="slow", version="1.31")
    assert error_of(again) == ("ResourceInUseException", 409)
    logging = {"clusterLogging": [{"types": ["api"], "enabled": True}]}
    assert error_of(lambda: eks.update_cluster_config(name="slow", logging=logging)) == (
        "ResourceInUseException",
        409,
    )

    ng_update = eks.update_nodegroup_version(clusterName="slow", nodegroupName="system")["update"]
    check_update(ng_update, "VersionUpdate", status="InProgress")
    assert (
        eks.describe_nodegroup(clusterName="slow", nodegroupName="system")["nodegroup"]["status"]
        == "UPDATING"
    )
    scale = lambda: eks.update_nodegroup_config(
        clusterName="slow", nodegroupName="system", scalingConfig={"desiredSize": 1, "minSize": 1}
    )
    assert error_of(scale) == ("ResourceInUseException", 409)

    addon_update = eks.update_addon(
        clusterName="slow", addonName="coredns", addonVersion="v1.11.3-eksbuild.1"
    )["update"]
    check_update(addon_update, "AddonUpdate", status="InProgress")
    addon = eks.describe_addon(clusterName="slow", addonName="coredns")["addon"]
    assert (addon["status"], addon["addonVersion"]) == ("UPDATING", default_version(eks, "coredns", "1.30"))
    again = lambda: eks.update_addon(
        clusterName="slow", addonName="coredns", addonVersion="v1.11.3-eksbuild.1"
    )
    assert error_of(again) == ("ResourceInUseException", 409)


def test_updates_complete(emulator: EmulatorClient, eks) -> None:
    cluster_with_nodegroup_and_addon(eks, "ode")
    emulator.set_eks_transitions(TRANSITION_S)

    update = eks.update_cluster_version(name="ode", version="1.31")["update"]
    check_update(update, "VersionUpdate", status="InProgress")
    wait_past_transitions()
    assert eks.describe_update(name="ode", updateId=update["id"])["update"]["status"] == "Successful"
    cluster = eks.describe_cluster(name="ode")["cluster"]
    assert (cluster["status"], cluster["version"]) == ("ACTIVE", "1.31")

    ng_update = eks.update_nodegroup_version(clusterName="ode", nodegroupName="system", version="1.31")[
        "update"
    ]
    addon_update = eks.update_addon(
        clusterName="ode", addonName="coredns", addonVersion="v1.11.3-eksbuild.2"
    )["update"]
    assert (ng_update["status"], addon_update["status"]) == ("InProgress", "InProgress")
    wait_past_transitions()
    described = eks.describe_update(name="ode", updateId=ng_update["id"], nodegroupName="system")["update"]
    assert described["status"] == "Successful"
    nodegroup = eks.describe_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]
    assert (nodegroup["status"], nodegroup["version"]) == ("ACTIVE", "1.31")
    described = eks.describe_update(name="ode", updateId=addon_update["id"], addonName="coredns")["update"]
    assert described["status"] == "Successful"
    addon = eks.describe_addon(clusterName="ode", addonName="coredns")["addon"]
    assert (addon["status"], addon["addonVersion"]) == ("ACTIVE", "v1.11.3-eksbuild.2")


def test_deletions_in_progress(emulator: EmulatorClient, eks) -> None:
    cluster_with_nodegroup_and_addon(eks, "slow")
    create_cluster(eks, name="empty")
    emulator.set_eks_transitions(LONG_S)

    assert (
        eks.delete_nodegroup(clusterName="slow", nodegroupName="system")["nodegroup"]["status"] == "DELETING"
    )
    assert (
        eks.describe_nodegroup(clusterName="slow", nodegroupName="system")["nodegroup"]["status"]
        == "DELETING"
    )
    assert eks.delete_addon(clusterName="slow", addonName="coredns")["addon"]["status"] == "DELETING"
    assert eks.describe_addon(clusterName="slow", addonName="coredns")["addon"]["status"] == "DELETING"
    # A node group still deleting keeps its cluster.
    assert error_of(lambda: eks.delete_cluster(name="slow")) == ("ResourceInUseException", 409)

    assert eks.delete_cluster(name="empty")["cluster"]["status"] == "DELETING"
    assert eks.describe_cluster(name="empty")["cluster"]["status"] == "DELETING"
    assert eks.delete_cluster(name="empty")["cluster"]["status"] == "DELETING"  # asked again
    assert sorted(eks.list_clusters()["clusters"]) == ["empty", "slow"]


def test_deletions_complete(emulator: EmulatorClient, eks) -> None:
    cluster_with_nodegroup_and_addon(eks, "ode")
    emulator.set_eks_transitions(TRANSITION_S)

    assert (
        eks.delete_nodegroup(clusterName="ode", nodegroupName="system")["nodegroup"]["status"] == "DELETING"
    )
    assert eks.delete_addon(clusterName="ode", addonName="coredns")["addon"]["status"] == "DELETING"
    wait_past_transitions()
    assert eks.list_nodegroups(clusterName="ode")["nodegroups"] == []
    assert eks.list_addons(clusterName="ode")["addons"] == []
    missing = lambda: eks.describe_nodegroup(clusterName="ode", nodegroupName="system")
    assert error_of(missing) == ("ResourceNotFoundException", 404)

    assert eks.delete_cluster(name="ode")["cluster"]["status"] == "DELETING"
    wait_past_transitions()
    assert error_of(lambda: eks.describe_cluster(name="ode")) == ("ResourceNotFoundException", 404)
    assert eks.list_clusters()["clusters"] == []


def test_eks_setting_rejects_bad_payloads(emulator: EmulatorClient) -> None:
    for payload in ({}, {"transition_s": -1}, {"transition_s": "soon"}, {"transition_s": 1, "other": 2}, [1]):
        with pytest.raises(urllib.error.HTTPError) as info:
            emulator._post("/_ode/eks", payload)
        assert info.value.code == 400, payload


def test_reset_forgets_eks_state_and_transitions(emulator: EmulatorClient, eks) -> None:
    create_cluster(eks, accessConfig={"authenticationMode": "API"})
    create_nodegroup(eks)
    eks.create_addon(clusterName="ode", addonName="vpc-cni")
    eks.create_access_entry(clusterName="ode", principalArn=ADMIN_ROLE)
    eks.update_cluster_config(name="ode", logging={"clusterLogging": [{"types": ["api"], "enabled": True}]})
    emulator.set_eks_transitions(30)
    eks.delete_nodegroup(clusterName="ode", nodegroupName="system")

    emulator.reset()
    emulator.set_today(CALENDAR_DAY)  # a reset takes the calendar back to its default
    assert eks.list_clusters()["clusters"] == []
    cluster = create_cluster(eks)  # instant again: the transition time is back to 0
    assert cluster["status"] == "ACTIVE"
    assert eks.list_nodegroups(clusterName="ode")["nodegroups"] == []
    assert eks.list_addons(clusterName="ode")["addons"] == []
    assert eks.list_updates(name="ode")["updateIds"] == []
    assert cluster["accessConfig"]["authenticationMode"] == "CONFIG_MAP"


def test_cluster_versions_follow_the_calendar(emulator: EmulatorClient) -> None:
    """EKS's calendar read on the emulator's today (2026-12-01 unless set): released
    versions still supported are offered, with their support status; includeAll adds
    the unsupported ones; a version past its end of extended support is refused at
    create and upgrade, and a cluster left on one is moved up by AWS."""
    eks = emulator.client("eks")
    offered = eks.describe_cluster_versions()["clusterVersions"]
    assert [(v["clusterVersion"], v["versionStatus"]) for v in offered] == [
        ("1.35", "STANDARD_SUPPORT"),
        ("1.34", "STANDARD_SUPPORT"),
        ("1.33", "EXTENDED_SUPPORT"),
        ("1.32", "EXTENDED_SUPPORT"),
    ]
    (v132,) = [v for v in offered if v["clusterVersion"] == "1.32"]
    assert (v132["endOfStandardSupportDate"].date().isoformat(), v132["endOfExtendedSupportDate"].date().isoformat()) == (
        "2026-03-23",
        "2027-03-23",
    )
    everything = eks.describe_cluster_versions(includeAll=True)["clusterVersions"]
    unsupported = [v["clusterVersion"] for v in everything if v["versionStatus"] == "UNSUPPORTED"]
    assert unsupported == ["1.31", "1.30", "1.29", "1.28", "1.27", "1.26"]
    assert error_of(lambda: create_cluster(eks, version="1.29")) == ("InvalidParameterException", 400)
    assert create_cluster(eks, name="newest", version=None)["version"] == "1.34", "EKS's default is one behind"
    create_cluster(eks, version="1.32")
    assert error_of(lambda: eks.update_cluster_version(name="newest", version="1.36")) == ("InvalidParameterException", 400)

    # Before a version's release it is not offered; past its end of extended support,
    # AWS upgrades the control plane by itself, one minor at a time.
    emulator.set_today("2025-06-01")
    assert "1.34" not in [v["clusterVersion"] for v in eks.describe_cluster_versions()["clusterVersions"]]
    emulator.set_today("2027-03-23")
    assert eks.describe_cluster(name="ode")["cluster"]["version"] == "1.33"
    emulator.set_today(None)


# -- Pod Identity associations -------------------------------------------------------------


def test_pod_identity_association_lifecycle(eks, emulator: EmulatorClient) -> None:
    create_cluster(eks)
    iam = emulator.client("iam")
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}'
    role = iam.create_role(RoleName="ode-api", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    other = iam.create_role(RoleName="ode-worker", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    missing = f"arn:aws:iam::{ACCOUNT}:role/nobody"
    made = eks.create_pod_identity_association(
        clusterName="ode", namespace="ode", serviceAccount="ode-api", roleArn=role, tags={"a": "b"}
    )["association"]
    assert (made["namespace"], made["serviceAccount"], made["roleArn"], made["tags"]) == ("ode", "ode-api", role, {"a": "b"})
    assert re.fullmatch(rf"arn:aws:eks:us-east-1:{ACCOUNT}:podidentityassociation/ode/a-[a-z0-9]{{17}}", made["associationArn"])
    again = lambda: eks.create_pod_identity_association(clusterName="ode", namespace="ode", serviceAccount="ode-api", roleArn=other)
    assert error_of(again) == ("ResourceInUseException", 409)
    no_role = lambda: eks.create_pod_identity_association(clusterName="ode", namespace="ode", serviceAccount="x", roleArn=missing)
    assert error_of(no_role) == ("InvalidParameterException", 400)
    for i in range(4):
        eks.create_pod_identity_association(clusterName="ode", namespace="jobs", serviceAccount=f"job-{i}", roleArn=other)
    pages = eks.get_paginator("list_pod_identity_associations").paginate(clusterName="ode", PaginationConfig={"PageSize": 2})
    listed = [a for page in pages for a in page["associations"]]
    assert len(listed) == 5 and {a["namespace"] for a in listed} == {"ode", "jobs"}
    only = eks.list_pod_identity_associations(clusterName="ode", namespace="ode", serviceAccount="ode-api")["associations"]
    assert [a["associationId"] for a in only] == [made["associationId"]]
    updated = eks.update_pod_identity_association(clusterName="ode", associationId=made["associationId"], roleArn=other)
    assert updated["association"]["roleArn"] == other
    described = eks.describe_pod_identity_association(clusterName="ode", associationId=made["associationId"])
    assert described["association"]["roleArn"] == other
    eks.delete_pod_identity_association(clusterName="ode", associationId=made["associationId"])
    gone = lambda: eks.describe_pod_identity_association(clusterName="ode", associationId=made["associationId"])
    assert error_of(gone) == ("ResourceNotFoundException", 404)


def test_client_request_tokens_make_creates_idempotent(eks) -> None:
    """A create repeated with its clientRequestToken (a retry after a lost answer)
    answers what the first one made; without it, or with another token, EKS refuses."""
    create_cluster(eks, version="1.31")
    first = eks.create_addon(clusterName="ode", addonName="vpc-cni", clientRequestToken="t-1")["addon"]
    again = eks.create_addon(clusterName="ode", addonName="vpc-cni", clientRequestToken="t-1")["addon"]
    assert again["addonArn"] == first["addonArn"]
    other = lambda: eks.create_addon(clusterName="ode", addonName="vpc-cni", clientRequestToken="t-2")
    assert error_of(other) == ("ResourceInUseException", 409)
    assert eks.list_addons(clusterName="ode")["addons"] == ["vpc-cni"]
