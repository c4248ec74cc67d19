"""Issue 17 on the self-service page: the schedule and quiet hours shown and saved, without JavaScript."""

from __future__ import annotations

import html
from datetime import time
from http import HTTPStatus

import pytest

from customers.models import Customer
from prefcenter.models import ConsentEvent
from subscribers.models import SubscriberProfile
from subscribers.services.profiles import customer_schedule_set
from tests.forms import read_form
from tests.selfservice.catalog import SYSTEM
from tests.selfservice.helpers import submission

pytestmark = pytest.mark.django_db


def schedule_form(page_html: str) -> dict:
    """The form whose fields are the schedule's (the page has several forms)."""
    index = 0
    while True:
        form = read_form(page_html, index)
        if "schedule-quiet_start" in form.fields:
            return form
        index += 1


def test_page_shows_quiet_hours_and_days_in_the_customer_zone_when_set(client, catalog, person, page_path):
    Customer.objects.filter(pk=person.pk).update(timezone="Europe/Berlin")
    customer_schedule_set(customer=person, actor=SYSTEM, quiet_hours_start=time(22), quiet_hours_end=time(7),
                          schedule={"isEnabled": True, "weeklySchedule": {
                              "monday": {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "05:00 PM"}]},
                              "sunday": {"isEnabled": False}}})
    page = client.get(page_path).content.decode()
    assert "Times are in your time zone, Europe/Berlin." in html.unescape(page)
    form = schedule_form(page)
    assert form.checkboxes["schedule-quiet_enabled"] is True
    assert (form.fields["schedule-quiet_start"], form.fields["schedule-quiet_end"]) == ("22:00", "07:00")
    assert form.checkboxes["schedule-schedule_enabled"] is True
    assert (form.fields["schedule-monday_start"], form.fields["schedule-monday_end"]) == ("09:00", "17:00")
    assert form.checkboxes["schedule-sunday_enabled"] is False
    assert 'type="time"' in page


def test_page_saves_quiet_hours_in_the_ledger_as_the_page_when_submitted(client, catalog, person, page_path):
    form = schedule_form(client.get(page_path).content.decode())
    body = submission(form, **{"schedule-quiet_enabled": True, "schedule-quiet_start": "21:30",
                               "schedule-quiet_end": "06:45"}, action="schedule")
    response = client.post(page_path, body)
    assert response.status_code == HTTPStatus.SEE_OTHER
    profile = SubscriberProfile.objects.get(customer=person)
    assert (profile.quiet_hours_start, profile.quiet_hours_end, profile.schedule) == (time(21, 30), time(6, 45), None)
    event = ConsentEvent.objects.get(customer_id=person.pk)
    assert (event.field, event.new_value, event.source) == (
        "quiet_hours", {"start": "21:30", "end": "06:45"}, ConsentEvent.SOURCE_PAGE)
    saved = html.unescape(client.get(response["Location"]).content.decode())
    assert "Quiet hours: None → 21:30 to 06:45" in saved


def test_page_saves_a_day_off_in_novu_form_when_a_day_is_unticked(client, catalog, person, page_path):
    form = schedule_form(client.get(page_path).content.decode())
    body = submission(form, **{"schedule-schedule_enabled": True, "schedule-sunday_enabled": False,
                               "schedule-monday_start": "08:00", "schedule-monday_end": "18:00"}, action="schedule")
    assert client.post(page_path, body).status_code == HTTPStatus.SEE_OTHER
    weekly = SubscriberProfile.objects.get(customer=person).schedule["weeklySchedule"]
    assert weekly["sunday"] == {"isEnabled": False}
    assert weekly["monday"] == {"isEnabled": True, "hours": [{"start": "08:00 AM", "end": "06:00 PM"}]}
    assert weekly["tuesday"] == {"isEnabled": True}


def test_page_refuses_and_writes_nothing_when_quiet_hours_lack_an_end(client, catalog, person, page_path, unchanged):
    form = schedule_form(client.get(page_path).content.decode())
    body = submission(form, **{"schedule-quiet_enabled": True, "schedule-quiet_start": "22:00",
                               "schedule-quiet_end": ""}, action="schedule")
    with unchanged():
        response = client.post(page_path, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert "Enter the time quiet hours end." in page
    assert 'id="id_schedule-quiet_end_error"' in page


def test_schedule_card_is_in_german_when_the_customer_locale_is_german(client, catalog, person, page_path):
    Customer.objects.filter(pk=person.pk).update(locale="de", timezone="Europe/Berlin")
    page = html.unescape(client.get(page_path).content.decode())
    assert "Wann wir Sie erreichen dürfen" in page
    assert "Ruhezeiten" in page
    assert "Montag" in page


def test_schedule_card_is_in_french_when_the_customer_locale_is_french(client, catalog, person, page_path):
    Customer.objects.filter(pk=person.pk).update(locale="fr")
    page = html.unescape(client.get(page_path).content.decode()).replace("\u00a0", " ")
    assert "Quand nous pouvons vous joindre" in page
    assert "Heures calmes" in page
    assert "lundi" in page
