"""Concurrent PUTs on PostgreSQL: real threads, real transactions, one row, no 500."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from messaging.models import CategoryPreference
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key, make_category, make_customer, make_tenant
from tests.messaging.conftest import PREFERENCES_URL

THREADS = 20


def _skip_unless_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serializes writers with a database "
            "lock, so concurrent inserts never race on the unique constraint there."
        )


def _hammer(raw_key: str, bodies: list[dict]) -> list[tuple[int, dict | str]]:
    """PUT each body from its own thread, all released at once; each thread has its own connection."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict | str]] = [(0, "")] * len(bodies)

    def run(index: int, body: dict) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}", HTTP_PREFCENTER_CUSTOMER="cust-race")
            barrier.wait()
            response = client.put(PREFERENCES_URL, body, format="json")
            results[index] = (response.status_code, response.json())
        except Exception as exc:  # recorded, asserted below: a thread must not die silently
            results[index] = (-1, repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("category_key", ["news", None])
def test_concurrent_puts_leave_one_row_when_same_customer_and_category(category_key):
    _skip_unless_postgres()
    tenant = make_tenant("race-co")
    customer = make_customer(tenant, "cust-race")
    make_category(tenant, "news")
    _, raw = make_api_key(tenant)
    digests = ["instant", "hourly", "daily", "off"]
    bodies = [{"category": category_key, "email_enabled": n % 2 == 0, "digest": digests[n % 4]}
              for n in range(THREADS)]

    results = _hammer(raw, bodies)

    statuses = [status for status, _ in results]
    assert statuses == [HTTPStatus.OK] * THREADS, results
    rows = CategoryPreference.objects.filter(customer=customer)
    assert rows.count() == 1
    row = rows.get()
    assert {body["id"] for _, body in results} == {str(row.public_id)}
    # The ledger replays to the stored state: the last event per field holds the row's value.
    last = {}
    for event in ConsentEvent.objects.filter(customer_id=customer.pk).order_by("id"):
        last[event.field] = event.new_value
    assert last == {
        "in_app_enabled": row.in_app_enabled, "email_enabled": row.email_enabled,
        "push_enabled": row.push_enabled, "digest": row.digest,
    }
