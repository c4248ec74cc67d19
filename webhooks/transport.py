"""One HTTP POST to a webhook endpoint, with the standard library.

http.client, not a higher-level client: no redirects followed (a 3xx is a failure, so a
signed body never lands somewhere the tenant did not register), no proxy taken from the
environment, and a timeout on the connection and on every read. The connection goes to an
address `webhooks.destinations` vetted, not to a fresh lookup of the host name; the name is
still the one sent in `Host`, in TLS's SNI and checked against the server's certificate.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from webhooks.destinations import Destination


@dataclass(frozen=True)
class PostResult:
    status: int
    body: str


def _connect_to(addresses: tuple[str, ...]):
    """A stand-in for socket.create_connection that tries the vetted addresses, in order, and nothing else."""

    def create_connection(address: tuple[str, int], timeout: Any = None, source_address: Any = None) -> socket.socket:
        error: OSError | None = None
        for candidate in addresses:
            try:
                return socket.create_connection((candidate, address[1]), timeout, source_address)
            except OSError as exc:
                error = exc
        raise error or OSError("no address to connect to")

    return create_connection


def post(destination: Destination, *, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST `body`; answer the status and the first 500 characters of the reply. Network errors raise OSError."""
    if destination.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            destination.host, destination.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(destination.host, destination.port, timeout=timeout)
    conn._create_connection = _connect_to(destination.addresses)  # type: ignore[attr-defined]
    try:
        conn.request("POST", destination.target, body=body, headers={**headers, "user-agent": "prefcenter-webhooks/1"})
        response = conn.getresponse()
        reply = response.read(2000).decode("utf-8", "replace")
        return PostResult(status=response.status, body=reply[:500])
    finally:
        conn.close()
