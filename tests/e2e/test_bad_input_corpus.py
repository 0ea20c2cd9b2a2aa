"""The bad-input corpus (tests/support/corpus): at least 60 invalid configurations per
composite, each refused at validate or plan by both cores with an error that points at
the attribute (or element) at fault, and nothing created in the emulator.

One test per composite and core. Its cases run in two batches: every case in one
configuration through ``validate -json``, then the cases validate let through in a
second configuration through ``plan -json``. Each error is traced back to the case whose
block it points into (see :mod:`tests.support.corpus`), and every case is a subtest. A
case the provider wrongly accepts is marked ``xfail`` in the corpus (strict: a case that
passes while marked fails the test).

Each run writes what it saw to ``tests/.reports/bad-inputs/<composite>-<core>.json``
and regenerates ``tests/.reports/bad-inputs.md`` (case, composite, attribute, kind,
phase and the error's summary per core) from every such file present.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.core import Core, Result, write_config
from tests.support.corpus import CONTROL, Block, Case, Composite, check_corpus, owner, problem, render
from tests.support.corpus import data_tier, eks_stack, network, registry, state_backend
from tests.support.diagnostics import Diagnostic, error_diagnostics, normalise
from tests.support.emulator import EmulatorClient
from tests.support.helpers import provider_block

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
REPORTS = REPO_ROOT / "tests" / ".reports"
COMPOSITES: dict[str, Composite] = {
    c.name: c
    for c in (
        network.COMPOSITE,
        eks_stack.COMPOSITE,
        data_tier.COMPOSITE,
        registry.COMPOSITE,
        state_backend.COMPOSITE,
    )
}
MINIMUM_CASES = 60
READS = ("Describe", "List", "Get", "Head", "GET ", "HEAD ")


# -- what the cases refer to ------------------------------------------------------------


class Clients(dict):
    """boto3 clients for the emulator, each made once (making one takes a while)."""

    def __init__(self, emulator: EmulatorClient):
        super().__init__()
        self.emulator = emulator

    def __missing__(self, service: str) -> Any:
        client = self[service] = self.emulator.client(service)
        return client


def placeholders(composite: Composite) -> set[str]:
    """The names of the @name@ placeholders the composite's cases use."""
    texts = [c.body for c in composite.cases] + [v for c in composite.cases for v in c.args.values() if v]
    texts += [v for v in (*composite.base.values(), *composite.module_base.values())]
    return {name for text in texts for name in re.findall(r"@([a-z0-9_]+)@", text)}


def make_fixtures(aws: Clients) -> dict[str, str]:
    """Objects some cases name (placeholders @name@): subnets of a VPC in two zones and
    in one, subnets of a second VPC, and KMS keys EKS cannot use."""
    ec2 = aws["ec2"]
    fills: dict[str, str] = {}
    for prefix, cidr in (("", "10.9.0.0/16"), ("other_", "10.8.0.0/16")):
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        fills[f"{prefix}vpc"] = vpc
        base = cidr.rsplit(".", 2)[0]
        for i, (key, zone) in enumerate((("subnet_a", "us-east-1a"), ("subnet_a2", "us-east-1a"), ("subnet_b", "us-east-1b")), 1):
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24", AvailabilityZone=zone)
            fills[f"{prefix}{key}"] = subnet["Subnet"]["SubnetId"]
    kms = aws["kms"]
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    fills["key_disabled"] = disabled["Arn"]
    fills["key_asymmetric"] = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    fills["account"] = aws["sts"].get_caller_identity()["Account"]
    return fills


#: What :func:`inventory` lists, by the service it asks.
LISTINGS: dict[str, dict[str, Any]] = {
    "ec2": {
        "VPCs": lambda c: [v["VpcId"] for v in c.describe_vpcs()["Vpcs"]],
        "subnets": lambda c: [s["SubnetId"] for s in c.describe_subnets()["Subnets"]],
        "security groups": lambda c: [g["GroupId"] for g in c.describe_security_groups()["SecurityGroups"]],
        "internet gateways": lambda c: [g["InternetGatewayId"] for g in c.describe_internet_gateways()["InternetGateways"]],
        "VPC endpoints": lambda c: [e["VpcEndpointId"] for e in c.describe_vpc_endpoints()["VpcEndpoints"]],
    },
    "eks": {"clusters": lambda c: c.list_clusters()["clusters"]},
    "iam": {
        "roles": lambda c: [r["RoleName"] for r in c.list_roles()["Roles"]],
        "OIDC providers": lambda c: [p["Arn"] for p in c.list_open_id_connect_providers()["OpenIDConnectProviderList"]],
    },
    "kms": {"keys": lambda c: [k["KeyId"] for k in c.list_keys()["Keys"]]},
    "logs": {"log groups": lambda c: [g["logGroupName"] for g in c.describe_log_groups()["logGroups"]]},
    "rds": {
        "DB instances": lambda c: [i["DBInstanceIdentifier"] for i in c.describe_db_instances()["DBInstances"]],
        "DB subnet groups": lambda c: [g["DBSubnetGroupName"] for g in c.describe_db_subnet_groups()["DBSubnetGroups"]],
    },
    "elasticache": {
        "replication groups": lambda c: [g["ReplicationGroupId"] for g in c.describe_replication_groups()["ReplicationGroups"]],
    },
    "s3": {"buckets": lambda c: [b["Name"] for b in c.list_buckets().get("Buckets", [])]},
    "dynamodb": {"tables": lambda c: c.list_tables()["TableNames"]},
    "ecr": {"repositories": lambda c: [r["repositoryName"] for r in c.describe_repositories()["repositories"]]},
    "secretsmanager": {"secrets": lambda c: [s["Name"] for s in c.list_secrets()["SecretList"]]},
}


