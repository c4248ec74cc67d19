"""Reads for webhooks, always scoped by tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from prefcenter.exceptions import PrefCenterError
from prefcenter.ids import row_id
from prefcenter.models import Tenant
from webhooks.models import WebhookEndpoint


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
