"""Requests and answers checked against AWS's published API models.

botocore ships the service models (the same Smithy models the Rust SDK is generated
from). :func:`install` (called by ``emulator.make_server``) makes the emulator check:

* every AWS request it receives: parsed with moto's protocol parsers from the
  operation's input shape (query, EC2, JSON, REST-JSON, REST-XML), then held against
  that shape: required members, enums, string lengths and patterns, numeric ranges,
  list and map lengths;
* every answer of the project's own emulator extensions (the handlers
  ``eks_emulator`` and ``data_emulator`` install, which return plain data): held
  against the operation's output shape.

A violation is recorded with its service, operation and member path (``GET
/_ode/api-models``) and the request is refused the way AWS refuses it
(``ValidationException``) for requests; tests/conftest.py fails the scenario that
made it. What was checked accumulates over the emulator's life (a reset keeps it), so
that the session can report how many distinct operations it covered.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

_LOCK = threading.Lock()


@dataclass
class Ledger:
    """What was checked (``service:Operation`` -> count) and what violated a model."""

    requests: dict[str, int] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    violations: list[dict[str, str]] = field(default_factory=list)
    unparsed: dict[str, int] = field(default_factory=dict)

    def report(self) -> dict[str, Any]:
        with _LOCK:
            return {
                "requests": dict(self.requests),
                "answers": dict(self.answers),
                "violations": list(self.violations),
                "unparsed": dict(self.unparsed),
            }

    def clear_violations(self) -> None:
        with _LOCK:
            self.violations.clear()


LEDGER = Ledger()


# -- checking a value against a shape ------------------------------------------------------


def violations(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Where ``value`` breaks ``shape`` (``path: what``); empty when it satisfies it.
    Values that are not plain data (moto's model objects in an answer) are skipped."""
    found: list[str] = []
    _check(shape, value, path, found)
    return found


