"""Per-credential request throttling, shared across workers through the cache (Redis when REDIS_URL is set)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class CredentialRateThrottle(SimpleRateThrottle):
    """One bucket per credential (API key id or customer token subject); anonymous callers by IP."""

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
