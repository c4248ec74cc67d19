"""The preference page in a real browser: save and reload, keyboard only, no JavaScript, phone and desktop."""

from __future__ import annotations

import pytest

from customers.models import Customer
from prefcenter.models import ConsentEvent
from selfservice.links import PURPOSE_PREFERENCES, link_token
from subscribers.models import WorkflowPreference
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.selfservice.helpers import tampered

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_page_looks_right_when_shown_at_phone_and_desktop_widths(open_page, catalog, person, page_path):
    for name, viewport in (("preferences-phone", PHONE), ("preferences-desktop", DESKTOP)):
        page = open_page(page_path, viewport=viewport)
        assert page.title() == "Notification preferences · Acme Inc."
        # Nothing overflows sideways at phone width.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert screenshot(page, name).stat().st_size > 10_000


def test_choice_persists_after_reload_when_toggled_and_saved_without_javascript(open_page, catalog, person, page_path):
    page = open_page(page_path, viewport=PHONE, javascript=False)
    newsletter = page.get_by_role("group", name="Monthly newsletter").get_by_label("Email")
    assert newsletter.is_checked()
    newsletter.uncheck()
    page.get_by_label("Email for News and offers").select_option("hourly")  # one choice per topic (issue 14)
    page.get_by_role("button", name="Save preferences").click()
    notice = page.get_by_role("status")
    assert "Your preferences are saved" in notice.inner_text()
    assert "Monthly newsletter · Email: Default (On) → Off" in notice.inner_text()
    assert "News and offers · Email frequency: Daily summary → Hourly summary" in notice.inner_text()
    screenshot(page, "preferences-saved-phone")
    page.reload()
    assert not page.get_by_role("group", name="Monthly newsletter").get_by_label("Email").is_checked()
    assert page.get_by_label("Email for News and offers").input_value() == "hourly"
    assert WorkflowPreference.objects.get(customer=person, workflow=catalog.newsletter).email is False
    event = ConsentEvent.objects.filter(customer_id=person.pk, subject="workflow:newsletter").get()
    assert (event.source, event.ip) == ("page", "127.0.0.1")
    assert "Chrome" in event.user_agent


def test_everything_can_be_done_with_the_keyboard_when_no_mouse_is_used(open_page, catalog, person, page_path):
    page = open_page(page_path, viewport=DESKTOP)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert focus_ring not in ("", "none")
    # Tab through until the push master switch has focus, turn it off with Space, then save with Enter.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "master_push":
            break
    else:
        pytest.fail("the push switch is not reachable with Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).boxShadow") not in ("", "none")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked") is False
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.value") == "save":
            break
    else:
        pytest.fail("the save button is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**?saved=*")
    assert "All notifications · Push: Default (On) → Off" in page.get_by_role("status").inner_text()
    assert WorkflowPreference.objects.get(customer=person, workflow=None).push is False
    assert not page.get_by_label("Push", exact=True).first.is_checked()


