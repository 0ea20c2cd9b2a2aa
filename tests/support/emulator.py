"""A local AWS emulator for the end-to-end tests: moto's server with a recording proxy.

moto's WSGI application runs in this process, wrapped in a middleware that

* records every AWS call as (service, action) with start and end times,
* can add a fixed latency before each call,
* can make the next N matching calls fail with an AWS-style error,
* can make new NAT gateways read ``pending`` for a while, as on AWS,
* answers control requests under ``/_ode/`` itself (they never reach moto):

  - ``GET /_ode/calls``: JSON list of {service, action, status, t_start, t_end}
  - ``POST /_ode/calls/reset``: forget the recorded calls
  - ``POST /_ode/latency`` with ``{"ms": 100}``: sleep that long before each call
  - ``POST /_ode/faults`` with a list of {service, action, status, code, message,
    times, hold_s}: the next ``times`` matching calls ("*" matches any) fail with that
    error; with ``hold_s`` a matching call is first held open that long (a stalled
    call), and with ``code`` empty it then goes on as usual
  - ``POST /_ode/faults/clear``: drop the pending faults
  - ``POST /_ode/chaos`` with ``{"rate": 0.15, "seed": 7}``: fail that share of AWS calls
    with throttling, 500, 503 or a connection reset before or after moto carried the
    call out (tests/support/chaos.py; rate 0 turns it off); ``GET /_ode/chaos``: the
    setting and the faults injected, by kind, service and action
  - ``POST /_ode/ratelimit`` with ``{"enabled": true, "scale": 1.0, "buckets":
    {"ec2:mutating": {"size": 50, "refill": 5}}}``: AWS's API rate limits, as token
    buckets per EC2 action category (and per EC2 action) and per service (EKS, RDS, IAM,
    ElastiCache), with AWS's figures where it publishes them; a call that finds its
    bucket empty is refused with the service's throttling error before it reaches moto
    (tests/support/ratelimit.py: the buckets and where each figure comes from);
    ``scale`` multiplies every refill rate. ``GET /_ode/ratelimit``: the setting and
    the calls each bucket let through and refused. Off by default
  - ``POST /_ode/transitions`` with ``{"nat_gateway_pending_s": 1.5}``: NAT gateways
    created from now on read ``pending`` until that many seconds after their creation
    (0, the default: ``available`` at once, as moto has them)
  - ``POST /_ode/eks`` with ``{"transition_s": 0.5}``: EKS clusters, node groups and
    add-ons changed from now on stay CREATING / UPDATING / DELETING, and their updates
    InProgress, that long (0, the default: done at once)
  - ``POST /_ode/page-size`` with ``{"size": 2}``: every list answers at most that many
    items a page (tests/support/paging.py)
  - ``POST /_ode/fail`` with ``{"kind": "nodegroup", "name": "worker", "code":
    "AsgInstanceLaunchFailures", "message": "..."}``: the next create (or update) of
    that object fails as AWS reports it (:meth:`EmulatorClient.fail_next`)
  - ``GET /_ode/api-models``: what was held against AWS's API models and what violated
    them (tests/support/api_models.py); ``POST /_ode/api-models/clear`` forgets the
    violations
  - ``POST /_ode/today`` with ``{"date": "2025-02-01"}``: the day the EKS, RDS and
    ElastiCache version calendars are read on (null: the default, 2026-12-01)
  - ``POST /_ode/data`` with ``{"transition_s": 0.5}``: RDS DB instances and ElastiCache
    replication groups changed from now on stay creating / modifying / deleting that
    long (0, the default: done at once)
  - ``POST /_ode/rds/maintenance`` with ``{"db_instance_identifier": "db"}``: the
    instance's maintenance window arrives: its pending modified values are applied;
    answers ``{"db_instance_identifier": ..., "applied": {field: value}}``
  - ``POST /_ode/rds/minor-upgrade`` with ``{"db_instance_identifier": "db",
    "engine_version": "15.5"}``: AWS upgrades the instance's engine version by itself
  - ``GET /_ode/elasticache/auth?replication_group_id=rg``: ``{"auth_token_sha256":
    [hex, ...]}``, the SHA-256 of each AUTH token the group accepts, oldest first
  - ``POST /_ode/killpoint`` with ``{"service": "ec2", "action": "CreateSubnet",
    "after": 1}``: once moto carried out the ``after``-th such call of the provider, its
    answer and every later provider call are held (nothing more is carried out);
    ``GET /_ode/killpoint?wait=5`` answers when that happened (a long poll), ``POST
    /_ode/killpoint/release`` drops the held calls and disarms it
    (tests/support/killpoint.py; the crash loop, tests/crash, kills the core there)
  - ``POST /_ode/reset``: reset moto's state, the recorder, latency, faults, chaos, rate
    limits, kill point and transitions

The RDS and ElastiCache endpoints answer 404 for an instance or group that does not
exist, and 400 for a malformed request.

It also corrects behaviours of moto 5.2.5 that would get in the tests' way; see
``_RESPONSE_FIXES``, ``_evaluate_bucket_policies_as_tls`` and ``_tag_buckets_at_creation``
(CreateBucket's ``Tags``, which moto ignores); it adds the EKS
operations moto lacks (add-ons, access entries, updates, cluster versions; see
``eks_emulator``) and the RDS, ElastiCache and CloudWatch Logs behaviour it lacks or gets
wrong (pending changes, replication group members, AUTH tokens, parameter groups; see
``data_emulator``).

Run it with ``python -m tests.support.emulator --port 0 --port-file F``; it listens on
127.0.0.1 only. :class:`EmulatorClient` is the test-side handle to a running emulator;
:func:`running_emulator` runs one as a subprocess for the length of a ``with`` block.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import io
import json
import math
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qsl, unquote

from . import chaos, failures, killpoint, ratelimit

CONTROL_PREFIX = "/_ode/"

# Query parameters that select an S3 sub-resource on a bucket: the action is the HTTP
# verb ("Get"/"Put"/"Delete") followed by the name given here.
_S3_BUCKET_SUBRESOURCES = {
    "accelerate": "BucketAccelerateConfiguration",
    "acl": "BucketAcl",
    "cors": "BucketCors",
    "encryption": "BucketEncryption",
    "lifecycle": "BucketLifecycleConfiguration",
    "logging": "BucketLogging",
    "notification": "BucketNotificationConfiguration",
    "object-lock": "ObjectLockConfiguration",
    "ownershipControls": "BucketOwnershipControls",
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "publicAccessBlock": "PublicAccessBlock",
    "replication": "BucketReplication",
    "requestPayment": "BucketRequestPayment",
    "tagging": "BucketTagging",
    "versioning": "BucketVersioning",
    "website": "BucketWebsite",
}
# The same for sub-resources of an object.
_S3_OBJECT_SUBRESOURCES = {
    "acl": "ObjectAcl",
    "legal-hold": "ObjectLegalHold",
    "retention": "ObjectRetention",
    "tagging": "ObjectTagging",
}
# Sub-resources whose action does not follow the verb + name pattern, by
# (method, on an object?, sub-resource).
_S3_SPECIAL = {
    ("GET", False, "location"): "GetBucketLocation",
    ("GET", False, "versions"): "ListObjectVersions",
    ("GET", False, "uploads"): "ListMultipartUploads",
    ("GET", False, "list-type"): "ListObjectsV2",
    ("POST", False, "delete"): "DeleteObjects",
    ("GET", True, "attributes"): "GetObjectAttributes",
    ("POST", True, "uploads"): "CreateMultipartUpload",
    ("PUT", True, "uploadId"): "UploadPart",
    ("POST", True, "uploadId"): "CompleteMultipartUpload",
    ("DELETE", True, "uploadId"): "AbortMultipartUpload",
    ("GET", True, "uploadId"): "ListParts",
}
_S3_PLAIN = {
    ("PUT", False): "CreateBucket",
    ("DELETE", False): "DeleteBucket",
    ("HEAD", False): "HeadBucket",
    ("GET", False): "ListObjects",
    ("PUT", True): "PutObject",
    ("GET", True): "GetObject",
    ("DELETE", True): "DeleteObject",
    ("HEAD", True): "HeadObject",
}
_S3_KNOWN_SUBRESOURCES = (
    set(_S3_BUCKET_SUBRESOURCES) | set(_S3_OBJECT_SUBRESOURCES) | {k[2] for k in _S3_SPECIAL}
)
_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}


def s3_action(method: str, path: str, query: str, headers: dict[str, str]) -> str:
    """A readable S3 operation name for a path-style REST request."""
    params = parse_qsl(query, keep_blank_values=True)
    # The AWS SDKs add the operation name themselves to some requests.
    for key, value in params:
        if key == "x-id" and value:
            return value
    parts = unquote(path).lstrip("/").split("/", 1)
    if not parts[0]:
        return "ListBuckets" if method == "GET" else f"{method} /"
    on_object = len(parts) == 2 and parts[1] != ""
    keys = [k for k, _ in params]
    sub = next((k for k in keys if k in _S3_KNOWN_SUBRESOURCES), None)
    if sub is None:
        # An unknown sub-resource looks like "?name" or "?name=".
        sub = next((k for k, v in params if v == ""), None)
    if sub is None:
        if method == "PUT" and on_object and "x-amz-copy-source" in headers:
            return "CopyObject"
        return _S3_PLAIN.get((method, on_object), f"{method} {'object' if on_object else 'bucket'}")
    if (method, on_object, sub) in _S3_SPECIAL:
        action = _S3_SPECIAL[(method, on_object, sub)]
        if action == "UploadPart" and "x-amz-copy-source" in headers:
            return "UploadPartCopy"
        return action
    names = _S3_OBJECT_SUBRESOURCES if on_object else _S3_BUCKET_SUBRESOURCES
    if sub in names and method in _VERBS:
        return _VERBS[method] + names[sub]
    return f"{method} {sub}"


def credential_service(environ: dict[str, Any], query: str) -> str:
    """The service named in the SigV4 credential scope (header or presigned URL)."""
    credential = ""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("AWS4-"):
        for item in auth.split(" ", 1)[-1].split(","):
            item = item.strip()
            if item.startswith("Credential="):
                credential = item[len("Credential=") :]
    else:
        credential = dict(parse_qsl(query)).get("X-Amz-Credential", "")
    # AKID/date/region/service/aws4_request
    scope = credential.split("/")
    return scope[3] if len(scope) == 5 else "unknown"


@dataclass
class Fault:
    """Make the next ``times`` calls of service/action ("*" matches any) fail, or,
    with ``hold_s``, hang that long first (and then go on when ``code`` is empty)."""

    service: str
    action: str
    code: str = ""
    status: int = 400
    message: str = "injected by the ODE test emulator"
    times: int = 1
    hold_s: float = 0.0

    def matches(self, service: str, action: str) -> bool:
        return self.service in ("*", service) and self.action in ("*", action)


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: list[dict[str, Any]] = field(default_factory=list)
    latency_s: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    nat_gateway_pending_s: float = 0.0
    # NAT gateway id -> time.monotonic() until which it reads "pending".
    nat_gateways_pending_until: dict[str, float] = field(default_factory=dict)
    eks_transition_s: float = 0.0
    data_transition_s: float = 0.0
    chaos: chaos.Chaos = field(default_factory=chaos.Chaos)
    rate_limits: ratelimit.RateLimits = field(default_factory=ratelimit.RateLimits)
    kill: killpoint.Killpoint = field(default_factory=killpoint.Killpoint)


class RecordingMiddleware:
    """WSGI middleware in front of moto; see the module docstring."""

    def __init__(self, app: Callable, reset_moto: Callable[[], None]):
        self.app = app
        self.reset_moto = reset_moto
        self.state = _State()

    # -- WSGI entry point -------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response, path[len(CONTROL_PREFIX) :])
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        return self._aws_call(environ, start_response)

    def _aws_call(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        t_start = time.time()
        service, action, protocol = self._classify(environ)
        with self.state.lock:
            latency = self.state.latency_s
            fault = next((f for f in self.state.faults if f.matches(service, action)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.state.faults.remove(fault)
        # A test's own faults take the call; then AWS's rate limits; chaos draws for the others.
        throttled = self._rate_limited(environ, service, action, protocol) if fault is None else None
        if throttled is not None:
            fault = Fault(service, action, throttled.code, throttled.status, throttled.message)
        injected = None if fault is not None else self.state.chaos.draw(service, action, environ.get("HTTP_USER_AGENT", ""))
        if latency:
            time.sleep(latency)
        if fault is not None and fault.hold_s:
            time.sleep(fault.hold_s)
            if not fault.code:
                fault = None
        if injected == "reset-before":
            self._record(service, action, 0, t_start, injected)
            raise chaos.Dropped(f"chaos: {service}:{action} reset before it reached moto")
        if injected in chaos.ERROR_KINDS:
            error = chaos.error_for(injected, service, protocol)
            fault = Fault(service, action, error.code, error.status, error.message)

        # Past a kill point nothing more is carried out (tests/support/killpoint.py).
        user_agent = environ.get("HTTP_USER_AGENT", "")
        if self.state.kill.before(user_agent):
            self._record_killed(service, action, t_start)
            raise chaos.Dropped(f"killpoint: {service}:{action} held, never carried out")

        # The response is passed on only once complete, so that it can be corrected and
        # t_end covers all of it.
        started: list[tuple[str, list, Any]] = []

        def deferred_start_response(status: str, headers: list, exc_info: Any = None) -> None:
            started.append((status, headers, exc_info))

        if fault is not None:
            body = _error_response(deferred_start_response, fault, protocol, service)
        else:
            result = self.app(environ, deferred_start_response)
            try:
                body = list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        status_line, headers, exc_info = started[-1]
        if status_line.startswith("200"):
            original = b"".join(body)
            data = original
            fix = _RESPONSE_FIXES.get((service, action))
            if fix is not None:
                data = fix(data)
            if (service, action) in _NAT_GATEWAY_RESPONSES:
                data = self._delay_nat_gateways(action, data)
            if data != original:
                body = [data]
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(data))))
        status = int(status_line.split(" ", 1)[0])
        self._record(service, action, status, t_start, injected)
        if self.state.kill.after(service, action, status, user_agent):
            raise chaos.Dropped(f"killpoint: {service}:{action} carried out, its answer held")
        if injected == "reset-after":
            raise chaos.Dropped(f"chaos: {service}:{action} carried out, then reset")
        start_response(status_line, headers, exc_info)
        return body

    def _rate_limited(self, environ: dict[str, Any], service: str, action: str, protocol: str) -> chaos.Error | None:
        """The throttling error AWS's rate limits refuse this call with, or None
        (tests/support/ratelimit.py)."""

        def param_names() -> list[str]:
            query = environ.get("QUERY_STRING", "") + "&" + _peek_form_body(environ)
            return [name for name, _ in parse_qsl(query, keep_blank_values=True)]

        user_agent = environ.get("HTTP_USER_AGENT", "")
        return self.state.rate_limits.take(service, action, protocol, user_agent, param_names)

    def _record(self, service: str, action: str, status: int, t_start: float, injected: str | None) -> None:
        """Record a call; one chaos answered (or cut off: status 0 before moto) names
        the fault kind in ``chaos``."""
        record = {"service": service, "action": action, "status": status, "t_start": t_start, "t_end": time.time()}
        if injected is not None:
            record["chaos"] = injected
        with self.state.lock:
            self.state.calls.append(record)

    def _record_killed(self, service: str, action: str, t_start: float) -> None:
        """Record a call held past a kill point (never carried out: status 0)."""
        record = {"service": service, "action": action, "status": 0, "t_start": t_start, "t_end": time.time()}
        record["killpoint"] = "held"
        with self.state.lock:
            self.state.calls.append(record)

    def _classify(self, environ: dict[str, Any]) -> tuple[str, str, str]:
        """(service, action, protocol) of a request; protocol is json, query or rest."""
        query = environ.get("QUERY_STRING", "")
        service = credential_service(environ, query)
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return service, target.rsplit(".", 1)[-1], "json"
        action = dict(parse_qsl(query)).get("Action") or dict(
            parse_qsl(_peek_form_body(environ))
        ).get("Action")
        if action:
            return service, action, "query"
        method = environ.get("REQUEST_METHOD", "GET")
        if service == "s3":
            headers = {
                k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")
            }
            return service, s3_action(method, environ.get("PATH_INFO", "/"), query, headers), "rest"
        return service, f"{method} {environ.get('PATH_INFO', '/')}", "rest"

    def _delay_nat_gateways(self, action: str, body: bytes) -> bytes:
        """``body`` with the NAT gateways still in their pending time reading ``pending``.

        moto creates NAT gateways ``available``; AWS takes a minute or two, and the
        provider's waiter is only exercised if the emulator makes it wait too.
        """
        states = _nat_gateway_states(body)
        now = time.monotonic()
        with self.state.lock:
            pending_s = self.state.nat_gateway_pending_s
            pending_until = self.state.nat_gateways_pending_until
            if action == "CreateNatGateway" and pending_s > 0:
                for gateway_id, _, _ in states:
                    pending_until[gateway_id] = now + pending_s
            # Forget gateways whose time is up, so the table does not grow for ever.
            for gateway_id in [g for g, until in pending_until.items() if until <= now]:
                del pending_until[gateway_id]
            pending = set(pending_until)
        # Replace from the end so that the earlier offsets stay valid. Only "available"
        # is rewritten: a gateway moto has deleted must still read "deleted".
        for gateway_id, start, end in reversed(states):
            if gateway_id in pending and body[start:end] == b"available":
                body = body[:start] + b"pending" + body[end:]
        return body

    # -- control endpoints ------------------------------------------------------------

    def _control(self, environ: dict[str, Any], start_response: Callable, name: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            payload = _read_json(environ) if method == "POST" else None
            if (method, name) == ("GET", "calls"):
                with self.state.lock:
                    calls = sorted(self.state.calls, key=lambda c: c["t_start"])
                return _json_response(start_response, 200, calls)
            if (method, name) == ("POST", "calls/reset"):
                with self.state.lock:
                    self.state.calls.clear()
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "latency"):
                with self.state.lock:
                    self.state.latency_s = float(payload["ms"]) / 1000.0
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "faults"):
                faults = [Fault(**spec) for spec in payload]
                with self.state.lock:
                    self.state.faults.extend(faults)
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "chaos"):
                self.state.chaos.configure(payload)
                return _json_response(start_response, 200, self.state.chaos.report())
            if (method, name) == ("GET", "chaos"):
                return _json_response(start_response, 200, self.state.chaos.report())
            if (method, name) == ("POST", "ratelimit"):
                self.state.rate_limits.configure(payload)
                return _json_response(start_response, 200, self.state.rate_limits.report())
            if (method, name) == ("GET", "ratelimit"):
                return _json_response(start_response, 200, self.state.rate_limits.report())
            if (method, name) == ("POST", "killpoint"):
                return _json_response(start_response, 200, self.state.kill.arm(payload))
            if (method, name) == ("GET", "killpoint"):
                query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
                return _json_response(start_response, 200, self.state.kill.wait(float(query.get("wait", 0))))
            if (method, name) == ("POST", "killpoint/release"):
                return _json_response(start_response, 200, self.state.kill.release())
            if (method, name) == ("POST", "faults/clear"):
                with self.state.lock:
                    self.state.faults.clear()
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "transitions"):
                pending_s = _transitions_setting(payload)
                with self.state.lock:
                    self.state.nat_gateway_pending_s = pending_s
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "eks"):
                transition_s = _transition_time(payload)
                with self.state.lock:
                    self.state.eks_transition_s = transition_s
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "data"):
                transition_s = _transition_time(payload)
                with self.state.lock:
                    self.state.data_transition_s = transition_s
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "page-size"):
                from . import paging

                if not isinstance(payload, dict) or set(payload) != {"size"}:
                    raise ValueError('expected {"size": n}')
                paging.set_size(payload["size"])
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "fail"):
                _fail_next(payload)
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("GET", "api-models"):
                from . import api_models

                return _json_response(start_response, 200, api_models.LEDGER.report())
            if (method, name) == ("POST", "api-models/clear"):
                from . import api_models

                api_models.LEDGER.clear_violations()
                return _json_response(start_response, 200, {"status": "ok"})
            if (method, name) == ("POST", "today"):
                from . import data_emulator, eks_emulator

                day = _today_setting(payload)
                eks_emulator.set_today(day)
                data_emulator.set_today(day)
                return _json_response(start_response, 200, {"status": "ok"})
            if name.startswith(("rds/", "elasticache/")):
                return _data_control(environ, start_response, method, name, payload)
            if (method, name) == ("POST", "reset"):
                from . import data_emulator, eks_emulator, paging

                self.reset_moto()
                self.state.chaos.reset()
                self.state.rate_limits.reset()
                self.state.kill.reset()
                failures.clear()
                data_emulator.forget_events()
                paging.set_size(0)
                eks_emulator.set_today(None)
                data_emulator.set_today(None)
                with self.state.lock:
                    self.state.calls.clear()
                    self.state.faults.clear()
                    self.state.latency_s = 0.0
                    self.state.nat_gateway_pending_s = 0.0
                    self.state.nat_gateways_pending_until.clear()
                    self.state.eks_transition_s = 0.0
                    self.state.data_transition_s = 0.0
                return _json_response(start_response, 200, {"status": "ok"})
        except (KeyError, TypeError, ValueError) as err:
            return _json_response(start_response, 400, {"error": f"bad request: {err!r}"})
        return _json_response(start_response, 404, {"error": f"no control endpoint {method} /_ode/{name}"})


def _rename_root(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    """A fix renaming the root element of an XML response from ``old`` to ``new``."""

    def fix(body: bytes) -> bytes:
        return re.sub(rb"<(/?)" + old + rb"\b", rb"<\1" + new, body)

    return fix


# Responses of moto 5.2.5 that the AWS SDKs reject, corrected to what AWS sends.
_RESPONSE_FIXES: dict[tuple[str, str], Callable[[bytes], bytes]] = {
    # moto names the root element after the operation; the Rust SDK insists on the
    # documented name.
    ("s3", "GetBucketVersioning"): _rename_root(b"GetBucketVersioningResponse", b"VersioningConfiguration"),
}


# EC2 responses that describe NAT gateways, rewritten by
# RecordingMiddleware._delay_nat_gateways.
_NAT_GATEWAY_RESPONSES = {("ec2", "CreateNatGateway"), ("ec2", "DescribeNatGateways")}
_XML_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)[^>]*?(/?)>")
_XML_TEXT = re.compile(rb"([^<]*)<")


def _nat_gateway_states(body: bytes) -> list[tuple[str, int, int]]:
    """(id, start, end) of the ``<state>`` text of each NAT gateway in an EC2 response.

    moto 5.2.5 renders a gateway as ``<natGateway>`` (CreateNatGateway) or as an
    ``<item>`` of ``<natGatewaySet>`` (DescribeNatGateways), with ``<natGatewayId>`` and
    ``<state>`` among its direct children and other ``<item>`` elements (addresses,
    tags) nested inside it. Nesting is tracked so that each state is paired with the id
    of its own gateway, whatever the order of the children.
    """
    found: list[tuple[str, int, int]] = []
    stack: list[bytes] = []
    # One entry per gateway element open: [its depth, its id, its state's span].
    gateways: list[list[Any]] = []
    for tag in _XML_TAG.finditer(body):
        closing, name, self_closing = tag.group(1), tag.group(2), tag.group(3)
        if self_closing:
            continue
        if closing:
            if gateways and len(stack) == gateways[-1][0]:
                _, gateway_id, span = gateways.pop()
                if gateway_id is not None and span is not None:
                    found.append((gateway_id, *span))
            if stack:
                stack.pop()
            continue
        parent = stack[-1] if stack else None
        stack.append(name)
        if name == b"natGateway" or (name == b"item" and parent == b"natGatewaySet"):
            gateways.append([len(stack), None, None])
        elif gateways and len(stack) == gateways[-1][0] + 1 and name in (b"natGatewayId", b"state"):
            text = _XML_TEXT.match(body, tag.end())
            if text is None:
                continue
            if name == b"natGatewayId":
                gateways[-1][1] = text.group(1).strip().decode()
            else:
                gateways[-1][2] = (text.start(1), text.end(1))
    return sorted(found, key=lambda item: item[1])


def _transitions_setting(payload: Any) -> float:
    """The ``nat_gateway_pending_s`` of a ``/_ode/transitions`` request, checked."""
    if not isinstance(payload, dict):
        raise TypeError("expected a JSON object")
    unknown = set(payload) - {"nat_gateway_pending_s"}
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}")
    pending_s = float(payload["nat_gateway_pending_s"])
    if not math.isfinite(pending_s) or pending_s < 0:
        raise ValueError(f"nat_gateway_pending_s must be a finite number >= 0, not {pending_s}")
    return pending_s


def _transition_time(payload: Any) -> float:
    """The ``transition_s`` of a ``/_ode/eks`` or ``/_ode/data`` request, checked."""
    if not isinstance(payload, dict) or set(payload) != {"transition_s"}:
        raise ValueError('expected {"transition_s": seconds}')
    transition_s = float(payload["transition_s"])
    if not math.isfinite(transition_s) or transition_s < 0:
        raise ValueError(f"transition_s must be a finite number >= 0, not {transition_s}")
    return transition_s


def _today_setting(payload: Any) -> datetime | None:
    """The ``date`` of a ``/_ode/today`` request (``YYYY-MM-DD``, or null for the default)."""
    if not isinstance(payload, dict) or set(payload) != {"date"}:
        raise ValueError('expected {"date": "YYYY-MM-DD"}')
    if payload["date"] is None:
        return None
    if not isinstance(payload["date"], str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", payload["date"]):
        raise ValueError(f"date must be YYYY-MM-DD, not {payload['date']!r}")
    return datetime.fromisoformat(payload["date"] + "T00:00:00+00:00")


def _string_fields(payload: Any, *names: str) -> list[str]:
    """The values of exactly the fields ``names`` of a JSON object, each a non-empty string."""
    if not isinstance(payload, dict) or set(payload) != set(names):
        raise ValueError(f"expected a JSON object with exactly the fields {list(names)}")
    values = [payload[name] for name in names]
    if not all(isinstance(value, str) and value for value in values):
        raise ValueError(f"the fields {list(names)} must be non-empty strings")
    return values


def _data_control(
    environ: dict[str, Any], start_response: Callable, method: str, name: str, payload: Any
) -> list[bytes]:
    """The RDS and ElastiCache control endpoints (see the module docstring)."""
    from . import data_emulator

    try:
        if (method, name) == ("POST", "rds/maintenance"):
            [identifier] = _string_fields(payload, "db_instance_identifier")
            return _json_response(start_response, 200, data_emulator.apply_rds_maintenance(identifier))
        if (method, name) == ("POST", "rds/minor-upgrade"):
            identifier, version = _string_fields(payload, "db_instance_identifier", "engine_version")
            return _json_response(start_response, 200, data_emulator.rds_minor_upgrade(identifier, version))
        if (method, name) == ("GET", "elasticache/auth"):
            query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
            [group_id] = _string_fields(query, "replication_group_id")
            hashes = data_emulator.redis_auth_token_hashes(group_id)
            return _json_response(start_response, 200, {"auth_token_sha256": hashes})
    except data_emulator.UnknownResource as err:
        return _json_response(start_response, 404, {"error": str(err)})
    return _json_response(start_response, 404, {"error": f"no control endpoint {method} /_ode/{name}"})


def _peek_form_body(environ: dict[str, Any]) -> str:
    """The body of a form-encoded request, leaving it readable for moto."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return ""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        raw = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        raw = stream.read()  # chunked: the server ends the stream at the last chunk
    else:
        return ""
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    return raw.decode("utf-8", "replace")


