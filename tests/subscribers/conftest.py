"""Fixtures for the subscribers tests (the builders are in tests/factories.py)."""

from __future__ import annotations

from typing import Any

import pytest

from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from subscribers.models import Workflow
from tests.factories import make_customer, make_workflow

ACTOR = Actor(label="test", source="api")


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
