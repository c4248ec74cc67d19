"""Serializers of the subscribers app: the workflow catalog, Novu subscribers and preferences
(seed 002), and the TeamUp customer notification preference face (seed 000).

Output serializers read resolved plain data (subscribers/selectors.py); none of them
decides anything about delivery.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer
from customers.serializers import EmailField, ExternalIdField, HttpUrlField, PhoneField
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
from subscribers.models import SEVERITIES, SubscriberProfile, Workflow
from subscribers.novu import ACTION_STEP_TYPES, CURSOR_PATTERN, environment_id, novu_id, organization_id
from subscribers.resolution import NOT_CAPABLE_MESSAGES, NOT_TOGGLEABLE_MESSAGES
from subscribers.selectors import SEARCH_LIMIT_MAX, CustomerResolution, ResolvedWorkflow
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


class BlankAsNullCharField(serializers.CharField):
    """An optional string Novu answers as null when unset (never "")."""

    def __init__(self, **kwargs: Any):
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:
        return str(value) if value else None


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


STEP_TYPES = (*CHANNELS, *ACTION_STEP_TYPES)
STEP_TYPES_TEXT = f"One of: {', '.join(STEP_TYPES)}."
OPTION_FIELDS = ("validatePayload", "payloadSchema", "isTranslationEnabled")


def workflow_steps(workflow: Workflow) -> list[dict[str, Any]]:
    """The workflow's steps as stored; a workflow defined by its channels alone has one step per channel."""
    if workflow.steps:
        return [dict(step) for step in workflow.steps]
    return [{"stepId": channel, "name": channel, "type": channel} for channel in workflow.channels or []]


def step_block(workflow: Workflow, index: int, step: dict[str, Any]) -> dict[str, Any]:
    """Novu's StepResponseDto for one step: `_id` from the workflow's key and the step's position."""
    values = dict(step.get("controlValues") or {})
    if step["type"] == EMAIL:
        values.setdefault("subject", "")
    block = {
        "_id": f"{workflow.pk:016x}{index:08x}",
        "stepId": step["stepId"],
        "name": step["name"],
        "slug": step["stepId"],
        "type": step["type"],
        "origin": "external",
        "workflowId": workflow.identifier,
        "workflowDatabaseId": novu_id(workflow.pk),
        "controls": {"values": values},
        "variables": {},
    }
    if step.get("controlValues") is not None:
        block["controlValues"] = values
    return block


def preferences_block(workflow: Workflow) -> dict[str, Any]:
    """Novu's WorkflowPreferencesResponseDto: `default` is Novu's system default (every channel on,
    not read-only); `user` is what the catalog sets: `readOnly` = critical (or a mandatory category),
    `channels` = the per-channel defaults; null when the catalog sets neither."""
    critical = is_critical(workflow)
    defaults = dict(workflow.defaults or {})
    user = None
    if defaults or critical:
        all_off = set(defaults) == set(CHANNELS) and not any(defaults.values())
        user = {
            "all": {"enabled": not all_off, "readOnly": critical},
            "channels": {channel: {"enabled": defaults[channel]} for channel in CHANNELS if channel in defaults},
        }
    return {
        "default": {
            "all": {"enabled": True, "readOnly": False},
            "channels": {channel: {"enabled": True} for channel in CHANNELS},
        },
        "user": user,
    }


_STEP_SCHEMA = {
    "type": "object",
    "properties": {
        "_id": {"type": "string"}, "stepId": {"type": "string"}, "name": {"type": "string"},
        "slug": {"type": "string"}, "type": {"type": "string", "description": STEP_TYPES_TEXT},
        "origin": {"type": "string", "description": "Always external."}, "workflowId": {"type": "string"},
        "workflowDatabaseId": {"type": "string"},
        "controls": {"type": "object", "properties": {"values": {"type": "object", "additionalProperties": True}}},
        "variables": {"type": "object", "additionalProperties": True},
        "controlValues": {"type": "object", "additionalProperties": True},
    },
    "required": ["_id", "stepId", "name", "slug", "type", "origin", "workflowId", "workflowDatabaseId", "controls",
                 "variables"],
}
_CHANNEL_PREFERENCES_SCHEMA = {
    "type": "object", "additionalProperties": {"type": "object", "properties": {"enabled": {"type": "boolean"}}},
}
_PREFERENCE_LEVEL_SCHEMA = {
    "type": "object",
    "properties": {
        "all": {"type": "object", "properties": {"enabled": {"type": "boolean"}, "readOnly": {"type": "boolean"}}},
        "channels": _CHANNEL_PREFERENCES_SCHEMA,
    },
    "required": ["all", "channels"],
}
_PREFERENCES_SCHEMA = {
    "type": "object",
    "properties": {"default": _PREFERENCE_LEVEL_SCHEMA, "user": {**_PREFERENCE_LEVEL_SCHEMA, "nullable": True}},
    "required": ["default"],
}


