"""A fixed number of queries per request, whatever the number of rows."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from tests.factories import make_customer

LIST = "/api/v2/customers"


def _add_customers(tenant, count: int, prefix: str) -> None:
    Customer.objects.bulk_create(
        Customer(tenant=tenant, external_id=f"{prefix}-{n}", email=f"{prefix}{n}@example.com") for n in range(count)
    )


@pytest.mark.parametrize("query", [{}, {"fields": "id,external_id"}, {"format": "xml"}, {"search": "example"}])
def test_customer_list_runs_the_same_queries_when_5_or_50_customers(api, tenant, django_assert_max_num_queries, query):
    _add_customers(tenant, 5, "few")
    api.get(LIST)  # warm-up: the key's last_used_at is written on first use only
    with CaptureQueriesContext(connection) as few:
        small = api.get(LIST, query)
    assert small.status_code == HTTPStatus.OK

    _add_customers(tenant, 45, "many")
    with django_assert_max_num_queries(len(few)):
        large = api.get(LIST, query)

    assert large.status_code == HTTPStatus.OK
    if "format" not in query:
        assert large.json()["count"] == 50
        assert len(large.json()["results"]) == 50
    assert len(few) <= 3  # key lookup, count, page


def test_customer_retrieve_runs_a_fixed_number_of_queries_when_called(api, customer, django_assert_max_num_queries):
    api.get(f"{LIST}/{customer.pk}")
    with django_assert_max_num_queries(2):  # key lookup, customer
        response = api.get(f"{LIST}/{customer.pk}")

    assert response.status_code == HTTPStatus.OK


def test_reach_patch_runs_a_fixed_number_of_queries_when_every_field_changes(
    api, customer, django_assert_max_num_queries
):
    api.get("/api/resources/customers/cust-1")
    body = {
        "data": {
            "email": "grace@example.com",
            "phone": "+14155550123",
            "firstName": "Grace",
            "lastName": "Hopper",
            "emailOptOut": True,
            "smsOptOut": False,
            "customerDetailUrl": "https://crm.example.com/c/1",
            "createdAt": "2024-01-02T03:04:05Z",
        }
    }

    with django_assert_max_num_queries(7):  # key, customer, savepoint, lock, update, events, release
        response = api.patch("/api/resources/customers/cust-1", body, format="json")

    assert response.status_code == HTTPStatus.OK


def test_reach_patch_queries_do_not_grow_with_the_number_of_changed_fields(api, customer):
    api.get("/api/resources/customers/cust-1")
    with CaptureQueriesContext(connection) as one_field:
        api.patch("/api/resources/customers/cust-1", {"data": {"firstName": "One"}}, format="json")
    with CaptureQueriesContext(connection) as many_fields:
        api.patch(
            "/api/resources/customers/cust-1",
            {"data": {"firstName": "Two", "lastName": "Three", "emailOptOut": True, "smsOptOut": False}},
            format="json",
        )

    assert len(many_fields) == len(one_field)


def test_reach_patch_queries_do_not_grow_with_the_tenants_size(api, tenant, customer):
    api.get("/api/resources/customers/cust-1")
    with CaptureQueriesContext(connection) as small:
        api.patch("/api/resources/customers/cust-1", {"data": {"firstName": "A"}}, format="json")
    _add_customers(tenant, 100, "bulk")
    make_customer(tenant, "late")
    with CaptureQueriesContext(connection) as large:
        api.patch("/api/resources/customers/cust-1", {"data": {"firstName": "B"}}, format="json")

    assert len(large) == len(small)
