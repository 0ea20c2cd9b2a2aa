"""Faults at a steady rate ("chaos"): the emulator fails a share of the AWS calls it
receives the way AWS and the network fail them, so that every e2e scenario can run
against an AWS that misbehaves as it does in production.

``POST /_ode/chaos`` with ``{"rate": 0.15, "seed": 7}`` turns it on (``rate`` 0, or
``/_ode/reset``, turns it off); optional fields are ``mix`` (the share of each kind of
fault, :data:`DEFAULT_MIX` when left out), ``clients`` (User-Agent words: only calls of
a client whose User-Agent holds one of them are failed; null: every client),
``actions`` (``service:Action`` names: only those calls are failed; null: all) and
``limit`` (the most faults to inject; null: no limit). With ``actions`` and ``limit``
one fault can be aimed at one call, to reproduce what a run met: ``{"rate": 1, "mix":
{"reset-after": 1}, "actions": ["ec2:CreateRouteTable"], "limit": 1}``. The tests' own boto3 clients, which look at the emulator to check a scenario, carry
:data:`OBSERVER_AGENT` in their User-Agent and are never failed: a fault there would
test the test. ``GET /_ode/chaos`` reports the setting and what was injected.

Each call of a client chaos applies to fails with probability ``rate``; the kind of a
failed call is drawn from ``mix``:

* ``throttle``: the service's throttling error (EC2 ``RequestLimitExceeded`` 503, the
  query services ``Throttling`` 400, the JSON services ``ThrottlingException`` 400, EKS
  ``ThrottlingException`` 429, S3 ``SlowDown`` 503);
* ``internal``: 500, the service's internal error (``InternalError`` for EC2 and S3,
  the code botocore's model gives for IAM, DynamoDB, KMS, Secrets Manager, CloudWatch
  Logs and EKS, ``InternalFailure`` for the others);
* ``unavailable``: 503 (``ServiceUnavailable``; EKS and CloudWatch Logs
  ``ServiceUnavailableException``);
* ``reset-before``: the connection is reset before the call reaches moto (nothing
  happened);
* ``reset-after``: moto carries the call out, then the connection is reset instead of
  the answer: the client never hears that its create (or delete) was done, and its
  retry meets what the first attempt made. This is the fault that duplicates creates.

A reset closes the TCP connection with an RST (``SO_LINGER`` 0) and sends nothing:
:class:`Dropped` is raised from the WSGI application, and the request handler made by
:func:`request_handler` aborts the socket.

The report counts the calls chaos looked at, the faults by kind, by service and by
``service:Action``, lists the faults in order (``log``), and says how many faulted
calls were *retried*: followed by another call of the same operation by the same
client (``retried``); the others (``not_retried``) are faults the client gave up on,
or surfaced.
"""

from __future__ import annotations

import math
import os
import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

KINDS = ("throttle", "internal", "unavailable", "reset-before", "reset-after")
ERROR_KINDS = ("throttle", "internal", "unavailable")
RESET_KINDS = ("reset-before", "reset-after")

#: The share of each kind among injected faults: mostly throttling, as AWS under load;
#: a fifth of them connection resets, most of those after AWS carried the call out.
DEFAULT_MIX: Mapping[str, float] = {
    "throttle": 0.45,
    "internal": 0.15,
    "unavailable": 0.15,
    "reset-before": 0.10,
    "reset-after": 0.15,
}

#: The User-Agent word of the tests' own clients (``EmulatorClient.client``), which
#: chaos leaves alone.
OBSERVER_AGENT = "ode-test-observer"

MESSAGE = "injected by the ODE test emulator (chaos)"

#: How many faults the report lists one by one (time, service, action, kind), oldest first.
LOG_LIMIT = 1000

# The throttling error of each service, by protocol: (status, code).
_THROTTLE = {
    "ec2": (503, "RequestLimitExceeded"),
    "query": (400, "Throttling"),
    "json": (400, "ThrottlingException"),
    "eks": (429, "ThrottlingException"),
    "s3": (503, "SlowDown"),
}
# The 500 error codes the services' models name (botocore), else the common one.
_INTERNAL = {
    "ec2": "InternalError",
    "s3": "InternalError",
    "iam": "ServiceFailure",
    "dynamodb": "InternalServerError",
    "kms": "KMSInternalException",
    "secretsmanager": "InternalServiceError",
    "logs": "InternalServerException",
    "eks": "ServerException",
}
_UNAVAILABLE = {"eks": "ServiceUnavailableException", "logs": "ServiceUnavailableException"}


