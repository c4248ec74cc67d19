"""The limit views (bench/limit.py) really write what they are sent and answer the row: a limit that
measured a no-op, or a wrong row, would flatter the stack's limit and shame the API by comparison."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from bench import limit
from messaging.models import Category, CategoryPreference
from subscribers.models import Workflow, WorkflowPreference
from tests.factories import make_customer


def _send(view, method: str, tenant, body=None, **kwargs):
    factory = RequestFactory()
    request = factory.generic(method, "/", data=json.dumps(body) if body is not None else "",
                              content_type="application/json", HTTP_BENCH_TENANT=str(tenant.pk),
                              **{k: v for k, v in kwargs.items() if k.startswith("HTTP_")})
    response = view(request, **{k: v for k, v in kwargs.items() if not k.startswith("HTTP_")})
    assert response.status_code == 200, response.content
    return json.loads(response.content)


@pytest.mark.django_db
def test_limit_teamup_patch_inserts_then_updates_the_row_when_values_change(tenant):
    customer = make_customer(tenant, "c1", email="c1@example.com")
    workflow = Workflow.objects.create(tenant=tenant, identifier="news", slug="news", name="News", channels=["email"])
    args = {"customer_id": str(customer.pk), "preference_id": str(workflow.pk)}

    assert _send(limit.teamup_preference_patch, "PATCH", tenant, {"email_enabled": False}, **args) == {
        "id": workflow.pk, "email_enabled": False, "sms_enabled": None}
    assert _send(limit.teamup_preference_patch, "PATCH", tenant, {"email_enabled": True}, **args)["email_enabled"]
    assert list(WorkflowPreference.objects.values_list("customer_id", "workflow_id", "email")) == [
        (customer.pk, workflow.pk, True)]


@pytest.mark.django_db
def test_limit_messaging_put_inserts_then_updates_the_category_row_when_values_change(tenant):
    make_customer(tenant, "c1")
    category = Category.objects.create(tenant=tenant, key="news", name="News")
    body = {"category": "news", "in_app_enabled": True, "email_enabled": False, "push_enabled": True,
            "digest": "daily"}
    first = _send(limit.messaging_preference_put, "PUT", tenant, body, HTTP_PREFCENTER_CUSTOMER="c1")
    second = _send(limit.messaging_preference_put, "PUT", tenant, {**body, "email_enabled": True},
                   HTTP_PREFCENTER_CUSTOMER="c1")

    assert (first["email_enabled"], second["email_enabled"], second["digest"]) == (False, True, "daily")
    row = CategoryPreference.objects.get()
    assert (row.category_id, row.email_enabled, str(row.public_id)) == (category.pk, True, first["id"])


@pytest.mark.django_db
def test_limit_reach_patch_updates_the_customer_when_the_opt_out_flips(tenant):
    customer = make_customer(tenant, "c1")
    answer = _send(limit.reach_customer_patch, "PATCH", tenant, {"data": {"emailOptOut": True}}, external_id="c1")

    customer.refresh_from_db()
    assert customer.email_opt_out and customer.email_opt_out_at is not None
    assert answer["data"]["result"]["email_opt_out"] is True


@pytest.mark.django_db
def test_limit_novu_patch_changes_the_row_and_answers_every_workflow_when_sent_a_channel(tenant):
    make_customer(tenant, "c1", email="c1@example.com")
    for name in ("a", "b"):
        Workflow.objects.create(tenant=tenant, identifier=name, slug=name, name=name, channels=["email", "in_app"])

    answer = _send(limit.novu_preferences_patch, "PATCH", tenant, {"channels": {"email": False}, "workflowId": "b"},
                   subscriber_id="c1")

    assert [(w["workflow"]["identifier"], w["channels"]) for w in answer["workflows"]] == [
        ("a", {"email": True, "in_app": True}), ("b", {"email": False, "in_app": True})]
    assert _send(limit.novu_preferences_get, "GET", tenant, subscriber_id="c1") == answer
