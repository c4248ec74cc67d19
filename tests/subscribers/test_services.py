"""Workflow and preference services: what they write, what they refuse, what the loader costs."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings as settings_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefcenter.channels import CHANNELS
from prefcenter.exceptions import PrefCenterError
from prefcenter.models import ConsentEvent
from subscribers.catalog import workflow_facts
from subscribers.models import Workflow, WorkflowPreference
from subscribers.resolution import resolve
from subscribers.selectors.layers import resolution_layers
from subscribers.selectors.resolutions import customer_resolutions
from subscribers.selectors.workflows import workflow_list
from subscribers.services.catalog import workflow_create, workflow_delete, workflow_update
from subscribers.services.preferences import (
    PreferenceChange,
    workflow_preference_update,
    workflow_preferences_bulk_update,
)
from tests.factories import (
    make_category,
    make_category_preference,
    make_customer,
    make_workflow,
    make_workflow_preference,
)
from tests.subscribers.conftest import events

pytestmark = pytest.mark.django_db


def test_preference_update_writes_row_and_events_when_channels_change(tenant, customer, workflow, actor):
    row = workflow_preference_update(
        tenant=tenant, customer=customer, workflow=workflow, channels={"email": False}, actor=actor
    )
    assert row.pk is not None
    assert (row.email, row.sms, row.enabled) == (False, None, None)
    assert events() == [("workflow:order-shipped", "email", None, False)]
    assert ConsentEvent.objects.get().source == "api"


def test_preference_update_changes_only_channels_sent_when_row_exists(tenant, customer, workflow, actor):
    make_workflow_preference(customer, workflow, email=False, push=True)
    row = workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels={"sms": True},
                                     actor=actor)
    row.refresh_from_db()
    assert (row.email, row.sms, row.push) == (False, True, True)
    assert events() == [("workflow:order-shipped", "sms", None, True)]


def test_preference_update_writes_global_row_when_workflow_is_none(tenant, customer, actor):
    workflow_preference_update(tenant=tenant, customer=customer, workflow=None, enabled=False, channels={},
                               actor=actor)
    assert WorkflowPreference.objects.get(workflow__isnull=True).enabled is False
    assert events() == [("workflow:*", "enabled", None, False)]


def test_preference_update_writes_nothing_when_nothing_changes(tenant, customer, workflow, actor, unchanged):
    make_workflow_preference(customer, workflow, email=False)
    with unchanged():
        workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels={"email": False},
                                   actor=actor)
        workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels={}, actor=actor)


def test_preference_update_is_refused_when_workflow_is_critical(tenant, customer, critical_workflow, actor, unchanged):
    with unchanged(), pytest.raises(PrefCenterError) as exc:
        workflow_preference_update(tenant=tenant, customer=customer, workflow=critical_workflow,
                                   channels={"email": False}, actor=actor)
    assert exc.value.status_code == 400
    assert exc.value.code == "critical_workflow"


def test_preference_update_is_refused_when_category_is_mandatory(tenant, customer, actor, unchanged):
    workflow = make_workflow(tenant, "invoice", category=make_category(tenant, "billing", mandatory=True))
    with unchanged(), pytest.raises(PrefCenterError) as exc:
        workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels={"email": False},
                                   actor=actor)
    assert exc.value.code == "mandatory_category"


@pytest.mark.parametrize("channels", [{"fax": True}, {"email": "yes"}, {"email": 1}])
def test_preference_update_is_refused_when_channels_are_bad(tenant, customer, workflow, actor, unchanged, channels):
    with unchanged(), pytest.raises(PrefCenterError) as exc:
        workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow, channels=channels,
                                   actor=actor)
    assert exc.value.status_code == 400


def test_preference_update_is_refused_when_workflow_belongs_to_another_tenant(
    tenant, other_tenant, customer, actor, unchanged
):
    foreign = make_workflow(other_tenant, "foreign")
    with unchanged(), pytest.raises(PrefCenterError) as exc:
        workflow_preference_update(tenant=tenant, customer=customer, workflow=foreign, channels={"email": True},
                                   actor=actor)
    assert exc.value.status_code == 404


def test_row_is_deleted_when_every_value_is_reset_to_inherit(tenant, customer, workflow, actor):
    make_workflow_preference(customer, workflow, email=False)
    workflow_preferences_bulk_update(
        tenant=tenant, customer=customer, changes=[PreferenceChange(workflow=workflow, values={"email": None})],
        actor=actor,
    )
    assert not WorkflowPreference.objects.exists()
    assert events() == [("workflow:order-shipped", "email", False, None)]


patches = st.fixed_dictionaries(
    {
        "channels": st.dictionaries(st.sampled_from(CHANNELS), st.booleans()),
        "enabled": st.one_of(st.none(), st.booleans()),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=patches, second=patches, global_level=st.booleans())
def test_same_patch_twice_equals_once_when_applied_in_any_state(tenant, customer, workflow, actor, first, second,
                                                                 global_level):
    target = None if global_level else workflow
    workflow_preference_update(tenant=tenant, customer=customer, workflow=target, actor=actor, **first)
    workflow_preference_update(tenant=tenant, customer=customer, workflow=target, actor=actor, **second)
    state = list(WorkflowPreference.objects.order_by("pk").values())
    count = ConsentEvent.objects.count()
    workflow_preference_update(tenant=tenant, customer=customer, workflow=target, actor=actor, **second)
    assert list(WorkflowPreference.objects.order_by("pk").values()) == state
    assert ConsentEvent.objects.count() == count


def test_bulk_update_applies_every_item_when_all_valid(tenant, customer, workflow, actor):
    other = make_workflow(tenant, "weekly")
    result = workflow_preferences_bulk_update(
        tenant=tenant, customer=customer, actor=actor,
        changes=[PreferenceChange(workflow=workflow, values={"email": False}),
                 PreferenceChange(workflow=other, values={"push": False}),
                 PreferenceChange(workflow=None, values={"chat": False})],
    )
    assert len(result) == 3
    assert WorkflowPreference.objects.count() == 3
    assert sorted(e[0] for e in events()) == ["workflow:*", "workflow:order-shipped", "workflow:weekly"]


def test_bulk_update_writes_nothing_when_one_item_is_critical(tenant, customer, workflow, critical_workflow, actor,
                                                              unchanged):
    changes = [PreferenceChange(workflow=workflow, values={"email": False}),
               PreferenceChange(workflow=critical_workflow, values={"email": False})]
    with unchanged(), pytest.raises(PrefCenterError) as exc:
        workflow_preferences_bulk_update(tenant=tenant, customer=customer, changes=changes, actor=actor)
    assert list(exc.value.errors) == ["preferences.1.workflowId"]


def test_bulk_update_is_refused_when_more_than_100_items(tenant, customer, workflow, actor, unchanged):
    changes = [PreferenceChange(workflow=workflow, values={"email": False})] * 101
    with unchanged(), pytest.raises(PrefCenterError) as exc:
        workflow_preferences_bulk_update(tenant=tenant, customer=customer, changes=changes, actor=actor)
    assert "At most 100" in exc.value.message


def test_bulk_update_is_refused_when_a_workflow_repeats(tenant, customer, workflow, actor, unchanged):
    changes = [PreferenceChange(workflow=workflow, values={"email": False}),
               PreferenceChange(workflow=workflow, values={"email": True})]
    with unchanged(), pytest.raises(PrefCenterError) as exc:
        workflow_preferences_bulk_update(tenant=tenant, customer=customer, changes=changes, actor=actor)
    assert list(exc.value.errors) == ["preferences.1.workflowId"]


def test_bulk_update_runs_fixed_queries_when_items_grow(tenant, customer, actor, django_assert_max_num_queries):
    workflows = [make_workflow(tenant, f"w-{i}") for i in range(100)]
    changes = [PreferenceChange(workflow=w, values={"email": False}) for w in workflows]
    # lock customer, read rows, bulk insert, one ledger insert per changed workflow (plus savepoints)
    with django_assert_max_num_queries(110):
        workflow_preferences_bulk_update(tenant=tenant, customer=customer, changes=changes, actor=actor)
    assert WorkflowPreference.objects.count() == 100


# -- catalog ---------------------------------------------------------------------------


def test_workflow_create_defaults_slug_to_identifier_when_absent(tenant, actor):
    workflow = workflow_create(tenant=tenant, actor=actor, identifier="Order Shipped", name="Order shipped",
                               channels=["email"])
    assert workflow.slug == "order-shipped"


def test_workflow_create_is_a_conflict_when_identifier_exists(tenant, workflow, actor):
    with pytest.raises(PrefCenterError) as exc:
        workflow_create(tenant=tenant, actor=actor, identifier=workflow.identifier, name="Again")
    assert exc.value.status_code == 409
    assert Workflow.objects.count() == 1


def test_workflow_create_is_refused_when_channels_unknown(tenant, actor):
    with pytest.raises(PrefCenterError) as exc:
        workflow_create(tenant=tenant, actor=actor, identifier="x", name="X", channels=["fax"])
    assert "channels" in exc.value.errors
    assert not Workflow.objects.exists()


def test_workflow_update_saves_nothing_when_values_equal(tenant, workflow, actor):
    before = workflow.updated_at
    saved = workflow_update(workflow=workflow, actor=actor, name=workflow.name, tags=list(workflow.tags))
    assert saved.updated_at == before


def test_workflow_delete_records_removed_choices_when_customers_chose(tenant, customer, workflow, actor):
    make_workflow_preference(customer, workflow, email=False, enabled=True)
    workflow_delete(workflow=workflow, actor=actor)
    assert not Workflow.objects.exists()
    assert sorted(events()) == [("workflow:order-shipped", "email", False, None),
                                ("workflow:order-shipped", "enabled", True, None)]


# -- loader ----------------------------------------------------------------------------


def test_resolution_layers_gathers_every_layer_when_rows_exist(tenant, workflow, actor):
    category = make_category(tenant, "shipping", default_push=False)
    workflow.category = category
    workflow.save()
    a = make_customer(tenant, "a")
    b = make_customer(tenant, "b")
    make_workflow_preference(a, None, enabled=False)
    make_workflow_preference(a, workflow, email=True)
    make_category_preference(a, category, push_enabled=False, digest="daily", raw=True)
    make_category_preference(a, None, in_app_enabled=False, raw=True)
    workflow = workflow_list(tenant=tenant).get(pk=workflow.pk)
    layers = resolution_layers(tenant=tenant, workflow=workflow, customers=[a, b])
    assert layers[a.pk].global_preference.enabled is False
    assert layers[a.pk].workflow_preference.channels["email"] is True
    assert layers[a.pk].category_preference.digest == "daily"
    assert layers[a.pk].messaging_default.channels["in_app"] is False
    assert layers[b.pk].workflow_preference is None
    assert resolve(workflow_facts(workflow), layers[b.pk])["push"].reason == "category_default"


def test_resolution_layers_runs_two_queries_when_customers_grow(tenant, workflow, django_assert_num_queries):
    customers = [make_customer(tenant) for _ in range(50)]
    for c in customers[::2]:
        make_workflow_preference(c, workflow, email=False)
    with django_assert_num_queries(2):
        layers = resolution_layers(tenant=tenant, workflow=workflow, customers=customers)
    assert len(layers) == 50


def test_resolution_layers_drops_customers_when_from_another_tenant(tenant, workflow, other_customer):
    assert resolution_layers(tenant=tenant, workflow=workflow, customers=[other_customer]) == {}


def test_customer_resolutions_runs_three_queries_when_workflows_grow(tenant, customer, django_assert_num_queries):
    """Revision, workflow rows, category rows; the catalog's workflows once per process and revision."""
    category = make_category(tenant, "news")
    for i in range(30):
        make_workflow(tenant, f"w-{i}", category=category if i % 2 else None)
    make_workflow_preference(customer, None, chat=False)
    with django_assert_num_queries(4):
        first = customer_resolutions(tenant=tenant, customer=customer)
    with django_assert_num_queries(3):
        resolution = customer_resolutions(tenant=tenant, customer=customer)
    assert len(first.workflows) == len(resolution.workflows) == 30
    assert resolution.global_decisions["chat"].reason == "global_preference"


