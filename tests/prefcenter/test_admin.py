"""Foundation admin: API keys shown once and stored hashed, the ledger read-only, tenants scoped."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages

from customers.services import customer_update
from prefcenter.admin.toolkit import admin_actor
from prefcenter.ledger import Actor
from prefcenter.models import ApiKey, ConsentEvent, hash_key
from tests.factories import make_api_key, make_customer
from tests.forms import form_values

SECRET = re.compile(r"New API key \(shown once, copy it now\): (pc_\S+)")


def _secret_from_messages(response) -> str:
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    found = [SECRET.search(text) for text in texts]
    secrets = [match.group(1) for match in found if match]
    assert len(secrets) == 1, texts
    return secrets[0]


def test_api_key_secret_is_shown_once_and_only_its_hash_is_stored_when_created(
    client, superuser, tenant, customer, client_for
):
    client.force_login(superuser)
    page = client.get("/admin/prefcenter/apikey/add/")
    data = form_values(page, name="crm", tenant=str(tenant.pk), scopes=["customers:read"], allow_provider="on")

    response = client.post("/admin/prefcenter/apikey/add/", data)

    assert response.status_code == HTTPStatus.FOUND
    raw = _secret_from_messages(response)
    key = ApiKey.objects.get(name="crm")
    assert key.key_hash == hash_key(raw)
    assert key.prefix == raw[: len(key.prefix)]
    assert raw not in {str(value) for value in ApiKey.objects.filter(pk=key.pk).values().get().values()}
    # It authenticates, with the scopes chosen in the form.
    assert client_for(raw).get("/api/v2/customers").status_code == HTTPStatus.OK
    assert client_for(raw).patch(f"/api/v2/customers/{customer.pk}", {}, format="json").status_code == 403
    # The page after the save shows it; no page after that does.
    shown = client.get(response["Location"])
    assert raw in shown.content.decode()
    for path in (response["Location"], f"/admin/prefcenter/apikey/{key.pk}/change/"):
        assert raw not in client.get(path).content.decode()


def test_staff_api_key_is_bound_to_the_staff_tenant_when_created(client, staff_user, tenant):
    client.force_login(staff_user)
    page = client.get("/admin/prefcenter/apikey/add/")
    assert 'name="tenant"' not in page.content.decode()
    data = form_values(page, name="staff-key", scopes=["customers:read", "customers:write"], allow_provider="on")

    response = client.post("/admin/prefcenter/apikey/add/", data)

    assert response.status_code == HTTPStatus.FOUND
    key = ApiKey.objects.get(name="staff-key")
    assert key.tenant == tenant
    assert key.scopes == ["customers:read", "customers:write"]


def test_api_key_form_is_refused_when_customer_mode_has_no_customer(client, superuser, tenant):
    client.force_login(superuser)
    page = client.get("/admin/prefcenter/apikey/add/")
    data = form_values(page, name="bad", tenant=str(tenant.pk), scopes=["customers:read"], allow_customer="on")

    response = client.post("/admin/prefcenter/apikey/add/", data)

    assert response.status_code == HTTPStatus.OK
    assert "customer_external_id" in response.context["adminform"].form.errors
    assert not ApiKey.objects.filter(name="bad").exists()


def test_staff_sees_only_its_tenants_api_keys_when_listed(client, staff_user, tenant, other_tenant):
    make_api_key(tenant, name="ours")
    make_api_key(other_tenant, name="theirs")
    make_api_key(None, name="platform")
    client.force_login(staff_user)

    response = client.get("/admin/prefcenter/apikey/")

    assert {key.name for key in response.context["cl"].result_list} == {"ours"}


@pytest.fixture
def ledger_events(tenant, other_tenant):
    ours = make_customer(tenant, "ours", first_name="A")
    theirs = make_customer(other_tenant, "theirs", first_name="B")
    customer_update(customer=ours, actor=Actor.system("t"), first_name="A2")
    customer_update(customer=theirs, actor=Actor.system("t"), first_name="B2")
    return ConsentEvent.objects.get(customer_id=ours.pk), ConsentEvent.objects.get(customer_id=theirs.pk)


def test_consent_event_admin_lists_only_the_staff_tenants_events_when_listed(client, staff_user, ledger_events):
    client.force_login(staff_user)

    response = client.get("/admin/prefcenter/consentevent/")

    assert response.status_code == HTTPStatus.OK
    assert [event.customer_external_id for event in response.context["cl"].result_list] == ["ours"]


def test_consent_event_admin_offers_no_add_change_or_delete_when_superuser(client, superuser, ledger_events, unchanged):
    ours, _ = ledger_events
    client.force_login(superuser)

    with unchanged():
        add = client.get("/admin/prefcenter/consentevent/add/")
        view = client.get(f"/admin/prefcenter/consentevent/{ours.pk}/change/")
        post = client.post(f"/admin/prefcenter/consentevent/{ours.pk}/change/", {"new_value": '"forged"'})
        delete = client.post(f"/admin/prefcenter/consentevent/{ours.pk}/delete/", {"post": "yes"})
        bulk = client.post(
            "/admin/prefcenter/consentevent/",
            {"action": "delete_selected", "_selected_action": [ours.pk], "post": "yes"},
        )

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert view.status_code == HTTPStatus.OK
    assert 'type="submit"' not in view.content.decode().split('id="consentevent_form"')[-1].split("</form>")[0]
    assert post.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    # No delete permission leaves the changelist no action at all: the POST just renders the list again.
    assert bulk.status_code == HTTPStatus.OK
    assert ConsentEvent.objects.filter(pk=ours.pk).exists()


def test_staff_cannot_view_another_tenants_consent_event_when_guessing_its_id(client, staff_user, ledger_events):
    _, theirs = ledger_events
    client.force_login(staff_user)

    response = client.get(f"/admin/prefcenter/consentevent/{theirs.pk}/change/")

    # Django's admin answers an object outside get_queryset with a redirect to the index ("does not exist").
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/admin/"
    assert "theirs" not in response.content.decode()


def test_staff_sees_only_its_tenant_when_listing_tenants(client, staff_user, tenant, other_tenant):
    client.force_login(staff_user)

    response = client.get("/admin/prefcenter/tenant/")
    add = client.get("/admin/prefcenter/tenant/add/")

    assert [t.slug for t in response.context["cl"].result_list] == ["acme"]
    assert add.status_code == HTTPStatus.FORBIDDEN


def test_tenant_admin_never_shows_the_jwt_secret_when_viewed(client, superuser, tenant):
    client.force_login(superuser)

    response = client.get(f"/admin/prefcenter/tenant/{tenant.pk}/change/")

    assert response.status_code == HTTPStatus.OK
    assert tenant.jwt_secret not in response.content.decode()


def test_admin_actor_names_the_staff_user_when_built(rf, staff_user):
    request = rf.get("/admin/", HTTP_USER_AGENT="ua", REMOTE_ADDR="10.1.2.3")
    request.user = staff_user
    request.request_id = "rid"

    assert admin_actor(request) == Actor(
        label="staff:acme-staff", source="admin", request_id="rid", ip="10.1.2.3", user_agent="ua"
    )
