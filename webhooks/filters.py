"""Filters for the deliveries list of one webhook endpoint."""

from __future__ import annotations

import django_filters

from webhooks.models import WebhookDelivery


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=WebhookDelivery.STATUSES, help_text="Only deliveries in this state (`failed`: given up)."
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status"]
