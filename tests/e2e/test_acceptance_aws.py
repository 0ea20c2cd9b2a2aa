"""scripts/test-aws.sh (`make test-aws`), the opt-in real-AWS acceptance run, pointed
at the emulator: it refuses without ODE_ACC_AWS=1 and without the credentials' own
account id, before any call that changes anything; given both, it applies the
acceptance stack, finds the second plan empty and destroys everything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.core import CORE_BINARIES
from tests.support.emulator import EmulatorClient
from tests.support.helpers import assert_emulator_empty

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"  # moto's


def run_script(provider_bin: Path, emulator: EmulatorClient, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_", "ODE_ACC_"))}
    base.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_ENDPOINT_URL=emulator.url,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        ODE_ACC_CORE=str(CORE_BINARIES["tofu"]),
        **env,
    )
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "test-aws.sh"), str(provider_bin)],
        env=base,
        capture_output=True,
        text=True,
        timeout=600,
    )


def writes(emulator: EmulatorClient) -> list[tuple[str, str]]:
    return [(s, a) for s, a in emulator.call_names() if not a.startswith(("Describe", "List", "Get", "GET"))]


@pytest.mark.no_chaos
def test_test_aws_refuses_without_opting_in(provider_bin: Path, emulator: EmulatorClient) -> None:
    refused = run_script(provider_bin, emulator)
    assert refused.returncode == 2 and "set ODE_ACC_AWS=1" in refused.stderr, refused.stderr
    refused = run_script(provider_bin, emulator, ODE_ACC_AWS="1")
    assert refused.returncode == 2 and "ODE_ACC_ACCOUNT_ID" in refused.stderr, refused.stderr
    refused = run_script(provider_bin, emulator, ODE_ACC_AWS="1", ODE_ACC_ACCOUNT_ID="111122223333")
    assert refused.returncode == 2, refused.stderr
    assert f"the credentials are for account {ACCOUNT}, not ODE_ACC_ACCOUNT_ID=111122223333" in refused.stderr
    assert emulator.call_names() == [("sts", "GetCallerIdentity")], emulator.call_names()
    assert writes(emulator) == []


def test_test_aws_applies_plans_empty_and_destroys(provider_bin: Path, emulator: EmulatorClient) -> None:
    done = run_script(provider_bin, emulator, ODE_ACC_AWS="1", ODE_ACC_ACCOUNT_ID=ACCOUNT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "applied, and the second plan is empty" in done.stderr
    assert "No changes." in done.stdout
    assert ("eks", "POST /clusters") in emulator.call_names()
    assert_emulator_empty(emulator)
    assert emulator.client("eks").list_clusters()["clusters"] == []
    assert emulator.client("rds").describe_db_instances()["DBInstances"] == []
    assert emulator.client("elasticache").describe_replication_groups()["ReplicationGroups"] == []
    assert emulator.client("ecr").describe_repositories()["repositories"] == []
