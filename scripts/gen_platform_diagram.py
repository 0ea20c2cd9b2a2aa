#!/usr/bin/env python3
"""Generate docs/platform-diagram.md: a Mermaid diagram of modules/platform.

Everything in the diagram is read from the modules' HCL (python-hcl2), nothing is typed
here: the module calls of modules/platform/main.tf and what their inputs refer to
(which subnets a module is given, whose security group the data tier admits, whose
role may pull from the registry), the platform's variable defaults (zones, CIDR block,
NAT strategy, Kubernetes version, buckets), the IRSA service accounts of its locals,
the eks-stack module's default node groups and add-ons, the registry module's default
repositories and the state-backend module's names.

    python scripts/gen_platform_diagram.py            rewrite docs/platform-diagram.md
    python scripts/gen_platform_diagram.py --check    exit 1 (with a diff) when it is stale

tests/modules/test_platform_diagram.py runs ``--check``.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULES = REPO_ROOT / "modules"
OUTPUT = REPO_ROOT / "docs" / "platform-diagram.md"

_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, preserve_heredocs=False)
_MODULE_REF = re.compile(r"module\.(\w+)\.(\w+)")


class DiagramError(ValueError):
    """The platform's HCL does not have the shape the diagram is drawn from."""


# -- reading ----------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    try:
        return hcl2.loads(path.read_text(), serialization_options=_OPTIONS)
    except Exception as error:  # lark raises several unrelated exception types
        raise DiagramError(f"{path}: cannot parse: {error}") from error


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _expression(value: Any) -> str:
    """An argument as python-hcl2 serializes it, as one string of HCL."""
    if isinstance(value, list):
        return " ".join(_expression(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k} {_expression(v)}" for k, v in value.items())
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    """{label: body} of every ``kind`` block (module, variable) of the directory's .tf files."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in _load(path).get(kind, []):
            for label, body in block.items():
                found[_unquote(label)] = body
    return found


def _locals(directory: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in _load(path).get("locals", []):
            found.update(block)
    return found


def _default(directory: Path, variable: str) -> Any:
    variables = _blocks(directory, "variable")
    if variable not in variables or "default" not in variables[variable]:
        raise DiagramError(f"{directory.name}: variable {variable!r} has no default")
    value = variables[variable]["default"]
    return _unquote(value) if isinstance(value, str) else value


def _keys(value: Any) -> list[str]:
    if not isinstance(value, dict):
        raise DiagramError(f"expected a map, found {value!r}")
    return [_unquote(k) for k in value]


def _template(expression: str, values: dict[str, str]) -> str:
    """The string template in ``coalesce(var.x, "${var.project}-...")`` with values."""
    match = re.search(r'"((?:[^"\\]|\\.|\$\{[^}]*\})*)"\s*\)\s*$', expression)
    if not match:
        raise DiagramError(f"no name template in {expression!r}")
    return re.sub(r"\$\{var\.(\w+)\}", lambda m: values[m.group(1)], match.group(1))


@dataclass
class Call:
    name: str
    source: str
    inputs: dict[str, str]  # input -> its expression

    def refers_to(self, module: str, output: str | None = None) -> list[str]:
        """The inputs whose expressions use ``module.<module>.<output>``."""
        return [
            name
            for name, expression in self.inputs.items()
            if any(m.group(1) == module and (output is None or m.group(2) == output) for m in _MODULE_REF.finditer(expression))
        ]


@dataclass
class NodeGroup:
    name: str
    instance_types: list[str]
    min_size: int
    max_size: int
    desired_size: int | None
    autoscaler: bool
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Platform:
    region: str
    project: str
    environment: str
    cidr_block: str
    zones: list[str]  # names, or "zone 1", "zone 2", ... when the region picks them
    nat_gateways: str
    kubernetes_version: str
    calls: dict[str, Call]  # by source directory name: network, eks-stack, ...
    node_groups: list[NodeGroup]
    addons: list[str]
    buckets: list[str]
    repositories: list[str]
    service_accounts: list[str]
    managed_password: bool  # no database_password by default: RDS keeps it in Secrets Manager
    state_bucket: str
    lock_table: str


def read_platform(modules: Path = MODULES) -> Platform:
    platform = modules / "platform"
    calls = {}
    for name, body in _blocks(platform, "module").items():
        source = _unquote(str(body.get("source", "")))
        inputs = {k: _expression(v) for k, v in body.items() if k != "source"}
        calls[Path(source).name] = Call(name, source, inputs)
    for needed in ("network", "eks-stack", "data-tier", "registry"):
        if needed not in calls:
            raise DiagramError(f"modules/platform calls no ../{needed} module")

    zones = _default(platform, "availability_zones")
    if zones is None:
        zones = [f"zone {i + 1}" for i in range(int(_default(platform, "az_count")))]
    else:
        zones = [_unquote(z) for z in zones]

    node_groups = _default(platform, "node_groups")
    if node_groups is None:  # the platform passes null: the eks-stack module's default
        node_groups = _default(modules / "eks-stack", "node_groups")
    groups = []
    for name, group in node_groups.items():
        groups.append(
            NodeGroup(
                name=_unquote(name),
                instance_types=[_unquote(t) for t in group.get("instance_types", ['"t3.medium"'])],
                min_size=int(group["min_size"]),
                max_size=int(group["max_size"]),
                desired_size=int(group["desired_size"]) if "desired_size" in group else None,
                autoscaler=_unquote(str(group.get("scaling_owner", '"terraform"'))) == "autoscaler",
                labels={_unquote(k): _unquote(v) for k, v in (group.get("labels") or {}).items()},
            )
        )

    project = _default(platform, "project")
    environment = _default(platform, "environment")
    names = {"project": project, "environment": environment}
    state_locals = _locals(modules / "state-backend")
    platform_locals = _locals(platform)
    service_accounts = _keys(platform_locals["service_accounts"]) if platform_locals.get("service_accounts") else []
    # The controllers' accounts (controllers.tf), made when their toggle defaults to true.
    for local, toggle in (
        ("load_balancer_controller_account", "enable_load_balancer_controller"),
        ("cluster_autoscaler_account", "enable_cluster_autoscaler"),
    ):
        if local in platform_locals and _default(platform, toggle) is True:
            service_accounts.append(_unquote(str(platform_locals[local])))
    # The platform's own add-ons when it has them, else the eks-stack module's defaults.
    addons = platform_locals.get("default_addons") or _default(modules / "eks-stack", "addons")
    return Platform(
        region=_default(platform, "aws_region"),
        project=project,
        environment=environment,
        cidr_block=_default(platform, "cidr_block"),
        zones=zones,
        nat_gateways=_default(platform, "nat_gateways"),
        kubernetes_version=_default(platform, "kubernetes_version"),
        calls=calls,
        node_groups=groups,
        addons=_keys(addons),
        buckets=_keys(_default(platform, "buckets")),
        repositories=_keys(_default(modules / "registry", "repositories")),
        service_accounts=service_accounts,
        managed_password=_default(platform, "database_password") is None,
        state_bucket=_template(_expression(state_locals["bucket_name"]), names),
        lock_table=_template(_expression(state_locals["lock_table_name"]), names),
    )


# -- drawing ----------------------------------------------------------------------------


def _label(*lines: str) -> str:
    """A quoted Mermaid label; lines joined with <br/>. Mermaid labels cannot hold '"'."""
    text = "<br/>".join(lines)
    if '"' in text:
        raise DiagramError(f"a label cannot hold a double quote: {text!r}")
    return f'"{text}"'


def _subnet_input(call: Call, network: str) -> str | None:
    """Which tier's subnets a module call is given: public, private or isolated."""
    for name, expression in call.inputs.items():
        for match in _MODULE_REF.finditer(expression):
            if match.group(1) == network and match.group(2).endswith("_subnet_ids"):
                return match.group(2).removesuffix("_subnet_ids")
    return None


def render(p: Platform) -> str:
    network, eks, data, registry = (p.calls[k] for k in ("network", "eks-stack", "data-tier", "registry"))
    cluster = f"{p.project}-{p.environment}-cluster"
    tier = f"{p.project}-{p.environment}"
    eks_tier = _subnet_input(eks, network.name)
    data_tier = _subnet_input(data, network.name)
    if eks_tier is None or data_tier is None:
        raise DiagramError("the eks-stack and data-tier calls must be given the network's subnets")

    lines = ["flowchart TB"]
    add = lines.append
    add(f"  subgraph state_backend[{_label('State backend: modules/state-backend, applied first')}]")
    add(f"    tfstate[({_label('S3 ' + p.state_bucket, 'versioned, encrypted')})]")
    add(f"    locks[({_label('DynamoDB ' + p.lock_table, 'state locks')})]")
    add("  end")
    add(f"  subgraph aws_region[{_label('AWS region ' + p.region)}]")
    add(f"    subgraph vpc[{_label(f'VPC {p.cidr_block}: module.{network.name}')}]")
    add(f"      igw[{_label('Internet gateway')}]")

    nat_zones = {"one_per_az": p.zones, "single": p.zones[:1]}.get(p.nat_gateways, [])
    for tier_name, title in (("public", "Public subnets"), ("private", "Private subnets"), ("isolated", "Isolated subnets")):
        add(f"      subgraph tier_{tier_name}[{_label(title)}]")
        add("        direction LR")
        for i, zone in enumerate(p.zones, start=1):
            extra = ["NAT gateway"] if tier_name == "public" and zone in nat_zones else []
            add(f"        {tier_name}_{i}[{_label(zone, *extra)}]")
        add("      end")

    # A null version is the newest EKS offers in standard support at create.
    version = p.kubernetes_version or "newest"
    add(f"      subgraph mod_eks[{_label(f'EKS {version} {cluster}: module.{eks.name}')}]")
    for group in p.node_groups:
        types = " or ".join(group.instance_types)
        if group.desired_size is not None:
            size = f"{group.desired_size} x {types} ({group.min_size} to {group.max_size})"
        else:
            size = f"{group.min_size} to {group.max_size} x {types}"
        notes = [", ".join(f"{k}={v}" for k, v in group.labels.items())] if group.labels else []
        if group.autoscaler:
            notes.append("sized by the cluster autoscaler")
        add(f"        ng_{_id(group.name)}[{_label(f'node group {group.name}', size, *notes)}]")
    add(f"        addons[{_label('add-ons', ', '.join(p.addons))}]")
    if p.service_accounts:
        add(f"        irsa[{_label('IRSA roles', ', '.join(p.service_accounts))}]")
    add("      end")

    add(f"      subgraph mod_data[{_label(f'Data tier {tier}: module.{data.name}')}]")
    add(f"        postgres[({_label('PostgreSQL (RDS)', tier + '-postgres')})]")
    add(f"        redis[({_label('Redis (ElastiCache)', tier + '-redis')})]")
    add("      end")
    add("    end")
    add(f"    buckets[({_label('S3 buckets', *(f'{tier}-{b}' for b in p.buckets))})]")
    secrets = ["RDS master password" if p.managed_password else None, f"{tier}/redis-auth-token"]
    add(f"    secrets[({_label('Secrets Manager', *(s for s in secrets if s))})]")
    add(f"    ecr[({_label(f'ECR: module.{registry.name}', *(f'{p.project}-{r}' for r in p.repositories))})]")
    add("  end")

    # Where the modules live, from the subnets each call is given.
    add(f"  mod_eks ---|{_label(f'{eks_tier} subnets')}| tier_{eks_tier}")
    add(f"  mod_data ---|{_label(f'{data_tier} subnets')}| tier_{data_tier}")
    # Egress: private subnets leave through the NAT gateways, public ones through the IGW.
    if nat_zones:
        add(f"  tier_private -->|{_label('egress through NAT')}| tier_public")
    add("  tier_public --> igw")
    # What the inputs of the calls wire together.
    if data.refers_to(eks.name, "cluster_security_group_id"):
        add(f"  mod_eks -->|{_label('5432 and 6379: cluster security group only')}| mod_data")
    if registry.refers_to(eks.name, "node_role_arn"):
        add(f"  mod_eks -->|{_label('image pulls: node role')}| ecr")
    if p.service_accounts:
        add(f"  irsa -->|{_label('documents')}| buckets")
        add(f"  irsa -.->|{_label('password and token')}| secrets")
    add(f"  tfstate -.->|{_label('state of the platform')}| aws_region")
    return "\n".join(lines) + "\n"


def _id(name: str) -> str:
    return re.sub(r"\W", "_", name)


def render_page(p: Platform) -> str:
    network = p.calls["network"].name
    nat = {"one_per_az": "one NAT gateway per zone", "single": "one NAT gateway"}.get(p.nat_gateways, "no NAT gateway")
    intro = (
        f"What [modules/platform](../modules/platform) makes with no variable set, in the order of the "
        f"[deployment guide](guides/deploying-the-platform.md): the state backend first (its own root "
        f"module), then one apply of the platform. {len(p.zones)} availability zones with {nat}; the EKS "
        f"cluster in the {_subnet_input(p.calls['eks-stack'], network)} subnets, the data tier in the "
        f"{_subnet_input(p.calls['data-tier'], network)} subnets (no route to the internet)."
    )
    return (
        "# The platform\n\n"
        "<!-- Generated by scripts/gen_platform_diagram.py from modules/platform and the modules\n"
        "it calls; do not edit. tests/modules/test_platform_diagram.py checks it is current. -->\n\n"
        + textwrap.fill(intro, width=88, break_long_words=False, break_on_hyphens=False)
        + f"\n\n```mermaid\n{render(p)}```\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report a stale page instead of rewriting it")
    parser.add_argument("--modules", type=Path, default=MODULES, help="the modules/ directory to read")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the page to write or check")
    args = parser.parse_args(argv)
    try:
        wanted = render_page(read_platform(args.modules))
    except DiagramError as error:
        print(f"gen_platform_diagram: {error}", file=sys.stderr)
        return 2
    current = args.output.read_text() if args.output.exists() else None
    if wanted == current:
        return 0
    if args.check:
        sys.stdout.writelines(
            difflib.unified_diff(
                (current or "").splitlines(keepends=True),
                wanted.splitlines(keepends=True),
                f"{args.output} (committed)",
                f"{args.output} (generated)",
            )
        )
        print("gen_platform_diagram: the diagram is out of date; run `python scripts/gen_platform_diagram.py`", file=sys.stderr)
        return 1
    args.output.write_text(wanted)
    print(f"gen_platform_diagram: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
