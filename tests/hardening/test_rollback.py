"""An error raised after the write rolls back the change, its ledger events and its idempotency record together.

One write per app (customers has its own in tests/prefcenter/test_idempotency.py): the
ledger call succeeds, then the service blows up before its transaction commits.
Afterwards every prefcenter table (preferences, ledger, idempotency records) is as
before, and the same request with the same key then succeeds: nothing half-stored
blocks the retry.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import OperationalError

from prefcenter import ledger
from prefcenter.models import ConsentEvent, IdempotencyRecord

WRITES = {
    "messaging category preference (PUT)": (
        "put",
        "/v1/messaging/preferences",
        {"email_enabled": False, "digest": "daily"},
        {"HTTP_PREFCENTER_CUSTOMER": "cust-1"},
    ),
    "subscriber global preference (PATCH)": (
        "patch",
        "/v2/subscribers/cust-1/preferences",
        {"channels": {"email": False}},
        {},
    ),
    "customer profile (PATCH on Reach)": (
        "patch",
        "/api/resources/customers/cust-1",
        {"data": {"smsOptOut": False}},
        {},
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_change_ledger_and_idempotency_record_roll_back_together_when_an_error_follows_the_write(
    api, customer, unchanged, monkeypatch, write
):
    method, url, body, headers = write
    real_record = ledger.record

    def record_then_fail(**kwargs):
        events = real_record(**kwargs)
        assert events, "the write reached the ledger"
        raise RuntimeError("failure after the write")

    monkeypatch.setattr(ledger, "record", record_then_fail)
    with unchanged(), pytest.raises(RuntimeError, match="failure after the write"):
        getattr(api, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me", **headers)

    monkeypatch.setattr(ledger, "record", real_record)
    response = getattr(api, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-me", **headers)
    assert response.status_code == HTTPStatus.OK, response.content
    assert "Idempotency-Replay" not in response
    assert ConsentEvent.objects.exists()
    assert IdempotencyRecord.objects.count() == 1


def test_unreachable_database_is_503_with_retry_after_when_a_query_fails(api, customer, monkeypatch, unchanged):
    import customers.views

    def unreachable(**kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(customers.views, "customer_get", unreachable)
    with unchanged():
        reach = api.patch("/api/resources/customers/cust-1", {"data": {"smsOptOut": False}}, format="json")
    assert reach.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert reach["Retry-After"] == "1"
    message = "The database is unavailable; retry shortly."
    assert reach.json() == {"success": False, "message": message, "errors": []}


def test_unreachable_database_is_503_in_the_error_envelope_when_on_teamup(api, monkeypatch, unchanged):
    import customers.views

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(customers.views.CustomerViewSet, "filter_queryset", unreachable)
    with unchanged():
        response = api.get("/api/v2/customers")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "detail": "The database is unavailable; retry shortly.",
        "code": "service_unavailable",
        "status": 503,
        "errors": {},
        "request_id": response["X-Request-ID"],
    }
