"""TeamUp customer profiles: /api/v2/customers and /api/v2/customers/{id}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from customers.models import Customer
from tests.factories import make_customer
from tests.prefcenter.envelopes import api_error, is_json

LIST = "/api/v2/customers"


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def profile(customer: Customer) -> dict:
    """A TeamUp customer profile, built from the stored row."""
    customer.refresh_from_db()
    return {
        "id": customer.pk,
        "object": "customer",
        "external_id": customer.external_id,
        "email": customer.email,
        "phone": customer.phone,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "locale": customer.locale,
        "timezone": customer.timezone,
        "email_opt_out": customer.email_opt_out,
        "email_opt_out_at": iso(customer.email_opt_out_at),
        "sms_opt_out": customer.sms_opt_out,
        "sms_opt_out_at": iso(customer.sms_opt_out_at),
        "detail_url": customer.detail_url,
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
    }


def page(*customers: Customer) -> dict:
    return {"count": len(customers), "next": None, "previous": None, "results": [profile(c) for c in customers]}


# --------------------------------------------------------------------------- list and filters


@pytest.fixture
def people(tenant, other_tenant):
    ada = make_customer(tenant, "ada", email="ada@example.com", first_name="Ada", last_name="Lovelace")
    grace = make_customer(tenant, "grace", email="Grace@Navy.mil", first_name="Grace", last_name="Hopper")
    alan = make_customer(tenant, "alan", email="alan@example.com", first_name="Alan", last_name="Turing")
    make_customer(other_tenant, "ada", email="ada@example.com", first_name="Ada", last_name="Other")
    Customer.objects.filter(pk=ada.pk).update(created_at=datetime(2024, 1, 1, tzinfo=UTC))
    Customer.objects.filter(pk=grace.pk).update(created_at=datetime(2024, 6, 1, tzinfo=UTC))
    Customer.objects.filter(pk=alan.pk).update(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    return ada, grace, alan


def test_list_answers_the_tenants_customers_only_when_unfiltered(api, people):
    ada, grace, alan = people

    response = api.get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == page(ada, grace, alan)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"email": "grace@navy.mil"}, ["grace"]),
        ({"email": "nobody@example.com"}, []),
        ({"external_id": "alan"}, ["alan"]),
        ({"external_id": "Alan"}, []),
        ({"created_after": "2024-06-01T00:00:00Z"}, ["grace", "alan"]),
        ({"created_before": "2024-06-01T00:00:00Z"}, ["ada"]),
        ({"created_after": "2024-02-01T00:00:00Z", "created_before": "2024-12-31T00:00:00Z"}, ["grace"]),
        ({"search": "hop"}, ["grace"]),
        ({"search": "example.com"}, ["ada", "alan"]),
        ({"search": "AL"}, ["alan"]),
        ({"search": "ada", "created_after": "2024-03-01T00:00:00Z"}, []),
    ],
)
def test_list_filters_customers_when_a_filter_is_given(api, people, query, expected):
    response = api.get(LIST, query)

    assert response.status_code == HTTPStatus.OK
    assert [row["external_id"] for row in response.json()["results"]] == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"created_after": "yesterday"}, {"created_after": ["Enter a valid date/time."]}),
        ({"created_before": "2024-13-45"}, {"created_before": ["Enter a valid date/time."]}),
    ],
)
def test_list_is_400_naming_the_filter_when_its_value_is_invalid(api, people, query, errors):
    response = api.get(LIST, query)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid",
        f"Invalid input: {next(iter(errors))}: {next(iter(errors.values()))[0]}",
        errors,
    )


# --------------------------------------------------------------------------- create


def test_post_creates_customer_with_every_field_when_given(api, tenant):
    body = {
        "external_id": "new-1",
        "email": "New@Example.COM",
        "phone": "+442071838750",
        "first_name": "Mary",
        "last_name": "Somerville",
        "locale": "en-GB",
        "timezone": "Europe/London",
        "email_opt_out": False,
        "sms_opt_out": False,
        "detail_url": "https://crm.example.com/c/new-1",
    }

    response = api.post(LIST, body, format="json")

    customer = Customer.objects.get(tenant=tenant, external_id="new-1")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json() == profile(customer)
    assert customer.email == "New@example.com"
    assert customer.sms_opt_out is False


def test_post_applies_documented_defaults_when_opt_outs_are_absent(api, tenant):
    response = api.post(LIST, {"external_id": "new-2"}, format="json")

    customer = Customer.objects.get(tenant=tenant, external_id="new-2")
    assert response.status_code == HTTPStatus.CREATED
    assert (response.json()["email_opt_out"], response.json()["sms_opt_out"]) == (False, True)
    assert (customer.email_opt_out, customer.sms_opt_out) == (False, True)


def test_post_generates_an_external_id_when_none_is_given(api, tenant):
    response = api.post(LIST, {"first_name": "Anon"}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    external_id = response.json()["external_id"]
    assert len(external_id) == 32
    assert Customer.objects.get(tenant=tenant, external_id=external_id).first_name == "Anon"


def test_post_is_409_when_external_id_exists_in_the_tenant(api, customer, unchanged):
    with unchanged():
        response = api.post(LIST, {"external_id": "cust-1"}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == api_error(
        response,
        HTTPStatus.CONFLICT,
        "conflict",
        "A customer with external id 'cust-1' already exists.",
        {"external_id": ["Already exists in this tenant."]},
    )


# --------------------------------------------------------------------------- retrieve, patch, delete


def test_get_answers_the_profile_when_customer_exists(api, customer):
    response = api.get(f"{LIST}/{customer.pk}")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == profile(customer)


def test_patch_changes_only_given_fields_when_partial(api, customer):
    response = api.patch(f"{LIST}/{customer.pk}", {"phone": "+1 415 555 0123", "locale": "fr"}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == profile(customer)
    assert (customer.phone, customer.locale, customer.first_name, customer.email) == (
        "+14155550123",
        "fr",
        "Ada",
        "ada@example.com",
    )


def test_patch_clears_a_contact_point_when_given_an_empty_string(api, customer):
    response = api.patch(f"{LIST}/{customer.pk}", {"email": ""}, format="json")

    assert response.status_code == HTTPStatus.OK
    customer.refresh_from_db()
    assert customer.email == ""


def test_patch_accepts_the_same_external_id_when_unchanged(api, customer):
    response = api.patch(f"{LIST}/{customer.pk}", {"external_id": "cust-1", "last_name": "King"}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["last_name"] == "King"


def test_patch_is_400_when_external_id_would_change(api, customer, unchanged):
    with unchanged():
        response = api.patch(f"{LIST}/{customer.pk}", {"external_id": "cust-2"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == api_error(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid",
        "external_id cannot be changed.",
        {"external_id": ["Cannot be changed once set."]},
    )


def test_delete_removes_the_customer_when_it_exists(api, customer):
    response = api.delete(f"{LIST}/{customer.pk}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert api.get(f"{LIST}/{customer.pk}").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_id_is_404_when_addressed(api, customer, unchanged, method):
    with unchanged():
        response = getattr(api, method)(f"{LIST}/{customer.pk + 1000}", {"first_name": "X"}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "not_found", "Not found.")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("raw_id", ["abc", "1.0", "-1", "1e3", "%20"])
def test_non_digit_id_is_json_404_when_addressed(api, customer, unchanged, method, raw_id):
    with unchanged():
        response = getattr(api, method)(f"{LIST}/{raw_id}", {"first_name": "X"}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert is_json(response)
    assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "not_found", "Not found.")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_another_tenants_id_is_404_and_untouched_when_addressed(api, other_tenant, unchanged, method):
    theirs = make_customer(other_tenant, "theirs")

    with unchanged():
        response = getattr(api, method)(f"{LIST}/{theirs.pk}", {"first_name": "X"}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == api_error(response, HTTPStatus.NOT_FOUND, "not_found", "Not found.")


def test_timestamps_are_reported_when_opt_outs_flip(api, customer):
    response = api.patch(f"{LIST}/{customer.pk}", {"email_opt_out": True}, format="json")

    body = response.json()
    assert body["email_opt_out"] is True
    assert body["email_opt_out_at"] is not None
    stamped = datetime.fromisoformat(body["email_opt_out_at"].replace("Z", "+00:00"))
    assert stamped > datetime.now(UTC) - timedelta(minutes=1)
    assert body["sms_opt_out_at"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0903-08-07T06:45:28-19:13", HTTPStatus.OK),  # an offset PostgreSQL refuses, converted to UTC first
        ("0001-01-01T00:00:00+05:00", HTTPStatus.BAD_REQUEST),  # before year 1 in UTC
        ("not-a-date", HTTPStatus.BAD_REQUEST),
    ],
)
def test_created_after_is_normalized_or_refused_when_unusual(api, customer, value, expected):
    response = api.get("/api/v2/customers", {"created_after": value})
    assert response.status_code == expected
    if expected == HTTPStatus.BAD_REQUEST:
        assert "created_after" in response.json()["errors"]