def _read_json(environ: dict[str, Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    return json.loads(raw) if raw else None


def _json_response(start_response: Callable, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        f"{status} {'OK' if status == 200 else 'Error'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _error_response(start_response: Callable, fault: Fault, protocol: str, service: str) -> list[bytes]:
    """An error in the shape the caller's protocol expects.

    It carries a request id where each protocol's SDKs look for one: in the body of
    the XML protocols (``<RequestID>`` for EC2, ``<RequestId>`` for the others), and in
    both ``x-amzn-RequestId`` (JSON and query protocols) and ``x-amz-request-id`` (S3).
    """
    request_id = str(uuid.uuid4())
    code, message = _xml_escape(fault.code), _xml_escape(fault.message)
    if protocol == "json":
        content_type = "application/x-amz-json-1.0"
        body = json.dumps({"__type": fault.code, "message": fault.message})
    elif protocol == "rest" and service == "eks":
        # rest-json: the code in the x-amzn-ErrorType header, the message in the body.
        content_type = "application/json"
        body = json.dumps({"message": fault.message})
    elif protocol == "query" and service == "ec2":
        content_type = "text/xml"
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif protocol == "query":
        content_type = "text/xml"
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
            f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    else:
        content_type = "application/xml"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}'
            f"</Message><RequestId>{request_id}</RequestId></Error>"
        )
    data = body.encode()
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(data))),
        ("x-amzn-RequestId", request_id),
        ("x-amz-request-id", request_id),
    ]
    if protocol == "json" or (protocol == "rest" and service == "eks"):
        headers.append(("x-amzn-ErrorType", fault.code))
    start_response(f"{fault.status} Injected", headers)
    return [data]


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- moto adjustments ------------------------------------------------------------------


