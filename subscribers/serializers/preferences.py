"""Novu subscriber preferences (seed 002): patch, schedule, bulk, and the computed {global, workflows[]} output."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from prefcenter.channels import CHANNELS
from prefcenter.serializers import (
    PrefCenterSerializer,
    RejectUnknownFieldsMixin,
    SelectableMixin,
    StrictBooleanField,
    StrictCharField,
    datetime_text,
)
from subscribers.models import SEVERITIES
from subscribers.novu import novu_id
from subscribers.schedule import TIME_PATTERN, parse_time
from subscribers.selectors.resolutions import CustomerResolution, ResolvedWorkflow
from subscribers.serializers.fields import (
    ChannelMapField,
)
from subscribers.serializers.workflows import is_critical
from subscribers.services.preferences import BULK_LIMIT

# ----------------------------------------------------------------------------- Novu preferences


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ScheduleTimeField(StrictCharField):
    """A local time as subscribers/schedule.py reads it (`hh:mm AM/PM`, Novu's form, or `HH:MM`); stored as sent."""

    default_error_messages = {"time": "Enter a time as hh:mm AM/PM (e.g. 09:00 AM) or HH:MM (24 h, e.g. 17:30)."}

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": 20, "pattern": TIME_PATTERN}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if parse_time(value) is None:
            self.fail("time")
        return value


class TimeRangeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A range of local time; an end not after the start runs into the next day (equal: 24 hours)."""

    start = ScheduleTimeField(help_text="Start time, e.g. 09:00 AM")
    end = ScheduleTimeField(help_text="End time, e.g. 05:00 PM")


class DayScheduleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    isEnabled = StrictBooleanField()
    hours = TimeRangeSerializer(many=True, required=False, max_length=24)


class WeeklyScheduleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {day: DayScheduleSerializer(required=False) for day in DAYS}


class ScheduleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Novu's ScheduleDto: when the subscriber may be notified, in their time zone (docs/schedules.md)."""

    isEnabled = StrictBooleanField()
    weeklySchedule = WeeklyScheduleSerializer(required=False)


class PreferencesPatchSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """`{channels, workflowId?}` (seed 002), and Novu's `schedule` for the global preferences:
    at least one of `channels` and `schedule`."""

    # The schema's copy of validate(): a body is required, with channels or schedule, and no schedule for a workflow.
    openapi_body_required = True
    openapi_partial_constraints = {
        "anyOf": [{"required": ["channels"]}, {"required": ["schedule"]}],
        "not": {"required": ["schedule", "workflowId"]},
    }

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
    openapi_body_required = True
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


def global_block(resolution: CustomerResolution) -> dict[str, Any]:
    """Novu's `global` block: effective values of the synthetic all-channel workflow."""
    decisions = resolution.global_decisions
    return {
        "enabled": any(d.allowed for d in decisions.values()),
        "channels": {channel: decisions[channel].allowed for channel in CHANNELS},
    }


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
            "updatedAt": item.updated_at or datetime_text(workflow.updated_at),
        },
    }


# The two blocks below describe the shape (OpenAPI, `fields` validation); SubscriberPreferencesSerializer
# builds their data as plain dicts (global_block, workflow_block) and prunes the selection from it.


class GlobalPreferenceSerializer(PrefCenterSerializer):
    enabled = serializers.BooleanField(help_text="Whether notifications are enabled globally")
    channels = ChannelsSerializer(help_text="Channel-specific preference settings")
    schedule = ScheduleSerializer(required=False, help_text="Subscriber schedule, when one is set")


class WorkflowPreferenceSerializer(PrefCenterSerializer):
    enabled = serializers.BooleanField(help_text="Whether notifications are enabled for this workflow")
    channels = ChannelsSerializer(help_text="Channel-specific preference settings for this workflow")
    overrides = OverrideSerializer(many=True, help_text="List of preference overrides")
    workflow = WorkflowInfoSerializer(help_text="Workflow information")


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
        return self.selected({"global": block, "workflows": workflows})


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
        return self.selected({
            "level": "template",
            "enabled": block["enabled"],
            "channels": block["channels"],
            "workflow": {
                "id": novu_id(workflow.pk), "identifier": workflow.identifier, "name": workflow.name,
                "critical": is_critical(workflow), "severity": workflow.severity, "tags": list(workflow.tags or []),
            },
        })
