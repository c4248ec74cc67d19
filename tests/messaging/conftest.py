"""Fixtures and builders for the messaging tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key, make_category, make_customer

PREFERENCES_URL = "/v1/messaging/preferences"
CATEGORIES_URL = "/v1/messaging/categories"


def body_of(preference: CategoryPreference, **expanded: Any) -> dict[str, Any]:
    """The seed-001 body we expect for a stored preference (read back from the database)."""
    preference = CategoryPreference.objects.select_related("category").get(pk=preference.pk)
    as_text = serializers.DateTimeField().to_representation
    return {
        "id": str(preference.public_id),
        "object": "notification_preference",
        "category": preference.category.key if preference.category_id else None,
        "in_app_enabled": preference.in_app_enabled,
        "email_enabled": preference.email_enabled,
        "push_enabled": preference.push_enabled,
        "digest": preference.digest,
        "created_at": as_text(preference.created_at),
        "updated_at": as_text(preference.updated_at),
        **expanded,
    }


def category_body(category: Category) -> dict[str, Any]:
    category = Category.objects.get(pk=category.pk)
    as_text = serializers.DateTimeField().to_representation
    return {
        "key": category.key,
        "object": "notification_category",
        "name": category.name,
        "description": category.description,
        "mandatory": category.mandatory,
        "default_in_app": category.default_in_app,
        "default_email": category.default_email,
        "default_push": category.default_push,
        "default_digest": category.default_digest,
        "created_at": as_text(category.created_at),
        "updated_at": as_text(category.updated_at),
    }


def events_for(customer: Customer) -> list[tuple[str, str, Any, Any]]:
    return list(
        ConsentEvent.objects.filter(customer_id=customer.pk)
        .order_by("id")
        .values_list("subject", "field", "old_value", "new_value")
    )


@pytest.fixture
def billing(tenant) -> Category:
    """Mandatory: customers cannot opt out."""
    return make_category(tenant, "billing", name="Billing", mandatory=True)


@pytest.fixture
def marketing(tenant) -> Category:
    """Optional; push and in-app off by default, daily digest by default."""
    return make_category(
        tenant, "marketing", name="Marketing", default_push=False, default_in_app=False, default_digest="daily"
    )


@pytest.fixture
def other_category(other_tenant) -> Category:
    return make_category(other_tenant, "marketing", name="Globex marketing")


@pytest.fixture
def other_customer(tenant) -> Customer:
    return make_customer(tenant, "cust-2", email="grace@example.com")


@pytest.fixture
def as_customer(api) -> Callable[..., Any]:
    """`as_customer("put", url, data, external_id="cust-1")`: a provider-mode call naming the customer."""

    def call(method: str, url: str, data: Any = None, external_id: str = "cust-1", **extra: Any):
        return getattr(api, method)(url, data, format="json", HTTP_PREFCENTER_CUSTOMER=external_id, **extra)

    return call


@pytest.fixture
def customer_api(client_for, tenant, customer) -> APIClient:
    """A customer-mode API key bound to cust-1, with the customer scopes."""
    return client_for(make_api_key(tenant, mode="customer", customer="cust-1", scopes=["messaging:read",
                                                                                      "messaging:update"])[1])


@pytest.fixture
def scoped_api(client_for, tenant) -> Callable[[list[str]], APIClient]:
    """A provider-mode client holding exactly the given scopes."""

    def build(scopes: list[str]) -> APIClient:
        return client_for(make_api_key(tenant, scopes=scopes)[1])

    return build
