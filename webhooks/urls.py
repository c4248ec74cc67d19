"""Webhook routes: the tenant's endpoints under /v1/webhooks."""

from django.urls import include, path

from prefcenter.routers import OptionalSlashRouter
from webhooks.views import WebhookEndpointViewSet

router = OptionalSlashRouter()
router.register("v1/webhooks", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = [path("", include(router.urls))]