def _statement_needs_plain_http(statement: dict[str, Any]) -> bool:
    """Whether a policy statement only applies to requests made without TLS."""
    value = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
    values = value if isinstance(value, list) else [value]
    return any(str(v).lower() == "false" for v in values if v is not None)


def policy_as_seen_over_tls(policy: str) -> str:
    """``policy`` without the statements that cannot match a request made over TLS."""
    document = json.loads(policy)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    document["Statement"] = [s for s in statements if not _statement_needs_plain_http(s)]
    return json.dumps(document)


# The AWS managed policies the provider and the tests attach. moto loads none by default
# and all ~1,200 with MOTO_IAM_LOAD_MANAGED_POLICIES, which costs about a second on every
# reset; these few are enough.
MANAGED_POLICIES = frozenset(
    {
        "AmazonEKSClusterPolicy",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEBSCSIDriverPolicy",
        "AmazonS3ReadOnlyAccess",
        "AmazonS3FullAccess",
    }
)


def _load_the_managed_policies_we_use() -> None:
    """Make moto's IAM know the AWS managed policies in MANAGED_POLICIES (and only them)."""
    from moto.iam import models

    parsed = json.loads(models.aws_managed_policies_data)
    wanted = {name: data for name, data in parsed.items() if name in MANAGED_POLICIES}
    missing = MANAGED_POLICIES - set(wanted)
    assert not missing, f"moto does not know these managed policies: {sorted(missing)}"

    def init_aws_policies(self: Any) -> list[Any]:
        return [
            models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in wanted.items()
        ]

    models.IAMBackend._init_aws_policies = init_aws_policies


