"""Reads for webhooks, always scoped by tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from prefcenter.exceptions import PrefCenterError
from prefcenter.ids import row_id
from prefcenter.models import Tenant
from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, tenant: Tenant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(tenant=tenant).order_by("id")


def endpoint_get(*, tenant: Tenant, endpoint_id: str) -> WebhookEndpoint:
    """The tenant's endpoint, or a 404 (another tenant's endpoint is a 404 too)."""
    pk = row_id(endpoint_id)
    endpoint = WebhookEndpoint.objects.filter(tenant=tenant, pk=pk).first() if pk is not None else None
    if endpoint is None:
        raise PrefCenterError(
            "Webhook endpoint not found.",
            code="not_found",
            status=404,
            errors={"id": [f"No webhook endpoint with id '{endpoint_id}' in this tenant."]},
        )
    return endpoint


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first (one query per page, whatever their number)."""
    return WebhookDelivery.objects.filter(tenant_id=endpoint.tenant_id, endpoint=endpoint).order_by("-id")


def delivery_get(*, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    """One delivery of the endpoint, or a 404 (another endpoint's or another tenant's delivery is a 404 too)."""
    delivery = delivery_list(endpoint=endpoint).filter(pk=int(delivery_id)).first() if delivery_id.isdigit() else None
    if delivery is None:
        raise PrefCenterError(
            "Webhook delivery not found.",
            code="not_found",
            status=404,
            errors={"delivery_id": [f"No delivery with id '{delivery_id}' for this webhook endpoint."]},
        )
    return delivery
