"""Issue 12 item 1 for the admin pages the integrations brought (webhook endpoints, SMS settings): each add and
change page saves in Chromium as staff, scoped to their tenant. A guard fails when the admin registers a model
that no browser test saves (or says why none can)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from compliance.models import SmsSettings
from prefcenter.models import TenantMembership
from tests.browser.test_admin import PASSWORD, acme, admin_page, globex, save  # noqa: F401 (fixtures)
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every model the admin registers → the browser test that saves its add and change pages, or why none can.
SAVED_IN_A_BROWSER = {
    "customers.customer": "test_admin.py::test_every_add_and_change_page_saves_when_a_staff_member_uses_it",
    "messaging.category": "test_admin.py::test_every_add_and_change_page_saves_when_a_staff_member_uses_it",
    "subscribers.workflow": "test_admin.py::test_every_add_and_change_page_saves_when_a_staff_member_uses_it",
    "prefcenter.apikey": "test_admin.py::test_every_add_and_change_page_saves_when_a_staff_member_uses_it",
    "prefcenter.tenant": "test_admin.py (staff: change; superuser: add)",
    "prefcenter.tenantmembership": "test_admin.py::test_every_superuser_only_page_saves_when_a_superuser_uses_it",
    "webhooks.webhookendpoint": "below",
    "compliance.smssettings": "below",
}
NO_ADD_OR_CHANGE_PAGE = {
    "prefcenter.consentevent": "the ledger is append-only: read-only in the admin",
    "webhooks.webhookdelivery": "read-only; the resend action is the only change",
}
DJANGOS_OWN = {"auth.user", "auth.group"}


def test_every_registered_admin_is_saved_in_a_browser_test_when_it_has_add_or_change_pages():
    registered = {f"{model._meta.app_label}.{model._meta.model_name}" for model in admin.site._registry}
    assert registered - DJANGOS_OWN == set(SAVED_IN_A_BROWSER) | set(NO_ADD_OR_CHANGE_PAGE)


@pytest.fixture
def integrations_staff(acme):  # noqa: F811
    user = get_user_model().objects.create_user("acme-ops", "ops@acme.test", PASSWORD, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["webhooks", "compliance"]))
    TenantMembership.objects.create(user=user, tenant=acme)
    return user


def test_webhook_endpoint_and_sms_settings_pages_save_when_a_staff_member_uses_them(
    admin_page, integrations_staff, acme, globex  # noqa: F811
):
    endpoint_create(tenant=globex, url="https://globex.example/hooks", event_types=["customer.deleted"])
    SmsSettings.objects.create(tenant=globex, inbound_number="+14155550999")
    page = admin_page(integrations_staff)
    base = page.url.split("/admin/")[0] + "/admin/"

    # Webhook endpoint add: the secret is shown once; the tenant is the staff member's.
    page.goto(base + "webhooks/webhookendpoint/add/")
    page.locator("#id_url").fill("https://hooks.acme.example/prefcenter")
    page.locator("#id_event_types").get_by_label("customer.opted_out").check()
    assert "was added successfully" in save(page)
    assert "whsec_" in page.locator(".messagelist").inner_text()
    endpoint = WebhookEndpoint.objects.get(tenant=acme)
    assert endpoint.event_types == ["customer.opted_out"]
    acme.refresh_from_db()
    assert acme.webhook_event_types == ["customer.opted_out"]

    # Webhook endpoint change: one more event type, and the tenant hears it.
    page.goto(base + f"webhooks/webhookendpoint/{endpoint.pk}/change/")
    page.locator("#id_event_types").get_by_label("preference.updated").check()
    assert "was changed successfully" in save(page)
    acme.refresh_from_db()
    assert sorted(acme.webhook_event_types) == ["customer.opted_out", "preference.updated"]

    # SMS settings add and change.
    page.goto(base + "compliance/smssettings/add/")
    page.locator("#id_inbound_number").fill("+14155550100")
    assert "was added successfully" in save(page)
    assert SmsSettings.objects.get(tenant=acme).inbound_number == "+14155550100"
    page.goto(base + f"compliance/smssettings/{acme.pk}/change/")
    page.locator("#id_auth_token").fill("provider-auth-token")
    assert "was changed successfully" in save(page)
    assert SmsSettings.objects.get(tenant=acme).auth_token == "provider-auth-token"

    # Another tenant's endpoint and number never appear.
    for listing in ("webhooks/webhookendpoint/", "compliance/smssettings/", "webhooks/webhookdelivery/"):
        page.goto(base + listing)
        content = page.locator("#content").inner_text().lower()
        assert "globex" not in content and "+14155550999" not in content, listing
