"""Customer admin: tenant scoping, edits through services with the staff user in the ledger, no N+1."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from prefcenter.models import ConsentEvent
from tests.factories import make_customer

CHANGELIST = "/admin/customers/customer/"


def change_url(customer: Customer) -> str:
    return f"/admin/customers/customer/{customer.pk}/change/"


def listed(response) -> set[str]:
    return {customer.external_id for customer in response.context["cl"].result_list}


@pytest.fixture
def two_tenants(tenant, other_tenant):
    return make_customer(tenant, "acme-1"), make_customer(other_tenant, "globex-1")


def test_staff_changelist_shows_only_its_tenants_customers_when_listed(client, staff_user, two_tenants):
    client.force_login(staff_user)

    response = client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.OK
    assert listed(response) == {"acme-1"}
    assert "globex-1" not in response.content.decode()


def test_staff_search_finds_nothing_in_another_tenant_when_searching(client, staff_user, two_tenants):
    client.force_login(staff_user)

    response = client.get(CHANGELIST, {"q": "globex"})

    assert listed(response) == set()


def test_staff_cannot_open_another_tenants_customer_when_guessing_its_id(client, staff_user, two_tenants):
    _, theirs = two_tenants
    client.force_login(staff_user)

    response = client.get(change_url(theirs))

    assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FOUND)
    if response.status_code == HTTPStatus.FOUND:
        assert response["Location"] == "/admin/"
    assert "globex-1" not in response.content.decode()


def test_staff_cannot_change_another_tenants_customer_when_posting(client, staff_user, two_tenants, unchanged):
    _, theirs = two_tenants
    client.force_login(staff_user)

    with unchanged():
        response = client.post(change_url(theirs), {"external_id": "globex-1", "first_name": "Hacked"})

    assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FOUND)


def test_superuser_sees_every_tenants_customers_when_listed(client, superuser, two_tenants):
    client.force_login(superuser)

    response = client.get(CHANGELIST)

    assert listed(response) == {"acme-1", "globex-1"}


def test_admin_edit_writes_consent_events_as_the_staff_user_when_saved(client, staff_user, customer, form_data):
    client.force_login(staff_user)
    page = client.get(change_url(customer))
    assert page.status_code == HTTPStatus.OK
    data = form_data(page, first_name="Augusta", email_opt_out="on")

    response = client.post(change_url(customer), data, HTTP_USER_AGENT="admin-browser", REMOTE_ADDR="10.0.0.7")

    assert response.status_code == HTTPStatus.FOUND, (
        response.context["adminform"].form.errors if response.context else ""
    )
    customer.refresh_from_db()
    assert (customer.first_name, customer.email_opt_out) == ("Augusta", True)
    assert customer.email_opt_out_at is not None
    recorded = list(
        ConsentEvent.objects.filter(customer_id=customer.pk).values_list(
            "field", "old_value", "new_value", "actor", "source", "ip", "user_agent"
        )
    )
    assert sorted(recorded) == [
        ("email_opt_out", False, True, "staff:acme-staff", "admin", "10.0.0.7", "admin-browser"),
        ("first_name", "Ada", "Augusta", "staff:acme-staff", "admin", "10.0.0.7", "admin-browser"),
    ]


def test_admin_save_without_changes_writes_nothing_when_saved(client, staff_user, customer, form_data, unchanged):
    client.force_login(staff_user)
    data = form_data(client.get(change_url(customer)))

    with unchanged():
        response = client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.FOUND


def test_admin_edit_is_refused_field_by_field_when_phone_is_invalid(client, staff_user, customer, form_data, unchanged):
    client.force_login(staff_user)
    data = form_data(client.get(change_url(customer)), phone="555-0100")

    with unchanged():
        response = client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.OK
    assert "phone" in response.context["adminform"].form.errors


def test_admin_add_creates_customer_in_staff_tenant_with_ledger_when_saved(client, staff_user, tenant, form_data):
    client.force_login(staff_user)
    page = client.get("/admin/customers/customer/add/")
    data = form_data(page, external_id="added-1", first_name="Added", email="added@example.com")

    response = client.post("/admin/customers/customer/add/", data)

    assert response.status_code == HTTPStatus.FOUND
    customer = Customer.objects.get(external_id="added-1")
    assert customer.tenant == tenant
    assert (customer.email_opt_out, customer.sms_opt_out) == (False, True)
    events = ConsentEvent.objects.filter(customer_id=customer.pk)
    assert {e.actor for e in events} == {"staff:acme-staff"}
    assert {e.source for e in events} == {"admin"}
    assert events.filter(field="created").exists()


def test_admin_delete_records_the_deletion_when_confirmed(client, staff_user, customer):
    client.force_login(staff_user)

    response = client.post(f"/admin/customers/customer/{customer.pk}/delete/", {"post": "yes"})

    assert response.status_code == HTTPStatus.FOUND
    assert not Customer.objects.filter(pk=customer.pk).exists()
    event = ConsentEvent.objects.get(customer_id=customer.pk, field="deleted")
    assert (event.actor, event.source) == ("staff:acme-staff", "admin")


def _changelist_queries(client, count: int, tenant) -> int:
    Customer.objects.bulk_create(
        Customer(tenant=tenant, external_id=f"bulk-{count}-{n}", email=f"b{n}@example.com") for n in range(count)
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["cl"].result_list) == Customer.objects.filter(tenant=tenant).count()
    return len(queries)


@pytest.mark.parametrize("user_fixture", ["staff_user", "superuser"])
def test_changelist_runs_a_fixed_number_of_queries_when_customers_grow(
    client, request, tenant, other_tenant, django_assert_max_num_queries, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    few = _changelist_queries(client, 5, tenant)

    Customer.objects.bulk_create(
        Customer(tenant=tenant, external_id=f"more-{n}", email=f"m{n}@example.com") for n in range(45)
    )
    with django_assert_max_num_queries(few):
        response = client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == 50
    assert few <= 12


def test_admin_add_shows_a_field_error_when_the_external_id_exists(client, staff_user, customer, form_data, unchanged):
    """Issue 12: the staff form has no tenant field, so only the service sees the clash; it was a 500."""
    client.force_login(staff_user)
    data = form_data(client.get("/admin/customers/customer/add/"), external_id=customer.external_id)

    with unchanged():
        response = client.post("/admin/customers/customer/add/", data)

    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors["external_id"] == ["Already exists in this tenant."]
