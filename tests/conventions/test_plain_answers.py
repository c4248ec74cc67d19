"""One truth: an answer built as plain data (`plain_representation`, the hot paths) equals the answer its declared
fields build (`declared_representation`), with and without a `fields` selection, for every serializer that has one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from customers.serializers import ReachCustomerResourceDataSerializer, ReachCustomerResourceSerializer
from messaging.serializers import CategoryPreferenceSerializer
from prefcenter.serializers import SelectableMixin
from subscribers.selectors.resolutions import customer_resolution_one
from subscribers.serializers.teamup import NotificationPreferenceSerializer
from tests.factories import (
    make_category,
    make_category_preference,
    make_customer,
    make_tenant,
    make_workflow,
    make_workflow_preference,
)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _customers(tenant):
    return [
        make_customer(tenant, "full", email="ada@example.com", phone="+4915112345678", first_name="Ada",
                      last_name="L", detail_url="https://crm.example.com/ada",
                      source_created_at=datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)),
        make_customer(tenant, "bare"),
        make_customer(tenant, "opted-out", email="bob@example.com", email_opt_out=True, sms_opt_out=False),
    ]


def reach_samples(tenant):
    return _customers(tenant)


def teamup_samples(tenant):
    mandatory = make_category(tenant, "security", mandatory=True)
    workflows = [
        make_workflow(tenant, "welcome", channels=["email", "sms"], description="Hello"),
        make_workflow(tenant, "alerts", channels=["email"], critical=True),
        make_workflow(tenant, "login", channels=["email", "sms"], category=mandatory),
    ]
    items = []
    for customer in _customers(tenant):
        make_workflow_preference(customer, workflows[0], email=False)
        items += [customer_resolution_one(tenant=tenant, customer=customer, workflow=w) for w in workflows]
    return items


def messaging_samples(tenant):
    news = make_category(tenant, "news")
    customer = make_customer(tenant, "ada")
    return [
        make_category_preference(customer, news, email_enabled=False, digest="daily"),
        make_category_preference(customer, None, push_enabled=False),
    ]


SAMPLES = {
    ReachCustomerResourceSerializer: (reach_samples, {"id": {}, "data": {"email": {}, "createdAt": {}}}),
    ReachCustomerResourceDataSerializer: (reach_samples, {"phone": {}, "emailOptOut": {}}),
    NotificationPreferenceSerializer: (teamup_samples, {"id": {}, "capabilities": {"sms": {"reasons": {}}}}),
    CategoryPreferenceSerializer: (messaging_samples, {"category": {}, "updated_at": {}}),
}


def test_every_plain_answer_has_samples_when_a_serializer_builds_one():
    overriding = {cls for cls in _subclasses(SelectableMixin)
                  if "plain_representation" in vars(cls)}
    assert overriding == set(SAMPLES)


@pytest.mark.parametrize("serializer_class", list(SAMPLES), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("selection", ["all", "some"])
def test_plain_answer_equals_declared_fields_when_built_for_the_same_rows(db, serializer_class, selection):
    samples, tree = SAMPLES[serializer_class]
    instances = samples(make_tenant("acme"))
    fields_tree = tree if selection == "some" else {}
    for instance in instances:
        plain = serializer_class(instance, fields_tree=fields_tree).data
        declared = serializer_class(fields_tree=fields_tree).declared_representation(instance)
        assert plain == declared
        assert list(plain) == list(declared)  # the same keys in the same order (XML keeps it)
