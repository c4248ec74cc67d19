"""Hostile bodies on every write route: deep nesting, duplicate keys, too many form fields.

Each is a 400 in the route's own envelope (Reach's on Reach routes) with nothing written:
never a 500 (a 2 KB body of 1,000 brackets was a RecursionError), never Django's bare
text/html "Bad Request (400)", never a silent last-one-wins.

The write routes are read from the OpenAPI schema (which the authorization matrix proves
lists every API view), so a new route is covered without touching this file.
"""

from __future__ import annotations

import functools
import json
from http import HTTPStatus

import pytest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from prefcenter.handlers import api_aware_400, api_aware_403
from tests.factories import make_api_key
from tests.matrix import test_authorization_matrix as matrix
from tests.matrix.test_authorization_matrix import C2, World, schema_operations

pytestmark = pytest.mark.django_db
world = matrix.world  # the matrix's world (fixture): tenants A and B, A's customers, catalog and a preference

WRITES = ("POST", "PUT", "PATCH")
DEEP_JSON = "[" * 1000 + "]" * 1000
DEEP_XML = "<root>" + "<a>" * 1000 + "1" + "</a>" * 1000 + "</root>"
DEPTH_MESSAGE = "parse error: the body is nested deeper than the limit of 32 levels."


@functools.cache
def write_operations() -> list[tuple[str, str]]:
    operations = sorted((m, p) for m, p in schema_operations(APIClient()) if m in WRITES)
    assert len(operations) >= 13, operations
    return operations


@pytest.fixture
def writer(world: World) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_api_key(world.a)[1]}", HTTP_PREFCENTER_CUSTOMER=C2)
    return client


def send(client: APIClient, world: World, method: str, template: str, body, content_type: str, query: str = ""):
    path = world.fill(template) + query
    return client.generic(method, path, body, content_type=content_type)


