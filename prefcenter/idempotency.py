"""Idempotency keys for every POST, PUT and PATCH (draft-ietf-httpapi-idempotency-key-header, Novu's behaviour).

Protocol, on the `idempotency-key` request header:
- Scoped to tenant and credential identity (`Credential.identity`: the API key, or the customer
  token's tenant and `sub`): two credentials may use the same key independently.
- The record of the outcome is written in the same database transaction as the change,
  so a request that fails or rolls back leaves no record and can be retried with the key.
- Same key, same request: the stored status and body are replayed with `Idempotency-Replay: true`.
  "The same request" is everything that changes what it means (`fingerprint`): method, path,
  query, body (JSON compared after parsing), the body's media type, the response format
  negotiated (`format` query or `Accept`), the request mode and the acting customer however it
  is named (customer-mode credential, `Prefcenter-Customer` header, path).
- Same key, different request: 422, and nothing is written.
- Same key while the first request is still in flight: 409 with `Retry-After`. Two locks say so:
  a cache lock (shared across workers and hosts when REDIS_URL is set, per process otherwise)
  and, inside the request's transaction, the database: a PostgreSQL advisory transaction lock
  on the key, or SQLite's single writer (`BEGIN IMMEDIATE`), after which the record is looked
  up again so a request that waited replays the first one's answer. The record's unique
  constraint is the last word: a request that loses a race there rolls back and answers 409.
  Never a 500, never the change twice, with or without Redis, on either database.
- The cache unreachable (REDIS_URL set, Redis down): 503 with `Retry-After`, nothing run.
- A key over 255 characters as sent (surrounding whitespace counts), or empty or only whitespace: 400.
- Only successful (2xx) outcomes are stored; a request rejected before it runs
  (authentication, validation) stores nothing.
- Records are kept PREFCENTER_IDEMPOTENCY_TTL seconds (24 hours by default); expired
  ones are ignored and purged by `manage.py purge_idempotency_keys`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone

from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import ErasedCustomer
from prefcenter.models import IdempotencyRecord
from prefcenter.shared_cache import CACHE_ERRORS, cache_answered, cache_failed
from prefcenter.tenancy import RequestContext

logger = logging.getLogger(__name__)

HEADER = "HTTP_IDEMPOTENCY_KEY"
METHODS = ("POST", "PUT", "PATCH")
MAX_KEY_LENGTH = 255
LOCK_SECONDS = 60
RETRY_AFTER_SECONDS = 1
CACHE_DOWN_RETRY_AFTER_SECONDS = 5
# Headers that name the customer a provider-mode request acts for (the messaging contract's).
ACTING_CUSTOMER_HEADERS = ("HTTP_PREFCENTER_CUSTOMER",)


def lock_key(*, tenant_id: int, scope: str, key: str) -> str:
    """The cache key a request holds while it runs."""
    return "idem:" + hashlib.sha256(f"{tenant_id}|{scope}|{key}".encode()).hexdigest()


def fingerprint(request, context: RequestContext) -> str:
    """A digest of everything that makes two requests "the same" (see the module docstring).

    `request` is DRF's: content negotiation has already chosen the response format.
    """
    raw = request.body
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode() if raw else b""
    except (ValueError, UnicodeDecodeError):
        body = raw
    query = "&".join(sorted(request.META.get("QUERY_STRING", "").split("&")))
    media_type = (request.META.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    renderer = getattr(request, "accepted_renderer", None)
    response_format = getattr(renderer, "format", "") or ""
    named_customers = "\n".join(request.META.get(header, "").strip() for header in ACTING_CUSTOMER_HEADERS)
    parts = (
        request.method,
        request.path,
        query,
        media_type,
        response_format,
        context.mode,
        context.customer_external_id,
        named_customers,
    )
    digest = hashlib.sha256()
    for part in (*(p.encode() for p in parts), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def in_flight_error() -> PrefCenterError:
    return PrefCenterError(
        "A request with this idempotency key is still being processed; retry shortly.",
        code="idempotency_in_flight",
        status=409,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class IdempotencyGuard:
    def __init__(self, *, key: str, context: RequestContext, fingerprint: str):
        self.key = key
        self.context = context
        self.fingerprint = fingerprint
        self.scope = context.credential.identity
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
        return cls(key=key, context=context, fingerprint=fingerprint(request, context))

    def _stored(self) -> IdempotencyRecord | None:
        return (
            IdempotencyRecord.objects.filter(
                tenant=self.context.tenant, credential=self.scope, key=self.key, expires_at__gt=timezone.now()
            )
            .only("fingerprint", "status_code", "body", "content_type")
            .first()
        )

    def run(self, produce: Callable[[], HttpResponse]) -> HttpResponse:
        self._lock_in_cache()
        try:
            stored = self._stored()  # the common repeat: a finished request's record, replayed without a lock
            if stored is not None:
                return self._replay(stored)
            with transaction.atomic():
                self._lock_in_database()
                stored = self._stored()  # again under both locks: a request that waited sees the first's record
                if stored is not None:
                    return self._replay(stored)
                response = produce()
                if 200 <= response.status_code < 300:
                    self._store(response)
            return response
        finally:
            self._unlock_in_cache()

    def _lock_in_cache(self) -> None:
        try:
            taken = cache.add(self.lock_key, 1, timeout=LOCK_SECONDS)
        except CACHE_ERRORS as exc:
            cache_failed("idempotency lock", exc)
            raise PrefCenterError(
                "Requests with an idempotency key cannot be run safely right now (the shared cache is "
                "unreachable); retry shortly.",
                code="idempotency_unavailable",
                status=503,
                headers={"Retry-After": str(CACHE_DOWN_RETRY_AFTER_SECONDS)},
            ) from exc
        cache_answered()
        if not taken:
            raise in_flight_error()

    def _unlock_in_cache(self) -> None:
        """Release the cache lock; if the cache went away meanwhile the lock expires by itself."""
        try:
            cache.delete(self.lock_key)
        except CACHE_ERRORS as exc:
            cache_failed("idempotency unlock", exc)

    def _lock_in_database(self) -> None:
        """Hold the key in the database until this transaction ends (PostgreSQL: an advisory lock).

        SQLite needs nothing: its transactions begin IMMEDIATE, one writer at a time, so a
        second request with the key waits here and then finds the first one's record.
        """
        if connection.vendor != "postgresql":
            return
        number = int.from_bytes(hashlib.sha256(self.lock_key.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [number])
            (taken,) = cursor.fetchone()
        if not taken:
            raise in_flight_error()

    def _replay(self, stored: IdempotencyRecord) -> HttpResponse:
        if stored.fingerprint != self.fingerprint:
            raise PrefCenterError(
                "This idempotency key was already used with a different request.",
                code="idempotency_key_reused",
                status=422,
                errors={"idempotency-key": ["Already used with a different request."]},
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
        try:
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
        except IntegrityError as exc:
            # Another request with this key committed first: this one's change rolls back with the error.
            logger.warning("idempotency key %s lost a race to a concurrent request; answering 409", self.lock_key)
            raise in_flight_error() from exc


def purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def records_forget(erased: ErasedCustomer) -> int:
    """Erasure listener (prefcenter/ledger.py): drop the tenant's stored replies that name the erased person.

    A stored reply is a copy of a response. One whose body holds one of the person's values as a
    whole JSON string or XML text (their external id, an email, a phone, a name), or that was
    stored for their own customer token, is deleted in the erasure's transaction: a retry with
    that key then runs as a new request. One SELECT of the tenant's records, one DELETE.
    """
    needles = set()
    for value in erased.personal_values:
        needles.add(json.dumps(value).encode())
        needles.add(json.dumps(value, ensure_ascii=False).encode())
        needles.add(f">{xml_escape(value)}<".encode())
    own_token = f"jwt:{erased.tenant.pk}:{erased.external_id}"
    doomed = [
        pk
        for pk, credential, body in IdempotencyRecord.objects.filter(tenant=erased.tenant)
        .values_list("id", "credential", "body")
        .iterator()
        if credential == own_token or any(needle in bytes(body) for needle in needles)
    ]
    if doomed:
        IdempotencyRecord.objects.filter(pk__in=doomed).delete()
    return len(doomed)
