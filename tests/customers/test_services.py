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


def test_customer_update_records_an_opt_out_when_an_unrelated_stored_value_breaks_a_later_rule(customer):
    from django.core.exceptions import ValidationError

    from customers.models import Customer
    from prefcenter.models import ConsentEvent

    Customer.objects.filter(pk=customer.pk).update(phone="0151 legacy")  # stored before E.164 was required
    customer.refresh_from_db()
    updated = customer_update(customer=customer, actor=ACTOR, email_opt_out=True)
    assert Customer.objects.get(pk=customer.pk).email_opt_out is True and updated.phone == "0151 legacy"
    assert ConsentEvent.objects.filter(customer_id=customer.pk, field="email_opt_out").count() == 1
    with pytest.raises(ValidationError) as raised:  # a value the change sets is still validated
        customer_update(customer=updated, actor=ACTOR, phone="also not e164")
    assert set(raised.value.message_dict) == {"phone"}
