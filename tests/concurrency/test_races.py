"""Concurrency on PostgreSQL: real threads, real transactions, each thread on its own connection.

Already covered elsewhere (not repeated here): Reach customer creates racing on one external id and
TeamUp opt-out flips (tests/customers/test_concurrency.py), messaging PUTs racing on one row
(tests/messaging/test_concurrency.py), subscriber preference updates racing (tests/subscribers/test_services.py).

Here: the remaining create-or-conflict races (TeamUp customers, Novu subscribers, categories, workflows),
the same idempotency key twice at once, and 50 concurrent PATCHes of one customer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from customers.models import Customer
from messaging.models import Category
from prefcenter.models import ConsentEvent, IdempotencyRecord
from subscribers.models import Workflow
from tests.factories import make_api_key, make_customer, make_tenant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite has one writer at a time, "
            "so threads never race inside transactions there."
        )


def client(raw_key: str, **headers: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}", **headers)
    return api


def race(count: int, call: Callable[[int], Any]) -> list[Any]:
    """Run call(i) in `count` threads released together by a barrier; exceptions are returned, not lost."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


# -- create-or-conflict races in every app ---------------------------------------------------

CREATES = {
    "teamup-customer": (
        "/api/v2/customers",
        lambda i: {"external_id": "same", "first_name": f"T{i}"},
        lambda t: Customer.objects.filter(tenant=t, external_id="same"),
    ),
    "novu-subscriber": (
        "/v2/subscribers?failIfExists=true",  # without it Novu updates an existing subscriber (issue 13)
        lambda i: {"subscriberId": "same", "firstName": f"T{i}"},
        lambda t: Customer.objects.filter(tenant=t, external_id="same"),
    ),
    "messaging-category": (
        "/v1/messaging/categories",
        lambda i: {"key": "same", "name": f"Same {i}"},
        lambda t: Category.objects.filter(tenant=t, key="same"),
    ),
    "novu-workflow": (
        "/v2/workflows",
        lambda i: {"workflowId": "same", "name": f"Same {i}"},
        lambda t: Workflow.objects.filter(tenant=t, identifier="same"),
    ),
}


@pytest.mark.parametrize("route", list(CREATES))
def test_concurrent_creates_of_one_identifier_give_one_201_and_409s_when_racing(route):
    path, body, rows = CREATES[route]
    tenant = make_tenant(f"race-{route}")
    raw = make_api_key(tenant)[1]

    responses = race(8, lambda i: client(raw).post(path, body(i), format="json"))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    statuses = sorted(r.status_code for r in responses)
    # Novu's workflow routes answer a taken workflowId with 400, as Novu does (issue 13).
    conflict = HTTPStatus.BAD_REQUEST if route == "novu-workflow" else HTTPStatus.CONFLICT
    assert statuses == sorted([HTTPStatus.CREATED] + [conflict] * 7), [r.content[:200] for r in responses]
    assert all(r["Content-Type"].startswith("application/json") for r in responses)
    assert rows(tenant).count() == 1


# -- the same idempotency key twice at once -------------------------------------------------


