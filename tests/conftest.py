"""Fixtures for the end-to-end tests.

* ``emulator``: one AWS emulator (tests/support/emulator.py) per session, reset before
  every test that uses it.
* ``provider_bin``: the provider binary under test; the tests that need it fail (not
  skip) when it is missing.
* ``core``: a test taking it runs once per core (tofu, terraform) that
  scripts/install-tools.sh installs. Every core is required: a missing one fails the
  test (never skips it), naming the binary and how to install it.
* ``workdir``: a fresh directory for one configuration.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.core import CORE_BINARIES, Core
from tests.support.emulator import EmulatorClient, EmulatorStartError, running_emulator
from tests.support.mirror import build_mirror, provider_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
CORES = CORE_BINARIES


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    """The session's AWS emulator, run as a subprocess on a free port."""
    try:
        with running_emulator(tmp_path_factory.mktemp("emulator")) as client:
            yield client
    except EmulatorStartError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(autouse=True)
def _reset_emulator(request: pytest.FixtureRequest):
    """Give every test that uses the emulator an empty one, and fail the test if a
    request it caused broke AWS's API model (tests/support/api_models.py)."""
    if "emulator" not in request.fixturenames:
        yield
        return
    emulator = request.getfixturevalue("emulator")
    emulator.reset()
    emulator.clear_api_violations()
    yield
    report = emulator.api_models()
    _API_MODELS.update(report)
    if report["violations"]:
        listed = "\n".join(
            f"  {v['service']}:{v['operation']} ({v['direction']}): {v['problem']}" for v in report["violations"]
        )
        pytest.fail(f"calls that break AWS's API models:\n{listed}", pytrace=False)


#: The emulator's last API-model report (what was checked, session-wide).
_API_MODELS: dict = {}


def pytest_terminal_summary(terminalreporter) -> None:
    """How many distinct operations the session's requests exercised, each held
    against AWS's published model (and the extensions' answers)."""
    if not _API_MODELS:
        return
    requests, answers = _API_MODELS["requests"], _API_MODELS["answers"]
    unparsed = sorted(_API_MODELS["unparsed"])
    terminalreporter.write_line(
        f"API models: {len(requests)} distinct operations validated against botocore's models "
        f"({sum(requests.values())} requests), {len(answers)} extension operations' answers checked"
        + (f"; not parsed by moto, unchecked: {', '.join(unparsed)}" if unparsed else "")
    )
    report = REPO_ROOT / "tests" / ".reports"
    report.mkdir(parents=True, exist_ok=True)
    (report / "api-models.json").write_text(json.dumps(_API_MODELS, indent=1, sort_keys=True) + "\n")


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
    # Every core, installed or not: the ``core`` fixture fails the test for a missing one.
    # ``@pytest.mark.cores("tofu")`` limits a test to features only some cores have; what
    # the other cores do with such a configuration is then a test of its own.
    marker = metafunc.definition.get_closest_marker("cores")
    names = [n for n in CORES if marker is None or n in marker.args]
    metafunc.parametrize("core", [pytest.param(name, id=name) for name in names], indirect=True)


@pytest.fixture
def core(request: pytest.FixtureRequest, emulator: EmulatorClient, cli_config: Path) -> Core:
    name = request.param
    binary = CORES[name]
    if not os.access(binary, os.X_OK):
        # Every core is required: a missing one is a broken setup, not a reason to skip.
        pytest.fail(
            f"{name} is not installed at {binary}: run `make tools` (scripts/install-tools.sh), "
            "which builds it or prints why it cannot",
            pytrace=False,
        )
    return Core(name, binary, cli_config, emulator.url)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path
