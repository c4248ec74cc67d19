"""Novu subscribers (/v2/subscribers): profile output, writes, search and list queries."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer
from customers.serializers import EmailField, ExternalIdField, HttpUrlField, PhoneField
from prefcenter.serializers import (
    PrefCenterSerializer,
    RejectUnknownFieldsMixin,
    StrictCharField,
    TimeZoneField,
)
from subscribers.models import SubscriberProfile
from subscribers.novu import CURSOR_PATTERN, environment_id, novu_id, organization_id
from subscribers.selectors.search import SEARCH_LIMIT_MAX
from subscribers.serializers.fields import (
    BlankAsNullCharField,
)

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

    # Declared, not built in get_fields: `fields` selects among the declared fields (SelectableMixin).
    _id = serializers.SerializerMethodField(method_name="get_novu_id")
    _organizationId = serializers.SerializerMethodField(method_name="get_organization_id")
    _environmentId = serializers.SerializerMethodField(method_name="get_environment_id")
    subscriberId = serializers.CharField(source="external_id")
    firstName = BlankAsNullCharField(source="first_name")
    lastName = BlankAsNullCharField(source="last_name")
    email = BlankAsNullCharField()
    phone = BlankAsNullCharField()
    avatar = serializers.SerializerMethodField()
    locale = BlankAsNullCharField()
    timezone = BlankAsNullCharField()
    data = serializers.SerializerMethodField()
    deleted = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

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


