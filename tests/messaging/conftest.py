"""Fixtures and builders for the messaging tests."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from messaging.services import category_create, category_preference_set
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent, Tenant
from tests.factories import make_api_key, make_customer

PREFERENCES_URL = "/v1/messaging/preferences"
CATEGORIES_URL = "/v1/messaging/categories"


def make_category(tenant: Tenant, key: str, **fields: Any) -> Category:
    return category_create(tenant=tenant, key=key, name=fields.pop("name", key.replace("-", " ").title()), **fields)


def make_preference(
    customer: Customer, category: Category | None, *, actor: Actor | None = None, **values: Any
) -> CategoryPreference:
    full = {"in_app_enabled": True, "email_enabled": True, "push_enabled": True, "digest": "instant", **values}
    preference, _ = category_preference_set(
        tenant=customer.tenant, customer=customer, category=category, actor=actor or Actor.system("test"), **full
    )
    return preference


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


# ----------------------------------------------------------------------------- admin forms


class FormValues(HTMLParser):
    """Collects what a browser would submit from an admin change form: inputs, checked boxes,
    selected options and textareas (so tests post every inline's management form as rendered)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form" and attr.get("method", "").lower() == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = (attr.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attr:
                    self.values[name] = attr.get("value") or "on"
                return
            self.values[name] = attr.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attr:
            self.values[self._select] = attr.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def admin_form_values(html: str) -> dict[str, Any]:
    parser = FormValues()
    parser.feed(html)
    return parser.values
