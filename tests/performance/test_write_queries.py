"""The statements of every write route (issue 16), counted as production runs them: no test transaction
around the request (`transaction=True`), so no savepoint is added; the transaction's BEGIN and COMMIT,
which Django's query log shows, are counted on top of the budget.

Budget: at most 7 per write — the API key (with its tenant), the customer read once and locked, the
rows the write changes (and the answer needs) read once (`FOR UPDATE` on PostgreSQL: the workflow
preference rows, and the category preference rows beside them), the UPDATE or INSERT, the ledger
INSERT; nothing is read again after the change (today 4 to 6: `STATEMENTS`). The same with
200 workflows and explicit rows (a fixed number whatever the data). Two documented extras:
- a tenant with a webhook endpoint subscribed to the change: +2 (its enabled endpoints, one SELECT;
  the outbox deliveries, one INSERT), in the change's transaction;
- an `idempotency-key`: +3 (the record looked up before the transaction and again under its lock,
  then stored) and, on PostgreSQL, +1 for the advisory lock.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from itertools import count

import pytest
from rest_framework.test import APIClient

from messaging.models import Category, CategoryPreference
from prefcenter.models import ConsentEvent
from subscribers.models import Workflow, WorkflowPreference
from tests.factories import make_api_key, make_customer, make_tenant
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_BUDGET = 7
WEBHOOK_EXTRA = 2


def budget(statements: int) -> int:
    """Statements that read or write rows, plus the transaction's BEGIN (SQLite: `BEGIN IMMEDIATE`) and
    COMMIT, which Django's query log counts on both databases."""
    return statements + 2

IDEMPOTENCY_EXTRA = 3  # +1 on PostgreSQL: the advisory lock

_flip = count()


@pytest.fixture(autouse=True)
def fresh_values():
    """Each test starts flipping from true: its first request changes a value away from the defaults."""
    global _flip
    _flip = count()


@pytest.fixture
def world():
    tenant = make_tenant("perf-co")
    _, raw = make_api_key(tenant)
    news = Category.objects.create(tenant=tenant, key="news", name="News")
    workflows = [
        Workflow.objects.create(tenant=tenant, identifier=f"wf-{n}", slug=f"wf-{n}", name=f"W {n}",
                                channels=["email", "sms", "in_app"], category=news if n % 2 else None)
        for n in range(200)
    ]
    customer = make_customer(tenant, "c1", email="c1@example.com", phone="+14155550101", sms_opt_out=False)
    for workflow in workflows[:20]:  # explicit rows beside the one changed: the count must not grow with them
        WorkflowPreference.objects.create(tenant=tenant, customer=customer, workflow=workflow, sms=True)
    WorkflowPreference.objects.create(tenant=tenant, customer=customer, workflow=None, push=True)
    CategoryPreference.objects.create(tenant=tenant, customer=customer, category=None, digest="daily")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return {"tenant": tenant, "client": client, "customer": customer, "workflow": workflows[41], "news": news}


def _value() -> bool:
    return next(_flip) % 2 == 0


ROUTES: dict[str, Callable] = {
    "teamup_patch": lambda w, **h: w["client"].patch(
        f"/api/v2/customers/{w['customer'].pk}/notification_preferences/{w['workflow'].pk}",
        {"email_enabled": _value()}, format="json", headers=h),
    "messaging_put": lambda w, **h: w["client"].put(
        "/v1/messaging/preferences", {"category": "news", "email_enabled": _value()}, format="json",
        headers={"Prefcenter-Customer": "c1", **h}),
    "novu_patch": lambda w, **h: w["client"].patch(
        "/v2/subscribers/c1/preferences", {"channels": {"email": _value()}, "workflowId": w["workflow"].identifier},
        format="json", headers=h),
    "reach_patch": lambda w, **h: w["client"].patch(
        "/api/resources/customers/c1", {"data": {"emailOptOut": _value()}}, format="json", headers=h),
}


class Changed:
    """Around a request: it answered 200 and wrote exactly one ledger event (it really changed a value).
    The counts are read outside the statements measured."""

    def __init__(self, world, route: str, **headers: str):
        self.world, self.route, self.headers = world, route, headers

    def __enter__(self) -> Changed:
        self.events = ConsentEvent.objects.count()
        return self

    def send(self):
        self.response = ROUTES[self.route](self.world, **self.headers)
        return self.response

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is None:
            assert self.response.status_code == HTTPStatus.OK, self.response.content
            assert ConsentEvent.objects.count() > self.events  # the request changed something


def _send(world, route: str, **headers: str):
    with Changed(world, route, **headers) as change:
        return change.send()


@pytest.mark.parametrize("route", list(ROUTES))
def test_write_runs_at_most_7_statements_when_it_changes_a_value(world, route, django_assert_max_num_queries):
    _send(world, route)  # the first request creates the row (and stamps the key's last use)
    for _ in range(2):  # updates of the row, each value flipped
        with Changed(world, route) as change, django_assert_max_num_queries(budget(WRITE_BUDGET)):
            change.send()


# Each write's statements today (docs/bench.md): a change that adds one must say so here.
STATEMENTS = {"teamup_patch": 5, "messaging_put": 6, "novu_patch": 6, "reach_patch": 4}


@pytest.mark.parametrize("route", list(ROUTES))
def test_write_runs_its_documented_statements_when_it_changes_a_value(world, route, django_assert_num_queries):
    _send(world, route)
    with Changed(world, route) as change, django_assert_num_queries(budget(STATEMENTS[route])):
        change.send()


@pytest.mark.parametrize("route", ["teamup_patch", "messaging_put", "novu_patch"])
def test_write_runs_at_most_7_statements_when_it_creates_the_row(world, route, django_assert_max_num_queries):
    _send(world, "reach_patch")  # stamps the key's last use
    WorkflowPreference.objects.filter(workflow=world["workflow"]).delete()
    CategoryPreference.objects.filter(category=world["news"]).delete()
    with Changed(world, route) as change, django_assert_max_num_queries(budget(WRITE_BUDGET)):
        change.send()


@pytest.mark.parametrize("route", list(ROUTES))
def test_write_adds_2_statements_when_a_webhook_endpoint_hears_the_change(
    world, route, django_assert_max_num_queries
):
    endpoint_create(tenant=world["tenant"], url="https://hooks.example.com/in", event_types=[
        "preference.updated", "customer.opted_out", "customer.opted_in"])
    _send(world, route)
    deliveries = WebhookDelivery.objects.count()
    with Changed(world, route) as change, django_assert_max_num_queries(budget(WRITE_BUDGET + WEBHOOK_EXTRA)):
        change.send()
    assert WebhookDelivery.objects.count() == deliveries + 1  # in the change's transaction


@pytest.mark.parametrize("route", list(ROUTES))
def test_write_adds_at_most_4_statements_when_it_carries_an_idempotency_key(
    world, route, django_assert_max_num_queries
):
    from django.db import connection

    _send(world, route)
    extra = IDEMPOTENCY_EXTRA + (connection.vendor == "postgresql")
    with Changed(world, route, **{"idempotency-key": f"{route}-key"}) as change, \
            django_assert_max_num_queries(budget(WRITE_BUDGET + extra)):
        first = change.send()
    replay = ROUTES[route](world, **{"idempotency-key": f"{route}-key"})
    assert replay.status_code == HTTPStatus.UNPROCESSABLE_ENTITY or replay.content == first.content