def _check(shape: Shape, value: Any, path: str, found: list[str]) -> None:
    if value is None:
        return
    where = path or "(input)"
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return
        for name in shape.required_members:
            if value.get(name) is None:
                found.append(f"{_join(path, name)}: required member missing")
        for name, member in shape.members.items():
            if name in value:
                _check(member, value[name], _join(path, name), found)
        return
    if isinstance(shape, ListShape):
        if not isinstance(value, (list, tuple)):
            return
        _length(meta, len(value), where, "items", found)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{where}[{index}]", found)
        return
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return
        _length(meta, len(value), where, "entries", found)
        for key, item in value.items():
            _check(shape.key, key, f"{where} key", found)
            _check(shape.value, item, f"{where}[{key!r}]", found)
        return
    if shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            found.append(f"{where}: {value!r} is not one of {', '.join(shape.enum)}")
        _length(meta, len(value), where, "characters", found)
        pattern = meta.get("pattern")
        if pattern and not _matches(pattern, value):
            found.append(f"{where}: {value!r} does not match the pattern {pattern}")
        return
    if shape.type_name in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if not isinstance(value, bool):
            low, high = meta.get("min"), meta.get("max")
            if low is not None and value < low:
                found.append(f"{where}: {value} is below the minimum {low}")
            if high is not None and value > high:
                found.append(f"{where}: {value} is above the maximum {high}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _length(meta: dict[str, Any], length: int, where: str, unit: str, found: list[str]) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and length < low:
        found.append(f"{where}: {length} {unit}, fewer than the minimum {low}")
    if high is not None and length > high:
        found.append(f"{where}: {length} {unit}, more than the maximum {high}")


_PATTERNS: dict[str, re.Pattern[str] | None] = {}


def _matches(pattern: str, value: str) -> bool:
    """AWS's patterns are Java regular expressions; the few Python cannot read are
    left unchecked rather than guessed at."""
    if pattern not in _PATTERNS:
        try:
            _PATTERNS[pattern] = re.compile(pattern, re.S)
        except re.error:
            _PATTERNS[pattern] = None
    compiled = _PATTERNS[pattern]
    return compiled is None or compiled.search(value) is not None


# -- the hooks -----------------------------------------------------------------------------


def _record(kind: dict[str, int], key: str) -> None:
    with _LOCK:
        kind[key] = kind.get(key, 0) + 1


def _violated(service: str, operation: str, direction: str, problems: list[str]) -> None:
    with _LOCK:
        for problem in problems:
            LEDGER.violations.append(
                {"service": service, "operation": operation, "direction": direction, "problem": problem}
            )


def _operation(response: Any) -> OperationModel | None:
    from moto.core.utils import get_service_model

    try:
        name = response._get_action()
        if not name:
            return None
        return get_service_model(response.boto3_service_name).operation_model(name)
    except Exception:  # an operation the model does not name: moto answers it as it will
        return None


def check_request(response: Any, request: Any) -> Exception | None:
    """Hold the request ``response`` (a moto BaseResponse just set up) is about to
    serve against its operation's input shape; on a violation, the refusal AWS
    answers."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import determine_request_protocol

    service = response.boto3_service_name
    operation = _operation(response)
    if operation is None or operation.input_shape is None:
        return None
    key = f"{service}:{operation.name}"
    try:
        protocol = determine_request_protocol(operation.service_model, request.content_type)
        parser = PROTOCOL_PARSERS[protocol](operation)
        params = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": getattr(response, "uri_match", None) or {},
            }
        )
    except Exception:  # moto's parser cannot read it: counted, never guessed at
        _record(LEDGER.unparsed, key)
        return None
    _record(LEDGER.requests, key)
    problems = violations(operation.input_shape, _plain(params))
    if problems:
        _violated(service, operation.name, "request", problems)
        return _refusal(protocol, f"{len(problems)} validation error(s) detected: " + "; ".join(problems))
    return None


def _refusal(protocol: str, message: str) -> Exception:
    """AWS's answer to a request its model refuses, in the service's protocol:
    ValidationException (JSON), InvalidParameterValue (EC2), ValidationError (query),
    InvalidArgument (S3)."""
    from werkzeug.exceptions import HTTPException

    text = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": "ValidationException", "message": message})
        content_type, code = "application/json", "ValidationException"
    elif protocol == "ec2":
        body = f"<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>{text}</Message></Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
        content_type, code = "text/xml", "InvalidParameterValue"
    elif protocol == "query":
        body = f"<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>{text}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        content_type, code = "text/xml", "ValidationError"
    else:
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>{text}</Message><RequestId>{uuid.uuid4()}</RequestId></Error>'
        content_type, code = "application/xml", "InvalidArgument"

    class Refusal(HTTPException):
        def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
            return [("Content-Type", content_type), ("X-Amzn-ErrorType", code)]

    refusal = Refusal(description=body)
    refusal.code = 400
    return refusal


def _plain(value: Any) -> Any:
    """moto's parsers build maps of their own type: plain dicts and lists."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def checked_answers(service: str, handler: Callable[..., Any], operation_name: str) -> Callable[..., Any]:
    """``handler`` (an extension's method of a moto response class), its plain-data
    answers held against ``operation_name``'s output shape."""
    from moto.core.utils import get_service_model

    output = get_service_model(service).operation_model(operation_name).output_shape

    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = handler(self, *args, **kwargs)
        data = getattr(result, "result", None)
        if output is not None and isinstance(data, dict):
            _record(LEDGER.answers, f"{service}:{operation_name}")
            problems = violations(output, data)
            if problems:
                _violated(service, operation_name, "answer", problems)
        return result

    checked.__doc__ = handler.__doc__
    checked.__name__ = handler.__name__
    return checked


def operation_names(service: str) -> dict[str, str]:
    """snake_case method name -> operation name, for the service's operations."""
    from botocore import xform_name
    from moto.core.utils import get_service_model

    return {xform_name(name): name for name in get_service_model(service).operation_names}


def check_answers(response_class: type, service: str, names: list[str]) -> None:
    """Wrap the methods ``names`` of ``response_class`` (an extension's handlers) with
    :func:`checked_answers`; names that are not operations are left alone."""
    operations = operation_names(service)
    for name in names:
        if name in operations and not getattr(getattr(response_class, name), "ode_checked", False):
            wrapped = checked_answers(service, getattr(response_class, name), operations[name])
            wrapped.ode_checked = True  # type: ignore[attr-defined]
            setattr(response_class, name, wrapped)


def install() -> None:
    """Check every request moto sets up (see the module docstring)."""
    from moto.core.responses import BaseResponse

    if getattr(BaseResponse.setup_class, "ode_checked", False):
        return
    setup, authorize = BaseResponse.setup_class, BaseResponse._authenticate_and_authorize_normal_action

    def setup_class(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        setup(self, request, *args, **kwargs)
        self.ode_refusal = check_request(self, request) if request is not None else None

    # moto answers an error raised here in the service's protocol (an error raised
    # while the request is set up would be a 500).
    def authorize_then_refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        refusal = getattr(self, "ode_refusal", None)
        if refusal is not None:
            raise refusal
        authorize(self, *args, **kwargs)

    setup_class.ode_checked = True  # type: ignore[attr-defined]
    BaseResponse.setup_class = setup_class  # type: ignore[method-assign]
    BaseResponse._authenticate_and_authorize_normal_action = authorize_then_refuse  # type: ignore[method-assign]
