"""Messaging services: upsert semantics, the ledger, the race path, and the catalog rules."""

from __future__ import annotations

import pytest
from django.db import transaction

from messaging import services
from messaging.models import CategoryPreference
from messaging.selectors import category_preference_defaults
from messaging.services import (
    category_delete,
    category_preference_clear,
    category_preference_set,
    category_update,
)
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from tests.factories import make_category, make_category_preference, make_customer
from tests.messaging.conftest import events_for

ACTOR = Actor(label="tester", source="system", request_id="req-1")
VALUES = {"in_app_enabled": True, "email_enabled": False, "push_enabled": True, "digest": "daily"}


def test_set_reports_changed_when_created_then_unchanged_when_repeated(tenant, customer, marketing):
    first, created = category_preference_set(
        tenant=tenant, customer=customer, category=marketing, actor=ACTOR, **VALUES
    )
    second, changed = category_preference_set(
        tenant=tenant, customer=customer, category=marketing, actor=ACTOR, **VALUES
    )

    assert (created, changed) == (True, False)
    assert first.pk == second.pk
    assert second.updated_at == first.updated_at
    assert len(events_for(customer)) == 4


def test_set_records_request_id_and_actor_when_changing(tenant, customer):
    category_preference_set(tenant=tenant, customer=customer, category=None, actor=ACTOR, **VALUES)

    event = ConsentEvent.objects.get(field="digest")
    assert (event.subject, event.actor, event.source, event.request_id, event.old_value, event.new_value) == (
        "category:*", "tester", "system", "req-1", None, "daily"
    )


def test_set_updates_existing_row_when_a_concurrent_insert_won(tenant, customer, marketing, monkeypatch):
    """The race path, made deterministic: our lookup misses a row another request just committed,
    our insert hits the unique constraint, and we retry as an update inside the same transaction."""
    existing = make_category_preference(customer, marketing, email_enabled=True, digest="instant")
    real_locked = services._locked
    calls = []

    def first_lookup_misses(customer, category):
        calls.append(category)
        return None if len(calls) == 1 else real_locked(customer, category)

    monkeypatch.setattr(services, "_locked", first_lookup_misses)
    before = len(events_for(customer))

    preference, changed = category_preference_set(
        tenant=tenant, customer=customer, category=marketing, actor=ACTOR, **VALUES
    )

    assert changed is True
    assert preference.pk == existing.pk
    assert len(calls) == 2
    assert CategoryPreference.objects.filter(customer=customer).count() == 1
    assert events_for(customer)[before:] == [
        ("category:marketing", "email_enabled", True, False),
        ("category:marketing", "digest", "instant", "daily"),
    ]


def test_set_retries_global_row_when_a_concurrent_insert_won(tenant, customer, monkeypatch):
    make_category_preference(customer, None)
    real_locked = services._locked
    calls = []

    def first_lookup_misses(customer, category):
        calls.append(category)
        return None if len(calls) == 1 else real_locked(customer, category)

    monkeypatch.setattr(services, "_locked", first_lookup_misses)

    category_preference_set(tenant=tenant, customer=customer, category=None, actor=ACTOR, **VALUES)

    assert CategoryPreference.objects.filter(customer=customer, category__isnull=True).count() == 1


