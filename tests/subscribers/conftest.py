"""Fixtures and builders for the subscribers tests: workflows, categories, preferences."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from messaging.models import Category, CategoryPreference
from prefcenter.channels import CHANNELS
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from subscribers.models import Workflow, WorkflowPreference
from tests.factories import make_customer

_seq = itertools.count(1)
ACTOR = Actor(label="test", source="api")


def make_workflow(tenant, identifier: str | None = None, **fields: Any) -> Workflow:
    n = next(_seq)
    identifier = identifier or f"workflow-{n}"
    defaults: dict[str, Any] = {"name": identifier.replace("-", " ").title(), "slug": identifier,
                                "channels": list(CHANNELS)}
    defaults.update(fields)
    return Workflow.objects.create(tenant=tenant, identifier=identifier, **defaults)


def make_category(tenant, key: str | None = None, **fields: Any) -> Category:
    key = key or f"category-{next(_seq)}"
    return Category.objects.create(tenant=tenant, key=key, name=fields.pop("name", key.title()), **fields)


def make_category_preference(customer, category=None, **fields: Any) -> CategoryPreference:
    return CategoryPreference.objects.create(tenant=customer.tenant, customer=customer, category=category, **fields)


def make_preference(customer, workflow=None, **fields: Any) -> WorkflowPreference:
    return WorkflowPreference.objects.create(tenant=customer.tenant, customer=customer, workflow=workflow, **fields)


def events(**filters: Any) -> list[tuple[str, str, Any, Any]]:
    rows = ConsentEvent.objects.filter(**filters).order_by("id")
    return [(e.subject, e.field, e.old_value, e.new_value) for e in rows]


@pytest.fixture
def actor() -> Actor:
    return ACTOR


@pytest.fixture
def workflow(tenant) -> Workflow:
    """Uses email, sms and push; sms off by default."""
    return make_workflow(tenant, "order-shipped", name="Order shipped", channels=["email", "sms", "push"],
                         defaults={"sms": False}, tags=["orders"], description="Your order is on its way.")


@pytest.fixture
def critical_workflow(tenant) -> Workflow:
    return make_workflow(tenant, "password-reset", name="Password reset", channels=["email", "sms"], critical=True)


@pytest.fixture
def sms_customer(tenant):
    """Has a phone number and has opted in to SMS."""
    return make_customer(tenant, "cust-sms", email="sam@example.com", phone="+14155550101", sms_opt_out=False)


@pytest.fixture
def other_customer(other_tenant):
    return make_customer(other_tenant, "cust-1", email="other@example.com")
