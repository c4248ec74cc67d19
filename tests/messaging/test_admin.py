"""Admin: the category catalog, and category preferences inline on the customer page."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from messaging.models import Category, CategoryPreference
from prefcenter.models import ConsentEvent
from tests.factories import make_category, make_category_preference
from tests.forms import form_values
from tests.messaging.conftest import events_for

PREFIX = "category_preferences"  # the inline's formset prefix (the FK's related_name)


def change_url(customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def rendered_values(client, customer) -> dict:
    response = client.get(change_url(customer))
    assert response.status_code == HTTPStatus.OK
    return form_values(response)


def test_change_page_offers_only_tenant_categories_when_rendered(admin_client, customer, marketing, other_category):
    make_category_preference(customer, marketing)

    response = admin_client.get(change_url(customer))

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert f"{PREFIX}-TOTAL_FORMS" in html
    assert f'<option value="{marketing.pk}" selected>Marketing</option>' in html
    assert "Globex marketing" not in html
    assert "global default" in html


def test_inline_add_writes_ledger_events_when_saved(admin_client, customer, marketing):
    data = rendered_values(admin_client, customer)
    data.update({
        f"{PREFIX}-TOTAL_FORMS": "1",
        f"{PREFIX}-0-category": str(marketing.pk),
        f"{PREFIX}-0-in_app_enabled": "on",
        f"{PREFIX}-0-email_enabled": "",
        f"{PREFIX}-0-push_enabled": "on",
        f"{PREFIX}-0-digest": "daily",
        f"{PREFIX}-0-customer": str(customer.pk),
    })
    data = {key: value for key, value in data.items() if value != "" or not key.endswith("_enabled")}

    response = admin_client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:3000]
    preference = CategoryPreference.objects.get(customer=customer)
    assert (preference.category, preference.in_app_enabled, preference.email_enabled, preference.push_enabled,
            preference.digest) == (marketing, True, False, True, "daily")
    events = ConsentEvent.objects.filter(customer_id=customer.pk, subject="category:marketing")
    assert {(e.field, e.old_value, e.new_value) for e in events} == {
        ("in_app_enabled", None, True), ("email_enabled", None, False), ("push_enabled", None, True),
        ("digest", None, "daily"),
    }
    assert {(e.source, e.actor) for e in events} == {("admin", "staff:admin")}


def test_inline_change_records_only_changed_fields_when_saved(admin_client, customer, marketing):
    make_category_preference(customer, marketing, digest="instant")
    before = len(events_for(customer))
    data = rendered_values(admin_client, customer)
    data[f"{PREFIX}-0-digest"] = "hourly"

    response = admin_client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.FOUND
    assert CategoryPreference.objects.get(customer=customer).digest == "hourly"
    assert events_for(customer)[before:] == [("category:marketing", "digest", "instant", "hourly")]


def test_inline_delete_clears_preference_with_events_when_saved(admin_client, customer, marketing):
    make_category_preference(customer, marketing)
    data = rendered_values(admin_client, customer)
    data[f"{PREFIX}-0-DELETE"] = "on"

    response = admin_client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.FOUND
    assert not CategoryPreference.objects.filter(customer=customer).exists()
    assert ConsentEvent.objects.filter(
        customer_id=customer.pk, subject="category:marketing", source="admin", new_value__isnull=True
    ).count() == 4


def test_inline_save_writes_nothing_when_nothing_changed(admin_client, customer, marketing, unchanged):
    make_category_preference(customer, marketing)
    data = rendered_values(admin_client, customer)

    with unchanged():
        response = admin_client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.FOUND


def test_inline_refuses_opt_out_when_category_mandatory(admin_client, customer, billing, unchanged):
    make_category_preference(customer, billing)
    data = rendered_values(admin_client, customer)
    data.pop(f"{PREFIX}-0-email_enabled", None)  # unticked checkbox

    with unchanged():
        response = admin_client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.OK
    assert "Cannot be turned off: category &#x27;billing&#x27; is mandatory." in response.content.decode()


def test_inline_refuses_two_global_rows_when_added_together(admin_client, customer, unchanged):
    data = rendered_values(admin_client, customer)
    data[f"{PREFIX}-TOTAL_FORMS"] = "2"
    for index in (0, 1):
        data.update({f"{PREFIX}-{index}-category": "", f"{PREFIX}-{index}-in_app_enabled": "on",
                     f"{PREFIX}-{index}-digest": "instant", f"{PREFIX}-{index}-customer": str(customer.pk)})

    with unchanged():
        response = admin_client.post(change_url(customer), data)

    assert response.status_code == HTTPStatus.OK
    assert "Only one row per category: the global default appears twice." in response.content.decode()


def test_category_admin_add_creates_category_when_valid(admin_client, tenant):
    response = admin_client.post(reverse("admin:messaging_category_add"), {
        "tenant": str(tenant.pk), "key": "news", "name": "News", "description": "",
        "default_in_app": "on", "default_email": "on", "default_digest": "hourly",
    })

    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    category = Category.objects.get(tenant=tenant, key="news")
    assert (category.default_push, category.default_digest) == (False, "hourly")


def test_category_admin_refuses_mandatory_opt_out_defaults_when_added(admin_client, tenant, unchanged):
    with unchanged():
        response = admin_client.post(reverse("admin:messaging_category_add"), {
            "tenant": str(tenant.pk), "key": "legal", "name": "Legal", "mandatory": "on",
            "default_in_app": "on", "default_email": "on", "default_digest": "instant",
        })

    assert response.status_code == HTTPStatus.OK
    assert "Must be true: the category is mandatory." in response.content.decode()


def test_category_admin_changelist_renders_when_categories_exist(admin_client, tenant):
    for n in range(3):
        make_category(tenant, f"c{n}")

    response = admin_client.get(reverse("admin:messaging_category_changelist"))

    assert response.status_code == HTTPStatus.OK
    assert "c2" in response.content.decode()


def test_customer_add_page_renders_when_inline_cannot_add_yet(admin_client, tenant):
    response = admin_client.get(reverse("admin:customers_customer_add"))

    assert response.status_code == HTTPStatus.OK
    assert 'name="category_preferences-MAX_NUM_FORMS" value="0"' in response.content.decode()


def test_category_delete_in_use_is_refused_not_a_500_when_staff_confirms(admin_client, customer, marketing, unchanged):
    """Issue 12: no 500 in the admin; a category in use is not deleted (the protected relation is named)."""
    make_category_preference(customer, marketing)
    with unchanged():
        response = admin_client.post(f"/admin/messaging/category/{marketing.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "Cannot delete category" in response.content.decode()


def test_bulk_delete_in_use_deletes_nothing_when_one_category_is_used(admin_client, customer, marketing, unchanged):
    unused = make_category(marketing.tenant, "unused")
    make_category_preference(customer, marketing)
    with unchanged():
        response = admin_client.post(
            "/admin/messaging/category/",
            {"action": "delete_selected", "_selected_action": [unused.pk, marketing.pk], "post": "yes"},
            follow=True,
        )
    assert response.status_code == HTTPStatus.OK
    assert "Cannot delete categories" in response.content.decode()
