"""Webhooks in the admin: tenant-scoped endpoints and deliveries, dead endpoints visible, resend, enable."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission

from customers.services import customer_update
from prefcenter.ledger import Actor
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create

DELIVERIES = "/admin/webhooks/webhookdelivery/"
ENDPOINTS = "/admin/webhooks/webhookendpoint/"


@pytest.fixture
def webhook_staff(staff_user):
    staff_user.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
    return staff_user


@pytest.fixture
def two_tenants_deliveries(tenant, other_tenant, customer):
    from tests.factories import make_customer

    mine = endpoint_create(tenant=tenant, url="https://acme.example/h", event_types=["customer.opted_out"])
    theirs = endpoint_create(tenant=other_tenant, url="https://globex.example/h", event_types=["customer.opted_out"])
    customer_update(customer=customer, actor=Actor.system(), email_opt_out=True)
    customer_update(customer=make_customer(other_tenant, "globex-1"), actor=Actor.system(), email_opt_out=True)
    WebhookDelivery.objects.filter(endpoint=mine).update(
        status="failed", attempts=31, last_status_code=500, last_error="HTTP 500: boom"
    )
    return mine, theirs


def test_staff_sees_only_its_tenants_deliveries_with_attempts_and_errors_when_listed(
    client, webhook_staff, two_tenants_deliveries
):
    client.force_login(webhook_staff)

    response = client.get(DELIVERIES, {"status": "failed"})

    assert response.status_code == HTTPStatus.OK
    rows = list(response.context["cl"].result_list)
    assert [(d.customer_external_id, d.attempts, d.last_error) for d in rows] == [("cust-1", 31, "HTTP 500: boom")]
    page = response.content.decode()
    assert "globex" not in page
    for column in ("Attempts", "Status", "Last error", "Next attempt at"):
        assert column in page


def test_staff_sees_only_its_tenants_endpoints_and_dead_ones_when_listed(client, webhook_staff, two_tenants_deliveries):
    mine, _ = two_tenants_deliveries
    reason = "Every delivery failed for 72 hours."
    WebhookEndpoint.objects.filter(pk=mine.pk).update(enabled=False, disabled_reason=reason)
    client.force_login(webhook_staff)

    response = client.get(ENDPOINTS, {"enabled__exact": "0"})

    assert [e.url for e in response.context["cl"].result_list] == ["https://acme.example/h"]
    assert "Every delivery failed for 72 hours." in response.content.decode()
    assert "globex" not in response.content.decode()


def test_resend_action_queues_the_delivery_again_when_staff_select_it(client, webhook_staff, two_tenants_deliveries):
    mine, theirs = two_tenants_deliveries
    delivery = WebhookDelivery.objects.get(endpoint=mine)
    client.force_login(webhook_staff)

    response = client.post(DELIVERIES, {"action": "resend", "_selected_action": [delivery.pk]}, follow=True)

    assert response.status_code == HTTPStatus.OK
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.resent_at is not None
    assert WebhookDelivery.objects.get(endpoint=theirs).resent_at is None


def test_resend_cannot_reach_another_tenants_delivery_when_its_id_is_posted(
    client, webhook_staff, two_tenants_deliveries
):
    _, theirs = two_tenants_deliveries
    delivery = WebhookDelivery.objects.get(endpoint=theirs)
    client.force_login(webhook_staff)

    client.post(DELIVERIES, {"action": "resend", "_selected_action": [delivery.pk]})

    delivery.refresh_from_db()
    assert delivery.resent_at is None


def test_enable_action_revives_a_dead_endpoint_when_staff_select_it(client, webhook_staff, two_tenants_deliveries):
    mine, _ = two_tenants_deliveries
    WebhookEndpoint.objects.filter(pk=mine.pk).update(enabled=False, disabled_reason="dead")
    client.force_login(webhook_staff)

    client.post(ENDPOINTS, {"action": "enable_endpoints", "_selected_action": [mine.pk]})

    mine.refresh_from_db()
    assert (mine.enabled, mine.disabled_at, mine.disabled_reason, mine.failing_since) == (True, None, "", None)


def test_staff_adds_an_endpoint_for_its_tenant_and_sees_the_secret_once_when_saved(client, webhook_staff, tenant):
    client.force_login(webhook_staff)

    response = client.post(
        f"{ENDPOINTS}add/",
        {"url": "https://crm.example/hooks", "description": "", "event_types": ["customer.deleted"], "enabled": "on"},
        follow=True,
    )

    assert response.status_code == HTTPStatus.OK
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.tenant, endpoint.event_types) == (tenant, ["customer.deleted"])
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in client.get(f"{ENDPOINTS}{endpoint.pk}/change/").content.decode()


def test_admin_refuses_an_unknown_event_type_and_writes_nothing_when_posted(client, webhook_staff):
    client.force_login(webhook_staff)

    response = client.post(
        f"{ENDPOINTS}add/", {"url": "https://crm.example/hooks", "event_types": ["customer.exploded"], "enabled": "on"}
    )

    assert response.status_code == HTTPStatus.OK  # the form again, with its error
    assert "customer.exploded" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
