"""Limits: the body cap, the page-size clamp and per-credential throttles (shared across processes via Redis)."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.test import override_settings

from customers.models import Customer
from prefcenter.throttling import CredentialRateThrottle
from tests.factories import make_api_key, make_customer, make_customer_token
from tests.hardening.conftest import Reply

TEAMUP = "/api/v2/customers"
REACH = "/api/resources/customers"


# ---------------------------------------------------------------- body cap
def padded_create_body(size: int) -> bytes:
    """A valid TeamUp create body of exactly `size` bytes (the padding is JSON whitespace)."""
    body = json.dumps({"external_id": "big-1", "email": "big@example.com"}).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


@override_settings(PREFCENTER_MAX_BODY_BYTES=1024)
def test_body_over_the_cap_is_413_in_the_error_envelope_when_sent_to_teamup(api, unchanged):
    with unchanged():
        response = api.generic("POST", TEAMUP, padded_create_body(1025), content_type="application/json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response["Content-Type"].startswith("application/json")
    message = "Request body too large: 1025 bytes; the limit is 1024."
    assert response.json() == {
        "detail": message,
        "code": "request_too_large",
        "status": 413,
        "errors": {},
        "request_id": response["X-Request-ID"],
    }


@override_settings(PREFCENTER_MAX_BODY_BYTES=1024)
def test_body_of_exactly_the_cap_is_accepted_when_sent(api):
    response = api.generic("POST", TEAMUP, padded_create_body(1024), content_type="application/json")
    assert response.status_code == HTTPStatus.CREATED
    assert Customer.objects.filter(external_id="big-1").exists()


@override_settings(PREFCENTER_MAX_BODY_BYTES=1024)
def test_body_over_the_cap_is_413_in_reach_envelope_when_sent_to_reach(api, customer, unchanged):
    body = json.dumps({"data": {"lastName": "x" * 2000}})
    with unchanged():
        response = api.generic("PATCH", f"{REACH}/{customer.external_id}", body, content_type="application/json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    message = f"Request body too large: {len(body)} bytes; the limit is 1024."
    assert response.json() == {"success": False, "message": message, "errors": [message]}


def test_unparseable_content_length_is_400_when_sent(api, unchanged):
    with unchanged():
        response = api.generic("POST", TEAMUP, b"{}", content_type="application/json", CONTENT_LENGTH="12abc")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["detail"] == "Content-Length is not a number."


def send_chunked(url: str, path: str, token: str, chunks: list[bytes]) -> Reply:
    """A POST with `Transfer-Encoding: chunked` and no Content-Length."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        conn.request("POST", path, body=iter(chunks), headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chunked_body_without_content_length_is_refused_with_400_when_sent_to_gunicorn(
    tenant, shared_database, gunicorn
):
    token = make_api_key(tenant)[1]
    database = shared_database()
    server = gunicorn(database, env={"PREFCENTER_MAX_BODY_BYTES": "1024"})

    small = send_chunked(server.url, TEAMUP, token, [b'{"external_id": "chunked-1", ', b'"email": "c@example.com"}'])
    large = send_chunked(server.url, TEAMUP, token, [b"[" + b" " * 4000] * 4 + [b"]"])

    for reply in (small, large):
        assert reply.status == HTTPStatus.BAD_REQUEST, reply.body
        assert reply.headers["content-type"].startswith("application/json")
        body = reply.json()
        assert body["code"] == "length_required"
        assert body["detail"] == "Send the request body with a Content-Length header; chunked bodies are not accepted."
    assert database.scalar("SELECT COUNT(*) FROM customers_customer") == 0
    assert database.scalar("SELECT COUNT(*) FROM prefcenter_consentevent") == 0


# ---------------------------------------------------------------- page size
def test_page_size_is_clamped_to_200_when_a_huge_one_is_asked(api, tenant, django_assert_max_num_queries):
    Customer.objects.bulk_create(
        Customer(tenant=tenant, external_id=f"bulk-{n:04d}", email=f"bulk{n}@example.com") for n in range(205)
    )
    with django_assert_max_num_queries(6):
        response = api.get(TEAMUP, {"page_size": 100000})
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 205
    assert len(body["results"]) == 200
    assert body["next"] is not None
    second = api.get(TEAMUP, {"page_size": 100000, "page": 2}).json()
    assert len(second["results"]) == 5
    ids = [row["external_id"] for row in body["results"] + second["results"]]
    assert len(set(ids)) == 205