# -- concurrency (PostgreSQL: real threads and transactions) -----------------------------

IS_POSTGRES = settings_module.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL=postgres://… (this run is on SQLite)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_leave_one_row_and_a_consistent_ledger_when_racing(tenant, customer, workflow, actor):
    import threading

    from django.db import connection

    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            workflow_preference_update(tenant=tenant, customer=customer, workflow=workflow,
                                       channels={"email": bool(index % 2)}, actor=actor)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    row = WorkflowPreference.objects.get()
    chain = [(e.old_value, e.new_value) for e in ConsentEvent.objects.filter(field="email").order_by("id")]
    assert chain[0][0] is None
    assert all(prev[1] == nxt[0] for prev, nxt in itertools.pairwise(chain))
    assert chain[-1][1] == row.email


def test_workflow_update_raises_unchangeable_when_identifier_would_change(tenant, workflow, actor, unchanged):
    """The rule lives in the service (every face and the admin reach it), not in the views."""
    from prefcenter.exceptions import Unchangeable
    from subscribers.services.catalog import workflow_update

    with unchanged(), pytest.raises(Unchangeable) as raised:
        workflow_update(workflow=workflow, actor=actor, identifier="renamed", name="Renamed")
    assert (raised.value.status_code, raised.value.errors) == (400, {"workflowId": ["Cannot be changed once set."]})


def test_workflow_update_accepts_the_same_identifier_when_unchanged(tenant, workflow, actor):
    from subscribers.services.catalog import workflow_update

    updated = workflow_update(workflow=workflow, actor=actor, identifier=workflow.identifier, name="Renamed")
    assert (updated.identifier, updated.name) == ("order-shipped", "Renamed")
