"""Customer serializers for the two faces: Reach resources and TeamUp customer profiles."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from rest_framework import serializers

from customers.models import Customer
from customers.validators import normalize_e164
from prefcenter.schema import SPACE
from prefcenter.serializers import (
    FieldPrototypesMixin,
    PrefCenterModelSerializer,
    PrefCenterSerializer,
    RejectUnknownFieldsMixin,
    StrictBooleanField,
    StrictCharField,
    TimeZoneField,
    datetime_text,
)

# ----------------------------------------------------------------------------- shared field rules


class EmailField(StrictCharField):
    """An email address (lower-cased domain) or "" to clear it."""

    def __init__(self, **kwargs: Any):
        super().__init__(max_length=254, allow_blank=True, **kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": 254, "anyOf": [{"maxLength": 0}, {"format": "email"}]}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).strip()
        if value:
            try:
                EmailValidator()(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError("Enter a valid email address.") from exc
            local, _, domain = value.rpartition("@")
            value = f"{local}@{domain.lower()}"
        return value


class PhoneField(StrictCharField):
    """A phone number in E.164, or "" to clear it."""

    def __init__(self, **kwargs: Any):
        super().__init__(max_length=20, allow_blank=True, **kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        # `e164`: a number the phonenumbers library deems valid, written +<country><number>.
        e164 = {"format": "e164", "pattern": r"^\+[1-9]\d{6,14}$"}
        return {"type": "string", "maxLength": 20, "anyOf": [{"maxLength": 0}, e164]}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).strip()
        if not value:
            return ""
        try:
            return normalize_e164(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from exc


HTTP_URL_PATTERN = (
    r"^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,63}(?::[0-9]{1,5})?(?:[/?#]\S*)?$"
)


class HttpUrlField(StrictCharField):
    def __init__(self, **kwargs: Any):
        super().__init__(max_length=2048, allow_blank=True, **kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        # A host with a dot and a letter TLD, an optional port, then anything without spaces: a subset of what
        # Django's URLValidator accepts ("http://" is a URI, but no URL the server takes), host under 253.
        url = {"format": "uri", "pattern": HTTP_URL_PATTERN}
        return {"type": "string", "maxLength": 2048, "anyOf": [{"maxLength": 0}, url]}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data).strip()
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError("Enter a valid http(s) URL.") from exc
        return value


class ExternalIdField(StrictCharField):
    def __init__(self, **kwargs: Any):
        super().__init__(max_length=255, min_length=1, **kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": 255, "pattern": rf"^[^/{SPACE}]([^/]*[^/{SPACE}])?$"}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if "/" in value or value != value.strip():
            raise serializers.ValidationError("May not contain '/' or leading/trailing spaces.")
        return value


# ----------------------------------------------------------------------------- Reach (seed 003)

# Reach field name → Customer attribute.
REACH_FIELDS = {
    "customerId": "external_id",
    "email": "email",
    "phone": "phone",
    "firstName": "first_name",
    "lastName": "last_name",
    "emailOptOut": "email_opt_out",
    "smsOptOut": "sms_opt_out",
    "customerDetailUrl": "detail_url",
    "createdAt": "source_created_at",
}
SCHEMA_NAMESPACE = uuid.UUID("3c7f8a56-1f0e-4b3a-9d1a-7d6a2f0c5b11")


def schema_definition_id(tenant_uuid: uuid.UUID) -> str:
    """Reach's schemaDefinitionId: one stable id per tenant for the customer resource schema."""
    return str(uuid.uuid5(SCHEMA_NAMESPACE, f"{tenant_uuid}:customer"))


class ReachCustomerDataSerializer(FieldPrototypesMixin, serializers.Serializer):
    """`data` of a Reach request: every field optional (PATCH is incremental)."""

    refuses_unknown_fields = True  # unless ignoreUnknownFields=true: ReachCustomerViewSet.body_data

    customerId = ExternalIdField(required=False)
    email = EmailField(required=False)
    phone = PhoneField(required=False)
    firstName = StrictCharField(max_length=150, allow_blank=True, required=False)
    lastName = StrictCharField(max_length=150, allow_blank=True, required=False)
    emailOptOut = StrictBooleanField(
        required=False, help_text="Email subscription opt-out status. Defaults to false (opted in)"
    )
    smsOptOut = StrictBooleanField(
        required=False, help_text="SMS subscription opt-out status. Defaults to true (opted out)"
    )
    customerDetailUrl = HttpUrlField(required=False, help_text="URL to click-out to the customer detail page")
    createdAt = serializers.DateTimeField(required=False)

    def to_model_fields(self) -> dict[str, Any]:
        return {REACH_FIELDS[name]: value for name, value in self.validated_data.items()}


class ReachCustomerCreateDataSerializer(ReachCustomerDataSerializer):
    customerId = ExternalIdField(required=True)


class ReachCustomerRequestSerializer(FieldPrototypesMixin, serializers.Serializer):
    refuses_unknown_fields = True  # unless ignoreUnknownFields=true

    data = ReachCustomerDataSerializer(help_text="Partial customer resource data for incremental update")


class ReachCustomerCreateRequestSerializer(FieldPrototypesMixin, serializers.Serializer):
    refuses_unknown_fields = True  # unless ignoreUnknownFields=true

    data = ReachCustomerCreateDataSerializer()


