"""Tenant selection (TeamUp-Provider-ID / reach-tenant-id) and request mode (Teamup-Request-Mode)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.factories import make_api_key, make_customer, make_customer_token
from tests.prefcenter.envelopes import api_error, reach_error, reach_not_found

LIST = "/api/v2/customers"
TENANT_REQUIRED = (
    "This credential reaches several tenants: name one with the TeamUp-Provider-ID or reach-tenant-id header."
)


@pytest.fixture
def platform_key(db) -> str:
    return make_api_key(None)[1]


@pytest.fixture
def both_customers(tenant, other_tenant):
    return make_customer(tenant, "acme-1"), make_customer(other_tenant, "globex-1")


def _external_ids(response) -> list[str]:
    return [row["external_id"] for row in response.json()["results"]]


@pytest.mark.parametrize("header", ["HTTP_TEAMUP_PROVIDER_ID", "HTTP_REACH_TENANT_ID"])
def test_platform_key_reaches_tenant_when_header_names_its_slug(both_customers, client_for, platform_key, header):
    acme = client_for(platform_key, **{header: "acme"}).get(LIST)
    globex = client_for(platform_key, **{header: "globex"}).get(LIST)

    assert acme.status_code == globex.status_code == HTTPStatus.OK
    assert _external_ids(acme) == ["acme-1"]
    assert _external_ids(globex) == ["globex-1"]


@pytest.mark.parametrize("header", ["HTTP_TEAMUP_PROVIDER_ID", "HTTP_REACH_TENANT_ID"])
def test_platform_key_reaches_tenant_when_header_names_its_id(
    both_customers, other_tenant, client_for, platform_key, header
):
    response = client_for(platform_key, **{header: str(other_tenant.pk)}).get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert _external_ids(response) == ["globex-1"]


def test_platform_key_reaches_reach_route_when_reach_tenant_id_is_sent(both_customers, client_for, platform_key):
    response = client_for(platform_key, HTTP_REACH_TENANT_ID="globex").get("/api/resources/customers/globex-1")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["data"]["result"]["resourceExternalId"] == "globex-1"


def test_platform_key_is_400_when_no_tenant_header(both_customers, client_for, platform_key):
    response = client_for(platform_key).get(LIST)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "tenant_required",
        TENANT_REQUIRED,
        {"TeamUp-Provider-ID": ["This header is required for platform credentials."]},
    )


def test_platform_key_is_400_in_reach_envelope_when_no_tenant_header_on_reach_route(
    both_customers, client_for, platform_key
):
    response = client_for(platform_key).get("/api/resources/customers/acme-1")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == reach_error(
        TENANT_REQUIRED, ["TeamUp-Provider-ID: This header is required for platform credentials."]
    )


@pytest.mark.parametrize("value", ["initech", "999999", "acme-corp", "-1"])
def test_platform_key_is_404_when_tenant_is_unknown(both_customers, client_for, platform_key, value):
    response = client_for(platform_key, HTTP_TEAMUP_PROVIDER_ID=value).get(LIST)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "tenant_not_found", "Tenant not found.")


def test_tenant_key_is_404_when_header_names_another_tenant(both_customers, other_tenant, client_for, provider_key):
    by_slug = client_for(provider_key, HTTP_TEAMUP_PROVIDER_ID="globex").get(LIST)
    by_id = client_for(provider_key, HTTP_REACH_TENANT_ID=str(other_tenant.pk)).get(LIST)

    for response in (by_slug, by_id):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "tenant_not_found", "Tenant not found.")


def test_tenant_key_is_404_in_reach_envelope_when_header_names_another_tenant(both_customers, client_for, provider_key):
    response = client_for(provider_key, HTTP_REACH_TENANT_ID="globex").get("/api/resources/customers/globex-1")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == reach_not_found("Tenant not found.")


def test_tenant_key_works_when_header_names_its_own_tenant(both_customers, tenant, client_for, provider_key):
    by_slug = client_for(provider_key, HTTP_TEAMUP_PROVIDER_ID="acme").get(LIST)
    by_id = client_for(provider_key, HTTP_TEAMUP_PROVIDER_ID=str(tenant.pk)).get(LIST)

    assert _external_ids(by_slug) == _external_ids(by_id) == ["acme-1"]


def test_customer_jwt_is_404_when_header_names_another_tenant(both_customers, tenant, client_for):
    token = make_customer_token(tenant, "acme-1")

    response = client_for(token, scheme="Bearer", HTTP_TEAMUP_PROVIDER_ID="globex").get(LIST)

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_tenant_key_never_sees_another_tenants_customer_when_id_is_guessed(both_customers, client_for, provider_key):
    _, globex_customer = both_customers

    response = client_for(provider_key).get(f"{LIST}/{globex_customer.pk}")

    assert response.status_code == HTTPStatus.NOT_FOUND


# --------------------------------------------------------------------------- request mode

MODE_REQUIRED = "This credential may act in customer or provider mode: say which with the Teamup-Request-Mode header."


@pytest.fixture
def both_modes_key(tenant, customer) -> str:
    make_customer(tenant, "cust-2")
    return make_api_key(tenant, mode="both", customer="cust-1")[1]


def test_mode_header_is_required_when_key_allows_both_modes(both_modes_key, client_for):
    response = client_for(both_modes_key).get(LIST)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "mode_required",
        MODE_REQUIRED,
        {"Teamup-Request-Mode": ["This header is required for this credential."]},
    )


def test_mode_header_is_400_when_value_is_not_a_mode(both_modes_key, client_for):
    response = client_for(both_modes_key, HTTP_TEAMUP_REQUEST_MODE="admin").get(LIST)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid",
        "Teamup-Request-Mode must be 'customer' or 'provider'.",
        {"Teamup-Request-Mode": ["'admin' is not one of: customer, provider."]},
    )


@pytest.mark.parametrize(
    ("mode", "expected"), [("customer", ["cust-1"]), ("provider", ["cust-1", "cust-2"]), ("Customer", ["cust-1"])]
)
def test_mode_header_selects_mode_when_key_allows_both(both_modes_key, client_for, mode, expected):
    response = client_for(both_modes_key, HTTP_TEAMUP_REQUEST_MODE=mode).get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert _external_ids(response) == expected


def test_mode_header_is_403_when_key_does_not_allow_that_mode(customer, client_for, provider_key):
    response = client_for(provider_key, HTTP_TEAMUP_REQUEST_MODE="customer").get(LIST)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == api_error(
        response, HTTPStatus.FORBIDDEN, "permission_denied", "This credential may not act in customer mode."
    )


def test_customer_jwt_is_403_when_it_asks_for_provider_mode(tenant, customer, client_for):
    token = make_customer_token(tenant, "cust-1")

    response = client_for(token, scheme="Bearer", HTTP_TEAMUP_REQUEST_MODE="provider").get(LIST)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"] == "This credential may not act in provider mode."


@pytest.fixture
def customer_mode(tenant, customer, client_for):
    """A customer-mode key for cust-1, with cust-2 next door."""
    other = make_customer(tenant, "cust-2", first_name="Other")
    raw = make_api_key(tenant, mode="customer", customer="cust-1")[1]
    return client_for(raw), customer, other


def test_customer_mode_lists_only_its_customer_when_filters_name_another(customer_mode):
    client, _, _other = customer_mode

    everything = client.get(LIST)
    filtered = client.get(LIST, {"external_id": "cust-2"})
    searched = client.get(LIST, {"search": "Other"})

    assert _external_ids(everything) == ["cust-1"]
    assert filtered.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert searched.json()["results"] == []


def test_customer_mode_is_404_when_reading_another_customer(customer_mode):
    client, _, other = customer_mode

    teamup = client.get(f"{LIST}/{other.pk}")
    reach = client.get("/api/resources/customers/cust-2")

    assert teamup.status_code == HTTPStatus.NOT_FOUND
    assert teamup.json() == api_error(teamup, HTTPStatus.NOT_FOUND, "not_found", "Not found.")
    assert reach.status_code == HTTPStatus.NOT_FOUND
    assert reach.json() == reach_not_found("Not found.")


def test_customer_mode_is_404_and_writes_nothing_when_patching_another_customer(customer_mode, unchanged):
    client, _, other = customer_mode

    with unchanged():
        teamup = client.patch(f"{LIST}/{other.pk}", {"first_name": "Mallory"}, format="json")
        reach = client.patch("/api/resources/customers/cust-2", {"data": {"firstName": "Mallory"}}, format="json")

    assert teamup.status_code == HTTPStatus.NOT_FOUND
    assert reach.status_code == HTTPStatus.NOT_FOUND


def test_customer_mode_reads_and_patches_its_own_customer_when_allowed(customer_mode):
    client, own, _ = customer_mode

    response = client.patch(f"{LIST}/{own.pk}", {"first_name": "Augusta"}, format="json")
    reach = client.get("/api/resources/customers/cust-1")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["first_name"] == "Augusta"
    assert reach.json()["data"]["result"]["data"]["firstName"] == "Augusta"


PROVIDER_ONLY = "This operation is only available in provider mode."


def test_customer_mode_is_403_when_creating_customers(customer_mode, unchanged):
    client, _, _ = customer_mode

    with unchanged():
        teamup = client.post(LIST, {"external_id": "cust-9"}, format="json")
        reach = client.post("/api/resources/customers", {"data": {"customerId": "cust-9"}}, format="json")

    assert teamup.status_code == HTTPStatus.FORBIDDEN
    assert teamup.json() == api_error(teamup, HTTPStatus.FORBIDDEN, "permission_denied", PROVIDER_ONLY)
    assert reach.status_code == HTTPStatus.FORBIDDEN
    assert reach.json() == reach_error(PROVIDER_ONLY)


def test_customer_mode_is_403_when_deleting_even_its_own_customer(customer_mode, unchanged):
    client, own, other = customer_mode

    with unchanged():
        own_teamup = client.delete(f"{LIST}/{own.pk}")
        other_teamup = client.delete(f"{LIST}/{other.pk}")
        own_reach = client.delete("/api/resources/customers/cust-1")

    assert own_teamup.status_code == other_teamup.status_code == own_reach.status_code == HTTPStatus.FORBIDDEN


def test_customer_jwt_is_limited_to_its_customer_when_listing(customer_mode, tenant, client_for):
    token = make_customer_token(tenant, "cust-2")

    response = client_for(token, scheme="Bearer").get(LIST)

    assert _external_ids(response) == ["cust-2"]


@pytest.mark.parametrize("value", ["", "   "])
def test_mode_header_is_400_when_sent_empty(value, provider_key, client_for, unchanged):
    """An empty header is not an absent one: the schema's enum (customer, provider) has no empty value."""
    with unchanged():
        response = client_for(provider_key, HTTP_TEAMUP_REQUEST_MODE=value).post(
            LIST, {"external_id": "empty-mode"}, format="json"
        )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid",
        "Teamup-Request-Mode must be 'customer' or 'provider'.",
        {"Teamup-Request-Mode": ["'' is not one of: customer, provider."]},
    )
