"""The staff console in Chromium: log in, upload → preview → confirm, export, and the dashboard without JavaScript."""

from __future__ import annotations

import pytest

from customers.models import Customer
from prefcenter.models import ConsentEvent
from tests.browser.conftest import DESKTOP, screenshot
from tests.factories import make_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = b"external_id,email,email_opt_out\nada,ada@new.test,true\nnew-1,new@acme.test,\n"


def log_in(open_page, path: str, *, javascript: bool = True):
    page = open_page(f"/admin/login/?next={path}", viewport=DESKTOP, javascript=javascript)
    page.get_by_label("Username").fill("acme-staff")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    return page


def test_staff_uploads_previews_and_confirms_an_import_when_using_chromium(open_page, staff_user, tenant,
                                                                         other_tenant):
    make_customer(tenant, "ada", email="ada@old.test")
    make_customer(other_tenant, "ada", email="ada@globex.test")
    page = log_in(open_page, "/admin/customers/customer/")
    page.get_by_role("link", name="Import CSV").click()

    page.get_by_label("CSV file").set_input_files(files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.get_by_role("button", name="Preview").click()

    assert page.locator("#count-created").inner_text() == "1"
    assert page.locator("#count-updated").inner_text() == "1"
    assert "ada@old.test → ada@new.test" in page.locator("#import-changes").inner_text()
    assert not Customer.objects.filter(external_id="new-1").exists()
    screenshot(page, "console-import-preview")

    page.get_by_role("button", name="Confirm import").click()

    assert "Imported: 1 created, 1 updated, 0 unchanged." in page.locator(".messagelist").inner_text()
    assert Customer.objects.get(tenant=tenant, external_id="ada").email_opt_out is True
    assert Customer.objects.get(tenant=other_tenant, external_id="ada").email == "ada@globex.test"
    event = ConsentEvent.objects.get(tenant=tenant, customer_external_id="ada", field="email_opt_out")
    assert (event.source, event.actor, event.ip) == ("import", "staff:acme-staff", "127.0.0.1")


def test_staff_downloads_the_export_when_clicking_export_all(open_page, staff_user, tenant, other_tenant):
    make_customer(tenant, "ada")
    make_customer(other_tenant, "globex-1")
    page = log_in(open_page, "/admin/customers/customer/")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export all as CSV").click()

    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("external_id,email,phone,")
    assert "ada," in text and "globex" not in text


@pytest.mark.parametrize("javascript", [True, False])
def test_dashboard_renders_its_charts_when_opened_with_or_without_javascript(open_page, staff_user, tenant,
                                                                             javascript):
    from customers.services import customer_update
    from prefcenter.ledger import Actor

    ada = make_customer(tenant, "ada")
    customer_update(customer=ada, actor=Actor(label="t", source="api"), email_opt_out=True)
    page = log_in(open_page, "/admin/console/dashboard/", javascript=javascript)

    assert page.get_by_role("heading", name="Opt-out rate per channel").is_visible()
    charts = page.locator("svg.console-chart")
    assert charts.count() == 2  # no category yet: per channel and per day
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 30
    assert page.locator("#customer-count").inner_text() == "1"
    if javascript:  # nothing overflows sideways at 1280 px
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    screenshot(page, f"console-dashboard-{'js' if javascript else 'nojs'}")
