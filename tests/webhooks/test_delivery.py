"""Delivery to a real HTTP receiver on loopback: signatures, retries on a hand-driven clock, order, dead endpoints."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from customers.services import customer_update
from prefcenter.ledger import Actor
from tests.factories import make_customer
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import DeliveryPolicy, deliver_due, deliveries_claim, deliveries_resend, endpoint_create

POLICY = DeliveryPolicy(timeout=2, lease=30, retry_for=3 * 24 * 3600, backoff_base=5, backoff_max=6 * 3600)
LATER = {"hours": 7}  # past the longest backoff (6 h cap), so whatever is pending is due again


def opt_out(customer, value: bool = True) -> None:
    customer.refresh_from_db()
    customer_update(customer=customer, actor=Actor.system(), email_opt_out=value)


def run(clock, **kwargs) -> int:
    return deliver_due(clock=clock, policy=kwargs.pop("policy", POLICY), rng=random.Random(7), **kwargs)


def test_signature_verifies_with_the_standard_webhooks_library_when_delivered(customer, endpoint, receiver):
    opt_out(customer)

    assert deliver_due(policy=POLICY) == 1  # the real clock: the library checks the timestamp against it

    [received] = receiver.received
    payload = Webhook(endpoint.secret).verify(received.body, received.headers)
    assert payload["type"] == "customer.opted_out"
    assert payload["data"]["customer"]["external_id"] == "cust-1"
    delivery = WebhookDelivery.objects.get()
    assert received.headers["webhook-id"] == delivery.message_id
    assert received.headers["content-type"] == "application/json"
    # And independently of the library: v1,base64(HMAC-SHA256(base64-decoded secret, "id.timestamp.body")).
    key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.{received.body}".encode()
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert received.headers["webhook-signature"] == expected
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_signature_fails_verification_when_another_secret_is_used(customer, endpoint, receiver, tenant):
    opt_out(customer)
    deliver_due(policy=POLICY)
    other = endpoint_create(tenant=tenant, url="https://x.example/h", event_types=["customer.deleted"])

    with pytest.raises(Exception, match="No matching signature"):
        Webhook(other.secret).verify(receiver.received[0].body, receiver.received[0].headers)


def test_receiver_gets_the_event_once_more_per_failure_then_no_more_when_it_fails_3_times(
    customer, endpoint, receiver, clock
):
    receiver.script(500, 503, 404)
    opt_out(customer)

    sent = [run(clock)]
    for _ in range(3):
        sent.append(run(clock))  # not due yet: backoff, nothing sent
        clock.advance(**LATER)
        sent.append(run(clock))
    for _ in range(3):
        clock.advance(days=1)
        sent.append(run(clock))

    assert sent == [1, 0, 1, 0, 1, 0, 1, 0, 0, 0]
    assert len(receiver.received) == 4
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered", 4, 200, ""
    )
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None


def test_failed_attempt_records_the_error_and_a_jittered_backoff_when_the_receiver_answers_500(
    customer, endpoint, receiver, clock
):
    receiver.script(500)
    opt_out(customer)

    run(clock)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.last_error == "HTTP 500: receiver says no"
    assert clock.now + timedelta(seconds=2.5) <= delivery.next_attempt_at <= clock.now + timedelta(seconds=5)
    assert delivery.claimed_until is None


def test_backoff_doubles_with_jitter_and_is_capped_when_attempts_grow():
    rng = random.Random(1)
    for attempts in range(1, 30):
        full = min(5 * 2 ** (attempts - 1), 6 * 3600)
        delay = POLICY.backoff(attempts, rng).total_seconds()
        assert full / 2 <= delay <= full
    delays = {POLICY.backoff(3, random.Random(seed)).total_seconds() for seed in range(20)}
    assert len(delays) > 10  # jitter: workers retrying the same outage spread out


def test_a_redirect_is_a_failure_when_the_receiver_answers_302(customer, endpoint, receiver, clock):
    receiver.script(302)
    opt_out(customer)

    run(clock)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert len(receiver.received) == 1


def test_a_stalled_receiver_times_out_and_is_retried_when_it_does_not_answer(customer, endpoint, receiver, clock):
    receiver.script(("stall", 5))
    opt_out(customer)

    run(clock, policy=DeliveryPolicy(timeout=0.5, lease=30))

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "timed out" in delivery.last_error
    assert delivery.last_status_code is None


def test_events_for_one_customer_arrive_in_order_when_the_first_is_retried(tenant, customer, endpoint, receiver, clock):
    other = make_customer(tenant, "cust-2")
    receiver.script(500)
    opt_out(customer)  # 1: cust-1 opted out (fails once)
    opt_out(other)  # 2: cust-2 opted out
    opt_out(customer, False)  # 3: cust-1 opted in: must wait for 1

    run(clock)  # 1 fails, 2 is delivered, 3 waits
    assert [(b["type"], b["data"]["customer"]["external_id"]) for b in receiver.bodies()] == [
        ("customer.opted_out", "cust-1"),
        ("customer.opted_out", "cust-2"),
    ]
    run(clock)  # 1 is not due yet; 3 still waits behind it
    assert len(receiver.received) == 2

    clock.advance(**LATER)
    run(clock)  # 1 delivered
    run(clock)  # now 3
    run(clock)

    cust_1 = [b["type"] for b in receiver.bodies() if b["data"]["customer"]["external_id"] == "cust-1"]
    assert cust_1 == ["customer.opted_out", "customer.opted_out", "customer.opted_in"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_endpoint_is_disabled_and_the_delivery_failed_when_it_fails_for_3_days(customer, endpoint, receiver, clock):
    receiver.script(*([500] * 100))
    opt_out(customer)
    start = clock.now

    while WebhookDelivery.objects.filter(status="pending").exists():
        run(clock)
        clock.advance(**LATER)
        assert clock.now - start < timedelta(days=4), "should have given up after 3 days"

    delivery = WebhookDelivery.objects.get()
    endpoint.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.attempts == len(receiver.received) > 5
    assert not endpoint.enabled
    assert endpoint.disabled_at is not None
    assert "failed" in endpoint.disabled_reason
    # A dead endpoint hears of nothing new until staff enable it again.
    opt_out(customer, False)
    assert WebhookDelivery.objects.count() == 1


def test_a_success_clears_the_endpoints_failure_run_when_another_event_gets_through(
    tenant, customer, endpoint, receiver, clock
):
    receiver.script(500)
    opt_out(customer)
    run(clock)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None

    clock.advance(**LATER)
    run(clock)

    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.enabled


def test_resend_sends_a_delivered_event_again_with_the_same_id_when_staff_ask(customer, endpoint, receiver, clock):
    opt_out(customer)
    run(clock)
    delivery = WebhookDelivery.objects.get()

    deliveries_resend(deliveries=[delivery], now=clock.now)
    run(clock)

    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.resent_at) == ("delivered", 2, clock.now)


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_passes_when_a_worker_holds_it(
    customer, endpoint, clock
):
    opt_out(customer)

    _, first = deliveries_claim(now=clock.now, limit=10, lease=30)
    _, second = deliveries_claim(now=clock.now + timedelta(seconds=29), limit=10, lease=30)
    _, after_lease = deliveries_claim(now=clock.now + timedelta(seconds=31), limit=10, lease=30)

    assert len(first) == 1 and second == [] and [d.pk for d in after_lease] == [first[0].pk]


def test_pending_deliveries_wait_while_their_endpoint_is_disabled_when_it_was_dead(customer, endpoint, receiver, clock):
    opt_out(customer)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)

    assert run(clock) == 0
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=True)
    assert run(clock) == 1
    assert json.loads(receiver.received[0].body)["type"] == "customer.opted_out"


def test_deliver_webhooks_once_sends_what_is_due_and_exits_when_run_as_a_command(customer, endpoint, receiver):
    from io import StringIO

    from django.core.management import call_command

    opt_out(customer)
    out = StringIO()

    call_command("deliver_webhooks", "--once", stdout=out)

    assert out.getvalue().strip() == "Attempted 1 webhook delivery(ies)."
    assert [b["type"] for b in receiver.bodies()] == ["customer.opted_out"]
    assert WebhookDelivery.objects.get().status == "delivered"
