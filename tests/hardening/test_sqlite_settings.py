"""SQLite runs with WAL, IMMEDIATE transactions and a busy timeout however it is chosen.

`DATABASE_URL=sqlite:///…` (the README's variable) used to go through dj_database_url without
them: 8 concurrent TeamUp PATCH clients on 2 gunicorn workers got `503 database is locked`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest

from subscribers.models import Workflow
from tests.factories import make_api_key, make_customer
from tests.hardening.conftest import IS_POSTGRES, ROOT

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
print(json.dumps({"options": settings.DATABASES["default"]["OPTIONS"], "journal": journal, "busy_ms": busy,
                  "name": str(settings.DATABASES["default"]["NAME"]),
                  "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"]}))
"""


def probe(env: dict[str, str | None]) -> dict:
    """Settings as a fresh process sees them with `env` (a None value: the variable unset)."""
    full = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    full = {name: value for name, value in full.items() if value is not None}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("how", ["database_url", "sqlite_path"])
def test_sqlite_runs_in_wal_with_immediate_transactions_and_busy_timeout_when_chosen(how, tmp_path):
    path = tmp_path / "chosen.sqlite3"
    by_url = {"DATABASE_URL": f"sqlite:///{path}"}
    env = by_url if how == "database_url" else {"DATABASE_URL": "", "SQLITE_PATH": str(path)}

    seen = probe(env)

    assert seen["name"] == str(path)
    assert seen["options"]["transaction_mode"] == "IMMEDIATE"
    assert seen["journal"] == "wal"
    assert seen["busy_ms"] == 20_000


@pytest.mark.parametrize(("given", "expected"), [(None, 0), ("60", 60)])
def test_sqlite_connections_close_after_each_request_unless_sqlite_conn_max_age_says(given, expected, tmp_path):
    env = {"DATABASE_URL": "", "SQLITE_PATH": str(tmp_path / "x.sqlite3"), "SQLITE_CONN_MAX_AGE": given}
    assert probe(env)["conn_max_age"] == expected


def test_sqlite_url_options_win_over_the_defaults_when_given(tmp_path):
    seen = probe({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}?timeout=3"})
    assert seen["options"]["transaction_mode"] == "IMMEDIATE"
    assert seen["busy_ms"] == 3_000


@pytest.mark.slow
@pytest.mark.skipif(IS_POSTGRES, reason="SQLite behaviour: this run is on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_teamup_patches_all_succeed_when_sqlite_comes_from_database_url(tenant, shared_database, gunicorn):
    customers = [make_customer(tenant, f"writer-{n}", email=f"w{n}@example.com") for n in range(8)]
    workflows = [
        Workflow.objects.create(
            tenant=tenant, identifier=f"wf-{n}", slug=f"wf-{n}", name=f"WF {n}", channels=["email", "in_app"]
        )
        for n in range(3)
    ]
    token = make_api_key(tenant)[1]
    database = shared_database()
    server = gunicorn(
        database,
        env={"DATABASE_URL": f"sqlite:///{database.sqlite_path}", "SQLITE_PATH": ""},
        args=("-w", "2"),
    )
    rounds = 25

    def writer(n: int) -> list[int]:
        customer = customers[n]
        statuses = []
        for i in range(rounds):
            workflow = workflows[i % len(workflows)]
            reply = server.call(
                "PATCH",
                f"/api/v2/customers/{customer.pk}/notification_preferences/{workflow.pk}",
                body={"email_enabled": i % 2 == 0},
                headers={"Authorization": f"Token {token}"},
                timeout=60,
            )
            statuses.append(reply.status)
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = [status for result in pool.map(writer, range(8)) for status in result]

    assert len(statuses) == 8 * rounds
    assert {status for status in statuses if not 200 <= status < 300} == set(), (
        sorted(statuses)[-5:],
        server.log.read_text()[-2000:],
    )
    assert HTTPStatus.OK in statuses
    assert database.scalar("PRAGMA journal_mode") == "wal"