def test_every_switch_has_a_label_when_the_page_is_read_by_assistive_technology(open_page, catalog, person, page_path):
    page = open_page(page_path)
    unlabeled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select')]
             .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
             .map(el => el.id || el.name)"""
    )
    assert unlabeled == []
    assert page.evaluate("document.documentElement.lang") == "en"


def test_sms_opt_in_needs_an_explicit_tick_when_a_phone_is_on_file(open_page, catalog, person, page_path):
    page = open_page(page_path, viewport=PHONE)
    opt_in = page.get_by_role("checkbox", name="Yes, send me text messages at the number ending in 0123")  # as words
    assert not opt_in.is_checked()
    opt_in.check()
    page.get_by_role("button", name="Save preferences").click()
    assert "Text messages: Off → On" in page.get_by_role("status").inner_text()
    assert Customer.objects.get(pk=person.pk).sms_opt_out is False


def test_unsubscribe_from_everything_and_back_when_the_buttons_are_used(open_page, catalog, person, page_path):
    page = open_page(page_path, viewport=PHONE)
    page.get_by_role("button", name="Unsubscribe from all non-essential messages").click()
    assert "You're unsubscribed from everything that isn't essential" in page.content().replace("&#x27;", "'")
    screenshot(page, "preferences-unsubscribed-all-phone")
    page.get_by_role("button", name="Resubscribe").click()
    assert page.get_by_role("button", name="Unsubscribe from all non-essential messages").is_visible()


def test_one_click_confirmation_unsubscribes_when_the_button_is_pressed(open_page, catalog, person, unsubscribe_path):
    page = open_page(unsubscribe_path, viewport=PHONE)
    screenshot(page, "unsubscribe-confirm-phone")
    assert Customer.objects.get(pk=person.pk).email_opt_out is False  # the GET changed nothing
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", name="You're unsubscribed").is_visible()
    screenshot(page, "unsubscribed-phone")
    assert Customer.objects.get(pk=person.pk).email_opt_out is True
    page.get_by_role("link", name="Manage all your preferences").click()
    assert page.get_by_role("heading", name="Notification preferences").is_visible()
    assert not page.locator("#id_master_email").is_checked()


def test_a_broken_link_explains_how_to_get_a_new_one_when_opened(open_page, person):
    path = f"/p/{tampered(link_token(customer=person, purpose=PURPOSE_PREFERENCES))}/"
    page = open_page(path, viewport=PHONE, error_status=True)
    assert page.get_by_role("heading", name="How to get a new link").is_visible()
    screenshot(page, "link-invalid-phone")


def test_undo_brings_the_email_back_when_pressed_after_unsubscribing(open_page, catalog, person, unsubscribe_path):
    page = open_page(unsubscribe_path, viewport=PHONE)
    page.get_by_role("button", name="Unsubscribe").click()
    assert Customer.objects.get(pk=person.pk).email_opt_out is True
    page.get_by_role("button", name="Undo").click()
    assert page.get_by_role("heading", name="You're subscribed again").is_visible()
    assert Customer.objects.get(pk=person.pk).email_opt_out is False
    assert list(
        ConsentEvent.objects.filter(customer_id=person.pk).order_by("pk").values_list("new_value", "source")
    ) == [(True, "one_click"), (False, "one_click")]


def test_a_refused_save_keeps_the_choices_and_saves_on_the_second_try_when_cookies_were_cleared(
    open_page, catalog, person, page_path
):
    page = open_page(page_path, viewport=PHONE, error_status=True)
    newsletter = page.get_by_role("group", name="Monthly newsletter").get_by_label("Email")
    newsletter.uncheck()
    page.get_by_label("Email for News and offers").select_option("off")
    page.context.clear_cookies()  # a cleared browser, or an old tab whose CSRF cookie is gone
    page.get_by_role("button", name="Save preferences").click()
    alert = page.get_by_role("alert")
    assert "Nothing was saved yet" in alert.inner_text()
    assert "save again" in alert.inner_text()
    assert page.get_by_role("heading", name="Notification preferences").is_visible()  # the page, in its design
    assert not ConsentEvent.objects.filter(customer_id=person.pk).exists()
    # What they chose is still chosen.
    assert not page.get_by_role("group", name="Monthly newsletter").get_by_label("Email").is_checked()
    assert page.get_by_label("Email for News and offers").input_value() == "off"
    screenshot(page, "preferences-csrf-refused-phone")
    page.get_by_role("button", name="Save preferences").click()
    assert "Your preferences are saved" in page.get_by_role("status").inner_text()
    assert WorkflowPreference.objects.get(customer=person, workflow=catalog.newsletter).email is False


def test_every_control_has_its_own_accessible_name_when_read_by_assistive_technology(
    open_page, catalog, person, page_path
):
    # Issue 14 item 10: "Email frequency" x4 and "In-app" x6 were read out the same.
    import re

    page = open_page(page_path)
    snapshot = page.locator("main").aria_snapshot()
    names = re.findall(r'- (?:checkbox|combobox) "([^"]+)"', snapshot)
    assert len(names) >= 15
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
    assert "Email for News and offers" in names and "In-app for Orders and deliveries" in names
    assert "•" not in snapshot  # masked addresses are read as words, not "bullet bullet bullet"
