"""One HTTP POST to a webhook endpoint, with the standard library.

http.client, not a higher-level client: no redirects followed (a 3xx is a failure, so a
signed body never lands somewhere the tenant did not register), no proxy taken from the
environment, and a timeout on the connection and on every read.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PostResult:
    status: int
    body: str


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST `body`; answer the status and the first 500 characters of the reply. Network errors raise OSError."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    elif parts.scheme == "http":
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    else:
        raise OSError(f"unsupported URL scheme {parts.scheme!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request("POST", path, body=body, headers={**headers, "user-agent": "prefcenter-webhooks/1"})
        response = conn.getresponse()
        reply = response.read(2000).decode("utf-8", "replace")
        return PostResult(status=response.status, body=reply[:500])
    finally:
        conn.close()
