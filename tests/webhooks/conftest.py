"""Webhook test parts: a real HTTP receiver on a free loopback port, a clock tests move by hand."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from tests.prefcenter.conftest import staff_user, superuser  # noqa: F401
from webhooks.models import EVENT_TYPES, WebhookEndpoint
from webhooks.services import endpoint_create


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next scripted reply (status, ("stall", seconds) or ("echo", status)), then 200s.

    `stall_event` is set when a stalled request arrives, so a test can act while it hangs.
    """

    url: str = ""
    replies: list[Any] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    stall_event: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def script(self, *replies: Any) -> None:
        self.replies = list(replies)

    def bodies(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.received]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1: the SSRF guard refuses loopback, so this turns PREFCENTER_WEBHOOK_ALLOW_PRIVATE
    on for the test (a test that shows the guard at work with it turns the setting off again)."""
    settings.PREFCENTER_WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            with lock:
                state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                reply = state.replies.pop(0) if state.replies else 200
            text = None
            if isinstance(reply, tuple) and reply[0] == "stall":
                state.stall_event.set()
                state.release.wait(reply[1])
                reply = 200
            elif isinstance(reply, tuple) and reply[0] == "echo":  # ("echo", status): answers the body it got
                reply, text = reply[1], body.encode()
            self.send_response(reply)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(text if text is not None else b"ok" if reply < 300 else b"receiver says no")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


class Clock:
    """The worker's `clock`: starts at the real now and moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or timezone.now() + timedelta(seconds=1)  # just after the changes a test makes

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def endpoint(tenant, receiver) -> WebhookEndpoint:
    return endpoint_create(tenant=tenant, url=receiver.url, event_types=list(EVENT_TYPES))


def wait_for(predicate, *, timeout: float = 10, what: str = "a condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
