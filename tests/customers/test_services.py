"""customers/services.py: rules that belong to the service whatever face calls it."""

from __future__ import annotations

import pytest

from customers.services import customer_update
from prefcenter.exceptions import Unchangeable
from prefcenter.ledger import Actor

pytestmark = pytest.mark.django_db

ACTOR = Actor(label="test", source="api")


def test_customer_update_raises_unchangeable_when_external_id_would_change(customer, unchanged):
    with unchanged(), pytest.raises(Unchangeable) as raised:
        customer_update(customer=customer, actor=ACTOR, external_id="cust-2", first_name="Eve")
    assert (raised.value.status_code, raised.value.message, raised.value.errors) == (
        400, "external_id cannot be changed.", {"external_id": ["Cannot be changed once set."]}
    )


def test_customer_update_accepts_the_same_external_id_when_unchanged(customer):
    updated = customer_update(customer=customer, actor=ACTOR, external_id=customer.external_id, first_name="Eve")
    assert (updated.external_id, updated.first_name) == (customer.external_id, "Eve")
