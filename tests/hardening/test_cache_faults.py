"""The shared cache under faults: Redis stopped and restarted under a live gunicorn, and the same
idempotency key sent by many clients at once across workers (with and without Redis, both databases)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from threading import Barrier

import pytest

from tests.factories import make_api_key, make_customer
from tests.hardening.conftest import Server

REACH = "/api/resources/customers"


def state(database, external_id: str) -> tuple:
    rows = database.rows("SELECT first_name, last_name FROM customers_customer WHERE external_id = %s", (external_id,))
    return tuple(rows[0])


def counts(database) -> tuple[int, int]:
    return (
        database.scalar("SELECT COUNT(*) FROM prefcenter_consentevent"),
        database.scalar("SELECT COUNT(*) FROM prefcenter_idempotencyrecord"),
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_redis_down_degrades_deliberately_and_recovers_when_it_is_stopped_and_restarted(
    tenant, shared_database, gunicorn, redis_server
):
    token = make_api_key(tenant)[1]
    make_customer(tenant, "victim", first_name="Before", last_name="Before")
    database = shared_database()
    server: Server = gunicorn(database, env={"REDIS_URL": redis_server.url})
    auth = {"Authorization": f"Token {token}"}
    path = f"{REACH}/victim"

    ready = server.call("GET", "/readyz")
    assert (ready.status, ready.json()) == (HTTPStatus.OK, {"status": "ok", "database": "ok", "cache": "ok"})

    redis_server.stop()
    before = counts(database)

    ready = server.call("GET", "/readyz")
    assert ready.status == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json() == {"status": "unavailable", "database": "ok", "cache": "ConnectionError"}
    assert ready.headers["retry-after"] == "5"
    # Reads keep working: the throttle admits them uncounted.
    for _ in range(3):
        read = server.call("GET", path, headers=auth)
        assert read.status == HTTPStatus.OK, read.body
    # An idempotent write cannot take its in-flight lock: 503, Retry-After, nothing written.
    keyed = {**auth, "Idempotency-Key": "during-outage"}
    refused = server.call("PATCH", path, body={"data": {"firstName": "Keyed"}}, headers=keyed)
    assert refused.status == HTTPStatus.SERVICE_UNAVAILABLE, refused.body
    assert refused.headers["retry-after"] == "5"
    assert refused.json()["success"] is False  # Reach's envelope on a Reach route
    assert "retry shortly" in refused.json()["message"]
    assert state(database, "victim") == ("Before", "Before")
    assert counts(database) == before
    # A write without a key needs no lock: it works.
    plain = server.call("PATCH", path, body={"data": {"lastName": "Plain"}}, headers=auth)
    assert plain.status == HTTPStatus.OK, plain.body
    assert state(database, "victim") == ("Before", "Plain")
    # Logged once for the whole outage, not once per request.
    log = server.log.read_text()
    assert log.count("shared cache unreachable") == 1, log
    assert "Traceback" not in log

    redis_server.start()
    ready = server.call("GET", "/readyz")
    assert (ready.status, ready.json()["cache"]) == (HTTPStatus.OK, "ok")
    first = server.call("PATCH", path, body={"data": {"firstName": "Keyed"}}, headers=keyed)
    again = server.call("PATCH", path, body={"data": {"firstName": "Keyed"}}, headers=keyed)
    assert (first.status, again.status) == (HTTPStatus.OK, HTTPStatus.OK)
    assert again.headers["idempotency-replay"] == "true"
    assert again.body == first.body
    assert state(database, "victim") == ("Keyed", "Plain")
    assert database.scalar("SELECT COUNT(*) FROM prefcenter_consentevent WHERE field = 'first_name'") == 1
    assert "shared cache reachable again" in server.log.read_text()


# ---------------------------------------------------------------- one key, many clients at once
BURSTS = 5
CLIENTS = 20


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_redis", [False, True], ids=["local-memory-cache", "redis"])
def test_same_idempotency_key_at_once_is_one_change_and_replays_or_409s_when_sent_by_20_clients(
    tenant, shared_database, gunicorn, request, with_redis
):
    """Two workers; each burst sends one Novu PATCH with one key from 20 threads released together.

    Every answer is the change (200), its replay (200, the same body) or 409 with Retry-After: never a
    500 (the unique constraint's IntegrityError was one per burst on PostgreSQL without Redis), and the
    change is applied exactly once.
    """
    token = make_api_key(tenant)[1]
    make_customer(tenant, "sub-1")
    database = shared_database()
    env = {"PREFCENTER_THROTTLE_RATE": "100000/min"}
    if with_redis:
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    server = gunicorn(database, env=env, args=("-w", "2"))
    path = "/v2/subscribers/sub-1/preferences"

    for burst in range(BURSTS):
        body = {"channels": {"email": burst % 2 == 1}}  # off, on, off, …: each burst is one real change
        headers = {"Authorization": f"Token {token}", "Idempotency-Key": f"burst-{burst}"}
        events_before = database.scalar("SELECT COUNT(*) FROM prefcenter_consentevent")
        barrier = Barrier(CLIENTS)

        def send(_: int, body=body, headers=headers, barrier=barrier):
            barrier.wait(timeout=30)
            return server.call("PATCH", path, body=body, headers=headers, timeout=60)

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            replies = list(pool.map(send, range(CLIENTS)))

        statuses = sorted(reply.status for reply in replies)
        assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.CONFLICT}, (burst, statuses, replies[-1].body)
        successes = [reply for reply in replies if reply.status == HTTPStatus.OK]
        assert successes, statuses
        assert len({reply.body for reply in successes}) == 1  # the replays are the first answer
        assert sum("idempotency-replay" not in reply.headers for reply in successes) == 1
        for reply in replies:
            if reply.status == HTTPStatus.CONFLICT:
                assert reply.headers["retry-after"] == "1"
        # Exactly one change: one ledger event, one record.
        assert database.scalar("SELECT COUNT(*) FROM prefcenter_consentevent") == events_before + 1
        assert database.scalar(
            "SELECT COUNT(*) FROM prefcenter_idempotencyrecord WHERE key = %s", (f"burst-{burst}",)
        ) == 1
        # Once the burst is over, the key replays for everyone.
        late = server.call("PATCH", path, body=body, headers=headers)
        assert (late.status, late.headers.get("idempotency-replay")) == (HTTPStatus.OK, "true")
        assert late.body == successes[0].body
    assert "Traceback" not in server.log.read_text()