@dataclass(frozen=True)
class Error:
    """An error answer: HTTP status and the AWS error code."""

    status: int
    code: str
    message: str = MESSAGE


def protocol_family(service: str, protocol: str) -> str:
    """The error family of a call: ec2, query, json, eks (rest-json) or s3 (rest-xml)."""
    if service in ("ec2", "s3", "eks"):
        return service
    if protocol in ("json", "query"):
        return protocol
    return "json" if protocol == "rest-json" else "query"


def error_for(kind: str, service: str, protocol: str) -> Error:
    """The error a fault of ``kind`` (one of :data:`ERROR_KINDS`) answers a call of
    ``service`` made in ``protocol`` (the emulator's classification) with."""
    family = protocol_family(service, protocol)
    if kind == "throttle":
        return Error(*_THROTTLE[family])
    if kind == "internal":
        default = "InternalError" if family in ("ec2", "s3") else "InternalFailure"
        return Error(500, _INTERNAL.get(service, default))
    if kind == "unavailable":
        return Error(503, _UNAVAILABLE.get(service, "ServiceUnavailable"))
    raise ValueError(f"{kind!r} is not an error kind; expected one of {ERROR_KINDS}")


class Dropped(ConnectionResetError):
    """Raised by the WSGI application to reset the connection instead of answering."""


def request_handler(base: type) -> type:
    """``base`` (a werkzeug request handler) that aborts the connection with an RST
    when the application raised :class:`Dropped`."""

    class ChaosRequestHandler(base):  # type: ignore[misc, valid-type]
        def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
            if not isinstance(error, Dropped):
                super().connection_dropped(error, environ)
                return
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # Detached, the socket object no longer owns the descriptor: the handler's
                # own shutdown and close then do nothing, and no FIN goes out before the RST.
                os.close(self.connection.detach())
            except OSError:
                pass

    ChaosRequestHandler.__name__ = ChaosRequestHandler.__qualname__ = f"Chaos{base.__name__}"
    return ChaosRequestHandler


def _counter() -> dict[str, int]:
    return {kind: 0 for kind in KINDS}


