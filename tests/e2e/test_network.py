"""End-to-end scenarios for the ode_network resource, run through each core.

Every scenario ends with a destroy and a check that the emulator holds nothing that
carries the network's ``ode:stack`` tag any more.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import diagnostics
from tests.support.core import Core, Result, finish, write_config
from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block

pytestmark = pytest.mark.e2e

ADDRESS = "ode_network.this"
NAME = "ode-e2e"
AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]
TIERS = ("public", "private", "isolated")
# The seed layout of 10.0.0.0/16 over AZS.
SEED_CIDRS = {
    "public": ["10.0.0.0/21", "10.0.8.0/21", "10.0.16.0/21"],
    "isolated": ["10.0.64.0/21", "10.0.72.0/21", "10.0.80.0/21"],
    "private": ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"],
}
TAGS = {"Environment": "e2e", "Team": "platform"}
# What refreshing one network may cost: one concurrent round of EC2 calls.
REFRESH_CALL_BUDGET = 9


def hcl_map(values: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in values.items()) + " }"


def hcl_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def network_config(emulator: EmulatorClient, body: str = "", *, name: str = NAME) -> str:
    """Provider blocks, one ode_network named ``name`` with ``body`` and an output holding it."""
    return (
        provider_block(emulator)
        + f"""
resource "ode_network" "this" {{
  name = {json.dumps(name)}
{body}
}}

output "network" {{
  value = ode_network.this
}}
"""
    )


def tags_line(tags: dict[str, str] = TAGS) -> str:
    return f"  tags = {hcl_map(tags)}\n"


# -- plans ---------------------------------------------------------------------------


def assert_no_changes(core: Core, workdir: Path) -> Result:
    plan = core.plan(workdir)
    assert plan.returncode == 0, "expected an empty plan\n" + plan.describe()
    return plan


def assert_changes(core: Core, workdir: Path) -> Result:
    plan = core.plan(workdir)
    assert plan.returncode == 2, "expected a non-empty plan\n" + plan.describe()
    return plan


def assert_in_place(plan: Result) -> str:
    """The plan updates the network in place; returns the text of that update."""
    marker = f"{ADDRESS} will be updated in-place"
    assert marker in plan.stdout, plan.describe()
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in plan.stdout, plan.describe()
    return plan.stdout.split(marker, 1)[1]


def network(core: Core, workdir: Path) -> dict[str, Any]:
    return core.output_json(workdir)["network"]


# -- the emulator's view -------------------------------------------------------------


_EC2_CLIENTS: dict[str, Any] = {}


def ec2_client(emulator: EmulatorClient):
    """One boto3 EC2 client per emulator (making one costs a good fraction of a second)."""
    if emulator.url not in _EC2_CLIENTS:
        _EC2_CLIENTS[emulator.url] = emulator.client("ec2")
    return _EC2_CLIENTS[emulator.url]


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def stack_children(emulator: EmulatorClient, name: str) -> list[tuple[str, str, str, dict[str, str]]]:
    """Every live object tagged ``ode:stack = name``: (kind, id, ode:key, tags).

    Live means not deleted: NAT gateways in state "deleted" (which EC2 lists for a
    while) are left out.
    """
    ec2 = ec2_client(emulator)
    found = []

    def add(kind: str, object_id: str, tags: list[dict[str, str]] | None) -> None:
        tags = tag_dict(tags)
        if tags.get("ode:stack") == name:
            found.append((kind, object_id, tags.get("ode:key", ""), tags))

    for v in ec2.describe_vpcs()["Vpcs"]:
        add("vpc", v["VpcId"], v.get("Tags"))
    for s in ec2.describe_subnets()["Subnets"]:
        add("subnet", s["SubnetId"], s.get("Tags"))
    for r in ec2.describe_route_tables()["RouteTables"]:
        add("route-table", r["RouteTableId"], r.get("Tags"))
    for g in ec2.describe_internet_gateways()["InternetGateways"]:
        add("internet-gateway", g["InternetGatewayId"], g.get("Tags"))
    for n in ec2.describe_nat_gateways()["NatGateways"]:
        if n["State"] != "deleted":
            add("nat-gateway", n["NatGatewayId"], n.get("Tags"))
    for a in ec2.describe_addresses()["Addresses"]:
        add("elastic-ip", a["AllocationId"], a.get("Tags"))
    for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        if e["State"].lower() not in ("deleted", "rejected", "expired"):
            add("vpc-endpoint", e["VpcEndpointId"], e.get("Tags"))
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        add("security-group", g["GroupId"], g.get("Tags"))
    return found


def assert_no_stack_objects(emulator: EmulatorClient, name: str = NAME) -> None:
    """Fail naming every VPC, subnet, route table, gateway or EIP still tagged for ``name``."""
    left = [f"{kind} {object_id} ({key})" for kind, object_id, key, _ in stack_children(emulator, name)]
    assert not left, f"left behind for ode:stack={name}: " + ", ".join(left)


def only_default_vpc(emulator: EmulatorClient) -> None:
    vpcs = ec2_client(emulator).describe_vpcs()["Vpcs"]
    extra = [v["VpcId"] for v in vpcs if not v.get("IsDefault")]
    assert not extra, f"VPCs besides the default one: {extra}"


def default_route(table: dict[str, Any]) -> dict[str, Any] | None:
    return next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)


def route_tables_by_id(emulator: EmulatorClient, vpc_id: str) -> dict[str, dict[str, Any]]:
    tables = ec2_client(emulator).describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return {t["RouteTableId"]: t for t in tables["RouteTables"]}


def associated_subnets(table: dict[str, Any]) -> set[str]:
    return {a["SubnetId"] for a in table.get("Associations", []) if a.get("SubnetId")}


def live_nats(emulator: EmulatorClient, vpc_id: str) -> dict[str, dict[str, Any]]:
    nats = ec2_client(emulator).describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    # A failed gateway holds nothing (AWS removes it after a while).
    return {n["NatGatewayId"]: n for n in nats["NatGateways"] if n["State"] not in ("deleted", "failed")}


def assert_private_egress(emulator: EmulatorClient, net: dict[str, Any], nat_az: dict[str, str]) -> None:
    """Each zone's private route table routes 0.0.0.0/0 to the NAT ``nat_az[zone]`` names
    and holds exactly that zone's private subnet."""
    tables = route_tables_by_id(emulator, net["vpc_id"])
    nats = live_nats(emulator, net["vpc_id"])
    for az, table_id in zip(net["availability_zones"], net["private_route_table_ids"]):
        table = tables[table_id]
        assert associated_subnets(table) == {net["private_subnet_ids_by_az"][az]}, (az, table)
        route = default_route(table)
        assert route is not None, f"private route table {table_id} ({az}) has no default route: {table}"
        assert route.get("NatGatewayId") == nat_az[az], (az, route)
        nat = nats[nat_az[az]]
        assert nat["State"] == "available", nat
        # The NAT sits in the public subnet of its own zone.
        home = dict(zip(net["nat_gateway_ids"], nat_zones(net)))[nat["NatGatewayId"]]
        assert nat["SubnetId"] == net["public_subnet_ids_by_az"][home], (az, nat)
        assert tag_dict(nat["Tags"])["ode:key"] == f"nat/{home}", nat


