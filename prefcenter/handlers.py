"""Django-level error handlers (handler400/403/404/500, the CSRF failure view): JSON in the route's
envelope on API paths, never HTML. The domain error type and DRF's exception handler are in
prefcenter/exceptions.py; this module answers only what never reaches DRF.

They answer what escapes DRF's exception handler (a SuspiciousOperation such as DisallowedHost
raised by middleware, a PermissionDenied outside a view); inside a view, DRF's handler answers
in the negotiated format (JSON or XML).
"""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

from prefcenter.exceptions import REACH, describe_suspicious, envelope_of, error_envelope


def is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/v1/", "/v2/"))


def api_error_response(
    request: HttpRequest, status: int, message: str, code: str, *, reach_errors: list[str] | None = None
) -> JsonResponse:
    """An error answered outside DRF (middleware, Django handlers), in the route's envelope
    (prefcenter/exceptions.envelope_of). `reach_errors` fill Reach's `errors` list, which names no field."""
    errors = {"non_field_errors": reach_errors} if reach_errors and envelope_of(request.path) == REACH else None
    body = error_envelope(request, status=status, code=code, message=message, errors=errors)
    return JsonResponse(body, status=status)


def api_aware_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        code, message = ("bad_request", "Bad request.")
        if isinstance(exception, SuspiciousOperation):
            code, message = describe_suspicious(exception)
        return api_error_response(request, 400, message, code, reach_errors=[message])
    return defaults.bad_request(request, exception)


def api_aware_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        message = "You do not have permission to perform this action."
        return api_error_response(request, 403, message, "permission_denied", reach_errors=[message])
    return defaults.permission_denied(request, exception)


def api_aware_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return api_error_response(request, 404, "Not found.", "not_found")
    return defaults.page_not_found(request, exception)


def api_aware_500(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return api_error_response(request, 500, "Internal server error.", "server_error")
    return defaults.server_error(request)


@csrf_exempt
def api_route_not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return api_error_response(request, 404, "Not found.", "not_found")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """API routes use header credentials, never cookies; a CSRF refusal there still answers JSON."""
    if is_api_path(request.path):
        return api_error_response(request, 403, f"CSRF verification failed: {reason}", "csrf_failed")
    return csrf.csrf_failure(request, reason)
