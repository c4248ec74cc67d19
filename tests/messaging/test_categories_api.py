"""/v1/messaging/categories: the tenant's category catalog."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Category
from tests.factories import make_category, make_category_preference
from tests.messaging.conftest import CATEGORIES_URL, category_body


def test_list_returns_tenant_catalog_when_categories_exist(api, billing, marketing, other_category):
    response = api.get(CATEGORIES_URL)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "count": 2, "next": None, "previous": None, "results": [category_body(billing), category_body(marketing)],
    }


def test_list_runs_fixed_queries_when_catalog_grows(api, tenant, django_assert_max_num_queries):
    make_category(tenant, "a")
    with CaptureQueriesContext(connection) as few:
        api.get(CATEGORIES_URL)
    for n in range(20):
        make_category(tenant, f"more-{n}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(CATEGORIES_URL)

    assert response.json()["count"] == 21


def test_retrieve_returns_category_when_key_known(api, marketing):
    response = api.get(f"{CATEGORIES_URL}/marketing?fields=key,default_digest")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"key": "marketing", "default_digest": "daily"}


def test_retrieve_answers_404_when_category_is_another_tenants(api, other_api, other_category):
    response = api.get(f"{CATEGORIES_URL}/{other_category.key}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["detail"].startswith("Category 'marketing' not found.")
    assert other_api.get(f"{CATEGORIES_URL}/{other_category.key}").status_code == HTTPStatus.OK


def test_create_adds_category_when_input_valid(api, tenant):
    response = api.post(
        CATEGORIES_URL,
        {"key": "product-updates", "name": "Product updates", "description": "New features.",
         "default_push": False, "default_digest": "hourly"},
        format="json",
    )

    assert response.status_code == HTTPStatus.CREATED
    category = Category.objects.get(tenant=tenant, key="product-updates")
    assert response.json() == category_body(category)
    assert (category.mandatory, category.default_in_app, category.default_email, category.default_push) == (
        False, True, True, False
    )


def test_create_answers_409_when_key_exists(api, marketing, unchanged):
    with unchanged():
        response = api.post(CATEGORIES_URL, {"key": "marketing", "name": "Again"}, format="json")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["detail"] == "A category with key 'marketing' already exists."


def test_create_allows_same_key_when_other_tenant_has_it(api, other_category, tenant):
    response = api.post(CATEGORIES_URL, {"key": other_category.key, "name": "Ours"}, format="json")

    assert response.status_code == HTTPStatus.CREATED


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "No key"}, "key", "This field is required."),
        ({"key": "no-name"}, "name", "This field is required."),
        ({"key": "has space", "name": "X"}, "key", "Must be a slug: letters, digits, hyphens and underscores only."),
        ({"key": 7, "name": "X"}, "key", "Must be a string."),
        ({"key": "null", "name": "X"}, "key", "'null' is reserved: it names the global default."),
        ({"key": "x", "name": "X", "default_digest": "weekly"}, "default_digest",
         "'weekly' is not one of: instant, hourly, daily, off."),
        ({"key": "x", "name": "X", "mandatory": "yes"}, "mandatory", "Must be a boolean (true or false)."),
        ({"key": "x", "name": "X", "mandatory": True, "default_email": False}, "default_email",
         "Must be true: the category is mandatory."),
        ({"key": "x", "name": "X", "mandatory": True, "default_digest": "off"}, "default_digest",
         "Cannot be 'off': the category is mandatory, and digest 'off' turns its email off."),
        ({"key": "x", "name": "X", "tenant": 2}, "tenant", "Unknown field."),
    ],
)
def test_create_answers_400_naming_the_field_when_input_is_bad(api, tenant, unchanged, body, field, message):
    with unchanged():
        response = api.post(CATEGORIES_URL, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {field: [message]}


def test_create_answers_403_when_catalog_scope_missing(scoped_api, tenant, unchanged):
    with unchanged():
        response = scoped_api(["messaging:read", "messaging:update"]).post(
            CATEGORIES_URL, {"key": "x", "name": "X"}, format="json"
        )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["detail"].startswith("Missing permission: catalog:write.")


def test_writes_answer_403_when_customer_mode(customer_api, client_for, tenant, customer, marketing, unchanged):
    from tests.factories import make_api_key

    client = client_for(make_api_key(tenant, mode="customer", customer="cust-1")[1])  # every scope
    with unchanged():
        created = client.post(CATEGORIES_URL, {"key": "x", "name": "X"}, format="json")
        patched = client.patch(f"{CATEGORIES_URL}/marketing", {"name": "Y"}, format="json")
        deleted = client.delete(f"{CATEGORIES_URL}/marketing")

    assert created.status_code == patched.status_code == deleted.status_code == HTTPStatus.FORBIDDEN
    assert created.json()["detail"] == "This operation is only available in provider mode."


def test_reads_answer_when_customer_mode(customer_api, marketing):
    response = customer_api.get(CATEGORIES_URL)

    assert response.status_code == HTTPStatus.OK
    assert [row["key"] for row in response.json()["results"]] == ["marketing"]


def test_patch_changes_fields_when_valid(api, marketing):
    response = api.patch(f"{CATEGORIES_URL}/marketing", {"name": "Offers", "default_email": False}, format="json")

    assert response.status_code == HTTPStatus.OK
    marketing.refresh_from_db()
    assert (marketing.name, marketing.default_email) == ("Offers", False)
    assert response.json() == category_body(marketing)


def test_patch_keeps_updated_at_when_nothing_changes(api, marketing):
    before = category_body(marketing)

    response = api.patch(f"{CATEGORIES_URL}/marketing", {"name": "Marketing", "key": "marketing"}, format="json")

    assert response.json() == before


def test_patch_answers_400_when_key_would_change(api, marketing, unchanged):
    with unchanged():
        response = api.patch(f"{CATEGORIES_URL}/marketing", {"key": "promo"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"key": ["Cannot be changed once set."]}


def test_patch_answers_400_when_mandatory_with_opt_out_defaults(api, marketing, unchanged):
    with unchanged():
        response = api.patch(f"{CATEGORIES_URL}/marketing", {"mandatory": True}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {
        "default_in_app": ["Must be true: the category is mandatory."],
        "default_push": ["Must be true: the category is mandatory."],
    }


def test_patch_answers_404_when_category_is_another_tenants(api, other_category, unchanged):
    with unchanged():
        response = api.patch(f"{CATEGORIES_URL}/{other_category.key}", {"name": "Mine"}, format="json")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_put_answers_405_when_used_on_category(api, marketing, unchanged):
    with unchanged():
        response = api.put(f"{CATEGORIES_URL}/marketing", {"key": "marketing", "name": "X"}, format="json")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_delete_removes_category_when_unused(api, tenant, marketing):
    response = api.delete(f"{CATEGORIES_URL}/marketing")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Category.objects.filter(tenant=tenant).exists()


def test_delete_answers_409_when_preferences_refer_to_category(api, customer, other_customer, marketing, unchanged):
    make_category_preference(customer, marketing)
    make_category_preference(other_customer, marketing)

    with unchanged():
        response = api.delete(f"{CATEGORIES_URL}/marketing")

    assert response.status_code == HTTPStatus.CONFLICT
    body = response.json()
    assert body["code"] == "category_in_use"
    assert body["detail"].startswith(
        "Category 'marketing' cannot be deleted: it is still used by 2 category preferences."
    )
    assert body["errors"] == {"key": ["In use by 2 category preferences."]}


def test_delete_answers_404_when_category_is_another_tenants(api, other_category, unchanged):
    with unchanged():
        response = api.delete(f"{CATEGORIES_URL}/{other_category.key}")

    assert response.status_code == HTTPStatus.NOT_FOUND
