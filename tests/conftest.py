"""Fixtures for the end-to-end tests.

* ``emulator``: one AWS emulator (tests/support/emulator.py) per session, reset before
  every test that uses it.
* ``provider_bin``: the provider binary under test; the tests that need it fail (not
  skip) when it is missing.
* ``core``: a test taking it runs once per core (tofu, terraform) that
  scripts/install-tools.sh installs. Every core is required: a missing one fails the
  test (never skips it), naming the binary and how to install it.
* ``workdir``: a fresh directory for one configuration.

With ``--chaos-rate`` (or ``ODE_CHAOS_RATE``) above 0, every e2e scenario runs with the
emulator failing that share of the provider's AWS calls (tests/support/chaos.py), except
those marked ``no_chaos`` (they count calls or inject faults of their own); the session
ends with what was injected (``tests/.reports/chaos.json``). A chaotic test that passed
and whose every configuration ended in a successful destroy must leave nothing the
provider owns in the emulator (tests/support/leaks.py): a leak fails it.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path

import pytest

from tests.support import chaos, leaks
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


CRASH_DIR = REPO_ROOT / "tests" / "crash"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The crash loop (tests/crash, ``make test-crash``: long) runs only when its
    directory, or a file in it, is named on the command line."""
    if collection_path != CRASH_DIR:
        return None
    named = [Path(arg.split("::", 1)[0]).resolve() for arg in config.args]
    return not any(path == CRASH_DIR or CRASH_DIR in path.parents for path in named) or None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--chaos-rate",
        type=float,
        default=float(os.environ.get("ODE_CHAOS_RATE") or 0),
        help="share of the provider's AWS calls the emulator fails in every e2e scenario not "
        "marked no_chaos (default: $ODE_CHAOS_RATE, else 0: off); $ODE_CHAOS_SEED seeds it, "
        "$ODE_CHAOS_CLIENTS picks the clients (User-Agent words, comma-separated; 'all': "
        "the cores' S3 backends and scripts too; default aws-sdk-rust, the provider)",
    )


#: The session's chaos summary (on the controller under pytest-xdist); None when off.
_CHAOS: chaos.Summary | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _CHAOS
    rate = config.getoption("chaos_rate")
    if not 0 <= rate <= 1:
        raise pytest.UsageError(f"--chaos-rate / ODE_CHAOS_RATE must be from 0 to 1, not {rate}")
    if rate > 0:
        clients = os.environ.get("ODE_CHAOS_CLIENTS") or "aws-sdk-rust"
        _CHAOS = chaos.Summary(rate, None if clients == "all" else [c.strip() for c in clients.split(",") if c.strip()])


