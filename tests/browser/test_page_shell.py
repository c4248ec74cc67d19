"""The page's shell in a real browser (issue 14, items 5, 8, 9): no sideways scroll on phones in
English, French and German; axe-core finds nothing at phone and desktop widths; a save bar that
stays in view; a warning before leaving with unsaved changes; Enter on a switch does not submit;
the tenant's logo, accent colour, support link and translated catalog."""

from __future__ import annotations

import time

import pytest

from prefcenter.logos import tenant_logo_set
from prefcenter.models import ConsentEvent, Tenant
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, overflowing, screenshot
from tests.selfservice.images import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-US", "fr": "fr-FR", "de": "de-DE"}
NARROW = {"width": 320, "height": 640}

# Long words the way tenants write them: a German compound, a French topic.
TRANSLATIONS = {
    "news": {
        "fr": {"name": "Actualités, offres et recommandations personnalisées", "description": "Nouveautés du produit."},
        "de": {"name": "Neuigkeitenbenachrichtigungen und Sonderangebote", "description": "Produktneuigkeiten."},
    },
    "newsletter": {
        "fr": {"name": "Lettre d'information mensuelle"},
        "de": {"name": "Monatlicher Kundeninformationsrundbrief"},
    },
}


def settle(page, *, until, seconds: float = 3.0) -> None:
    """Let Playwright deliver events (a dialog, a close) until `until()` holds or time runs out."""
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        page.context.cookies()  # any call to the browser pumps the events
        time.sleep(0.05)


@pytest.fixture
def translated(catalog):
    for entry in (catalog.news, catalog.newsletter):
        key = getattr(entry, "key", None) or entry.identifier
        type(entry).objects.filter(pk=entry.pk).update(translations=TRANSLATIONS[key])
        entry.refresh_from_db()
        entry.save()  # a save gives the tenant a new catalog revision: the page reads the new text
    return catalog


@pytest.mark.parametrize("language", ["en", "fr", "de"])
@pytest.mark.parametrize("viewport", [NARROW, PHONE], ids=["320px", "390px"])
def test_page_does_not_scroll_sideways_when_shown_on_a_phone(
    open_page, translated, person, page_path, language, viewport
):
    page = open_page(page_path, viewport=viewport, locale=LOCALES[language])
    assert page.evaluate("document.documentElement.lang") == language
    found = overflowing(page)
    assert found["scrollWidth"] <= found["innerWidth"], found
    assert found["wide"] == []
    screenshot(page, f"shell-{language}-{viewport['width']}")


@pytest.mark.parametrize("language", ["fr", "de"])
def test_page_does_not_scroll_sideways_when_it_lists_saved_changes_or_is_unsubscribed(
    open_page, translated, person, page_path, language
):
    page = open_page(page_path, viewport=NARROW, locale=LOCALES[language])
    page.locator(f"input[name=w{translated.newsletter.pk}_email]").click()
    page.locator(".actions button[value=save]").click()
    page.wait_for_url("**?saved=*")
    assert page.locator("#saved li").count() == 1
    assert overflowing(page)["wide"] == []
    page.locator("button[value=unsubscribe_all]").click()
    page.wait_for_load_state()
    assert page.locator("button[value=resubscribe_all]").is_visible()
    found = overflowing(page)
    assert found["wide"] == [] and found["scrollWidth"] <= found["innerWidth"], found
    screenshot(page, f"shell-unsubscribed-{language}-320")


