"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from prefcenter.shared_cache import cache_status


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers a query and, when REDIS_URL is set, Redis answers a write and a read:
    the process can serve traffic. Anything unreachable is 503 naming what failed.

    Without Redis the cache is this process's memory and always answers ("local").
    """
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except DatabaseError as exc:
        checks["database"] = type(exc).__name__
    checks["cache"] = cache_status() if settings.REDIS_URL else "local"
    ready = checks["database"] == "ok" and checks["cache"] in ("ok", "local")
    status = 200 if ready else 503
    response = JsonResponse({"status": "ok" if ready else "unavailable", **checks}, status=status)
    if not ready:
        response["Retry-After"] = "5"
    return response
