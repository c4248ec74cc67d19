"""Webhook endpoint input and output. The signing secret appears in one answer only: the creation's."""

from __future__ import annotations

from rest_framework import serializers

from prefcenter.serializers import PrefCenterModelSerializer, RejectUnknownFieldsMixin, StrictCharField
from webhooks.models import EVENT_TYPES, WebhookEndpoint


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


class WebhookEndpointWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    url = serializers.URLField(max_length=2000, help_text="http(s) URL that receives signed POSTs.")
    event_types = serializers.ListField(
        child=StrictCharField(max_length=100),
        allow_empty=False,
        help_text=f"Any of: {', '.join(EVENT_TYPES)}.",
    )
    description = StrictCharField(max_length=200, allow_blank=True, required=False)

    def validate_url(self, value: str) -> str:
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Must be an http or https URL.")
        return value
