"""OpenAPI: authentication schemes, the headers and query parameters every operation
takes, and the error envelopes every operation may answer with.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import append_meta, is_list_serializer
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from prefcenter.exceptions import NOVU, REACH, envelope_of
from prefcenter.idempotency import MAX_KEY_LENGTH
from prefcenter.serializers import SelectableMixin, UniqueListField

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
# An empty value is read as absent (`format=`, `fields=a,,b`), so the enums say "" too.
FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=["json", "xml", ""], description="Response format (or use Accept); empty = as if absent."
)
FIELDS_DESCRIPTION = (
    "A comma-separated list of fields to include. Dot-notation can be used to select nested fields. "
    "A field of an expanded relation may be selected too, together with its `expand` (`fields=category.name"
    "&expand=category`). Any other name is a 400."
)
EXPAND_DESCRIPTION = "A comma-separated list of fields to expand. Any other name is a 400."
# A header value, after HTTP's optional whitespace is trimmed, must not be empty.
# What Python's str.strip() (so DRF's trim) removes, as a JSON Schema (ECMA-262) class: `\s` there
# lacks U+001C-U+001F and U+0085, which Python counts as white space (a fuzzer found "\u001e").
SPACE = r"\s\u001c-\u001f\u0085"
TEXT = rf"[^{SPACE}]"  # one character that is not white space to Python
NON_BLANK = {"type": "string", "minLength": 1, "pattern": TEXT}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "idempotency-key",
    {**NON_BLANK, "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    description="A header for idempotency purposes: the same key and body within 24 hours replays the first answer. "
    f"1 to {MAX_KEY_LENGTH} characters, not only whitespace.",
)


def selection_parameters(view: Any) -> list[OpenApiParameter]:
    """`fields` and `expand` as the view checks them: each an enum of the names its output serializer
    accepts (prefcenter/serializers.py walks the same tree to refuse the others); where nothing can be
    expanded, `expand` takes only empty names (which are skipped)."""
    get_class = getattr(view, "get_output_serializer_class", None)
    serializer_class = get_class() if get_class else None
    if serializer_class is None or not hasattr(serializer_class, "selection_paths"):
        return [FORMAT_PARAMETER]
    fields, expand = serializer_class.selection_paths(**view.get_output_serializer_kwargs())
    params = [
        OpenApiParameter(
            "fields",
            {"type": "array", "items": {"type": "string", "enum": [*fields, ""]}},
            explode=False,
            description=FIELDS_DESCRIPTION,
        ),
        FORMAT_PARAMETER,
    ]
    params.append(
        OpenApiParameter(
            "expand",
            {"type": "array", "items": {"type": "string", "enum": [*expand, ""]}},
            explode=False,
            description=EXPAND_DESCRIPTION if expand else "Nothing can be expanded here: any name is a 400.",
        )
    )
    return params


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


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
XML_MEDIA_TYPES = ("application/xml", "text/xml")


def _has_lists(serializer: Any) -> bool:
    """Whether a request serializer (class or instance) has a list anywhere in it."""
    if isinstance(serializer, type):
        serializer = serializer()
    if is_list_serializer(serializer):
        return True
    for field in serializer.fields.values():
        annotation = getattr(type(field), "_spectacular_annotation", {}).get("field")
        if isinstance(field, (serializers.ListField, serializers.ListSerializer)) or (
            isinstance(annotation, dict) and annotation.get("type") == "array"
        ):
            return True
        if isinstance(field, serializers.BaseSerializer) and _has_lists(field):
            return True
    return False


TEAMUP_ID_DESCRIPTION = "A unique integer value identifying this provider customer profile."


def _refuses_blank(field: Any) -> bool:
    """A text field DRF trims and then refuses when blank: only whitespace is refused too."""
    return (
        isinstance(field, serializers.CharField)
        and not isinstance(field, serializers.ChoiceField)
        and field.trim_whitespace
        and not field.allow_blank
        and not field.read_only
    )


class PrefCenterAutoSchema(AutoSchema):
    """Adds the shared headers, selection parameters and error responses to every operation."""

    def get_override_parameters(self) -> list[Any]:
        params = [*super().get_override_parameters(), *TENANT_HEADERS, *selection_parameters(self.view)]
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
        if envelope_of(self.path) == REACH:
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

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        """A request body whose serializer refuses unknown fields says so: `additionalProperties: false`.
        An answer whose serializer takes `fields` may leave out any property the caller did not select,
        so none is listed as required."""
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False
        if direction == "response" and isinstance(serializer, SelectableMixin):
            schema.pop("required", None)
        return schema

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        """A list refuses what DRF refuses: `allow_empty=False` is `minItems: 1`, and a nested list
        serializer's `min_length`/`max_length` are `minItems`/`maxItems` (spectacular maps them for
        ListField only)."""
        describe = getattr(field, "openapi_schema", None)
        if describe is not None:  # a field whose rule JSON Schema cannot infer states it itself
            return append_meta(describe(), self._get_serializer_field_meta(field, direction))
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        is_text = isinstance(schema, dict) and schema.get("type") == "string"
        if direction == "request" and is_text and _refuses_blank(field):
            schema.setdefault("pattern", TEXT)  # DRF trims the value, then refuses it blank
        if not isinstance(schema, dict) or schema.get("type") != "array":
            return schema
        if isinstance(field, UniqueListField):
            schema["uniqueItems"] = True
        if getattr(field, "allow_empty", True) is False:
            schema["minItems"] = max(schema.get("minItems", 0), 1)
        if is_list_serializer(field):
            if field.min_length is not None:
                schema["minItems"] = max(schema.get("minItems", 0), field.min_length)
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def map_parsers(self) -> list[Any]:
        """The request bodies the schema promises: JSON, and XML where the body has no list.

        Form bodies are accepted for flat input but not documented: a form cannot tell an absent
        value from an empty one nor carry a list or an object. An XML list needs `<list-item>`
        children, which a generic XML client does not write, so those bodies are JSON only."""
        media_types = [m for m in super().map_parsers() if m not in FORM_MEDIA_TYPES]
        serializer = self.get_request_serializer()
        is_serializer = isinstance(serializer, serializers.BaseSerializer) or (
            isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer)
        )
        if is_serializer and _has_lists(serializer):
            media_types = [m for m in media_types if m not in XML_MEDIA_TYPES]
        return media_types

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        # Spectacular documents every PATCH body as optional; a serializer that refuses an empty one (at
        # least one field required, e.g. Novu's preferences PATCH) says so with `openapi_body_required`.
        body = super()._get_request_body(direction)
        if body is not None and getattr(self.get_request_serializer(), "openapi_body_required", False):
            body["required"] = True
        return body

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        envelope = envelope_of(self.path)
        codes = ["400", "401", "403", "404", "413", "415", "429", "503"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["409", "422"]
        # An operation declares its own extra errors as `OpenApiResponse(description=…)` (e.g. 409 on a
        # delete); the envelope is added here, like for the codes every operation may answer.
        declared = [
            code
            for code, response in responses.items()
            if code.isdigit() and int(code) >= 400 and "content" not in response
        ]
        for code in [*codes, *declared]:
            if code in responses and "content" in responses[code]:
                continue
            if envelope == REACH:
                serializer = ReachNotFoundSerializer if code == "404" else ReachErrorSerializer
            elif envelope == NOVU:
                serializer = NovuErrorSerializer
            else:
                serializer = ErrorSerializer
            component = self.resolve_serializer(serializer, "response")
            responses[code] = {
                "description": responses.get(code, {}).get("description") or ERROR_DESCRIPTIONS[code],
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


def add_cross_field_rules(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: a request serializer's `openapi_constraints` (a rule across fields that no
    single field's schema can say, e.g. `anyOf`) joins its component. It runs after spectacular's enum
    hook, which would otherwise lift the constraint's `enum`s into components of their own."""
    schemas = result.get("components", {}).get("schemas", {})
    for component in generator.registry._components.values():
        if component.name not in schemas or not component.name.endswith("Request"):
            continue
        schemas[component.name].update(getattr(component.object, "openapi_constraints", {}))
        if component.name.startswith("Patched"):
            schemas[component.name].update(getattr(component.object, "openapi_partial_constraints", {}))
    return result
