"""The cached catalog and the memoized decisions answer exactly what resolving from the rows answers.

subscribers/catalog.py keeps each tenant's workflows in process memory under a revision that
every workflow or category write renews; subscribers/selectors/ memoizes the decisions of
workflows a customer has no row for, and reads the evaluation's layers in one joined query.
These tests hold them to the plain path: `resolve()` over layers built from the rows.
"""

from __future__ import annotations

import random

import pytest
from django.db import connection, transaction

from customers.models import Customer
from prefcenter.channels import CHANNELS, DIGESTS
from subscribers.catalog import CATALOGS, _catalog, catalog_changed, tenant_catalog, workflow_facts
from subscribers.evaluation.deliveries import evaluate
from subscribers.models import Workflow
from subscribers.resolution import resolve
from subscribers.selectors.layers import resolution_layers
from subscribers.selectors.recipients import shared_resolution_layers
from subscribers.selectors.resolutions import customer_resolutions
from subscribers.selectors.workflows import workflow_list
from subscribers.services.catalog import workflow_delete, workflow_update
from tests.factories import (
    make_category,
    make_category_preference,
    make_customer,
    make_workflow,
    make_workflow_preference,
)
from tests.subscribers.conftest import ACTOR


def identifiers(tenant) -> list[str]:
    return [entry.workflow.identifier for entry in tenant_catalog(tenant).entries]


# -- the catalog follows every write -------------------------------------------------------


def test_catalog_sees_a_workflow_when_created_updated_or_deleted_through_services_or_the_orm(tenant):
    first = make_workflow(tenant, "first")
    assert identifiers(tenant) == ["first"]
    second = make_workflow(tenant, "second", critical=False)
    assert identifiers(tenant) == ["first", "second"]
    workflow_update(workflow=second, actor=ACTOR, critical=True)
    assert tenant_catalog(tenant).entries[1].facts.critical is True
    Workflow.objects.get(pk=first.pk).delete()
    assert identifiers(tenant) == ["second"]
    workflow_delete(workflow=Workflow.objects.get(pk=second.pk), actor=ACTOR)
    assert identifiers(tenant) == []


def test_catalog_sees_a_category_change_when_the_category_is_saved(tenant):
    news = make_category(tenant, "news", default_email=True)
    make_workflow(tenant, "digest", category=news)
    assert tenant_catalog(tenant).entries[0].facts.category_defaults["email"] is True
    news.default_email = False
    news.mandatory = True
    news.save()
    facts = tenant_catalog(tenant).entries[0].facts
    assert (facts.category_defaults["email"], facts.category_mandatory) == (False, True)


def test_catalog_reads_the_revision_fresh_when_the_tenant_object_is_stale(tenant):
    make_workflow(tenant, "first")
    stale = type(tenant).objects.get(pk=tenant.pk)
    assert identifiers(stale) == ["first"]
    Workflow.objects.create(tenant_id=tenant.pk, identifier="second", slug="second", name="Second")
    assert identifiers(stale) == ["first", "second"]


def test_catalog_keeps_the_revision_when_the_write_is_rolled_back(tenant):
    make_workflow(tenant, "first")
    before = type(tenant).objects.get(pk=tenant.pk).catalog_revision
    with pytest.raises(RuntimeError), transaction.atomic():
        make_workflow(tenant, "rolled-back")
        raise RuntimeError("undo")
    assert type(tenant).objects.get(pk=tenant.pk).catalog_revision == before
    assert identifiers(tenant) == ["first"]


def test_catalog_sees_bulk_writes_when_catalog_changed_is_called_after_them(tenant):
    make_workflow(tenant, "first")
    assert identifiers(tenant) == ["first"]
    Workflow.objects.bulk_create([Workflow(tenant=tenant, identifier="bulk", slug="bulk", name="Bulk")])
    catalog_changed(tenant)
    assert identifiers(tenant) == ["first", "bulk"]


def test_catalog_is_one_query_when_this_process_has_seen_the_revision(tenant, django_assert_num_queries):
    for i in range(20):
        make_workflow(tenant, f"w-{i}")
    with django_assert_num_queries(2):
        tenant_catalog(tenant)
    with django_assert_num_queries(1):
        catalog = tenant_catalog(tenant)
    assert len(catalog.entries) == 20
    assert _catalog.cache_info().maxsize == CATALOGS


def test_catalog_keeps_tenants_apart_when_both_have_workflows(tenant, other_tenant):
    make_workflow(tenant, "mine")
    make_workflow(other_tenant, "theirs")
    assert identifiers(tenant) == ["mine"]
    assert identifiers(other_tenant) == ["theirs"]


# -- memoized and joined paths against the plain one ------------------------------------------


