"""The dashboard: opt-out rates decided by the engine, daily counts from the ledger (rollup + live), one tenant."""

from __future__ import annotations

import datetime as dt
import io
import random
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.dashboard import consent_rollup_refresh, daily_counts, ledger_day_counts, opt_out_rates, today
from console.models import ConsentDailyCount
from customers.services import customer_update
from messaging.models import CategoryPreference
from prefcenter.channels import CHANNELS, DIGESTS, MESSAGING_CHANNELS
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from subscribers.resolution import SUBSCRIBER_REASONS
from subscribers.selectors.resolutions import customer_resolutions
from tests.factories import (
    make_category,
    make_category_preference,
    make_customer,
    make_workflow,
    make_workflow_preference,
)

DASHBOARD = "/admin/console/dashboard/"
# The page's queries, whatever the number of customers, categories, days and events: the session, the user,
# their permissions (2), membership and tenant; the categories, the two rate aggregates; the rollup rows and
# the days not rolled up, from the ledger.
PAGE_QUERIES = 11
ACTOR = Actor(label="test", source="api")


def event(tenant, *, subject: str, field: str, old, new, when: dt.datetime) -> ConsentEvent:
    return ConsentEvent.objects.create(
        tenant=tenant, customer_id=1, customer_external_id="x", subject=subject, field=field, old_value=old,
        new_value=new, actor="test", source="api", created_at=when,
    )


def rates_by_label(rates):
    return {rate.label: (rate.opted_out, rate.total) for rate in rates}


def test_rates_per_channel_follow_the_engine_when_customers_chose(tenant, acme_world):
    total, per_channel, _ = opt_out_rates(tenant=tenant)

    assert total == 3
    # ada: SMS opt-out by default; bob: SMS opted in; cy: email and SMS opted out.
    assert rates_by_label(per_channel) == {
        "email": (1, 3), "sms": (2, 3), "in_app": (0, 3), "chat": (0, 3), "push": (0, 3),
    }
    for channel, (out, _) in rates_by_label(per_channel).items():
        engine = sum(
            1 for c in (acme_world["ada"], acme_world["bob"], acme_world["cy"])
            if not customer_resolutions(tenant=tenant, customer=c).global_decisions[channel].allowed
        )
        assert out == engine


def test_rates_per_category_count_own_choices_only_when_defaults_are_off(tenant, acme_world):
    quiet = make_category(tenant, "quiet", default_push=False)
    make_category_preference(acme_world["ada"], quiet, email_enabled=False, raw=True)
    make_workflow_preference(acme_world["bob"], None, enabled=False)  # bob's master switch: off everywhere

    _, _, per_category = opt_out_rates(tenant=tenant)

    rates = {category.key: rates_by_label(r) for category, r in per_category}
    # marketing: cy's email opt-out and push choice, bob's master switch.
    assert rates["marketing"] == {"in_app": (1, 3), "email": (2, 3), "push": (2, 3)}
    # quiet: push is off by default (not counted); ada's email choice, cy's email opt-out, bob's switch.
    assert rates["quiet"] == {"in_app": (1, 3), "email": (3, 3), "push": (1, 3)}


def test_rates_never_count_another_tenants_customers_when_both_have_some(tenant, acme_world, globex_world):
    total, _, per_category = opt_out_rates(tenant=tenant)

    assert total == 3
    assert [category.key for category, _ in per_category] == ["marketing"]


def test_rates_take_three_queries_when_customers_and_categories_grow(tenant, acme_world):
    for n in range(20):
        make_customer(tenant, f"more-{n}")
        make_category(tenant, f"more-{n}")

    with CaptureQueriesContext(connection) as queries:
        total, _, per_category = opt_out_rates(tenant=tenant)

    assert total == 23 and len(per_category) == 21
    assert len(queries) == 3