def test_set_writes_nothing_when_ledger_fails(tenant, customer, marketing, monkeypatch, unchanged):
    def broken(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(services.ledger, "record", broken)

    with unchanged(), pytest.raises(RuntimeError):
        category_preference_set(tenant=tenant, customer=customer, category=marketing, actor=ACTOR, **VALUES)


def test_set_refuses_other_tenants_category_when_called_directly(tenant, customer, other_category, unchanged):
    with unchanged(), pytest.raises(ValueError, match="belong to the tenant"):
        category_preference_set(tenant=tenant, customer=customer, category=other_category, actor=ACTOR, **VALUES)


@pytest.mark.parametrize(
    ("values", "field"),
    [({**VALUES, "digest": "weekly"}, "digest"), ({**VALUES, "push_enabled": "true"}, "push_enabled")],
)
def test_set_refuses_bad_values_when_called_directly(tenant, customer, unchanged, values, field):
    with unchanged(), pytest.raises(PrefCenterError) as raised:
        category_preference_set(tenant=tenant, customer=customer, category=None, actor=ACTOR, **values)

    assert list(raised.value.errors) == [field]


def test_set_refuses_opt_out_when_category_mandatory(tenant, customer, billing, unchanged):
    with unchanged(), pytest.raises(PrefCenterError) as raised:
        category_preference_set(tenant=tenant, customer=customer, category=billing, actor=ACTOR, **VALUES)

    assert raised.value.status_code == 400
    assert raised.value.errors == {"email_enabled": ["Cannot be turned off: category 'billing' is mandatory."]}
    assert raised.value.message.startswith("Category 'billing' is mandatory")


def test_set_requires_outer_transaction_integrity_when_nested(tenant, customer, marketing):
    """Called inside a caller's transaction that rolls back, the preference and its events go too."""
    with pytest.raises(RuntimeError), transaction.atomic():
        category_preference_set(tenant=tenant, customer=customer, category=marketing, actor=ACTOR, **VALUES)
        raise RuntimeError("caller failed later")

    assert not CategoryPreference.objects.exists()
    assert not ConsentEvent.objects.filter(customer_id=customer.pk).exists()


def test_clear_returns_false_and_writes_nothing_when_absent(tenant, customer, marketing, unchanged):
    with unchanged():
        assert category_preference_clear(tenant=tenant, customer=customer, category=marketing, actor=ACTOR) is False


def test_clear_deletes_only_that_row_when_present(tenant, customer, marketing):
    make_category_preference(customer, None)
    make_category_preference(customer, marketing)

    assert category_preference_clear(tenant=tenant, customer=customer, category=None, actor=ACTOR) is True
    assert list(CategoryPreference.objects.values_list("category__key", flat=True)) == ["marketing"]


def test_defaults_follow_category_when_category_given(tenant, marketing):
    assert category_preference_defaults(tenant=tenant, category=marketing) == {
        "in_app_enabled": False, "email_enabled": True, "push_enabled": False, "digest": "instant",
    }


def test_defaults_follow_tenant_when_global(tenant):
    tenant.channel_defaults = {"email": False, "in_app": True}
    assert category_preference_defaults(tenant=tenant, category=None) == {
        "in_app_enabled": True, "email_enabled": False, "push_enabled": True, "digest": "instant",
    }


def test_update_keeps_stored_opt_outs_when_category_becomes_mandatory(tenant, customer):
    news = make_category(tenant, "news")
    make_category_preference(customer, news, email_enabled=False)

    category_update(category=news, mandatory=True)

    news.refresh_from_db()
    assert news.mandatory is True
    assert CategoryPreference.objects.get(customer=customer).email_enabled is False


def test_delete_counts_every_protecting_relation_when_in_use(tenant, marketing):
    for _ in range(3):
        make_category_preference(make_customer(tenant), marketing)

    with pytest.raises(PrefCenterError) as raised:
        category_delete(category=marketing)

    assert raised.value.status_code == 409
    assert "3 category preferences" in raised.value.message
    assert services.category_usage(marketing) == {"category preferences": 3}


def test_delete_answers_409_when_a_workflow_refers_to_category(api, tenant, marketing, unchanged):
    from subscribers.models import Workflow

    Workflow.objects.create(tenant=tenant, identifier="promo-weekly", slug="promo-weekly", name="Promo",
                            category=marketing)

    with unchanged():
        response = api.delete(f"/v1/messaging/categories/{marketing.key}")

    assert response.status_code == 409
    assert response.json()["detail"].startswith(
        "Category 'marketing' cannot be deleted: it is still used by 1 workflow."
    )


def test_demo_load_is_idempotent_when_run_twice(tenant):
    import customers.demo
    import messaging.demo

    customers.demo.load(tenant)
    messaging.demo.load(tenant)
    counts = (CategoryPreference.objects.count(), ConsentEvent.objects.count())

    categories = messaging.demo.load(tenant)

    assert (CategoryPreference.objects.count(), ConsentEvent.objects.count()) == counts
    assert sorted(c.key for c in categories) == ["billing", "marketing", "product-updates", "security"]
    assert sorted(c.key for c in categories if c.mandatory) == ["billing", "security"]
    assert counts[0] == 4
