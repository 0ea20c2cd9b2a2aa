"""VPC endpoints as EC2 keeps them, where moto 5.2.5 does not.

ode_network makes gateway endpoints (S3, DynamoDB) on its private and isolated route
tables and interface endpoints in its private subnets. moto records endpoints but
checks little and keeps few consequences; :func:`install` adds, following EC2's API
reference:

* CreateVpcEndpoint refuses a service the region does not offer (``InvalidServiceName``)
  or a type the service does not offer (``InvalidParameter``), an interface endpoint
  with two subnets in one zone (``DuplicateSubnetsInSameZone``) or a security group
  that does not exist (``InvalidGroup.NotFound``); a ClientToken used again with the
  same request answers the endpoint it made, as EC2's idempotency does.
* ModifyVpcEndpoint adds and removes a gateway endpoint's prefix-list route in the
  route tables it gains and loses (moto only records their ids), and refuses an added
  subnet in a zone the endpoint already serves.
* DeleteVpc refuses while the VPC holds an endpoint that is not deleted, or a security
  group besides its default; DeleteSubnet refuses while an interface endpoint has a
  network interface in it; DeleteSecurityGroup refuses while a live endpoint uses the
  group (``DependencyViolation`` each, as EC2 answers).
"""

from __future__ import annotations

from typing import Any

LIVE = ("pendingacceptance", "pending", "available")


def _error(code: str, message: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _live_endpoints(backend: Any) -> list[Any]:
    return [e for e in backend.vpc_end_points.values() if e.state in LIVE]


def _offered_types(backend: Any, service_name: str) -> list[str] | None:
    """The endpoint types the region offers for ``service_name`` (None: not offered)."""
    services = backend._collect_default_endpoint_services(backend.account_id, backend.region_name)
    # A service may be listed once per type (S3: Gateway and Interface).
    types = [
        t["ServiceType"] for service in services if service["ServiceName"] == service_name for t in service["ServiceType"]
    ]
    return types or None


def install() -> None:
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.ec2.models.subnets import SubnetBackend
    from moto.ec2.models.vpcs import VPCBackend

    if getattr(VPCBackend.create_vpc_endpoint, "ode_endpoints", False):
        return
    create, modify = VPCBackend.create_vpc_endpoint, VPCBackend.modify_vpc_endpoint
    delete_vpc, delete_subnet = VPCBackend.delete_vpc, SubnetBackend.delete_subnet
    delete_group = SecurityGroupBackend.delete_security_group

    def create_vpc_endpoint(self: Any, vpc_id: str, service_name: str, endpoint_type: str | None, *args: Any, **kwargs: Any) -> Any:
        token = kwargs.get("client_token")
        if token:
            for endpoint in _live_endpoints(self):
                if endpoint.client_token == token and endpoint.vpc_id == vpc_id:
                    if endpoint.service_name != service_name:
                        raise _error(
                            "IdempotentParameterMismatch",
                            "The client token you have provided is associated with a resource that is already deleted or has different parameters.",
                        )
                    return endpoint
        offered = _offered_types(self, service_name)
        if offered is None:
            raise _error("InvalidServiceName", f"The Vpc Endpoint Service '{service_name}' does not exist")
        wanted = (endpoint_type or "Gateway").capitalize()
        if wanted not in offered:
            raise _error(
                "InvalidParameter",
                f"The Vpc Endpoint Service '{service_name}' does not support endpoint type {wanted}; it offers {', '.join(offered)}.",
            )
        if wanted == "Interface":
            zones: dict[str, str] = {}
            for subnet_id in kwargs.get("subnet_ids") or []:
                zone = self.get_subnet(subnet_id).availability_zone
                if zone in zones:
                    raise _error(
                        "DuplicateSubnetsInSameZone",
                        f"Found another VPC endpoint subnet in the availability zone of {subnet_id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.",
                    )
                zones[zone] = subnet_id
            for group_id in kwargs.get("security_group_ids") or []:
                if self.get_security_group_from_id(group_id) is None:
                    raise _error("InvalidGroup.NotFound", f"The security group '{group_id}' does not exist")
        return create(self, vpc_id, service_name, endpoint_type, *args, **kwargs)

    def modify_vpc_endpoint(
        self: Any,
        vpc_id: str,
        policy_doc: str,
        add_subnets: list[str] | None,
        remove_subnets: list[str] | None,
        remove_route_tables: list[str] | None,
        add_route_tables: list[str] | None,
        add_security_groups: list[str] | None,
        remove_security_groups: list[str] | None,
    ) -> None:
        endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[vpc_id])[0]
        prefix_list = endpoint.destination_prefix_list_id
        if add_subnets:
            served = {self.get_subnet(s).availability_zone for s in endpoint.subnet_ids or []}
            for subnet_id in add_subnets:
                if self.get_subnet(subnet_id).availability_zone in served:
                    raise _error(
                        "DuplicateSubnetsInSameZone",
                        f"Found another VPC endpoint subnet in the availability zone of {subnet_id}.",
                    )
        for table in add_route_tables or []:
            self.get_route_table(table)  # InvalidRouteTableID.NotFound
        modify(
            self,
            vpc_id,
            policy_doc,
            add_subnets,
            remove_subnets,
            remove_route_tables,
            add_route_tables,
            add_security_groups,
            remove_security_groups,
        )
        if prefix_list is None:
            return
        for table in add_route_tables or []:
            routes = self.get_route_table(table).routes
            held = (getattr(r, "destination_prefix_list", None) for r in routes)
            if not any(p is not None and p.id == prefix_list for p in held):
                self.create_route(table, None, gateway_id=endpoint.id, destination_prefix_list_id=prefix_list)
        for table in remove_route_tables or []:
            try:
                self.delete_route(table, None, destination_prefix_list_id=prefix_list)
            except Exception:  # noqa: BLE001 - a route already gone is what was asked
                pass

    def delete_vpc_checked(self: Any, vpc_id: str) -> Any:
        if any(e.vpc_id == vpc_id for e in _live_endpoints(self)):
            raise _error("DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        groups = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
        if groups:
            raise _error("DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return delete_vpc(self, vpc_id)

    def delete_subnet_checked(self: Any, subnet_id: str) -> Any:
        for endpoint in _live_endpoints(self):
            if (endpoint.vpc_endpoint_type or "").lower() == "interface" and subnet_id in (endpoint.subnet_ids or []):
                raise _error("DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return delete_subnet(self, subnet_id)

    def delete_security_group_checked(self: Any, name: str | None = None, group_id: str | None = None) -> Any:
        for endpoint in _live_endpoints(self):
            if group_id and group_id in (endpoint.security_group_ids or []):
                raise _error("DependencyViolation", f"resource {group_id} has a dependent object")
        return delete_group(self, name=name, group_id=group_id)

    create_vpc_endpoint.ode_endpoints = True  # type: ignore[attr-defined]
    VPCBackend.create_vpc_endpoint = create_vpc_endpoint  # type: ignore[method-assign]
    VPCBackend.modify_vpc_endpoint = modify_vpc_endpoint  # type: ignore[method-assign]
    VPCBackend.delete_vpc = delete_vpc_checked  # type: ignore[method-assign]
    SubnetBackend.delete_subnet = delete_subnet_checked  # type: ignore[method-assign]
    SecurityGroupBackend.delete_security_group = delete_security_group_checked  # type: ignore[method-assign]