def _mixed_customers(tenant, rng: random.Random, categories, count: int) -> list:
    """Customers with every kind of layer, drawn at random: opt-outs, global switch rows, messaging
    defaults and category rows with every digest."""
    maybe = (None, True, False)
    customers = []
    for n in range(count):
        customer = make_customer(tenant, f"mixed-{n}", email_opt_out=rng.random() < 0.2,
                                 sms_opt_out=rng.random() < 0.5)
        if rng.random() < 0.5:
            make_workflow_preference(customer, None, enabled=rng.choice(maybe),
                                     **{c: rng.choice(maybe) for c in CHANNELS})
        for category in [None, *categories]:
            if rng.random() < 0.4:
                make_category_preference(
                    customer, category, digest=rng.choice(DIGESTS), raw=True,
                    **{f"{c}_enabled": rng.random() < 0.7 for c in MESSAGING_CHANNELS},
                )
        customers.append(customer)
    return customers


def test_rates_equal_the_engines_answer_per_customer_when_choices_are_mixed(tenant, other_tenant):
    rng = random.Random(20261130)
    categories = [
        make_category(tenant, "plain"),
        make_category(tenant, "must", mandatory=True),
        make_category(tenant, "quiet", default_digest="off", default_push=False),
        make_category(tenant, "daily", default_digest="daily", default_email=False),
    ]
    # The engine's answer for "a workflow of the category with no defaults of its own": such a workflow.
    probes = {make_workflow(tenant, f"probe-{c.key}", category=c, channels=list(MESSAGING_CHANNELS)).pk: c.key
              for c in categories}
    customers = _mixed_customers(tenant, rng, categories, 90)
    _mixed_customers(other_tenant, rng, [make_category(other_tenant, "plain")], 10)
    # Digests the engine does not know (written behind the services' back) are skipped, by both.
    CategoryPreference.objects.filter(pk__in=list(
        CategoryPreference.objects.filter(tenant=tenant).values_list("pk", flat=True)[:6])).update(digest="weekly")

    total, per_channel, per_category = opt_out_rates(tenant=tenant)

    engine_channels = dict.fromkeys(CHANNELS, 0)
    engine_categories = {key: dict.fromkeys(MESSAGING_CHANNELS, 0) for key in probes.values()}
    for customer in customers:
        resolution = customer_resolutions(tenant=tenant, customer=customer)
        for channel, decision in resolution.global_decisions.items():
            engine_channels[channel] += not decision.allowed and decision.reason in SUBSCRIBER_REASONS
        for resolved in resolution.workflows:
            for channel in MESSAGING_CHANNELS:
                decision = resolved.decisions[channel]
                engine_categories[probes[resolved.workflow.pk]][channel] += (
                    not decision.allowed and decision.reason in SUBSCRIBER_REASONS
                )
    assert total == len(customers)
    assert {rate.label: rate.opted_out for rate in per_channel} == engine_channels
    assert {c.key: {r.label: r.opted_out for r in rates} for c, rates in per_category} == engine_categories
    # The dataset is mixed enough to mean something: every channel and category but the mandatory one counts some.
    assert all(engine_channels.values())
    assert all(all(counts.values()) for key, counts in engine_categories.items() if key != "must")


def test_day_counts_classify_ledger_events_when_consent_changes(tenant, other_tenant):
    now = dt.datetime.combine(today(), dt.time(12), tzinfo=dt.UTC)
    yesterday = now - dt.timedelta(days=1)
    event(tenant, subject="workflow:news", field="email", old=None, new=False, when=now)  # opt-out
    event(tenant, subject="workflow:*", field="enabled", old=True, new=False, when=now)  # opt-out
    event(tenant, subject="category:promo", field="push_enabled", old=False, new=True, when=now)  # opt-in
    event(tenant, subject="customer", field="email_opt_out", old=False, new=True, when=yesterday)  # opt-out
    event(tenant, subject="customer", field="sms_opt_out", old=True, new=False, when=yesterday)  # opt-in
    event(tenant, subject="customer", field="sms_opt_out", old=None, new=True, when=now)  # creation: neither
    event(tenant, subject="workflow:news", field="email", old=False, new=None, when=now)  # reset: neither
    event(tenant, subject="customer", field="email", old="a", new="b", when=now)  # not consent
    event(other_tenant, subject="workflow:*", field="enabled", old=None, new=False, when=now)

    counts = ledger_day_counts(tenant=tenant, since=yesterday.date())

    assert {day: (c.opt_outs, c.opt_ins) for day, c in counts.items()} == {
        yesterday.date(): (1, 1), now.date(): (2, 1),
    }


