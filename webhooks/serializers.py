"""Webhook endpoint input and output. The signing secret appears in one answer only: the creation's."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from prefcenter.serializers import (
    PrefCenterModelSerializer,
    PrefCenterSerializer,
    RejectUnknownFieldsMixin,
    StrictCharField,
)
from webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(PrefCenterModelSerializer):
    """A registered endpoint; `enabled` false with `disabled_at` once it failed for the whole retry window."""

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "event_types", "enabled", "disabled_at", "disabled_reason", "created_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The creation's answer: the endpoint and its signing secret, shown this once."""

    secret = serializers.CharField(
        read_only=True, help_text="Standard Webhooks signing secret (whsec_…). Shown once: store it now."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookDeliverySerializer(PrefCenterModelSerializer):
    """One event for the endpoint: its state, attempts and last outcome (what the admin's deliveries list shows)."""

    event_id = serializers.CharField(
        source="message_id", read_only=True, help_text="The `webhook-id` header: the same on every attempt."
    )
    next_attempt_at = serializers.SerializerMethodField(help_text="When it is sent next; null unless pending.")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, delivery: WebhookDelivery) -> str | None:
        if delivery.status != WebhookDelivery.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


# The server checks exactly what the schema states (one pattern), so the two cannot disagree: an http(s)
# URL with a DNS host name (letters, digits, hyphens; a TLD of letters), an optional port (0-65535), and a
# path and query in RFC 3986's plain characters (percent-encode the rest). The SSRF guard then refuses
# names that are, or resolve to, non-public addresses (webhooks/destinations.py).
PORT_PATTERN = r"([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
ENDPOINT_URL_PATTERN = (
    r"^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,4}[A-Za-z]{2,24}(:"
    + PORT_PATTERN
    + r")?([/?#][A-Za-z0-9._~:/?#@!$&'()*+,;=-]*)?$"
)


class EndpointUrlField(StrictCharField):
    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not re.fullmatch(ENDPOINT_URL_PATTERN, value):
            raise serializers.ValidationError("Enter an http(s) URL with a host name, e.g. https://hooks.example.com/x.")
        return value

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": ENDPOINT_URL_PATTERN, "maxLength": self.max_length}


class EventTypeField(StrictCharField):
    """Checked against the known types by the serializer (one message naming every unknown one)."""

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(EVENT_TYPES)}


class WebhookEndpointWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    url = EndpointUrlField(max_length=2000, help_text="http(s) URL that receives signed POSTs.")
    event_types = serializers.ListField(
        child=EventTypeField(max_length=100),
        allow_empty=False,
        help_text=f"Any of: {', '.join(EVENT_TYPES)}.",
    )
    description = StrictCharField(max_length=200, allow_blank=True, required=False)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Must be an http or https URL.")
        return value


class WebhookResendRequestSerializer(RejectUnknownFieldsMixin, PrefCenterSerializer):
    """No fields: the body is empty or `{}` (anything else is a 400 naming it)."""
