"""The idempotency-key protocol (prefcenter/idempotency.py), exercised through real endpoints."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.utils import timezone

from customers.models import Customer
from prefcenter.idempotency import lock_key
from prefcenter.models import ConsentEvent, IdempotencyRecord
from tests.factories import make_api_key

BODY = {"external_id": "idem-1", "email": "idem@example.com"}


def post(api, body=BODY, key="key-1", **extra):
    return api.post("/api/v2/customers", body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_same_key_and_body_replays_first_answer_when_repeated(api):
    first = post(api)
    second = post(api)
    assert first.status_code == HTTPStatus.CREATED
    assert second.status_code == HTTPStatus.CREATED
    assert second.content == first.content
    assert second["Idempotency-Replay"] == "true"
    assert "Idempotency-Replay" not in first
    assert Customer.objects.filter(external_id="idem-1").count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_json_body_is_compared_after_parsing_when_whitespace_differs(api):
    post(api)
    response = api.generic(
        "POST",
        "/api/v2/customers",
        '{ "email": "idem@example.com",  "external_id": "idem-1" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert response.status_code == HTTPStatus.CREATED
    assert response["Idempotency-Replay"] == "true"


def test_same_key_with_different_body_is_422_when_reused(api, unchanged):
    post(api)
    with unchanged():
        response = post(api, {"external_id": "idem-2"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["code"] == "idempotency_key_reused"
    assert response.json()["errors"] == {"idempotency-key": ["Already used with a different request body."]}


def test_key_over_255_characters_is_400_when_sent(api, unchanged):
    with unchanged():
        response = post(api, key="k" * 256)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"idempotency-key": ["Must be 1 to 255 characters long."]}


def test_key_of_255_characters_is_accepted_when_sent(api):
    assert post(api, key="k" * 255).status_code == HTTPStatus.CREATED


def test_in_flight_key_is_409_with_retry_after_when_lock_is_held(tenant, client_for, unchanged):
    api_key, raw = make_api_key(tenant)
    # The lock a first, still-running request holds for this tenant, credential and key.
    held = lock_key(tenant_id=tenant.pk, scope=f"key:{api_key.pk}", key="key-1")
    cache.add(held, 1, timeout=30)
    try:
        with unchanged():
            response = post(client_for(raw))
    finally:
        cache.delete(held)
    assert response.status_code == HTTPStatus.CONFLICT
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "idempotency_in_flight"


def test_rejected_request_stores_nothing_when_validation_fails(api):
    response = post(api, {"external_id": "idem-3", "email": "not-an-email"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert IdempotencyRecord.objects.count() == 0
    retry = post(api, {"external_id": "idem-3", "email": "ok@example.com"})
    assert retry.status_code == HTTPStatus.CREATED


def test_rejected_request_stores_nothing_when_unauthenticated(db, client_for):
    response = post(client_for("pc_wrong"))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert IdempotencyRecord.objects.count() == 0


def test_keys_are_scoped_to_the_credential_when_two_keys_reuse_one(api, tenant, client_for):
    post(api)
    other = client_for(make_api_key(tenant)[1])
    response = post(other, {"external_id": "idem-other"})
    assert response.status_code == HTTPStatus.CREATED
    assert "Idempotency-Replay" not in response
    assert IdempotencyRecord.objects.count() == 2


def test_expired_record_is_ignored_when_ttl_has_passed(api):
    post(api)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = post(api, {"external_id": "idem-after-expiry"})
    assert response.status_code == HTTPStatus.CREATED
    assert "Idempotency-Replay" not in response
    assert IdempotencyRecord.objects.count() == 1


def test_error_after_write_rolls_back_change_ledger_and_record_together(api, monkeypatch):
    import customers.services

    real_record = customers.services.ledger.record

    def record_then_explode(**kwargs):
        real_record(**kwargs)
        raise RuntimeError("boom after the write")

    monkeypatch.setattr(customers.services.ledger, "record", record_then_explode)
    with pytest.raises(RuntimeError):
        post(api)
    assert Customer.objects.count() == 0
    assert ConsentEvent.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_patch_replays_when_repeated_on_reach(api, customer):
    body = {"data": {"smsOptOut": False}}
    url = f"/api/resources/customers/{customer.external_id}"
    first = api.patch(url, body, format="json", HTTP_IDEMPOTENCY_KEY="patch-1")
    second = api.patch(url, body, format="json", HTTP_IDEMPOTENCY_KEY="patch-1")
    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second.content == first.content
    assert second["Idempotency-Replay"] == "true"
    assert ConsentEvent.objects.filter(field="sms_opt_out").count() == 1


@pytest.mark.parametrize("key", ["", "   ", " " + "k" * 255])
def test_key_is_400_when_blank_or_over_255_characters_as_sent(api, unchanged, key):
    """The schema says minLength 1, maxLength 255, not only whitespace: the value as sent is measured."""
    with unchanged():
        response = post(api, key=key)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"idempotency-key": ["Must be 1 to 255 characters long."]}
