"""Issue 17 in the evaluation: `at`, `deliver_after` and the schedule layer of explain."""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta
from http import HTTPStatus

import pytest

from customers.models import Customer
from subscribers.models import SubscriberProfile
from subscribers.services import customer_schedule_set
from tests.evaluation.conftest import make_many
from tests.factories import make_customer
from tests.selfservice.catalog import SYSTEM

pytestmark = pytest.mark.django_db

URL = "/v1/deliveries/evaluate"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALL_OFF = {"isEnabled": True, "weeklySchedule": {day: {"isEnabled": False} for day in DAYS}}
WORKDAYS = {"isEnabled": True, "weeklySchedule": {
    **{day: {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "05:00 PM"}]} for day in DAYS[:5]},
    "saturday": {"isEnabled": False}, "sunday": {"isEnabled": False}}}


def schedule_for(customer, schedule=None, quiet: tuple[int, int] | None = (22, 7)):
    customer_schedule_set(
        customer=customer, actor=SYSTEM, schedule=schedule,
        quiet_hours_start=time(quiet[0]) if quiet else None, quiet_hours_end=time(quiet[1]) if quiet else None,
    )


@pytest.fixture
def berliner(tenant):
    person = make_customer(tenant, "berlin", phone="+14155550100", sms_opt_out=False, timezone="Europe/Berlin")
    schedule_for(person)
    return person


def evaluate(api, at=None, workflow="order-shipped", recipients=("berlin",)):
    body = {"workflow": workflow, "recipients": list(recipients)}
    if at is not None:
        body["at"] = at
    response = api.post(URL, body, format="json")
    assert response.status_code == HTTPStatus.OK, response.json()
    return response.json()


def test_quiet_hours_hold_the_schedule_channels_until_morning_when_at_is_in_them(api, catalog, berliner):
    channels = evaluate(api, at="2026-06-10T21:30:00Z")["results"][0]["channels"]
    assert channels == {
        "email": {"allowed": True, "reason": "category_default", "digest": "instant", "deliver_after": None},
        "sms": {"allowed": True, "reason": "quiet_hours", "digest": None, "deliver_after": "2026-06-11T05:00:00Z"},
        "in_app": {"allowed": True, "reason": "category_default", "digest": None, "deliver_after": None},
        "push": {"allowed": True, "reason": "quiet_hours", "digest": None, "deliver_after": "2026-06-11T05:00:00Z"},
    }


def test_nothing_is_held_when_at_is_outside_quiet_hours(api, catalog, berliner):
    channels = evaluate(api, at="2026-06-10T14:00:00+02:00")["results"][0]["channels"]
    assert {c: (v["reason"], v["deliver_after"]) for c, v in channels.items()} == {
        "email": ("category_default", None), "sms": ("tenant_default", None), "in_app": ("category_default", None),
        "push": ("category_default", None),
    }


def test_at_with_an_offset_is_the_same_instant_when_written_in_another_zone(api, catalog, berliner):
    assert evaluate(api, at="2026-06-10T23:30:00+02:00") == evaluate(api, at="2026-06-10T21:30:00Z")


def test_critical_workflows_ignore_schedules_when_quiet_hours_apply(api, catalog, berliner):
    channels = evaluate(api, at="2026-06-10T21:30:00Z", workflow="password-reset")["results"][0]["channels"]
    assert channels["sms"] == {"allowed": True, "reason": "critical", "digest": None, "deliver_after": None}


def test_tenant_chooses_the_channels_schedules_apply_to_when_configured(api, tenant, catalog, berliner):
    tenant.schedule_channels = ["email"]
    tenant.save()
    channels = evaluate(api, at="2026-06-10T21:30:00Z")["results"][0]["channels"]
    assert (channels["email"]["reason"], channels["email"]["deliver_after"]) == ("quiet_hours", "2026-06-11T05:00:00Z")
    assert channels["push"]["deliver_after"] is None


def test_blocked_channels_keep_their_reason_when_quiet_hours_apply(api, catalog, berliner):
    Customer.objects.filter(pk=berliner.pk).update(sms_opt_out=True)
    sms = evaluate(api, at="2026-06-10T21:30:00Z")["results"][0]["channels"]["sms"]
    assert sms == {"allowed": False, "reason": "sms_opt_out", "digest": None, "deliver_after": None}


def test_schedule_holds_until_monday_when_the_weekend_is_off(api, tenant, catalog):
    person = make_customer(tenant, "ny", timezone="America/New_York")
    schedule_for(person, schedule=WORKDAYS, quiet=None)
    push = evaluate(api, at="2026-06-13T15:00:00Z", recipients=["ny"])["results"][0]["channels"]["push"]
    assert push == {"allowed": True, "reason": "schedule", "digest": None, "deliver_after": "2026-06-15T13:00:00Z"}


def test_channel_is_blocked_by_the_schedule_when_it_never_allows(api, tenant, catalog):
    person = make_customer(tenant, "never")
    schedule_for(person, schedule=ALL_OFF, quiet=None)
    channels = evaluate(api, at="2026-06-10T12:00:00Z", recipients=["never"])["results"][0]["channels"]
    assert channels["push"] == {"allowed": False, "reason": "schedule", "digest": None, "deliver_after": None}
    assert channels["email"]["allowed"] is True


