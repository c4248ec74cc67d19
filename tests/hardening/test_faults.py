"""Faults: a worker killed mid-transaction, the database restarted under load. All or nothing, every time."""

from __future__ import annotations

import os
import signal
import threading
import time
from http import HTTPStatus
from pathlib import Path

import pytest

from tests.factories import make_api_key, make_customer
from tests.hardening.conftest import Server, call, postgres_only, wait_until

HERE = Path(__file__).resolve().parent
PATCH_BODY = {"data": {"email": "after@example.com", "smsOptOut": False}}


def customer_state(database, external_id: str) -> tuple:
    return tuple(
        database.rows("SELECT email, sms_opt_out FROM customers_customer WHERE external_id = %s", (external_id,))[0]
    )


def counts(database) -> tuple[int, int]:
    return (
        database.scalar("SELECT COUNT(*) FROM prefcenter_consentevent"),
        database.scalar("SELECT COUNT(*) FROM prefcenter_idempotencyrecord"),
    )


def patch_in_background(server: Server, token: str, path: str) -> tuple[threading.Thread, list]:
    """Send the PATCH from a thread; the outcome (a Reply or the exception) lands in the returned list."""
    outcome: list = []

    def send() -> None:
        try:
            outcome.append(
                server.call(
                    "PATCH", path, body=PATCH_BODY, timeout=60,
                    headers={"Authorization": f"Token {token}", "Idempotency-Key": "kill-1"},
                )
            )
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, outcome


def assert_retry_applies_once(server: Server, token: str, path: str, database, before_counts) -> None:
    """The arbiter boots a fresh worker; the same request and key now applies exactly once."""
    server.wait_ready()
    headers = {"Authorization": f"Token {token}", "Idempotency-Key": "kill-1"}
    reply = server.call("PATCH", path, body=PATCH_BODY, headers=headers)
    assert reply.status == HTTPStatus.OK, reply.body
    assert customer_state(database, "victim") == ("after@example.com", False)
    assert counts(database) == (before_counts[0] + 2, before_counts[1] + 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_after_its_writes_leaves_nothing_when_sigkilled_before_commit(
    tenant, shared_database, gunicorn, tmp_path
):
    token = make_api_key(tenant)[1]
    make_customer(tenant, "victim", email="before@example.com", sms_opt_out=True)
    database = shared_database()
    marker = tmp_path / "paused.pid"
    server = gunicorn(
        database,
        env={"HARDENING_PAUSE_MARKER": str(marker)},
        args=("-c", str(HERE / "gunicorn_pause_in_transaction.py")),
    )
    before = counts(database)
    path = "/api/resources/customers/victim"

    thread, outcome = patch_in_background(server, token, path)
    # The worker has written the customer row and both ledger events, and has not committed.
    pid = int(wait_until(lambda: marker.exists() and marker.read_text(), timeout=20, what="the worker to pause"))
    assert pid in server.worker_pids()
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=20)

    assert getattr(outcome[0], "status", None) != HTTPStatus.OK
    assert customer_state(database, "victim") == ("before@example.com", True)
    assert counts(database) == before
    if database.sqlite_path is not None:
        assert database.scalar("PRAGMA integrity_check") == "ok"
    assert_retry_applies_once(server, token, path, database, before)


