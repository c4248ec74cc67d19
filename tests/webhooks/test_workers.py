"""Real worker processes: `manage.py deliver_webhooks` killed mid-delivery loses nothing; two workers on
PostgreSQL share the outbox with SELECT … FOR UPDATE SKIP LOCKED and send each event once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from customers.services import customer_update
from prefcenter.ledger import Actor
from tests.factories import make_customer
from tests.hardening.conftest import IS_POSTGRES, PRODUCTION_ENV, postgres_only, shared_database  # noqa: F401
from tests.webhooks.conftest import wait_for
from webhooks.models import WebhookDelivery
from webhooks.services import deliveries_claim

ROOT = Path(__file__).resolve().parents[2]


def start_worker(database, tmp_path, name: str, **env: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    # The receiver is on loopback, which the SSRF guard refuses unless told otherwise (as the tests' settings are).
    full_env = {**os.environ, **PRODUCTION_ENV, **database.env, "PREFCENTER_WEBHOOK_ALLOW_PRIVATE": "1", **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "deliver_webhooks", "--poll", "0.1", "--batch", "1"],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return process, log


@contextlib.contextmanager
def workers() -> list[subprocess.Popen]:
    started: list[subprocess.Popen] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:  # only a worker of ours still running (a reaped pid may be reused)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
            process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_when_a_new_worker_starts(
    customer, endpoint, receiver, shared_database, tmp_path  # noqa: F811
):
    receiver.script(("stall", 60))  # the first POST hangs until the test ends
    customer_update(customer=customer, actor=Actor.system(), email_opt_out=True)
    database = shared_database()
    settings = {"PREFCENTER_WEBHOOK_TIMEOUT": "5", "PREFCENTER_WEBHOOK_LEASE": "3"}

    with workers() as started:
        first, first_log = start_worker(database, tmp_path, "first", **settings)
        started.append(first)
        wait_for(lambda: receiver.stall_event.is_set() or first.poll() is not None, timeout=30, what="the first POST")
        assert first.poll() is None, first_log.read_text()
        os.kill(first.pid, signal.SIGKILL)  # mid-delivery: the POST is in flight, nothing recorded yet
        first.wait(timeout=10)
        assert database.rows("SELECT status, attempts FROM webhooks_webhookdelivery") == [("pending", 0)]

        second, second_log = start_worker(database, tmp_path, "second", **settings)
        started.append(second)
        wait_for(
            lambda: database.scalar("SELECT status FROM webhooks_webhookdelivery") == "delivered",
            timeout=30,
            what=f"the second worker to deliver after the lease:\n{second_log.read_text()}",
        )
        second.send_signal(signal.SIGTERM)  # a graceful stop
        assert second.wait(timeout=10) == 0, second_log.read_text()

    assert database.rows("SELECT status, attempts, last_status_code FROM webhooks_webhookdelivery") == [
        ("delivered", 1, 200)
    ]
    # At-least-once: the receiver saw the event twice, with one webhook-id to deduplicate on.
    assert len(receiver.received) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    assert receiver.received[0].body == receiver.received[1].body


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_second_claim_skips_locked_rows_without_waiting_when_another_worker_holds_them(tenant, endpoint):
    for n in range(3):
        customer_update(customer=make_customer(tenant, f"c-{n}"), actor=Actor.system(), email_opt_out=True)
    first_id = WebhookDelivery.objects.order_by("id").values_list("id", flat=True)[0]
    locked, release, claimed = threading.Event(), threading.Event(), []

    def holder() -> None:
        try:
            with transaction.atomic():
                list(WebhookDelivery.objects.select_for_update().filter(pk=first_id))
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # blocking instead of skipping would fail here
        from django.utils import timezone

        _, rows = deliveries_claim(now=timezone.now(), limit=10, lease=30)
        claimed = [row.pk for row in rows]
    finally:
        release.set()
        thread.join()

    assert first_id not in claimed
    assert len(claimed) == 2


@pytest.mark.slow
@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_event_once_when_they_run_at_once(
    tenant, endpoint, receiver, shared_database, tmp_path  # noqa: F811
):
    count = 12
    for n in range(count):
        customer_update(customer=make_customer(tenant, f"c-{n}"), actor=Actor.system(), email_opt_out=True)
    receiver.script(*([("stall", 0.2)] * count))  # slow enough that both workers are busy at once
    database = shared_database()

    with workers() as started:
        started += [start_worker(database, tmp_path, f"w{n}")[0] for n in (1, 2)]
        wait_for(
            lambda: database.scalar("SELECT count(*) FROM webhooks_webhookdelivery WHERE status = 'delivered'")
            == count,
            timeout=60,
            what="both workers to deliver everything",
        )

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == count
    assert database.scalar("SELECT max(attempts) FROM webhooks_webhookdelivery") == 1
