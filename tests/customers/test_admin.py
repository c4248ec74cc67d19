"""Customer admin: tenant scoping, edits through services with the staff user in the ledger, no N+1."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from prefcenter.models import ConsentEvent
from tests.factories import make_customer
from tests.forms import form_values

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

    # Django's admin answers an object outside get_queryset with a redirect to the index ("does not exist").
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/admin/"
    assert "globex-1" not in response.content.decode()


def test_staff_cannot_change_another_tenants_customer_when_posting(client, staff_user, two_tenants, unchanged):
    _, theirs = two_tenants
    client.force_login(staff_user)

    with unchanged():
        response = client.post(change_url(theirs), {"external_id": "globex-1", "first_name": "Hacked"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/admin/"


def test_superuser_sees_every_tenants_customers_when_listed(client, superuser, two_tenants):
    client.force_login(superuser)

    response = client.get(CHANGELIST)

    assert listed(response) == {"acme-1", "globex-1"}


def test_admin_edit_writes_consent_events_as_the_staff_user_when_saved(client, staff_user, customer):
    client.force_login(staff_user)
    page = client.get(change_url(customer))
    assert page.status_code == HTTPStatus.OK
    data = form_values(page, first_name="Augusta", email_opt_out="on")

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


def test_admin_save_without_changes_writes_nothing_when_saved(client, staff_user, customer, unchanged):
    client.force_login(staff_user)
    data = form_values(client.get(change_url(customer)))

    with unchanged():
        response = client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.FOUND


def test_admin_edit_is_refused_field_by_field_when_phone_is_invalid(client, staff_user, customer, unchanged):
    client.force_login(staff_user)
    data = form_values(client.get(change_url(customer)), phone="555-0100")

    with unchanged():
        response = client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.OK
    assert "phone" in response.context["adminform"].form.errors


def test_admin_add_creates_customer_in_staff_tenant_with_ledger_when_saved(client, staff_user, tenant):
    client.force_login(staff_user)
    page = client.get("/admin/customers/customer/add/")
    data = form_values(page, external_id="added-1", first_name="Added", email="added@example.com")

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


def test_admin_add_shows_a_field_error_when_the_external_id_exists(client, staff_user, customer, unchanged):
    """Issue 12: the staff form has no tenant field, so only the service sees the clash; it was a 500."""
    client.force_login(staff_user)
    data = form_values(client.get("/admin/customers/customer/add/"), external_id=customer.external_id)

    with unchanged():
        response = client.post("/admin/customers/customer/add/", data)

    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors["external_id"] == ["Already exists in this tenant."]


# ---------------------------------------------------------------------- issue 12: the customer's page


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("(415) 555-0199", "US", "+14155550199"),
        ("415.555.0199", "US", "+14155550199"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("+14155550199", "", "+14155550199"),
    ],
)
def test_phone_is_stored_e164_when_typed_as_people_write_it(
    client, staff_user, tenant, customer, typed, region, stored
):
    tenant.default_phone_region = region
    tenant.save()
    client.force_login(staff_user)
    data = form_values(client.get(change_url(customer)), phone=typed)

    response = client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.FOUND
    customer.refresh_from_db()
    assert customer.phone == stored
    assert ConsentEvent.objects.get(customer_id=customer.pk, field="phone").new_value == stored


@pytest.mark.parametrize(("typed", "region"), [("(415) 555-0199", ""), ("555-01", "US"), ("not a phone", "US")])
def test_phone_is_refused_on_its_field_when_it_cannot_be_read(
    client, staff_user, tenant, customer, unchanged, typed, region
):
    tenant.default_phone_region = region
    tenant.save()
    client.force_login(staff_user)
    data = form_values(client.get(change_url(customer)), phone=typed)

    with unchanged():
        response = client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["adminform"].form.errors) == ["phone"]


def test_api_still_refuses_a_national_phone_when_the_tenant_has_a_region(api, customer):
    response = api.patch(f"/api/v2/customers/{customer.pk}", {"phone": "(415) 555-0199"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert api.patch(f"/api/v2/customers/{customer.pk}", {"phone": "+14155550199"}, format="json").json()[
        "phone"
    ] == "+14155550199"


def test_consent_history_lists_only_this_customers_events_newest_first_when_opened(
    client, staff_user, tenant, other_tenant, customer
):
    from customers.services import customer_update
    from prefcenter.ledger import Actor

    actor = Actor(label="crm", source="api")
    customer_update(customer=customer, actor=actor, first_name="Augusta")
    customer_update(customer=customer, actor=actor, email_opt_out=True)
    twin = make_customer(other_tenant, customer.external_id, email=customer.email)
    customer_update(customer=twin, actor=Actor(label="globex-crm", source="api"), first_name="Globex twin")
    client.force_login(staff_user)

    html = client.get(change_url(customer)).content.decode()

    history = html.split("Consent history", 1)[1]
    assert history.index("email_opt_out") < history.index("first_name")  # newest first
    assert "No → Yes" in history and "Ada → Augusta" in history and "crm" in history
    assert "Globex twin" not in html and "globex-crm" not in html
    assert f"/admin/prefcenter/consentevent/?customer_id={customer.pk}" in history


def test_filtered_ledger_shows_only_the_staff_tenants_events_when_the_link_is_followed(
    client, staff_user, tenant, other_tenant, customer
):
    from customers.services import customer_update
    from prefcenter.ledger import Actor

    twin = make_customer(other_tenant, "globex-1")
    customer_update(customer=twin, actor=Actor(label="globex-crm", source="api"), first_name="Globex twin")
    client.force_login(staff_user)

    response = client.get(f"/admin/prefcenter/consentevent/?customer_id={twin.pk}")

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == []


def test_links_page_issues_working_links_when_staff_asks(client, staff_user, customer):
    from selfservice.links import PURPOSE_PREFERENCES, link_verify

    client.force_login(staff_user)
    url = f"/admin/customers/customer/{customer.pk}/links/"
    assert client.get(url).status_code == HTTPStatus.OK

    response = client.post(url, {"action": "issue"})

    assert response.status_code == HTTPStatus.OK
    issued = response.context["issued"]
    assert issued.preferences_url in response.content.decode()
    token = issued.preferences_url.rstrip("/").rsplit("/", 1)[1]
    assert link_verify(token, purpose=PURPOSE_PREFERENCES).customer.pk == customer.pk


def test_revoke_ends_every_link_through_the_service_when_staff_confirms(client, staff_user, customer):
    from selfservice.links import PURPOSE_PREFERENCES, InvalidLink, link_token, link_verify

    token = link_token(customer=customer, purpose=PURPOSE_PREFERENCES)
    client.force_login(staff_user)

    response = client.post(f"/admin/customers/customer/{customer.pk}/links/", {"action": "revoke"})

    assert response.status_code == HTTPStatus.FOUND
    with pytest.raises(InvalidLink):
        link_verify(token, purpose=PURPOSE_PREFERENCES)
    event = ConsentEvent.objects.get(customer_id=customer.pk, field="link_version")
    assert (event.actor, event.source) == ("staff:acme-staff", "admin")


def test_revoke_action_on_the_changelist_revokes_each_selected_customer(client, staff_user, tenant, customer):
    other = make_customer(tenant, "cust-2")
    client.force_login(staff_user)

    response = client.post(CHANGELIST, {"action": "revoke_links", "_selected_action": [customer.pk, other.pk]})

    assert response.status_code == HTTPStatus.FOUND
    assert set(Customer.objects.values_list("link_version", flat=True)) == {2}


def test_links_page_of_another_tenants_customer_is_a_404_when_staff_guesses(
    client, staff_user, two_tenants, unchanged
):
    _, theirs = two_tenants
    client.force_login(staff_user)
    with unchanged():
        assert client.get(f"/admin/customers/customer/{theirs.pk}/links/").status_code == HTTPStatus.NOT_FOUND
        response = client.post(f"/admin/customers/customer/{theirs.pk}/links/", {"action": "revoke"})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_admin_frame_has_a_favicon_and_a_useful_view_site_link_when_rendered(client, staff_user):
    client.force_login(staff_user)
    html = client.get("/admin/").content.decode()
    assert '<link rel="icon" type="image/svg+xml" href="data:image/svg+xml,' in html
    assert 'href="/api/docs/"' in html
    assert client.get("/api/docs/").status_code == HTTPStatus.OK


def test_admin_edit_is_refused_on_its_field_when_external_id_would_change(
    client, staff_user, customer, unchanged
):
    """The service owns "the external id cannot change" (customer_update): the admin shows its refusal on
    the field instead of answering "changed successfully" while silently keeping the old id."""
    client.force_login(staff_user)
    data = form_values(client.get(change_url(customer)), external_id="renamed", first_name="Eve")

    with unchanged():
        response = client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.OK
    assert response.context["adminform"].form.errors["external_id"] == ["Cannot be changed once set."]