# ---------------------------------------------------------------- throttles
# 20 seconds into a clock minute: a one-minute window then ends in exactly 40 seconds.
T0 = 29_000_000 * 60 + 20.0


@pytest.fixture
def throttle(monkeypatch):
    """Set the credential rate (DRF reads rates once, at import) and freeze the throttle's clock; clean cache."""

    class Control:
        now = T0

        def rate(self, value: str, anonymous: str = "1000/min") -> None:
            monkeypatch.setattr(CredentialRateThrottle, "THROTTLE_RATES", {"credential": value, "anonymous": anonymous})

    control = Control()
    monkeypatch.setattr(CredentialRateThrottle, "timer", staticmethod(lambda: control.now))
    cache.clear()
    yield control
    cache.clear()


def test_credential_over_its_rate_is_429_with_retry_after_when_throttled(api, throttle, unchanged):
    throttle.rate("3/min")
    for _ in range(3):
        assert api.get(TEAMUP).status_code == HTTPStatus.OK
    with unchanged():
        response = api.post(TEAMUP, {"external_id": "late"}, format="json")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "40"
    assert response.json() == {
        "detail": "Request was throttled. Expected available in 40 seconds.",
        "code": "throttled",
        "status": 429,
        "errors": {},
        "request_id": response["X-Request-ID"],
    }


def test_credential_is_admitted_again_when_its_window_has_passed(api, throttle):
    throttle.rate("1/min")
    assert api.get(TEAMUP).status_code == HTTPStatus.OK
    throttle.now = T0 + 39.5
    refused = api.get(TEAMUP)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "1"
    throttle.now = T0 + 40
    assert api.get(TEAMUP).status_code == HTTPStatus.OK


def test_throttled_reach_call_answers_in_reach_envelope_when_over_rate(api, customer, throttle):
    throttle.rate("1/min")
    url = f"{REACH}/{customer.external_id}"
    assert api.get(url).status_code == HTTPStatus.OK
    response = api.get(url)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "40"
    message = "Request was throttled. Expected available in 40 seconds."
    assert response.json() == {"success": False, "message": message, "errors": []}


def test_each_credential_has_its_own_bucket_when_one_is_throttled(api, tenant, customer, client_for, throttle):
    throttle.rate("2/min")
    other_key = client_for(make_api_key(tenant)[1])
    customer_token = client_for(make_customer_token(tenant, customer.external_id), scheme="Bearer")
    for _ in range(2):
        assert api.get(TEAMUP).status_code == HTTPStatus.OK
    assert api.get(TEAMUP).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert other_key.get(TEAMUP).status_code == HTTPStatus.OK
    assert customer_token.get(f"{REACH}/{customer.external_id}").status_code == HTTPStatus.OK


def test_customer_tokens_of_two_customers_are_throttled_apart_when_one_is_over(tenant, client_for, throttle):
    throttle.rate("1/min")
    ada, bob = make_customer(tenant, "ada"), make_customer(tenant, "bob")
    as_ada = client_for(make_customer_token(tenant, ada.external_id), scheme="Bearer")
    as_bob = client_for(make_customer_token(tenant, bob.external_id), scheme="Bearer")
    assert as_ada.get(f"{REACH}/ada").status_code == HTTPStatus.OK
    assert as_ada.get(f"{REACH}/ada").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert as_bob.get(f"{REACH}/bob").status_code == HTTPStatus.OK


# ---------------------------------------------------------------- anonymous: 401s and the public pages, per address
def test_failed_authentications_are_429_with_retry_after_when_an_address_is_over_its_rate(
    api, client_for, throttle, unchanged
):
    throttle.rate("1000/min", anonymous="3/min")
    wrong = client_for("pc_wrong-key")
    with unchanged():
        statuses = [wrong.post(TEAMUP, {"external_id": "x"}, format="json").status_code for _ in range(3)]
        refused = wrong.post(TEAMUP, {"external_id": "x"}, format="json")
        missing = client_for(None).get(TEAMUP)
    assert statuses == [HTTPStatus.UNAUTHORIZED] * 3
    assert refused.status_code == missing.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == missing["Retry-After"] == "40"
    assert refused.json() == {
        "detail": "Request was throttled. Expected available in 40 seconds.",
        "code": "throttled",
        "status": 429,
        "errors": {},
        "request_id": refused["X-Request-ID"],
    }
    # A valid credential from the same address is not anonymous: its own budget applies.
    assert api.get(TEAMUP).status_code == HTTPStatus.OK
    # Another address has its own anonymous budget; the window's end admits the first again.
    assert wrong.get(TEAMUP, REMOTE_ADDR="192.0.2.7").status_code == HTTPStatus.UNAUTHORIZED
    throttle.now = T0 + 40
    assert wrong.get(TEAMUP).status_code == HTTPStatus.UNAUTHORIZED


