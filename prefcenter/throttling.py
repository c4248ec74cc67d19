"""Request throttling, shared across workers through the cache (Redis when REDIS_URL is set).

Two budgets:
- `credential` (PREFCENTER_THROTTLE_RATE, default 6000/min): one bucket per authenticated
  credential identity (`Credential.identity`).
- `anonymous` (PREFCENTER_ANON_THROTTLE_RATE, default 300/min): one bucket per client address
  for requests nobody is authenticated for: API requests whose credential is missing or refused
  (what would be a 401) and the public self-service routes (`/p/…` page, `/u/…` one-click
  unsubscribe), each kind in its own bucket. The client address is `request.client_ip`
  (prefcenter/middleware.py: REMOTE_ADDR, or X-Forwarded-For behind PREFCENTER_NUM_PROXIES proxies).

If the cache is unreachable, throttles fail open: the request is admitted uncounted and the
outage is logged once (prefcenter/shared_cache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import SimpleRateThrottle

from prefcenter.shared_cache import CACHE_ERRORS, cache_answered, cache_failed


def client_address(request: Any) -> str:
    return getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR") or "unknown"


def count_in_window(cache: Any, counter: str, duration: int) -> int | None:
    """Add one to a fixed-window counter and return the count; None when the cache is unreachable.

    The cache's atomic `add` + `incr` admit exactly the rate even when workers and hosts sharing
    Redis race (DRF's default — read the history, append, write it back — loses concurrent
    updates and lets a burst through). The counter outlives its window by a second so it cannot
    expire while still counted.
    """
    try:
        cache.add(counter, 0, timeout=duration + 1)
        try:
            count = cache.incr(counter)
        except ValueError:  # evicted between add and incr: start again
            cache.add(counter, 0, timeout=duration + 1)
            count = cache.incr(counter)
    except CACHE_ERRORS as exc:
        cache_failed("throttle", exc)
        return None
    cache_answered()
    return count


class CredentialRateThrottle(SimpleRateThrottle):
    """One bucket per credential identity; anonymous callers by client address.

    Counting is a fixed window (e.g. 6000/min, windows aligned to the clock) per bucket.
    A refused request gets `Retry-After`: the seconds until the window ends. A burst
    straddling two windows may reach twice the rate; that is the price of one atomic
    counter per bucket.
    """

    scope = "credential"

    def get_ident(self, request) -> str:
        return client_address(request)

    def get_cache_key(self, request, view) -> str:
        credential = request.user
        if credential is not None and getattr(credential, "is_authenticated", False):
            ident = credential.identity
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        return self.count(self.key)

    def count(self, key: str) -> bool:
        """Count one request in `key`'s current window; False when that puts it over the rate."""
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        count = count_in_window(self.cache, f"{key}:{window}", self.duration)
        return count is None or count <= self.num_requests  # an unreachable cache admits (fails open)

    def wait(self) -> float:
        return max(self.window_ends_at - self.now, 0.001)


class AnonymousRateThrottle(CredentialRateThrottle):
    """Per client address, for requests without an accepted credential; `kind` keeps buckets apart."""

    scope = "anonymous"

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def allow_address(self, request: Any) -> bool:
        if self.rate is None:
            return True
        ident = f"{self.kind}:{client_address(request)}"
        return self.count(self.cache_format % {"scope": self.scope, "ident": ident})

    def retry_after(self) -> str:
        return str(max(1, int(self.wait() + 0.999)))


def throttle_by_address(kind: str) -> Callable:
    """Decorator for public (unauthenticated) Django views: per-address budget, 429 with Retry-After when over.

    The refusal is a short plain-text page, so nothing about the link (valid or not) is revealed
    and no database work is done.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            throttle = AnonymousRateThrottle(kind)
            if throttle.allow_address(request):
                return view(request, *args, **kwargs)
            seconds = throttle.retry_after()
            response = HttpResponse(
                f"Too many requests from your address. Please try again in {seconds} seconds.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = seconds
            return response

        return wrapped

    return decorator
