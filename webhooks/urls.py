"""Webhook routes: the tenant's endpoints under /v1/webhooks, and each endpoint's deliveries."""

from django.urls import include, path

from prefcenter.routers import OptionalSlashRouter
from webhooks.views import WebhookDeliveryViewSet, WebhookEndpointViewSet

router = OptionalSlashRouter()
router.register("v1/webhooks", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register(r"v1/webhooks/(?P<id>[^/]+)/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [path("", include(router.urls))]
