"""API conventions every viewset shares: fields/expand, format and Accept, XML and form bodies, safe XML,
body size cap, optional trailing slash, JSON 404s, capped pagination."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from rest_framework import serializers

from customers.models import Customer
from prefcenter.serializers import PrefCenterSerializer
from tests.prefcenter.envelopes import api_error, is_json, reach_error

LIST = "/api/v2/customers"
XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'


def detail_url(customer: Customer) -> str:
    return f"{LIST}/{customer.pk}"


# --------------------------------------------------------------------------- fields and expand


def test_fields_selects_top_level_fields_when_given_on_retrieve(api, customer):
    response = api.get(detail_url(customer), {"fields": "id,email,sms_opt_out"})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"id": customer.pk, "email": "ada@example.com", "sms_opt_out": True}


@pytest.mark.parametrize(
    "query", ["fields=id&fields=external_id", "fields[]=id&fields[]=external_id", "fields=id,external_id"]
)
def test_fields_accepts_repeated_and_comma_forms_when_listing(api, customer, query):
    response = api.get(f"{LIST}?{query}")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["results"] == [{"id": customer.pk, "external_id": "cust-1"}]


def test_fields_shapes_write_responses_when_given_on_patch_and_post(api, customer):
    patched = api.patch(f"{detail_url(customer)}?fields=first_name", {"first_name": "Augusta"}, format="json")
    created = api.post(f"{LIST}?fields=external_id,sms_opt_out", {"external_id": "new-1"}, format="json")

    assert patched.status_code == HTTPStatus.OK
    assert patched.json() == {"first_name": "Augusta"}
    assert created.status_code == HTTPStatus.CREATED
    assert created.json() == {"external_id": "new-1", "sms_opt_out": True}


def test_fields_selects_nested_reach_data_when_dot_notation_is_used(api, customer):
    response = api.get("/api/resources/customers/cust-1", {"fields": "id,data.email,data.firstName"})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "success": True,
        "message": "Customer retrieved successfully",
        "data": {
            "result": {"id": str(customer.uuid), "data": {"email": "ada@example.com", "firstName": "Ada"}},
            "included": [],
        },
    }


def test_fields_is_400_naming_the_unknown_field_when_listing(api, customer):
    response = api.get(LIST, {"fields": "id,favourite_colour"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"] == {
        "fields": [
            "Unknown field: 'favourite_colour'. Known fields: created_at, detail_url, email, email_opt_out, "
            "email_opt_out_at, external_id, first_name, id, last_name, locale, object, phone, sms_opt_out, "
            "sms_opt_out_at, timezone, updated_at."
        ]
    }


def test_fields_is_400_naming_unknown_nested_reach_field_when_dotted(api, customer, unchanged):
    with unchanged():
        response = api.patch(
            "/api/resources/customers/cust-1?fields=data.shoeSize", {"data": {"firstName": "X"}}, format="json"
        )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["success"] is False
    assert body["errors"] == [
        "fields: Unknown field: 'data.shoeSize'. Known fields: createdAt, customerDetailUrl, customerId, email, "
        "emailOptOut, firstName, lastName, phone, smsOptOut."
    ]


def test_fields_is_400_when_a_scalar_field_is_given_nested_fields(api, customer):
    response = api.get(detail_url(customer), {"fields": "email.domain"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"fields": ["Field 'email' has no nested fields to select."]}


@pytest.mark.parametrize("path", [LIST, "/api/v2/customers/{pk}", "/api/resources/customers/cust-1"])
def test_expand_is_400_naming_the_unknown_name_when_nothing_expands_it(api, customer, path):
    response = api.get(path.format(pk=customer.pk), {"expand": "owner"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    message = "Unknown field to expand: 'owner'. Expandable: nothing."
    if path.startswith("/api/resources"):
        assert response.json() == reach_error(f"Invalid input: expand: {message}", [f"expand: {message}"])
    else:
        assert response.json() == api_error(
            response, HTTPStatus.BAD_REQUEST, "invalid", f"Invalid input: expand: {message}", {"expand": [message]}
        )


class _Category(PrefCenterSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()


class _Workflow(PrefCenterSerializer):
    """Test-only: a plain `category` slug that `expand=category` turns into an object."""

    id = serializers.IntegerField()
    category = serializers.CharField(source="category.slug")
    capabilities = serializers.DictField()
    expandable_fields = {"category": lambda: (_Category, {})}


WORKFLOW = {
    "id": 7,
    "category": {"slug": "news", "name": "News", "description": "Weekly"},
    "capabilities": {"sms": True, "email": False},
}


@pytest.mark.parametrize(
    ("fields", "expand", "expected"),
    [
        ({}, {}, {"id": 7, "category": "news", "capabilities": {"sms": True, "email": False}}),
        (
            {},
            {"category": {}},
            {"id": 7, "category": WORKFLOW["category"], "capabilities": {"sms": True, "email": False}},
        ),
        ({"id": {}, "category": {"name": {}}}, {"category": {}}, {"id": 7, "category": {"name": "News"}}),
        ({"capabilities": {"sms": {}}}, {}, {"capabilities": {"sms": True}}),
        ({"category": {}}, {}, {"category": "news"}),
    ],
)
def test_selection_shapes_nested_output_when_fields_and_expand_trees_are_given(fields, expand, expected):
    data = _Workflow(WORKFLOW, fields_tree=fields, expand_tree=expand).data

    assert data == expected


def test_selection_errors_name_unknown_paths_when_nested(db):
    errors = _Workflow.selection_errors({"category": {"colour": {}}}, {"category": {}, "owner": {}})

    assert errors == {
        "expand": ["Unknown field to expand: 'owner'. Expandable: category."],
        "fields": ["Unknown field: 'category.colour'. Known fields: description, name, slug."],
    }


# --------------------------------------------------------------------------- format and Accept


def test_format_xml_renders_root_and_lowercase_booleans_when_asked_by_query(api, customer):
    response = api.get(
        detail_url(customer), {"format": "xml", "fields": "id,email,email_opt_out,sms_opt_out,email_opt_out_at"}
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.decode() == (
        f"{XML_HEAD}<root><id>{customer.pk}</id><email>ada@example.com</email>"
        "<email_opt_out>false</email_opt_out><email_opt_out_at></email_opt_out_at>"
        "<sms_opt_out>true</sms_opt_out></root>"
    )


def test_accept_header_selects_xml_when_application_xml(api, customer):
    response = api.get(LIST, {"fields": "external_id,sms_opt_out"}, HTTP_ACCEPT="application/xml")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.decode() == (
        f"{XML_HEAD}<root><count>1</count><next></next><previous></previous><results>"
        "<list-item><external_id>cust-1</external_id><sms_opt_out>true</sms_opt_out></list-item>"
        "</results></root>"
    )


def test_format_json_wins_when_accept_asks_for_xml(api, customer):
    """Seed 000 sends `Accept: application/json` on every call; the `format` parameter still decides."""
    response = api.get(detail_url(customer), {"format": "json", "fields": "id"}, HTTP_ACCEPT="application/xml")

    assert is_json(response)
    assert response.json() == {"id": customer.pk}


def test_errors_render_as_xml_when_xml_was_asked(api, customer):
    response = api.get(detail_url(customer), {"format": "xml", "fields": "nope"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.decode().startswith(
        f"{XML_HEAD}<root><detail>Invalid input: fields: Unknown field: 'nope'."
    )


@pytest.mark.parametrize("fmt", ["yaml", "html", "api"])
def test_format_is_400_when_not_json_or_xml(api, customer, fmt):
    response = api.get(detail_url(customer), {"format": fmt})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid_format",
        f"Unknown format '{fmt}'.",
        {"format": ["Must be one of: json, xml."]},
    )


def test_accept_is_406_in_json_when_nothing_acceptable(api, customer):
    response = api.get(detail_url(customer), HTTP_ACCEPT="text/csv")

    assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
    assert is_json(response)
    assert response.json()["code"] == "not_acceptable"


# --------------------------------------------------------------------------- request bodies


def test_xml_body_creates_customer_when_posted(api, tenant):
    body = (
        "<root><external_id>xml-1</external_id><first_name>Xena</first_name>"
        "<phone>+14155550123</phone><sms_opt_out>false</sms_opt_out></root>"
    )

    response = api.post(f"{LIST}?fields=external_id,first_name,phone,sms_opt_out", body, content_type="application/xml")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json() == {
        "external_id": "xml-1",
        "first_name": "Xena",
        "phone": "+14155550123",
        "sms_opt_out": False,
    }
    assert Customer.objects.get(tenant=tenant, external_id="xml-1").sms_opt_out is False


def test_xml_body_patches_customer_when_sent_as_text_xml(api, customer):
    body = "<root><last_name>Byron</last_name><email_opt_out>true</email_opt_out></root>"

    response = api.patch(f"{detail_url(customer)}?fields=last_name,email_opt_out", body, content_type="text/xml")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"last_name": "Byron", "email_opt_out": True}


def test_form_body_patches_customer_when_urlencoded(api, customer):
    body = urlencode({"first_name": "Formy", "sms_opt_out": "false"})

    response = api.patch(
        f"{detail_url(customer)}?fields=first_name,sms_opt_out,email_opt_out",
        body,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"first_name": "Formy", "sms_opt_out": False, "email_opt_out": False}


def test_form_body_creates_customer_with_documented_defaults_when_flags_are_absent(api, tenant):
    """An HTML-form body leaves absent checkboxes unset: Reach's defaults hold (sms opted out, email in)."""
    body = urlencode({"external_id": "form-1", "first_name": "Formy"})

    response = api.post(
        f"{LIST}?fields=external_id,sms_opt_out,email_opt_out", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json() == {"external_id": "form-1", "sms_opt_out": True, "email_opt_out": False}


def test_multipart_body_creates_customer_when_posted(api, tenant):
    response = api.post(
        f"{LIST}?fields=external_id,last_name,sms_opt_out",
        {"external_id": "multi-1", "last_name": "Part", "sms_opt_out": "false"},
        format="multipart",
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json() == {"external_id": "multi-1", "last_name": "Part", "sms_opt_out": False}


def test_form_body_is_400_naming_unknown_field_when_posted(api, tenant, unchanged):
    with unchanged():
        response = api.post(
            LIST, urlencode({"external_id": "f", "shoe": "42"}), content_type="application/x-www-form-urlencoded"
        )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"shoe": ["Unknown field."]}


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<root><first_name>&lol9;</first_name></root>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE root [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<root><first_name>&xxe;</first_name></root>"""

XML_REFUSED = "XML refused: DTDForbidden (DTDs and entities are not allowed)."


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
@pytest.mark.parametrize("method", ["post", "patch"])
def test_xml_with_entities_is_400_and_writes_nothing_when_sent(api, customer, unchanged, body, method):
    path = LIST if method == "post" else detail_url(customer)

    with unchanged():
        response = getattr(api, method)(path, body, content_type="application/xml")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(response, HTTPStatus.BAD_REQUEST, "parse_error", XML_REFUSED)


def test_xml_with_entities_is_400_in_reach_envelope_when_sent_to_reach(api, customer, unchanged):
    with unchanged():
        response = api.patch("/api/resources/customers/cust-1", BILLION_LAUGHS, content_type="application/xml")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(XML_REFUSED)


def test_malformed_xml_is_400_and_writes_nothing_when_sent(api, customer, unchanged):
    with unchanged():
        response = api.patch(detail_url(customer), "<root><first_name>Ada</root>", content_type="application/xml")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["detail"].startswith("XML parse error: mismatched tag")
    assert body["errors"] == {}


@pytest.mark.parametrize("raw", ['{"first_name": ', "{'first_name': 'single quotes'}", "\x00\x01", "[1, 2"])
def test_malformed_json_is_400_and_writes_nothing_when_sent(api, customer, unchanged, raw):
    with unchanged():
        response = api.patch(detail_url(customer), raw, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] in ("parse_error", "invalid")
    assert body["status"] == HTTPStatus.BAD_REQUEST
    assert body["request_id"] == response["X-Request-ID"]


def test_unsupported_media_type_is_415_when_body_is_plain_text(api, customer, unchanged):
    with unchanged():
        response = api.patch(detail_url(customer), "first_name=Ada", content_type="text/plain")

    assert response.status_code == HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    assert response.json() == api_error(
        response,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        'Unsupported media type "text/plain" in request.',
    )


def test_body_over_limit_is_413_and_writes_nothing_when_posted(api, tenant, settings, unchanged):
    settings.PREFCENTER_MAX_BODY_BYTES = 200
    body = '{"external_id": "big", "first_name": "' + "x" * 300 + '"}'

    with unchanged():
        response = api.post(LIST, body, content_type="application/json")

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json() == api_error(
        response,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "request_too_large",
        f"Request body too large: {len(body)} bytes; the limit is 200.",
    )


def test_body_over_limit_is_413_in_reach_envelope_when_patched(api, customer, settings, unchanged):
    settings.PREFCENTER_MAX_BODY_BYTES = 100
    body = '{"data": {"firstName": "' + "x" * 200 + '"}}'

    with unchanged():
        response = api.patch("/api/resources/customers/cust-1", body, content_type="application/json")

    message = f"Request body too large: {len(body)} bytes; the limit is 100."
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json() == reach_error(message, [message])


def test_body_under_limit_is_accepted_when_limit_is_lowered(api, customer, settings):
    settings.PREFCENTER_MAX_BODY_BYTES = 200

    response = api.patch(detail_url(customer), {"first_name": "Small"}, format="json")

    assert response.status_code == HTTPStatus.OK


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/customers",
        "/api/v2/customers/",
        "/api/v2/customers/{pk}",
        "/api/v2/customers/{pk}/",
        "/api/resources/customers/cust-1",
        "/api/resources/customers/cust-1/",
        "/healthz",
        "/healthz/",
    ],
)
def test_route_answers_without_redirect_when_trailing_slash_is_present_or_not(api, customer, path):
    response = api.get(path.format(pk=customer.pk))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("path", ["/api/v2/customers", "/api/v2/customers/"])
def test_post_answers_without_redirect_when_trailing_slash_is_present_or_not(api, tenant, path):
    response = api.post(path, {"external_id": f"slash{path.count('/')}"}, format="json")

    assert response.status_code == HTTPStatus.CREATED


@pytest.mark.parametrize(
    "path", ["/api/v2/nowhere", "/api/nowhere/", "/v1/nowhere", "/api/v2/customers/1/x"]
)
def test_unknown_api_path_is_json_404_when_requested(api, path):
    response = api.get(path)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert is_json(response)
    assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "not_found", "Not found.")


def test_unknown_novu_path_is_novu_404_when_requested(api):
    # Issue 13: every /v2 route answers Novu's error envelope.
    response = api.get("/v2/nowhere")

    assert response.status_code == HTTPStatus.NOT_FOUND
    body = response.json()
    assert body == {"statusCode": 404, "timestamp": body["timestamp"], "path": "/v2/nowhere", "message": "Not found.",
                    "code": "not_found"}


def test_unknown_reach_path_is_reach_404_when_requested(api):
    response = api.get("/api/resources/widgets/1")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"success": False, "message": "Not found.", "data": {"error": "Not found."}}


def test_unknown_method_is_405_in_json_when_route_exists(api, customer):
    response = api.put(detail_url(customer), {"first_name": "X"}, format="json")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json() == api_error(
        response, HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", 'Method "PUT" not allowed.'
    )


# --------------------------------------------------------------------------- pagination


@pytest.fixture
def many_customers(tenant):
    Customer.objects.bulk_create(
        Customer(tenant=tenant, external_id=f"bulk-{n:03d}", email=f"b{n}@example.com") for n in range(205)
    )


def test_page_size_is_capped_at_200_when_more_is_asked(api, many_customers):
    response = api.get(LIST, {"page_size": 1000, "fields": "external_id"})

    body = response.json()
    assert response.status_code == HTTPStatus.OK
    assert body["count"] == 205
    assert len(body["results"]) == 200
    assert body["next"] == "http://testserver/api/v2/customers?fields=external_id&page=2&page_size=1000"
    assert body["previous"] is None


def test_page_size_defaults_to_50_when_not_given(api, many_customers):
    response = api.get(LIST, {"fields": "external_id", "page": 5})

    body = response.json()
    assert body["count"] == 205
    assert body["results"] == [{"external_id": f"bulk-{n:03d}"} for n in range(200, 205)]


def test_page_out_of_range_is_json_404_when_listing(api, many_customers):
    response = api.get(LIST, {"page": 99})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "not_found", "Invalid page.")


def test_request_id_is_echoed_when_caller_sends_one(api, customer):
    response = api.get(LIST, HTTP_X_REQUEST_ID="req-abc.123")
    weird = api.get(LIST, HTTP_X_REQUEST_ID="<script>")

    assert response["X-Request-ID"] == "req-abc.123"
    assert weird["X-Request-ID"] != "<script>"
    assert len(weird["X-Request-ID"]) == 32


def test_no_row_is_written_when_reading(api, customer, unchanged):
    with unchanged():
        listed = api.get(LIST)
        retrieved = api.get(detail_url(customer), {"format": "xml"})

    assert listed.status_code == retrieved.status_code == HTTPStatus.OK


def test_format_xml_wins_when_accept_asks_for_json_as_the_seed_example_does(api, customer):
    response = api.get(detail_url(customer), {"format": "xml", "fields": "id"}, HTTP_ACCEPT="application/json")

    assert response.status_code == HTTPStatus.OK
    assert response.content.decode() == f"{XML_HEAD}<root><id>{customer.pk}</id></root>"


def test_xml_body_patches_reach_customer_when_data_is_an_element(api, customer):
    body = "<root><data><firstName>Xml</firstName><smsOptOut>false</smsOptOut></data></root>"

    response = api.patch(
        "/api/resources/customers/cust-1?fields=data.firstName,data.smsOptOut", body, content_type="application/xml"
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["data"]["result"] == {"data": {"firstName": "Xml", "smsOptOut": False}}
