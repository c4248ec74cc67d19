"""Per-credential request throttling, shared across workers through the cache (Redis when REDIS_URL is set)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class CredentialRateThrottle(SimpleRateThrottle):
    """One bucket per credential (API key id or customer token subject); anonymous callers by IP.

    Counting is a fixed window per credential (`credential` rate, e.g. 6000/min, windows
    aligned to the clock) kept with the cache's atomic `add` + `incr`, so workers and
    hosts sharing Redis admit exactly the rate even when their requests race. DRF's
    default (read the request history, append, write it back) loses concurrent updates
    and lets a burst through. A refused request gets `Retry-After`: the seconds until the
    window ends. A burst straddling two windows may reach twice the rate; that is the
    price of one atomic counter per credential.
    """

    scope = "credential"

    def get_cache_key(self, request, view) -> str:
        credential = request.user
        if credential is not None and getattr(credential, "is_authenticated", False):
            ident = (
                f"key:{credential.api_key_id}"
                if credential.api_key_id
                else f"jwt:{credential.tenant.pk}:{credential.customer_external_id}"
            )
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        counter = f"{self.key}:{window}"
        # The counter outlives its window by a second so it cannot expire while still counted.
        self.cache.add(counter, 0, timeout=self.duration + 1)
        try:
            count = self.cache.incr(counter)
        except ValueError:  # evicted between add and incr: start again
            self.cache.add(counter, 0, timeout=self.duration + 1)
            count = self.cache.incr(counter)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_ends_at - self.now, 0.001)
