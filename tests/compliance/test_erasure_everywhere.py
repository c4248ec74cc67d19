"""Erasure forgets the person everywhere: after it, no row of any table holds their external id, email, phone or
names, and the webhook deliveries announcing their changes carry the ledger's pseudonym (docs/compliance.md)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry

from compliance.services import REDACTED, customer_erase, pseudonym
from customers.models import Customer
from prefcenter import ledger
from prefcenter.ledger import Actor
from prefcenter.models import ApiKey, IdempotencyRecord
from tests.factories import make_api_key, make_customer_token
from tests.prefcenter.conftest import staff_user  # noqa: F401
from tests.webhooks.conftest import Clock, receiver  # noqa: F401
from tests.webhooks.test_delivery import POLICY
from webhooks.models import EVENT_TYPES, WebhookDelivery
from webhooks.services import deliver_due, endpoint_create

EXTERNAL_ID = "erase-me-7q2"
OLD_EMAIL, EMAIL = "adelheid.old@example.org", "adelheid.q@example.org"
PHONE = "+14155550177"
FIRST, LAST = "Adelheid", "Quillfeather"
MARKERS = (EXTERNAL_ID, OLD_EMAIL, EMAIL, PHONE, FIRST, LAST)


def deliver() -> int:
    return deliver_due(clock=Clock(), policy=POLICY)


@pytest.fixture
def person_with_deliveries(api, client_for, tenant, receiver, sms_settings, send_sms, staff_user):  # noqa: F811
    """A person whose changes left one delivered, one failed and one pending delivery (plus what erasure adds),
    and copies of their data in the foundation's tables: a customer-bound API key named after them, stored
    idempotent replies (the tenant's key and their own token), and the admin's change history."""
    endpoint = endpoint_create(tenant=tenant, url=receiver.url, event_types=list(EVENT_TYPES))
    created = {
        "data": {
            "customerId": EXTERNAL_ID,
            "email": OLD_EMAIL,
            "phone": PHONE,
            "firstName": FIRST,
            "lastName": LAST,
            "smsOptOut": False,
        }
    }
    assert api.post("/api/resources/customers", created, format="json").status_code == HTTPStatus.CREATED
    # 1. delivered: an email opt-out by the tenant's backend
    patch = {"data": {"email": EMAIL, "emailOptOut": True}}
    assert api.patch(f"/api/resources/customers/{EXTERNAL_ID}", patch, format="json").status_code == HTTPStatus.OK
    assert deliver() == 1
    # 2. failed: an SMS STOP (the actor quotes the number); the receiver's error reply echoes the whole body
    assert send_sms("STOP", sender=PHONE).status_code == HTTPStatus.OK
    receiver.script(("echo", 500))
    assert deliver() == 1
    WebhookDelivery.objects.filter(status="pending").update(status="failed")
    # 3. pending: the person opts back in to email themselves (actor customer:<external id>), not sent yet
    person = client_for(make_customer_token(tenant, EXTERNAL_ID), scheme="Bearer")
    reply = person.patch(f"/api/resources/customers/{EXTERNAL_ID}", {"data": {"emailOptOut": False}}, format="json")
    assert reply.status_code == HTTPStatus.OK
    statuses = list(WebhookDelivery.objects.order_by("id").values_list("event_type", "status"))
    assert statuses == [
        ("customer.opted_out", "delivered"),
        ("customer.opted_out", "failed"),
        ("customer.opted_in", "pending"),
    ]
    failed = WebhookDelivery.objects.get(status="failed")
    assert EXTERNAL_ID in failed.last_error and PHONE in failed.last_error  # what the erasure must remove
    # Copies in the foundation's and Django's tables
    make_api_key(tenant, mode="customer", customer=EXTERNAL_ID, name=f"{FIRST}'s phone app")
    replay = {"data": {"lastName": LAST}}
    url = f"/api/resources/customers/{EXTERNAL_ID}"
    assert api.patch(url, replay, format="json", HTTP_IDEMPOTENCY_KEY="k-1").status_code == HTTPStatus.OK
    assert person.patch(url, replay, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == HTTPStatus.OK
    assert IdempotencyRecord.objects.count() == 2
    customer = Customer.objects.get(tenant=tenant, external_id=EXTERNAL_ID)
    LogEntry.objects.log_actions(
        user_id=staff_user.pk,
        queryset=[customer],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": ["Email"]}}],
        single_object=True,
    )
    return endpoint


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def personal_data_found() -> list[str]:
    """Every (table, column, marker) where one of the person's identifiers is still stored, in every model."""
    found = []
    for model in apps.get_models():
        for row in model._base_manager.values():
            for column, value in row.items():
                text = _text(value)
                found += [f"{model._meta.label}.{column} #{row.get('id', '?')}: {m}" for m in MARKERS if m in text]
    return found


def erase_through_api(api, client, staff_user, tenant) -> None:  # noqa: F811
    assert api.delete(f"/v1/customers/{EXTERNAL_ID}?erase=true").status_code == HTTPStatus.OK


def erase_through_admin(api, client, staff_user, tenant) -> None:  # noqa: F811
    client.force_login(staff_user)
    customer = Customer.objects.get(tenant=tenant, external_id=EXTERNAL_ID)
    response = client.post(
        "/admin/customers/customer/", {"action": "erase_customers", "_selected_action": [customer.pk]}, follow=True
    )
    assert response.status_code == HTTPStatus.OK
    assert not Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.parametrize("erase", [erase_through_api, erase_through_admin], ids=["api", "admin"])
def test_no_table_holds_the_persons_data_when_they_are_erased_with_deliveries_in_every_state(
    erase, api, client, staff_user, tenant, person_with_deliveries  # noqa: F811
):
    assert personal_data_found()  # the scan sees them before

    erase(api, client, staff_user, tenant)

    assert personal_data_found() == []
    alias = pseudonym(tenant=tenant, external_id=EXTERNAL_ID)
    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [(d.event_type, d.status) for d in deliveries] == [
        ("customer.opted_out", "delivered"),
        ("customer.opted_out", "failed"),
        ("customer.opted_in", "pending"),
        ("customer.deleted", "pending"),  # the deletion, written with the original id, rewritten
        ("customer.deleted", "pending"),  # the erasure event, written under the pseudonym
    ]
    assert {d.customer_external_id for d in deliveries} == {alias}
    bodies = [json.loads(d.body)["data"] for d in deliveries]
    assert {body["customer"]["external_id"] for body in bodies} == {alias}
    assert bodies[1]["actor"] == REDACTED  # the SMS sender's number and message, as in the ledger
    assert bodies[2]["actor"] == f"customer:{alias}"
    assert deliveries[1].last_error.startswith("HTTP 500: ")
    assert REDACTED in deliveries[1].last_error
    # The bound key is revoked and names the pseudonym; the replies naming the person are gone; the admin's
    # history keeps the entry, without the person.
    key = ApiKey.objects.get(allow_customer=True)
    assert (key.customer_external_id, key.name, key.revoked_at is not None) == (alias, f"{REDACTED}'s phone app", True)
    assert not IdempotencyRecord.objects.exists()
    entry = LogEntry.objects.get()
    assert entry.object_repr == f"{REDACTED} {REDACTED} ({REDACTED})"


def test_pending_deliveries_are_sent_pseudonymised_and_signed_when_the_person_was_erased(
    api, tenant, receiver, person_with_deliveries  # noqa: F811
):
    pending_ids = list(WebhookDelivery.objects.filter(status="pending").values_list("message_id", flat=True))
    assert api.delete(f"/v1/customers/{EXTERNAL_ID}?erase=true").status_code == HTTPStatus.OK
    already = len(receiver.received)

    assert [deliver() for _ in range(4)] == [1, 1, 1, 0]  # one at a time: order per customer

    sent = receiver.received[already:]
    assert [r.json()["type"] for r in sent] == ["customer.opted_in", "customer.deleted", "customer.deleted"]
    assert sent[0].headers["webhook-id"] == pending_ids[0]  # the same event: receivers deduplicate on it
    alias = pseudonym(tenant=tenant, external_id=EXTERNAL_ID)
    for received in sent:
        assert received.json()["data"]["customer"]["external_id"] == alias
        assert not [marker for marker in MARKERS if marker in received.body]
    from standardwebhooks.webhooks import Webhook

    # The signature covers the pseudonymised body (bodies are signed when sent).
    Webhook(person_with_deliveries.secret).verify(sent[0].body, sent[0].headers)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered", "failed"}


def test_erasure_rolls_back_with_the_deliveries_untouched_when_an_erasure_listener_fails(
    tenant, person_with_deliveries, monkeypatch
):
    def broken(erased) -> None:
        raise RuntimeError("listener down")

    monkeypatch.setattr(ledger, "erasure_listeners", [*ledger.erasure_listeners, broken])
    before = list(WebhookDelivery.objects.order_by("id").values())

    with pytest.raises(RuntimeError, match="listener down"):
        customer_erase(tenant=tenant, external_id=EXTERNAL_ID, actor=Actor.system())

    assert Customer.objects.filter(tenant=tenant, external_id=EXTERNAL_ID).exists()
    assert list(WebhookDelivery.objects.order_by("id").values()) == before


def test_other_customers_copies_are_untouched_when_someone_is_erased(api, tenant, person_with_deliveries):
    other = {"data": {"customerId": "stays-3k", "email": "stays@example.org"}}
    assert api.post("/api/resources/customers", other, format="json").status_code == HTTPStatus.CREATED
    patch = {"data": {"emailOptOut": True}}
    assert api.patch("/api/resources/customers/stays-3k", patch, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code
    make_api_key(tenant, mode="customer", customer="stays-3k")

    def theirs():
        return (
            list(WebhookDelivery.objects.filter(customer_external_id="stays-3k").values()),
            list(ApiKey.objects.filter(customer_external_id="stays-3k").values()),
            list(IdempotencyRecord.objects.filter(key="k-3").values()),
        )

    before = theirs()
    assert all(before)

    assert api.delete(f"/v1/customers/{EXTERNAL_ID}?erase=true").status_code == HTTPStatus.OK

    assert theirs() == before
