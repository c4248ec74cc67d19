"""Filters shared by every app's filter sets."""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms


class UTCDateTimeField(forms.DateTimeField):
    """An ISO 8601 datetime, converted to UTC before it reaches the database.

    PostgreSQL refuses offsets beyond ±15:59 that Python accepts (up to ±23:59), and a
    conversion can leave the representable range; both are input errors, not server errors.
    """

    default_error_messages = {"out_of_range": "Datetime value out of range."}

    def to_python(self, value):
        parsed = django_filters.fields.IsoDateTimeField().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed
        except OverflowError as exc:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from exc

    def prepare_value(self, value: datetime | str | None):
        return value


class UTCDateTimeFilter(django_filters.Filter):
    field_class = UTCDateTimeField
