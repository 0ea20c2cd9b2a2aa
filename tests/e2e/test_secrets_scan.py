"""The secrets scan (tests/support/secrets.py): that it can fail, and the scenarios that
only it covers.

* ``test_scan_*`` (no core): secrets planted into a trace, a state and a plan JSON are
  found, in every form they may be written in, and reported by file, line and label
  without the secret; a secret the core stores by design is only looked for in traces;
  clean files pass.
* ``test_secrets_scan_catches_a_leak``: a real core run under the scan with a canary
  value deliberately put where the core keeps it (a tag, given on the command line):
  the scan reports it in the trace, the state and the plan JSON.
* ``test_secrets_assume_role``: the provider's credentials (environment canaries), the
  role it assumes (external id) and that role's session appear in no trace, state or
  plan, on either core.
* ``test_secrets_write_only_from_ephemeral_variables`` (OpenTofu): the write-only
  password and AUTH token given the way a user keeps them out of files (ephemeral
  variables from the environment) are nowhere, the plan JSON's configuration included.
"""

from __future__ import annotations

import json
import secrets as random
from pathlib import Path

import pytest

from tests.e2e import test_data_tier as data
from tests.support.core import Core, write_config
from tests.support.emulator import EmulatorClient
from tests.support.helpers import assert_emulator_empty, provider_block
from tests.support.secrets import MIN_SECRET_LENGTH, SecretScan, secret_scan  # noqa: F401  (a fixture)

CANARY = "Canary-Scan-Value-" + "5e1f0c2a9d"


def planted(tmp_path: Path) -> SecretScan:
    scan = SecretScan(tmp_path / "scan")
    scan.add("the canary", CANARY)
    return scan


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    return path


# -- the scan itself (no core) ---------------------------------------------------------


def test_scan_finds_a_secret_planted_in_a_trace(tmp_path: Path) -> None:
    scan = planted(tmp_path)
    trace = write(
        scan.root / "traces" / "001-apply.log",
        "2025-01-01T00:00:00Z [TRACE] provider: starting\n"
        f"2025-01-01T00:00:01Z [DEBUG] provider.terraform-provider-ode: request body: MasterUserPassword={CANARY}&x=1\n",
    )
    scan.traces.append(trace)
    with pytest.raises(AssertionError) as failed:
        scan.check()
    report = str(failed.value)
    assert "1 hit(s)" in report, report
    assert "traces/001-apply.log:2 (trace): the canary in" in report, report
    # The context shows where it was, with the secret replaced by its label.
    assert "MasterUserPassword=<the canary>&x=1" in report, report
    assert CANARY not in report and CANARY[:-1] not in report, "the report printed the secret"


def test_scan_finds_every_form(tmp_path: Path) -> None:
    """Raw, JSON-escaped (as Go writes it), URL-encoded: each is a hit, in state and plan."""
    scan = SecretScan(tmp_path / "scan")
    secret = 'pa"ss<&>word/+ 9'
    scan.add("odd", secret)
    go_json = json.dumps(secret)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    workdir = tmp_path / "work"
    write(workdir / "terraform.tfstate", '{"password": "' + go_json + '"}')
    write(workdir / "terraform.tfstate.backup", '{"password": ' + json.dumps(secret) + "}")
    write(workdir / ".terraform" / "providers" / "x" / "terraform.tfstate", secret)  # not a state: skipped
    scan.workdirs.append(workdir)
    plan = write(scan.root / "plans" / "001.json", "Password=" + "pa%22ss%3C%26%3Eword%2F%2B%209")
    scan.plans.append(plan)
    hits = scan.hits()
    assert sorted((h.kind, h.path.name) for h in hits) == [
        ("plan", "001.json"),
        ("state", "terraform.tfstate"),
        ("state", "terraform.tfstate.backup"),
    ], [h.describe(scan.root) for h in hits]
    assert all(secret not in h.context for h in hits)