class WorkflowSerializer(PrefCenterModelSerializer):
    """Novu's WorkflowResponseDto (`_id` from the key; channels are the steps' channel types), plus
    prefcenter's catalog fields `category`, `critical`, `channels` and `defaults`."""

    workflowId = serializers.CharField(source="identifier")
    description = BlankAsNullCharField()
    category = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    expandable_fields = {"category": lambda: (WorkflowCategorySerializer, {})}

    class Meta:
        model = Workflow
        fields = [
            "workflowId", "slug", "name", "description", "tags", "category", "critical", "channels",
            "defaults", "active", "severity", "createdAt", "updatedAt",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {
            "_id": serializers.SerializerMethodField(method_name="get_novu_id"),
            **fields,
            "status": serializers.SerializerMethodField(),
            "origin": serializers.SerializerMethodField(),
            "steps": serializers.SerializerMethodField(),
            "preferences": serializers.SerializerMethodField(),
            "isTranslationEnabled": serializers.SerializerMethodField(),
        }

    def to_representation(self, workflow: Workflow) -> dict[str, Any]:
        data = super().to_representation(workflow)
        for name in ("validatePayload", "payloadSchema"):  # absent unless set, as Novu answers them
            if name in (workflow.options or {}) and (not self.fields_tree or name in self.fields_tree):
                data[name] = workflow.options[name]
        return data

    @extend_schema_field(OpenApiTypes.STR)
    def get_novu_id(self, workflow: Workflow) -> str:
        return novu_id(workflow.pk)

    def get_category(self, workflow: Workflow) -> str | None:
        return workflow.category.key if workflow.category_id else None

    @extend_schema_field({"type": "string", "enum": ["ACTIVE", "INACTIVE"]})
    def get_status(self, workflow: Workflow) -> str:
        return "ACTIVE" if workflow.active else "INACTIVE"

    @extend_schema_field({"type": "string", "description": "Always external."})
    def get_origin(self, workflow: Workflow) -> str:
        return "external"

    @extend_schema_field({"type": "array", "items": _STEP_SCHEMA})
    def get_steps(self, workflow: Workflow) -> list[dict[str, Any]]:
        return [step_block(workflow, index, step) for index, step in enumerate(workflow_steps(workflow))]

    @extend_schema_field(_PREFERENCES_SCHEMA)
    def get_preferences(self, workflow: Workflow) -> dict[str, Any]:
        return preferences_block(workflow)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_isTranslationEnabled(self, workflow: Workflow) -> bool:
        return bool((workflow.options or {}).get("isTranslationEnabled", False))


class WorkflowListItemSerializer(WorkflowSerializer):
    """Novu's WorkflowListResponseDto: the summary of a workflow in a list (steps as {slug, type})."""

    class Meta(WorkflowSerializer.Meta):
        fields = ["workflowId", "slug", "name", "tags", "category", "critical", "channels", "createdAt", "updatedAt"]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        del fields["preferences"]
        fields["stepTypeOverviews"] = serializers.SerializerMethodField()
        return fields

    @extend_schema_field({"type": "array", "items": {"type": "object", "properties": {
        "slug": {"type": "string"}, "type": {"type": "string", "description": STEP_TYPES_TEXT}}}})
    def get_steps(self, workflow: Workflow) -> list[dict[str, Any]]:
        return [{"slug": step["stepId"], "type": step["type"]} for step in workflow_steps(workflow)]

    @extend_schema_field({"type": "array", "items": {"type": "string", "description": STEP_TYPES_TEXT}})
    def get_stepTypeOverviews(self, workflow: Workflow) -> list[str]:
        return list(dict.fromkeys(step["type"] for step in workflow_steps(workflow)))


class WorkflowListSerializer(serializers.Serializer):
    """Novu's ListWorkflowResponse; for the schema only."""

    workflows = WorkflowListItemSerializer(many=True)
    totalCount = serializers.IntegerField()


MAX_OFFSET = 2**31 - 1  # past a 32-bit offset the databases refuse the query (SQLite: "datatype mismatch")


class WorkflowListQuerySerializer(serializers.Serializer):
    """`GET /v2/workflows` query (Novu's offset pagination and search; `tags`/`category` are read apart)."""

    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=100)
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)
    orderDirection = serializers.ChoiceField(choices=["ASC", "DESC"], required=False, default="DESC")
    orderBy = serializers.ChoiceField(choices=["createdAt", "updatedAt", "name"], required=False, default="createdAt")
    query = StrictCharField(required=False, max_length=200)
    status = serializers.ChoiceField(choices=["ACTIVE", "INACTIVE", "ERROR"], required=False)


class StepUpsertSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """One of Novu's step upserts: {name, type, stepId?, _id?, controlValues?} (`_id` is accepted and ignored)."""

    name = StrictCharField(max_length=200, min_length=1)
    type = serializers.ChoiceField(choices=STEP_TYPES)
    stepId = serializers.SlugField(max_length=200, required=False)
    controlValues = serializers.DictField(required=False, allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**super().get_fields(), "_id": StrictCharField(required=False, max_length=100, write_only=True)}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        step = {"stepId": value.get("stepId") or slugify(value["name"]) or value["type"], "name": value["name"],
                "type": value["type"]}
        if value.get("controlValues") is not None:
            step["controlValues"] = value["controlValues"]
        return step


class ChannelPreferenceSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enabled = StrictBooleanField(required=False, default=True)


class AllPreferenceSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enabled = StrictBooleanField(required=False, default=True)
    readOnly = StrictBooleanField(required=False, default=False)


class PreferenceLevelSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    all = AllPreferenceSerializer(required=False)
    channels = serializers.DictField(child=ChannelPreferenceSerializer(), required=False)

    def validate_channels(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(CHANNELS))
        if unknown:
            raise serializers.ValidationError({name: [f"Unknown channel. Known: {', '.join(CHANNELS)}."]
                                               for name in unknown})
        return value


class WorkflowPreferencesInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Novu's PreferencesRequestDto: `user` (wins when both are sent) or `workflow`."""

    user = PreferenceLevelSerializer(required=False, allow_null=True)
    workflow = PreferenceLevelSerializer(required=False, allow_null=True)


def catalog_of_preferences(value: dict[str, Any]) -> dict[str, Any]:
    """Novu preferences → catalog fields: readOnly → critical; channels[c].enabled → defaults[c];
    `all.enabled: false` turns off every channel not listed. Nothing sent → no change."""
    level = value.get("user") or value.get("workflow")
    if not level:
        return {}
    everything = level.get("all") or {"enabled": True, "readOnly": False}
    channels = {name: item.get("enabled", True) for name, item in (level.get("channels") or {}).items()}
    if not everything.get("enabled", True):
        channels = {**dict.fromkeys(CHANNELS, False), **channels}
    return {"critical": everything.get("readOnly", False), "defaults": {c: channels[c] for c in CHANNELS
                                                                         if c in channels}}


class WorkflowWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Create (`workflowId` and `name` required), replace (PUT) or patch a workflow: Novu's
    Create/Update/PatchWorkflowDto and prefcenter's catalog fields.

    `steps` set the channels (their channel types); `channels` sent with different steps is a 400.
    `preferences` map to `critical` and `defaults` (catalog_of_preferences) and win over them.
    """

    workflowId = StrictCharField(max_length=200, min_length=1)
    name = StrictCharField(max_length=200, min_length=1)
    slug = serializers.SlugField(max_length=200, required=False)
    description = StrictCharField(allow_blank=True, required=False, max_length=5000, allow_null=True)
    tags = TagListField(required=False)
    category = CategoryKeyField(required=False)
    critical = StrictBooleanField(required=False)
    channels = ChannelListField(required=False)
    defaults = ChannelMapField(required=False)
    steps = StepUpsertSerializer(many=True, required=False, max_length=20)
    active = StrictBooleanField(required=False)
    severity = serializers.ChoiceField(choices=SEVERITIES, required=False)
    preferences = WorkflowPreferencesInputSerializer(required=False, allow_null=True)
    validatePayload = StrictBooleanField(required=False)
    payloadSchema = serializers.DictField(required=False, allow_null=True)
    isTranslationEnabled = StrictBooleanField(required=False)
    origin = serializers.ChoiceField(choices=["novu-cloud", "external"], required=False,
                                     help_text="Accepted and ignored: prefcenter's workflows are all external.")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            **super().get_fields(),
            "__source": StrictCharField(required=False, max_length=50, help_text="Accepted and ignored."),
            "agent": serializers.JSONField(required=False, allow_null=True,
                                           help_text="Accepted only as null: agents are not supported."),
        }

    def validate_workflowId(self, value: str) -> str:
        if "/" in value or value != value.strip():
            raise serializers.ValidationError("May not contain '/' or leading/trailing spaces.")
        return value

    def validate_agent(self, value: Any) -> Any:
        if value is not None:
            raise serializers.ValidationError("Agents are not supported.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "steps" in attrs:
            stepIds = [step["stepId"] for step in attrs["steps"]]
            if len(set(stepIds)) != len(stepIds):
                raise serializers.ValidationError({"steps": ["Step ids (or names) must not repeat."]})
            used = [c for c in CHANNELS if any(step["type"] == c for step in attrs["steps"])]
            if "channels" in attrs and attrs["channels"] != used:
                raise serializers.ValidationError(
                    {"channels": ["A workflow's channels are its steps' channel types: send one or the other."]}
                )
        return attrs

    def to_service_kwargs(self, *, current: Workflow | None = None) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("__source", None)
        data.pop("agent", None)
        data.pop("origin", None)
        if "workflowId" in data:
            data["identifier"] = data.pop("workflowId")
        if data.get("description", "") is None:
            data["description"] = ""
        if "steps" in data:
            data["channels"] = [c for c in CHANNELS if any(step["type"] == c for step in data["steps"])]
        preferences = data.pop("preferences", None)
        if preferences:
            data.update(catalog_of_preferences(preferences))
        sent = {name: data.pop(name) for name in OPTION_FIELDS if name in data}
        if sent:
            options = {**(current.options if current is not None else {}), **sent}
            data["options"] = {name: value for name, value in options.items() if value is not None}
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
PROFILE_FIELDS = {"avatar": "avatar", "data": "data"}


def _profile(customer: Customer) -> SubscriberProfile | None:
    try:
        return customer.subscriber_profile
    except SubscriberProfile.DoesNotExist:
        return None


def subscriber_schedule(customer: Customer) -> dict | None:
    profile = _profile(customer)
    return profile.schedule if profile else None


class SubscriberSerializer(PrefCenterSerializer):
    """Novu's SubscriberResponseDto: the customer under Novu's names (`_id` from its key,
    `_organizationId`/`_environmentId` from the tenant); unset optional strings are null."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "_id": serializers.SerializerMethodField(method_name="get_novu_id"),
            "_organizationId": serializers.SerializerMethodField(method_name="get_organization_id"),
            "_environmentId": serializers.SerializerMethodField(method_name="get_environment_id"),
            "subscriberId": serializers.CharField(source="external_id"),
            "firstName": BlankAsNullCharField(source="first_name"),
            "lastName": BlankAsNullCharField(source="last_name"),
            "email": BlankAsNullCharField(),
            "phone": BlankAsNullCharField(),
            "avatar": serializers.SerializerMethodField(),
            "locale": BlankAsNullCharField(),
            "timezone": BlankAsNullCharField(),
            "data": serializers.SerializerMethodField(),
            "deleted": serializers.SerializerMethodField(),
            "createdAt": serializers.DateTimeField(source="created_at"),
            "updatedAt": serializers.DateTimeField(source="updated_at"),
        }

    @extend_schema_field(OpenApiTypes.STR)
    def get_novu_id(self, customer: Customer) -> str:
        return novu_id(customer.pk)

    @extend_schema_field(OpenApiTypes.STR)
    def get_organization_id(self, customer: Customer) -> str:
        return organization_id(customer.tenant)

    @extend_schema_field(OpenApiTypes.STR)
    def get_environment_id(self, customer: Customer) -> str:
        return environment_id(customer.tenant)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_avatar(self, customer: Customer) -> str | None:
        profile = _profile(customer)
        return profile.avatar or None if profile else None

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": True})
    def get_data(self, customer: Customer) -> dict | None:
        profile = _profile(customer)
        return profile.data if profile else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_deleted(self, customer: Customer) -> bool:
        return False


class SubscriberWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Novu's CreateSubscriberRequestDto / PatchSubscriberRequestDto: null clears a field."""

    subscriberId = ExternalIdField()
    email = EmailField(required=False, allow_null=True)
    phone = PhoneField(required=False, allow_null=True)
    firstName = StrictCharField(max_length=150, allow_blank=True, required=False, allow_null=True)
    lastName = StrictCharField(max_length=150, allow_blank=True, required=False, allow_null=True)
    avatar = HttpUrlField(required=False, allow_null=True)
    locale = StrictCharField(max_length=35, allow_blank=True, required=False, allow_null=True)
    timezone = TimeZoneField(allow_blank=True, required=False, allow_null=True)
    data = serializers.DictField(required=False, allow_null=True, help_text="Additional custom data.")

    def customer_fields(self) -> dict[str, Any]:
        return {
            SUBSCRIBER_FIELDS[name]: "" if value is None else value
            for name, value in self.validated_data.items()
            if name in SUBSCRIBER_FIELDS
        }

    def profile_fields(self) -> dict[str, Any]:
        data = self.validated_data
        fields = {PROFILE_FIELDS[name]: data[name] for name in PROFILE_FIELDS if name in data}
        if "avatar" in fields and fields["avatar"] is None:
            fields["avatar"] = ""
        return fields


class SubscriberDeletedSerializer(serializers.Serializer):
    acknowledged = serializers.BooleanField()
    status = serializers.CharField()


class QueryBooleanField(serializers.BooleanField):
    """A query-string flag: true/false (1/0 too); anything else is a 400 naming the parameter."""


class CreateQuerySerializer(serializers.Serializer):
    failIfExists = QueryBooleanField(required=False, default=False)


class SubscriberSearchSerializer(serializers.Serializer):
    """`GET /v2/subscribers` query: Novu's cursor pagination and filters (unknown parameters are ignored,
    as query strings carry `fields` and friends)."""

    after = StrictCharField(required=False, max_length=24)
    before = StrictCharField(required=False, max_length=24)
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=SEARCH_LIMIT_MAX)
    orderDirection = serializers.ChoiceField(choices=["ASC", "DESC"], required=False, default="DESC")
    orderBy = serializers.ChoiceField(choices=["createdAt", "_id"], required=False, default="createdAt")
    includeCursor = QueryBooleanField(required=False)
    email = StrictCharField(required=False, max_length=254)
    phone = StrictCharField(required=False, max_length=20)
    name = StrictCharField(required=False, max_length=301)
    subscriberId = StrictCharField(required=False, max_length=255)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "after" in attrs:  # both given: `after` wins (one cursor at a time; the schema cannot say "not both")
            attrs.pop("before", None)
        for name in ("after", "before"):
            if name in attrs and not re.match(CURSOR_PATTERN, attrs[name]):
                raise serializers.ValidationError({name: ["Not a cursor: pass `next` or `previous` of a page."]})
        return {
            "after": int(attrs["after"], 16) if "after" in attrs else None,
            "before": int(attrs["before"], 16) if "before" in attrs else None,
            "limit": attrs["limit"],
            "ascending": attrs["orderDirection"] == "ASC",
            "email": attrs.get("email"),
            "phone": attrs.get("phone"),
            "name": attrs.get("name"),
            "external_id": attrs.get("subscriberId"),
        }


