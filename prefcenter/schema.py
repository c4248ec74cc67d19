"""OpenAPI: authentication schemes, the headers and query parameters every operation
takes, and the error envelopes every operation may answer with.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

TENANT_HEADERS = [
    OpenApiParameter(
        "TeamUp-Provider-ID",
        str,
        OpenApiParameter.HEADER,
        description="Tenant slug or id. Required if the credential reaches several tenants (platform keys).",
    ),
    OpenApiParameter(
        "reach-tenant-id",
        str,
        OpenApiParameter.HEADER,
        description="Same as TeamUp-Provider-ID, under Reach's name.",
    ),
    OpenApiParameter(
        "Teamup-Request-Mode",
        str,
        OpenApiParameter.HEADER,
        enum=["customer", "provider"],
        description="Which mode the request runs in. Required if the credential allows both modes.",
    ),
]
SELECTION_PARAMETERS = [
    OpenApiParameter(
        "fields",
        OpenApiTypes.STR,
        many=True,
        explode=False,
        description="A comma-separated list of fields to include. Dot-notation can be used to select nested fields.",
    ),
    OpenApiParameter(
        "expand", OpenApiTypes.STR, many=True, explode=False, description="A comma-separated list of fields to expand."
    ),
    OpenApiParameter("format", str, enum=["json", "xml"], description="Response format (or use Accept)."),
]
IDEMPOTENCY_HEADER = OpenApiParameter(
    "idempotency-key",
    str,
    OpenApiParameter.HEADER,
    description="A header for idempotency purposes: the same key and body within 24 hours replays the first answer.",
)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for humans.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    status = serializers.IntegerField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field path → messages. Empty when the error is not about a field.",
    )
    request_id = serializers.CharField()


class ReachErrorSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    message = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField(), required=False)


class ReachNotFoundDataSerializer(serializers.Serializer):
    error = serializers.CharField()


class ReachNotFoundSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = ReachNotFoundDataSerializer()


class NovuConstraintSerializer(serializers.Serializer):
    messages = serializers.ListField(child=serializers.CharField(), help_text="List of validation error messages")


class NovuErrorSerializer(serializers.Serializer):
    """Novu's ErrorDto / ValidationErrorDto: the envelope of every error on /v2 routes."""

    statusCode = serializers.IntegerField(help_text="HTTP status code of the error response.")
    timestamp = serializers.CharField(help_text="Timestamp of when the error occurred.")
    path = serializers.CharField(help_text="The path where the error occurred.")
    message = serializers.CharField(help_text="What went wrong, for humans.")
    code = serializers.CharField(help_text="prefcenter's stable machine-readable code (not in Novu's DTO).")
    errors = serializers.DictField(
        child=NovuConstraintSerializer(), required=False,
        help_text="Field path → {messages}: on 400/422, and on any error about fields.",
    )


ERROR_DESCRIPTIONS = {
    "400": "Bad request: invalid input, field by field.",
    "401": "Missing, invalid, revoked or expired credentials.",
    "403": "The credential lacks a scope or mode this operation needs.",
    "404": "Not found (also: another tenant's or another customer's object).",
    "409": "Conflict.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "422": "Idempotency key reused with a different body.",
    "429": "Too many requests; see Retry-After.",
    "503": "The database is unavailable; retry after Retry-After seconds.",
}


TEAMUP_ID_DESCRIPTION = "A unique integer value identifying this provider customer profile."


class PrefCenterAutoSchema(AutoSchema):
    """Adds the shared headers, selection parameters and error responses to every operation."""

    def get_override_parameters(self) -> list[Any]:
        params = [*super().get_override_parameters(), *TENANT_HEADERS, *SELECTION_PARAMETERS]
        if self.method in ("POST", "PUT", "PATCH"):
            params.append(IDEMPOTENCY_HEADER)
        return params

    def _is_list_view(self, serializer: Any = None) -> bool:
        # Views whose list answers an envelope object (Novu's {data, next, …}) set `list_envelope`:
        # their list response is documented as that object, not wrapped in an array.
        if serializer is not None and getattr(self.view, "list_envelope", False):
            return False
        return super()._is_list_view(serializer)

    def get_operation_id(self) -> str:
        # Reach resources and TeamUp profiles share path stems once SCHEMA_PATH_PREFIX is
        # stripped (`customers_create` twice); the face's name keeps operation ids unique.
        operation_id = super().get_operation_id()
        if getattr(self.view, "error_style", "default") == "reach":
            return f"reach_{operation_id}"
        return operation_id

    def _get_parameters(self) -> list[dict[str, Any]]:
        """TeamUp's `{id}` is documented as an integer ("a unique integer value identifying this
        provider customer profile"), while `notification_preference_id` stays a string matching ^\\d+$."""
        parameters = super()._get_parameters()
        for parameter in parameters:
            is_digits = parameter["schema"].get("pattern") == r"^\d+$"
            if parameter["in"] == "path" and parameter["name"] == "id" and is_digits:
                parameter["schema"] = {"type": "integer"}
                parameter.setdefault("description", TEAMUP_ID_DESCRIPTION)
        return parameters

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        reach = getattr(self.view, "error_style", "default") == "reach"
        codes = ["400", "401", "403", "404", "413", "415", "429", "503"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["409", "422"]
        for code in codes:
            if code in responses:
                continue
            if reach:
                serializer = ReachNotFoundSerializer if code == "404" else ReachErrorSerializer
            elif self.path.startswith("/v2/"):
                serializer = NovuErrorSerializer
            else:
                serializer = ErrorSerializer
            component = self.resolve_serializer(serializer, "response")
            responses[code] = {
                "description": ERROR_DESCRIPTIONS[code],
                "content": {
                    "application/json": {"schema": component.ref},
                    "application/xml": {"schema": component.ref},
                },
            }
        return responses


class PrefCenterAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "prefcenter.authentication.PrefCenterAuthentication"
    name = ["TokenAuth", "ApiKeyAuth", "BearerAuth"]

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list[Any]]]:
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Use the prefix `Token ` followed by the API key.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": 'API key authentication. Allowed headers-- "Authorization: ApiKey <api_key>".',
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Bearer <api key>`, or `Bearer <JWT>`: a customer token (HS256 with the tenant's "
                "secret, `sub` = the customer's external id, `exp` required). A JWT runs in customer mode.",
            },
        ]


_OPTIONAL_SLASH = re.compile(r"/\?\$?$")


def keep_canonical_paths(endpoints: list[tuple[str, str, str, Any]]) -> list[tuple[str, str, str, Any]]:
    """Routes answer with and without a trailing slash; the schema lists each once, as the seeds write it (no slash)."""
    seen = set()
    result = []
    for path, path_regex, method, callback in endpoints:
        canonical = path.rstrip("/") if path != "/" else path
        if (canonical, method) in seen:
            continue
        seen.add((canonical, method))
        result.append((canonical, path_regex, method, callback))
    return result
