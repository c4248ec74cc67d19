"""Fixtures shared by the self-service and browser tests: a catalog, a customer with a phone, and their links."""

from __future__ import annotations

import pytest

from selfservice.links import PURPOSE_PREFERENCES, PURPOSE_UNSUBSCRIBE, link_token
from tests.factories import make_customer
from tests.selfservice.catalog import make_catalog


@pytest.fixture
def catalog(tenant):
    return make_catalog(tenant)


@pytest.fixture
def person(tenant):
    return make_customer(tenant, "cust-7", email="grace@example.com", phone="+14155550123", first_name="Grace")


@pytest.fixture
def page_path(person):
    return f"/p/{link_token(customer=person, purpose=PURPOSE_PREFERENCES)}/"


@pytest.fixture
def unsubscribe_path(person):
    return f"/u/{link_token(customer=person, purpose=PURPOSE_UNSUBSCRIBE)}/"
