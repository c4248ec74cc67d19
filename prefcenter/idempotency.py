"""Idempotency keys for every POST, PUT and PATCH (draft-ietf-httpapi-idempotency-key-header, Novu's behaviour).

Protocol, on the `idempotency-key` request header:
- Scoped to tenant and credential: two API keys may use the same key independently.
- The record of the outcome is written in the same database transaction as the change,
  so a request that fails or rolls back leaves no record and can be retried with the key.
- Same key, same request (method, path, query, body — JSON compared after parsing):
  the stored status and body are replayed with `Idempotency-Replay: true`.
- Same key, different request: 422.
- Same key while the first request is still in flight: 409 with `Retry-After`.
  In-flight detection uses a cache lock: shared across workers and hosts when REDIS_URL
  is set; with the local-memory cache it is per process (SQLite's single writer then
  serializes the rest, and the second request replays the first's answer).
- A key over 255 characters as sent (surrounding whitespace counts), or empty or only whitespace: 400.
- Only successful (2xx) outcomes are stored; a request rejected before it runs
  (authentication, validation) stores nothing.
- Records are kept PREFCENTER_IDEMPOTENCY_TTL seconds (24 hours by default); expired
  ones are ignored and purged by `manage.py purge_idempotency_keys`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from prefcenter.exceptions import PrefCenterError
from prefcenter.models import IdempotencyRecord
from prefcenter.tenancy import RequestContext

HEADER = "HTTP_IDEMPOTENCY_KEY"
METHODS = ("POST", "PUT", "PATCH")
MAX_KEY_LENGTH = 255
LOCK_SECONDS = 60
RETRY_AFTER_SECONDS = 1


def credential_scope(context: RequestContext) -> str:
    credential = context.credential
    if credential.api_key_id is not None:
        return f"key:{credential.api_key_id}"
    return f"jwt:{credential.customer_external_id}"


def lock_key(*, tenant_id: int, scope: str, key: str) -> str:
    """The cache key a request holds while it runs."""
    return "idem:" + hashlib.sha256(f"{tenant_id}|{scope}|{key}".encode()).hexdigest()


def fingerprint(request) -> str:
    """A digest of what makes two requests "the same": method, path, query and body."""
    raw = request.body
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except (ValueError, UnicodeDecodeError):
        body = raw
    query = "&".join(sorted(request.META.get("QUERY_STRING", "").split("&")))
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyGuard:
    def __init__(self, *, key: str, context: RequestContext, fingerprint: str):
        self.key = key
        self.context = context
        self.fingerprint = fingerprint
        self.scope = credential_scope(context)
        self.lock_key = lock_key(tenant_id=context.tenant.pk, scope=self.scope, key=key)

    @classmethod
    def for_request(cls, request, context: RequestContext) -> IdempotencyGuard | None:
        """The guard for this request, or None when it carries no key or is not a POST/PUT/PATCH."""
        if request.method not in METHODS or HEADER not in request.META:
            return None
        raw = request.META[HEADER]
        key = raw.strip()
        # The length limit is on the value as sent, so the schema's maxLength describes it exactly.
        if not key or len(raw) > MAX_KEY_LENGTH:
            raise PrefCenterError(
                f"The idempotency-key header must be 1 to {MAX_KEY_LENGTH} characters.",
                code="invalid_idempotency_key",
                errors={"idempotency-key": [f"Must be 1 to {MAX_KEY_LENGTH} characters long."]},
            )
        return cls(key=key, context=context, fingerprint=fingerprint(request._request))

    def _stored(self) -> IdempotencyRecord | None:
        return (
            IdempotencyRecord.objects.filter(
                tenant=self.context.tenant, credential=self.scope, key=self.key, expires_at__gt=timezone.now()
            )
            .only("fingerprint", "status_code", "body", "content_type")
            .first()
        )

    def run(self, produce: Callable[[], HttpResponse]) -> HttpResponse:
        if not cache.add(self.lock_key, 1, timeout=LOCK_SECONDS):
            raise PrefCenterError(
                "A request with this idempotency key is still being processed; retry shortly.",
                code="idempotency_in_flight",
                status=409,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        try:
            stored = self._stored()
            if stored is not None:
                return self._replay(stored)
            with transaction.atomic():
                response = produce()
                if 200 <= response.status_code < 300:
                    self._store(response)
            return response
        finally:
            cache.delete(self.lock_key)

    def _replay(self, stored: IdempotencyRecord) -> HttpResponse:
        if stored.fingerprint != self.fingerprint:
            raise PrefCenterError(
                "This idempotency key was already used with a different request.",
                code="idempotency_key_reused",
                status=422,
                errors={"idempotency-key": ["Already used with a different request body."]},
            )
        response = HttpResponse(bytes(stored.body), status=stored.status_code, content_type=stored.content_type)
        response["Idempotency-Replay"] = "true"
        return response

    def _store(self, response: HttpResponse) -> None:
        if hasattr(response, "render"):
            response.render()
        now = timezone.now()
        IdempotencyRecord.objects.filter(
            tenant=self.context.tenant, credential=self.scope, key=self.key, expires_at__lte=now
        ).delete()
        IdempotencyRecord.objects.create(
            tenant=self.context.tenant,
            credential=self.scope,
            key=self.key,
            fingerprint=self.fingerprint,
            status_code=response.status_code,
            body=response.content,
            content_type=response.get("Content-Type", "application/json"),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.PREFCENTER_IDEMPOTENCY_TTL),
        )


def purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