@pytest.mark.slow
@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_worker_killed_while_blocked_in_its_transaction_leaves_nothing_when_postgres_aborts_it(
    tenant, shared_database, gunicorn
):
    """No hook at all: the test holds a lock on the ledger table, so the request blocks
    on its ledger INSERT after updating the customer row, inside its transaction."""
    import psycopg
    from django.db import connection

    token = make_api_key(tenant)[1]
    make_customer(tenant, "victim", email="before@example.com", sms_opt_out=True)
    database = shared_database()
    server = gunicorn(database)
    before = counts(database)
    path = "/api/resources/customers/victim"
    settings = connection.settings_dict
    conninfo = {
        "host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
        "user": settings["USER"], "password": settings["PASSWORD"], "dbname": settings["NAME"],
    }

    with psycopg.connect(**conninfo) as locker, psycopg.connect(**conninfo, autocommit=True) as watcher:
        locker.execute("LOCK TABLE prefcenter_consentevent IN EXCLUSIVE MODE")
        thread, outcome = patch_in_background(server, token, path)

        def blocked_backend() -> int | None:
            row = watcher.execute(
                "SELECT a.pid FROM pg_stat_activity a WHERE a.datname = current_database() "
                "AND a.wait_event_type = 'Lock' AND a.query ILIKE %s",
                ("%prefcenter_consentevent%",),
            ).fetchone()
            return row[0] if row else None

        backend = wait_until(blocked_backend, timeout=20, what="the request to block on the ledger insert")
        # It has already updated the customer row: it holds the row-exclusive lock an UPDATE takes.
        holds = watcher.execute(
            "SELECT mode FROM pg_locks WHERE pid = %s AND relation = 'customers_customer'::regclass AND granted",
            (backend,),
        ).fetchall()
        assert ("RowExclusiveLock",) in holds
        (worker,) = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=20)
        locker.rollback()  # release the table: the orphaned backend finishes its INSERT, finds its client gone
        wait_until(
            lambda: not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone(),
            timeout=20,
            what="the orphaned backend to end",
        )

    assert getattr(outcome[0], "status", None) != HTTPStatus.OK
    assert customer_state(database, "victim") == ("before@example.com", True)
    assert counts(database) == before
    assert_retry_applies_once(server, token, path, database, before)


# ---------------------------------------------------------------- PostgreSQL restarted under load
@pytest.mark.slow
@pytest.mark.postgres
@postgres_only
def test_app_recovers_without_partial_rows_when_postgres_restarts_under_load(private_postgres, gunicorn):
    cluster = private_postgres
    token = cluster.seed(customers=4)
    server = gunicorn(cluster.database, args=("-w", "2"))
    auth = {"Authorization": f"Token {token}"}
    restarted_at: list[float] = []
    results: list[tuple[float, int | str, str, str]] = []  # (sent at, status or error, customer, value)
    stop = threading.Event()

    def load(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            value = f"w{worker}-{n}"
            sent = time.monotonic()
            try:
                reply = call(
                    server.url, "PATCH", f"/api/resources/customers/c{worker}",
                    body={"data": {"lastName": value}},
                    headers={**auth, "Idempotency-Key": value}, timeout=15,
                )
                outcome: int | str = reply.status
            except OSError as exc:
                outcome = type(exc).__name__
            results.append((sent, outcome, f"c{worker}", value))

    threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    cluster.restart()
    restarted_at.append(time.monotonic())
    time.sleep(1.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    before = [status for sent, status, _, _ in results if sent < restarted_at[0]]
    after = [status for sent, status, _, _ in results if sent >= restarted_at[0]]
    assert before.count(200) > 0
    # Recovered without restarting the app: every request sent once the database is back succeeds.
    assert after and set(after) == {200}, sorted(set(after), key=str)
    # During the outage requests may fail, but as API errors (JSON 503), never a dropped connection.
    assert {status for status in before if status != 200} <= {503}

    # No partial rows: per customer, the ledger's last_name events form one unbroken chain
    # ending at the row's value; every success is in it exactly once; one idempotency record per event.
    for customer in ("c0", "c1", "c2", "c3"):
        (final,) = cluster.rows("SELECT last_name FROM customers_customer WHERE external_id = %s", (customer,))[0]
        chain = cluster.rows(
            "SELECT old_value, new_value FROM prefcenter_consentevent "
            "WHERE customer_external_id = %s AND field = 'last_name' ORDER BY id",
            (customer,),
        )
        value = None  # the creation event starts the chain
        for old, new in chain:
            assert old == value
            value = new
        assert final == value
        succeeded = [v for _, status, c, v in results if c == customer and status == 200]
        assert set(succeeded) <= {new for _, new in chain}
    events = cluster.rows("SELECT COUNT(*) FROM prefcenter_consentevent WHERE source = 'api'")[0][0]
    records = cluster.rows("SELECT COUNT(*) FROM prefcenter_idempotencyrecord")[0][0]
    assert events == records


@pytest.fixture
def private_postgres(tmp_path):
    """A throwaway PostgreSQL cluster of our own, so restarting it disturbs no one else."""
    from tests.hardening.postgres_cluster import PrivateCluster

    cluster = PrivateCluster.create(tmp_path)
    try:
        yield cluster
    finally:
        cluster.destroy()

