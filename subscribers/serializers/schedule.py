"""The customer schedule resource `GET/PUT /v1/customers/{external_id}/schedule`: Novu's schedule shape
and quiet hours in, the same plus the zone they are read in out."""

from __future__ import annotations

from datetime import time
from typing import Any

from rest_framework import serializers

from prefcenter.serializers import PrefCenterSerializer, RejectUnknownFieldsMixin
from subscribers.schedule import format_time, parse_time
from subscribers.serializers.preferences import ScheduleSerializer, ScheduleTimeField

TIME_HELP = "Local time, HH:MM (24 h) or hh:mm AM/PM."


class LocalTimeField(ScheduleTimeField):
    """A local wall-clock time, read into a `datetime.time`; answered as `HH:MM`."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("help_text", TIME_HELP)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        value = super().run_validation(data)  # the text, checked as text (type, length, a time)
        if value is None:
            return None
        minutes = parse_time(value)
        return time(minutes // 60, minutes % 60)

    def to_representation(self, value: Any) -> str:
        return format_time(value.hour * 60 + value.minute) if isinstance(value, time) else str(value)


class QuietHoursSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A daily period in which nothing is delivered on the schedule channels; an end before the start is the
    next day (22:00-07:00)."""

    start = LocalTimeField()
    end = LocalTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start"] == attrs["end"]:
            raise serializers.ValidationError({"end": ["Must differ from start."]})
        return attrs


class CustomerScheduleInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """PUT replaces both: `null` clears one."""

    schedule = ScheduleSerializer(allow_null=True, help_text="Novu's schedule (weeklySchedule); null: none.")
    quiet_hours = QuietHoursSerializer(allow_null=True, help_text="Quiet hours; null: none.")


class CustomerScheduleSerializer(PrefCenterSerializer):
    timezone = serializers.CharField(help_text="The IANA zone the schedule is read in.")
    timezone_source = serializers.ChoiceField(
        choices=["customer", "tenant"], help_text="customer: the customer's own zone; tenant: the tenant's default."
    )
    channels = serializers.ListField(
        child=serializers.CharField(), help_text="Channels the schedule and quiet hours apply to (tenant setting)."
    )
    schedule = ScheduleSerializer(allow_null=True)
    quiet_hours = QuietHoursSerializer(allow_null=True)