def test_day_counts_split_at_utc_midnight_when_events_are_a_microsecond_apart(tenant):
    midnight = dt.datetime.combine(today(), dt.time.min, tzinfo=dt.UTC)
    for when in (midnight - dt.timedelta(microseconds=1), midnight, midnight + dt.timedelta(hours=23, minutes=59)):
        event(tenant, subject="workflow:*", field="sms", old=None, new=False, when=when)
    event(tenant, subject="workflow:*", field="sms", old=False, new=True, when=midnight - dt.timedelta(days=1))

    counts = ledger_day_counts(tenant=tenant, since=today() - dt.timedelta(days=2))

    assert {day: (c.opt_outs, c.opt_ins) for day, c in counts.items()} == {
        today() - dt.timedelta(days=1): (1, 1), today(): (2, 0),
    }


def test_day_counts_come_from_services_when_a_customer_opts_out_and_back_in(tenant):
    ada = make_customer(tenant, "ada")
    customer_update(customer=ada, actor=ACTOR, email_opt_out=True)
    customer_update(customer=ada, actor=ACTOR, email_opt_out=False)
    customer_update(customer=ada, actor=ACTOR, email_opt_out=True)

    days = daily_counts(tenant=tenant)

    assert len(days) == 90 and days[-1].day == today()
    assert (days[-1].opt_outs, days[-1].opt_ins) == (2, 1)


def test_rollup_serves_finished_days_and_the_ledger_today_when_refreshed(tenant):
    now = dt.datetime.combine(today(), dt.time(12), tzinfo=dt.UTC)
    for _ in range(3):
        event(tenant, subject="workflow:*", field="sms", old=None, new=False, when=now - dt.timedelta(days=2))
    event(tenant, subject="workflow:*", field="sms", old=None, new=False, when=now)

    assert consent_rollup_refresh(tenant=tenant) == 90
    assert ConsentDailyCount.objects.filter(tenant=tenant).count() == 90
    assert not ConsentDailyCount.objects.filter(day=today()).exists()
    two_days_ago = ConsentDailyCount.objects.get(tenant=tenant, day=today() - dt.timedelta(days=2))
    assert two_days_ago.opt_outs == 3
    ConsentDailyCount.objects.filter(pk=two_days_ago.pk).update(opt_outs=99)  # proves the row is what is read

    with CaptureQueriesContext(connection) as queries:
        days = daily_counts(tenant=tenant)

    assert days[-3].opt_outs == 99 and days[-1].opt_outs == 1
    assert len(queries) == 2  # the rollup rows, then today's events from the ledger


def test_rollup_command_refreshes_each_tenant_when_run(tenant, other_tenant):
    out = io.StringIO()

    call_command("refresh_consent_rollup", "--days", "7", stdout=out)
    call_command("refresh_consent_rollup", "--days", "7", stdout=out)  # idempotent

    assert out.getvalue().splitlines() == ["acme: 7 days", "globex: 7 days"] * 2
    assert ConsentDailyCount.objects.count() == 14