def nat_zones(net: dict[str, Any]) -> list[str]:
    if net["nat_gateways"] == "single":
        return net["availability_zones"][:1]
    if net["nat_gateways"] == "none":
        return []
    return list(net["availability_zones"])


# -- the seed network ----------------------------------------------------------------


def assert_seed_outputs(net: dict[str, Any]) -> None:
    """The computed attributes of the seed layout (10.0.0.0/16 over AZS, NAT per zone)."""
    vpc_id = net["vpc_id"]
    assert re.fullmatch(r"vpc-[0-9a-f]+", vpc_id), net
    assert net["id"] == vpc_id
    assert re.fullmatch(rf"arn:aws:ec2:us-east-1:\d{{12}}:vpc/{vpc_id}", net["vpc_arn"]), net["vpc_arn"]
    assert net["availability_zones"] == AZS
    assert net["cidr_block"] == "10.0.0.0/16"
    assert re.fullmatch(r"igw-[0-9a-f]+", net["internet_gateway_id"]), net
    assert re.fullmatch(r"sg-[0-9a-f]+", net["default_security_group_id"]), net
    all_ids = []
    for tier in TIERS:
        ids, cidrs = net[f"{tier}_subnet_ids"], net[f"{tier}_subnet_cidrs"]
        assert cidrs == SEED_CIDRS[tier], (tier, cidrs)
        assert len(ids) == 3 and all(re.fullmatch(r"subnet-[0-9a-f]+", i) for i in ids), (tier, ids)
        assert net[f"{tier}_subnet_ids_by_az"] == dict(zip(AZS, ids)), tier
        assert net[f"{tier}_subnet_cidrs_by_az"] == dict(zip(AZS, cidrs)), tier
        all_ids += ids
    assert len(set(all_ids)) == 9, all_ids
    assert len(net["nat_gateway_ids"]) == 3 and len(set(net["nat_gateway_ids"])) == 3, net["nat_gateway_ids"]
    assert len(net["nat_public_ips"]) == 3 and len(set(net["nat_public_ips"])) == 3, net["nat_public_ips"]
    for ip in net["nat_public_ips"]:
        assert ipaddress.ip_address(ip).version == 4
    assert len(net["private_route_table_ids"]) == 3 and len(set(net["private_route_table_ids"])) == 3
    route_tables = [net["public_route_table_id"], net["isolated_route_table_id"], *net["private_route_table_ids"]]
    assert all(re.fullmatch(r"rtb-[0-9a-f]+", r) for r in route_tables), route_tables
    assert len(set(route_tables)) == 5, route_tables
    assert net["isolation"] == "verified"
    assert net["egress"] == "verified"


def assert_seed_in_emulator(emulator: EmulatorClient, net: dict[str, Any]) -> None:
    """What the seed network must look like in EC2."""
    ec2 = ec2_client(emulator)
    vpc_id = net["vpc_id"]
    [vpc] = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    for attribute, key in [("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")]:
        assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"] is True, attribute

    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]}
    for tier in TIERS:
        for az, subnet_id in net[f"{tier}_subnet_ids_by_az"].items():
            subnet = subnets[subnet_id]
            assert subnet["AvailabilityZone"] == az, subnet
            assert subnet["CidrBlock"] == net[f"{tier}_subnet_cidrs_by_az"][az], subnet
            # Only public subnets give instances public IPs.
            assert subnet["MapPublicIpOnLaunch"] is (tier == "public"), subnet
            assert tag_dict(subnet["Tags"])["ode:key"] == f"subnet/{tier}/{az}"

    tables = route_tables_by_id(emulator, vpc_id)
    public = tables[net["public_route_table_id"]]
    assert associated_subnets(public) == set(net["public_subnet_ids"]), public
    route = default_route(public)
    assert route is not None and route.get("GatewayId") == net["internet_gateway_id"], public
    isolated = tables[net["isolated_route_table_id"]]
    assert associated_subnets(isolated) == set(net["isolated_subnet_ids"]), isolated
    assert default_route(isolated) is None, isolated
    endpoints = set(net["vpc_endpoint_ids"].values())
    for r in isolated["Routes"]:
        # The VPC's local route and the network's own gateway endpoints (S3's by
        # default, to a prefix list): no way to the internet.
        local = r.get("GatewayId") == "local"
        endpoint = r.get("GatewayId") in endpoints and r.get("DestinationPrefixListId", "").startswith("pl-")
        assert local or endpoint, isolated
    assert_private_egress(emulator, net, dict(zip(AZS, net["nat_gateway_ids"])))
    nats = live_nats(emulator, vpc_id)
    assert sorted(nats) == sorted(net["nat_gateway_ids"])
    for nat_id, ip in zip(net["nat_gateway_ids"], net["nat_public_ips"]):
        assert nats[nat_id]["NatGatewayAddresses"][0]["PublicIp"] == ip

    [igw] = ec2.describe_internet_gateways(InternetGatewayIds=[net["internet_gateway_id"]])["InternetGateways"]
    assert [a["VpcId"] for a in igw["Attachments"]] == [vpc_id], igw

    [sg] = ec2.describe_security_groups(GroupIds=[net["default_security_group_id"]])["SecurityGroups"]
    assert sg["GroupName"] == "default" and sg["VpcId"] == vpc_id
    assert sg["IpPermissions"] == [] and sg["IpPermissionsEgress"] == [], sg


