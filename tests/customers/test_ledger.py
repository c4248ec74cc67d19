"""Every customer change writes ConsentEvents in the same transaction; the ledger is append-only."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from customers.models import Customer
from customers.services import customer_create, customer_update
from prefcenter import ledger
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key, make_customer_token


def events(customer: Customer) -> list[tuple[str, object, object]]:
    return list(ConsentEvent.objects.filter(customer_id=customer.pk).values_list("field", "old_value", "new_value"))


def test_patch_writes_one_event_per_changed_field_when_values_change(api, customer):
    response = api.patch(
        f"/api/v2/customers/{customer.pk}", {"first_name": "Augusta", "email_opt_out": True}, format="json"
    )

    assert response.status_code == HTTPStatus.OK
    assert sorted(events(customer)) == [("email_opt_out", False, True), ("first_name", "Ada", "Augusta")]


def test_event_carries_actor_source_request_id_ip_and_user_agent_when_written_by_the_api(tenant, customer, client_for):
    key, raw = make_api_key(tenant)
    client = client_for(raw, HTTP_USER_AGENT="crm-sync/2.1", HTTP_X_REQUEST_ID="req-42")

    response = client.patch(f"/api/v2/customers/{customer.pk}", {"sms_opt_out": False}, format="json")

    event = ConsentEvent.objects.get(customer_id=customer.pk)
    assert response["X-Request-ID"] == "req-42"
    assert {
        "tenant": event.tenant_id,
        "customer_external_id": event.customer_external_id,
        "subject": event.subject,
        "field": event.field,
        "old": event.old_value,
        "new": event.new_value,
        "actor": event.actor,
        "source": event.source,
        "request_id": event.request_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
    } == {
        "tenant": tenant.pk,
        "customer_external_id": "cust-1",
        "subject": "customer",
        "field": "sms_opt_out",
        "old": True,
        "new": False,
        "actor": f"api_key:{key.prefix}",
        "source": "api",
        "request_id": "req-42",
        "ip": "127.0.0.1",
        "user_agent": "crm-sync/2.1",
    }
    assert timezone.now() - event.created_at < timedelta(minutes=1)


def test_event_request_id_matches_the_generated_header_when_caller_sends_none(api, customer):
    response = api.patch(f"/api/v2/customers/{customer.pk}", {"last_name": "King"}, format="json")

    assert ConsentEvent.objects.get(customer_id=customer.pk).request_id == response["X-Request-ID"]


def test_event_actor_is_the_customer_when_a_customer_jwt_makes_the_change(tenant, customer, client_for):
    client = client_for(make_customer_token(tenant, "cust-1"), scheme="Bearer")

    client.patch("/api/resources/customers/cust-1", {"data": {"emailOptOut": True}}, format="json")

    event = ConsentEvent.objects.get(customer_id=customer.pk)
    assert (event.actor, event.source, event.field) == ("customer:cust-1", "api", "email_opt_out")


def test_opt_out_flip_sets_its_timestamp_only_when_that_flag_changes(api, customer):
    assert (customer.email_opt_out_at, customer.sms_opt_out_at) == (None, None)
    before = timezone.now()

    api.patch(f"/api/v2/customers/{customer.pk}", {"email_opt_out": True}, format="json")

    customer.refresh_from_db()
    assert customer.email_opt_out_at is not None and customer.email_opt_out_at >= before
    assert customer.sms_opt_out_at is None
    first = customer.email_opt_out_at

    api.patch(f"/api/v2/customers/{customer.pk}", {"email_opt_out": False, "first_name": "Ada"}, format="json")

    customer.refresh_from_db()
    assert customer.email_opt_out_at > first
    assert customer.sms_opt_out_at is None


def test_reach_sms_opt_in_sets_sms_timestamp_and_event_when_flipped(api, customer):
    api.patch("/api/resources/customers/cust-1", {"data": {"smsOptOut": False}}, format="json")

    customer.refresh_from_db()
    assert customer.sms_opt_out is False
    assert customer.sms_opt_out_at is not None
    assert customer.email_opt_out_at is None
    assert events(customer) == [("sms_opt_out", True, False)]


def test_create_stamps_only_the_opt_out_that_was_given_when_one_is_given(tenant):
    customer = customer_create(tenant=tenant, actor=Actor.system("test"), external_id="c", sms_opt_out=False)

    assert customer.sms_opt_out_at is not None
    assert customer.email_opt_out_at is None


def test_create_stamps_no_opt_out_when_defaults_apply(tenant):
    customer = customer_create(tenant=tenant, actor=Actor.system("test"), external_id="c", first_name="Ada")

    assert (customer.email_opt_out, customer.sms_opt_out) == (False, True)
    assert (customer.email_opt_out_at, customer.sms_opt_out_at) == (None, None)


def test_create_records_creation_and_initial_consent_when_a_customer_is_created(api, tenant):
    response = api.post("/api/v2/customers", {"external_id": "new-1", "email": "n@example.com"}, format="json")

    customer = Customer.objects.get(pk=response.json()["id"])
    recorded = {field: (old, new) for field, old, new in events(customer)}
    assert recorded["created"] == (None, True)
    assert recorded["email"] == (None, "n@example.com")
    assert recorded["email_opt_out"] == (None, False)
    assert recorded["sms_opt_out"] == (None, True)
    assert {event.source for event in ConsentEvent.objects.filter(customer_id=customer.pk)} == {"api"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v2/customers/{pk}", {"first_name": "Ada", "email_opt_out": False, "sms_opt_out": True}),
        ("/api/v2/customers/{pk}", {}),
        ("/api/resources/customers/cust-1", {"data": {"firstName": "Ada", "smsOptOut": True, "customerId": "cust-1"}}),
    ],
)
def test_patch_with_the_same_values_writes_nothing_when_nothing_changes(api, customer, unchanged, path, body):
    with unchanged():
        response = api.patch(path.format(pk=customer.pk), body, format="json")

    assert response.status_code == HTTPStatus.OK


def test_delete_records_the_deletion_and_keeps_history_when_customer_is_deleted(api, customer):
    api.patch(f"/api/v2/customers/{customer.pk}", {"first_name": "Augusta"}, format="json")

    response = api.delete(f"/api/v2/customers/{customer.pk}")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert events(customer) == [("first_name", "Ada", "Augusta"), ("deleted", False, True)]


# --------------------------------------------------------------------------- append-only


def test_ledger_refuses_queryset_update_when_asked(api, customer):
    api.patch(f"/api/v2/customers/{customer.pk}", {"first_name": "Augusta"}, format="json")

    with pytest.raises(PermissionError):
        ConsentEvent.objects.update(new_value="forged")
    with pytest.raises(PermissionError):
        ConsentEvent.objects.filter(customer_id=customer.pk).update(actor="someone else")

    assert events(customer) == [("first_name", "Ada", "Augusta")]


def test_ledger_refuses_delete_when_asked(api, customer):
    api.patch(f"/api/v2/customers/{customer.pk}", {"first_name": "Augusta"}, format="json")
    event = ConsentEvent.objects.get()

    with pytest.raises(PermissionError):
        ConsentEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        ConsentEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        event.delete()

    assert ConsentEvent.objects.count() == 1


def test_ledger_refuses_saving_an_existing_event_when_edited(api, customer):
    api.patch(f"/api/v2/customers/{customer.pk}", {"first_name": "Augusta"}, format="json")
    event = ConsentEvent.objects.get()
    event.new_value = "forged"

    with pytest.raises(PermissionError):
        event.save()

    event.refresh_from_db()
    assert event.new_value == "Augusta"


@pytest.mark.django_db(transaction=True)
def test_ledger_refuses_to_record_when_outside_a_transaction(tenant, customer):
    with pytest.raises(RuntimeError):
        ledger.record(tenant=tenant, customer=customer, subject="customer", changes={"x": (1, 2)}, actor=Actor.system())


# --------------------------------------------------------------------------- same transaction


def test_change_rolls_back_when_the_ledger_write_fails(api, customer, unchanged, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(ledger, "record", broken)

    with unchanged(), pytest.raises(RuntimeError, match="ledger down"):
        api.patch(f"/api/v2/customers/{customer.pk}", {"sms_opt_out": False}, format="json")

    customer.refresh_from_db()
    assert customer.sms_opt_out is True


def test_change_and_events_roll_back_when_a_failure_follows_the_ledger_write(tenant, customer, unchanged, monkeypatch):
    real_record = ledger.record

    def record_then_fail(**kwargs):
        written = real_record(**kwargs)
        assert written  # the events were written before the failure
        raise RuntimeError("after the write")

    monkeypatch.setattr(ledger, "record", record_then_fail)

    with unchanged(), pytest.raises(RuntimeError, match="after the write"):
        customer_update(customer=customer, actor=Actor.system("test"), email_opt_out=True, first_name="Eve")


def test_create_rolls_back_the_row_when_the_ledger_write_fails(api, tenant, unchanged, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(ledger, "record", broken)

    with unchanged(), pytest.raises(RuntimeError):
        api.post("/api/resources/customers", {"data": {"customerId": "ghost"}}, format="json")

    assert not Customer.objects.filter(external_id="ghost").exists()
