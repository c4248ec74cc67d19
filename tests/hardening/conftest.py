"""Real processes for the hardening suite: gunicorn servers, a redis-server, a database they share with the test.

The servers are the production entry point (`gunicorn config.wsgi`) with production
settings (DEBUG off), pointed at the test's database: on PostgreSQL the pytest test
database itself (tests use `django_db(transaction=True)` so their rows are committed and
visible); on SQLite a file copied from the in-memory test database with SQLite's backup
API once the test has built its rows. Assertions then read that same database.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

postgres_only = pytest.mark.skipif(
    not IS_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL=postgres://… (this run is on SQLite)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str, method: str = "GET", path: str = "/", *, body: Any = None, headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    """One HTTP request with the standard library; a JSON-able body is sent as JSON."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        payload = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


# ---------------------------------------------------------------- a database subprocesses share
@dataclass
class SharedDatabase:
    """The test database as seen from outside the test process."""

    env: dict[str, str]
    sqlite_path: Path | None = None

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.sqlite_path is not None:
            with contextlib.closing(sqlite3.connect(self.sqlite_path)) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def scalar(self, sql: str, params: tuple = ()) -> Any:
        return self.rows(sql, params)[0][0]


@pytest.fixture
def shared_database(tmp_path) -> Callable[[], SharedDatabase]:
    """Call it after building the test's rows: returns the database a server should use.

    Needs `django_db(transaction=True)`: on PostgreSQL the rows must be committed to be seen.
    """

    def publish() -> SharedDatabase:
        db = connection.settings_dict
        if IS_POSTGRES:
            host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
            url = f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"
            return SharedDatabase(env={"DATABASE_URL": url})
        path = tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(path)) as target:
            connection.connection.backup(target)
        return SharedDatabase(env={"DATABASE_URL": "", "SQLITE_PATH": str(path)}, sqlite_path=path)

    return publish


# ---------------------------------------------------------------- gunicorn
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "hardening-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
}


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                return self.call("GET", "/healthz", timeout=1).status == 200
            except OSError:
                return False

        wait_until(ready, timeout=30, what="gunicorn to answer /healthz")

    def call(self, method: str = "GET", path: str = "/", **kwargs: Any) -> Reply:
        return call(self.url, method, path, **kwargs)

    def stop(self) -> None:
        """Kill the master and its workers at once: they run in their own process group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def gunicorn(tmp_path) -> Iterator[Callable[..., Server]]:
    """Start `gunicorn config.wsgi` (one sync worker by default); every server is stopped at teardown."""
    servers: list[Server] = []

    def start(
        database: SharedDatabase, *, env: dict[str, str] | None = None, args: tuple[str, ...] = (), wait: bool = True
    ) -> Server:
        """Launch a server; with wait=False call `server.wait_ready()` later (to boot several at once)."""
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        full_env = {**os.environ, **PRODUCTION_ENV, **database.env, **(env or {})}
        full_env.pop("DJANGO_SETTINGS_MODULE", None)
        command = [str(GUNICORN), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "60"]
        # --preload: Django loads once in the master, workers fork ready; no shared control socket.
        command += ["--preload", "--no-control-socket", *args]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
        servers.append(server)
        if wait:
            server.wait_ready()
        return server

    yield start
    for server in servers:
        server.stop()


# ---------------------------------------------------------------- redis-server
@dataclass
class RedisServer:
    """A private redis-server on a fixed loopback port that a test may stop and start again."""

    binary: str
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port)

        def pong() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited with {self.process.returncode}")
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        try:
            wait_until(pong, timeout=10, what="redis-server to answer PING")
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A throwaway redis-server (no persistence) on a free port, running; stopped at teardown."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(binary=binary, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The URL of a private, throwaway redis-server."""
    return redis_server.url
