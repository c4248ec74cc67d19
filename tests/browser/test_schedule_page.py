"""Issue 17 in a real browser: the page's schedule card, in the customer's language and zone, without JavaScript."""

from __future__ import annotations

from datetime import time

import pytest

from customers.models import Customer
from prefcenter.models import ConsentEvent
from subscribers.models import SubscriberProfile
from tests.browser.conftest import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_quiet_hours_and_a_day_off_save_in_german_when_edited_without_javascript(open_page, catalog, person,
                                                                                 page_path):
    Customer.objects.filter(pk=person.pk).update(locale="de", timezone="Europe/Berlin")
    page = open_page(page_path, viewport=PHONE, javascript=False)
    card = page.locator("#schedule")
    assert "Zeiten in Ihrer Zeitzone, Europe/Berlin." in card.inner_text()
    card.get_by_label("Ruhezeiten einhalten").check()
    card.locator("#id_schedule-quiet_start").fill("22:00")
    card.locator("#id_schedule-quiet_end").fill("07:00")
    card.get_by_label("Nur an diesen Tagen und zu diesen Uhrzeiten").check()
    card.get_by_label("Sonntag").uncheck()
    card.locator("#id_schedule-monday_start").fill("09:00")
    card.locator("#id_schedule-monday_end").fill("17:30")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card.get_by_role("button", name="Zeiten speichern").click()

    notice = page.get_by_role("status").inner_text()
    assert "Ruhezeiten: Keine → 22:00 bis 07:00" in notice
    assert "Tage und Uhrzeiten" in notice
    screenshot(page, "schedule-saved-phone-de")
    profile = SubscriberProfile.objects.get(customer=person)
    assert (profile.quiet_hours_start, profile.quiet_hours_end) == (time(22), time(7))
    weekly = profile.schedule["weeklySchedule"]
    assert weekly["sunday"] == {"isEnabled": False}
    assert weekly["monday"] == {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "05:30 PM"}]}
    assert set(ConsentEvent.objects.filter(customer_id=person.pk).values_list("field", "source")) == {
        ("quiet_hours", "page"), ("schedule", "page")}

    page.reload()
    card = page.locator("#schedule")
    assert card.get_by_label("Ruhezeiten einhalten").is_checked()
    assert card.locator("#id_schedule-quiet_start").input_value() == "22:00"
    assert card.locator("#id_schedule-monday_end").input_value() == "17:30"
    assert not card.get_by_label("Sonntag").is_checked()


def test_schedule_card_shows_the_error_in_french_when_quiet_hours_have_no_end(open_page, catalog, person, page_path):
    Customer.objects.filter(pk=person.pk).update(locale="fr")
    page = open_page(page_path, javascript=False, error_status=True)  # the refusal is a 400 page
    card = page.locator("#schedule")
    card.get_by_label("Respecter des heures calmes").check()
    card.locator("#id_schedule-quiet_start").fill("22:00")
    card.get_by_role("button", name="Enregistrer les horaires").click()
    assert "Indiquez l'heure de fin des heures calmes." in page.get_by_role("alert").inner_text()
    assert not SubscriberProfile.objects.filter(customer=person).exists()
