"""One authentication class on every API route: Token, ApiKey, Bearer key, Bearer JWT; everything else is a 401."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.utils import timezone

from prefcenter.models import ApiKey
from tests.factories import make_api_key, make_customer, make_customer_token
from tests.prefcenter.envelopes import api_error, reach_error

WWW_AUTHENTICATE = 'Bearer realm="prefcenter", Token, ApiKey'
LIST = "/api/v2/customers"
REACH = "/api/resources/customers/cust-1"


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "ApiKey", "token", "BEARER", "apikey"])
def test_api_key_authenticates_when_sent_with_any_accepted_scheme(customer, client_for, provider_key, scheme):
    response = client_for(provider_key, scheme=scheme).get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert [row["external_id"] for row in response.json()["results"]] == ["cust-1"]


def test_api_key_records_last_use_when_it_authenticates(tenant, client_for):
    key, raw = make_api_key(tenant)
    assert key.last_used_at is None

    client_for(raw).get(LIST)

    key.refresh_from_db()
    assert key.last_used_at is not None
    assert timezone.now() - key.last_used_at < timedelta(minutes=1)


def test_customer_jwt_authenticates_in_customer_mode_when_bearer(tenant, customer, client_for):
    make_customer(tenant, "cust-2")
    token = make_customer_token(tenant, "cust-1")

    response = client_for(token, scheme="Bearer").get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert [row["external_id"] for row in response.json()["results"]] == ["cust-1"]


def test_customer_jwt_carries_its_tenant_when_claim_names_it(tenant, other_tenant, client_for):
    """The `tenant` claim picks the signing secret; the other tenant's same external id is never seen."""
    make_customer(other_tenant, "cust-1", first_name="Other")
    make_customer(tenant, "cust-1", first_name="Mine")
    token = make_customer_token(tenant, "cust-1")

    response = client_for(token, scheme="Bearer").get(REACH)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["data"]["result"]["data"]["firstName"] == "Mine"


def test_customer_jwt_uses_header_tenant_when_claim_is_absent(tenant, customer, client_for):
    now = timezone.now()
    token = jwt.encode({"sub": "cust-1", "exp": now + timedelta(minutes=5)}, tenant.jwt_secret, algorithm="HS256")

    response = client_for(token, scheme="Bearer", HTTP_TEAMUP_PROVIDER_ID="acme").get(REACH)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["data"]["result"]["resourceExternalId"] == "cust-1"


def _assert_401(response, detail: str, code: str = "authentication_failed") -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert response.json() == api_error(response, HTTPStatus.UNAUTHORIZED, code, detail)


def test_request_is_401_when_authorization_is_missing(customer, client_for):
    response = client_for(None).get(LIST)

    _assert_401(response, "Authentication credentials were not provided.", code="not_authenticated")


MALFORMED = "Malformed Authorization header. Use 'Token <key>', 'ApiKey <key>' or 'Bearer <key or JWT>'."