class ReachCustomerResourceDataSerializer(PrefCenterSerializer):
    customerId = serializers.CharField(source="external_id")
    email = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    firstName = serializers.CharField(source="first_name")
    lastName = serializers.CharField(source="last_name")
    emailOptOut = serializers.BooleanField(source="email_opt_out")
    smsOptOut = serializers.BooleanField(source="sms_opt_out")
    customerDetailUrl = serializers.CharField(source="detail_url", required=False)
    createdAt = serializers.SerializerMethodField()

    OPTIONAL = ("email", "phone", "customerDetailUrl")

    def get_createdAt(self, customer: Customer) -> str:
        return datetime_text(customer.source_created_at or customer.created_at)

    def plain_representation(self, customer: Customer) -> dict[str, Any]:
        data = {
            "customerId": customer.external_id,
            "email": customer.email,
            "phone": customer.phone,
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "emailOptOut": customer.email_opt_out,
            "smsOptOut": customer.sms_opt_out,
            "customerDetailUrl": customer.detail_url,
            "createdAt": self.get_createdAt(customer),
        }
        return self.without_empty_optionals(data)

    def declared_representation(self, instance: Customer) -> dict[str, Any]:
        return self.without_empty_optionals(super().declared_representation(instance))

    def without_empty_optionals(self, data: dict[str, Any]) -> dict[str, Any]:
        for name in self.OPTIONAL:  # absent, not "", when never given: they are optional strings
            if name in data and not data[name]:
                del data[name]
        return data


class ReachCustomerResourceSerializer(PrefCenterSerializer):
    """A Reach resource, deprecated snake_case twins included, as seed 003 documents."""

    id = serializers.UUIDField(source="uuid")
    schema_definition_id = serializers.SerializerMethodField(
        help_text="[Deprecated] Please use schemaDefinitionId instead."
    )
    schemaDefinitionId = serializers.SerializerMethodField()
    platform_id = serializers.SerializerMethodField(help_text="[Deprecated] Please use platformId instead.")
    platformId = serializers.SerializerMethodField()
    business_id = serializers.UUIDField(source="tenant.uuid", help_text="[Deprecated] Please use businessId instead.")
    businessId = serializers.UUIDField(source="tenant.uuid")
    resource_external_id = serializers.CharField(source="external_id")
    resourceExternalId = serializers.CharField(source="external_id")
    created_at = serializers.DateTimeField(help_text="[Deprecated] Please use createdAt instead")
    createdAt = serializers.DateTimeField(source="created_at")
    updated_at = serializers.DateTimeField(help_text="[Deprecated] Please use updatedAt instead")
    updatedAt = serializers.DateTimeField(source="updated_at")
    data = ReachCustomerResourceDataSerializer(source="*")

    def plain_representation(self, customer: Customer) -> dict[str, Any]:
        schema, platform, business = self.get_schemaDefinitionId(customer), self.get_platformId(customer), str(
            customer.tenant.uuid)
        created, updated = datetime_text(customer.created_at), datetime_text(customer.updated_at)
        return {
            "id": str(customer.uuid),
            "schema_definition_id": schema,
            "schemaDefinitionId": schema,
            "platform_id": platform,
            "platformId": platform,
            "business_id": business,
            "businessId": business,
            "resource_external_id": customer.external_id,
            "resourceExternalId": customer.external_id,
            "created_at": created,
            "createdAt": created,
            "updated_at": updated,
            "updatedAt": updated,
            "data": ReachCustomerResourceDataSerializer(context=self.context).plain_representation(customer),
        }

    def get_schema_definition_id(self, customer: Customer) -> str:
        return schema_definition_id(customer.tenant.uuid)

    def get_schemaDefinitionId(self, customer: Customer) -> str:
        return schema_definition_id(customer.tenant.uuid)

    def get_platform_id(self, customer: Customer) -> str:
        return settings.PREFCENTER_PLATFORM_ID

    def get_platformId(self, customer: Customer) -> str:
        return settings.PREFCENTER_PLATFORM_ID


class ReachEnvelopeDataSerializer(serializers.Serializer):
    result = ReachCustomerResourceSerializer()
    included = ReachCustomerResourceSerializer(many=True)


class ReachEnvelopeSerializer(serializers.Serializer):
    """Schema-only: `{success, message, data: {result, included}}`."""

    success = serializers.BooleanField()
    message = serializers.CharField()
    data = ReachEnvelopeDataSerializer()


# ----------------------------------------------------------------------------- TeamUp customers


class CustomerSerializer(PrefCenterModelSerializer):
    """A TeamUp-style customer profile."""

    object = serializers.SerializerMethodField()
    # Plain strings in the schema: "" means "not set", which is no email or URI.
    email = serializers.CharField(read_only=True, help_text="Email address, or \"\" when none is on file.")
    detail_url = serializers.CharField(read_only=True, help_text="URL of the customer detail page, or \"\".")

    class Meta:
        model = Customer
        fields = [
            "id",
            "object",
            "external_id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "locale",
            "timezone",
            "email_opt_out",
            "email_opt_out_at",
            "sms_opt_out",
            "sms_opt_out_at",
            "detail_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_object(self, customer: Customer) -> str:
        return "customer"


class CustomerWriteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Input for creating (external_id optional: generated when absent) and patching customers."""

    # A PATCH may repeat the current external_id but never change it, so the schema leaves it out of PATCH.
    openapi_partial_constraints = {"not": {"required": ["external_id"]}}

    external_id = ExternalIdField(required=False)
    email = EmailField(required=False)
    phone = PhoneField(required=False)
    first_name = StrictCharField(max_length=150, allow_blank=True, required=False)
    last_name = StrictCharField(max_length=150, allow_blank=True, required=False)
    locale = StrictCharField(max_length=35, allow_blank=True, required=False)
    timezone = TimeZoneField(allow_blank=True, required=False)
    email_opt_out = StrictBooleanField(required=False)
    sms_opt_out = StrictBooleanField(required=False)
    detail_url = HttpUrlField(required=False)
