"""Failures a test asks the emulator for (``POST /_ode/fail``), one registry for every
service: the next create (or update) of a named object fails the way AWS reports it.

Kinds and who takes them:

* ``nodegroup`` / ``addon``: CreateNodegroup / CreateAddon ends CREATE_FAILED with the
  health issue ``code``; ``addon-degraded``: CreateAddon ends DEGRADED until the add-on
  is updated; ``update``: the next update of the cluster, node group or add-on ends
  Failed with the error ``code`` (``eks_emulator``);
* ``db``: CreateDBInstance ends ``failed``; ``replication-group``: CreateReplicationGroup
  ends ``create-failed``; the message is in the service's events (``data_emulator``);
* ``nat``: CreateNatGateway (``name``: a zone, or ``*``) ends ``failed`` with
  FailureCode ``code`` (``emulator``).

A name matches the object of that name, or a generation of it (``name-...``); each
failure is used once. A reset forgets them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("nodegroup", "addon", "addon-degraded", "update", "db", "replication-group", "nat")


@dataclass(frozen=True)
class Failure:
    kind: str
    name: str
    code: str
    message: str


_LOCK = threading.Lock()
_PENDING: list[Failure] = []


def add(kind: str, name: str, code: str, message: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    with _LOCK:
        _PENDING.append(Failure(kind, name, code, message))


def clear() -> None:
    with _LOCK:
        _PENDING.clear()


def take(kind: str, name: str) -> Failure | None:
    """The pending failure of ``kind`` for ``name`` (removed), or None."""
    with _LOCK:
        for failure in _PENDING:
            if failure.kind == kind and (
                name == failure.name or name.startswith(failure.name + "-") or failure.name == "*"
            ):
                _PENDING.remove(failure)
                return failure
    return None