def inventory(aws: Clients, services: tuple[str, ...]) -> dict[str, list[str]]:
    """What exists in the emulator of ``services``, by kind of object."""
    return {
        f"{service} {kind}": sorted(listing(aws[service]))
        for service in services
        for kind, listing in LISTINGS[service].items()
    }


# -- running a batch --------------------------------------------------------------------


@dataclass
class Seen:
    """The errors one case's block got, and in which command."""

    phase: str
    errors: list[Diagnostic]


def raw_errors(result: Result) -> list[dict[str, Any]]:
    """The error diagnostics of a ``validate -json`` or ``plan -json`` run, as printed
    (with the ``address`` a provider's diagnostic carries)."""
    if result.args[1] == "validate":
        found = json.loads(result.stdout).get("diagnostics") or []
    else:
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        found = [m["diagnostic"] for m in lines if m.get("type") == "diagnostic"]
    return [d for d in found if d.get("severity") == "error"]


def run_batch(
    core: Core,
    workdir: Path,
    composite: Composite,
    cases: list[Case],
    fills: dict[str, str],
    prelude: str,
) -> tuple[dict[str, Block], dict[str, Seen], list[str]]:
    """Render ``cases`` into ``workdir``, init, and run validate (then plan when validate
    reports no error). Answers where each case's block is, the errors of each case that
    got any, and the errors no case owns."""
    workdir.mkdir()
    hcl, blocks = render(composite, cases, prelude, fills)
    write_config(workdir, hcl)
    core.init(workdir)
    diagnosed = error_diagnostics(core, workdir)
    phase = diagnosed.result.args[1]
    seen: dict[str, Seen] = {}
    stray: list[str] = []
    for raw in raw_errors(diagnosed.result):
        diagnostic = Diagnostic.from_json(raw)
        slug = owner(diagnostic, blocks, raw)
        if slug is None:
            stray.append(str(diagnostic))
            continue
        seen.setdefault(slug, Seen(phase, [])).errors.append(diagnostic)
    if diagnosed.failed and not diagnosed.errors:
        stray.append(f"{phase} failed without an error diagnostic\n{diagnosed.result.describe()}")
    return blocks, seen, stray


# -- the report -------------------------------------------------------------------------


