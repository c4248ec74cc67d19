"""The TeamUp customer notification preference face (seed 000)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from prefcenter.channels import EMAIL, SMS
from prefcenter.serializers import (
    PrefCenterSerializer,
    RejectUnknownFieldsMixin,
    StrictBooleanField,
)
from subscribers.resolution import NOT_CAPABLE_MESSAGES, NOT_TOGGLEABLE_MESSAGES
from subscribers.selectors.resolutions import ResolvedWorkflow

# ----------------------------------------------------------------------------- TeamUp face (seed 000)

FACE_CHANNELS = (SMS, EMAIL)


class NotificationPreferenceSerializer(PrefCenterSerializer):
    """`customer_notification_preference`: one workflow as one customer receives it.

    `sms_enabled`/`email_enabled` are effective: the engine allows the channel and the
    channel is capable (`capabilities`); `toggleability` says whether the customer may change it.
    """

    id = serializers.IntegerField(source="workflow.pk")
    object = serializers.SerializerMethodField(help_text="customer_notification_preference")
    type = serializers.CharField(source="workflow.identifier")
    description = serializers.SerializerMethodField()
    sms_enabled = serializers.SerializerMethodField()
    email_enabled = serializers.SerializerMethodField()
    capabilities = serializers.SerializerMethodField(
        help_text="Per channel (sms, email): capable, reasons (codes) and detail. For a notification to be "
        "SMS-compatible the following must be true: the workflow uses SMS, the customer has a phone number, "
        "the customer has not opted out of SMS."
    )
    toggleability = serializers.SerializerMethodField(
        help_text="Per channel (sms, email): toggleable, reason (code or null) and detail."
    )

    expandable_fields = {
        "customer": lambda: (_customer_serializer(), {}),
    }

    def plain_representation(self, item: ResolvedWorkflow) -> dict[str, Any]:
        return {
            "id": item.workflow.pk,
            "object": self.get_object(item),
            "type": item.workflow.identifier,
            "description": self.get_description(item),
            "sms_enabled": self.get_sms_enabled(item),
            "email_enabled": self.get_email_enabled(item),
            "capabilities": self.get_capabilities(item),
            "toggleability": self.get_toggleability(item),
        }

    def get_object(self, item: ResolvedWorkflow) -> str:
        return "customer_notification_preference"

    def get_description(self, item: ResolvedWorkflow) -> str:
        return item.workflow.description or item.workflow.name

    def get_sms_enabled(self, item: ResolvedWorkflow) -> bool:
        return effective(item, SMS)

    def get_email_enabled(self, item: ResolvedWorkflow) -> bool:
        return effective(item, EMAIL)

    def get_capabilities(self, item: ResolvedWorkflow) -> dict[str, Any]:
        caps = item.capabilities
        return {
            channel: {
                "capable": caps[channel].capable,
                "reasons": list(caps[channel].reasons),
                "detail": " ".join(NOT_CAPABLE_MESSAGES[r] for r in caps[channel].reasons),
            }
            for channel in FACE_CHANNELS
        }

    def get_toggleability(self, item: ResolvedWorkflow) -> dict[str, Any]:
        toggles = item.toggleability
        return {
            channel: {
                "toggleable": toggles[channel].toggleable,
                "reason": toggles[channel].reason,
                "detail": NOT_TOGGLEABLE_MESSAGES.get(toggles[channel].reason or "", ""),
            }
            for channel in FACE_CHANNELS
        }


def _customer_serializer():
    from customers.serializers import CustomerSerializer

    return CustomerSerializer


def effective(item: ResolvedWorkflow, channel: str) -> bool:
    """What would be delivered on the channel: the engine allows it and it is capable."""
    return item.decisions[channel].allowed and item.capabilities[channel].capable


class NotificationPreferencePatchSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    sms_enabled = StrictBooleanField(required=False)
    email_enabled = StrictBooleanField(required=False)