@pytest.mark.parametrize(
    "header",
    ["Token", "Bearer ", "Basic dXNlcjpwYXNz", "Token two words", "pc_just_a_key_without_scheme"],
)
def test_request_is_401_when_authorization_is_malformed(customer, header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(LIST)

    _assert_401(response, MALFORMED)


def test_request_is_401_when_key_is_unknown(customer, client_for):
    response = client_for("pc_this_key_was_never_issued").get(LIST)

    _assert_401(response, "Invalid API key.")


def test_request_is_401_when_key_is_revoked(tenant, customer, client_for):
    _, raw = make_api_key(tenant)
    ApiKey.objects.update(revoked_at=timezone.now())

    response = client_for(raw).get(LIST)

    _assert_401(response, "This API key has been revoked.")


def test_request_is_401_when_key_has_expired(tenant, customer, client_for):
    _, raw = make_api_key(tenant, expires_at=timezone.now() - timedelta(seconds=1))

    response = client_for(raw).get(LIST)

    _assert_401(response, "This API key has expired.")


def test_key_still_works_when_expiry_is_in_the_future(tenant, customer, client_for):
    _, raw = make_api_key(tenant, expires_at=timezone.now() + timedelta(hours=1))

    assert client_for(raw).get(LIST).status_code == HTTPStatus.OK


def test_request_is_401_when_jwt_has_expired(tenant, customer, client_for):
    token = make_customer_token(tenant, "cust-1", ttl_seconds=-60)

    response = client_for(token, scheme="Bearer").get(LIST)

    _assert_401(response, "Token has expired.")


def test_request_is_401_when_jwt_signature_is_tampered(tenant, customer, client_for):
    token = make_customer_token(tenant, "cust-1")
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"

    response = client_for(tampered, scheme="Bearer").get(LIST)

    _assert_401(response, "Invalid token: Signature verification failed.")


def test_request_is_401_when_jwt_is_signed_with_another_tenants_secret(tenant, other_tenant, customer, client_for):
    now = timezone.now()
    forged = jwt.encode(
        {"sub": "cust-1", "tenant": "acme", "exp": now + timedelta(minutes=5)},
        other_tenant.jwt_secret,
        algorithm="HS256",
    )

    response = client_for(forged, scheme="Bearer").get(LIST)

    _assert_401(response, "Invalid token: Signature verification failed.")


def test_request_is_401_when_jwt_payload_is_rewritten_to_another_customer(tenant, customer, client_for):
    make_customer(tenant, "cust-2")
    good = make_customer_token(tenant, "cust-1")
    other = make_customer_token(tenant, "cust-2")
    spliced = ".".join([good.split(".")[0], other.split(".")[1], good.split(".")[2]])

    response = client_for(spliced, scheme="Bearer").get(LIST)

    _assert_401(response, "Invalid token: Signature verification failed.")


def test_request_is_401_when_jwt_has_no_exp(tenant, customer, client_for):
    token = jwt.encode({"sub": "cust-1", "tenant": "acme"}, tenant.jwt_secret, algorithm="HS256")

    response = client_for(token, scheme="Bearer").get(LIST)

    _assert_401(response, 'Invalid token: Token is missing the "exp" claim.')


def test_request_is_401_when_jwt_uses_alg_none(tenant, customer, client_for):
    now = timezone.now()
    token = jwt.encode({"sub": "cust-1", "tenant": "acme", "exp": now + timedelta(minutes=5)}, None, algorithm="none")

    response = client_for(token, scheme="Bearer").get(LIST)

    _assert_401(response, "Invalid token: The specified alg value is not allowed.")


def test_request_is_401_when_jwt_names_no_known_tenant(tenant, customer, client_for):
    now = timezone.now()
    token = jwt.encode(
        {"sub": "cust-1", "tenant": "nobody", "exp": now + timedelta(minutes=5)}, "x" * 32, algorithm="HS256"
    )

    response = client_for(token, scheme="Bearer").get(LIST)

    _assert_401(response, "Token does not name a known tenant.")


def test_request_is_401_when_bearer_looks_like_jwt_but_is_garbage(customer, client_for):
    response = client_for("not.a.jwt", scheme="Bearer").get(LIST)

    _assert_401(response, "Malformed token.")


def test_reach_route_answers_401_in_reach_envelope_when_key_is_unknown(customer, client_for):
    response = client_for("pc_unknown").get(REACH)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert response.json() == reach_error("Invalid API key.")


def test_reach_route_answers_401_in_reach_envelope_when_credentials_are_missing(customer, client_for):
    response = client_for(None).patch(REACH, {"data": {"firstName": "X"}}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == WWW_AUTHENTICATE
    assert response.json() == reach_error("Authentication credentials were not provided.")


def test_unauthenticated_write_changes_nothing_when_key_is_revoked(tenant, customer, client_for, unchanged):
    key, raw = make_api_key(tenant)
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())

    with unchanged():
        response = client_for(raw).patch(f"{LIST}/{customer.pk}", {"first_name": "Eve"}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