def waiting_on_a_lock() -> int:
    """How many other backends of this database wait on a row lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def behind_a_held_lock(
    hold: Callable[[], None], request: Callable[[], Any], meanwhile: Callable[[], Any] = lambda: None
) -> tuple[Any, Any]:
    """Run `hold()` in a transaction in one thread (it takes a row lock and keeps it), start `request()` in another,
    wait until that request waits on a lock, run `meanwhile()` here, then let the holder commit.
    Returns (what `request()` returned or raised, what `meanwhile()` returned)."""
    holding, release = threading.Event(), threading.Event()
    answer: dict[str, Any] = {}

    def holder_thread() -> None:
        try:
            with transaction.atomic():
                hold()
                holding.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    def requester_thread() -> None:
        try:
            answer["result"] = request()
        except Exception as exc:
            answer["result"] = exc
        finally:
            connections.close_all()

    holder = threading.Thread(target=holder_thread)
    holder.start()
    assert holding.wait(timeout=30)
    requester = threading.Thread(target=requester_thread)
    requester.start()
    deadline = time.monotonic() + 30
    while waiting_on_a_lock() == 0:  # the request is inside its transaction, blocked on the held row
        assert time.monotonic() < deadline, "the request never reached the held lock"
        time.sleep(0.01)
    try:
        during = meanwhile()
    finally:
        release.set()
        holder.join(timeout=60)
        requester.join(timeout=60)
    return answer["result"], during


def test_same_idempotency_key_twice_at_once_gives_one_success_and_one_409():
    """The first request holds the key while it waits on a row lock; the second arrives and is told to retry."""
    tenant = make_tenant("idem-race")
    customer = make_customer(tenant, "held", first_name="Before")
    raw = make_api_key(tenant)[1]
    path = f"/api/resources/customers/{customer.external_id}"
    body = {"data": {"firstName": "After"}}
    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key-1"}
    first, second = behind_a_held_lock(
        hold=lambda: Customer.objects.select_for_update().get(pk=customer.pk),  # another writer, mid-transaction
        request=lambda: client(raw, **headers).patch(path, body, format="json"),
        meanwhile=lambda: client(raw, **headers).patch(path, body, format="json"),
    )

    assert second.status_code == HTTPStatus.CONFLICT, second.content
    assert second.json()["success"] is False  # Reach's error shape
    assert "still being processed" in second.json()["message"]
    assert second["Retry-After"]
    assert first.status_code == HTTPStatus.OK, first.content
    customer.refresh_from_db()
    assert customer.first_name == "After"
    assert ConsentEvent.objects.filter(customer_id=customer.pk, field="first_name").count() == 1
    assert IdempotencyRecord.objects.filter(tenant=tenant, key="same-key-1").count() == 1
    replay = client(raw, **headers).patch(path, body, format="json")  # once the first is done: its answer
    assert replay.status_code == HTTPStatus.OK
    assert replay["Idempotency-Replay"] == "true"
    assert replay.content == first.content
    assert ConsentEvent.objects.filter(customer_id=customer.pk, field="first_name").count() == 1


# -- 50 concurrent PATCHes on one customer -------------------------------------------------


def assert_chain(events: list[ConsentEvent], start: Any) -> Any:
    """Each event's old value is the previous event's new value (commit order); returns the last value."""
    previous = start
    for event in events:
        assert event.old_value == previous, (event.pk, event.old_value, previous)
        assert event.new_value != event.old_value
        previous = event.new_value
    return previous


def test_fifty_concurrent_patches_leave_the_last_commit_and_an_ordered_ledger():
    tenant = make_tenant("patch-storm")
    customer = make_customer(tenant, "storm", first_name="Start", sms_opt_out=True)
    keys = [make_api_key(tenant)[1] for _ in range(50)]  # one key each: per-credential throttles stay out of it
    path = f"/api/resources/customers/{customer.external_id}"

    def patch(index: int):
        body = {"data": {"firstName": f"Name-{index:02d}", "smsOptOut": index % 2 == 0}}
        return client(keys[index]).patch(path, body, format="json")

    responses = race(50, patch)

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert [r.status_code for r in responses] == [HTTPStatus.OK] * 50, [r.content[:200] for r in responses]
    names = list(ConsentEvent.objects.filter(customer_id=customer.pk, field="first_name").order_by("id"))
    assert sorted(e.new_value for e in names) == [f"Name-{i:02d}" for i in range(50)]  # every change recorded
    last_name = assert_chain(names, "Start")
    flips = list(ConsentEvent.objects.filter(customer_id=customer.pk, field="sms_opt_out").order_by("id"))
    last_flag = assert_chain(flips, True)
    customer.refresh_from_db()
    assert customer.first_name == last_name  # the final state is the last committed change
    assert customer.sms_opt_out == last_flag
    last_writer = int(last_name.split("-")[1])
    assert customer.sms_opt_out == (last_writer % 2 == 0)  # both fields from the same (last) request


def test_concurrent_teamup_patches_of_one_workflow_leave_an_ordered_ledger_when_racing():
    """The TeamUp PATCH locks the customer in the statement that also reads its category rows
    (subscribers.selectors.layers.locked_customer_rows): 20 racing flips still serialize."""
    from subscribers.models import WorkflowPreference
    from tests.factories import make_category, make_category_preference, make_workflow

    tenant = make_tenant("teamup-storm")
    news = make_category(tenant, "news")
    workflow = make_workflow(tenant, "digest", category=news, channels=["email", "sms"])
    customer = make_customer(tenant, "storm", email="storm@example.com")
    make_category_preference(customer, news, digest="daily")
    keys = [make_api_key(tenant)[1] for _ in range(20)]
    path = f"/api/v2/customers/{customer.pk}/notification_preferences/{workflow.pk}"

    responses = race(20, lambda i: client(keys[i]).patch(path, {"email_enabled": i % 2 == 0}, format="json"))

    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert [r.status_code for r in responses] == [HTTPStatus.OK] * 20, [r.content[:200] for r in responses]
    flips = list(ConsentEvent.objects.filter(customer_id=customer.pk, subject="workflow:digest").order_by("id"))
    last = assert_chain(flips, None)
    assert WorkflowPreference.objects.get(customer=customer, workflow=workflow).email == last


def test_teamup_patch_answers_from_rows_committed_while_it_waited_for_the_customer_lock():
    """A messaging write holds the customer's lock and turns the category's email off; a TeamUp PATCH of a
    workflow in that category waits for the lock and then answers with the new category row, not with rows
    read before the wait (subscribers.selectors.layers.locked_customer_rows reads them after the lock)."""
    from messaging.services import category_preference_set
    from prefcenter.ledger import Actor
    from tests.factories import make_category, make_workflow

    tenant = make_tenant("fresh-rows")
    news = make_category(tenant, "news")
    workflow = make_workflow(tenant, "digest", category=news, channels=["email", "sms"])
    customer = make_customer(tenant, "fresh", email="fresh@example.com", phone="+14155550123", sms_opt_out=False)
    raw = make_api_key(tenant)[1]

    def messaging_write() -> None:  # another writer, mid-transaction, holding the customer's lock
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        category_preference_set(
            tenant=tenant, customer=locked, category=news, in_app_enabled=True, email_enabled=False,
            push_enabled=True, digest="instant", actor=Actor.system(), locked=True,
        )

    response, _ = behind_a_held_lock(hold=messaging_write, request=lambda: client(raw).patch(
        f"/api/v2/customers/{customer.pk}/notification_preferences/{workflow.pk}", {"sms_enabled": False},
        format="json"))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["email_enabled"] is False  # the category row committed while it waited
    assert response.json()["sms_enabled"] is False
