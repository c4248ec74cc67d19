"""Where schedules and quiet hours live: the subscriber profile (one truth with Novu's `schedule`), the tenant's
default time zone and schedule channels; every change in the ledger, in the same transaction."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from prefcenter.exceptions import PrefCenterError
from prefcenter.models import ConsentEvent
from subscribers.models import SubscriberProfile
from subscribers.services.profiles import customer_schedule_set, subscriber_schedule_set
from tests.subscribers.conftest import ACTOR

SCHEDULE = {"isEnabled": True, "weeklySchedule": {"sunday": {"isEnabled": False}}}

pytestmark = pytest.mark.django_db


def test_tenant_defaults_to_utc_and_interrupting_channels_when_created(tenant):
    assert tenant.default_timezone == "UTC"
    assert tenant.schedule_channels == ["sms", "chat", "push"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("default_timezone", "Mars/Olympus"), ("schedule_channels", ["fax"]), ("schedule_channels", ["sms", "sms"]),
     ("schedule_channels", "sms")],
)
def test_tenant_settings_are_refused_when_invalid(tenant, field, value):
    setattr(tenant, field, value)
    with pytest.raises(ValidationError) as error:
        tenant.full_clean()
    assert field in error.value.message_dict


def test_schedule_and_quiet_hours_are_stored_with_their_ledger_events_when_set(customer):
    customer_schedule_set(customer=customer, actor=ACTOR, schedule=SCHEDULE, quiet_hours_start=time(22),
                          quiet_hours_end=time(7))

    profile = SubscriberProfile.objects.get(customer=customer)
    assert (profile.schedule, profile.quiet_hours_start, profile.quiet_hours_end) == (SCHEDULE, time(22), time(7))
    rows = ConsentEvent.objects.filter(customer_id=customer.pk)
    events = {e.field: (e.subject, e.old_value, e.new_value) for e in rows}
    assert events == {
        "schedule": ("workflow:*", None, SCHEDULE),
        "quiet_hours": ("workflow:*", None, {"start": "22:00", "end": "07:00"}),
    }


def test_no_event_is_written_when_nothing_changes(customer):
    customer_schedule_set(customer=customer, actor=ACTOR, schedule=SCHEDULE, quiet_hours_start=time(22),
                          quiet_hours_end=time(7))
    customer_schedule_set(customer=customer, actor=ACTOR, schedule=SCHEDULE, quiet_hours_start=time(22),
                          quiet_hours_end=time(7))
    assert ConsentEvent.objects.filter(customer_id=customer.pk).count() == 2


def test_novu_schedule_write_keeps_quiet_hours_when_only_schedule_is_sent(customer):
    customer_schedule_set(customer=customer, actor=ACTOR, schedule=None, quiet_hours_start=time(22),
                          quiet_hours_end=time(7))
    subscriber_schedule_set(customer=customer, actor=ACTOR, schedule=SCHEDULE)
    profile = SubscriberProfile.objects.get(customer=customer)
    assert (profile.schedule, profile.quiet_hours_start) == (SCHEDULE, time(22))


@pytest.mark.parametrize(("start", "end"), [(time(22), None), (None, time(7)), (time(7), time(7))])
def test_quiet_hours_are_refused_and_nothing_written_when_half_or_empty(customer, start, end):
    with pytest.raises(PrefCenterError) as error:
        customer_schedule_set(customer=customer, actor=ACTOR, schedule=SCHEDULE, quiet_hours_start=start,
                              quiet_hours_end=end)
    assert "quiet_hours" in error.value.errors
    assert not SubscriberProfile.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_database_refuses_half_quiet_hours_when_written_around_the_service(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriberProfile.objects.create(customer=customer, quiet_hours_start=time(22))


def test_delivery_windows_are_read_in_the_loaders_one_query_and_shared_when_equal(tenant, other_tenant,
                                                                                  django_assert_num_queries):
    from subscribers.selectors.recipients import shared_delivery_layers
    from tests.factories import make_customer, make_workflow

    workflow = make_workflow(tenant, "w")

    quiet = {"quiet_hours_start": time(22), "quiet_hours_end": time(7)}
    for n in range(3):
        customer = make_customer(tenant, f"q-{n}", timezone="Europe/Berlin")
        customer_schedule_set(customer=customer, actor=ACTOR, schedule=None, **quiet)
    customer_schedule_set(customer=make_customer(tenant, "s-0"), actor=ACTOR, schedule=SCHEDULE,
                          quiet_hours_start=None, quiet_hours_end=None)
    make_customer(tenant, "none")
    other = make_customer(other_tenant, "q-0", timezone="America/New_York")
    customer_schedule_set(customer=other, actor=ACTOR, schedule=SCHEDULE, **quiet)

    with django_assert_num_queries(1):
        layers, windows = shared_delivery_layers(
            tenant=tenant, workflow=workflow, external_ids=["q-0", "q-1", "q-2", "s-0", "none", "ghost"]
        )

    assert sorted(layers) == ["none", "q-0", "q-1", "q-2", "s-0"]
    assert layers["q-0"] is layers["s-0"] is layers["none"]  # timing does not split the rule-relevant groups

    assert sorted(windows) == ["q-0", "q-1", "q-2", "s-0"]
    assert windows["q-0"] is windows["q-1"] is windows["q-2"]
    assert windows["q-0"].zone.key == "Europe/Berlin"
    assert windows["s-0"].zone.key == "UTC" and windows["s-0"].quiet is None