def test_tenant_default_zone_applies_when_the_customer_has_none(api, tenant, catalog):
    tenant.default_timezone = "America/New_York"
    tenant.save()
    schedule_for(make_customer(tenant, "zoneless"))
    push = evaluate(api, at="2026-06-11T03:00:00Z", recipients=["zoneless"])["results"][0]["channels"]["push"]
    assert push["deliver_after"] == "2026-06-11T11:00:00Z"  # 07:00 EDT


def test_at_defaults_to_now_when_not_given(api, tenant, catalog):
    person = make_customer(tenant, "now")
    now = datetime.now(UTC)
    customer_schedule_set(customer=person, actor=SYSTEM, schedule=None,
                          quiet_hours_start=time((now - timedelta(hours=1)).hour),
                          quiet_hours_end=time((now + timedelta(hours=2)).hour))
    push = evaluate(api, recipients=["now"])["results"][0]["channels"]["push"]
    assert push["reason"] == "quiet_hours"
    assert push["deliver_after"] > now.isoformat()


def test_nothing_is_held_when_at_is_at_the_end_of_the_calendar(api, catalog, berliner):
    push = evaluate(api, at="9999-12-31T23:30:00Z")["results"][0]["channels"]["push"]
    assert push["deliver_after"] is None
    assert evaluate(api, at="0001-01-01T00:00:00+01:00")["results"][0]["channels"]["push"]["deliver_after"] is None


@pytest.mark.parametrize(
    "at",
    ["2026-06-10", "2026-06-10T21:30:00", "2026-06-10T21:30Z", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
     "2026-06-10T21:30:61Z", "2026-06-10T21:30:00+24:00", "yesterday", "", 1780000000, None, ["2026-06-10T21:30:00Z"],
     "2026-06-10T21:30:00Z\n"],
)
def test_evaluation_answers_400_naming_at_and_writes_nothing_when_at_is_bad(api, catalog, berliner, unchanged, at):
    with unchanged():
        response = api.post(URL, {"workflow": "order-shipped", "recipients": ["berlin"], "at": at}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at" in response.json()["errors"], response.json()


def test_explain_shows_the_schedule_layer_deciding_when_it_holds(api, catalog, berliner):
    response = api.get("/v2/subscribers/berlin/preferences/explain?workflowId=order-shipped&at=2026-06-10T21:30:00Z")
    assert response.status_code == HTTPStatus.OK
    push = response.json()["channels"]["push"]
    assert (push["allowed"], push["reason"], push["deliver_after"], push["deciding_layer"]) == (
        True, "quiet_hours", "2026-06-11T05:00:00Z", "schedule")
    assert push["layers"][-1] == {"layer": "schedule", "deciding": True, "value": {
        "applies": True, "timezone": "Europe/Berlin", "schedule": None,
        "quiet_hours": {"start": "22:00", "end": "07:00"}, "deliver_after": "2026-06-11T05:00:00Z",
        "reason": "quiet_hours"}}
    email = response.json()["channels"]["email"]
    assert (email["deliver_after"], email["deciding_layer"], email["layers"][-1]["value"]["applies"]) == (
        None, "category_default", False)


def test_explain_answers_400_when_at_is_bad(api, catalog, berliner):
    response = api.get("/v2/subscribers/berlin/preferences/explain?workflowId=order-shipped&at=tomorrow")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at" in response.json()["errors"]


def test_evaluation_queries_do_not_grow_with_customers_who_have_schedules(
    api, tenant, catalog, django_assert_max_num_queries
):
    people = make_many(tenant, 10_000)
    zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", ""]
    Customer.objects.bulk_update(
        [Customer(pk=p.pk, timezone=zones[n % 4]) for n, p in enumerate(people)], ["timezone"], batch_size=2000
    )
    SubscriberProfile.objects.bulk_create(
        SubscriberProfile(customer_id=p.pk, quiet_hours_start=time(22), quiet_hours_end=time(7),
                          schedule=WORKDAYS if n % 3 else (ALL_OFF if n % 100 == 0 else None))
        for n, p in enumerate(people)
    )
    body = {"workflow": "order-shipped", "recipients": [p.external_id for p in people], "at": "2026-06-10T21:30:00Z"}
    # The same budget as without schedules (tests/evaluation/test_evaluate.py): +1 query at most, whatever the number
    with django_assert_max_num_queries(6):
        started = clock.perf_counter()
        response = api.post(URL, body, format="json")
        elapsed = clock.perf_counter() - started
    assert response.status_code == HTTPStatus.OK
    results = response.json()["results"]
    assert len(results) == 10_000
    assert results[0]["channels"]["push"] == {"allowed": False, "reason": "schedule", "digest": None,
                                              "deliver_after": None}
    assert results[1]["channels"]["push"]["reason"] == "schedule"  # New York, Wednesday 17:30: after 05:00 PM
    assert results[2]["channels"]["push"]["deliver_after"] == "2026-06-11T00:00:00Z"  # Tokyo 09:00
    print(f"evaluate 10,000 recipients with schedules: {elapsed * 1000:.0f} ms (request, test client)")
