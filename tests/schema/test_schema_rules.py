"""What the schema says about the rules the server enforces (prefcenter/schema.py); fast, no fuzzing.

Schemathesis (test_fuzz.py) proves schema and server agree; these pin the findings of issue 11 item 11.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from prefcenter.schema import TEXT
from prefcenter.selection import parse_tree


@pytest.fixture
def schema(db, client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return json.loads(response.content)


def parameter(schema, path, method, name):
    (found,) = [p for p in schema["paths"][path][method]["parameters"] if p["name"] == name]
    return found


def component(schema, ref_holder):
    return schema["components"]["schemas"][ref_holder["$ref"].rsplit("/", 1)[1]]


def test_fields_and_expand_are_enums_of_the_output_serializer_when_an_operation_selects(schema):
    fields = parameter(schema, "/v1/messaging/preferences", "get", "fields")
    expand = parameter(schema, "/v1/messaging/preferences", "get", "expand")

    assert fields["explode"] is False
    assert fields["schema"]["items"]["enum"] == [
        "id", "object", "category", "in_app_enabled", "email_enabled", "push_enabled", "digest",
        "created_at", "updated_at", "",
    ]  # fmt: skip
    assert expand["schema"] == {"type": "array", "items": {"type": "string", "enum": ["category", ""]}}


def test_expand_takes_no_name_when_nothing_can_be_expanded(schema):
    expand = parameter(schema, "/api/v2/customers", "get", "expand")

    assert expand["schema"] == {"type": "array", "items": {"type": "string", "enum": [""]}}


def test_mandatory_category_rule_is_in_the_request_schema_when_documented(schema):
    for name in ("CategoryWriteRequest", "PatchedCategoryWriteRequest"):
        branches = schema["components"]["schemas"][name]["anyOf"]
        assert branches[0] == {"properties": {"mandatory": {"enum": [False]}}}
    assert "MandatoryEnum" not in schema["components"]["schemas"]


def test_every_documented_selection_is_accepted_when_checked_by_the_server(schema):
    """The enums and the server's check walk the same serializer tree: every listed name passes it."""
    from subscribers.evaluation.deliveries import DeliveryEvaluationSerializer
    from subscribers.serializers.teamup import NotificationPreferenceSerializer

    for serializer_class in (NotificationPreferenceSerializer, DeliveryEvaluationSerializer):
        fields, expand = serializer_class.selection_paths()
        assert fields
        for path in fields:
            assert serializer_class.selection_errors(parse_tree([path]), {}) == {}, path
        for path in expand:
            assert serializer_class.selection_errors({}, parse_tree([path])) == {}, path


def test_idempotency_key_has_its_length_limits_when_documented(schema):
    key = parameter(schema, "/v1/messaging/preferences", "put", "idempotency-key")

    assert key["schema"] == {"type": "string", "minLength": 1, "pattern": TEXT, "maxLength": 255}


def test_customer_header_is_required_when_documented(schema):
    header = parameter(schema, "/v1/messaging/preferences", "put", "Prefcenter-Customer")

    assert header["required"] is True
    assert header["schema"] == {"type": "string", "minLength": 1, "pattern": TEXT}


def test_bulk_preferences_have_item_limits_when_documented(schema):
    body = schema["paths"]["/v2/subscribers/{subscriberId}/preferences/bulk"]["patch"]["requestBody"]
    preferences = component(schema, body["content"]["application/json"]["schema"])["properties"]["preferences"]

    assert (preferences["minItems"], preferences["maxItems"]) == (1, 100)


@pytest.mark.parametrize(
    "path", ["/v2/subscribers/{subscriberId}/preferences", "/v2/subscribers/{subscriberId}/preferences/bulk"]
)
def test_novu_preference_patches_require_a_body_when_documented(schema, path):
    # Found by the deeper stateful fuzz: a PATCH without a body was schema-valid and answered 400.
    assert schema["paths"][path]["patch"]["requestBody"]["required"] is True


def test_novu_preferences_patch_needs_channels_or_schedule_when_documented(schema):
    body = schema["paths"]["/v2/subscribers/{subscriberId}/preferences"]["patch"]["requestBody"]
    patch = component(schema, body["content"]["application/json"]["schema"])

    assert patch["anyOf"] == [{"required": ["channels"]}, {"required": ["schedule"]}]
    assert patch["not"] == {"required": ["schedule", "workflowId"]}


def test_bodies_refusing_unknown_fields_are_closed_when_documented(schema):
    body = schema["paths"]["/v1/deliveries/evaluate"]["post"]["requestBody"]
    evaluate = component(schema, body["content"]["application/json"]["schema"])

    assert evaluate["additionalProperties"] is False
    assert evaluate["properties"]["channels"]["minItems"] == 1
    assert list(body["content"]) == ["application/json"]  # a list in XML needs <list-item>; no form bodies


def test_page_and_page_size_have_minimums_when_documented(schema):
    for name in ("page", "page_size"):
        assert parameter(schema, "/api/v2/customers", "get", name)["schema"] == {"type": "integer", "minimum": 1}


def test_category_delete_documents_409_in_the_error_envelope_when_in_use(schema):
    conflict = schema["paths"]["/v1/messaging/categories/{key}"]["delete"]["responses"]["409"]

    assert "category_in_use" in conflict["description"]
    assert conflict["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize(
    ("url", "accepted"),
    [("https://crm.example.com/c/1", True), ("http://example.org", True), ("https://a.example.com:8443/x?y#z", True),
     ("http://", False), ("https://-a.example.com", False), ("http://example", False), ("ftp://example.com", False)],
)
def test_http_url_pattern_refuses_what_the_server_refuses_when_documented(url, accepted):
    # Found by the stateful fuzz (issue 17's new routes changed its walk): "http://" is a URI and matched
    # `^https?://`, but has no host, and the server (Django's URLValidator) refuses it.
    import re

    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    from customers.serializers import HttpUrlField

    url_schema = HttpUrlField().openapi_schema()["anyOf"][1]
    try:
        URLValidator(schemes=["http", "https"])(url)
        server = True
    except ValidationError:
        server = False
    assert server is accepted
    assert (re.search(url_schema["pattern"], url) is not None) is accepted


PYTHON_SPACE = [chr(code) for code in range(0x110000) if chr(code).isspace()]


def test_subscriber_id_pattern_refuses_every_character_python_trims_when_documented(schema, client):
    """The server trims with str.strip(); the schema's `\\s` (ECMA-262) lacks U+001C-U+001F and U+0085."""
    import re

    content = schema["paths"]["/v2/subscribers"]["post"]["requestBody"]["content"]
    body = component(schema, content["application/json"]["schema"])
    pattern = re.compile(body["properties"]["subscriberId"]["pattern"])
    for space in PYTHON_SPACE:
        assert not pattern.search(space), f"schema accepts subscriberId {space!r}, which the server trims to blank"
        if space != "\n":  # Python's `$` also matches before a final newline; ECMA-262's (the schema's) does not
            assert not pattern.search(f"a{space}"), repr(space)
    assert pattern.search("a b") and pattern.search("cust-1")


def test_non_blank_pattern_refuses_every_character_python_trims_when_documented():
    import re

    from prefcenter.schema import NON_BLANK

    pattern = re.compile(NON_BLANK["pattern"])
    assert [space for space in PYTHON_SPACE if pattern.search(space)] == []
    assert pattern.search(" x ")
