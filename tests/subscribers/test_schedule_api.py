"""`GET/PUT /v1/customers/{external_id}/schedule`, and its one truth with Novu's `schedule`."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from prefcenter.models import ConsentEvent
from subscribers.models import SubscriberProfile
from tests.factories import make_api_key, make_customer
from tests.subscribers.conftest import events

SCHEDULE = {"isEnabled": True, "weeklySchedule": {
    "monday": {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "05:00 PM"}]},
    "sunday": {"isEnabled": False}}}
BODY = {"schedule": SCHEDULE, "quiet_hours": {"start": "22:00", "end": "7:00"}}


def url(external_id: str = "cust-1") -> str:
    return f"/v1/customers/{external_id}/schedule"


def test_get_answers_tenant_zone_and_nothing_set_when_customer_has_no_schedule(api, customer):
    response = api.get(url())
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"timezone": "UTC", "timezone_source": "tenant", "channels": ["sms", "chat", "push"],
                               "schedule": None, "quiet_hours": None}


def test_put_stores_schedule_and_quiet_hours_with_ledger_events_when_valid(api, customer):
    customer.timezone = "Europe/Berlin"
    customer.save()
    response = api.put(url(), BODY, format="json")
    assert response.status_code == HTTPStatus.OK, response.json()
    assert response.json() == {"timezone": "Europe/Berlin", "timezone_source": "customer",
                               "channels": ["sms", "chat", "push"], "schedule": SCHEDULE,
                               "quiet_hours": {"start": "22:00", "end": "07:00"}}
    assert api.get(url()).json() == response.json()
    assert events(customer_id=customer.pk) == [
        ("workflow:*", "schedule", None, SCHEDULE),
        ("workflow:*", "quiet_hours", None, {"start": "22:00", "end": "07:00"}),
    ]


def test_put_clears_both_when_null(api, customer):
    api.put(url(), BODY, format="json")
    response = api.put(url(), {"schedule": None, "quiet_hours": None}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert (response.json()["schedule"], response.json()["quiet_hours"]) == (None, None)
    assert ConsentEvent.objects.filter(customer_id=customer.pk).count() == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"schedule": SCHEDULE}, "quiet_hours"),
        ({"quiet_hours": None}, "schedule"),
        ({**BODY, "timezone": "UTC"}, "timezone"),
        ({**BODY, "quiet_hours": {"start": "22:00"}}, "quiet_hours.end"),
        ({**BODY, "quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
        ({**BODY, "quiet_hours": {"start": "22:00", "end": "7"}}, "quiet_hours.end"),
        ({**BODY, "quiet_hours": {"start": "22:00", "end": "10:00 PM"}}, "quiet_hours.end"),
        ({**BODY, "quiet_hours": {"start": 2200, "end": "07:00"}}, "quiet_hours.start"),
        ({**BODY, "quiet_hours": "22:00-07:00"}, "quiet_hours.non_field_errors"),
        ({**BODY, "schedule": {"isEnabled": True, "weeklySchedule": {"monday": {"isEnabled": True, "hours": [
            {"start": "13:00 PM", "end": "05:00 PM"}]}}}}, "schedule.weeklySchedule.monday.hours.0.start"),
        ({**BODY, "schedule": {"isEnabled": True, "weeklySchedule": {"monday": {"isEnabled": True, "hours": [
            {"start": "09:00", "end": "nine"}]}}}}, "schedule.weeklySchedule.monday.hours.0.end"),
        ({**BODY, "schedule": {"isEnabled": True, "weeklySchedule": {"funday": {"isEnabled": True}}}},
         "schedule.weeklySchedule.funday"),
    ],
)
def test_put_answers_400_field_by_field_and_writes_nothing_when_input_bad(api, customer, unchanged, body, field):
    with unchanged():
        response = api.put(url(), body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"], response.json()
    assert not SubscriberProfile.objects.exists()


def test_schedule_answers_404_when_customer_is_another_tenants(api, other_customer, unchanged):
    with unchanged():
        assert api.get(url("cust-1")).status_code == HTTPStatus.NOT_FOUND
        assert api.put(url("cust-1"), BODY, format="json").status_code == HTTPStatus.NOT_FOUND


def test_customer_token_reaches_only_its_own_schedule_when_in_customer_mode(client_for, tenant, customer):
    make_customer(tenant, "cust-2")
    own = client_for(make_api_key(tenant, mode="customer", customer="cust-1",
                                  scopes=["customers:read", "customers:write"])[1])
    assert own.put(url(), BODY, format="json").status_code == HTTPStatus.OK
    assert own.get(url("cust-2")).status_code == HTTPStatus.NOT_FOUND


def test_put_answers_403_when_scope_is_read_only(client_for, tenant, customer, unchanged):
    reader = client_for(make_api_key(tenant, scopes=["customers:read"])[1])
    assert reader.get(url()).status_code == HTTPStatus.OK
    with unchanged():
        assert reader.put(url(), BODY, format="json").status_code == HTTPStatus.FORBIDDEN


def test_novu_schedule_is_read_here_when_set_through_novu(api, customer):
    response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences", {"schedule": SCHEDULE},
                         format="json")
    assert response.status_code == HTTPStatus.OK, response.json()
    assert api.get(url()).json()["schedule"] == SCHEDULE


def test_schedule_set_here_is_read_by_novu_when_put(api, customer):
    api.put(url(), BODY, format="json")
    novu = api.get(f"/v2/subscribers/{customer.external_id}/preferences").json()
    assert novu["global"]["schedule"] == SCHEDULE


@pytest.mark.parametrize("start", ["13:00 PM", "9", "9:00 a.m.", "noon"])
def test_novu_patch_answers_400_and_writes_nothing_when_a_schedule_time_is_not_a_time(api, customer, unchanged, start):
    body = {"schedule": {"isEnabled": True, "weeklySchedule": {"monday": {"isEnabled": True, "hours": [
        {"start": start, "end": "05:00 PM"}]}}}}
    with unchanged():
        response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences", body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "schedule.weeklySchedule.monday.hours.0.start" in response.json()["errors"], response.json()
