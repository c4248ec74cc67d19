"""Erasure: DELETE /v1/customers/{external_id}?erase=true and the admin action (GDPR Art. 17)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model

from compliance.services import PERSONAL_FIELDS, REDACTED, pseudonym
from customers.models import Customer
from messaging.models import CategoryPreference
from prefcenter.ledger import Actor, events_checksum, ledger_checksum
from prefcenter.models import ConsentEvent
from subscribers.models import WorkflowPreference
from tests.factories import (
    make_api_key,
    make_category,
    make_category_preference,
    make_customer,
    make_customer_token,
    make_workflow,
    make_workflow_preference,
)

URL = "/v1/customers/{}"


@pytest.fixture
def person(api, tenant):
    body = {
        "data": {
            "customerId": "ada",
            "email": "ada@example.com",
            "phone": "+14155550123",
            "firstName": "Ada",
            "lastName": "Lovelace",
            "smsOptOut": False,
        }
    }
    assert api.post("/api/resources/customers", body, format="json").status_code == HTTPStatus.CREATED
    customer = Customer.objects.get(tenant=tenant, external_id="ada")
    patch = {"data": {"email": "ada@lovelace.example", "emailOptOut": True}}
    assert api.patch("/api/resources/customers/ada", patch, format="json").status_code == HTTPStatus.OK
    make_category_preference(customer, make_category(tenant, "news"), email_enabled=False, raw=True)
    make_workflow_preference(customer, make_workflow(tenant, "order-shipped"), sms=False)
    return customer


def test_erasure_deletes_the_person_and_pseudonymises_their_history_when_erase_is_true(api, tenant, person):
    before_ids = list(ConsentEvent.objects.filter(customer_id=person.id).values_list("id", flat=True))
    _count, checksum_before = events_checksum(ConsentEvent.objects.filter(customer_external_id="ada"))
    response = api.delete(URL.format("ada") + "?erase=true")
    assert response.status_code == HTTPStatus.OK
    alias = pseudonym(tenant=tenant, external_id="ada")
    body = response.json()
    assert body["external_id"] == "ada"
    assert body["pseudonym"] == alias
    assert body["customer_deleted"] is True
    assert body["events_pseudonymised"] == len(before_ids) + 1  # the history and the deletion event
    assert body["checksum_before"] != checksum_before  # the deletion event was added before the rewrite
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert not CategoryPreference.objects.filter(customer_id=person.id).exists()
    assert not WorkflowPreference.objects.filter(customer_id=person.id).exists()
    rows = list(ConsentEvent.objects.filter(tenant=tenant, customer_id=person.id).order_by("id"))
    assert [row.id for row in rows][: len(before_ids)] == before_ids  # kept, same ids
    assert {row.customer_external_id for row in rows} == {alias}
    assert not ConsentEvent.objects.filter(customer_external_id="ada").exists()
    text = repr([(r.actor, r.old_value, r.new_value) for r in rows])
    for secret in ("ada@example.com", "ada@lovelace.example", "+14155550123", "Ada", "Lovelace"):
        assert secret not in text
    assert {(r.field, r.new_value) for r in rows if r.field in PERSONAL_FIELDS} >= {("email", REDACTED)}
    # consent values survive as proof
    assert ("email_opt_out", False, True) in [(r.field, r.old_value, r.new_value) for r in rows]
    erased = rows[-1]
    assert (erased.subject, erased.field, erased.source) == ("customer", "erased", "api")
    assert erased.new_value == {
        "events_pseudonymised": body["events_pseudonymised"],
        "checksum_before": body["checksum_before"],
        "checksum_after": body["checksum_after"],
    }
    assert rows[-2].field == "deleted"


def test_consent_export_finds_the_pseudonymised_history_when_asked_with_the_original_id(api, tenant, person):
    count_before = ConsentEvent.objects.filter(customer_id=person.id).count()
    assert api.delete(URL.format("ada") + "?erase=true").status_code == HTTPStatus.OK
    body = api.get(URL.format("ada") + "/consent").json()
    assert body["current"] is None
    assert len(body["history"]) == count_before + 2
    assert body["history"][-1]["field"] == "erased"
    alias = pseudonym(tenant=tenant, external_id="ada")
    assert {row["customer_external_id"] for row in body["history"]} == {alias}
    assert body["checksum"]["value"] == events_checksum(ConsentEvent.objects.filter(customer_external_id=alias))[1]


def test_consent_export_shows_both_lives_when_the_external_id_is_reused_after_erasure(api, tenant, person):
    assert api.delete(URL.format("ada") + "?erase=true").status_code == HTTPStatus.OK
    new = {"data": {"customerId": "ada", "email": "new@example.com"}}
    assert api.post("/api/resources/customers", new, format="json").status_code == HTTPStatus.CREATED
    body = api.get(URL.format("ada") + "/consent").json()
    assert body["current"]["customer"]["email"] == "new@example.com"
    assert {row["customer_external_id"] for row in body["history"]} == {
        "ada",
        pseudonym(tenant=tenant, external_id="ada"),
    }


def test_pseudonym_is_stable_per_tenant_and_differs_between_tenants(tenant, other_tenant, settings):
    assert pseudonym(tenant=tenant, external_id="ada") == pseudonym(tenant=tenant, external_id="ada")
    assert pseudonym(tenant=tenant, external_id="ada") != pseudonym(tenant=other_tenant, external_id="ada")
    first = pseudonym(tenant=tenant, external_id="ada")
    settings.PREFCENTER_PSEUDONYM_KEY = "another-key"
    assert pseudonym(tenant=tenant, external_id="ada") != first


def test_erasure_pseudonymises_a_customer_deleted_earlier_when_only_the_ledger_remembers(api, tenant, person):
    assert api.delete("/api/resources/customers/ada").status_code == HTTPStatus.OK
    response = api.delete(URL.format("ada") + "?erase=true")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["customer_deleted"] is False
    assert not ConsentEvent.objects.filter(customer_external_id="ada").exists()
    assert ConsentEvent.objects.filter(customer_id=person.id, field="erased").count() == 1


def test_erasure_rewrites_only_this_customers_rows_when_others_exist(api, tenant, person):
    other = make_customer(tenant, "bob")
    _n, other_before = events_checksum(ConsentEvent.objects.filter(customer_id=other.id))
    assert api.delete(URL.format("ada") + "?erase=true").status_code == HTTPStatus.OK
    assert events_checksum(ConsentEvent.objects.filter(customer_id=other.id))[1] == other_before


def test_erasure_leaves_other_tenants_ledger_checksum_unchanged(api, tenant, other_tenant, person):
    make_customer(other_tenant, "ada")
    before = ledger_checksum(other_tenant)
    assert api.delete(URL.format("ada") + "?erase=true").status_code == HTTPStatus.OK
    assert ledger_checksum(other_tenant) == before


def test_plain_delete_keeps_the_external_id_in_the_ledger_when_erase_is_absent(api, tenant, person):
    response = api.delete(URL.format("ada"))
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert ConsentEvent.objects.filter(customer_external_id="ada", field="deleted").count() == 1


def test_erasure_is_404_with_nothing_written_when_the_customer_is_in_another_tenant(other_api, person, unchanged):
    with unchanged():
        response = other_api.delete(URL.format("ada") + "?erase=true")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_erasure_is_404_with_nothing_written_when_no_one_has_the_id(api, tenant, unchanged):
    with unchanged():
        assert api.delete(URL.format("nobody") + "?erase=true").status_code == HTTPStatus.NOT_FOUND
        assert api.delete(URL.format("nobody")).status_code == HTTPStatus.NOT_FOUND


def test_erasure_is_400_with_nothing_written_when_erase_is_not_a_boolean(api, person, unchanged):
    with unchanged():
        response = api.delete(URL.format("ada") + "?erase=maybe")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"erase": ["Must be true or false."]}


def test_erasure_is_403_naming_the_scope_with_nothing_written_when_the_key_lacks_customers_write(
    client_for, tenant, person, unchanged
):
    client = client_for(make_api_key(tenant, scopes=["customers:read", "ledger:read"])[1])
    with unchanged():
        response = client.delete(URL.format("ada") + "?erase=true")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "customers:write" in response.json()["detail"]


def test_erasure_is_403_with_nothing_written_when_a_customer_token_asks(client_for, tenant, person, unchanged):
    client = client_for(make_customer_token(tenant, "ada"), scheme="Bearer")
    with unchanged():
        assert client.delete(URL.format("ada") + "?erase=true").status_code == HTTPStatus.FORBIDDEN


def test_ledger_rows_stay_append_only_when_not_erasing(person):
    with pytest.raises(PermissionError):
        ConsentEvent.objects.filter(customer_id=person.id).update(customer_external_id="x")


def test_admin_erase_action_erases_the_selected_customers(client, tenant, person):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    response = client.post(
        "/admin/customers/customer/",
        {"action": "erase_customers", "_selected_action": [person.pk]},
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    assert b"Erased 1 customer(s)" in response.content
    assert not Customer.objects.filter(pk=person.pk).exists()
    erased = ConsentEvent.objects.filter(customer_id=person.id).order_by("id").last()
    assert (erased.field, erased.source, erased.actor) == ("erased", "admin", "staff:root")
    assert erased.customer_external_id == pseudonym(tenant=tenant, external_id="ada")


def test_erasure_service_keeps_the_actor_and_source_when_called_directly(tenant, person):
    from compliance.services import customer_erase

    erasure = customer_erase(tenant=tenant, external_id="ada", actor=Actor(label="dpo", source="system"))
    assert erasure.customer_deleted is True
    assert ConsentEvent.objects.filter(customer_id=person.id, field="erased", actor="dpo").exists()


def test_erasure_removes_the_person_from_actor_labels_when_they_acted_themself_or_by_sms(
    client_for, api, tenant, person, send_sms
):
    from compliance.models import SmsSettings

    SmsSettings.objects.create(tenant=tenant, inbound_number="+14155550100")
    assert send_sms("please STOP").status_code == HTTPStatus.OK
    own = client_for(make_customer_token(tenant, "ada"), scheme="Bearer")
    assert own.patch("/api/resources/customers/ada", {"data": {"emailOptOut": False}}, format="json").status_code == 200
    labels = set(ConsentEvent.objects.filter(customer_id=person.id).values_list("actor", flat=True))
    assert "customer:ada" in labels
    assert 'sms +14155550123: "please STOP"' in labels
    assert api.delete(URL.format("ada") + "?erase=true").status_code == HTTPStatus.OK
    alias = pseudonym(tenant=tenant, external_id="ada")
    labels = set(ConsentEvent.objects.filter(customer_id=person.id).values_list("actor", flat=True))
    assert f"customer:{alias}" in labels
    assert REDACTED in labels
    assert "customer:ada" not in labels
    assert not [label for label in labels if "+1415" in label or "please STOP" in label]
    sms_event = ConsentEvent.objects.get(customer_id=person.id, source="sms_keyword")
    assert (sms_event.field, sms_event.new_value, sms_event.request_id) == ("sms_opt_out", True, "SM" + "0" * 32)


def test_erasure_and_export_ignore_field_selection_when_fields_is_given(api, person):
    # Regression (schemathesis): `fields=AAA` asked for a serializer these views do not have → 500.
    assert api.get("/v1/customers/ada/consent?fields=AAA&expand=x").status_code == HTTPStatus.OK
    assert api.delete(URL.format("nobody") + "?fields=AAA").status_code == HTTPStatus.NOT_FOUND
