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
    assert response.json()["errors"] == {"idempotency-key": ["Already used with a different request."]}


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

# -- the acting customer and the response format are part of what a request means -------------

PREFERENCES_URL = "/v1/messaging/preferences"
OPT_OUT = {"category": "marketing", "email_enabled": False}


@pytest.fixture
def marketing(tenant):
    from messaging.services import category_create

    return category_create(tenant=tenant, key="marketing", name="Marketing")


def put_preference(api, customer_id: str, key: str = "k1", body=OPT_OUT, **extra):
    return api.put(
        PREFERENCES_URL, body, format="json", HTTP_PREFCENTER_CUSTOMER=customer_id, HTTP_IDEMPOTENCY_KEY=key, **extra
    )


def test_reused_key_is_422_and_writes_nothing_when_another_customer_is_named(api, tenant, marketing, unchanged):
    """The issue's example: customer b's opt-out sent with the key a's used must not be answered with a's row."""
    from messaging.models import CategoryPreference
    from tests.factories import make_customer

    make_customer(tenant, "a")
    make_customer(tenant, "b")
    first = put_preference(api, "a")
    assert first.status_code == HTTPStatus.OK, first.content
    with unchanged():
        second = put_preference(api, "b")
    assert second.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, second.content
    assert "Idempotency-Replay" not in second
    assert second.json()["code"] == "idempotency_key_reused"
    assert second.json()["errors"] == {"idempotency-key": ["Already used with a different request."]}
    # With a key of its own, b's opt-out is written.
    assert put_preference(api, "b", key="k2").status_code == HTTPStatus.OK
    rows = CategoryPreference.objects.filter(category=marketing).values_list("customer__external_id", "email_enabled")
    assert sorted(rows) == [("a", False), ("b", False)]


def test_reused_key_replays_when_the_same_customer_is_named_again(api, tenant, marketing):
    from tests.factories import make_customer

    make_customer(tenant, "a")
    first = put_preference(api, "a")
    again = put_preference(api, "a")
    assert again.status_code == HTTPStatus.OK
    assert again["Idempotency-Replay"] == "true"
    assert again.content == first.content


def test_reused_key_is_422_when_customer_tokens_of_two_customers_send_it(tenant, marketing, client_for, unchanged):
    """Customer mode names the customer by the token's `sub`; the scope (credential identity) tells them apart."""
    from tests.factories import make_customer, make_customer_token

    for external_id in ("a", "b"):
        make_customer(tenant, external_id)
    as_a = client_for(make_customer_token(tenant, "a"), scheme="Bearer")
    as_b = client_for(make_customer_token(tenant, "b"), scheme="Bearer")
    assert as_a.put(PREFERENCES_URL, OPT_OUT, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == HTTPStatus.OK
    response = as_b.put(PREFERENCES_URL, OPT_OUT, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == HTTPStatus.OK
    assert "Idempotency-Replay" not in response
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.parametrize(
    "variant",
    [
        {"path_suffix": "?format=xml"},
        {"HTTP_ACCEPT": "application/xml"},
    ],
    ids=["format-query", "accept-header"],
)
def test_reused_key_is_422_when_another_response_format_is_asked(api, tenant, marketing, unchanged, variant):
    from tests.factories import make_customer

    make_customer(tenant, "a")
    assert put_preference(api, "a").status_code == HTTPStatus.OK
    extra = dict(variant)
    suffix = extra.pop("path_suffix", "")
    with unchanged():
        response = api.put(
            PREFERENCES_URL + suffix, OPT_OUT, format="json",
            HTTP_PREFCENTER_CUSTOMER="a", HTTP_IDEMPOTENCY_KEY="k1", **extra,
        )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert b"idempotency_key_reused" in response.content
    assert "Idempotency-Replay" not in response


def test_lost_race_on_the_record_is_409_and_writes_nothing_when_another_request_stored_the_key_first(
    api, customer, monkeypatch, unchanged
):
    """The unique constraint is the last word: a request that finds no record, runs, and then cannot
    store its own (another committed the key meanwhile) rolls back its change and answers 409."""
    from prefcenter.idempotency import IdempotencyGuard

    url = f"/api/resources/customers/{customer.external_id}"
    first = api.patch(url, {"data": {"lastName": "First"}}, format="json", HTTP_IDEMPOTENCY_KEY="race")
    assert first.status_code == HTTPStatus.OK
    monkeypatch.setattr(IdempotencyGuard, "_stored", lambda self: None)  # as if the first committed just after
    with unchanged():
        response = api.patch(url, {"data": {"lastName": "Second"}}, format="json", HTTP_IDEMPOTENCY_KEY="race")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response["Retry-After"] == "1"
    assert response.json()["success"] is False
    assert "still being processed" in response.json()["message"]


UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def test_unreachable_cache_is_503_for_keyed_writes_and_admits_the_rest_when_redis_is_down(
    api, customer, unchanged, settings, caplog, monkeypatch
):
    from prefcenter import shared_cache

    monkeypatch.setitem(shared_cache._outage, "down", False)  # this process's outage starts here
    settings.CACHES = UNREACHABLE_REDIS
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    with unchanged():
        refused = post(api)
    assert refused.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert refused["Retry-After"] == "5"
    assert refused.json()["code"] == "idempotency_unavailable"
    assert api.get("/api/v2/customers").status_code == HTTPStatus.OK  # the throttle fails open
    created = api.post("/api/v2/customers", {"external_id": "no-key"}, format="json")
    assert created.status_code == HTTPStatus.CREATED
    ready = api.get("/readyz")
    assert ready.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json() == {"status": "unavailable", "database": "ok", "cache": "ConnectionError"}
    assert sum("shared cache unreachable" in record.getMessage() for record in caplog.records) == 1
