"""The domain error type (`PrefCenterError`) and DRF's exception handler, which turns every API error
raised inside a view into its envelope (what escapes DRF is answered by prefcenter/handlers.py).

Which envelope an error is answered in depends on the route, and only `envelope_of(path)` says so
(DRF's handler here, the Django-level handlers in prefcenter/handlers.py and the OpenAPI schema ask it):

Most routes answer with the project's error shape:

    {"detail": "…", "code": "…", "status": 400, "errors": {"field.path": ["message", …]}, "request_id": "…"}

Reach routes (every path under `/api/resources/`) answer with Reach's envelopes
exactly: 404 `{success:false, message, data:{error}}`, every other error
`{success:false, message, errors:[…]}`.

Novu routes (every path under `/v2/`) answer with Novu's envelope, so Novu's SDKs raise their
typed errors: `{statusCode, timestamp, path, message}`, and for 400/422 Novu's validation
shape `errors: {"field.path": {messages: […]}}` as well (and on any error that names fields).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class PrefCenterError(exceptions.APIException):
    """A domain error with a message for humans, a stable code for machines and an HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 400,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail=message, code=code)
        self.status_code = status
        self.message = message
        self.code = code
        self.errors = errors or {}
        self.headers = headers or {}


class Unchangeable(PrefCenterError):
    """A change to a value that names an object for good (a customer's external id, a workflow's
    workflowId): the ledger and every face refer to it. Raised by the service that owns the object;
    a face may word it in its own names (the Reach resource says `data.customerId`)."""

    def __init__(self, field: str, message: str | None = None):
        super().__init__(message or f"{field} cannot be changed.", errors={field: ["Cannot be changed once set."]})
        self.field = field


def refuse_change(changes: dict[str, Any], name: str, current: Any, *, field: str | None = None,
                  message: str | None = None) -> None:
    """Take `name` out of a service's `changes`: the same value as `current` is no change; another is
    `Unchangeable` (named `field`, default `name`). The one check every service with a permanent name makes."""
    if name in changes and changes.pop(name) != current:
        raise Unchangeable(field or name, message)


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"a.b.0.c": ["message"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            for k, v in flatten_errors(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item in ({}, [], None, ""):
                    continue
                path = f"{prefix}.{index}" if prefix else str(index)
                for k, v in flatten_errors(item, path).items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def summarize(errors: dict[str, list[str]], limit: int = 3) -> str:
    parts = [
        f"{path}: {messages[0]}" if path != "non_field_errors" else messages[0] for path, messages in errors.items()
    ]
    text = "; ".join(parts[:limit])
    if len(parts) > limit:
        text += f" (and {len(parts) - limit} more)"
    return text


def error_body(*, status: int, code: str, detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "status": status, "errors": errors or {}}


def reach_error_body(*, status: int, message: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    if status == HTTPStatus.NOT_FOUND:
        return {"success": False, "message": message, "data": {"error": message}}
    flat = [
        f"{path}: {msg}" if path != "non_field_errors" else msg for path, msgs in (errors or {}).items() for msg in msgs
    ]
    return {"success": False, "message": message, "errors": flat}


REACH = "reach"
NOVU = "novu"
DEFAULT = "default"
# Route prefix → the envelope its errors are answered in; any other route answers the project's.
ENVELOPES: tuple[tuple[str, str], ...] = (("/api/resources/", REACH), ("/v2/", NOVU))


def envelope_of(path: str) -> str:
    """The envelope errors on this route are answered in (REACH, NOVU or DEFAULT): the one place that says."""
    for prefix, envelope in ENVELOPES:
        if path.startswith(prefix):
            return envelope
    return DEFAULT


def novu_error_body(
    *, status: int, message: str, path: str, code: str = "error", errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """Novu's ErrorDto (ValidationErrorDto for 400/422): the status, when, where and what, plus our
    stable `code` (Novu's SDKs ignore keys they do not know)."""
    body: dict[str, Any] = {
        "statusCode": status,
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "path": path,
        "message": message,
        "code": code,
    }
    if errors or status in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNPROCESSABLE_ENTITY):
        body["errors"] = {field: {"messages": list(messages)} for field, messages in (errors or {}).items()}
    return body


def error_envelope(
    request: Any, *, status: int, code: str, message: str, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """An error's body in the envelope of the request's route (`envelope_of`)."""
    path = request.path if request is not None else ""
    envelope = envelope_of(path)
    if envelope == REACH:
        return reach_error_body(status=status, message=message, errors=errors)
    if envelope == NOVU:
        return novu_error_body(status=status, message=message, path=path, code=code, errors=errors)
    body = error_body(status=status, code=code, detail=message, errors=errors)
    body["request_id"] = getattr(request, "request_id", "") if request is not None else ""
    return body


def _describe(exc: Exception) -> tuple[int, str, str, dict[str, list[str]], dict[str, str]]:
    """status, code, message, field errors, headers for any exception we answer."""
    headers: dict[str, str] = {}
    if isinstance(exc, PrefCenterError):
        return exc.status_code, exc.code, exc.message, exc.errors, dict(exc.headers)
    if isinstance(exc, Http404):
        return 404, "not_found", "Not found.", {}, headers
    if isinstance(exc, DjangoPermissionDenied):
        return 403, "permission_denied", "You do not have permission to perform this action.", {}, headers
    if isinstance(exc, RequestDataTooBig):
        return 413, "request_too_large", "Request body too large.", {}, headers
    if isinstance(exc, SuspiciousOperation):
        return (400, *describe_suspicious(exc), {}, headers)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is unreachable or restarting (or a lock timed out): nothing was committed
        # and a retry will do. Logged, since it is answered rather than raised.
        logger.warning("database unavailable: %s: %s", type(exc).__name__, exc)
        return 503, "service_unavailable", "The database is unavailable; retry shortly.", {}, {"Retry-After": "1"}
    if isinstance(exc, DjangoValidationError):
        errors = flatten_errors(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        return 400, "invalid", "Invalid input: " + summarize(errors), errors, headers
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return 400, "invalid", "Invalid input: " + summarize(errors), errors, headers
    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait) + (exc.wait % 1 > 0))
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail if isinstance(exc.detail, str) else summarize(flatten_errors(exc.detail))
        return exc.status_code, code, str(detail), {}, headers
    raise exc


def describe_suspicious(exc: SuspiciousOperation) -> tuple[str, str]:
    """Code and message for Django's own 400s (its messages name settings, not what to do)."""
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return "too_many_fields", f"Too many fields in the request: the limit is {limit}."
    if isinstance(exc, TooManyFilesSent):
        return "too_many_files", f"Too many files in the request: the limit is {settings.DATA_UPLOAD_MAX_NUMBER_FILES}."
    return "bad_request", "Bad request."


HANDLED = (
    exceptions.APIException,
    Http404,
    DjangoPermissionDenied,
    SuspiciousOperation,
    DjangoValidationError,
    OperationalError,
    InterfaceError,
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if not isinstance(exc, HANDLED):
        return None  # unknown errors stay 500s so they are seen and fixed
    status, code, message, errors, headers = _describe(exc)
    body = error_envelope(context.get("request"), status=status, code=code, message=message, errors=errors)
    return Response(body, status=status, headers=headers)