def test_rollup_command_fails_cleanly_when_the_tenant_is_unknown(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No tenant"):
        call_command("refresh_consent_rollup", "--tenant", "nope")


def test_dashboard_draws_svg_charts_without_script_when_staff_opens_it(client, staff_user, tenant, acme_world):
    customer_update(customer=acme_world["ada"], actor=ACTOR, email_opt_out=True)
    client.force_login(staff_user)

    response = client.get(DASHBOARD)

    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert body.count("<svg xmlns") >= 3
    assert 'aria-label="Opt-out rate per channel"' in body
    assert "marketing · email" in body
    assert "<script" not in body.split('id="console-dashboard"')[1]
    assert f"{today():%Y-%m-%d}: 1 opt-outs, 0 opt-ins" in body
    assert 'id="customer-count">3<' in body


def test_dashboard_never_shows_another_tenants_data_when_staff_asks_for_it(client, staff_user, tenant, acme_world,
                                                                          globex_world):
    now = dt.datetime.now(dt.UTC)
    event(globex_world["ada"].tenant, subject="customer", field="email_opt_out", old=False, new=True, when=now)
    client.force_login(staff_user)

    body = client.get(DASHBOARD, {"tenant": "globex"}).content.decode()

    assert "Dashboard: Acme Inc." in body
    assert "globex" not in body.lower()
    assert 'id="customer-count">3<' in body
    assert "opt-outs, 0 opt-ins" not in body.replace(f"{today():%Y-%m-%d}: 0 opt-outs, 0 opt-ins", "")


def test_superuser_picks_a_tenant_then_sees_it_when_opening_the_dashboard(client, superuser, acme_world,
                                                                          globex_world):
    client.force_login(superuser)

    picker = client.get(DASHBOARD).content.decode()
    globex = client.get(DASHBOARD, {"tenant": "globex"}).content.decode()

    assert '?tenant=acme' in picker and '?tenant=globex' in picker
    assert "Dashboard: Globex Corp." in globex and "globex-promos" in globex and "marketing" not in globex
    assert client.get(DASHBOARD, {"tenant": "nope"}).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("size", [1, 12])
def test_dashboard_runs_a_fixed_number_of_queries_when_categories_customers_and_days_grow(
    client, staff_user, tenant, acme_world, django_assert_max_num_queries, size
):
    now = dt.datetime.combine(today(), dt.time(12), tzinfo=dt.UTC)
    for n in range(size):
        category = make_category(tenant, f"more-{n}")
        customer = make_customer(tenant, f"more-{n}", email_opt_out=n % 2 == 0)
        make_category_preference(customer, category, email_enabled=False, raw=True)
        for day in range(n % 7, 90, 7):
            event(tenant, subject=f"category:more-{n}", field="email_enabled", old=True, new=False,
                  when=now - dt.timedelta(days=day))
    consent_rollup_refresh(tenant=tenant, days=30)  # the last 30 finished days rolled up, older ones live
    client.force_login(staff_user)

    with django_assert_max_num_queries(PAGE_QUERIES):
        cold = client.get(DASHBOARD)
    with django_assert_max_num_queries(PAGE_QUERIES - 3):  # the rates come from the cache
        warm = client.get(DASHBOARD)

    assert cold.status_code == warm.status_code == HTTPStatus.OK
    body = cold.content.decode()
    assert f"more-{size - 1} · email" in body and f'id="customer-count">{3 + size}<' in body
    assert warm.content.decode().count("<rect") == body.count("<rect")


def test_dashboard_tells_staff_without_a_tenant_when_opened(client, staff_user):
    staff_user.tenant_membership.delete()
    staff_user.refresh_from_db()
    client.force_login(staff_user)

    response = client.get(DASHBOARD)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "not bound to a tenant" in response.content.decode()


def test_dashboard_reuses_its_rates_for_a_minute_when_reloaded(client, staff_user, tenant, acme_world):
    client.force_login(staff_user)
    client.get(DASHBOARD)
    make_customer(tenant, "dan")

    with CaptureQueriesContext(connection) as queries:
        cached = client.get(DASHBOARD).content.decode()
    make_category(tenant, "fresh")  # a catalog change is a new revision: the rates are recomputed
    fresh = client.get(DASHBOARD).content.decode()

    assert 'id="customer-count">3<' in cached
    assert not any("GROUP BY" in q["sql"] and "email_opt_out" in q["sql"] for q in queries.captured_queries)
    assert 'id="customer-count">4<' in fresh and "fresh · email" in fresh
