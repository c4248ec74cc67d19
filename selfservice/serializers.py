"""Input and output of `POST /v1/customers/{external_id}/preference-links` and `…/revoke-links`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from messaging.models import Category
from prefcenter.channels import CHANNELS, EMAIL, MESSAGING_CHANNELS
from prefcenter.serializers import PrefCenterSerializer, RejectUnknownFieldsMixin, StrictCharField
from selfservice.links import SCOPE_CATEGORY, SCOPE_CHANNEL, SCOPE_WORKFLOW, LinkScope
from subscribers.models import Workflow


class StrictChoiceField(serializers.ChoiceField):
    """A choice that must arrive as a string (never 1 or true)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class PreferenceLinkRequestSerializer(RejectUnknownFieldsMixin, PrefCenterSerializer):
    """Optional scope of the unsubscribe link. Empty body: the default (opt out of non-critical email).

    - `category` (a category key) or `workflow` (a workflow identifier), with `channel`
      (default `email`): the link turns off that channel of that category or workflow.
    - `channel` alone: the link turns that channel off everywhere (the customer's master switch).
    Mandatory categories and critical workflows cannot be unsubscribed from.
    """

    category = StrictCharField(required=False, max_length=100, help_text="Category key the link unsubscribes from.")
    workflow = StrictCharField(
        required=False, max_length=200, help_text="Workflow identifier the link unsubscribes from."
    )
    channel = StrictChoiceField(
        choices=CHANNELS, required=False, help_text="Channel the link turns off (default email)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        tenant = self.context["tenant"]
        if "category" in attrs and "workflow" in attrs:
            raise serializers.ValidationError({"workflow": ["Give a category or a workflow, not both."]})
        channel = attrs.get("channel", EMAIL)
        scope: LinkScope | None = None
        if "category" in attrs:
            category = Category.objects.filter(tenant=tenant, key=attrs["category"]).first()
            if category is None:
                raise serializers.ValidationError({"category": [f"No category with key '{attrs['category']}'."]})
            if category.mandatory:
                raise serializers.ValidationError(
                    {"category": [f"Category '{category.key}' is mandatory: it cannot be unsubscribed from."]}
                )
            if channel not in MESSAGING_CHANNELS:
                raise serializers.ValidationError(
                    {"channel": [f"A category preference covers {', '.join(MESSAGING_CHANNELS)}, not '{channel}'."]}
                )
            scope = LinkScope(kind=SCOPE_CATEGORY, target_id=category.pk, channel=channel)
        elif "workflow" in attrs:
            workflow = Workflow.objects.filter(tenant=tenant, identifier=attrs["workflow"]).first()
            if workflow is None:
                raise serializers.ValidationError({"workflow": [f"No workflow with identifier '{attrs['workflow']}'."]})
            if workflow.critical:
                raise serializers.ValidationError(
                    {"workflow": [f"Workflow '{workflow.identifier}' is critical: it cannot be unsubscribed from."]}
                )
            if channel not in workflow.channels:
                raise serializers.ValidationError(
                    {"channel": [f"Workflow '{workflow.identifier}' does not use the '{channel}' channel."]}
                )
            scope = LinkScope(kind=SCOPE_WORKFLOW, target_id=workflow.pk, channel=channel)
        elif "channel" in attrs:
            scope = LinkScope(kind=SCOPE_CHANNEL, channel=channel)
        return {"scope": scope}


class PreferenceLinksSerializer(PrefCenterSerializer):
    preferences_url = serializers.URLField(help_text="The self-service preference page for this customer.")
    unsubscribe_url = serializers.URLField(
        help_text="RFC 8058 one-click unsubscribe: POST `List-Unsubscribe=One-Click` to it; GET shows a confirmation."
    )
    expires_at = serializers.DateTimeField(
        help_text="When the preferences link stops working (the unsubscribe link does not expire by age)."
    )
    headers = serializers.DictField(
        child=serializers.CharField(),
        help_text="The List-Unsubscribe and List-Unsubscribe-Post headers to put on the message as they are.",
    )


class RevokeLinksRequestSerializer(RejectUnknownFieldsMixin, PrefCenterSerializer):
    """No fields: the body is empty or `{}` (anything else is a 400 naming it)."""


class RevokedLinksSerializer(PrefCenterSerializer):
    external_id = serializers.CharField(help_text="The customer whose links and tokens were revoked.")
    link_version = serializers.IntegerField(
        help_text=(
            "The customer's new link version. Links and customer JWTs issued from now on carry it; every earlier "
            "one is refused. A JWT your backend signs itself puts it in its `ver` claim."
        )
    )
    revoked_at = serializers.DateTimeField(help_text="When the revocation took effect.")
