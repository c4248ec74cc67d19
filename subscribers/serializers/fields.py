"""Input fields shared by the subscribers faces: channel maps and lists, tags, category keys."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messaging.models import Category
from prefcenter.channels import CHANNELS
from prefcenter.serializers import (
    StrictBooleanField,
    StrictCharField,
)

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


