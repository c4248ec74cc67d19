"""Messaging serializers: the category catalog and the notification preference of seed 001."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from messaging.models import Category, CategoryPreference
from prefcenter.channels import DIGESTS
from prefcenter.serializers import (
    PrefCenterModelSerializer,
    RejectUnknownFieldsMixin,
    StrictBooleanField,
    StrictCharField,
    datetime_text,
)


@extend_schema_field({"type": "string", "enum": list(DIGESTS)})
class DigestField(StrictCharField):
    """One of instant, hourly, daily, off, as a string."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault(
            "help_text",
            "How email delivery for this category is batched: instant, hourly, daily, or off "
            "(never send email for this category).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value not in DIGESTS:
            raise serializers.ValidationError(f"'{value}' is not one of: {', '.join(DIGESTS)}.")
        return value


class CategoryKeyField(StrictCharField):
    """A category key: a slug (letters, digits, hyphens, underscores)."""

    def __init__(self, **kwargs: Any):
        super().__init__(max_length=100, min_length=1, **kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[-a-zA-Z0-9_]+$"}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            validate_slug(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                "Must be a slug: letters, digits, hyphens and underscores only."
            ) from exc
        return value


# ----------------------------------------------------------------------------- the catalog


class CategorySerializer(PrefCenterModelSerializer):
    """A category of the tenant's catalog, named by its key."""

    object = serializers.SerializerMethodField(help_text="Resource type identifier: notification_category.")

    class Meta:
        model = Category
        fields = [
            "key", "object", "name", "description", "mandatory",
            "default_in_app", "default_email", "default_push", "default_digest",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_object(self, category: Category) -> str:
        return "notification_category"


class CategoryWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Input for creating (key and name required) and patching (key unchangeable) a category."""

    # messaging/services.py: a mandatory category's defaults cannot opt anyone out (the schema's copy of that rule).
    openapi_constraints = {
        "anyOf": [
            {"properties": {"mandatory": {"enum": [False]}}},
            {
                "properties": {
                    "default_in_app": {"enum": [True]},
                    "default_email": {"enum": [True]},
                    "default_push": {"enum": [True]},
                    "default_digest": {"not": {"enum": ["off"]}},
                }
            },
        ]
    }

    key = CategoryKeyField(help_text="Unique within the tenant; cannot be changed.")
    name = StrictCharField(max_length=200, min_length=1)
    description = StrictCharField(allow_blank=True, required=False)
    mandatory = StrictBooleanField(required=False, help_text="Customers cannot opt out of a mandatory category.")
    default_in_app = StrictBooleanField(required=False)
    default_email = StrictBooleanField(required=False)
    default_push = StrictBooleanField(required=False)
    default_digest = DigestField(required=False)


# ----------------------------------------------------------------------------- preferences (seed 001)


class CategoryPreferenceSerializer(PrefCenterModelSerializer):
    """The notification preference exactly as seed 001 documents it; `expand=category` embeds the category."""

    id = serializers.CharField(source="public_id", read_only=True, help_text="Preference ID.")
    object = serializers.SerializerMethodField(help_text="Resource type identifier.")
    category = serializers.SlugRelatedField(
        slug_field="key",
        read_only=True,
        allow_null=True,
        help_text="The notification category this preference applies to. null for the global default that applies "
        "to all categories without a specific preference.",
    )
    expandable_fields = {"category": lambda: (CategorySerializer, {"read_only": True})}

    class Meta:
        model = CategoryPreference
        fields = [
            "id", "object", "category", "in_app_enabled", "email_enabled", "push_enabled", "digest",
            "created_at", "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "in_app_enabled": {"help_text": "Whether in-app (bell) notifications are delivered for this category."},
            "email_enabled": {"help_text": "Whether email notifications are delivered for this category."},
            "push_enabled": {"help_text": "Whether push notifications are delivered for this category."},
            "digest": {"help_text": "How email delivery for this category is batched."},
            "created_at": {"help_text": "Creation timestamp."},
            "updated_at": {"help_text": "Last update timestamp."},
        }

    def plain_representation(self, preference: CategoryPreference) -> dict[str, Any]:
        category = preference.category  # loaded with the row (services set it; lists select it)
        return {
            "id": str(preference.public_id),
            "object": self.get_object(preference),
            "category": category.key if category is not None else None,
            "in_app_enabled": preference.in_app_enabled,
            "email_enabled": preference.email_enabled,
            "push_enabled": preference.push_enabled,
            "digest": preference.digest,
            "created_at": datetime_text(preference.created_at),
            "updated_at": datetime_text(preference.updated_at),
        }

    def get_object(self, preference: CategoryPreference) -> str:
        return "notification_preference"


class CategoryPreferenceWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """The PUT body of seed 001. Omitted fields take the documented defaults (PUT replaces)."""

    category = StrictCharField(
        required=False,
        allow_null=True,
        help_text="The notification category this preference applies to. Omit (or null) to set the caller's "
        "global default.",
    )
    in_app_enabled = StrictBooleanField(
        required=False, help_text="Whether in-app (bell) notifications are delivered for this category."
    )
    email_enabled = StrictBooleanField(
        required=False, help_text="Whether email notifications are delivered for this category."
    )
    push_enabled = StrictBooleanField(
        required=False, help_text="Whether push notifications are delivered for this category."
    )
    digest = DigestField(required=False)