def _chaos_for(request: pytest.FixtureRequest) -> bool:
    return _CHAOS is not None and request.node.get_closest_marker("e2e") is not None and (
        request.node.get_closest_marker("no_chaos") is None
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _CHAOS is not None and report.keywords.get("e2e"):
        properties = dict(report.user_properties)
        _CHAOS.add(
            report.nodeid,
            report.when,
            report.outcome,
            report.duration,
            properties.get("chaos"),
            report.longreprtext,
            subtest=hasattr(report, "context"),  # pytest's SubtestReport
            checks=properties.get("chaos_checks"),
        )


#: The cores a test took (the ``core`` fixture), and its call phase's outcome.
_TEST_CORES = pytest.StashKey[list]()
_CALL_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


@pytest.fixture(autouse=True)
def _reset_emulator(request: pytest.FixtureRequest):
    """Give every test that uses the emulator an empty one (under chaos: failing calls
    at the session's rate), and fail the test if a request it caused broke AWS's API
    model (tests/support/api_models.py)."""
    if "emulator" not in request.fixturenames:
        yield
        return
    emulator = request.getfixturevalue("emulator")
    emulator.reset()
    emulator.clear_api_violations()
    chaotic = _chaos_for(request)
    if chaotic:
        seed = zlib.crc32(request.node.nodeid.encode()) ^ int(os.environ.get("ODE_CHAOS_SEED") or 0)
        emulator.set_chaos(_CHAOS.rate, seed=seed, clients=_CHAOS.clients)
    yield
    leaked: list[str] = []
    if chaotic:
        request.node.user_properties.append(("chaos", emulator.chaos()))
        leaked = _chaos_checks(request.node, emulator)
    report = emulator.api_models()
    _API_MODELS.update(report)
    if report["violations"]:
        listed = "\n".join(
            f"  {v['service']}:{v['operation']} ({v['direction']}): {v['problem']}" for v in report["violations"]
        )
        pytest.fail(f"calls that break AWS's API models:\n{listed}", pytrace=False)
    if leaked:
        listed = "\n".join(f"  {line}" for line in leaked)
        pytest.fail(f"left behind after the destroy (ownership tags, under chaos):\n{listed}", pytrace=False)


def _chaos_checks(item: pytest.Item, emulator: EmulatorClient) -> list[str]:
    """After a chaotic test: its core commands' times, those longer than their
    configuration's timeouts and, when it passed and ended in a destroy of everything
    it applied, what the provider owns that is still there (recorded for the report
    as ``chaos_checks``; answered: the leaks)."""
    commands = [command for core in item.stash.get(_TEST_CORES, []) for command in core.commands]
    checked = item.stash.get(_CALL_PASSED, False) and leaks.destroyed(commands)
    leaked = leaks.owned_objects(emulator) if checked else []
    item.user_properties.append(
        (
            "chaos_checks",
            {
                "leak_checked": checked,
                "leaks": leaked,
                "overruns": leaks.overruns(commands),
                "commands": leaks.command_times(commands),
            },
        )
    )
    return leaked


#: The emulator's last API-model report (what was checked, session-wide). Under
#: pytest-xdist each worker has its own emulator: workers send theirs to the controller
#: (``pytest_sessionfinish`` / ``pytest_testnodedown``), which adds them up.
_API_MODELS: dict = {}
_WORKER_REPORTS: list[dict] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and _API_MODELS:
        workeroutput["api_models"] = json.dumps(_API_MODELS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # pytest-xdist's hook, on the controller
    report = getattr(node, "workeroutput", {}).get("api_models")
    if report:
        _WORKER_REPORTS.append(json.loads(report))


def merged_api_models(reports: list[dict]) -> dict:
    """One report of several emulators': counts added, violations listed."""
    merged: dict = {"requests": {}, "answers": {}, "violations": [], "unparsed": {}}
    for report in reports:
        for key in ("requests", "answers", "unparsed"):
            for name, count in report.get(key, {}).items():
                merged[key][name] = merged[key].get(name, 0) + count
        merged["violations"] += report.get("violations", [])
    return merged


def pytest_terminal_summary(terminalreporter) -> None:
    """How many distinct operations the session's requests exercised, each held
    against AWS's published model (and the extensions' answers); under chaos, what
    was injected."""
    if _CHAOS is not None and not hasattr(terminalreporter.config, "workerinput"):
        for line in _CHAOS.lines():
            terminalreporter.write_line(line)
        reports = REPO_ROOT / "tests" / ".reports"
        reports.mkdir(parents=True, exist_ok=True)
        (reports / "chaos.json").write_text(json.dumps(_CHAOS.totals(), indent=1) + "\n")
    models = merged_api_models(_WORKER_REPORTS) if _WORKER_REPORTS else _API_MODELS
    if not models:
        return
    requests, answers = models["requests"], models["answers"]
    unparsed = sorted(models["unparsed"])
    terminalreporter.write_line(
        f"API models: {len(requests)} distinct operations validated against botocore's models "
        f"({sum(requests.values())} requests), {len(answers)} extension operations' answers checked"
        + (f"; not parsed by moto, unchecked: {', '.join(unparsed)}" if unparsed else "")
    )
    report = REPO_ROOT / "tests" / ".reports"
    report.mkdir(parents=True, exist_ok=True)
    (report / "api-models.json").write_text(json.dumps(models, indent=1, sort_keys=True) + "\n")


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
    made = Core(name, binary, cli_config, emulator.url)
    request.node.stash.setdefault(_TEST_CORES, []).append(made)
    return made


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path