def assert_stack_complete(emulator: EmulatorClient, name: str = NAME, azs: list[str] = AZS) -> dict[str, str]:
    """Exactly one object per ode:key of the full network over ``azs``, nothing else.

    Returns {ode:key: object id}.
    """
    children = stack_children(emulator, name)
    counts = Counter(key for _, _, key, _ in children)
    expected = {"vpc", "igw", "rtb/public", "rtb/isolated", "vpce/s3"}
    for az in azs:
        expected |= {f"subnet/{t}/{az}" for t in TIERS}
        expected |= {f"rtb/private/{az}", f"nat/{az}", f"eip/{az}"}
    assert set(counts) == expected, f"keys: {sorted(counts)}; expected {sorted(expected)}"
    duplicated = {k: n for k, n in counts.items() if n != 1}
    assert not duplicated, f"duplicated children: {duplicated}; all: {children}"
    return {key: object_id for _, object_id, key, _ in children}


def apply_seed(core: Core, emulator: EmulatorClient, workdir: Path, body: str = "") -> dict[str, Any]:
    write_config(workdir, network_config(emulator, body or tags_line()))
    core.init(workdir)
    core.apply(workdir)
    return network(core, workdir)


def destroy_and_check(core: Core, emulator: EmulatorClient, workdir: Path, name: str = NAME) -> None:
    core.destroy(workdir)
    assert_no_stack_objects(emulator, name)
    only_default_vpc(emulator)


# -- scenarios -----------------------------------------------------------------------


