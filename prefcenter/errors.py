"""Django-level 404/500 handlers: JSON in the project's envelope on API paths, never HTML."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

from prefcenter.exceptions import error_body, reach_error_body
from prefcenter.middleware import is_api_path


def _json(request: HttpRequest, status: int, message: str, code: str) -> JsonResponse:
    if request.path.startswith("/api/resources/"):
        return JsonResponse(reach_error_body(status=status, message=message), status=status)
    body = error_body(status=status, code=code, detail=message)
    body["request_id"] = getattr(request, "request_id", "")
    return JsonResponse(body, status=status)


def api_aware_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return _json(request, 404, "Not found.", "not_found")
    return defaults.page_not_found(request, exception)


def api_aware_500(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return _json(request, 500, "Internal server error.", "server_error")
    return defaults.server_error(request)


@csrf_exempt
def api_route_not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return _json(request, 404, "Not found.", "not_found")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """API routes use header credentials, never cookies; a CSRF refusal there still answers JSON."""
    if is_api_path(request.path):
        return _json(request, 403, f"CSRF verification failed: {reason}", "csrf_failed")
    return csrf.csrf_failure(request, reason)
