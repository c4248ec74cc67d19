"""Messaging routes: the category catalog and the caller's notification preferences (seed 001)."""

from django.urls import include, path, re_path

from messaging.views import CategoryViewSet, NotificationPreferenceViewSet
from prefcenter.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("v1/messaging/categories", CategoryViewSet, basename="messaging-category")

preferences = NotificationPreferenceViewSet.as_view({"get": "list", "put": "upsert", "delete": "clear"})
preference = NotificationPreferenceViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("", include(router.urls)),
    re_path(r"^v1/messaging/preferences/?$", preferences, name="messaging-preference-list"),
    re_path(r"^v1/messaging/preferences/(?P<id>[^/]+)/?$", preference, name="messaging-preference-detail"),
]
