"""Serializers of the subscribers app: the workflow catalog, Novu subscribers and preferences
(seed 002), and the TeamUp customer notification preference face (seed 000).

Output serializers read resolved plain data (subscribers/selectors.py); none of them
decides anything about delivery.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.serializers import EmailField, ExternalIdField, PhoneField
from messaging.models import Category
from prefcenter.channels import CHANNELS, EMAIL, SMS
from prefcenter.serializers import (
    PrefCenterModelSerializer,
    PrefCenterSerializer,
    RejectUnknownFieldsMixin,
    SelectableMixin,
    StrictBooleanField,
    StrictCharField,
    TimeZoneField,
)
from subscribers.models import Workflow
from subscribers.resolution import NOT_CAPABLE_MESSAGES, NOT_TOGGLEABLE_MESSAGES
from subscribers.selectors import CustomerResolution, ResolvedWorkflow
from subscribers.services import BULK_LIMIT

# ----------------------------------------------------------------------------- shared input fields


CHANNEL_MAP_SCHEMA = {
    "type": "object",
    "properties": {channel: {"type": "boolean"} for channel in CHANNELS},
    "additionalProperties": False,
}


@extend_schema_field(CHANNEL_MAP_SCHEMA)
class ChannelMapField(serializers.Field):
    """`{channel: true|false}` with channel names from CHANNELS; unknown names and non-booleans are 400s
    naming each offending key (`channels.fax`, `channels.sms`)."""

    default_error_messages = {"invalid": "Must be an object of channel → true/false."}

    def to_internal_value(self, data: Any) -> dict[str, bool]:
        if not isinstance(data, dict):
            self.fail("invalid")
        errors: dict[str, list[str]] = {}
        out: dict[str, bool] = {}
        boolean = StrictBooleanField()
        for name, value in data.items():
            if name not in CHANNELS:
                errors[name] = [f"Unknown channel. Known: {', '.join(CHANNELS)}."]
                continue
            try:
                out[name] = boolean.to_internal_value(value)
            except serializers.ValidationError as exc:
                errors[name] = list(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return out

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(CHANNELS)}, "uniqueItems": True})
class ChannelListField(serializers.ListField):
    def __init__(self, **kwargs: Any):
        super().__init__(child=serializers.ChoiceField(choices=CHANNELS), **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        value = super().to_internal_value(data)
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Channels must not repeat.")
        return [c for c in CHANNELS if c in value]


class TagListField(serializers.ListField):
    def __init__(self, **kwargs: Any):
        super().__init__(child=StrictCharField(max_length=100, min_length=1), max_length=50, **kwargs)


class CategoryKeyField(StrictCharField):
    """A messaging category key of the request's tenant (null = none)."""

    def __init__(self, **kwargs: Any):
        super().__init__(allow_null=True, **kwargs)

    def to_internal_value(self, data: Any) -> Category | None:
        key = super().to_internal_value(data)
        tenant = self.context["tenant"]
        category = Category.objects.filter(tenant=tenant, key=key).first()
        if category is None:
            raise serializers.ValidationError(f"Unknown category '{key}'.")
        return category


# ----------------------------------------------------------------------------- the workflow catalog


class WorkflowCategorySerializer(PrefCenterModelSerializer):
    class Meta:
        model = Category
        fields = ["key", "name", "description", "mandatory"]
        read_only_fields = fields


class WorkflowSerializer(PrefCenterModelSerializer):
    """A catalog entry: `workflowId` is the identifier; `id` the integer TeamUp notification_preference_id."""

    workflowId = serializers.CharField(source="identifier")
    category = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    expandable_fields = {"category": lambda: (WorkflowCategorySerializer, {})}

    class Meta:
        model = Workflow
        fields = [
            "id", "workflowId", "slug", "name", "description", "tags", "category", "critical", "channels",
            "defaults", "createdAt", "updatedAt",
        ]
        read_only_fields = fields

    def get_category(self, workflow: Workflow) -> str | None:
        return workflow.category.key if workflow.category_id else None


class WorkflowWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Create (`workflowId` and `name` required) or patch (every field optional) a workflow."""

    workflowId = StrictCharField(max_length=200, min_length=1)
    name = StrictCharField(max_length=200, min_length=1)
    slug = serializers.SlugField(max_length=200, required=False)
    description = StrictCharField(allow_blank=True, required=False, max_length=5000)
    tags = TagListField(required=False)
    category = CategoryKeyField(required=False)
    critical = StrictBooleanField(required=False)
    channels = ChannelListField(required=False)
    defaults = ChannelMapField(required=False)

    def validate_workflowId(self, value: str) -> str:
        if "/" in value or value != value.strip():
            raise serializers.ValidationError("May not contain '/' or leading/trailing spaces.")
        return value

    def to_service_kwargs(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "workflowId" in data:
            data["identifier"] = data.pop("workflowId")
        return data


# ----------------------------------------------------------------------------- Novu subscribers

SUBSCRIBER_FIELDS = {
    "subscriberId": "external_id",
    "email": "email",
    "phone": "phone",
    "firstName": "first_name",
    "lastName": "last_name",
    "locale": "locale",
    "timezone": "timezone",
}


class SubscriberSerializer(PrefCenterSerializer):
    """A Novu subscriber: the customer under Novu's names."""

    id = serializers.IntegerField()
    subscriberId = serializers.CharField(source="external_id")
    email = serializers.CharField()
    phone = serializers.CharField()
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    locale = serializers.CharField()
    timezone = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class SubscriberWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    subscriberId = ExternalIdField()
    email = EmailField(required=False)
    phone = PhoneField(required=False)
    firstName = StrictCharField(max_length=150, allow_blank=True, required=False)
    lastName = StrictCharField(max_length=150, allow_blank=True, required=False)
    locale = StrictCharField(max_length=35, allow_blank=True, required=False)
    timezone = TimeZoneField(allow_blank=True, required=False)

    def to_model_fields(self) -> dict[str, Any]:
        return {SUBSCRIBER_FIELDS[name]: value for name, value in self.validated_data.items()}


class SubscriberDeletedSerializer(serializers.Serializer):
    acknowledged = serializers.BooleanField()
    status = serializers.CharField()


# ----------------------------------------------------------------------------- Novu preferences


class PreferencesPatchSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """`{channels, workflowId?}` (seed 002): without workflowId, the global preferences."""

    channels = ChannelMapField(help_text="Channel-specific preference settings")
    workflowId = StrictCharField(
        required=False, min_length=1, max_length=255,
        help_text="Workflow internal _id, identifier or slug. If provided, update workflow specific preferences, "
        "otherwise update global preferences",
    )


class BulkPreferenceItemSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    channels = ChannelMapField()
    workflowId = StrictCharField(min_length=1, max_length=255, help_text="Workflow internal _id, identifier or slug.")


class BulkPreferencesSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    preferences = BulkPreferenceItemSerializer(
        many=True, min_length=1, max_length=BULK_LIMIT, help_text=f"1 to {BULK_LIMIT} workflow preferences."
    )

    def to_internal_value(self, data: Any) -> Any:
        items = data.get("preferences") if isinstance(data, dict) else None
        if isinstance(items, list) and not 0 < len(items) <= BULK_LIMIT:
            raise serializers.ValidationError(
                {"preferences": [f"Send between 1 and {BULK_LIMIT} preferences; got {len(items)}."]}
            )
        return super().to_internal_value(data)


class ChannelsSerializer(PrefCenterSerializer):
    email = serializers.BooleanField(required=False, help_text="Email channel preference")
    sms = serializers.BooleanField(required=False, help_text="SMS channel preference")
    in_app = serializers.BooleanField(required=False, help_text="In-app channel preference")
    chat = serializers.BooleanField(required=False, help_text="Chat channel preference")
    push = serializers.BooleanField(required=False, help_text="Push notification channel preference")


class OverrideSerializer(PrefCenterSerializer):
    channel = serializers.ChoiceField(choices=CHANNELS, help_text="Channel type through which the message is sent")
    source = serializers.ChoiceField(
        choices=["subscriber", "template", "workflowOverride"], help_text="The source of overrides"
    )


