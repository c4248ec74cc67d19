"""prefcenter/prepared.py: statements compiled once per connection give what the ORM gives, or refuse loudly."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import Customer
from prefcenter import prepared as writes
from prefcenter.models import ConsentEvent
from prefcenter.prepared import prepared
from subscribers.models import WorkflowPreference
from tests.factories import make_customer, make_tenant, make_workflow, make_workflow_preference

builds: list[tuple] = []


@prepared
def customers_named(tenant_id: int, external_id: str, *, with_tenant: bool = False):
    builds.append((tenant_id, external_id, with_tenant))
    rows = Customer.objects.filter(tenant_id=tenant_id, external_id=external_id).order_by()
    return rows.select_related("tenant") if with_tenant else rows


@prepared
def preference_rows(customer_id: int, workflow_id: int | None):
    return WorkflowPreference.objects.filter(customer_id=customer_id).filter(
        Q(workflow__isnull=True) | Q(workflow_id=workflow_id)
    ).order_by("id")


@prepared
def external_ids(tenant_id: int, email_opt_out: bool):
    return Customer.objects.filter(tenant_id=tenant_id, email_opt_out=email_opt_out).order_by("id").values_list(
        "external_id", "created_at"
    )


@pytest.fixture(autouse=True)
def forget_builds():
    writes.forget()  # the connection outlives a test: start each with nothing compiled
    builds.clear()


def test_prepared_read_answers_as_the_orm_when_called_with_other_values(db):
    acme, other = make_tenant("acme"), make_tenant("other")
    ada = make_customer(acme, "ada", email="ada@example.com")
    bob = make_customer(other, "bob")
    [found] = customers_named(acme.pk, "ada")
    assert (found.pk, found.external_id, found.email, found.created_at) == (ada.pk, "ada", "ada@example.com",
                                                                           ada.created_at)
    assert customers_named(acme.pk, "bob") == []  # another tenant's customer is not found
    assert customers_named(other.pk, "bob")[0].pk == bob.pk
    assert len(builds) == 1  # one shape, compiled once for this connection


def test_prepared_read_fills_select_related_rows_when_the_shape_asks(db, django_assert_num_queries):
    acme = make_tenant("acme", name="Acme Inc.")
    make_customer(acme, "ada")
    [found] = customers_named(acme.pk, "ada", with_tenant=True)
    with django_assert_num_queries(0):
        assert found.tenant.name == "Acme Inc."
    assert [b[2] for b in builds] == [True]


def test_prepared_read_treats_none_as_shape_when_a_value_is_null(db):
    tenant = make_tenant("acme")
    customer = make_customer(tenant, "ada")
    welcome, digest = make_workflow(tenant, "welcome"), make_workflow(tenant, "digest")
    global_row = make_workflow_preference(customer, None, email=False)
    welcome_row = make_workflow_preference(customer, welcome, sms=False)
    make_workflow_preference(customer, digest, push=False)
    assert [r.pk for r in preference_rows(customer.pk, welcome.pk)] == [global_row.pk, welcome_row.pk]
    assert [r.pk for r in preference_rows(customer.pk, None)] == [global_row.pk]  # `= NULL` would find none


def test_prepared_read_makes_tuples_with_converted_values_when_the_queryset_is_values_list(db):
    tenant = make_tenant("acme")
    ada = make_customer(tenant, "ada", email_opt_out=True)
    make_customer(tenant, "bob")
    assert external_ids(tenant.pk, True) == [("ada", ada.created_at)]
    assert external_ids(tenant.pk, False)[0][0] == "bob"
    assert timezone.is_aware(external_ids(tenant.pk, True)[0][1])


def test_prepared_read_refuses_when_a_value_is_not_a_plain_parameter(db):
    @prepared
    def containing(text: str):
        return Customer.objects.filter(external_id__contains=text)

    @prepared
    def ignoring(tenant_id: int, unused: str):
        return Customer.objects.filter(tenant_id=tenant_id)

    with pytest.raises(ValueError, match="transformed"):
        containing("ad")
    with pytest.raises(ValueError, match=r"arguments \[1\] are not parameters"):
        ignoring(1, "x")
    with pytest.raises(TypeError, match="values are ints, strs, bools or None"):
        customers_named(1, ["ada", "bob"])


@pytest.mark.skipif(not connection.features.has_select_for_update, reason="the backend has no SELECT … FOR UPDATE")
def test_prepared_locking_read_refuses_when_outside_a_transaction(transactional_db):
    @prepared
    def locked(pk: int):
        return Customer.objects.filter(pk=pk).select_for_update()

    with transaction.atomic():
        assert locked(1) == []
    with pytest.raises(TransactionManagementError):
        locked(1)


@pytest.mark.django_db(transaction=True)
def test_prepared_read_compiles_for_each_connection_when_called_from_another_thread():
    tenant = make_tenant("acme")
    make_customer(tenant, "ada")
    assert len(customers_named(tenant.pk, "ada")) == 1
    answers, wrappers = [], []

    def other_thread():
        from django.db import connections

        own = connections["default"]
        wrappers.append(own)
        try:
            answers.append(len(customers_named(tenant.pk, "ada")))
        finally:
            if own is not connection:
                own.close()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert answers == [1]
    # A thread's own connection compiles its own (an in-memory SQLite test database is one shared connection).
    assert len(builds) == (1 if wrappers[0] is connection else 2)


def test_insert_sets_ids_and_stamps_when_rows_are_new(db):
    tenant = make_tenant("acme")
    customer = make_customer(tenant, "ada")
    events = [
        ConsentEvent(tenant=tenant, customer_id=customer.pk, customer_external_id="ada", subject="customer",
                     field=name, old_value=None, new_value={"nested": [1, "two"]}, actor="test", source="api")
        for name in ("email_opt_out", "sms_opt_out")
    ]
    with CaptureQueriesContext(connection) as captured:
        writes.insert(events)
    assert len(captured) == 1  # one statement for both rows
    assert [e.pk for e in events] == sorted(ConsentEvent.objects.values_list("pk", flat=True))
    stored = ConsentEvent.objects.get(pk=events[1].pk)
    assert (stored.field, stored.new_value, stored.created_at) == ("sms_opt_out", {"nested": [1, "two"]},
                                                                    events[1].created_at)
    assert events[0].created_at is not None and not events[0]._state.adding


def test_update_writes_only_the_named_fields_when_a_row_changes(db):
    tenant = make_tenant("acme")
    customer = make_customer(tenant, "ada", email="ada@example.com")
    before = Customer.objects.get(pk=customer.pk).updated_at
    customer.email_opt_out = True
    customer.email = "changed-but-not-named@example.com"
    writes.update(customer, ["email_opt_out", "updated_at"])
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.email_opt_out, stored.email) == (True, "ada@example.com")
    assert stored.updated_at > before and stored.updated_at == customer.updated_at


def test_update_raises_when_the_row_no_longer_exists(db):
    tenant = make_tenant("acme")
    customer = make_customer(tenant, "ada")
    Customer.objects.filter(pk=customer.pk).delete()
    customer.email_opt_out = True
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        writes.update(customer, ["email_opt_out"])