def _fail_nat_gateways_on_request() -> None:
    """Make moto's CreateNatGateway end ``failed`` with a FailureCode and FailureMessage
    when a test asked for it (for a gateway in that zone), as AWS reports a gateway
    that could not be made."""
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    create = NatGatewayBackend.create_nat_gateway
    if getattr(create, "ode_failing", False):
        return

    def create_nat_gateway(self: Any, subnet_id: str, *args: Any, **kwargs: Any) -> Any:
        # A ClientToken used again (a retry after a lost answer) answers the gateway it
        # made, as EC2's idempotency does (moto ignores the token).
        token = _NAT_CLIENT_TOKEN.get()
        if token:
            for existing in self.nat_gateways.values():
                if getattr(existing, "ode_client_token", None) == token and existing.state != "deleted":
                    return existing
        gateway = create(self, subnet_id, *args, **kwargs)
        gateway.ode_client_token = token
        failure = failures.take("nat", self.get_subnet(subnet_id).availability_zone)
        if failure is not None:
            gateway.state = "failed"
            gateway.failure_code, gateway.failure_message = failure.code, failure.message
            # AWS releases what a failed gateway held: its Elastic IP is free again.
            for address in gateway.address_set:
                if address.get("associationId"):
                    self.disassociate_address(association_id=address["associationId"])
        return gateway

    create_nat_gateway.ode_failing = True  # type: ignore[attr-defined]
    NatGatewayBackend.create_nat_gateway = create_nat_gateway  # type: ignore[method-assign]

    from moto.ec2.responses.nat_gateways import NatGateways

    respond = NatGateways.create_nat_gateway

    def create_nat_gateway_response(self: Any) -> Any:
        reset = _NAT_CLIENT_TOKEN.set(self._get_param("ClientToken"))
        try:
            return respond(self)
        finally:
            _NAT_CLIENT_TOKEN.reset(reset)

    NatGateways.create_nat_gateway = create_nat_gateway_response  # type: ignore[method-assign]


