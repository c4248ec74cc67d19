"""`GET /v1/webhooks/{id}/deliveries` and `POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend`: an endpoint's
deliveries newest first, filtered by status, tenant-scoped, a fixed number of queries; resend as the admin's."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from customers.services import customer_update
from prefcenter.ledger import Actor
from prefcenter.models import SCOPES
from tests.factories import make_api_key, make_customer
from tests.webhooks.conftest import Clock
from tests.webhooks.test_delivery import POLICY
from webhooks.models import WebhookDelivery
from webhooks.services import deliver_due, endpoint_create


def deliveries_url(endpoint) -> str:
    return f"/v1/webhooks/{endpoint.pk}/deliveries"


def resend_url(endpoint, delivery) -> str:
    return f"/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend"


def opt_out(customer, value: bool = True) -> None:
    customer.refresh_from_db()
    customer_update(customer=customer, actor=Actor.system(), email_opt_out=value)


def iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def as_listed(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "event_id": delivery.message_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "delivered_at": iso(delivery.delivered_at),
        "created_at": iso(delivery.created_at),
    }


@pytest.fixture
def three_deliveries(tenant, customer, endpoint, receiver):
    """Delivered, failed (given up), pending: in that order of creation."""
    opt_out(customer)
    deliver_due(clock=Clock(), policy=POLICY)
    opt_out(customer, False)
    receiver.script(500)
    deliver_due(clock=Clock(), policy=POLICY)
    WebhookDelivery.objects.filter(status="pending").update(status="failed")
    opt_out(customer)
    return list(WebhookDelivery.objects.order_by("id"))


def test_list_answers_the_endpoints_deliveries_newest_first_with_their_outcome_when_asked(
    api, endpoint, three_deliveries
):
    response = api.get(deliveries_url(endpoint))

    assert response.status_code == HTTPStatus.OK
    delivered, failed, pending = (WebhookDelivery.objects.get(pk=d.pk) for d in three_deliveries)
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [as_listed(pending), as_listed(failed), as_listed(delivered)],
    }
    assert (delivered.status, delivered.last_status_code) == ("delivered", 200)
    assert (failed.status, failed.last_status_code, failed.last_error) == ("failed", 500, "HTTP 500: receiver says no")


def test_list_answers_only_deliveries_in_that_state_when_filtered_by_status(api, endpoint, three_deliveries):
    for status in ("delivered", "failed", "pending"):
        body = api.get(deliveries_url(endpoint), {"status": status}).json()
        assert [row["status"] for row in body["results"]] == [status], status


def test_list_is_paginated_like_other_lists_when_page_size_is_given(api, endpoint, three_deliveries):
    body = api.get(deliveries_url(endpoint), {"page_size": 2}).json()
    second = api.get(deliveries_url(endpoint), {"page_size": 2, "page": 2}).json()

    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"].endswith("page=2&page_size=2")
    assert [row["id"] for row in second["results"]] == [three_deliveries[0].pk]


def test_list_answers_400_and_writes_nothing_when_the_status_is_unknown(api, endpoint, three_deliveries, unchanged):
    with unchanged():
        response = api.get(deliveries_url(endpoint), {"status": "exploded"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["errors"]) == ["status"]


def test_list_shows_only_this_endpoints_deliveries_when_the_tenant_has_several(
    api, tenant, endpoint, three_deliveries
):
    other = endpoint_create(tenant=tenant, url="https://other.example/h", event_types=["customer.opted_in"])
    opt_out(make_customer(tenant, "cust-2", email_opt_out=True), False)
    assert WebhookDelivery.objects.filter(endpoint=other).count() == 1

    body = api.get(deliveries_url(endpoint)).json()
    theirs = api.get(deliveries_url(other)).json()

    assert {row["id"] for row in body["results"]} == set(
        WebhookDelivery.objects.filter(endpoint=endpoint).values_list("id", flat=True)
    )
    assert [row["id"] for row in theirs["results"]] == [WebhookDelivery.objects.get(endpoint=other).pk]


def test_routes_answer_404_when_the_endpoint_is_another_tenants_or_unknown(
    api, other_api, endpoint, three_deliveries, unchanged
):
    failed = three_deliveries[1]
    with unchanged():
        for response in (
            other_api.get(deliveries_url(endpoint)),
            other_api.post(resend_url(endpoint, failed)),
            api.get("/v1/webhooks/999999/deliveries"),
            api.get("/v1/webhooks/abc/deliveries"),
            api.post(f"/v1/webhooks/999999/deliveries/{failed.pk}/resend"),
        ):
            assert response.status_code == HTTPStatus.NOT_FOUND, response.content
            assert response.json()["code"] == "not_found"


def test_resend_answers_404_and_writes_nothing_when_the_delivery_is_another_endpoints(
    api, tenant, endpoint, three_deliveries, unchanged
):
    other = endpoint_create(tenant=tenant, url="https://other.example/h", event_types=["customer.opted_out"])
    with unchanged():
        for path in (
            resend_url(other, three_deliveries[1]),
            f"{deliveries_url(endpoint)}/999999/resend",
            f"{deliveries_url(endpoint)}/x1/resend",
        ):
            response = api.post(path)
            assert response.status_code == HTTPStatus.NOT_FOUND, path
            assert response.json()["errors"] == {"delivery_id": [response.json()["errors"]["delivery_id"][0]]}


def test_resend_queues_a_failed_delivery_again_like_the_admin_action_when_posted(
    api, endpoint, three_deliveries, receiver
):
    failed = three_deliveries[1]

    response = api.post(resend_url(endpoint, failed))

    assert response.status_code == HTTPStatus.OK
    failed.refresh_from_db()
    assert response.json() == as_listed(failed)
    assert (failed.status, failed.attempts, failed.claimed_until, failed.delivered_at) == ("pending", 1, None, None)
    assert failed.resent_at == failed.next_attempt_at
    # Sent again under the same webhook-id; being older, it goes before the customer's later pending event.
    before = len(receiver.received)
    while deliver_due(clock=Clock(), policy=POLICY):
        pass
    assert [r.headers["webhook-id"] for r in receiver.received[before:]] == [
        failed.message_id,
        three_deliveries[2].message_id,
    ]
    failed.refresh_from_db()
    assert failed.status == "delivered"


def test_resend_calls_the_admins_service_when_posted(api, endpoint, three_deliveries, monkeypatch):
    from webhooks import views

    calls = []
    monkeypatch.setattr(views, "deliveries_resend", lambda **kwargs: calls.append(kwargs) or 1)

    api.post(resend_url(endpoint, three_deliveries[0]))

    assert [[d.pk for d in call["deliveries"]] for call in calls] == [[three_deliveries[0].pk]]


def test_routes_answer_403_and_write_nothing_when_the_key_lacks_the_scope_or_is_a_customers(
    client_for, tenant, customer, endpoint, three_deliveries, unchanged
):
    no_scope = client_for(make_api_key(tenant, scopes=[s for s in SCOPES if s != "webhooks:manage"])[1])
    customer_mode = client_for(make_api_key(tenant, mode="customer", customer=customer.external_id)[1])
    with unchanged():
        for api in (no_scope, customer_mode):
            for response in (api.get(deliveries_url(endpoint)), api.post(resend_url(endpoint, three_deliveries[1]))):
                assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("count", [3, 30])
def test_list_runs_a_fixed_number_of_queries_when_there_are_many_deliveries(
    api, tenant, endpoint, count, django_assert_max_num_queries
):
    for n in range(count):
        opt_out(make_customer(tenant, f"c-{n}"))
    api.get(deliveries_url(endpoint))  # warm: the key's last_used_at, caches

    # the key, the endpoint (tenant-scoped), the count, the page: 4 however many deliveries there are
    with django_assert_max_num_queries(4):
        response = api.get(deliveries_url(endpoint), {"status": "pending"})

    assert response.json()["count"] == count


def test_resend_runs_a_fixed_number_of_queries_when_posted(
    api, endpoint, three_deliveries, django_assert_max_num_queries
):
    api.get(deliveries_url(endpoint))

    # the key, the endpoint, the delivery, the resend's UPDATE (in its savepoint), the delivery again
    with django_assert_max_num_queries(7):
        response = api.post(resend_url(endpoint, three_deliveries[1]))

    assert response.status_code == HTTPStatus.OK


def test_resend_answers_400_and_writes_nothing_when_the_body_has_fields(api, endpoint, three_deliveries, unchanged):
    with unchanged():
        response = api.post(resend_url(endpoint, three_deliveries[1]), {"now": True}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["errors"]) == ["now"]
