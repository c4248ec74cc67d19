"""Contact-point validation shared by every face that accepts a phone number."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError


def normalize_e164(value: str) -> str:
    """A valid phone number in E.164 (+ and up to 15 digits), or a ValidationError."""
    if not value.startswith("+"):
        raise ValidationError("Enter a phone number in E.164 format, e.g. +14155550123.")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a phone number in E.164 format, e.g. +14155550123.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("This is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    """Model-level check: stored numbers are valid and already in E.164."""
    if value and normalize_e164(value) != value:
        raise ValidationError("Phone numbers are stored in E.164 format, e.g. +14155550123.")