def random_world(tenant, seed: int, *, customers: int = 40, workflows: int = 14) -> list[Customer]:
    """Workflows of every kind and customers with every kind of row, drawn with a fixed seed."""
    rng = random.Random(seed)

    def maybe() -> bool | None:
        return rng.choice([None, None, True, False])

    categories = [
        make_category(tenant, f"cat-{i}", mandatory=(i == 0), default_email=rng.random() < 0.7,
                      default_push=rng.random() < 0.5, default_digest=rng.choice(DIGESTS), raw=True)
        for i in range(4)
    ]
    flows = [
        make_workflow(
            tenant, f"wf-{i}", channels=[c for c in CHANNELS if rng.random() < 0.6] or ["email"],
            critical=(i % 7 == 3), category=rng.choice([None, *categories]),
            defaults={c: rng.random() < 0.5 for c in CHANNELS if rng.random() < 0.3},
        )
        for i in range(workflows)
    ]
    tenant.channel_defaults = {c: rng.random() < 0.8 for c in CHANNELS if rng.random() < 0.7}
    tenant.save()
    people = []
    for i in range(customers):
        customer = make_customer(tenant, f"person-{i}", email_opt_out=rng.random() < 0.2,
                                 sms_opt_out=rng.random() < 0.5)
        if rng.random() < 0.3:
            make_workflow_preference(customer, None, enabled=rng.choice([None, True, False]),
                            **{c: maybe() for c in CHANNELS})
        for workflow in rng.sample(flows, rng.randrange(0, 3)):
            make_workflow_preference(customer, workflow, enabled=maybe(), **{c: maybe() for c in CHANNELS})
        if rng.random() < 0.3:
            make_category_preference(customer, None, email_enabled=rng.random() < 0.5,
                                     digest=rng.choice(DIGESTS), raw=True)
        for category in rng.sample(categories, rng.randrange(0, 2)):
            make_category_preference(customer, category, push_enabled=rng.random() < 0.5,
                                     digest=rng.choice(DIGESTS), raw=True)
        people.append(customer)
    return people


def explained(decisions) -> list:
    return [(d.channel, d.allowed, d.reason, d.digest, d.layers) for d in decisions.values()]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_customer_resolutions_decide_as_resolve_does_when_decisions_are_memoized(tenant, seed):
    people = random_world(tenant, seed)
    shared_seen = 0
    for customer in people:
        for round_ in range(2):  # the second round answers from the memo
            resolution = customer_resolutions(tenant=tenant, customer=customer)
            assert [item.workflow.identifier for item in resolution.workflows] == [
                w.identifier for w in workflow_list(tenant=tenant)
            ]
            for item in resolution.workflows:
                expected = resolve(workflow_facts(item.workflow), item.layers)
                assert explained(item.decisions) == explained(expected), (customer.external_id, item.workflow)
                assert all(type(d.allowed) is bool for d in item.decisions.values())
            shared_seen += round_
    assert shared_seen


def test_customer_resolutions_share_decisions_when_two_customers_have_the_same_global_layers(tenant):
    make_workflow(tenant, "a")
    one, two = make_customer(tenant, "one"), make_customer(tenant, "two")
    first = customer_resolutions(tenant=tenant, customer=one).workflows[0].decisions
    second = customer_resolutions(tenant=tenant, customer=two).workflows[0].decisions
    assert first is second
    make_workflow_preference(two, None, email=False)
    third = customer_resolutions(tenant=tenant, customer=two).workflows[0].decisions
    assert third is not first
    assert (first["email"].allowed, third["email"].allowed) == (True, False)


@pytest.mark.parametrize("seed", [4, 5])
def test_evaluation_layers_decide_as_the_per_customer_loader_when_read_in_one_query(tenant, other_tenant, seed):
    people = random_world(tenant, seed)
    make_customer(other_tenant, people[0].external_id)  # the same external id in another tenant
    wanted = [c.external_id for c in people] + ["nobody"]
    for workflow in workflow_list(tenant=tenant):
        facts = workflow_facts(workflow)
        shared = shared_resolution_layers(tenant=tenant, workflow=workflow, external_ids=wanted)
        plain = resolution_layers(tenant=tenant, workflow=workflow, customers=people)
        assert list(shared) == [c.external_id for c in people]
        for customer in people:
            ours = resolve(facts, shared[customer.external_id])
            assert explained(ours) == explained(resolve(facts, plain[customer.pk])), (customer, workflow)
            assert all(type(d.allowed) is bool for d in ours.values())
        answer = evaluate(tenant=tenant, workflow=workflow, recipients=wanted, channels=None)
        assert answer["unknown_recipients"] == ["nobody"]
        assert len(answer["results"]) == len(people)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan; PostgreSQL plans by statistics")
@pytest.mark.parametrize("setwise", [False, True])
def test_evaluation_query_searches_indexes_and_scans_no_table_when_run_on_sqlite(tenant, setwise):
    from subscribers.selectors import recipients as selectors

    workflow = make_workflow(tenant, "w", category=make_category(tenant, "news"))
    captured = {}
    real = connection.cursor

    class Spy:
        def __init__(self, cursor):
            self.cursor = cursor

        def __enter__(self):
            self.inner = self.cursor.__enter__()
            return self

        def __exit__(self, *exc):
            return self.cursor.__exit__(*exc)

        def execute(self, sql, params):
            captured["sql"], captured["params"] = sql, params
            return self.inner.execute(sql, params)

        def fetchall(self):
            return self.inner.fetchall()

    wanted = [f"r-{n}" for n in range(selectors.SETWISE_RECIPIENTS if setwise else 2)]
    connection.cursor = lambda: Spy(real())
    try:
        selectors._evaluation_rows(tenant=tenant, workflow=workflow, external_ids=wanted)
    finally:
        del connection.cursor
    with real() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + captured["sql"], captured["params"])
        plan = [row[-1] for row in cursor.fetchall()]
    tables = [step for step in plan if step.startswith(("SEARCH", "SCAN")) and "json_each" not in step]
    preferences = [step for step in tables if "customer_evaluation" not in step]
    assert len(preferences) == 4, plan
    assert all(step.startswith("SEARCH") for step in tables), plan
    assert all("COVERING INDEX customer_evaluation" in step for step in tables if step not in preferences), plan
    if setwise:  # each kind of row read as one range: the workflow's, the category's, the global ones
        assert all("(workflow_id=?)" in step or "(category_id=?)" in step for step in preferences), plan
    else:  # each recipient's row found by the partial unique indexes
        assert all(" USING INDEX " in step and "_pref_unique" in step for step in preferences), plan
