#!/usr/bin/env python3
"""Print the platform in a state as a tree: tiers, zones, node groups, endpoints.

Reads `tofu show -json` (or `terraform show -json`) on stdin; used by `make demo`.
Works on any root module that holds ode_* resources, at any module depth.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Iterator


def resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)


def by_type(state: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in resources(state.get("values", {}).get("root_module", {})):
        if r.get("mode") == "managed" and r["type"].startswith("ode_"):
            out.setdefault(r["type"], []).append(r["values"])
    return out


def tree(state: dict[str, Any]) -> list[str]:
    found = by_type(state)
    lines: list[str] = []

    def add(depth: int, text: str) -> None:
        lines.append("  " * depth + ("└─ " if depth else "") + text)

    for net in found.get("ode_network", []):
        nats = len(net.get("nat_gateway_ids") or [])
        add(0, f"network {net['name']}  {net['vpc_id']}  {net['cidr_block']}  ({nats} NAT gateways, {net['nat_gateways']})")
        for az in net.get("availability_zones") or []:
            subnets = []
            for tier in ("public", "private", "isolated"):
                ids = (net.get(f"{tier}_subnet_ids_by_az") or {}).get(az)
                if ids:
                    subnets.append(f"{tier} {ids}")
            add(1, f"{az}: {', '.join(subnets)}")
    for eks in found.get("ode_eks_stack", []):
        add(0, f"EKS {eks['name']}  Kubernetes {eks['kubernetes_version']}  {eks['endpoint']}")
        for key, group in sorted((eks.get("node_groups") or {}).items()):
            types = ",".join(group.get("instance_types") or ["t3.medium"])
            size = group.get("desired_size") or group.get("min_size")
            status = (eks.get("node_group_status") or {}).get(key, "?")
            add(1, f"node group {key}: {size} x {types} ({status})")
        for name, version in sorted((eks.get("addon_versions") or {}).items()):
            add(1, f"add-on {name} {version}")
    for tier in found.get("ode_data_tier", []):
        add(0, f"data tier {tier['name']}  exposure: {tier['exposure']}")
        add(1, f"PostgreSQL {tier['rds_endpoint']}:{tier['rds_port']}")
        add(1, f"Redis {tier['redis_endpoint']}:{tier['redis_port']}")
        for key, name in sorted((tier.get("bucket_names") or {}).items()):
            add(1, f"bucket {key}: {name}")
    for reg in found.get("ode_registry", []):
        add(0, f"registry {reg['name']}")
        for key, url in sorted((reg.get("repository_urls") or {}).items()):
            add(1, f"{key}: {url}")
    total = sum(v.get("estimated_monthly_cost") or 0 for vs in found.values() for v in vs)
    if total:
        add(0, f"estimated monthly cost: ${total:,.2f} (us-east-1 on-demand list prices; an estimate)")
    return lines


def main() -> None:
    print("\n".join(tree(json.load(sys.stdin))))


if __name__ == "__main__":
    main()
