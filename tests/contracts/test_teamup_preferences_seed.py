"""Seed 000 (TeamUp "Update Notification Preference"), replayed: the example body, the response
object's required keys, `^\\d+$` ids, `format=xml` with `<root>`, `fields`, `expand`, and the headers.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.factories import make_api_key, make_customer, make_workflow

pytestmark = pytest.mark.django_db

# Seed: the python example's payload (`True` in Python; JSON `true` in the body block).
SEED_BODY = {"sms_enabled": True, "email_enabled": True}
# Seed: response schema, required properties.
SEED_REQUIRED = {"id", "object", "type", "description", "sms_enabled", "email_enabled", "capabilities",
                 "toggleability"}
PATH = "/api/v2/customers/{id}/notification_preferences/{notification_preference_id}"


@pytest.fixture
def setup(tenant):
    customer = make_customer(tenant, "c-1", phone="+14155550101", sms_opt_out=False)
    workflow = make_workflow(tenant, "class-reminder", name="Class reminder", channels=["email", "sms"],
                             defaults={"sms": False}, description="Reminds you before a class.")
    return customer, workflow, PATH.format(id=customer.pk, notification_preference_id=workflow.pk)


def test_example_request_answers_the_documented_object_when_replayed(api, setup):
    _, workflow, path = setup
    response = api.patch(path, SEED_BODY, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == HTTPStatus.OK, response.json()
    data = response.json()
    assert set(data) == SEED_REQUIRED
    # Seed: "Possible values: [customer_notification_preference]"
    assert data["object"] == "customer_notification_preference"
    assert (data["id"], data["type"]) == (workflow.pk, "class-reminder")
    assert data["description"] == "Reminds you before a class."
    assert (data["sms_enabled"], data["email_enabled"]) == (True, True)
    assert isinstance(data["capabilities"], dict) and isinstance(data["toggleability"], dict)


def test_token_and_headers_are_accepted_when_sent_as_documented(client_for, tenant, setup):
    # Seed: "Use the prefix `Token ` followed by the token value."; TeamUp-Provider-ID; Teamup-Request-Mode
    _, _, path = setup
    client = client_for(make_api_key(None)[1], scheme="Token", HTTP_TEAMUP_PROVIDER_ID=tenant.slug,
                        HTTP_TEAMUP_REQUEST_MODE="provider")
    assert client.get(path).status_code == HTTPStatus.OK


def test_form_body_is_accepted_when_sent_as_documented(api, setup):
    # Seed: "Content-Type application/json application/x-www-form-urlencoded multipart/form-data"
    _, _, path = setup
    response = api.patch(path, {"sms_enabled": "true", "email_enabled": "false"}, format="multipart")
    assert response.status_code == HTTPStatus.OK, response.json()
    assert (response.json()["sms_enabled"], response.json()["email_enabled"]) == (True, False)


def test_xml_answers_root_element_with_lowercase_booleans_when_format_xml(api, setup):
    _, workflow, path = setup
    response = api.get(path + "?format=xml&fields=id,sms_enabled,email_enabled")
    assert response.status_code == HTTPStatus.OK
    # Seed: "<root>  <id>0</id> ... <sms_enabled>true</sms_enabled>  <email_enabled>true</email_enabled>"
    assert response.content.decode().endswith(
        f"<root><id>{workflow.pk}</id><sms_enabled>false</sms_enabled><email_enabled>true</email_enabled></root>"
    )


def test_dot_notation_selects_nested_fields_when_fields_given(api, setup):
    # Seed: "Dot-notation can be used to select nested fields."
    _, _, path = setup
    data = api.get(path + "?fields=toggleability.sms.toggleable,capabilities.email").json()
    assert data == {"toggleability": {"sms": {"toggleable": True}},
                    "capabilities": {"email": {"capable": True, "reasons": [], "detail": ""}}}


@pytest.mark.parametrize("bad", ["abc", "1a", "%20"])
def test_preference_id_not_matching_digits_answers_json_404_when_requested(api, setup, bad):
    # Seed: "Value must match regular expression ^\d+$"
    customer, _, _ = setup
    response = api.patch(f"/api/v2/customers/{customer.pk}/notification_preferences/{bad}", SEED_BODY, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/json")