def test_scan_stored_secret_only_in_traces(tmp_path: Path) -> None:
    """Terraform 1.5's sensitive `password` is kept in state by design: a hit in a
    trace, none in the state or the plan."""
    scan = SecretScan(tmp_path / "scan")
    scan.add("password (stored)", CANARY, stored=True)
    workdir = tmp_path / "work"
    write(workdir / "terraform.tfstate", f'{{"password": "{CANARY}"}}')
    scan.workdirs.append(workdir)
    scan.plans.append(write(scan.root / "plans" / "001.json", f'{{"password": "{CANARY}"}}'))
    assert scan.hits() == []
    scan.traces.append(write(scan.root / "traces" / "001-apply.log", f"value {CANARY}\n"))
    assert [(h.kind, h.label) for h in scan.hits()] == [("trace", "password (stored)")]
    # Registered again as kept out, it is looked for everywhere.
    scan.add("password_wo", CANARY)
    assert sorted(h.kind for h in scan.hits()) == ["plan", "state", "trace"]


def test_scan_known_core_leak_is_narrow(tmp_path: Path) -> None:
    """Terraform 1.5's S3 backend dumps the session token header into its trace: that
    line is excused on that core only; the token anywhere else is a hit."""
    header = b"X-Amz-Security-Token: "
    for core, expected in (("terraform", []), ("tofu", ["AWS_SESSION_TOKEN"])):
        scan = SecretScan(tmp_path / core, core_name=core)
        token = scan.session_token.encode()
        scan.traces.append(write(scan.root / "traces" / "001-plan.log", b"---[ REQUEST POST-SIGN ]---\n" + header + token + b"\n"))
        assert [h.label for h in scan.hits()] == expected and scan.excused == 1 - len(expected)
        # The same token in a line of the provider's is never excused.
        scan.traces.append(write(scan.root / "traces" / "002-plan.log", b"provider.terraform-provider-ode: " + header + token + b"\n"))
        assert len(scan.hits()) == len(expected) + 1


def test_scan_clean_files_and_short_values(tmp_path: Path) -> None:
    scan = planted(tmp_path)
    scan.traces.append(write(scan.root / "traces" / "001-plan.log", "nothing to see: Canary-Scan-Value-\n"))
    scan.workdirs.append(tmp_path)
    write(tmp_path / "terraform.tfstate", '{"resources": []}')
    scan.check()
    assert scan.summary()["trace"] == 1 and scan.summary()["state"] == 1
    with pytest.raises(ValueError, match="shorter than"):
        scan.add("too short", "x" * (MIN_SECRET_LENGTH - 1))


def test_scan_environment(tmp_path: Path) -> None:
    """A scanned core runs at trace level into a file per command, with canary
    credentials; credentials a scenario sets itself win and become secrets."""
    core = Core("tofu", Path("/nonexistent/tofu"), tmp_path / "cli.tfrc", "http://127.0.0.1:1")
    plain = core.environment()
    assert "TF_LOG" not in plain and plain["AWS_SECRET_ACCESS_KEY"] == "testing"
    scan = SecretScan(tmp_path / "scan")
    core.secrets = scan
    env = core.environment(None, "apply")
    assert env["TF_LOG"] == "trace" and env["TF_LOG_PATH"] == str(scan.root / "traces" / "001-apply.log")
    assert env["AWS_SECRET_ACCESS_KEY"] == scan.secret_key and env["AWS_SESSION_TOKEN"] == scan.session_token
    assert {scan.secret_key, scan.session_token} <= set(scan.secrets)
    own = core.environment({"AWS_SECRET_ACCESS_KEY": CANARY, "TF_LOG_PATH": str(tmp_path / "own.log")}, "plan")
    assert own["AWS_SECRET_ACCESS_KEY"] == CANARY and own["TF_LOG_PATH"] == str(tmp_path / "own.log")
    assert CANARY in scan.secrets and scan.traces[-1] == tmp_path / "own.log"


def test_scan_secrets_manager_values(tmp_path: Path) -> None:
    """What the harvest takes from a Secrets Manager value: an RDS-managed secret's
    password (not its username), or a whole token."""
    from tests.support.secrets import _secret_values

    managed = json.dumps({"username": "odeadmin", "password": "Managed-Pw-123456"})
    assert _secret_values("rds!db-1", managed) == [("secret rds!db-1 password", "Managed-Pw-123456")]
    assert _secret_values("tier/redis-auth", "token-" * 6) == [("secret tier/redis-auth", "token-" * 6)]
    assert _secret_values("empty", None) == []


# -- through a real core -----------------------------------------------------------------

LEAKY = """
variable "canary" {
  type = string
}

resource "ode_state_backend" "this" {
  bucket     = "ode-e2e-scan-state"
  lock_table = "ode-e2e-scan-locks"
  tags       = { Canary = var.canary }
}
"""


