"""The outbox: every consent change writes its webhook events in the change's own transaction."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from customers.services import customer_update
from prefcenter import ledger
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from tests.factories import make_category, make_customer
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

REACH = "/api/resources/customers/cust-1"


def rows() -> list[tuple[str, str, dict]]:
    return [(d.event_type, d.customer_external_id, json.loads(d.body)) for d in WebhookDelivery.objects.order_by("id")]


def test_opt_out_writes_one_event_with_the_ledger_ids_when_an_endpoint_subscribes(api, customer, endpoint):
    response = api.patch(REACH, {"data": {"emailOptOut": True}}, format="json", HTTP_X_REQUEST_ID="req-42")

    assert response.status_code == HTTPStatus.OK
    [(event_type, external_id, body)] = rows()
    ledger_ids = list(ConsentEvent.objects.filter(field="email_opt_out", new_value=True).values_list("id", flat=True))
    assert (event_type, external_id) == ("customer.opted_out", "cust-1")
    assert body == {
        "type": "customer.opted_out",
        "timestamp": body["timestamp"],
        "data": {
            "customer": {"id": customer.pk, "external_id": "cust-1"},
            "channels": ["email"],
            "source": "api",
            "actor": body["data"]["actor"],
            "request_id": "req-42",
            "ledger_event_ids": ledger_ids,
        },
    }
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.PENDING
    assert delivery.message_id.startswith("msg_")


def test_one_change_writes_one_event_per_type_when_it_opts_out_and_in_at_once(api, customer, endpoint):
    Customer.objects.filter(pk=customer.pk).update(sms_opt_out=True)

    api.patch(REACH, {"data": {"emailOptOut": True, "smsOptOut": False, "firstName": "Ada"}}, format="json")

    assert [(t, b["data"]["channels"]) for t, _, b in rows()] == [
        ("customer.opted_out", ["email"]),
        ("customer.opted_in", ["sms"]),
    ]


def test_preference_change_writes_one_preference_updated_event_when_fields_change(api, tenant, customer, endpoint):
    make_category(tenant, "marketing")

    response = api.put(
        "/v1/messaging/preferences",
        {"category": "marketing", "in_app_enabled": True, "email_enabled": False, "push_enabled": False,
         "digest": "daily"},
        format="json",
        HTTP_PREFCENTER_CUSTOMER="cust-1",
    )

    assert response.status_code == HTTPStatus.OK
    [(event_type, _, body)] = rows()
    assert event_type == "preference.updated"
    assert {(c["subject"], c["field"], c["new"]) for c in body["data"]["changes"]} == {
        ("category:marketing", "in_app_enabled", True),
        ("category:marketing", "email_enabled", False),
        ("category:marketing", "push_enabled", False),
        ("category:marketing", "digest", "daily"),
    }


def test_deleting_a_customer_writes_customer_deleted_when_subscribed(api, customer, endpoint):
    response = api.delete(REACH)

    assert response.status_code == HTTPStatus.OK
    [(event_type, external_id, body)] = rows()
    assert (event_type, external_id) == ("customer.deleted", "cust-1")
    assert body["data"]["customer"] == {"id": customer.pk, "external_id": "cust-1"}
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_creating_a_customer_announces_nothing_when_its_initial_flags_are_ledgered(api, endpoint):
    response = api.post(
        "/api/resources/customers", {"data": {"customerId": "new-1", "emailOptOut": True}}, format="json"
    )

    assert response.status_code == HTTPStatus.CREATED
    assert ConsentEvent.objects.filter(customer_external_id="new-1").exists()
    assert rows() == []


def test_only_subscribed_enabled_endpoints_get_rows_when_several_are_registered(api, tenant, other_tenant, customer):
    deleted_only = endpoint_create(tenant=tenant, url="https://a.example/h", event_types=["customer.deleted"])
    both = [
        endpoint_create(tenant=tenant, url=f"https://{n}.example/h", event_types=["customer.opted_out"]) for n in "bc"
    ]
    disabled = endpoint_create(tenant=tenant, url="https://d.example/h", event_types=["customer.opted_out"])
    disabled.enabled = False
    disabled.save()
    endpoint_create(tenant=other_tenant, url="https://e.example/h", event_types=["customer.opted_out"])

    api.patch(REACH, {"data": {"emailOptOut": True}}, format="json")

    deliveries = list(WebhookDelivery.objects.order_by("id"))
    assert [d.endpoint_id for d in deliveries] == [e.pk for e in both]
    assert deliveries[0].message_id == deliveries[1].message_id  # one event, one webhook-id, two endpoints
    assert deliveries[0].body == deliveries[1].body
    assert not WebhookDelivery.objects.filter(endpoint=deleted_only).exists()


def test_a_change_that_rolls_back_leaves_no_outbox_row_when_it_raises_after_the_ledger(tenant, customer, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        customer_update(customer=customer, actor=Actor.system(), email_opt_out=True)
        assert WebhookDelivery.objects.count() == 1  # written inside the transaction…
        raise RuntimeError("the caller fails after the change")

    assert not WebhookDelivery.objects.exists()  # …and gone with it
    assert not ConsentEvent.objects.filter(field="email_opt_out").exists()
    customer.refresh_from_db()
    assert customer.email_opt_out is False


def test_a_failing_outbox_write_rolls_the_change_back_when_the_listener_raises(tenant, customer, endpoint, monkeypatch):
    def broken(events):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(ledger, "listeners", [broken])

    with pytest.raises(RuntimeError, match="outbox unavailable"):
        customer_update(customer=customer, actor=Actor.system(), email_opt_out=True)

    customer.refresh_from_db()
    assert customer.email_opt_out is False
    assert not ConsentEvent.objects.filter(field="email_opt_out").exists()


def test_a_tenant_without_endpoints_pays_no_query_when_consent_changes(tenant, customer):
    with CaptureQueriesContext(connection) as queries:
        customer_update(customer=customer, actor=Actor.system(), email_opt_out=True)

    assert not WebhookDelivery.objects.exists()
    assert [q["sql"] for q in queries.captured_queries if "webhooks_" in q["sql"]] == []


def test_a_tenant_whose_endpoints_hear_other_types_pays_no_query_when_consent_changes(tenant, customer):
    endpoint_create(tenant=tenant, url="https://a.example/h", event_types=["customer.deleted"])

    with CaptureQueriesContext(connection) as queries:
        customer_update(customer=customer, actor=Actor.system(), email_opt_out=True)

    assert [q["sql"] for q in queries.captured_queries if "webhooks_" in q["sql"]] == []
    assert not WebhookDelivery.objects.exists()


def test_the_tenant_knows_which_types_its_enabled_endpoints_hear_when_endpoints_change(tenant):
    from prefcenter.models import Tenant
    from webhooks.services import endpoint_delete, endpoint_enable

    def heard() -> list[str]:
        return Tenant.objects.get(pk=tenant.pk).webhook_event_types

    first = endpoint_create(tenant=tenant, url="https://a.example/h", event_types=["customer.deleted"])
    second = endpoint_create(
        tenant=tenant, url="https://b.example/h", event_types=["customer.opted_in", "customer.deleted"]
    )
    assert heard() == ["customer.opted_in", "customer.deleted"]
    endpoint_delete(endpoint=second)
    assert heard() == ["customer.deleted"]
    first.enabled = False
    first.save()
    endpoint_enable(endpoint=first)
    assert heard() == ["customer.deleted"]
    endpoint_delete(endpoint=first)
    assert heard() == []


def test_listeners_are_registered_once_when_ready_runs_again():
    from django.apps import apps

    before = list(ledger.listeners)
    apps.get_app_config("webhooks").ready()

    assert ledger.listeners == before
    assert [f.__name__ for f in ledger.listeners].count("outbox_write") == 1


def test_each_customer_gets_its_own_event_when_a_workflow_delete_removes_many_choices(tenant, endpoint):
    from subscribers.services.catalog import workflow_delete
    from tests.factories import make_workflow, make_workflow_preference

    workflow = make_workflow(tenant, "digest")
    for n in (1, 2):
        make_workflow_preference(make_customer(tenant, f"c-{n}"), workflow, email=False)
    WebhookDelivery.objects.all().delete()

    workflow_delete(workflow=workflow, actor=Actor.system())

    assert [(t, ext) for t, ext, _ in rows()] == [("preference.updated", "c-1"), ("preference.updated", "c-2")]
