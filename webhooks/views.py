"""Webhook endpoints API: `GET/POST /v1/webhooks`, `GET/DELETE /v1/webhooks/{id}`, and an endpoint's deliveries:
`GET /v1/webhooks/{id}/deliveries`, `POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend` (scope webhooks:manage)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.utils.functional import cached_property
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from prefcenter.views import ListMixin, PrefCenterViewSet, RetrieveMixin
from webhooks.filters import WebhookDeliveryFilterSet
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.selectors import delivery_get, delivery_list, endpoint_get, endpoint_list
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
    WebhookResendRequestSerializer,
)
from webhooks.services import deliveries_resend, endpoint_create, endpoint_delete


class WebhookEndpointViewSet(ListMixin, RetrieveMixin, PrefCenterViewSet):
    """The tenant's webhook endpoints. Provider mode only; another tenant's endpoint is a 404."""

    queryset = WebhookEndpoint.objects.all()  # narrowed to the tenant by get_queryset
    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = "[^/]+"
    read_scope = "webhooks:manage"
    write_scope = "webhooks:manage"
    provider_only_actions = ("list", "retrieve", "create", "destroy")
    filter_backends: list = []

    def get_queryset(self):
        return endpoint_list(tenant=self.tenant)

    def get_object(self):
        return endpoint_get(tenant=self.tenant, endpoint_id=self.kwargs["pk"])

    @extend_schema(request=WebhookEndpointWriteSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args: Any, **kwargs: Any) -> Response:
        fields = dict(self.validated(WebhookEndpointWriteSerializer))
        endpoint = endpoint_create(tenant=self.tenant, **fields)
        self.output_serializer_class = WebhookEndpointCreatedSerializer
        return self.respond(endpoint, HTTPStatus.CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args: Any, **kwargs: Any) -> Response:
        endpoint_delete(endpoint=self.get_object())
        return Response(status=HTTPStatus.NO_CONTENT)


ENDPOINT_ID = OpenApiParameter("id", str, OpenApiParameter.PATH, description="The webhook endpoint's id.")


@extend_schema_view(
    list=extend_schema(parameters=[ENDPOINT_ID]),
    resend=extend_schema(
        request=WebhookResendRequestSerializer,
        responses={200: WebhookDeliverySerializer},
        parameters=[
            ENDPOINT_ID,
            OpenApiParameter("delivery_id", str, OpenApiParameter.PATH, description="The delivery's id."),
        ],
    ),
)
class WebhookDeliveryViewSet(ListMixin, PrefCenterViewSet):
    """One endpoint's deliveries, newest first, and "resend" (the admin's action, through the same service).

    Provider mode only; another tenant's endpoint, or a delivery of another endpoint, is a 404.
    """

    queryset = WebhookDelivery.objects.all()  # narrowed to the endpoint (so to the tenant) by get_queryset
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    lookup_url_kwarg = "delivery_id"
    lookup_value_regex = "[^/]+"
    read_scope = "webhooks:manage"
    write_scope = "webhooks:manage"
    provider_only_actions = ("list", "resend")

    @cached_property
    def endpoint(self) -> WebhookEndpoint:
        return endpoint_get(tenant=self.tenant, endpoint_id=self.kwargs["id"])

    def get_queryset(self):
        return delivery_list(endpoint=self.endpoint)

    @action(detail=True, methods=["post"])
    def resend(self, request, *args: Any, **kwargs: Any) -> Response:
        """Queue the delivery again, now, with a fresh retry window and the same `webhook-id`."""
        self.validated(WebhookResendRequestSerializer)  # the body first: a bad one is a 400 whatever the ids
        delivery = delivery_get(endpoint=self.endpoint, delivery_id=self.kwargs["delivery_id"])
        deliveries_resend(deliveries=[delivery])
        return self.respond(delivery_get(endpoint=self.endpoint, delivery_id=str(delivery.pk)))