def assert_refused(response, path: str, message: str, code: str = "parse_error", status: int = 400) -> None:
    """The route's envelope, exactly."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    if path.startswith("/api/resources/"):
        assert body == {"success": False, "message": message, "errors": body["errors"]}, body
        assert all(isinstance(item, str) for item in body["errors"])
    elif path.startswith("/v2/"):  # Novu's ErrorDto (ValidationErrorDto for 400/422)
        assert body == {
            "statusCode": status,
            "timestamp": body["timestamp"],
            "path": body["path"],
            "message": message,
            "code": code,
            "errors": {},
        }
        assert body["path"].startswith("/v2/")
    else:
        assert body == {
            "detail": message,
            "code": code,
            "status": status,
            "errors": {},
            "request_id": response["X-Request-ID"],
        }


@pytest.fixture
def operations(db) -> list[tuple[str, str]]:
    return write_operations()


# ---------------------------------------------------------------- depth (every parser)
def test_every_write_route_refuses_json_nested_1000_deep_when_sent(world, writer, unchanged, operations):
    for method, template in operations:
        with unchanged():
            response = send(writer, world, method, template, DEEP_JSON, "application/json")
        assert_refused(response, template, "JSON " + DEPTH_MESSAGE)


def test_every_write_route_refuses_xml_nested_1000_deep_when_sent(world, writer, unchanged, operations):
    for method, template in operations:
        for content_type in ("application/xml", "text/xml"):
            with unchanged():
                response = send(writer, world, method, template, DEEP_XML, content_type)
            assert_refused(response, template, "XML " + DEPTH_MESSAGE)


def test_json_nested_just_past_the_limit_is_refused_when_python_could_parse_it(world, writer, unchanged):
    body = json.dumps({"data": {"firstName": "x"}, "deep": json.loads("[" * 40 + "]" * 40)})
    with unchanged():
        response = writer.patch(f"/api/resources/customers/{C2}", body, content_type="application/json")
    assert_refused(response, "/api/resources/", "JSON " + DEPTH_MESSAGE)


@override_settings(PREFCENTER_MAX_BODY_DEPTH=3)
def test_depth_limit_follows_the_setting_when_configured(world, writer, unchanged):
    ok = writer.patch(f"/api/resources/customers/{C2}", {"data": {"firstName": "Three"}}, format="json")
    assert ok.status_code == HTTPStatus.OK, ok.content
    with unchanged():
        deep = writer.patch(
            f"/api/resources/customers/{C2}", {"data": {"firstName": "Four", "x": {"y": {"z": 1}}}}, format="json"
        )
    assert deep.json()["message"] == "JSON parse error: the body is nested deeper than the limit of 3 levels."


def test_every_write_route_answers_form_keys_nested_1000_deep_without_a_5xx_when_sent(world, writer, operations):
    """Form bodies are flat: a deeply bracketed key is just a name (ignored or refused, never a crash)."""
    key = "preferences" + "[0]" * 1000
    for method, template in operations:
        for body, content_type in (
            (f"{key}=1", "application/x-www-form-urlencoded"),
            (
                f'--B\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n1\r\n--B--\r\n',
                "multipart/form-data; boundary=B",
            ),
        ):
            response = send(writer, world, method, template, body, content_type)
            assert response.status_code < 500, (method, template, response.content[:300])
            assert response["Content-Type"].startswith("application/json")


# ---------------------------------------------------------------- duplicate keys
def test_every_write_route_refuses_a_duplicate_json_key_naming_it_when_sent(world, writer, unchanged, operations):
    message = "JSON parse error: duplicate key 'email_enabled' in one object; give each key once."
    for method, template in operations:
        with unchanged():
            response = send(
                writer, world, method, template, '{"email_enabled":"maybe","email_enabled":false}', "application/json"
            )
        assert_refused(response, template, message)


def test_duplicate_key_in_a_nested_object_is_refused_when_sent_to_reach(world, writer, unchanged):
    body = '{"data": {"firstName": "A", "emailOptOut": false, "emailOptOut": true}}'
    with unchanged():
        response = writer.patch(f"/api/resources/customers/{C2}", body, content_type="application/json")
    message = "JSON parse error: duplicate key 'emailOptOut' in one object; give each key once."
    assert response.json() == {"success": False, "message": message, "errors": []}


def test_duplicate_xml_element_where_one_value_is_expected_is_refused_when_sent(world, writer, unchanged):
    template = "/api/v2/customers/{id}/notification_preferences/{notification_preference_id}"
    body = "<root><email_enabled>maybe</email_enabled><email_enabled>false</email_enabled></root>"
    with unchanged():
        response = send(writer, world, "PATCH", template, body, "application/xml")
    message = "XML parse error: element <email_enabled> appears twice in <root>; give it once."
    assert_refused(response, template, message)


def test_xml_list_items_still_parse_when_repeated(world, writer):
    body = (
        "<root><preferences><list-item><workflowId>alpha-wf-4d2m</workflowId><channels><email>false</email>"
        "</channels></list-item></preferences></root>"
    )
    response = writer.patch(f"/v2/subscribers/{C2}/preferences/bulk", body, content_type="application/xml")
    assert response.status_code == HTTPStatus.OK, response.content


# ---------------------------------------------------------------- too many fields (Django's SuspiciousOperation)
def test_every_write_route_refuses_more_than_20000_form_fields_in_its_envelope_when_sent(
    world, writer, unchanged, operations
):
    body = "&".join(f"f{n}=1" for n in range(20_001))
    message = "Too many fields in the request: the limit is 20000."
    for method, template in operations:
        with unchanged():
            response = send(writer, world, method, template, body, "application/x-www-form-urlencoded")
        assert_refused(response, template, message, code="too_many_fields")


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_every_write_route_refuses_too_many_multipart_fields_in_its_envelope_when_sent(
    world, writer, unchanged, operations
):
    body = "".join(f'--B\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\n1\r\n' for n in range(11)) + "--B--\r\n"
    for method, template in operations:
        with unchanged():
            response = send(writer, world, method, template, body, "multipart/form-data; boundary=B")
        assert_refused(response, template, "Too many fields in the request: the limit is 10.", code="too_many_fields")


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_too_many_query_parameters_are_400_in_the_envelope_when_reading(world, writer):
    query = "?" + "&".join(f"q{n}=1" for n in range(11))
    response = writer.get(f"/api/v2/customers{query}")
    assert_refused(response, "/api/v2/customers", "Too many fields in the request: the limit is 10.", "too_many_fields")


def test_too_many_form_fields_are_refused_in_xml_when_xml_is_asked_for(world, writer, unchanged):
    body = "&".join(f"f{n}=1" for n in range(20_001))
    with unchanged():
        path = f"/api/v2/customers/{world.c2.pk}?format=xml"
        response = writer.generic("PATCH", path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/xml")
    text = response.content.decode()
    assert "<code>too_many_fields</code>" in text
    assert "<detail>Too many fields in the request: the limit is 20000.</detail>" in text


# ---------------------------------------------------------------- Django's own handlers on API paths
@pytest.mark.parametrize("path", ["/api/v2/customers", "/v1/messaging/preferences", "/v2/subscribers"])
def test_disallowed_host_is_400_json_when_an_api_path_is_called(path, writer):
    response = writer.get(path, HTTP_HOST="evil.example")
    assert_refused(response, path, "Bad request.", code="bad_request")


def test_disallowed_host_is_400_in_reach_envelope_when_a_reach_path_is_called(writer):
    response = writer.get("/api/resources/customers", HTTP_HOST="evil.example")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"success": False, "message": "Bad request.", "errors": ["Bad request."]}


def test_django_400_and_403_handlers_answer_the_envelope_on_api_paths_and_html_elsewhere():
    factory = RequestFactory()
    api = api_aware_403(factory.get("/v2/subscribers"), None)
    assert api.status_code == HTTPStatus.FORBIDDEN
    assert json.loads(api.content)["code"] == "permission_denied"
    reach = api_aware_400(factory.get("/api/resources/customers"), None)
    assert json.loads(reach.content) == {"success": False, "message": "Bad request.", "errors": ["Bad request."]}
    page = api_aware_400(factory.get("/p/abc/"), None)
    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert page["Content-Type"].startswith("text/html")
