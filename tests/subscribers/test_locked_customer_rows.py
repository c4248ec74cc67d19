"""locked_customer_rows reads what customer_of_id + customer_rows read, in one statement fewer (its freshness
under a concurrent writer: tests/concurrency/test_races.py)."""

from __future__ import annotations

import pytest
from django.db import transaction

from customers.selectors import customer_of_id
from subscribers.selectors.layers import customer_rows, locked_customer_rows
from tests.factories import (
    make_category,
    make_category_preference,
    make_customer,
    make_tenant,
    make_workflow,
    make_workflow_preference,
)

pytestmark = pytest.mark.django_db


def _as_data(customer, rows):
    def values(row):
        return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}

    return (values(customer), {k: values(v) for k, v in rows.workflows.items()},
            {k: values(v) for k, v in rows.categories.items()})


@pytest.mark.parametrize("rows_kind", ["none", "messaging default", "category and default", "other category only"])
@pytest.mark.parametrize("in_category", [True, False])
def test_locked_customer_rows_equals_the_two_reads_when_rows_vary(rows_kind, in_category, django_assert_num_queries):
    tenant = make_tenant("acme")
    news, other = make_category(tenant, "news"), make_category(tenant, "other")
    workflow = make_workflow(tenant, "digest", category=news if in_category else None)
    customer = make_customer(tenant, "ada", email="ada@example.com")
    make_workflow_preference(customer, workflow, email=False)
    make_workflow_preference(customer, None, sms=False)
    if rows_kind in ("messaging default", "category and default"):
        make_category_preference(customer, None, push_enabled=False)
    if rows_kind == "category and default":
        make_category_preference(customer, news, digest="daily")
    if rows_kind == "other category only":
        make_category_preference(customer, other, email_enabled=False)
    with transaction.atomic():
        with django_assert_num_queries(2):
            merged_customer, merged_rows = locked_customer_rows(tenant=tenant, customer_pk=customer.pk,
                                                                 workflow=workflow)
        [plain_customer] = customer_of_id(tenant.pk, customer.pk, for_update=True)
        plain_rows = customer_rows(tenant=tenant, customer=plain_customer, workflow=workflow, for_update=True)
    assert _as_data(merged_customer, merged_rows) == _as_data(plain_customer, plain_rows)
    assert merged_customer.tenant is tenant


def test_locked_customer_rows_finds_nothing_when_the_customer_is_another_tenants():
    acme, other = make_tenant("acme"), make_tenant("other")
    workflow = make_workflow(acme, "digest")
    stranger = make_customer(other, "bob")
    with transaction.atomic():
        assert locked_customer_rows(tenant=acme, customer_pk=stranger.pk, workflow=workflow) is None
