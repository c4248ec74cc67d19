"""Bad input on the customer faces: a clear 4xx naming the field, nothing written, no ledger event."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.factories import make_api_key, make_customer
from tests.prefcenter.envelopes import api_error, reach_error, reach_not_found

LIST = "/api/v2/customers"
REACH = "/api/resources/customers"

WRONG_VALUES = [
    ({"sms_opt_out": "yes"}, {"sms_opt_out": ["Must be a boolean (true or false)."]}),
    ({"sms_opt_out": 1}, {"sms_opt_out": ["Must be a boolean (true or false)."]}),
    ({"sms_opt_out": 0}, {"sms_opt_out": ["Must be a boolean (true or false)."]}),
    ({"sms_opt_out": None}, {"sms_opt_out": ["This field may not be null."]}),
    ({"email_opt_out": "on"}, {"email_opt_out": ["Must be a boolean (true or false)."]}),
    ({"email_opt_out": []}, {"email_opt_out": ["Must be a boolean (true or false)."]}),
    ({"first_name": 123}, {"first_name": ["Must be a string."]}),
    ({"first_name": True}, {"first_name": ["Must be a string."]}),
    ({"last_name": {"x": 1}}, {"last_name": ["Must be a string."]}),
    ({"first_name": None}, {"first_name": ["This field may not be null."]}),
    ({"first_name": "x" * 151}, {"first_name": ["Ensure this field has no more than 150 characters."]}),
    ({"locale": "x" * 36}, {"locale": ["Ensure this field has no more than 35 characters."]}),
    ({"email": "a" * 250 + "@example.com"}, {"email": ["Ensure this field has no more than 254 characters."]}),
    ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
    ({"email": "ada@"}, {"email": ["Enter a valid email address."]}),
    ({"phone": "4155550123"}, {"phone": ["Enter a phone number in E.164 format, e.g. +14155550123."]}),
    ({"phone": "+1415555012a"}, {"phone": ["This is not a valid phone number."]}),
    ({"phone": "+10000000000"}, {"phone": ["This is not a valid phone number."]}),
    ({"phone": "+1" + "5" * 20}, {"phone": ["Enter a phone number in E.164 format, e.g. +14155550123."]}),
    ({"phone": 14155550123}, {"phone": ["Must be a string."]}),
    ({"timezone": "Mars/Olympus"}, {"timezone": ["Unknown time zone 'Mars/Olympus'."]}),
    ({"detail_url": "ftp://example.com/x"}, {"detail_url": ["Enter a valid http(s) URL."]}),
    ({"detail_url": "https://example.com/" + "x" * 2048}, {"detail_url": ["Enter a valid http(s) URL."]}),
    ({"shoe_size": 42}, {"shoe_size": ["Unknown field."]}),
    ({"id": 99}, {"id": ["Unknown field."]}),
    ({"email_opt_out_at": "2024-01-01T00:00:00Z"}, {"email_opt_out_at": ["Unknown field."]}),
]


def summary(errors: dict[str, list[str]]) -> str:
    return "Invalid input: " + "; ".join(f"{field}: {messages[0]}" for field, messages in errors.items())


@pytest.mark.parametrize(("body", "errors"), WRONG_VALUES)
def test_patch_is_400_naming_the_field_and_writes_nothing_when_a_value_is_wrong(api, customer, unchanged, body, errors):
    with unchanged():
        response = api.patch(f"{LIST}/{customer.pk}", body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(response, HTTPStatus.BAD_REQUEST, "invalid", summary(errors), errors)


@pytest.mark.parametrize(("body", "errors"), WRONG_VALUES)
def test_post_is_400_naming_the_field_and_writes_nothing_when_a_value_is_wrong(api, tenant, unchanged, body, errors):
    with unchanged():
        response = api.post(LIST, {"external_id": "new-1", **body}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(response, HTTPStatus.BAD_REQUEST, "invalid", summary(errors), errors)


@pytest.mark.parametrize(
    ("external_id", "message"),
    [
        ("x" * 256, "Ensure this field has no more than 255 characters."),
        ("", "This field may not be blank."),
        ("a/b", "May not contain '/' or leading/trailing spaces."),
        (42, "Must be a string."),
    ],
)
def test_post_is_400_when_external_id_is_unusable(api, tenant, unchanged, external_id, message):
    with unchanged():
        response = api.post(LIST, {"external_id": external_id}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"external_id": [message]}


def test_every_bad_field_is_named_when_several_are_wrong(api, customer, unchanged):
    body = {"sms_opt_out": "yes", "first_name": 123, "email": "nope", "phone": "555", "colour": "red"}

    with unchanged():
        response = api.patch(f"{LIST}/{customer.pk}", body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"colour": ["Unknown field."]}


def test_every_bad_known_field_is_named_when_no_unknown_field_is_sent(api, customer, unchanged):
    body = {"sms_opt_out": "yes", "first_name": 123, "email": "nope", "phone": "555"}

    with unchanged():
        response = api.patch(f"{LIST}/{customer.pk}", body, format="json")

    assert response.json()["errors"] == {
        "email": ["Enter a valid email address."],
        "phone": ["Enter a phone number in E.164 format, e.g. +14155550123."],
        "first_name": ["Must be a string."],
        "sms_opt_out": ["Must be a boolean (true or false)."],
    }


@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"a string"', "42", "null"])
def test_body_that_is_not_an_object_is_400_when_patched(api, customer, unchanged, raw):
    with unchanged():
        response = api.patch(f"{LIST}/{customer.pk}", raw, content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"smsOptOut": "yes"}, ["data.smsOptOut: Must be a boolean (true or false)."]),
        ({"smsOptOut": 1}, ["data.smsOptOut: Must be a boolean (true or false)."]),
        ({"smsOptOut": None}, ["data.smsOptOut: This field may not be null."]),
        ({"firstName": 123}, ["data.firstName: Must be a string."]),
        ({"firstName": "x" * 151}, ["data.firstName: Ensure this field has no more than 150 characters."]),
        ({"email": "not-an-email"}, ["data.email: Enter a valid email address."]),
        ({"phone": "+1 (415) 555-01"}, ["data.phone: This is not a valid phone number."]),
        (
            {"createdAt": "last tuesday"},
            [
                "data.createdAt: Datetime has wrong format. Use one of these formats instead: "
                "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
            ],
        ),
        ({"customerId": "x" * 256}, ["data.customerId: Ensure this field has no more than 255 characters."]),
    ],
)
def test_reach_post_is_400_in_reach_envelope_when_a_value_is_wrong(api, tenant, unchanged, data, errors):
    with unchanged():
        response = api.post(REACH, {"data": {"customerId": "new-1", **data}}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(f"Invalid input: {errors[0]}", errors)


def test_reach_malformed_json_is_400_in_reach_envelope_when_patched(api, customer, unchanged):
    with unchanged():
        response = api.patch(f"{REACH}/cust-1", '{"data": {"firstName": "A"', content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["success"] is False
    assert body["message"].startswith("JSON parse error")
    assert body["errors"] == []


def test_reach_malformed_xml_is_400_in_reach_envelope_when_patched(api, customer, unchanged):
    with unchanged():
        response = api.patch(f"{REACH}/cust-1", "<root><data><firstName>A</data>", content_type="application/xml")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["message"].startswith("XML parse error")


def test_xml_entity_bomb_is_400_and_writes_nothing_when_creating(api, tenant, unchanged):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><root><external_id>bomb</external_id>'
        "<first_name>&c;</first_name></root>"
    )

    with unchanged():
        response = api.post(LIST, bomb, content_type="application/xml")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "parse_error"


def test_over_size_body_is_413_and_writes_nothing_when_creating_on_reach(api, tenant, settings, unchanged):
    settings.PREFCENTER_MAX_BODY_BYTES = 64
    body = '{"data": {"customerId": "big", "firstName": "' + "y" * 100 + '"}}'

    with unchanged():
        response = api.post(REACH, body, content_type="application/json")

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["success"] is False


@pytest.mark.parametrize("raw_id", ["abc", "12a", "-3"])
def test_non_digit_id_is_404_and_writes_nothing_when_patched(api, customer, unchanged, raw_id):
    with unchanged():
        response = api.patch(f"{LIST}/{raw_id}", {"first_name": "X"}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "not_found", "Not found.")


def test_another_tenants_external_id_is_404_and_untouched_when_deleted_on_reach(api, other_tenant, unchanged):
    make_customer(other_tenant, "theirs")

    with unchanged():
        response = api.delete(f"{REACH}/theirs")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == reach_not_found("Customer 'theirs' not found.")


def test_customer_mode_touching_another_customer_is_404_and_writes_nothing_when_patched(
    tenant, customer, client_for, unchanged
):
    other = make_customer(tenant, "cust-2")
    client = client_for(make_api_key(tenant, mode="customer", customer="cust-1")[1])

    with unchanged():
        teamup = client.patch(f"{LIST}/{other.pk}", {"sms_opt_out": False}, format="json")
        reach = client.patch(f"{REACH}/cust-2", {"data": {"smsOptOut": False}}, format="json")

    assert teamup.status_code == HTTPStatus.NOT_FOUND
    assert teamup.json() == api_error(teamup, HTTPStatus.NOT_FOUND, "not_found", "Not found.")
    assert reach.status_code == HTTPStatus.NOT_FOUND
    assert reach.json() == reach_not_found("Not found.")


def test_bad_input_never_answers_html_when_it_fails(api, customer):
    responses = [
        api.patch(f"{LIST}/{customer.pk}", "{", content_type="application/json"),
        api.patch(f"{LIST}/x", {}, format="json"),
        api.patch(f"{REACH}/cust-1", "<", content_type="application/xml"),
        api.get(f"{LIST}?page=abc"),
    ]

    for response in responses:
        assert response["Content-Type"].startswith("application/json"), response
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
