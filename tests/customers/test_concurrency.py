"""Concurrent writers on PostgreSQL: a duplicate external id is a 409 even when both requests race."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from customers.models import Customer
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key, make_customer, make_tenant

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs PostgreSQL: set DATABASE_URL=postgres://… (this run is on SQLite)",
    ),
]


def _race(count: int, call) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = call(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_external_id_give_one_201_and_409s_when_racing():
    tenant = make_tenant("race")
    raw = make_api_key(tenant)[1]

    def create(index: int) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        body = {"data": {"customerId": "same", "firstName": f"T{index}"}}
        return client.post("/api/resources/customers", body, format="json").status_code

    statuses = _race(6, create)

    assert sorted(statuses) == [HTTPStatus.CREATED] + [HTTPStatus.CONFLICT] * 5
    customer = Customer.objects.get(tenant=tenant, external_id="same")
    assert ConsentEvent.objects.filter(customer_external_id="same", field="created").count() == 1
    winner = ConsentEvent.objects.get(customer_id=customer.pk, field="first_name")
    assert winner.new_value == customer.first_name


@pytest.mark.django_db(transaction=True)
def test_concurrent_opt_out_flips_leave_a_consistent_ledger_when_racing():
    """Each event's old value is the value the previous commit left (the row is locked while updating)."""
    tenant = make_tenant("race2")
    customer = make_customer(tenant, "flip", sms_opt_out=True)
    raw = make_api_key(tenant)[1]

    def flip(index: int) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client.patch(
            f"/api/v2/customers/{customer.pk}", {"sms_opt_out": index % 2 == 0}, format="json"
        ).status_code

    statuses = _race(8, flip)

    assert statuses == [HTTPStatus.OK] * 8
    chain = list(ConsentEvent.objects.filter(customer_id=customer.pk, field="sms_opt_out").order_by("id"))
    previous = True
    for event in chain:
        assert event.old_value == previous
        assert event.new_value != event.old_value
        previous = event.new_value
    customer.refresh_from_db()
    assert customer.sms_opt_out == previous
