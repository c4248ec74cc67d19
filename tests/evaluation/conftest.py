"""Fixtures for the evaluation tests: the shared catalog and many customers, made in bulk."""

from __future__ import annotations

import pytest

from customers.models import Customer
from tests.selfservice.catalog import make_catalog


@pytest.fixture
def catalog(tenant):
    return make_catalog(tenant)


def make_many(tenant, count: int, prefix: str = "bulk") -> list[Customer]:
    """`count` customers in one INSERT (a phone and email each, SMS opted in for every other one)."""
    Customer.objects.bulk_create(
        Customer(
            tenant=tenant,
            external_id=f"{prefix}-{n}",
            email=f"{prefix}{n}@example.com",
            phone="+14155550123",
            sms_opt_out=bool(n % 2),
        )
        for n in range(count)
    )
    return list(Customer.objects.filter(tenant=tenant, external_id__startswith=f"{prefix}-").order_by("pk"))