class Chaos:
    """The chaos setting of one emulator and what it injected (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Off, and nothing counted."""
        with self._lock:
            self.rate = 0.0
            self.seed = 0
            self.mix: dict[str, float] = dict(DEFAULT_MIX)
            self.clients: list[str] | None = None
            self.actions: list[str] | None = None
            self.limit: int | None = None
            self._random = random.Random(0)
            self.calls = 0
            self.by_kind = _counter()
            self.by_service: dict[str, dict[str, int]] = {}
            self.by_action: dict[str, dict[str, int]] = {}
            self.retried = 0
            self.log: list[dict[str, Any]] = []
            # (client, service, action) -> faults not yet followed by another call.
            self._open: dict[tuple[str, str, str], int] = {}

    def configure(self, payload: Any) -> None:
        """Apply a ``POST /_ode/chaos`` body; raises ValueError naming what is wrong.
        The counts start again from zero."""
        if not isinstance(payload, dict) or "rate" not in payload:
            raise ValueError(
                'expected {"rate": 0..1, "seed": n, "mix": {kind: share}, "clients": [word], '
                '"actions": ["service:Action"], "limit": n}'
            )
        unknown = set(payload) - {"rate", "seed", "mix", "clients", "actions", "limit"}
        if unknown:
            raise ValueError(f"unknown chaos settings {sorted(unknown)}")
        rate = payload["rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or not 0 <= rate <= 1:
            raise ValueError(f"rate must be a number from 0 to 1, not {rate!r}")
        seed = payload.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed must be a whole number, not {seed!r}")
        mix = payload.get("mix") or dict(DEFAULT_MIX)
        if not isinstance(mix, dict) or not set(mix) <= set(KINDS):
            raise ValueError(f"mix must map fault kinds {list(KINDS)} to shares, not {mix!r}")
        for kind, share in mix.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not math.isfinite(share) or share < 0:
                raise ValueError(f"mix.{kind} must be a number >= 0, not {share!r}")
        if sum(mix.values()) <= 0:
            raise ValueError("mix must give at least one kind a share above 0")
        clients = payload.get("clients")
        if clients is not None and (
            not isinstance(clients, list) or not all(isinstance(c, str) and c for c in clients)
        ):
            raise ValueError(f"clients must be a list of User-Agent words or null, not {clients!r}")
        actions = payload.get("actions")
        if actions is not None and (
            not isinstance(actions, list) or not all(isinstance(a, str) and re.fullmatch(r"[\w-]+:.+", a) for a in actions)
        ):
            raise ValueError(f"actions must be a list of service:Action names or null, not {actions!r}")
        limit = payload.get("limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be a whole number >= 0 or null, not {limit!r}")
        self.reset()
        with self._lock:
            self.rate = float(rate)
            self.seed = seed
            self.mix = {kind: float(mix.get(kind, 0)) for kind in KINDS}
            self.clients = clients
            self.actions = actions
            self.limit = limit
            self._random = random.Random(seed)

    def draw(self, service: str, action: str, user_agent: str) -> str | None:
        """The fault kind this call gets, or None; counts the call and the fault."""
        if self.rate <= 0 or service == "unknown" or OBSERVER_AGENT in user_agent:
            return None
        if self.clients is not None and not any(word in user_agent for word in self.clients):
            return None
        if self.actions is not None and f"{service}:{action}" not in self.actions:
            return None
        client = user_agent.split(" ", 1)[0]
        key = (client, service, action)
        with self._lock:
            self.calls += 1
            if self._open.get(key):
                self._open[key] -= 1
                self.retried += 1
            if self._random.random() >= self.rate:
                return None
            if self.limit is not None and sum(self.by_kind.values()) >= self.limit:
                return None
            kinds = [k for k in KINDS if self.mix[k] > 0]
            kind = self._random.choices(kinds, weights=[self.mix[k] for k in kinds])[0]
            self.by_kind[kind] += 1
            self.by_service.setdefault(service, _counter())[kind] += 1
            self.by_action.setdefault(f"{service}:{action}", _counter())[kind] += 1
            self._open[key] = self._open.get(key, 0) + 1
            if len(self.log) < LOG_LIMIT:
                self.log.append({"t": round(time.time(), 3), "service": service, "action": action, "kind": kind})
            return kind

    def report(self) -> dict[str, Any]:
        """The setting and the counts (``GET /_ode/chaos``)."""
        with self._lock:
            faults = sum(self.by_kind.values())
            return {
                "rate": self.rate,
                "seed": self.seed,
                "mix": dict(self.mix),
                "clients": self.clients,
                "actions": self.actions,
                "limit": self.limit,
                "calls": self.calls,
                "faults": faults,
                "by_kind": dict(self.by_kind),
                "by_service": {s: dict(c) for s, c in sorted(self.by_service.items())},
                "by_action": {a: dict(c) for a, c in sorted(self.by_action.items())},
                "retried": self.retried,
                "not_retried": faults - self.retried,
                "log": list(self.log),
            }


# -- the session's summary (tests/conftest.py) -------------------------------------------


class Summary:
    """What a test session under chaos ran and met: one entry per scenario (its outcome,
    duration, the faults injected into it and how many of them were retried, the
    emulator's chaos report for it, and the checks tests/conftest.py made after it: its
    core commands' times, those longer than their configuration's timeouts, whether it
    was checked for leaks and what leaked), added up for the terminal and
    ``tests/.reports/chaos.json``."""

    def __init__(self, rate: float, clients: list[str] | None) -> None:
        self.rate = rate
        self.clients = clients
        self.scenarios: dict[str, dict[str, Any]] = {}

    def add(
        self,
        nodeid: str,
        when: str,
        outcome: str,
        duration: float,
        report: dict | None,
        longrepr: str,
        subtest: bool = False,
        checks: dict | None = None,
    ) -> None:
        """One test phase's result (``pytest_runtest_logreport``); ``report`` is the
        scenario's chaos report when it ran under chaos, ``checks`` what was checked
        after it (leaks, overruns, commands). A subtest's time is already in its test's."""
        entry = self.scenarios.setdefault(
            nodeid,
            {
                "outcome": "passed",
                "duration_s": 0.0,
                "faults": 0,
                "retried": 0,
                "not_retried": 0,
                "leak_checked": False,
                "leaks": [],
                "overruns": [],
                "commands": [],
                "error": "",
                "chaos": None,
            },
        )
        if not subtest:
            entry["duration_s"] = round(entry["duration_s"] + duration, 2)
        if outcome == "failed" and entry["outcome"] != "failed":
            entry["outcome"] = "failed" if when == "call" else f"error in {when}"
            entry["error"] = _first_error_line(longrepr)
        elif outcome == "skipped" and when != "teardown":
            entry["outcome"] = "skipped"
        if report is not None:
            entry["chaos"] = report
            entry.update(faults=report["faults"], retried=report["retried"], not_retried=report["faults"] - report["retried"])
        if checks is not None:
            entry.update(checks)

    def totals(self) -> dict[str, Any]:
        chaotic = {n: e for n, e in self.scenarios.items() if e["chaos"] is not None}
        by_kind, by_service, by_action = _counter(), {}, {}
        calls = retried = 0
        for entry in chaotic.values():
            report = entry["chaos"]
            calls += report["calls"]
            retried += report["retried"]
            for kind, n in report["by_kind"].items():
                by_kind[kind] += n
            for table, merged in ((report["by_service"], by_service), (report["by_action"], by_action)):
                for name, counts in table.items():
                    into = merged.setdefault(name, _counter())
                    for kind, n in counts.items():
                        into[kind] += n
        faults = sum(by_kind.values())
        failed = sorted(n for n, e in chaotic.items() if e["outcome"] not in ("passed", "skipped"))
        return {
            "rate": self.rate,
            "clients": self.clients,
            "scenarios": len(chaotic),
            "passed": sum(1 for e in chaotic.values() if e["outcome"] == "passed"),
            "failed": failed,
            "without_chaos": sorted(n for n, e in self.scenarios.items() if e["chaos"] is None),
            "calls": calls,
            "faults": faults,
            "by_kind": by_kind,
            "retried": retried,
            "not_retried": faults - retried,
            "by_service": dict(sorted(by_service.items())),
            "by_action": dict(sorted(by_action.items(), key=lambda item: -sum(item[1].values()))),
            "leak_checked": sum(1 for e in chaotic.values() if e["leak_checked"]),
            "leaks": {n: e["leaks"] for n, e in sorted(chaotic.items()) if e["leaks"]},
            "overruns": {n: e["overruns"] for n, e in sorted(chaotic.items()) if e["overruns"]},
            "slowest": sorted(
                ({"scenario": n, "duration_s": e["duration_s"]} for n, e in chaotic.items()),
                key=lambda item: -item["duration_s"],
            )[:10],
            "per_scenario": {n: self.scenarios[n] for n in sorted(chaotic)},
        }

    def lines(self) -> list[str]:
        """The terminal summary."""
        t = self.totals()
        kinds = ", ".join(f"{kind} {t['by_kind'][kind]}" for kind in KINDS)
        lines = [
            f"chaos at {t['rate']:.0%} of {'every client' if t['clients'] is None else ', '.join(t['clients'])}'s calls: "
            f"{t['scenarios']} scenarios ({t['passed']} passed, {len(t['failed'])} failed), "
            f"{len(t['without_chaos'])} tests without chaos",
            f"  {t['faults']} faults injected into {t['calls']} AWS calls: {kinds}",
            f"  retried: {t['retried']} faulted calls followed by another call of the same operation "
            f"by the same client; {t['not_retried']} not",
        ]
        lines.append(
            f"  leaks: {t['leak_checked']} scenarios ended in a destroy and were checked, "
            f"{len(t['leaks'])} left objects of the provider's behind"
        )
        lines += [f"  leaked: {n}: {', '.join(leaked)}" for n, leaked in t["leaks"].items()]
        lines += [f"  over its timeouts: {n}: {'; '.join(found)}" for n, found in t["overruns"].items()]
        lines += [f"  failed: {n}: {self.scenarios[n]['error']}" for n in t["failed"]]
        return lines


def _first_error_line(longrepr: str) -> str:
    """The line of a failure report that says what went wrong (``E   ...``), shortened."""
    for line in longrepr.splitlines():
        if line.startswith("E "):
            return line[1:].strip()[:300]
    return longrepr.strip().splitlines()[-1][:300] if longrepr.strip() else ""