def test_network_basic(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    net = apply_seed(core, emulator, workdir)
    assert_seed_outputs(net)
    assert net["tags"] == TAGS
    assert_no_changes(core, workdir)
    assert core.state_resource(workdir, ADDRESS)["vpc_id"] == net["vpc_id"]
    assert_seed_in_emulator(emulator, net)
    assert_stack_complete(emulator)
    destroy_and_check(core, emulator, workdir)


REFRESH_ACTIONS = Counter(
    {
        "DescribeVpcs": 1,
        "DescribeSubnets": 1,
        "DescribeRouteTables": 1,
        "DescribeNatGateways": 1,
        "DescribeInternetGateways": 1,
        "DescribeSecurityGroups": 1,
        "DescribeVpcAttribute": 2,
        "DescribeVpcEndpoints": 1,
    }
)


def ec2_calls(emulator: EmulatorClient) -> list[str]:
    return [action for service, action in emulator.call_names() if service == "ec2"]


@pytest.mark.no_chaos
def test_network_refresh_budget(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    apply_seed(core, emulator, workdir)

    # The first read after the create ends its claim: one DeleteTags of the VPC's
    # mark (kit::claim); later reads make none.
    emulator.reset_calls()
    assert core.plan(workdir, "-refresh-only").returncode == 0
    assert [a for a in ec2_calls(emulator) if not a.startswith("Describe")] == ["DeleteTags"]

    # A refresh-only plan reads the network (ReadResource) and plans nothing.
    emulator.reset_calls()
    refresh = core.plan(workdir, "-refresh-only")
    assert refresh.returncode == 0, refresh.describe()
    refresh_calls = ec2_calls(emulator)
    print(f"{core.name}: plan -refresh-only made {len(refresh_calls)} EC2 calls: {Counter(refresh_calls)}")
    assert len(refresh_calls) <= REFRESH_CALL_BUDGET, refresh_calls
    assert Counter(refresh_calls) == REFRESH_ACTIONS, refresh_calls

    # A normal plan reads the same way, then lists the region's zones once to plan.
    emulator.reset_calls()
    assert_no_changes(core, workdir)
    plan_calls = ec2_calls(emulator)
    print(f"{core.name}: plan made {len(plan_calls)} EC2 calls: {Counter(plan_calls)}")
    counts = Counter(plan_calls)
    assert counts.pop("DescribeAvailabilityZones", 0) == 1, plan_calls
    assert sum(counts.values()) <= REFRESH_CALL_BUDGET, plan_calls
    assert counts == REFRESH_ACTIONS, plan_calls
    # The refresh is done before the plan lists the zones.
    assert plan_calls.index("DescribeAvailabilityZones") == len(plan_calls) - 1, plan_calls

    destroy_and_check(core, emulator, workdir)


def child_tag_sets(emulator: EmulatorClient) -> dict[str, dict[str, str]]:
    """Tags of the VPC, subnets, route tables, internet gateway, NAT gateways and
    elastic IPs, by ode:key."""
    return {
        key: tags
        for kind, _, key, tags in stack_children(emulator, NAME)
        if kind in {"vpc", "subnet", "route-table", "internet-gateway", "nat-gateway", "elastic-ip"}
    }


def test_network_update_tags(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    before = apply_seed(core, emulator, workdir)
    tag_sets = child_tag_sets(emulator)
    assert len(tag_sets) == 1 + 9 + 5 + 1 + 3 + 3, sorted(tag_sets)
    for key, tags in tag_sets.items():
        assert {k: tags.get(k) for k in TAGS} == TAGS, (key, tags)

    new_tags = {"Environment": "staging", "CostCenter": "42"}
    write_config(workdir, network_config(emulator, tags_line(new_tags)))
    update = assert_in_place(assert_changes(core, workdir))
    assert "forces replacement" not in update
    core.apply(workdir)
    after = network(core, workdir)
    assert after["tags"] == new_tags
    for attribute in ("vpc_id", "public_subnet_ids", "private_subnet_ids", "isolated_subnet_ids", "nat_gateway_ids"):
        assert after[attribute] == before[attribute], attribute

    tag_sets = child_tag_sets(emulator)
    assert len(tag_sets) == 1 + 9 + 5 + 1 + 3 + 3, sorted(tag_sets)
    for key, tags in tag_sets.items():
        assert {k: tags.get(k) for k in new_tags} == new_tags, (key, tags)
        assert "Team" not in tags, (key, tags)
        assert tags["ode:stack"] == NAME and tags["ode:key"] == key, (key, tags)
        assert tags["Name"].startswith(NAME), (key, tags)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


def test_network_nat_single_to_per_az(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    before = apply_seed(core, emulator, workdir, tags_line() + '  nat_gateways = "single"\n')
    assert len(before["nat_gateway_ids"]) == 1 and len(before["nat_public_ips"]) == 1, before
    [single] = before["nat_gateway_ids"]
    # Every zone leaves through the single NAT in the first zone.
    assert_private_egress(emulator, before, {az: single for az in AZS})
    assert before["egress"] == "verified"

    write_config(workdir, network_config(emulator, tags_line() + '  nat_gateways = "one_per_az"\n'))
    update = assert_in_place(assert_changes(core, workdir))
    assert re.search(r'nat_gateways\s+= "single" -> "one_per_az"', update), update
    core.apply(workdir)
    after = network(core, workdir)
    assert after["vpc_id"] == before["vpc_id"]
    for tier in TIERS:
        assert after[f"{tier}_subnet_ids"] == before[f"{tier}_subnet_ids"], tier
    assert after["private_route_table_ids"] == before["private_route_table_ids"]
    assert len(after["nat_gateway_ids"]) == 3 and len(set(after["nat_gateway_ids"])) == 3, after
    assert len(set(after["nat_public_ips"])) == 3, after
    # The single NAT was the first zone's, and it is kept.
    assert after["nat_gateway_ids"][0] == single
    assert after["nat_public_ips"][0] == before["nat_public_ips"][0]
    assert sorted(live_nats(emulator, after["vpc_id"])) == sorted(after["nat_gateway_ids"])
    assert_private_egress(emulator, after, dict(zip(AZS, after["nat_gateway_ids"])))
    assert after["egress"] == "verified"
    assert_stack_complete(emulator)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


@pytest.mark.no_chaos
def test_network_nat_failed(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A NAT gateway AWS could not make reads ``failed`` with a FailureCode: the apply
    fails with AWS's reason, the gateways that did come up are kept, the failed one is
    not counted as the zone's, and the re-apply (the cause gone) makes it again."""
    before = apply_seed(core, emulator, workdir, tags_line() + '  nat_gateways = "single"\n')
    reason = "Subnet has insufficient free addresses to create this NAT gateway"
    emulator.fail_next("nat", "us-east-1b", reason, code="InsufficientFreeAddressesInSubnet")
    write_config(workdir, network_config(emulator, tags_line() + '  nat_gateways = "one_per_az"\n'))
    failed = diagnostics.apply_errors(core, workdir)
    assert failed.failed, failed.describe()
    text = failed.text()
    assert "InsufficientFreeAddressesInSubnet" in text and reason in text, failed.describe()
    after = network(core, workdir)
    assert after["vpc_id"] == before["vpc_id"]
    assert before["nat_gateway_ids"][0] in after["nat_gateway_ids"]
    plan = core.plan(workdir)
    assert plan.returncode == 2, plan.describe()
    core.apply(workdir)
    after = network(core, workdir)
    assert len(set(after["nat_gateway_ids"])) == 3, after
    assert sorted(live_nats(emulator, after["vpc_id"])) == sorted(after["nat_gateway_ids"])
    assert_private_egress(emulator, after, dict(zip(AZS, after["nat_gateway_ids"])))
    assert_stack_complete(emulator)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


def test_network_add_az(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    two = AZS[:2]
    before = apply_seed(core, emulator, workdir, tags_line() + f"  availability_zones = {hcl_list(two)}\n")
    assert before["availability_zones"] == two
    for tier in TIERS:
        assert before[f"{tier}_subnet_cidrs"] == SEED_CIDRS[tier][:2], tier
    assert len(before["nat_gateway_ids"]) == 2
    assert_stack_complete(emulator, azs=two)

    write_config(workdir, network_config(emulator, tags_line() + f"  availability_zones = {hcl_list(AZS)}\n"))
    assert_in_place(assert_changes(core, workdir))
    core.apply(workdir)
    after = network(core, workdir)
    assert after["vpc_id"] == before["vpc_id"]
    assert_seed_outputs(after)
    for tier in TIERS:
        # The first two zones' subnets are the same objects; the third zone's are new.
        assert after[f"{tier}_subnet_ids"][:2] == before[f"{tier}_subnet_ids"], tier
        assert after[f"{tier}_subnet_ids"][2] not in before[f"{tier}_subnet_ids"], tier
    assert after["nat_gateway_ids"][:2] == before["nat_gateway_ids"]
    assert after["private_route_table_ids"][:2] == before["private_route_table_ids"]
    assert_seed_in_emulator(emulator, after)
    assert_stack_complete(emulator)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


def test_network_disappears_subnet(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    before = apply_seed(core, emulator, workdir)
    ec2 = ec2_client(emulator)
    az = AZS[1]
    gone = before["private_subnet_ids_by_az"][az]
    # EC2 drops a deleted subnet's route table association; moto 5.2.5 keeps it dangling,
    # so remove it first.
    table = route_tables_by_id(emulator, before["vpc_id"])[before["private_route_table_ids"][1]]
    for association in table["Associations"]:
        if association.get("SubnetId") == gone:
            ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    ec2.delete_subnet(SubnetId=gone)

    plan = assert_changes(core, workdir)
    assert_in_place(plan)
    core.apply(workdir)
    after = network(core, workdir)
    new = after["private_subnet_ids_by_az"][az]
    assert new != gone
    assert after["private_subnet_cidrs_by_az"][az] == SEED_CIDRS["private"][1]
    assert after["private_subnet_ids_by_az"] == {**before["private_subnet_ids_by_az"], az: new}
    assert after["egress"] == "verified"
    [subnet] = ec2.describe_subnets(SubnetIds=[new])["Subnets"]
    assert subnet["CidrBlock"] == SEED_CIDRS["private"][1] and subnet["AvailabilityZone"] == az
    assert_seed_in_emulator(emulator, after)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


def test_network_disappears_nat(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    before = apply_seed(core, emulator, workdir)
    az = AZS[2]
    gone = before["nat_gateway_ids"][2]
    ec2 = ec2_client(emulator)
    [allocation] = [a["AllocationId"] for a in live_nats(emulator, before["vpc_id"])[gone]["NatGatewayAddresses"]]
    ec2.delete_nat_gateway(NatGatewayId=gone)
    # moto 5.2.5 leaves the elastic IP associated with the deleted gateway (AWS frees it
    # once deletion finishes): the provider must free it before reusing it.
    [address] = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"]
    assert address.get("AssociationId"), address
    assert gone not in live_nats(emulator, before["vpc_id"])

    plan = assert_changes(core, workdir)
    assert_in_place(plan)
    core.apply(workdir)
    after = network(core, workdir)
    new = after["nat_gateway_ids"][2]
    assert new != gone
    assert after["nat_gateway_ids"][:2] == before["nat_gateway_ids"][:2]
    assert_private_egress(emulator, after, {**dict(zip(AZS, before["nat_gateway_ids"])), az: new})
    assert after["egress"] == "verified"
    assert_seed_in_emulator(emulator, after)
    assert_stack_complete(emulator)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


def test_network_isolation_drift(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    before = apply_seed(core, emulator, workdir)
    ec2 = ec2_client(emulator)
    table_id = before["isolated_route_table_id"]
    ec2.create_route(
        RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=before["internet_gateway_id"]
    )

    plan = assert_changes(core, workdir)
    update = assert_in_place(plan)
    assert re.search(r'isolation\s+= "violated: [^"]*' + re.escape(table_id), update), update
    assert re.search(r'isolation\s+= "violated: .*" -> "verified"', update), update
    core.apply(workdir)
    after = network(core, workdir)
    assert after["isolation"] == "verified"
    table = route_tables_by_id(emulator, before["vpc_id"])[table_id]
    assert default_route(table) is None, table
    assert_seed_in_emulator(emulator, after)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


@pytest.mark.no_chaos
def test_network_throttling_waited_out(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """AWS throttling several times in a row, on creates and on reads, is waited out
    by the provider's retry policy (the SDK's standard policy gave up after three
    attempts): the apply succeeds without a diagnostic, nothing is made twice, and the
    second plan is empty. call_timeout bounds unanswered requests only: waiting out
    throttled (answered) ones may take longer (2 s here)."""
    throttled = {"CreateSubnet": 6, "CreateRouteTable": 4, "DescribeRouteTables": 4}
    for action, times in throttled.items():
        emulator.add_fault("ec2", action, "RequestLimitExceeded", status=503, message="Request limit exceeded.", times=times)
    write_config(workdir, network_config(emulator, tags_line() + '  nat_gateways = "single"\n').replace('provider "ode" {', 'provider "ode" {\n  call_timeout = "2s"', 1))
    core.init(workdir)
    core.apply(workdir)
    net = network(core, workdir)
    calls = emulator.calls()
    for action, times in throttled.items():
        refused = [c for c in calls if c["action"] == action and c["status"] == 503]
        assert len(refused) == times, (action, len(refused))
        answered = [c for c in calls if c["action"] == action]
        print(f"{core.name}: {action} waited out {times} throttles in {answered[-1]['t_end'] - refused[0]['t_start']:.1f} s")
    keys = Counter(key for _, _, key, _ in stack_children(emulator, NAME))
    assert all(n == 1 for n in keys.values()), keys
    assert len(net["private_subnet_ids"]) == 3 and len(net["private_route_table_ids"]) == 3
    assert_no_changes(core, workdir)

    # max_retries still bounds the retries: with 2, the third throttle of one call ends it.
    hcl = network_config(emulator, tags_line() + '  nat_gateways = "single"\n')
    write_config(workdir, hcl.replace('provider "ode" {', 'provider "ode" {\n  max_retries = 2', 1))
    emulator.add_fault("ec2", "DescribeVpcs", "RequestLimitExceeded", status=503, message="Request limit exceeded.", times=3)
    plan = core.plan(workdir, check=False)
    assert plan.returncode == 1 and "RequestLimitExceeded" in plan.stderr, plan.describe()
    emulator.clear_faults()
    write_config(workdir, network_config(emulator, tags_line() + '  nat_gateways = "single"\n'))
    destroy_and_check(core, emulator, workdir)


INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "sts", "logs"]


def endpoints_by_service(emulator: EmulatorClient, vpc_id: str) -> dict[str, dict[str, Any]]:
    """The VPC's live endpoints by short service name (``s3``, ``ecr.api``)."""
    listed = ec2_client(emulator).describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return {
        e["ServiceName"].split(".", 3)[3]: e
        for e in listed["VpcEndpoints"]
        if e["State"].lower() not in ("deleted", "rejected", "expired")
    }


def assert_endpoints(emulator: EmulatorClient, net: dict[str, Any], gateway: list[str], interface: list[str]) -> None:
    """The endpoints EC2 holds are the network's: gateway ones on the private and isolated
    route tables (with their prefix-list routes), interface ones in the private subnets
    behind the endpoint security group, which admits HTTPS from the VPC only."""
    found = endpoints_by_service(emulator, net["vpc_id"])
    assert sorted(found) == sorted(gateway + interface), found
    assert net["vpc_endpoint_ids"] == {service: e["VpcEndpointId"] for service, e in found.items()}
    tables = set(net["private_route_table_ids"]) | {net["isolated_route_table_id"]}
    by_id = route_tables_by_id(emulator, net["vpc_id"])
    for service in gateway:
        endpoint = found[service]
        assert endpoint["VpcEndpointType"] == "Gateway"
        assert set(endpoint["RouteTableIds"]) == tables, endpoint
        for table in tables:
            routes = [r for r in by_id[table]["Routes"] if r.get("GatewayId") == endpoint["VpcEndpointId"]]
            assert len(routes) == 1 and routes[0]["DestinationPrefixListId"].startswith("pl-"), by_id[table]
        assert default_route(by_id[net["public_route_table_id"]])["GatewayId"] == net["internet_gateway_id"]
    group = net["endpoint_security_group_id"]
    for service in interface:
        endpoint = found[service]
        assert endpoint["VpcEndpointType"] == "Interface"
        assert sorted(endpoint["SubnetIds"]) == sorted(net["private_subnet_ids"]), endpoint
        assert [g["GroupId"] for g in endpoint["Groups"]] == [group]
        assert endpoint["PrivateDnsEnabled"] is True
    if interface:
        [sg] = ec2_client(emulator).describe_security_groups(GroupIds=[group])["SecurityGroups"]
        assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]]) for p in sg["IpPermissions"]] == [
            ("tcp", 443, 443, ["10.0.0.0/16"])
        ]
    else:
        assert group is None


def test_network_endpoints(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """VPC endpoints: refused at plan when the region does not offer them (nothing made);
    the S3 gateway endpoint by default and four interface endpoints, read back, priced
    per zone; drift (a route table taken off the S3 endpoint, an endpoint deleted) shown
    by the next plan and repaired; a changed list updates in place; nothing left after
    destroy."""
    for bad, message in (
        ('  interface_endpoints = ["sts", "no-such-service"]', 'offers no VPC endpoint service "com.amazonaws.us-east-1.no-such-service"'),
        ('  gateway_endpoints = ["s3", "sqs"]', "gateway endpoints exist for"),
        ('  interface_endpoints = ["s3"]\n  gateway_endpoints   = ["s3"]', '"s3" is in both gateway_endpoints and interface_endpoints'),
    ):
        hcl = network_config(emulator, tags_line() + bad + "\n")
        write_config(workdir, hcl)
        core.init(workdir)
        diagnosed = diagnostics.error_diagnostics(core, workdir)
        diagnostics.assert_error_at(diagnosed, message, "main.tf", attribute_line(hcl, bad.split("=")[0].strip()))
    only_default_vpc(emulator)

    body = tags_line() + f"  interface_endpoints = {hcl_list(INTERFACE_ENDPOINTS)}\n"
    net = apply_seed(core, emulator, workdir, body)
    assert net["gateway_endpoints"] == ["s3"]
    assert_endpoints(emulator, net, ["s3"], INTERFACE_ENDPOINTS)
    # $0.01 per zone-hour for each interface endpoint: 4 endpoints in 3 zones.
    assert net["cost_items"]["VPC Endpoints"] == 87.6, net["cost_items"]
    assert net["egress"] == "verified"
    assert_no_changes(core, workdir)

    ec2 = ec2_client(emulator)
    ids = net["vpc_endpoint_ids"]
    ec2.modify_vpc_endpoint(VpcEndpointId=ids["s3"], RemoveRouteTableIds=[net["isolated_route_table_id"]])
    ec2.delete_vpc_endpoints(VpcEndpointIds=[ids["sts"]])
    update = assert_in_place(assert_changes(core, workdir))
    assert "the s3 endpoint" in update and "the sts endpoint is missing" in update, update
    core.apply(workdir)
    net = network(core, workdir)
    assert_endpoints(emulator, net, ["s3"], INTERFACE_ENDPOINTS)
    assert net["vpc_endpoint_ids"]["s3"] == ids["s3"] and net["vpc_endpoint_ids"]["sts"] != ids["sts"]
    assert_no_changes(core, workdir)

    body = tags_line() + '  gateway_endpoints   = ["s3", "dynamodb"]\n  interface_endpoints = ["ecr.api"]\n'
    write_config(workdir, network_config(emulator, body))
    assert_in_place(assert_changes(core, workdir))
    core.apply(workdir)
    net = network(core, workdir)
    assert_endpoints(emulator, net, ["s3", "dynamodb"], ["ecr.api"])
    assert net["cost_items"]["VPC Endpoints"] == 21.9, net["cost_items"]
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


def test_network_import(core: Core, emulator: EmulatorClient, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    net = apply_seed(core, emulator, first)
    write_config(second, network_config(emulator, tags_line()))
    core.init(second)

    # IDs that do not name a network of this provider are refused.
    for bad_id, message in [("subnet-123", "VPC ID"), ("vpc-0000000000000000", "No such VPC")]:
        refused = core.import_(second, ADDRESS, bad_id, check=False)
        assert refused.returncode != 0, refused.describe()
        assert message in refused.output, refused.describe()
    default_vpc = next(v["VpcId"] for v in ec2_client(emulator).describe_vpcs()["Vpcs"] if v.get("IsDefault"))
    refused = core.import_(second, ADDRESS, default_vpc, check=False)
    assert refused.returncode != 0 and "not created by ode_network" in refused.output, refused.describe()

    emulator.reset_calls()
    core.import_(second, ADDRESS, net["vpc_id"])
    assert not [a for a in ec2_calls(emulator) if not a.startswith("Describe")], ec2_calls(emulator)
    assert_no_changes(core, second)
    imported = core.state_resource(second, ADDRESS)
    for attribute, value in net.items():
        if attribute in ("timeouts", "public", "private", "isolated", "az_count"):
            continue  # configuration the VPC does not record
        if value is None and attribute == "interface_endpoints":
            assert imported[attribute] == [], imported[attribute]  # the implied default, spelled out
            continue
        assert imported[attribute] == value, (attribute, imported[attribute], value)

    # The second workdir now owns the network; the first forgets it.
    core.run(first, "state", "rm", ADDRESS)
    destroy_and_check(core, emulator, second)


# (case id, resource body, the attribute the error is attached to, what the error says).
# A body of None keeps the default body and takes the name from BAD_NAMES.
BAD_INPUTS: list[tuple[str, str | None, str, str]] = [
    ("cidr-malformed", 'cidr_block = "10.0.0/16"', "cidr_block", "is not an IPv4 CIDR block"),
    ("cidr-leading-zero", 'cidr_block = "010.0.0.0/16"', "cidr_block", "without leading zeros"),
    ("cidr-host-bits", 'cidr_block = "10.0.0.1/16"', "cidr_block", "has host bits set"),
    ("cidr-too-large", 'cidr_block = "10.0.0.0/8"', "cidr_block", "between 16 and 28; got /8"),
    ("cidr-too-small", 'cidr_block = "10.0.0.0/29"', "cidr_block", "between 16 and 28; got /29"),
    (
        "cidrs-overlap",
        'private {\n    cidrs = { "us-east-1a" = "10.0.0.0/24" }\n  }',
        "private.cidrs",
        "overlaps the public subnet in us-east-1a",
    ),
    (
        "cidrs-outside-vpc",
        'public {\n    cidrs = { "us-east-1a" = "10.1.0.0/24" }\n  }',
        "public.cidrs",
        "is not inside the VPC",
    ),
    (
        "cidrs-unknown-zone",
        'public {\n    cidrs = { "us-east-1d" = "10.0.24.0/21" }\n  }',
        "public.cidrs",
        "not one of the network's availability zones",
    ),
    (
        "cidrs-malformed",
        'isolated {\n    cidrs = { "us-east-1a" = "10.0.64.0" }\n  }',
        "isolated.cidrs",
        "is not a CIDR block",
    ),
    (
        "cidrs-overlap-known-zones",
        'availability_zones = ["us-east-1a", "us-east-1b"]\n'
        '  isolated {\n    cidrs = { "us-east-1b" = "10.0.64.0/20" }\n  }',
        "isolated.cidrs",
        "overlaps the isolated subnet in us-east-1a",
    ),
    ("zones-duplicate", 'availability_zones = ["us-east-1a", "us-east-1a"]', "availability_zones", "more than once"),
    ("zones-empty", "availability_zones = []", "availability_zones", "at least one availability zone"),
    (
        "zone-bad-letter",
        'availability_zones = ["us-east-1a", "us-east-1z"]',
        "availability_zones",
        '"us-east-1z": availability zone names must end in a letter a to h',
    ),
    (
        "zone-other-region",
        'availability_zones = ["us-east-1a", "us-west-2b"]',
        "availability_zones",
        '"us-west-2b" is not an available zone of us-east-1',
    ),
    ("az-count-exceeds-region", "az_count = 8", "az_count", "offers 6 zones"),
    ("az-count-zero", "az_count = 0", "az_count", "az_count must be 1 to 8"),
    (
        "az-count-and-zones",
        'az_count = 2\n  availability_zones = ["us-east-1a", "us-east-1b"]',
        "az_count",
        "either availability_zones or az_count",
    ),
    ("nat-unknown-strategy", 'nat_gateways = "two_per_az"', "nat_gateways", "is not a NAT strategy"),
    ("nat-without-public", "public {\n    enabled = false\n  }", "public.enabled", "NAT gateways need public subnets"),
    (
        "prefix-length-too-short",
        "private {\n    prefix_length = 12\n  }",
        "private.prefix_length",
        "Subnet prefix lengths are 16 to 28; got 12",
    ),
    (
        "prefix-length-too-long",
        "private {\n    prefix_length = 30\n  }",
        "private.prefix_length",
        "Subnet prefix lengths are 16 to 28; got 30",
    ),
    (
        "prefix-length-larger-than-slot",
        "public {\n    prefix_length = 18\n  }",
        "public.prefix_length",
        "between 21 and 28 in a /16 VPC; got 18",
    ),
    ("tag-aws-prefix", 'tags = { "aws:owner" = "me" }', "tags", 'reserved prefix "aws:"'),
    ("tag-ode-prefix", 'tags = { "ode:stack" = "other" }', "tags", "reserves for its ownership tags"),
    (
        "tier-tag-ode-prefix",
        'public {\n    tags = { "ode:key" = "x" }\n  }',
        "public.tags",
        'Tag key "ode:key" uses the prefix "ode:", which this provider reserves for its ownership tags',
    ),
    ("name-empty", None, "name", "names are 1 to 64"),
    ("name-bad-characters", None, "name", "names are 1 to 64"),
    ("timeout-bad-unit", 'timeouts {\n    create = "10x"\n  }', "timeouts.create", 'unknown unit "x"; use h, m or s'),
    ("timeout-zero", 'timeouts {\n    delete = "0s"\n  }', "timeouts.delete", "must be longer than zero"),
    (
        "timeout-huge",
        'timeouts {\n    update = "99999999999999999999999h"\n  }',
        "timeouts.update",
        "longer than the maximum of 168h",
    ),
    ("timeout-no-unit", 'timeouts {\n    create = "30"\n  }', "timeouts.create", "is not a duration"),
]
BAD_NAMES = {"name-empty": "", "name-bad-characters": "ode e2e!"}


def attribute_line(hcl: str, path: str) -> int:
    """The 1-based line of ``path`` ("private.prefix_length", "tags") in ``hcl``'s
    ode_network resource."""
    return diagnostics.attribute_line(hcl, 'resource "ode_network"', path)


def test_network_bad_inputs(core: Core, emulator: EmulatorClient, workdir: Path, subtests) -> None:
    write_config(workdir, network_config(emulator))
    core.init(workdir)
    emulator.reset_calls()
    for case, body, attribute, message in BAD_INPUTS:
        with subtests.test(case=case):
            if body is None:
                hcl = network_config(emulator, name=BAD_NAMES[case])
            else:
                hcl = network_config(emulator, "  " + body)
            write_config(workdir, hcl)
            # The error says what is wrong and is attached to the attribute's line.
            diagnosed = diagnostics.error_diagnostics(core, workdir)
            diagnostics.assert_error_at(diagnosed, message, "main.tf", attribute_line(hcl, attribute), case=case)

    with subtests.test(case="private-without-nat-warns"):
        write_config(workdir, network_config(emulator, '  nat_gateways = "none"'))
        result = core.validate(workdir)
        assert "Warning: " in result.output and "egress" in result.output, result.describe()
        assert "nat_gateways" in result.output, result.describe()
        plan = core.plan(workdir)
        assert plan.returncode == 2 and "egress" in plan.output, plan.describe()

    with subtests.test(case="nat-none-without-private-is-quiet"):
        body = '  nat_gateways = "none"\n  private {\n    enabled = false\n  }'
        write_config(workdir, network_config(emulator, body))
        result = core.validate(workdir)
        assert "Warning" not in result.output, result.describe()

    # Nothing was created or changed.
    writes = [a for a in ec2_calls(emulator) if not a.startswith("Describe")]
    assert not writes, writes
    only_default_vpc(emulator)
    assert_no_stack_objects(emulator)


def test_network_small_vpc_error_points_at_cidr_block(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    hcl = network_config(emulator, '  cidr_block = "10.0.0.0/24"')
    write_config(workdir, hcl)
    core.init(workdir)
    diagnosed = diagnostics.error_diagnostics(core, workdir)
    diagnostics.assert_error_at(diagnosed, "A /24 VPC is too small", "main.tf", attribute_line(hcl, "cidr_block"))
    only_default_vpc(emulator)


# -- killing the provider mid-apply -------------------------------------------------


def child_provider_pids(core_pid: int) -> list[int]:
    """Processes started by ``core_pid`` from a terraform-provider-ode binary."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            exe = os.readlink(entry / "exe")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == core_pid and Path(exe).name.startswith("terraform-provider-ode"):
            pids.append(int(entry.name))
    return pids


def wait_for_call(emulator: EmulatorClient, proc: subprocess.Popen, action: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while ("ec2", action) not in emulator.call_names():
        if proc.poll() is not None:
            raise AssertionError(f"the core exited ({proc.returncode}) before any {action} call")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {action} call within {timeout_s} s")
        time.sleep(0.05)


def test_network_crash_adopt(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    write_config(workdir, network_config(emulator, tags_line()))
    core.init(workdir)
    emulator.reset_calls()
    emulator.set_latency(300)
    proc = core.start(workdir, "apply", "-input=false", "-auto-approve")
    try:
        wait_for_call(emulator, proc, "CreateSubnet")
        pids = child_provider_pids(proc.pid)
        assert pids, "no provider process found under the core"
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        crashed = finish(proc)
    finally:
        emulator.set_latency(0)
    assert crashed.returncode != 0, crashed.describe()
    assert re.search(r"plugin", crashed.output, re.I), crashed.describe()
    # The crash left part of the network behind, and no state to find it by.
    left = {key: object_id for _, object_id, key, _ in stack_children(emulator, NAME)}
    assert "vpc" in left and any(k.startswith("subnet/") for k in left), f"the interrupted apply left {left}"
    assert core.run(workdir, "state", "list").stdout.strip() == ""
    calls_before = Counter(ec2_calls(emulator))
    print(f"{core.name}: EC2 calls before the kill: {dict(calls_before)}")

    core.apply(workdir)
    net = network(core, workdir)
    ids = assert_stack_complete(emulator)
    assert ids["vpc"] == net["vpc_id"]
    # What the killed apply made was adopted, not made again.
    for key, object_id in left.items():
        assert ids[key] == object_id, (key, object_id, ids[key])
    assert sorted(live_nats(emulator, net["vpc_id"])) == sorted(net["nat_gateway_ids"])
    for nat in live_nats(emulator, net["vpc_id"]).values():
        assert nat["State"] == "available", nat
    eips = [c for c in stack_children(emulator, NAME) if c[0] == "elastic-ip"]
    assert len(eips) == 3, eips
    assert_seed_outputs(net)
    assert_seed_in_emulator(emulator, net)
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)


# How many DeleteSubnet calls the emulator refuses while the interface exists: more than
# a destroy with a 15 s delete timeout makes (about five per subnet).
REFUSED_SUBNET_DELETES = 400


def drain_faults(emulator: EmulatorClient, refused_code: str) -> int:
    """Use up the pending DeleteSubnet faults; returns how many were left."""
    ec2 = ec2_client(emulator)
    for drained in range(REFUSED_SUBNET_DELETES + 1):
        try:
            ec2.delete_subnet(SubnetId="subnet-00000000000000000")
        except ClientError as error:
            if error.response["Error"]["Code"] != refused_code:
                return drained
    raise AssertionError("the DeleteSubnet faults did not run out")


@pytest.mark.no_chaos
def test_network_destroy_blocked(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A network interface made outside Terraform keeps its subnet, and so the network, alive.

    EC2 refuses DeleteSubnet with DependencyViolation while a network interface is in the
    subnet; moto 5.2.5 deletes the subnet anyway. The emulator is told to refuse
    DeleteSubnet that way until the interface is gone, so what is tested is the provider's
    side: it gives up at the delete timeout and names the interface.
    """
    net = apply_seed(core, emulator, workdir)
    write_config(workdir, network_config(emulator, tags_line() + '  timeouts {\n    delete = "15s"\n  }\n'))
    core.apply(workdir)
    assert core.state_resource(workdir, ADDRESS)["timeouts"]["delete"] == "15s"

    ec2 = ec2_client(emulator)
    subnet_id = net["private_subnet_ids"][0]
    eni_id = ec2.create_network_interface(SubnetId=subnet_id, Description="made outside Terraform")[
        "NetworkInterface"
    ]["NetworkInterfaceId"]
    emulator.add_fault(
        "ec2",
        "DeleteSubnet",
        "DependencyViolation",
        message="The subnet has dependencies and cannot be deleted.",
        times=REFUSED_SUBNET_DELETES,
    )
    emulator.reset_calls()
    started = time.monotonic()
    refused = core.destroy(workdir, check=False)
    elapsed = time.monotonic() - started
    refused_deletes = ec2_calls(emulator).count("DeleteSubnet")
    print(f"{core.name}: destroy gave up after {elapsed:.1f} s and {refused_deletes} DeleteSubnet calls")
    assert refused.returncode != 0, refused.describe()
    output = re.sub(r"\s+", " ", refused.output)
    assert f"Subnet {subnet_id} is still used by network interfaces created outside Terraform: {eni_id}" in output, (
        refused.describe()
    )
    # It retried until the 15 s timeout, not the default 30 minutes.
    assert 5 < elapsed < 60, f"destroy took {elapsed:.0f} s with a 15 s delete timeout"
    # The network stays in the state, for the next destroy.
    assert core.run(workdir, "state", "list").stdout.split() == [ADDRESS]

    ec2.delete_network_interface(NetworkInterfaceId=eni_id)
    assert drain_faults(emulator, "DependencyViolation") > 0
    destroy_and_check(core, emulator, workdir)


def test_network_second_copies(core: Core, emulator: EmulatorClient, workdir: Path) -> None:
    """A create whose answer is lost after AWS carried it out, then retried, leaves a
    second object with the same ownership tags: here made by hand (a route table and an
    internet gateway of the network). The next plan shows them (egress), apply deletes
    them and keeps the ones in use, and destroy leaves nothing."""
    net = apply_seed(core, emulator, workdir, tags_line() + '  nat_gateways = "single"\n')
    ec2 = ec2_client(emulator)
    owned = {key: tags for _, _, key, tags in stack_children(emulator, NAME)}

    def spec(kind: str, key: str) -> list[dict[str, Any]]:
        return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in owned[key].items()]}]

    spare_rt = ec2.create_route_table(VpcId=net["vpc_id"], TagSpecifications=spec("route-table", "rtb/isolated"))
    spare_rt = spare_rt["RouteTable"]["RouteTableId"]
    spare_igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", "igw"))
    spare_igw = spare_igw["InternetGateway"]["InternetGatewayId"]
    update = assert_in_place(assert_changes(core, workdir))
    assert spare_rt in update and spare_igw in update, update
    core.apply(workdir)
    after = network(core, workdir)
    assert (after["isolated_route_table_id"], after["internet_gateway_id"]) == (
        net["isolated_route_table_id"],
        net["internet_gateway_id"],
    )
    left = {object_id for _, object_id, _, _ in stack_children(emulator, NAME)}
    assert spare_rt not in left and spare_igw not in left, left
    assert after["egress"] == "verified"
    assert_no_changes(core, workdir)
    destroy_and_check(core, emulator, workdir)
