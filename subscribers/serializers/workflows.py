"""The workflow catalog (Novu /v2/workflows): output blocks and write serializers."""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messaging.models import Category
from prefcenter.channels import CHANNELS, EMAIL
from prefcenter.serializers import (
    PrefCenterModelSerializer,
    RejectUnknownFieldsMixin,
    StrictBooleanField,
    StrictCharField,
)
from subscribers.models import SEVERITIES, Workflow
from subscribers.novu import ACTION_STEP_TYPES, novu_id
from subscribers.serializers.fields import (
    BlankAsNullCharField,
    CategoryKeyField,
    ChannelListField,
    ChannelMapField,
    TagListField,
)

# ----------------------------------------------------------------------------- the workflow catalog


class WorkflowCategorySerializer(PrefCenterModelSerializer):
    class Meta:
        model = Category
        fields = ["key", "name", "description", "mandatory"]
        read_only_fields = fields


STEP_TYPES = (*CHANNELS, *ACTION_STEP_TYPES)
STEP_TYPES_TEXT = f"One of: {', '.join(STEP_TYPES)}."
OPTION_FIELDS = ("validatePayload", "payloadSchema", "isTranslationEnabled")


def is_critical(workflow: Workflow) -> bool:
    """Novu's `critical` (readOnly preferences): critical, or of a mandatory category."""
    return workflow.critical or bool(workflow.category_id and workflow.category.mandatory)


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

    # Novu's own fields are declared like the rest, not added in get_fields, so `fields` selects them too.
    _id = serializers.SerializerMethodField(method_name="get_novu_id")
    workflowId = serializers.CharField(source="identifier")
    description = BlankAsNullCharField()
    category = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    status = serializers.SerializerMethodField()
    origin = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    preferences = serializers.SerializerMethodField()
    isTranslationEnabled = serializers.SerializerMethodField()

    expandable_fields = {"category": lambda: (WorkflowCategorySerializer, {})}

    class Meta:
        model = Workflow
        fields = [
            "_id", "workflowId", "slug", "name", "description", "tags", "category", "critical", "channels",
            "defaults", "active", "severity", "createdAt", "updatedAt",
            "status", "origin", "steps", "preferences", "isTranslationEnabled",
        ]
        read_only_fields = fields

    def to_representation(self, workflow: Workflow) -> dict[str, Any]:
        data = super().to_representation(workflow)
        for name in ("validatePayload", "payloadSchema"):  # absent unless set, as Novu answers them
            if name in (workflow.options or {}) and self.selects(name):
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

    stepTypeOverviews = serializers.SerializerMethodField()

    class Meta(WorkflowSerializer.Meta):
        fields = [
            "_id", "workflowId", "slug", "name", "tags", "category", "critical", "channels", "createdAt", "updatedAt",
            "status", "origin", "steps", "isTranslationEnabled", "stepTypeOverviews",
        ]
        read_only_fields = fields

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