def shorten(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def write_report(composite: Composite, core: Core, rows: list[dict[str, str]]) -> None:
    """Record this run's rows and regenerate bad-inputs.md from every run recorded."""
    parts = REPORTS / "bad-inputs"
    parts.mkdir(parents=True, exist_ok=True)
    (parts / f"{composite.name}-{core.name}.json").write_text(json.dumps(rows, indent=1) + "\n")
    with open(REPORTS / "bad-inputs.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runs: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        cores: set[str] = set()
        for part in sorted(parts.glob("*.json")):
            name, core_name = part.stem.rsplit("-", 1)
            cores.add(core_name)
            for row in json.loads(part.read_text()):
                runs.setdefault((name, row["case"]), {})[core_name] = row
        order = {name: i for i, name in enumerate(COMPOSITES)}
        columns = sorted(cores)
        lines = [
            "# Bad-input corpus",
            "",
            "Generated by tests/e2e/test_bad_input_corpus.py: every invalid configuration of",
            "tests/support/corpus, the command that refused it and the error's summary, per core.",
            "Outcomes: refused (as expected: the right message, on the attribute's line), accepted",
            "(a control), xfail (accepted although invalid: a provider defect the case is marked",
            "with), wrong (refused in another way, or accepted: the test fails), xpass (a marked",
            "defect now fixed: the test fails until the mark goes).",
            "",
        ]
        for name in sorted({n for n, _ in runs}, key=lambda n: order.get(n, len(order))):
            keys = [k for k in runs if k[0] == name]
            cases = sum(1 for k in keys if next(iter(runs[k].values()))["kind"] != CONTROL)
            tallies = {c: Counter(runs[k][c]["outcome"] for k in keys if c in runs[k]) for c in columns}
            counts = "; ".join(
                f"{c}: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(tallies[c].items())) for c in columns
            )
            lines += [f"## {name}", "", f"{cases} cases and {len(keys) - cases} controls. {counts}.", ""]
            lines.append("| case | attribute | kind | " + " | ".join(columns) + " |")
            lines.append("|---|---|---|" + "---|" * len(columns))
            for key in keys:
                by_core = runs[key]
                any_row = next(iter(by_core.values()))
                cells = []
                for c in columns:
                    row = by_core.get(c)
                    if row is None:
                        cells.append("(not run)")
                    else:
                        cells.append(f"{row['outcome']} at {row['phase']}: {row['summary']}".replace("|", "\\|"))
                attribute = any_row["attribute"].replace("|", "\\|")
                lines.append(f"| {key[1]} | `{attribute}` | {any_row['kind']} | " + " | ".join(cells) + " |")
            lines.append("")
        (REPORTS / "bad-inputs.md").write_text("\n".join(lines))


# -- the test ---------------------------------------------------------------------------


@pytest.mark.parametrize("composite_name", list(COMPOSITES))
def test_bad_input_corpus(
    core: Core, emulator: EmulatorClient, tmp_path: Path, subtests, composite_name: str
) -> None:
    composite = COMPOSITES[composite_name]
    check_corpus(composite, MINIMUM_CASES)
    repo = tmp_path / "repo"
    shutil.copytree(
        REPO_ROOT / "modules",
        repo / "modules",
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "examples", "tests"),
    )
    aws = Clients(emulator)
    fills = make_fixtures(aws) if placeholders(composite) else {}
    before = inventory(aws, composite.services)
    emulator.reset_calls()
    prelude = provider_block(emulator)
    started = time.monotonic()

    cases = [*composite.controls, *composite.cases]
    blocks, seen, stray = run_batch(core, repo / "validate", composite, cases, fills, prelude)
    # The controls go on to plan, as every case validate let through.
    left = [c for c in cases if c.slug not in seen]
    if left:
        plan_blocks, plan_seen, plan_stray = run_batch(core, repo / "plan", composite, left, fills, prelude)
        blocks.update(plan_blocks)
        seen.update(plan_seen)
        stray += plan_stray
    elapsed = time.monotonic() - started
    phases = [s.phase for s in seen.values()]
    print(
        f"{core.name} {composite.name}: {len(composite.cases)} cases and 2 controls in {elapsed:.1f} s; "
        f"refused at validate {phases.count('validate')}, at plan {phases.count('plan')}, "
        f"accepted {len(cases) - len(seen)}"
    )

    rows = []
    for case in cases:
        block = blocks[case.slug]
        got = seen.get(case.slug)
        errors = got.errors if got else []
        why = problem(case, block, errors, core.name, repo)
        saying = [d for d in errors if case.says and d.says(case.says)] or errors
        if case.kind == CONTROL:
            outcome = "accepted" if why is None else "wrong"
        elif case.xfail:
            outcome = "xfail" if why else "xpass"
        else:
            outcome = "refused" if why is None else "wrong"
        rows.append(
            {
                "case": case.slug,
                "attribute": case.attribute,
                "kind": case.kind,
                "phase": got.phase if got else "plan",
                "summary": shorten(normalise(saying[0].summary)) if saying else "(accepted)",
                "outcome": outcome,
            }
        )
        with subtests.test(case=case.slug):
            listed = "\n".join(f"  {d}" for d in errors) or "  (none)"
            detail = f"{case.slug} ({case.attribute}): {why}\nexpected at main.tf:{block.expected}; its errors:\n{listed}"
            if case.xfail:
                if why is None:
                    pytest.fail(f"XPASS(strict) {case.slug}: refused as it should be now; drop its xfail ({case.xfail})")
                pytest.xfail(f"{case.xfail}: {why}")
            assert why is None, detail
    write_report(composite, core, rows)

    with subtests.test(case="no-stray-errors"):
        # Every error belongs to a case: the configuration around the cases is valid.
        assert not stray, "errors no case owns:\n" + "\n".join(stray)
    with subtests.test(case="nothing-created"):
        writes = [f"{service}:{action}" for service, action in emulator.call_names() if not action.startswith(READS)]
        assert not writes, f"mutating calls: {writes}"
        after = inventory(aws, composite.services)
        changed = {kind: sorted(set(after[kind]) ^ set(before[kind])) for kind in before if after[kind] != before[kind]}
        assert not changed, f"the emulator's objects changed: {changed}"
