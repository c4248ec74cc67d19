"""The evaluation's two ways of reading preference rows answer alike (subscribers/selectors/recipients.py).

From `SETWISE_RECIPIENTS` recipients the rows of the workflow, its category, the global switch and the
messaging default are read whole and joined to the customers in Python; below it each recipient's rows
are found by the partial unique indexes. The tests run both on the same worlds and compare the answers,
byte for byte as rendered; the per-recipient way is held to the engine by tests/subscribers/test_catalog.py.
Likewise the two ways of reading subscriber profiles (schedule and quiet hours): all of them when the
database holds fewer than `SETWISE_PROFILES` per recipient, else each recipient's by a left join (SQLite;
PostgreSQL always left-joins, so there both settings take the same path).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time

import pytest

from prefcenter.renderers import JSONRenderer
from subscribers.evaluation.deliveries import evaluate
from subscribers.selectors import recipients as layers
from subscribers.selectors.workflows import workflow_list
from subscribers.services.profiles import customer_schedule_set
from tests.factories import make_customer, make_workflow_preference
from tests.selfservice.catalog import SYSTEM
from tests.subscribers.test_catalog import random_world

AT = datetime(2026, 6, 10, 21, 30, tzinfo=UTC)
WORKDAYS = {"isEnabled": True, "weeklySchedule": {
    **{day: {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "05:00 PM"}]}
       for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    "saturday": {"isEnabled": False}, "sunday": {"isEnabled": False}}}


def answers(tenant, recipients, monkeypatch, *, setwise: bool, setwise_profiles: bool = False) -> list[bytes]:
    monkeypatch.setattr(layers, "SETWISE_RECIPIENTS", 1 if setwise else 10**9)
    monkeypatch.setattr(layers, "SETWISE_PROFILES", 10**9 if setwise_profiles else 0)
    return [
        JSONRenderer().render(evaluate(tenant=tenant, workflow=workflow, recipients=recipients, channels=None, at=AT))
        for workflow in workflow_list(tenant=tenant)
    ]


@pytest.mark.parametrize("seed", [6, 7])
def test_evaluation_answers_alike_when_rows_are_read_setwise_or_per_recipient(
    tenant, other_tenant, monkeypatch, seed
):
    people = random_world(tenant, seed)
    rng = random.Random(seed)
    tenant.schedule_channels = ["sms", "push", "email"]
    tenant.save()
    for person in rng.sample(people, 12):  # schedules and quiet hours in several zones
        person.timezone = rng.choice(["Europe/Berlin", "America/New_York", ""])
        person.save()
        customer_schedule_set(
            customer=person, actor=SYSTEM, schedule=rng.choice([None, WORKDAYS]),
            quiet_hours_start=time(22), quiet_hours_end=time(7),
        )
    # The same external id in another tenant, with rows of its own: never read for this tenant.
    stranger = make_customer(other_tenant, people[0].external_id, email_opt_out=True)
    make_workflow_preference(stranger, None, enabled=False)
    recipients = [p.external_id for p in people]
    recipients = ["nobody", *recipients[:5], *recipients, recipients[3], "ghost"]  # unknown ids and duplicates

    setwise = answers(tenant, recipients, monkeypatch, setwise=True)
    per_recipient = answers(tenant, recipients, monkeypatch, setwise=False)

    assert setwise == per_recipient
    assert b'"unknown_recipients":["nobody","ghost"]' in setwise[0]


def test_evaluation_reads_one_statement_whichever_way_rows_are_read(
    tenant, monkeypatch, django_assert_num_queries
):
    random_world(tenant, 8, customers=5, workflows=2)
    workflow = workflow_list(tenant=tenant)[0]
    for threshold in (1, 10**9):
        monkeypatch.setattr(layers, "SETWISE_RECIPIENTS", threshold)
        with django_assert_num_queries(1):
            found, _windows = layers.shared_delivery_layers(
                tenant=tenant, workflow=workflow, external_ids=["person-0", "person-1"]
            )
        assert list(found) == ["person-0", "person-1"]


def _profiled_world(tenant, other_tenant, seed: int, *, profiles: int) -> list[str]:
    """A random world where `profiles` customers have a profile (some restricting, some not), and a stranger."""
    people = random_world(tenant, seed)
    rng = random.Random(seed)
    tenant.schedule_channels = ["sms", "push", "email"]
    tenant.default_timezone = "Asia/Tokyo"
    tenant.save()
    for n, person in enumerate(rng.sample(people, profiles)):
        person.timezone = rng.choice(["Europe/Berlin", "America/New_York", ""])
        person.save()
        quiet = [(None, None), (time(22), time(7)), (time(12), time(13))][n % 3]
        schedule = [WORKDAYS, None, {"isEnabled": False}][n % 3 if n % 2 else 1]
        customer_schedule_set(customer=person, actor=SYSTEM, schedule=schedule,
                              quiet_hours_start=quiet[0], quiet_hours_end=quiet[1])
    # Another tenant's customer with the same external id and a restricting profile: never read for this tenant.
    stranger = make_customer(other_tenant, people[0].external_id, timezone="Europe/Berlin")
    customer_schedule_set(customer=stranger, actor=SYSTEM, schedule=WORKDAYS,
                          quiet_hours_start=time(0), quiet_hours_end=time(23, 59))
    recipients = [p.external_id for p in people]
    return ["nobody", *recipients[:5], *recipients[::2], recipients[3], "ghost"]  # unknown, duplicates, a part


@pytest.mark.parametrize(("seed", "profiles"), [(9, 0), (10, 1), (11, 15)])
def test_evaluation_answers_alike_when_profiles_are_read_setwise_or_per_recipient(
    tenant, other_tenant, monkeypatch, seed, profiles
):
    recipients = _profiled_world(tenant, other_tenant, seed, profiles=profiles)

    reference = answers(tenant, recipients, monkeypatch, setwise=False, setwise_profiles=False)

    for setwise in (False, True):
        assert answers(tenant, recipients, monkeypatch, setwise=setwise, setwise_profiles=True) == reference
    assert answers(tenant, recipients, monkeypatch, setwise=True, setwise_profiles=False) == reference
    assert (b'"deliver_after":"' in b"".join(reference)) == (profiles > 1)  # the windows were applied


@pytest.mark.parametrize("setwise_profiles", [False, True])
def test_evaluation_reads_one_statement_whichever_way_profiles_are_read(
    tenant, other_tenant, monkeypatch, django_assert_num_queries, setwise_profiles
):
    recipients = _profiled_world(tenant, other_tenant, 12, profiles=6)
    workflow = workflow_list(tenant=tenant)[0]
    monkeypatch.setattr(layers, "SETWISE_PROFILES", 10**9 if setwise_profiles else 0)
    with django_assert_num_queries(1):
        found, windows = layers.shared_delivery_layers(tenant=tenant, workflow=workflow, external_ids=recipients)
    assert set(windows) <= set(found)
    assert windows