#: The ClientToken of the CreateNatGateway request being answered (moto's backend
#: call does not receive it).
_NAT_CLIENT_TOKEN: "contextvars.ContextVar[str | None]" = contextvars.ContextVar("nat_client_token", default=None)


def _fail_next(payload: Any) -> None:
    """A ``POST /_ode/fail`` request: {"kind", "name", "code", "message"}
    (tests/support/failures.py)."""
    if not isinstance(payload, dict) or not {"kind", "name", "message"} <= set(payload) <= {"kind", "name", "code", "message"}:
        raise ValueError('expected {"kind": ..., "name": ..., "code": ..., "message": ...}')
    failures.add(payload["kind"], payload["name"], payload.get("code", ""), payload["message"])


def _evaluate_bucket_policies_as_tls() -> None:
    """Make moto judge bucket policies as AWS judges requests to its HTTPS endpoints.

    moto 5.2.5 enforces statements of bucket policies with Principal "*" on object
    operations but ignores ``Bool`` conditions, so the usual "deny unless
    aws:SecureTransport" statement denies every object request. Clients reach this
    emulator over plain HTTP only because it is local; they stand for clients of AWS's
    HTTPS endpoints, so such statements are left out when moto evaluates the policy.
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = policy_as_seen_over_tls(self.policy.decode())
        return IAMPolicy(policy).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def _tag_buckets_at_creation() -> None:
    """Honour ``CreateBucketConfiguration/Tags`` as S3 does: the bucket is made with
    those tags in one call (moto 5.2.5 parses only the location constraint)."""
    import xmltodict
    from moto.s3.responses import S3Response

    original = S3Response._bucket_response_put

    def bucket_response_put(self: S3Response, request: Any, bucket_name: str, querystring: dict[str, Any]) -> Any:
        answer = original(self, request, bucket_name, querystring)
        if querystring or not self.body:
            return answer
        config = (xmltodict.parse(self.body) or {}).get("CreateBucketConfiguration") or {}
        tags = (config.get("Tags") or {}).get("Tag") or []
        if isinstance(tags, dict):
            tags = [tags]
        if tags:
            self.backend.put_bucket_tagging(bucket_name, {t["Key"]: t.get("Value") or "" for t in tags})
        return answer

    S3Response._bucket_response_put = bucket_response_put


# -- server ----------------------------------------------------------------------------


def make_server(port: int = 0):
    """A threaded werkzeug server for moto behind the middleware, bound to 127.0.0.1."""
    from moto.moto_api._internal.models import moto_api_backend
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server as werkzeug_make_server

    from . import api_models, data_emulator, ec2_endpoints, eks_emulator, paging

    _evaluate_bucket_policies_as_tls()
    _tag_buckets_at_creation()
    _load_the_managed_policies_we_use()
    _fail_nat_gateways_on_request()
    ec2_endpoints.install()
    app = RecordingMiddleware(DomainDispatcherApplication(create_backend_app), moto_api_backend.reset)
    api_models.install()
    paging.install()
    eks_emulator.install(transition_s=lambda: app.state.eks_transition_s)
    data_emulator.install(transition_s=lambda: app.state.data_transition_s)
    return werkzeug_make_server(
        "127.0.0.1", port, app, threaded=True, request_handler=chaos.request_handler(MotoRequestHandler)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--port-file", type=Path, help="write the port here once listening")
    args = parser.parse_args(argv)

    server = make_server(args.port)
    port = server.server_port
    # The main thread waits for SIGTERM/SIGINT with sigwait; blocking them first makes
    # the server's threads, which inherit the mask, leave them to it. (Setting an Event
    # from a signal handler can deadlock on the Event's own lock.)
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    thread = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
    thread.start()
    if args.port_file:
        # Write then rename, so a reader never sees a partial port number.
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(f"{port}\n")
        tmp.replace(args.port_file)
    print(f"emulator listening on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    signal.sigwait(stop_signals)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class EmulatorClient:
    """Test-side handle to a running emulator."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def _post(self, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else b""
        request = urllib.request.Request(
            self.url + path, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def calls(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.url + "/_ode/calls", timeout=30) as response:
            return json.load(response)

    def call_names(self) -> list[tuple[str, str]]:
        """The recorded calls as (service, action) pairs, oldest first."""
        return [(c["service"], c["action"]) for c in self.calls()]

    def reset_calls(self) -> None:
        self._post("/_ode/calls/reset")

    def set_latency(self, ms: float) -> None:
        self._post("/_ode/latency", {"ms": ms})

    def add_fault(
        self,
        service: str,
        action: str,
        code: str,
        status: int = 400,
        message: str = "injected by the ODE test emulator",
        times: int = 1,
        hold_s: float = 0.0,
    ) -> None:
        self._post(
            "/_ode/faults",
            [
                {
                    "service": service,
                    "action": action,
                    "code": code,
                    "status": status,
                    "message": message,
                    "times": times,
                    "hold_s": hold_s,
                }
            ],
        )

    def hold(self, service: str, action: str, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` matching calls open for ``seconds`` (a stalled
        call); each then goes on as usual."""
        self.add_fault(service, action, "", times=times, hold_s=seconds)

    def clear_faults(self) -> None:
        """Drop every pending fault, keeping AWS state."""
        self._post("/_ode/faults/clear")

    def arm_killpoint(self, service: str, action: str, after: int = 1) -> dict[str, Any]:
        """Stop the world right after the provider's ``after``-th successful ``action``
        call (its operation name; tests/support/killpoint.py)."""
        return self._post("/_ode/killpoint", {"service": service, "action": action, "after": after})

    def wait_killpoint(self, seconds: float) -> dict[str, Any]:
        """The kill point's report once it fired, or after ``seconds`` (at most 60)."""
        with urllib.request.urlopen(f"{self.url}/_ode/killpoint?wait={seconds}", timeout=seconds + 30) as response:
            return json.load(response)

    def release_killpoint(self) -> dict[str, Any]:
        """Drop the calls held at the kill point and disarm it."""
        return self._post("/_ode/killpoint/release")

    def set_chaos(
        self,
        rate: float,
        seed: int = 0,
        mix: dict[str, float] | None = None,
        clients: list[str] | None = None,
        actions: list[str] | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Fail ``rate`` of the AWS calls of ``clients`` (User-Agent words; None: every
        client but the tests' own) with faults drawn from ``mix``, only calls of
        ``actions`` ("service:Action"; None: all), at most ``limit`` faults (None: no
        limit); see tests/support/chaos.py. Rate 0 turns it off. Answers the (fresh)
        chaos report."""
        payload: dict[str, Any] = {"rate": rate, "seed": seed, "clients": clients, "actions": actions, "limit": limit}
        if mix is not None:
            payload["mix"] = mix
        return self._post("/_ode/chaos", payload)

    def chaos(self) -> dict[str, Any]:
        """The chaos setting and what it injected since it was set (tests/support/chaos.py)."""
        with urllib.request.urlopen(self.url + "/_ode/chaos", timeout=30) as response:
            return json.load(response)

    def set_rate_limits(
        self,
        enabled: bool = True,
        scale: float = 1.0,
        buckets: dict[str, dict[str, float]] | None = None,
        ec2_per_action: bool = True,
    ) -> dict[str, Any]:
        """Turn AWS's API rate limits on (or off), from the defaults of
        tests/support/ratelimit.py: every refill rate times ``scale``, ``buckets`` ({name:
        {"size": n, "refill": per_second}}) over the defaults, each EC2 action its own
        bucket unless ``ec2_per_action`` is false. Every bucket starts full. Answers the
        (fresh) report."""
        payload: dict[str, Any] = {"enabled": enabled, "scale": scale, "ec2_per_action": ec2_per_action}
        if buckets is not None:
            payload["buckets"] = buckets
        return self._post("/_ode/ratelimit", payload)

    def rate_limits(self) -> dict[str, Any]:
        """The rate limits' setting and the calls each bucket let through and refused."""
        with urllib.request.urlopen(self.url + "/_ode/ratelimit", timeout=30) as response:
            return json.load(response)

    def set_transitions(self, nat_gateway_pending_s: float) -> None:
        """Make NAT gateways created from now on read ``pending`` for that long (0: off)."""
        self._post("/_ode/transitions", {"nat_gateway_pending_s": nat_gateway_pending_s})

    def set_page_size(self, size: int) -> None:
        """Answer every list call at most ``size`` items a page (0: AWS's own sizes)."""
        self._post("/_ode/page-size", {"size": size})

    def fail_next(self, kind: str, name: str, message: str, code: str = "") -> None:
        """Make the next create (or update) of ``name`` fail the way AWS reports it:
        ``nodegroup`` / ``addon`` (CREATE_FAILED with the health issue ``code``),
        ``update`` (the next update of that cluster, node group or add-on Failed with
        the error ``code``), ``nat`` (``name``: a zone or "*"; ``failed`` with
        FailureCode ``code``), ``db`` (``failed``), ``replication-group``
        (``create-failed``); ``message`` is AWS's reason (in an event for RDS and
        ElastiCache)."""
        self._post("/_ode/fail", {"kind": kind, "name": name, "code": code, "message": message})

    def api_models(self) -> dict[str, Any]:
        """What the emulator held against AWS's API models: {"requests": {"service:Op":
        count}, "answers": {...}, "violations": [{service, operation, direction,
        problem}], "unparsed": {...}} (see tests/support/api_models.py)."""
        with urllib.request.urlopen(self.url + "/_ode/api-models", timeout=30) as response:
            return json.loads(response.read())

    def clear_api_violations(self) -> None:
        self._post("/_ode/api-models/clear")

    def set_today(self, date: str | None) -> None:
        """Move the calendar of EKS, RDS and ElastiCache versions to ``date``
        (``YYYY-MM-DD``; None: back to the default, 2026-12-01)."""
        self._post("/_ode/today", {"date": date})

    def set_eks_transitions(self, transition_s: float) -> None:
        """Make EKS resources changed from now on stay in transitional states that long (0: off)."""
        self._post("/_ode/eks", {"transition_s": transition_s})

    def set_data_transitions(self, transition_s: float) -> None:
        """Make RDS instances and ElastiCache replication groups changed from now on stay in
        transitional states that long (0: off)."""
        self._post("/_ode/data", {"transition_s": transition_s})

    def apply_rds_maintenance(self, db_instance_identifier: str) -> dict[str, Any]:
        """Let the maintenance window of a DB instance arrive: its pending modified values
        are applied. Answers {"db_instance_identifier": ..., "applied": {field: value}}."""
        return self._post("/_ode/rds/maintenance", {"db_instance_identifier": db_instance_identifier})

    def rds_minor_upgrade(self, db_instance_identifier: str, engine_version: str) -> dict[str, Any]:
        """Let AWS upgrade a DB instance's engine to ``engine_version`` by itself."""
        return self._post(
            "/_ode/rds/minor-upgrade",
            {"db_instance_identifier": db_instance_identifier, "engine_version": engine_version},
        )

    def redis_auth_token_hashes(self, replication_group_id: str) -> list[str]:
        """The hex SHA-256 of each AUTH token a replication group accepts, oldest first."""
        query = urllib.parse.urlencode({"replication_group_id": replication_group_id})
        with urllib.request.urlopen(f"{self.url}/_ode/elasticache/auth?{query}", timeout=30) as response:
            return json.load(response)["auth_token_sha256"]

    def reset(self) -> None:
        """Forget all AWS state, recorded calls, latency, pending faults, chaos, rate
        limits and transitions."""
        self._post("/_ode/reset")

    def client(self, service: str, *, validate: bool = True, observer: bool = True):
        """A boto3 client for ``service`` pointed at the emulator (path-style S3).
        ``validate=False`` sends what boto3 would refuse (to check the emulator's own
        checks, as the Rust SDK does not make boto3's). ``observer`` (the default) marks
        it as the tests' own in its User-Agent, which chaos leaves alone."""
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        return session.client(
            service,
            endpoint_url=self.url,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"total_max_attempts": 1, "mode": "standard"},
                parameter_validation=validate,
                user_agent_extra=chaos.OBSERVER_AGENT if observer else None,
            ),
        )


START_TIMEOUT_S = 60
_REPO_ROOT = Path(__file__).resolve().parents[2]


class EmulatorStartError(RuntimeError):
    """The emulator subprocess exited or did not listen in time."""


@contextlib.contextmanager
def running_emulator(state_dir: Path, timeout_s: float = START_TIMEOUT_S) -> Iterator[EmulatorClient]:
    """Run the emulator as a subprocess on a free port for the duration of the block.

    Its port file and log (``emulator.log``) go to ``state_dir``. Raises
    :class:`EmulatorStartError`, with the log, when it does not start.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    port_file = state_dir / "port"
    port_file.unlink(missing_ok=True)
    log_path = state_dir / "emulator.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.emulator", "--port", "0", "--port-file", str(port_file)],
            cwd=_REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout_s
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise EmulatorStartError(f"the emulator did not start; its log:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield EmulatorClient(int(port_file.read_text()))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
