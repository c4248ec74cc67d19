"""The admin in real Chromium (issue 12): staff and superusers log in, find a customer, change them and their
preferences, and every add and change page in a staff member's scope saves. Another tenant never shows."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from customers.models import Customer
from messaging.models import Category
from prefcenter.models import ApiKey, ConsentEvent, Tenant, TenantMembership
from subscribers.models import Workflow, WorkflowPreference
from tests.browser.conftest import DESKTOP, screenshot
from tests.factories import make_api_key, make_customer, make_tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 12"


@pytest.fixture
def acme(db):
    tenant = make_tenant("acme", name="Acme Inc.")
    marketing = Category.objects.create(tenant=tenant, key="marketing", name="Marketing")
    Workflow.objects.create(
        tenant=tenant, identifier="order-shipped", slug="order-shipped", name="Order shipped",
        channels=["email", "sms"],
    )
    Workflow.objects.create(
        tenant=tenant, identifier="weekly-news", slug="weekly-news", name="Weekly news", category=marketing,
        channels=["email", "push"],
    )
    return tenant


@pytest.fixture
def ada(acme):
    customer = make_customer(
        acme, "cust-ada", email="ada@example.com", first_name="Ada", last_name="Lovelace", phone="+14155550123",
        sms_opt_out=False,
    )
    shipped = Workflow.objects.get(identifier="order-shipped")
    WorkflowPreference.objects.create(tenant=acme, customer=customer, workflow=shipped, sms=True)
    return customer


@pytest.fixture
def globex(db):
    tenant = make_tenant("globex", name="Globex Corp.")
    Workflow.objects.create(tenant=tenant, identifier="globex-secret-flow", slug="globex-secret-flow",
                            name="Globex secret flow", channels=["email"])
    make_customer(tenant, "globex-ada", email="ada@example.com", first_name="Globex", last_name="Twin")
    return tenant


@pytest.fixture
def staff(acme):
    user = get_user_model().objects.create_user("acme-staff", "staff@acme.test", PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["customers", "prefcenter", "messaging", "subscribers"])
    )
    TenantMembership.objects.create(user=user, tenant=acme)
    return user


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


@pytest.fixture
def admin_page(open_page):
    """`admin_page(user)` → a Chromium page logged in to the admin through its login form."""

    def login(user, *, viewport=DESKTOP):
        page = open_page("/admin/login/?next=/admin/", viewport=viewport)
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        assert page.get_by_role("heading", name="Site administration").is_visible(), page.content()[:2000]
        return page

    return login


def save(page, name: str = "Save") -> str:
    page.locator(f'input[type=submit][value="{name}"]').first.click()
    page.locator(".messagelist .success, .errornote, .errorlist").first.wait_for()
    success = page.locator(".messagelist .success")
    assert success.count() == 1, page.locator(".errornote, .errorlist").all_inner_texts()
    return success.inner_text()


def api_preferences(tenant: Tenant, external_id: str) -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {make_api_key(tenant)[1]}")
    response = client.get(f"/v2/subscribers/{external_id}/preferences")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("who", ["staff", "root"])
def test_staff_and_superuser_edit_a_customer_when_working_in_chromium(admin_page, request, ada, globex, who):
    user = request.getfixturevalue(who)
    page = admin_page(user)
    page.locator("tr.model-customer th a").click()  # the index's Customers model row
    page.locator("#searchbar").fill("ada@example.com")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/admin/customers/customer/?q=ada*")
    results = page.locator("#result_list tbody tr")
    # The superuser sees both tenants' Adas; the staff member only their own.
    assert results.count() == (2 if who == "root" else 1)
    assert ("globex-ada" in page.locator("#result_list").inner_text()) is (who == "root")
    page.get_by_role("link", name="cust-ada").click()

    page.get_by_label("First name").fill("Augusta")
    page.locator("select[name='workflow_preferences-0-sms']").select_option(label="No")
    message = save(page)
    assert "was changed successfully" in message

    ada.refresh_from_db()
    assert ada.first_name == "Augusta"
    assert WorkflowPreference.objects.get(customer=ada, workflow__identifier="order-shipped").sms is False
    label = f"staff:{user.get_username()}"
    assert set(ConsentEvent.objects.filter(customer_id=ada.pk, source="admin").values_list("field", "actor")) == {
        ("first_name", label), ("sms", label)
    }
    # The ledger on the customer's page, newest first, readable.
    page.get_by_role("link", name="cust-ada", exact=True).click()  # the change list the save returned to
    history = page.get_by_role("region", name="Consent history")
    history.locator("tbody tr").first.wait_for()  # all_inner_texts() does not wait for the page to arrive
    rows = history.locator("tbody tr").all_inner_texts()
    assert any("workflow:order-shipped" in row and "Yes → No" in row and label in row for row in rows), rows
    assert any("first_name" in row and "Ada → Augusta" in row for row in rows), rows
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]  # fits 1280 px
    screenshot(page, f"admin-customer-history-{who}")
    # The whole ledger, filtered to this customer.
    history.get_by_role("link").click()
    ledger = page.locator("#result_list").inner_text()
    assert "Yes → No" in ledger and "Ada → Augusta" in ledger and "globex" not in ledger
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]  # fits 1280 px
    # The API sees the same choice.
    body = api_preferences(ada.tenant, "cust-ada")
    shipped = next(w for w in body["workflows"] if w["workflow"]["identifier"] == "order-shipped")
    assert shipped["channels"]["sms"] is False


def test_customer_page_shows_what_they_will_receive_and_their_history_when_opened_at_1280(
    admin_page, staff, ada, globex
):
    page = admin_page(staff)
    page.goto(page.url.split("/admin/")[0] + f"/admin/customers/customer/{ada.pk}/change/")
    receive = page.get_by_role("region", name="What this customer will receive")
    text = receive.inner_text()
    assert "Order shipped" in text and "Weekly news" in text and "Globex secret flow" not in text
    shipped = receive.locator("tbody tr", has_text="Order shipped").inner_text()
    assert "Yes" in shipped and "workflow preference" in shipped and "digest instant" in shipped
    assert "not used" in shipped  # push, in-app, chat
    # Nothing overflows sideways at 1280 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    screenshot(page, "admin-customer-desktop")
    # One way to read booleans: no True/False/Unknown on the page.
    body = page.locator("#content-main").inner_text()
    assert not re.search(r"\b(True|False|Unknown)\b", body), re.findall(r".{30}\b(?:True|False|Unknown)\b.{10}", body)
    assert page.locator("link[rel=icon]").count() == 1


def test_links_are_issued_and_revoked_when_staff_use_the_links_page(admin_page, staff, ada, open_page):
    page = admin_page(staff)
    page.goto(page.url.split("/admin/")[0] + f"/admin/customers/customer/{ada.pk}/change/")
    page.get_by_role("link", name="Self-service links").click()
    page.get_by_role("button", name="Issue links").click()
    preferences_url = page.get_by_label("Preferences page").input_value()
    assert "/p/" in preferences_url and "/u/" in page.get_by_label("One-click unsubscribe").input_value()
    # The revoked link's page answers 410 later: that status is expected, not a console error.
    customer_page = open_page(urlsplit(preferences_url).path, error_status=True)
    assert customer_page.get_by_role("heading", name="Notification preferences").is_visible()

    page.get_by_role("button", name="Revoke all links and tokens").click()
    page.locator(".messagelist .success").wait_for()
    assert "is revoked" in page.locator(".messagelist .success").inner_text()
    assert Customer.objects.get(pk=ada.pk).link_version == ada.link_version + 1
    customer_page.reload()
    assert customer_page.get_by_role("heading", name="How to get a new link").is_visible()


def test_every_add_and_change_page_saves_when_a_staff_member_uses_it(admin_page, staff, acme, ada, globex):
    page = admin_page(staff)
    base = page.url.split("/admin/")[0] + "/admin/"

    # Customer add: a phone as people type it, stored E.164 and answered E.164 by the API.
    page.goto(base + "customers/customer/add/")
    page.get_by_label("External id").fill("cust-new")
    page.locator("#id_email").fill("new@example.com")
    page.get_by_label("Phone").fill("(415) 555-0199")
    assert "was added successfully" in save(page)
    added = Customer.objects.get(external_id="cust-new")
    assert (added.tenant, added.phone) == (acme, "+14155550199")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_api_key(acme)[1]}")
    assert client.get("/api/resources/customers/cust-new").json()["data"]["result"]["data"]["phone"] == "+14155550199"

    # Customer add refused: the external id exists → a field error, not a 500.
    page.goto(base + "customers/customer/add/")
    page.get_by_label("External id").fill("cust-ada")
    page.locator('input[type=submit][value="Save"]').click()
    page.locator(".errorlist").first.wait_for()
    assert "Already exists in this tenant." in page.locator(".errorlist").first.inner_text()

    # Category add and change.
    page.goto(base + "messaging/category/add/")
    page.get_by_label("Key").fill("billing")
    page.locator("#id_name").fill("Billing")
    assert "was added successfully" in save(page)
    page.get_by_role("link", name="billing", exact=True).click()
    page.locator("#id_description").fill("Invoices and receipts")
    assert "was changed successfully" in save(page)
    assert Category.objects.get(tenant=acme, key="billing").description == "Invoices and receipts"

    # Workflow add (checkboxes, Inherit/Yes/No per channel, tags as words) and change.
    page.goto(base + "subscribers/workflow/add/")
    page.get_by_label("Identifier").fill("welcome")
    page.get_by_label("Slug").fill("welcome")
    page.locator("#id_name").fill("Welcome")
    page.locator("#id_channels").get_by_label("Email").check()
    page.locator("#id_channels").get_by_label("SMS").check()
    page.locator(".channel-map").get_by_label("SMS").select_option(label="No")
    page.get_by_label("Tags").fill("onboarding, first week")
    assert "was added successfully" in save(page)
    welcome = Workflow.objects.get(tenant=acme, identifier="welcome")
    assert (welcome.channels, welcome.defaults, welcome.tags) == (["email", "sms"], {"sms": False},
                                                                  ["onboarding", "first week"])
    page.goto(base + f"subscribers/workflow/{welcome.pk}/change/")
    page.locator("#id_channels").get_by_label("Push").check()
    assert "was changed successfully" in save(page)
    assert Workflow.objects.get(pk=welcome.pk).channels == ["email", "sms", "push"]

    # Workflow add refused: the identifier exists.
    page.goto(base + "subscribers/workflow/add/")
    page.get_by_label("Identifier").fill("welcome")
    page.get_by_label("Slug").fill("welcome-2")
    page.locator("#id_name").fill("Welcome again")
    page.locator('input[type=submit][value="Save"]').click()
    page.locator(".errorlist").first.wait_for()
    assert "must be unique" in page.locator(".errorlist").first.inner_text()

    # API key add (bound to the staff tenant) and change.
    page.goto(base + "prefcenter/apikey/add/")
    page.locator("#id_name").fill("crm")
    page.get_by_label("customers:read").check()
    page.locator('input[type=submit][value="Save"]').click()
    page.locator(".messagelist").wait_for()
    assert "shown once" in page.locator(".messagelist").inner_text()
    key = ApiKey.objects.get(name="crm")
    assert key.tenant == acme
    page.goto(base + f"prefcenter/apikey/{key.pk}/change/")
    page.get_by_label("customers:write").check()
    assert "was changed successfully" in save(page)
    assert ApiKey.objects.get(pk=key.pk).scopes == ["customers:read", "customers:write"]

    # Their own tenant: channel defaults as checkboxes, the phone region.
    page.goto(base + f"prefcenter/tenant/{acme.pk}/change/")
    page.locator("#id_channel_defaults").get_by_label("Chat").uncheck()
    page.get_by_label("Default phone region").fill("GB")
    assert "was changed successfully" in save(page)
    acme.refresh_from_db()
    assert acme.channel_defaults["chat"] is False and acme.channel_defaults["email"] is True
    assert acme.default_phone_region == "GB"

    # Another tenant's rows never appear, whichever page is listed.
    for listing in ("customers/customer/", "subscribers/workflow/", "prefcenter/consentevent/", "prefcenter/tenant/"):
        page.goto(base + listing)
        assert "globex" not in page.locator("#content").inner_text().lower(), listing


def test_every_superuser_only_page_saves_when_a_superuser_uses_it(admin_page, root, acme, staff):
    page = admin_page(root)
    base = page.url.split("/admin/")[0] + "/admin/"

    page.goto(base + "prefcenter/tenant/add/")
    page.get_by_label("Slug").fill("initech")
    page.locator("#id_name").fill("Initech")
    assert "was added successfully" in save(page)
    initech = Tenant.objects.get(slug="initech")
    assert initech.channel_defaults == dict.fromkeys(initech.channel_defaults, True)

    helper = get_user_model().objects.create_user("initech-staff", "s@initech.test", PASSWORD, is_staff=True)
    page.goto(base + "prefcenter/tenantmembership/add/")
    page.get_by_label("User").select_option(label="initech-staff")
    page.get_by_label("Tenant").select_option(label="Initech")
    assert "was added successfully" in save(page)
    membership = TenantMembership.objects.get(user=helper)
    page.goto(base + f"prefcenter/tenantmembership/{membership.pk}/change/")
    page.get_by_label("Tenant").select_option(label="Acme Inc.")
    assert "was changed successfully" in save(page)
    assert TenantMembership.objects.get(pk=membership.pk).tenant == acme

    # A superuser adds a customer to a tenant they pick; the number is read in that tenant's region.
    page.goto(base + "customers/customer/add/")
    page.get_by_label("Tenant").select_option(label="Initech")
    page.get_by_label("External id").fill("initech-1")
    page.get_by_label("Phone").fill("415-555-0142")
    assert "was added successfully" in save(page)
    assert Customer.objects.get(external_id="initech-1").phone == "+14155550142"
