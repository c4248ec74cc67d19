"""URL map: each app owns its routes; the project package wires them together."""

import os

from django.contrib import admin
from django.urls import include, path, re_path

from prefcenter.handlers import api_aware_400, api_aware_403, api_aware_404, api_aware_500, api_route_not_found

urlpatterns = [
    path("admin/console/", include("console.urls")),
    path("admin/", admin.site.urls),
    path("", include("prefcenter.urls")),
    path("", include("customers.urls")),
    path("", include("messaging.urls")),
    path("", include("subscribers.urls")),
    path("", include("webhooks.urls")),
    path("", include("compliance.urls")),
    path("", include("selfservice.urls")),
    # Unknown API paths answer JSON even with DEBUG on (Django's debug 404 page is HTML).
    re_path(r"^(api|v1|v2)/", api_route_not_found),
]
if os.environ.get("PREFCENTER_BENCH_VIEWS") == "1":  # python -m bench: hand-written views beside the API
    urlpatterns.append(path("", include("bench.urls")))

handler400 = api_aware_400
handler403 = api_aware_403
handler404 = api_aware_404
handler500 = api_aware_500
