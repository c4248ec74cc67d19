"""Issue 17 in the admin, in Chromium: a customer's schedule and quiet hours, and the tenant's schedule settings."""

from __future__ import annotations

from datetime import time

import pytest

from prefcenter.models import ConsentEvent
from subscribers.models import SubscriberProfile
from tests.browser.test_admin import PASSWORD, acme, ada, admin_page, globex, save, staff  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_edit_a_customers_quiet_hours_and_days_when_using_the_schedule_page(admin_page, staff, acme, ada):  # noqa: F811
    page = admin_page(staff)
    base = page.url.split("/admin/")[0] + "/admin/"
    page.goto(base + f"customers/customer/{ada.pk}/change/")
    page.get_by_role("link", name="Schedule and quiet hours").click()
    assert "Times are local to UTC" in page.locator("#content-main").inner_text()
    page.get_by_label("Keep quiet hours").check()
    page.locator("#id_quiet_start").fill("21:00")
    page.locator("#id_quiet_end").fill("08:00")
    page.get_by_label("Only on these days and hours").check()
    page.get_by_label("Saturday").uncheck()
    page.locator("#id_friday_start").fill("10:00")
    page.locator("#id_friday_end").fill("16:00")
    page.locator('input[type=submit][value="Save"]').click()
    page.locator(".messagelist .success").wait_for()
    assert "were saved" in page.locator(".messagelist").inner_text()

    profile = SubscriberProfile.objects.get(customer=ada)
    assert (profile.quiet_hours_start, profile.quiet_hours_end) == (time(21), time(8))
    assert profile.schedule["weeklySchedule"]["saturday"] == {"isEnabled": False}
    assert profile.schedule["weeklySchedule"]["friday"]["hours"] == [{"start": "10:00 AM", "end": "04:00 PM"}]
    events = ConsentEvent.objects.filter(customer_id=ada.pk, field__in=["schedule", "quiet_hours"])
    assert {(e.field, e.source, e.actor) for e in events} == {
        ("schedule", "admin", "staff:acme-staff"), ("quiet_hours", "admin", "staff:acme-staff")}
    assert page.locator("#id_quiet_start").input_value() == "21:00"

    # A half-filled quiet period is refused on the page, and nothing changes.
    page.locator("#id_quiet_end").fill("")
    page.locator('input[type=submit][value="Save"]').click()
    assert "Enter the time quiet hours end." in page.locator("#content-main").inner_text()
    assert SubscriberProfile.objects.get(customer=ada).quiet_hours_end == time(8)


def test_staff_set_the_tenants_default_zone_and_schedule_channels_when_changing_their_tenant(
    admin_page, staff, acme  # noqa: F811
):
    page = admin_page(staff)
    base = page.url.split("/admin/")[0] + "/admin/"
    page.goto(base + f"prefcenter/tenant/{acme.pk}/change/")
    page.get_by_label("Default timezone").fill("Europe/Berlin")
    page.locator("#id_schedule_channels").get_by_label("Email").check()
    page.locator("#id_schedule_channels").get_by_label("Chat").uncheck()
    assert "was changed successfully" in save(page)
    acme.refresh_from_db()
    assert (acme.default_timezone, acme.schedule_channels) == ("Europe/Berlin", ["email", "sms", "push"])

    page.goto(base + f"prefcenter/tenant/{acme.pk}/change/")
    page.get_by_label("Default timezone").fill("Mars/Olympus")
    page.locator('input[type=submit][name="_save"]').click()
    assert "Unknown time zone" in page.locator("#content-main").inner_text()
    acme.refresh_from_db()
    assert acme.default_timezone == "Europe/Berlin"