@pytest.mark.parametrize("language", ["en", "fr", "de"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_no_violation_when_the_page_is_checked(
    open_page, axe_source, translated, person, page_path, language, viewport
):
    page = open_page(page_path, viewport=viewport, locale=LOCALES[language])
    assert axe_violations(page, axe_source) == []
    # With a change pending (the save bar's status shown) too.
    page.locator("input[name=master_push]").click()
    assert axe_violations(page, axe_source) == []


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_axe_finds_no_violation_when_the_unsubscribe_page_is_checked(
    open_page, axe_source, catalog, person, unsubscribe_path, language
):
    page = open_page(unsubscribe_path, viewport=PHONE, locale=LOCALES[language])
    assert axe_violations(page, axe_source) == []
    assert overflowing(page)["wide"] == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_save_button_is_in_view_when_the_phone_page_has_just_opened(open_page, catalog, person, page_path, javascript):
    page = open_page(page_path, viewport=PHONE, javascript=javascript)
    save = page.get_by_role("button", name="Save preferences")
    box = save.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    # Not covered by anything: the element at its centre is the button itself.
    assert page.evaluate(
        """([x, y]) => document.elementFromPoint(x, y).closest('button')?.value === 'save'""",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    # Halfway down the page, still in view; at the end, in its place above the danger zone.
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight / 2)")
    box = save.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    screenshot(page, f"save-bar-{'js' if javascript else 'nojs'}-phone")


def test_leaving_with_unsaved_changes_asks_first_when_a_switch_was_changed(open_page, catalog, person, page_path):
    page = open_page(page_path, viewport=PHONE)
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    status = page.locator(".actions .unsaved")
    assert status.inner_text() == ""
    page.locator("input[name=master_push]").click()
    assert status.inner_text() == "You have unsaved changes."
    page.close(run_before_unload=True)
    settle(page, until=lambda: dialogs)
    assert dialogs == ["beforeunload"]
    assert not page.is_closed()  # dismissed: the customer stays on the page, changes intact
    assert page.locator(".actions .unsaved").inner_text() == "You have unsaved changes."


def test_leaving_does_not_ask_when_a_change_was_undone_or_saved(open_page, catalog, person, page_path):
    page = open_page(page_path, viewport=PHONE)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    switch = page.locator("input[name=master_push]")
    switch.click()
    switch.click()  # back as it was: nothing to lose
    assert page.locator(".actions .unsaved").inner_text() == ""
    switch.click()
    page.get_by_role("button", name="Save preferences").click()  # saving is not leaving
    page.wait_for_url("**?saved=*")
    assert dialogs == []
    page.close(run_before_unload=True)
    settle(page, until=page.is_closed)
    assert page.is_closed()
    assert dialogs == []


def test_enter_on_a_switch_does_not_submit_when_pressed(open_page, catalog, person, page_path):
    page = open_page(page_path, viewport=DESKTOP)
    switch = page.locator("input[name=master_push]")
    checked = switch.is_checked()
    switch.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert "saved=" not in page.url
    assert switch.is_checked() is checked
    assert not ConsentEvent.objects.filter(customer_id=person.pk).exists()
    page.keyboard.press("Space")  # Space still toggles it
    assert switch.is_checked() is not checked


def test_page_wears_the_tenant_brand_when_the_tenant_has_one(open_page, translated, person, page_path):
    tenant = Tenant.objects.get(pk=person.tenant_id)
    Tenant.objects.filter(pk=tenant.pk).update(
        display_name="Acme Shop", accent_color="#7a1f5c", support_url="https://help.example.com/"
    )
    tenant_logo_set(tenant=tenant, data=png(72, 72))
    page = open_page(page_path, viewport=PHONE, locale="de-DE")
    assert page.title().endswith("· Acme Shop")
    assert page.locator(".brand").inner_text() == "Acme Shop"
    logo = page.locator("img.logo-image")
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 72  # served, and allowed by the CSP
    assert page.get_by_role("link", name="Hilfe").get_attribute("href") == "https://help.example.com/"
    save = page.get_by_role("button", name="Einstellungen speichern")
    assert save.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(122, 31, 92)"
    assert page.get_by_role("heading", name="Neuigkeitenbenachrichtigungen und Sonderangebote").is_visible()
    assert page.get_by_role("group", name="Monatlicher Kundeninformationsrundbrief").is_visible()
    assert overflowing(page)["wide"] == []
    screenshot(page, "branded-de-phone")
