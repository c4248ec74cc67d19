"""Seed 000 (TeamUp), the parts that apply to customer profiles: `/api/v2/customers/{id}` with an integer
`id`, the `expand`/`fields`/`format` query parameters, the `TeamUp-Provider-ID` and `Teamup-Request-Mode`
headers, `Token`/`Bearer`/JWT authentication, JSON, form and multipart bodies, JSON and XML responses."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories import make_api_key, make_customer, make_customer_token

XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'


def seed_client(authorization: str, **headers: str) -> APIClient:
    """The seed's example headers: Content-Type and Accept JSON, `Authorization: Bearer <Authorization>`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization, HTTP_ACCEPT="application/json", **headers)
    return client


# Seed: "Authorization ... Use the prefix `Token ` followed by the token value." and the example's `Bearer`.
@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_patch_replays_the_seed_example_request_when_sent_with_its_headers(tenant, customer, scheme):
    _, raw = make_api_key(tenant)
    client = seed_client(f"{scheme} {raw}")

    response = client.patch(
        f"/api/v2/customers/{customer.pk}",
        '{"sms_opt_out": false, "email_opt_out": true}',
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["id"], body["object"], body["sms_opt_out"], body["email_opt_out"]) == (
        customer.pk,
        "customer",
        False,
        True,
    )


# Seed: "JWT Authentication" security scheme.
def test_customer_jwt_reads_its_profile_when_sent_as_bearer(tenant, customer):
    client = seed_client(f"Bearer {make_customer_token(tenant, 'cust-1')}")

    response = client.get(f"/api/v2/customers/{customer.pk}", {"fields": "id,external_id"})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"id": customer.pk, "external_id": "cust-1"}


# Seed: "Body Content-Type application/json application/x-www-form-urlencoded multipart/form-data".
@pytest.mark.parametrize("content", ["form", "multipart"])
def test_patch_accepts_the_seeds_other_body_content_types_when_sent(api, customer, content):
    url = f"/api/v2/customers/{customer.pk}?fields=sms_opt_out,email_opt_out"
    fields = {"sms_opt_out": "false", "email_opt_out": "true"}
    if content == "form":
        response = api.patch(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
    else:
        response = api.patch(url, fields, format="multipart")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"sms_opt_out": False, "email_opt_out": True}


# Seed: "format string Possible values: [json, xml]" and the XML example `<root>…<sms_enabled>true</sms_enabled>…`.
def test_format_xml_answers_the_seeds_xml_shape_when_client_sends_accept_json(tenant, customer):
    client = seed_client(f"Token {make_api_key(tenant)[1]}")

    response = client.get(
        f"/api/v2/customers/{customer.pk}", {"format": "xml", "fields": "id,sms_opt_out,email_opt_out"}
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.decode() == (
        f"{XML_HEAD}<root><id>{customer.pk}</id><email_opt_out>false</email_opt_out>"
        "<sms_opt_out>true</sms_opt_out></root>"
    )


def test_format_json_answers_json_when_asked(api, customer):
    response = api.get(f"/api/v2/customers/{customer.pk}", {"format": "json", "fields": "id"})

    assert response.json() == {"id": customer.pk}


# Seed: "fields ... Dot-notation can be used to select nested fields." and "expand string[]".
def test_fields_and_expand_take_comma_separated_lists_when_given(api, customer):
    response = api.get(f"/api/v2/customers/{customer.pk}", {"fields": "id,first_name,last_name"})
    unknown = api.get(f"/api/v2/customers/{customer.pk}", {"expand": "notification_preferences_x"})

    assert response.json() == {"id": customer.pk, "first_name": "Ada", "last_name": "Lovelace"}
    assert unknown.status_code == HTTPStatus.BAD_REQUEST
    assert list(unknown.json()["errors"]) == ["expand"]


# Seed: "TeamUp-Provider-ID ... Required if the access credentials have access to multiple providers."
def test_provider_header_picks_the_provider_when_credentials_reach_several(tenant, other_tenant, customer):
    theirs = make_customer(other_tenant, "g-1")
    platform = make_api_key(None)[1]

    ours = seed_client(f"Token {platform}", HTTP_TEAMUP_PROVIDER_ID=str(tenant.pk)).get(
        f"/api/v2/customers/{customer.pk}"
    )
    other = seed_client(f"Token {platform}", HTTP_TEAMUP_PROVIDER_ID=str(other_tenant.pk)).get(
        f"/api/v2/customers/{theirs.pk}"
    )
    crossed = seed_client(f"Token {platform}", HTTP_TEAMUP_PROVIDER_ID=str(tenant.pk)).get(
        f"/api/v2/customers/{theirs.pk}"
    )
    missing = seed_client(f"Token {platform}").get(f"/api/v2/customers/{customer.pk}")

    assert (ours.status_code, other.status_code) == (HTTPStatus.OK, HTTPStatus.OK)
    assert crossed.status_code == HTTPStatus.NOT_FOUND
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert list(missing.json()["errors"]) == ["TeamUp-Provider-ID"]


# Seed: "Teamup-Request-Mode ... Required if the access credentials have access to both modes."
def test_request_mode_header_is_required_and_honoured_when_credentials_allow_both(tenant, customer):
    other = make_customer(tenant, "cust-2")
    both = make_api_key(tenant, mode="both", customer="cust-1")[1]

    missing = seed_client(f"Token {both}").get(f"/api/v2/customers/{customer.pk}")
    as_customer = seed_client(f"Token {both}", HTTP_TEAMUP_REQUEST_MODE="customer")
    as_provider = seed_client(f"Token {both}", HTTP_TEAMUP_REQUEST_MODE="provider")

    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert list(missing.json()["errors"]) == ["Teamup-Request-Mode"]
    assert as_customer.get(f"/api/v2/customers/{customer.pk}").status_code == HTTPStatus.OK
    assert as_customer.get(f"/api/v2/customers/{other.pk}").status_code == HTTPStatus.NOT_FOUND
    assert as_provider.get(f"/api/v2/customers/{other.pk}").status_code == HTTPStatus.OK


# Seed: "id integer required A unique integer value identifying this provider customer profile."
@pytest.mark.parametrize("raw_id", ["abc", "1.5", "cust-1"])
def test_id_must_be_an_integer_when_addressing_a_profile(api, customer, raw_id):
    response = api.get(f"/api/v2/customers/{raw_id}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/json")


def test_seed_path_answers_without_trailing_slash_when_written_as_the_seed_does(api, customer):
    response = api.patch(f"/api/v2/customers/{customer.pk}", {"first_name": "Ada"}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert Customer.objects.get(pk=customer.pk).first_name == "Ada"