def test_failed_authentication_on_reach_is_429_in_reach_envelope_when_over_rate(client_for, customer, throttle):
    throttle.rate("1000/min", anonymous="1/min")
    wrong = client_for("pc_wrong-key")
    url = f"{REACH}/{customer.external_id}"
    assert wrong.get(url).status_code == HTTPStatus.UNAUTHORIZED
    response = wrong.get(url)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "40"
    message = "Request was throttled. Expected available in 40 seconds."
    assert response.json() == {"success": False, "message": message, "errors": []}


@override_settings(PREFCENTER_NUM_PROXIES=1)
def test_anonymous_budget_follows_the_forwarded_address_when_behind_a_trusted_proxy(db, client_for, throttle):
    throttle.rate("1000/min", anonymous="1/min")
    wrong = client_for("pc_wrong-key")
    # The proxy appends the address it saw; whatever the client wrote on the left is not trusted.
    assert wrong.get(TEAMUP, HTTP_X_FORWARDED_FOR="spoofed, 198.51.100.1").status_code == HTTPStatus.UNAUTHORIZED
    assert wrong.get(TEAMUP, HTTP_X_FORWARDED_FOR="other, 198.51.100.1").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert wrong.get(TEAMUP, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == HTTPStatus.UNAUTHORIZED


def test_spoofed_forwarded_for_does_not_escape_the_budget_when_no_proxy_is_trusted(db, client_for, throttle):
    throttle.rate("1000/min", anonymous="1/min")
    wrong = client_for("pc_wrong-key")
    assert wrong.get(TEAMUP, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == HTTPStatus.UNAUTHORIZED
    assert wrong.get(TEAMUP, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == HTTPStatus.TOO_MANY_REQUESTS


@pytest.mark.parametrize("purpose", ["preferences", "unsubscribe"])
def test_public_page_is_429_with_retry_after_when_an_address_is_over_its_rate(
    client, customer, throttle, unchanged, purpose
):
    from selfservice.links import links_issue

    throttle.rate("1000/min", anonymous="2/min")
    issued = links_issue(customer=customer)
    url = issued.preferences_url if purpose == "preferences" else issued.unsubscribe_url
    path = url.split("://", 1)[-1].partition("/")[2]
    assert client.get(f"/{path}").status_code == HTTPStatus.OK
    assert client.get("/p/not-a-valid-token").status_code == HTTPStatus.BAD_REQUEST  # bad links count too
    with unchanged():
        refused = client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "40"
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert refused["Cache-Control"] == "no-store"
    assert refused.content == b"Too many requests from your address. Please try again in 40 seconds.\n"
    assert client.get(f"/{path}", REMOTE_ADDR="192.0.2.9").status_code == HTTPStatus.OK
    throttle.now = T0 + 40
    assert client.get(f"/{path}").status_code == HTTPStatus.OK


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_servers_share_one_exact_budget_when_redis_is_configured(tenant, shared_database, gunicorn, redis_url):
    """Two servers of two workers each: four processes, one credential, one count in Redis."""
    token = make_api_key(tenant)[1]
    database = shared_database()
    # A daily window: a test run cannot realistically straddle two of them (UTC midnight).
    env = {"REDIS_URL": redis_url, "PREFCENTER_THROTTLE_RATE": "10/day"}
    servers = [gunicorn(database, env=env, args=("-w", "2"), wait=False) for _ in range(2)]
    for server in servers:
        server.wait_ready()
    auth = {"Authorization": f"Token {token}"}

    def hit(n: int) -> int:
        return servers[n % 2].call("GET", TEAMUP, headers=auth).status

    # Sequential, alternating: each process alone has seen only two requests.
    assert [hit(n) for n in range(4)] == [200] * 4
    # Racing: 30 at once over both servers; a lost update would let more than the 6 left through.
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(hit, range(30)))
    assert statuses.count(HTTPStatus.OK) == 6
    assert statuses.count(HTTPStatus.TOO_MANY_REQUESTS) == 24
    for server in servers:
        reply = server.call("GET", TEAMUP, headers=auth)
        assert reply.status == HTTPStatus.TOO_MANY_REQUESTS
        assert 1 <= int(reply.headers["retry-after"]) <= 86400
        assert reply.json()["code"] == "throttled"