class WorkflowInfoSerializer(PrefCenterSerializer):
    slug = serializers.CharField(help_text="Workflow slug")
    identifier = serializers.CharField(help_text="Unique identifier of the workflow")
    name = serializers.CharField(help_text="Display name of the workflow")
    updatedAt = serializers.DateTimeField(source="updated_at", required=False, help_text="last updated date")


def _selection_of(field: serializers.Field) -> dict:
    target = field.child if isinstance(field, serializers.ListSerializer) else field
    return getattr(target, "_selection_tree", None) or getattr(target, "fields_tree", None) or {}


def _prune(value: Any, tree: dict) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [_prune(item, tree) for item in value]
    if isinstance(value, dict):
        return {key: _prune(item, tree[key]) for key, item in value.items() if key in tree}
    return value


class ComputedSerializer(PrefCenterSerializer):
    """A serializer whose data is computed in `compute()`; the field selection is applied to the result."""

    def compute(self, instance: Any) -> dict[str, Any]:
        raise NotImplementedError

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = self.compute(instance)
        return {name: _prune(data[name], _selection_of(field)) for name, field in self.fields.items() if name in data}


def global_block(resolution: CustomerResolution) -> dict[str, Any]:
    """Novu's `global` block: effective values of the synthetic all-channel workflow."""
    decisions = resolution.global_decisions
    return {
        "enabled": any(d.allowed for d in decisions.values()),
        "channels": {channel: decisions[channel].allowed for channel in CHANNELS},
    }


# One field object for every item: DRF reads its settings (format, time zone) when it renders, not when built.
_DATETIME = serializers.DateTimeField()


def workflow_block(item: ResolvedWorkflow) -> dict[str, Any]:
    """One item of Novu's `workflows`: effective values of the channels the workflow uses, and their sources."""
    uses = item.facts.channels
    used = [d for channel, d in item.decisions.items() if channel in uses]
    workflow = item.workflow
    return {
        "enabled": any(d.allowed for d in used),
        "channels": {d.channel: d.allowed for d in used},
        "overrides": [{"channel": d.channel, "source": d.source} for d in used],
        "workflow": {
            "slug": workflow.slug,
            "identifier": workflow.identifier,
            "name": workflow.name,
            "updatedAt": item.updated_at or _DATETIME.to_representation(workflow.updated_at),
        },
    }


class GlobalPreferenceSerializer(ComputedSerializer):
    enabled = serializers.BooleanField(help_text="Whether notifications are enabled globally")
    channels = ChannelsSerializer(help_text="Channel-specific preference settings")

    def compute(self, resolution: CustomerResolution) -> dict[str, Any]:
        return global_block(resolution)


class WorkflowPreferenceSerializer(ComputedSerializer):
    enabled = serializers.BooleanField(help_text="Whether notifications are enabled for this workflow")
    channels = ChannelsSerializer(help_text="Channel-specific preference settings for this workflow")
    overrides = OverrideSerializer(many=True, help_text="List of preference overrides")
    workflow = WorkflowInfoSerializer(help_text="Workflow information")

    def compute(self, item: ResolvedWorkflow) -> dict[str, Any]:
        return workflow_block(item)


class _PreferencesFields(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # `global` is a Python keyword, so the fields are declared here under their contract names.
        return {
            "global": GlobalPreferenceSerializer(source="*", help_text="Global preference settings"),
            "workflows": WorkflowPreferenceSerializer(many=True, help_text="Workflow-specific preference settings"),
        }


class SubscriberPreferencesSerializer(SelectableMixin, _PreferencesFields):
    """`{global, workflows[]}` with effective values (seed 002).

    The declared fields describe the shape (OpenAPI, `fields` validation); the data is built
    as plain dicts in one pass and the `fields` selection pruned from it, without a serializer
    per item: 200 workflows are the common case (docs/bench.md).
    """

    def to_representation(self, resolution: CustomerResolution) -> dict[str, Any]:
        workflows = [workflow_block(item) for item in resolution.workflows]
        return _prune({"global": global_block(resolution), "workflows": workflows}, self.fields_tree)


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
