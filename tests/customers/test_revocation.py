"""Revoking what leaked: a customer's links and tokens, a tenant's JWT secret, and the longest a token may live."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.models import Customer
from prefcenter.models import ConsentEvent, Tenant
from selfservice.links import PURPOSE_PREFERENCES, link_token
from tests.factories import make_api_key, make_customer, make_customer_token

READ = "/api/resources/customers/cust-1"


def revoke_path(external_id: str = "cust-1") -> str:
    return f"/v1/customers/{external_id}/revoke-links"


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def as_customer(client_for, token: str):
    return client_for(token, scheme="Bearer")


def hand_signed(tenant: Tenant, **claims) -> str:
    return jwt.encode({"sub": "cust-1", "tenant": tenant.slug, **claims}, tenant.jwt_secret, algorithm="HS256")


def assert_401(response, detail: str) -> None:
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    assert response.has_header("WWW-Authenticate")
    assert response.json() == {"success": False, "message": detail, "errors": []}  # READ is a Reach route


# ---------------------------------------------------------------- the API route
def test_revoke_links_ends_earlier_links_and_tokens_and_records_it_when_called(api, customer, client, client_for):
    page = f"/p/{link_token(customer=customer, purpose=PURPOSE_PREFERENCES)}/"
    token = make_customer_token(customer.tenant, "cust-1")
    assert as_customer(client_for, token).get(READ).status_code == HTTPStatus.OK

    response = api.post(revoke_path(), {}, format="json", HTTP_X_REQUEST_ID="revoke-1")

    assert response.status_code == HTTPStatus.OK, response.content
    customer.refresh_from_db()
    assert customer.link_version == 2
    assert response.json() == {
        "external_id": "cust-1",
        "link_version": 2,
        "revoked_at": customer.updated_at.isoformat().replace("+00:00", "Z"),
    }
    event = ConsentEvent.objects.get(field="link_version")
    assert (event.old_value, event.new_value, event.source, event.request_id) == (1, 2, "api", "revoke-1")
    assert event.customer_external_id == "cust-1"
    assert event.actor.startswith("api_key:")
    assert client.get(page).status_code == HTTPStatus.GONE
    assert_401(as_customer(client_for, token).get(READ), "This token has been revoked.")
    fresh_page = f"/p/{link_token(customer=customer, purpose=PURPOSE_PREFERENCES)}/"
    assert client.get(fresh_page).status_code == HTTPStatus.OK
    assert as_customer(client_for, make_customer_token(customer.tenant, "cust-1")).get(READ).status_code == 200


def test_revoke_links_accepts_an_empty_body_when_called(api, customer):
    response = api.post(revoke_path())
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["link_version"] == 2


def test_revoke_links_is_404_and_writes_nothing_when_the_customer_is_another_tenants(other_api, customer, unchanged):
    with unchanged():
        response = other_api.post(revoke_path(), {}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_revoke_links_is_400_and_writes_nothing_when_the_body_has_unknown_fields(api, customer, unchanged):
    with unchanged():
        response = api.post(revoke_path(), {"everything": True}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"everything": ["Unknown field."]}


def test_revoke_links_is_403_naming_the_scope_when_the_key_lacks_links_create(client_for, tenant, customer, unchanged):
    key = make_api_key(tenant, scopes=["customers:read", "customers:write"])[1]
    with unchanged():
        response = client_for(key).post(revoke_path(), {}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "links:create" in response.json()["detail"]


def test_revoke_links_is_403_when_a_customer_revokes_their_own(client_for, customer, unchanged):
    token = make_customer_token(customer.tenant, "cust-1")
    with unchanged():
        response = as_customer(client_for, token).post(revoke_path(), {}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_revoking_one_customer_leaves_another_customers_tokens_working_when_called(api, customer, client_for):
    make_customer(customer.tenant, "cust-2")
    other = make_customer_token(customer.tenant, "cust-2")
    assert api.post(revoke_path("cust-1")).status_code == HTTPStatus.OK
    response = as_customer(client_for, other).get("/api/resources/customers/cust-2")
    assert response.status_code == HTTPStatus.OK


# ---------------------------------------------------------------- the version claim
def test_token_without_a_version_claim_is_refused_when_the_customer_was_revoked(api, customer, client_for):
    now = timezone.now()
    unversioned = hand_signed(customer.tenant, iat=now, exp=now + timedelta(minutes=5))
    assert as_customer(client_for, unversioned).get(READ).status_code == HTTPStatus.OK  # version 1 until revoked

    api.post(revoke_path())

    assert_401(as_customer(client_for, unversioned).get(READ), "This token has been revoked.")
    current = hand_signed(customer.tenant, iat=now, exp=now + timedelta(minutes=5), ver=2)
    assert as_customer(client_for, current).get(READ).status_code == HTTPStatus.OK


@pytest.mark.parametrize("ver", ["2", 1.5, True, None])
def test_token_is_401_when_its_version_claim_is_not_an_integer(customer, client_for, ver):
    now = timezone.now()
    token = hand_signed(customer.tenant, iat=now, exp=now + timedelta(minutes=5), ver=ver)
    assert_401(as_customer(client_for, token).get(READ), "Invalid token: the ver claim must be an integer.")


def test_token_from_a_newer_version_is_refused_when_the_customer_is_older(customer, client_for):
    now = timezone.now()
    token = hand_signed(customer.tenant, iat=now, exp=now + timedelta(minutes=5), ver=7)
    assert_401(as_customer(client_for, token).get(READ), "This token has been revoked.")


def test_minted_token_carries_the_customers_current_version_when_minted(customer):
    Customer.objects.filter(pk=customer.pk).update(link_version=5)
    claims = jwt.decode(make_customer_token(customer.tenant, "cust-1"), options={"verify_signature": False})
    assert claims["ver"] == 5


# ---------------------------------------------------------------- revoke_links command
def test_revoke_links_command_revokes_links_and_tokens_when_run(customer, client_for):
    token = make_customer_token(customer.tenant, "cust-1")

    lines = run("revoke_links", "--tenant", "acme", "--customer", "cust-1")

    assert lines == ["Revoked every link and customer token of cust-1 in acme: link version is now 2."]
    customer.refresh_from_db()
    assert customer.link_version == 2
    event = ConsentEvent.objects.get(field="link_version")
    assert (event.old_value, event.new_value, event.source, event.actor) == (1, 2, "system", "command:revoke_links")
    assert_401(as_customer(client_for, token).get(READ), "This token has been revoked.")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tenant", "nope", "--customer", "cust-1"), "Unknown tenant 'nope'."),
        (("--tenant", "acme", "--customer", "ghost"), "Tenant 'acme' has no customer 'ghost'."),
        (("--tenant", "globex", "--customer", "cust-1"), "Tenant 'globex' has no customer 'cust-1'."),
    ],
)
def test_revoke_links_command_fails_and_writes_nothing_when_the_customer_is_unknown(
    customer, other_tenant, args, message, unchanged
):
    with unchanged(), pytest.raises(CommandError, match=message):
        run("revoke_links", *args)


# ---------------------------------------------------------------- rotate_jwt_secret command
def test_rotate_jwt_secret_ends_every_token_of_the_tenant_and_prints_the_new_secret_when_run(
    tenant, other_tenant, customer, client_for
):
    old_secret = tenant.jwt_secret
    token = make_customer_token(tenant, "cust-1")
    make_customer(other_tenant, "g-1")
    other_token = make_customer_token(other_tenant, "g-1")

    lines = run("rotate_jwt_secret", "--tenant", "acme")

    tenant.refresh_from_db()
    assert lines == [
        "Rotated the JWT secret of acme: every customer token signed before now is refused.",
        tenant.jwt_secret,
    ]
    assert tenant.jwt_secret != old_secret
    assert len(tenant.jwt_secret) >= 32
    assert_401(as_customer(client_for, token).get(READ), "Invalid token: Signature verification failed.")
    assert as_customer(client_for, make_customer_token(tenant, "cust-1")).get(READ).status_code == HTTPStatus.OK
    assert as_customer(client_for, other_token).get("/api/resources/customers/g-1").status_code == HTTPStatus.OK


def test_rotate_jwt_secret_fails_when_the_tenant_is_unknown(db):
    with pytest.raises(CommandError, match=r"Unknown tenant 'nope'\."):
        run("rotate_jwt_secret", "--tenant", "nope")


# ---------------------------------------------------------------- maximum lifetime
def test_mint_customer_token_refuses_a_century_when_asked(tenant, customer):
    message = r"A customer token may live at most 86400 seconds \(PREFCENTER_CUSTOMER_TOKEN_MAX_TTL\), not {}\."
    with pytest.raises(CommandError, match=message.format(3153600000)):
        run("mint_customer_token", "--tenant", "acme", "--customer", "cust-1", "--ttl", "3153600000")
    with pytest.raises(ValueError, match=message.format(86401)):
        make_customer_token(tenant, "cust-1", ttl_seconds=86401)


def test_mint_customer_token_accepts_the_maximum_when_asked(tenant, customer, client_for):
    token = run("mint_customer_token", "--tenant", "acme", "--customer", "cust-1", "--ttl", "86400")[-1]
    assert as_customer(client_for, token).get(READ).status_code == HTTPStatus.OK


def test_token_living_longer_than_the_maximum_is_401_when_signed_elsewhere(customer, client_for):
    now = timezone.now()
    century = hand_signed(customer.tenant, iat=now, exp=now + timedelta(days=36500))
    no_iat = hand_signed(customer.tenant, exp=now + timedelta(days=2))
    message = "Token lifetime exceeds the maximum of 86400 seconds."
    assert_401(as_customer(client_for, century).get(READ), message)
    assert_401(as_customer(client_for, no_iat).get(READ), message)


def test_token_issued_in_the_future_is_401_when_it_hides_a_long_lifetime(customer, client_for):
    now = timezone.now()
    token = hand_signed(customer.tenant, iat=now + timedelta(days=365), exp=now + timedelta(days=365, minutes=5))
    response = as_customer(client_for, token).get(READ)
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_maximum_lifetime_follows_the_setting_when_configured(customer, client_for, settings):
    settings.PREFCENTER_CUSTOMER_TOKEN_MAX_TTL = 600
    now = timezone.now()
    ok = hand_signed(customer.tenant, iat=now, exp=now + timedelta(seconds=600))
    long = hand_signed(customer.tenant, iat=now, exp=now + timedelta(seconds=601))
    assert as_customer(client_for, ok).get(READ).status_code == HTTPStatus.OK
    assert_401(as_customer(client_for, long).get(READ), "Token lifetime exceeds the maximum of 600 seconds.")
    with pytest.raises(CommandError, match="at most 600 seconds"):
        run("mint_customer_token", "--tenant", "acme", "--customer", "cust-1", "--ttl", "601")
