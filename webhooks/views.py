"""Webhook endpoints API: `GET/POST /v1/webhooks`, `GET/DELETE /v1/webhooks/{id}` (scope webhooks:manage)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from prefcenter.views import ListMixin, PrefCenterViewSet, RetrieveMixin
from webhooks.models import WebhookEndpoint
from webhooks.selectors import endpoint_get, endpoint_list
from webhooks.serializers import (
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
)
from webhooks.services import endpoint_create, endpoint_delete


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
