"""Fixtures for the staff console tests: two tenants with customers, a catalog and explicit choices."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.conftest import browser_settings, open_page  # noqa: F401 (the browser suite's fixtures)
from tests.factories import (
    make_category,
    make_category_preference,
    make_customer,
    make_workflow,
    make_workflow_preference,
)
from tests.prefcenter.conftest import staff_user, superuser  # noqa: F401


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def acme_world(tenant):
    """Acme: a category `marketing`, workflows `newsletter` (marketing; email, push) and `order-shipped`
    (email, sms), and three customers: ada (no choice), bob (newsletter email off, SMS opted in),
    cy (email opt-out, marketing push off)."""
    marketing = make_category(tenant, "marketing")
    newsletter = make_workflow(tenant, "newsletter", category=marketing, channels=["email", "push"])
    shipped = make_workflow(tenant, "order-shipped", channels=["email", "sms"])
    ada = make_customer(tenant, "ada", email="ada@acme.test", first_name="Ada")
    bob = make_customer(tenant, "bob", email="bob@acme.test", phone="+14155550101", sms_opt_out=False)
    cy = make_customer(tenant, "cy", email="cy@acme.test", email_opt_out=True)
    make_workflow_preference(bob, newsletter, email=False)
    make_category_preference(cy, marketing, push_enabled=False, raw=True)
    return {"marketing": marketing, "newsletter": newsletter, "shipped": shipped, "ada": ada, "bob": bob, "cy": cy}


@pytest.fixture
def globex_world(other_tenant):
    """Globex: its own workflow and customers, one with the same external id as an Acme customer."""
    promos = make_category(other_tenant, "globex-promos")
    make_workflow(other_tenant, "globex-weekly", category=promos, channels=["email"])
    same = make_customer(other_tenant, "ada", email="ada@globex.test", first_name="GlobexAda", email_opt_out=True)
    secret = make_customer(other_tenant, "globex-secret", email="secret@globex.test")
    make_category_preference(secret, promos, email_enabled=False, raw=True)
    return {"promos": promos, "ada": same, "secret": secret}
