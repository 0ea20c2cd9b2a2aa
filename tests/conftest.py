"""Fixtures for the end-to-end tests.

* ``emulator``: one AWS emulator (tests/support/emulator.py) per session, reset before
  every test that uses it.
* ``provider_bin``: the provider binary under test; the tests that need it fail (not
  skip) when it is missing.
* ``core``: a test taking it runs once per core (tofu, terraform) installed by
  scripts/install-tools.sh.
* ``workdir``: a fresh directory for one configuration.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.core import Core
from tests.support.emulator import EmulatorClient
from tests.support.mirror import build_mirror, provider_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
ODE_CACHE = Path(os.environ.get("ODE_CACHE") or Path.home() / ".cache/ode")
TOOLS = ODE_CACHE / "tools"
CORES = {
    "tofu": TOOLS / "tofu-1.12.6" / "tofu",
    "terraform": TOOLS / "terraform-1.5.7" / "terraform",
}
EMULATOR_START_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    """The session's AWS emulator, run as a subprocess on a free port."""
    state = tmp_path_factory.mktemp("emulator")
    port_file = state / "port"
    log_path = state / "emulator.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.emulator", "--port", "0", "--port-file", str(port_file)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + EMULATOR_START_TIMEOUT_S
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the emulator did not start; its log:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield EmulatorClient(int(port_file.read_text()))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(autouse=True)
def _reset_emulator(request: pytest.FixtureRequest) -> None:
    """Give every test that uses the emulator an empty one."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").reset()


@pytest.fixture(scope="session")
def provider_bin() -> Path:
    binary = provider_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail(
            f"provider binary not found at {binary}: build it first (`cargo build`), "
            "or point ODE_PROVIDER_BIN at it",
            pytrace=False,
        )
    return binary


@pytest.fixture(scope="session")
def cli_config(provider_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CLI config file that installs the provider from a filesystem mirror."""
    return build_mirror(provider_bin, tmp_path_factory.mktemp("provider-mirror"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "core" not in metafunc.fixturenames:
        return
    params = []
    for name, binary in CORES.items():
        marks = []
        failed = binary.parent.with_name(binary.parent.name + ".failed")
        if name != "tofu" and not binary.exists():
            if failed.exists():
                # The first compiler message, skipping go's "# package" headers.
                lines = [l for l in failed.read_text().splitlines() if l.strip() and not l.startswith("#")]
                reason = f"{name} did not build (see {failed}): {lines[0] if lines else 'no message'}"
            else:
                reason = f"{name} is not installed at {binary}; run scripts/install-tools.sh"
            marks.append(pytest.mark.skip(reason=reason))
        params.append(pytest.param(name, id=name, marks=marks))
    metafunc.parametrize("core", params, indirect=True)


@pytest.fixture
def core(request: pytest.FixtureRequest, emulator: EmulatorClient, cli_config: Path) -> Core:
    name = request.param
    binary = CORES[name]
    if not os.access(binary, os.X_OK):
        # tofu is required: a missing one is a broken setup, not a reason to skip.
        pytest.fail(f"{name} not found at {binary}; run scripts/install-tools.sh", pytrace=False)
    return Core(name, binary, cli_config, emulator.url)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path