@pytest.mark.e2e
def test_secrets_scan_catches_a_leak(core: Core, emulator: EmulatorClient, workdir: Path, tmp_path: Path) -> None:
    """The whole pipeline can fail: a canary given as a variable (the core logs its
    command line) and kept as a tag (in state and plan) is found in all three."""
    scan = SecretScan(tmp_path / "scan", emulator)
    scan.add("the canary", CANARY)
    core.secrets = scan
    try:
        write_config(workdir, provider_block(emulator) + LEAKY)
        core.init(workdir)
        core.apply(workdir, "-var", f"canary={CANARY}")
        plan = core.plan(workdir, "-var", f"canary={CANARY}")
        assert plan.returncode == 0, plan.describe()
    finally:
        core.secrets = None
    kinds = {h.kind for h in scan.hits()}
    assert kinds == {"trace", "state", "plan"}, [h.describe(scan.root) for h in scan.hits()]
    with pytest.raises(AssertionError) as failed:
        scan.check()
    assert CANARY not in str(failed.value)
    # Both plans (the apply's and the explicit one) were kept; every command traced.
    assert scan.summary()["plan"] == 2 and len(scan.traces) == scan.runs, scan.summary()
    core.destroy(workdir, "-var", f"canary={CANARY}")
    assert_emulator_empty(emulator)


ROLE = "arn:aws:iam::123456789012:role/ode-e2e-deployer"


@pytest.mark.e2e
def test_secrets_assume_role(core: Core, emulator: EmulatorClient, workdir: Path, secret_scan: SecretScan) -> None:
    """Base credentials from the environment, an assumed role with an external id: the
    base secret key and session token, and the assumed session's secret key and token,
    are in no trace, state or plan; the external id (configuration, which the plan
    JSON repeats) is in no trace."""
    external_id = "ode-ext-" + random.token_hex(10)
    secret_scan.add("assume_role.external_id", external_id, stored=True)
    extra = f'  assume_role {{\n    role_arn     = "{ROLE}"\n    session_name = "ode-e2e"\n    external_id  = "{external_id}"\n  }}'
    write_config(workdir, provider_block(emulator, extra=extra) + LEAKY.replace("var.canary", '"plain"'))
    core.init(workdir)
    core.apply(workdir, "-var", "canary=unused-value")
    assert secret_scan.add_assumed_role_credentials(emulator) >= 1, "the provider assumed no role"
    plan = core.plan(workdir, "-var", "canary=unused-value")
    assert plan.returncode == 0, plan.describe()
    core.destroy(workdir, "-var", "canary=unused-value")
    assert_emulator_empty(emulator)


EPHEMERAL = """
variable "db_password" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "redis_token" {
  type      = string
  sensitive = true
  ephemeral = true
}
"""


@pytest.mark.e2e
@pytest.mark.cores("tofu")
def test_secrets_write_only_from_ephemeral_variables(
    core: Core, emulator: EmulatorClient, workdir: Path, secret_scan: SecretScan
) -> None:
    """Write-only values from ephemeral variables set in the environment: no trace,
    state or plan JSON holds them, not even the plan's copy of the configuration."""
    password, token = "Eph-Pg-" + random.token_hex(12), "Eph-Redis-" + random.token_hex(16)
    secret_scan.add("postgres.password_wo", password)
    secret_scan.add("redis.auth_token_wo", token)
    secret_scan.scan_plan_configuration = True
    env = {"TF_VAR_db_password": password, "TF_VAR_redis_token": token}
    pg = "deletion_protection = false\n    password_wo = var.db_password\n    password_version = 1"
    rd = "auth_token_wo = var.redis_token\n    auth_token_version = 1"
    write_config(workdir, data.tier_config(emulator, postgres=pg, redis=rd) + EPHEMERAL)
    core.init(workdir)
    core.apply(workdir, env=env)
    digest = __import__("hashlib").sha256(token.encode()).hexdigest()
    assert emulator.redis_auth_token_hashes(f"{data.TIER}-redis") == [digest], "the token did not reach AWS"
    plan = core.plan(workdir, env=env)
    assert plan.returncode == 0, plan.describe()
    core.destroy(workdir, env=env)
    data.assert_nothing_left(emulator)
