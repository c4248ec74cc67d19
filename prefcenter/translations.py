"""Catalog text in the customer's language: a category's or workflow's name and description per language.

The tenant writes its catalog in one language (the `name` and `description` columns); the
self-service page speaks English, French and German. Each catalog entry may carry its own
translations in a `translations` JSON field, `{"fr": {"name": …, "description": …}, "de": {…}}`,
validated here and edited in the admin (one input per field and shipped language). Where a
language or a field has no text, the page shows the tenant's own text: a translation is an
addition, never a requirement.

The models that hold translations (messaging's categories, subscribers' workflows) inherit
`TranslatedText`; this foundation module imports no app above it.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

TRANSLATED_FIELDS: tuple[str, ...] = ("name", "description")
MAX_LENGTHS = {"name": 200, "description": 2000}


def translation_languages() -> list[tuple[str, str]]:
    """The languages a catalog entry can be translated into: every shipped language but the default."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def validate_translations(value: object) -> None:
    """`{language: {"name"?: str, "description"?: str}}` with shipped languages and bounded, non-blank text."""
    if not isinstance(value, dict):
        raise ValidationError('Must be an object of language → {"name": …, "description": …}.')
    known = {code for code, _name in translation_languages()}
    unknown = sorted(str(code) for code in set(value) - known)
    if unknown:
        raise ValidationError(f"Unknown languages: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    for code, texts in value.items():
        if not isinstance(texts, dict):
            raise ValidationError(f'{code}: must be an object {{"name": …, "description": …}}.')
        extra = sorted(str(key) for key in set(texts) - set(TRANSLATED_FIELDS))
        if extra:
            raise ValidationError(f"{code}: unknown fields {', '.join(extra)}; known: name, description.")
        for key, text in texts.items():
            if not isinstance(text, str) or not text.strip():
                raise ValidationError(f"{code}.{key}: must be non-empty text (leave it out to use the default).")
            if len(text) > MAX_LENGTHS[key]:
                raise ValidationError(f"{code}.{key}: at most {MAX_LENGTHS[key]} characters.")
            if "\x00" in text:
                raise ValidationError(f"{code}.{key}: must not contain NUL characters.")


def language_candidates(language: str | None) -> list[str]:
    """`fr-ca` → ["fr-ca", "fr"]: the exact language first, then its base language."""
    code = (language or "").replace("_", "-").lower()
    if not code:
        return []
    base = code.split("-")[0]
    return [code] if base == code else [code, base]


class TranslatedText(models.Model):
    """A catalog entry whose name and description can be shown in the customer's language."""

    translations = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_translations],
        help_text='Name and description per language: {"fr": {"name": …, "description": …}, "de": {…}}. '
        "Missing text falls back to the name and description above.",
    )

    class Meta:
        abstract = True

    def text_in(self, field: str, language: str | None) -> str:
        """The field in `language` (or its base language), else the tenant's own text."""
        translations = self.translations if isinstance(self.translations, dict) else {}
        for code in language_candidates(language):
            text = (translations.get(code) or {}).get(field)
            if text:
                return text
        return getattr(self, field)


def localized(entry: Any, language: str | None) -> Any:
    """`entry` with its name and description in `language`: a copy when a translation applies, else itself.

    A copy, never the instance: workflows come from the process-wide catalog cache
    (subscribers/catalog.py), shared by requests in every language and never to be modified.
    A page then renders the copies, and every place that shows a name (topics, workflow rows,
    notes, the list of saved changes) speaks the page's language without knowing about translations.
    """
    texts = {field: entry.text_in(field, language) for field in TRANSLATED_FIELDS}
    if all(getattr(entry, field) == text for field, text in texts.items()):
        return entry
    twin = copy.copy(entry)  # Model.__reduce__ copies its state too: related-object caches are not shared
    for field, text in texts.items():
        setattr(twin, field, text)
    return twin
