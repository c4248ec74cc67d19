"""Per-tenant settings for inbound SMS keywords (docs/compliance.md).

A tenant's inbound number routes a provider's webhook to the tenant (the `To` field);
the auth token, when set, makes the `X-Twilio-Signature` check mandatory; `messages`
overrides the confirmation texts per language.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from customers.validators import validate_e164
from prefcenter.models import Tenant

MESSAGE_KINDS: tuple[str, ...] = ("stop", "start", "help", "ambiguous")


def validate_sms_messages(value: object) -> None:
    """`{language: {kind: text}}` with shipped languages, known kinds and SMS-sized text."""
    from django.conf import settings

    if not isinstance(value, dict):
        raise ValidationError('Must be an object of language → {"stop"|"start"|"help"|"ambiguous": text}.')
    languages = {code for code, _name in settings.LANGUAGES}
    for language, texts in value.items():
        if language not in languages:
            raise ValidationError(f"Unknown language {language!r}; known: {', '.join(sorted(languages))}.")
        if not isinstance(texts, dict):
            raise ValidationError(f"{language}: must be an object of kind → text.")
        for kind, text in texts.items():
            if kind not in MESSAGE_KINDS:
                raise ValidationError(f"{language}: unknown kind {kind!r}; known: {', '.join(MESSAGE_KINDS)}.")
            if not isinstance(text, str) or not text.strip() or len(text) > 640:
                raise ValidationError(f"{language}.{kind}: must be non-empty text of at most 640 characters.")


class SmsSettings(models.Model):
    """How a tenant receives SMS keywords (STOP/START/HELP) from its SMS provider."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="sms_settings")
    inbound_number = models.CharField(
        max_length=20,
        unique=True,
        validators=[validate_e164],
        help_text="The E.164 number customers text (the provider's `To`); routes inbound messages to this tenant.",
    )
    auth_token = models.CharField(
        max_length=128,
        blank=True,
        help_text="The provider's auth token. When set, every inbound message must carry a valid "
        "X-Twilio-Signature; unsigned or wrongly signed messages are refused (403) and change nothing.",
    )
    messages = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_sms_messages],
        help_text='Replies per language, e.g. {"fr": {"stop": "…"}}; missing ones use the shipped defaults.',
    )

    class Meta:
        verbose_name = "SMS settings"
        verbose_name_plural = "SMS settings"

    def __str__(self) -> str:
        return f"{self.tenant} ← {self.inbound_number}"
