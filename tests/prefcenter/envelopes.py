"""The documented error envelopes, built independently of prefcenter/exceptions.py so tests can catch it drifting."""

from __future__ import annotations

from typing import Any


def api_error(
    response: Any, status: int, code: str, detail: str, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """The project's error shape on every non-Reach route; `request_id` is the X-Request-ID the response echoes."""
    return {
        "detail": detail,
        "code": code,
        "status": int(status),
        "errors": errors or {},
        "request_id": response["X-Request-ID"],
    }


def reach_error(message: str, errors: list[str] | None = None) -> dict[str, Any]:
    """Seed 003's 400 (and every other non-404 error) envelope."""
    return {"success": False, "message": message, "errors": errors or []}


def reach_not_found(message: str) -> dict[str, Any]:
    """Seed 003's 404 envelope."""
    return {"success": False, "message": message, "data": {"error": message}}


def is_json(response: Any) -> bool:
    return response["Content-Type"].startswith("application/json")


def novu_error(
    response: Any, status: int, code: str, message: str, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """Novu's error envelope on every /v2 route, with our `code`; `timestamp` is read from the body."""
    body = response.json()
    return {
        "statusCode": int(status),
        "timestamp": body["timestamp"],
        "path": response.wsgi_request.path,
        "message": message,
        "code": code,
        "errors": {name: {"messages": messages} for name, messages in (errors or {}).items()},
    }