class PreferencesQuerySerializer(serializers.Serializer):
    criticality = serializers.ChoiceField(choices=["critical", "nonCritical", "all"], required=False, default="all")


class SubscriberListSerializer(serializers.Serializer):
    """Novu's ListSubscribersResponseDto (cursor pagination); for the schema only."""

    data = SubscriberSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="Cursor of the next page (pass as `after`).")
    previous = serializers.CharField(allow_null=True, help_text="Cursor of the previous page (pass as `before`).")
    totalCount = serializers.IntegerField()
    totalCountCapped = serializers.BooleanField()


# ----------------------------------------------------------------------------- Novu preferences


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class TimeRangeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    start = StrictCharField(max_length=20, min_length=1, help_text="Start time, e.g. 09:00 AM")
    end = StrictCharField(max_length=20, min_length=1, help_text="End time, e.g. 05:00 PM")


class DayScheduleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    isEnabled = StrictBooleanField()
    hours = TimeRangeSerializer(many=True, required=False, max_length=24)


class WeeklyScheduleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {day: DayScheduleSerializer(required=False) for day in DAYS}


class ScheduleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Novu's ScheduleDto: when the subscriber may be notified (stored and answered; not applied yet)."""

    isEnabled = StrictBooleanField()
    weeklySchedule = WeeklyScheduleSerializer(required=False)


class PreferencesPatchSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """`{channels, workflowId?}` (seed 002), and Novu's `schedule` for the global preferences:
    at least one of `channels` and `schedule`."""

    channels = ChannelMapField(help_text="Channel-specific preference settings", required=False)
    workflowId = StrictCharField(
        required=False, min_length=1, max_length=255,
        help_text="Workflow internal _id, identifier or slug. If provided, update workflow specific preferences, "
        "otherwise update global preferences",
    )
    schedule = ScheduleSerializer(required=False, help_text="Subscriber schedule (global preferences only).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "channels" not in attrs and "schedule" not in attrs:
            raise serializers.ValidationError({"channels": ["This field is required."]})
        if "schedule" in attrs and "workflowId" in attrs:
            raise serializers.ValidationError({"schedule": ["A schedule applies to the global preferences only."]})
        return attrs


class BulkPreferenceItemSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    channels = ChannelMapField()
    workflowId = StrictCharField(min_length=1, max_length=255, help_text="Workflow internal _id, identifier or slug.")


class BulkPreferencesSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    # The view validates the whole body even on PATCH; spectacular documents PATCH bodies as partial.
    openapi_partial_constraints = {"required": ["preferences"]}
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
    schedule = ScheduleSerializer(required=False, help_text="Subscriber schedule, when one is set")

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
        block = global_block(resolution)
        schedule = self.context.get("schedule")
        if schedule is not None:
            block["schedule"] = schedule
        return _prune({"global": block, "workflows": workflows}, self.fields_tree)


class BulkPreferenceWorkflowSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Workflow `_id`")
    identifier = serializers.CharField()
    name = serializers.CharField()
    critical = serializers.BooleanField()
    severity = serializers.ChoiceField(choices=SEVERITIES)
    tags = serializers.ListField(child=serializers.CharField())


class BulkPreferenceResultSerializer(PrefCenterSerializer):
    """Novu's GetPreferencesResponseDto: one item per workflow a bulk update named, effective values."""

    level = serializers.ChoiceField(choices=["global", "template"])
    enabled = serializers.BooleanField()
    channels = ChannelsSerializer()
    workflow = BulkPreferenceWorkflowSerializer()

    def to_representation(self, item: ResolvedWorkflow) -> dict[str, Any]:
        block = workflow_block(item)
        workflow = item.workflow
        return {
            "level": "template",
            "enabled": block["enabled"],
            "channels": block["channels"],
            "workflow": {
                "id": novu_id(workflow.pk), "identifier": workflow.identifier, "name": workflow.name,
                "critical": is_critical(workflow), "severity": workflow.severity, "tags": list(workflow.tags or []),
            },
        }


def is_critical(workflow: Workflow) -> bool:
    """Novu's `critical` (readOnly preferences): critical, or of a mandatory category."""
    return workflow.critical or bool(workflow.category_id and workflow.category.mandatory)


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
