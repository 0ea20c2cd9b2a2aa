"""Kill points: the emulator stops the world right after one AWS call was carried out,
so that a test can kill the core and the provider there (tests/crash).

``POST /_ode/killpoint`` with ``{"service": "ec2", "action": "CreateSubnet", "after":
1}`` arms one: when moto has carried out the ``after``-th successful call of that
operation by a provider (a client whose User-Agent holds one of ``clients``, by default
``aws-sdk-rust``), its answer is held back, and so is every later call of those clients,
before it reaches moto. Nothing after the kill point is carried out, and the client never
hears that it was. ``GET /_ode/killpoint?wait=S`` answers once the kill point has fired
(or after ``S`` seconds): ``{"armed": {...} | null, "fired": bool, "seen": n, "held":
n}``. The test then kills the processes (the core's process group) and sends ``POST
/_ode/killpoint/release``: the held calls end with a connection reset (chaos.Dropped),
which nobody hears any more, and the kill point is disarmed (later calls are answered
as usual). A held call is released by itself after ``HOLD_LIMIT_S``,
should a test never release it.

REST operations (EKS) are recorded as ``METHOD /path``; :func:`operation_name` gives
their operation name from botocore's model, so that kill points and the tests' tables
name every call the same way.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from typing import Any

#: The longest a held call waits for the test's release.
HOLD_LIMIT_S = 120.0

#: Action prefixes of calls that change nothing (reads); every other call mutates.
READ_PREFIXES = ("Describe", "List", "Get", "Head", "BatchGet", "Query", "Scan", "Search", "Lookup")


def mutating(action: str) -> bool:
    """Whether an operation (its name, as :func:`operation_name` gives it) changes AWS."""
    return not action.startswith(READ_PREFIXES)


@functools.lru_cache(maxsize=None)
def _rest_routes(service: str, greedy: bool) -> list[tuple[str, re.Pattern[str], int, str]]:
    """(method, path pattern, literal length, operation) of a REST service's operations,
    most specific first. ``greedy`` lets a path parameter hold slashes: an ARN in the
    path (an access entry's principal, a tagged resource) arrives decoded."""
    from moto.core.utils import get_service_model

    routes = []
    model = get_service_model(service)
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http["requestUri"].split("?", 1)[0]
        literal = len(re.sub(r"\{[^}]+\}", "", uri))
        pattern = re.sub(r"\\\{[^}]+?\\\+\\\}", "(.+)", re.escape(uri))
        pattern = re.sub(r"\\\{[^}]+\\\}", "(.+)" if greedy else "([^/]+)", pattern)
        routes.append((http["method"], re.compile(pattern + "/?$"), literal, name))
    routes.sort(key=lambda r: -r[2])
    return routes


@functools.lru_cache(maxsize=4096)
def operation_name(service: str, action: str) -> str:
    """The operation of a recorded call: ``action`` itself, or, for a REST call recorded
    as ``METHOD /path`` (EKS), the operation botocore's model routes it to."""
    method, space, path = action.partition(" ")
    if not space or not path.startswith("/") or method not in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
        return action
    for greedy in (False, True):
        try:
            routes = _rest_routes(service, greedy)
        except Exception:  # no model for the service: keep what was recorded
            return action
        for verb, pattern, _, name in routes:
            if verb == method and pattern.match(path):
                return name
    return action


@dataclass
class _Armed:
    service: str
    action: str
    after: int
    clients: list[str]


class Killpoint:
    """The kill point of one emulator (thread-safe); see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Disarm, releasing whatever is held."""
        with self._lock:
            released = getattr(self, "_released", None)
            self._armed: _Armed | None = None
            self._seen = 0
            self._held = 0
            self._fired_call: dict[str, Any] | None = None
            self._fired = threading.Event()
            self._released = threading.Event()
        if released is not None:
            released.set()

    def arm(self, payload: Any) -> dict[str, Any]:
        if not isinstance(payload, dict) or not {"service", "action"} <= set(payload) <= {"service", "action", "after", "clients"}:
            raise ValueError('expected {"service": ..., "action": ..., "after": n, "clients": [...]}')
        after = int(payload.get("after", 1))
        if after < 1:
            raise ValueError("after must be at least 1")
        clients = payload.get("clients") or ["aws-sdk-rust"]
        self.reset()
        with self._lock:
            self._armed = _Armed(str(payload["service"]), str(payload["action"]), after, [str(c) for c in clients])
        return self.report()

    def report(self) -> dict[str, Any]:
        with self._lock:
            armed = self._armed
            return {
                "armed": None
                if armed is None
                else {"service": armed.service, "action": armed.action, "after": armed.after, "clients": armed.clients},
                "fired": self._fired.is_set(),
                "call": self._fired_call,
                "seen": self._seen,
                "held": self._held,
            }

    def wait(self, seconds: float) -> dict[str, Any]:
        """The report, once the kill point fired or ``seconds`` passed."""
        with self._lock:
            fired = self._fired
        fired.wait(max(0.0, min(seconds, 60.0)))
        return self.report()

    def _applies(self, user_agent: str) -> _Armed | None:
        armed = self._armed
        if armed is None or not any(c in user_agent for c in armed.clients):
            return None
        return armed

    def before(self, user_agent: str) -> bool:
        """Called before a call reaches moto: True when the kill point has fired and the
        call was held (the caller then drops it, never carrying it out)."""
        with self._lock:
            if self._applies(user_agent) is None or not self._fired.is_set():
                return False
            self._held += 1
            released = self._released
        released.wait(HOLD_LIMIT_S)
        return True

    def after(self, service: str, action: str, status: int, user_agent: str) -> bool:
        """Called once moto carried a call out and its answer is ready: True when this
        call is the kill point, or was carried out alongside it, and was held (the
        caller then drops its answer)."""
        with self._lock:
            armed = self._applies(user_agent)
            if armed is None:
                return False
            if not self._fired.is_set():
                if not 200 <= status < 300 or armed.service != service:
                    return False
                if operation_name(service, action) != armed.action:
                    return False
                self._seen += 1
                if self._seen < armed.after:
                    return False
                self._fired_call = {"service": service, "action": armed.action, "recorded_as": action, "status": status}
                self._fired.set()
            self._held += 1
            released = self._released
        released.wait(HOLD_LIMIT_S)
        return True

    def release(self) -> dict[str, Any]:
        """Let the held calls go (they end with a connection reset) and disarm: later
        calls are answered as usual. The report still says what fired."""
        with self._lock:
            released = self._released
            report_armed = self._armed
            self._armed = None
        released.set()
        report = self.report()
        if report_armed is not None:
            report["armed"] = {"service": report_armed.service, "action": report_armed.action, "after": report_armed.after, "clients": report_armed.clients}
        return report
