"""Writes for webhooks: endpoints (API and admin), resends, and the delivery worker's steps.

The worker (`manage.py deliver_webhooks`) repeats `deliver_due()`: claim due rows with a
short lease (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers never claim
the same row), POST each outside any transaction, then record the outcome. Time comes from
an injectable `clock`, so tests drive retries without sleeping.
"""

from __future__ import annotations

import http.client
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import ErasedCustomer
from prefcenter.models import Tenant
from webhooks import destinations, transport
from webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint
from webhooks.outbox import body_pseudonymised
from webhooks.signing import signed_headers

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class DeliveryPolicy:
    """Timeouts, lease and retry schedule (settings PREFCENTER_WEBHOOK_*; see docs/webhooks.md)."""

    timeout: float = 10.0
    lease: float = 60.0
    retry_for: float = 3 * 24 * 3600.0
    backoff_base: float = 5.0
    backoff_max: float = 6 * 3600.0

    @classmethod
    def from_settings(cls) -> DeliveryPolicy:
        return cls(
            timeout=float(getattr(settings, "PREFCENTER_WEBHOOK_TIMEOUT", cls.timeout)),
            lease=float(getattr(settings, "PREFCENTER_WEBHOOK_LEASE", cls.lease)),
            retry_for=float(getattr(settings, "PREFCENTER_WEBHOOK_RETRY_FOR", cls.retry_for)),
            backoff_base=float(getattr(settings, "PREFCENTER_WEBHOOK_BACKOFF_BASE", cls.backoff_base)),
            backoff_max=float(getattr(settings, "PREFCENTER_WEBHOOK_BACKOFF_MAX", cls.backoff_max)),
        )

    def backoff(self, attempts: int, rng: random.Random) -> timedelta:
        """Exponential (base * 2^(n-1), capped) with "equal jitter": between half and all of it."""
        delay = min(self.backoff_base * 2 ** max(attempts - 1, 0), self.backoff_max)
        return timedelta(seconds=delay / 2 + rng.uniform(0, delay / 2))


# -- endpoints ---------------------------------------------------------------------------


def event_type_errors(event_types: object) -> list[str]:
    """Why a list of event types cannot be stored (empty when it can)."""
    if not isinstance(event_types, list) or not event_types:
        return ["Give a non-empty list of event types."]
    unknown = [str(t) for t in event_types if t not in EVENT_TYPES]
    if unknown:
        return [f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(EVENT_TYPES)}."]
    return []


def tenant_subscriptions_refresh(*, tenant_id: int) -> list[str]:
    """Store on the tenant the event types its enabled endpoints hear (Tenant.webhook_event_types).

    The outbox listener reads it from the tenant already loaded with the request, so a
    tenant without webhooks pays no query on a consent change. Called, in the same
    transaction, by every write that adds, removes, enables or disables an endpoint.
    """
    heard: set[str] = set()
    for types in WebhookEndpoint.objects.filter(tenant_id=tenant_id, enabled=True).values_list(
        "event_types", flat=True
    ):
        heard.update(types)
    event_types = [t for t in EVENT_TYPES if t in heard]
    Tenant.objects.filter(pk=tenant_id).update(webhook_event_types=event_types)
    return event_types


def endpoint_create(*, tenant: Tenant, url: str, event_types: list[str], description: str = "") -> WebhookEndpoint:
    """Register an endpoint with a new signing secret.

    Unknown event types, and a URL the SSRF guard refuses (webhooks/destinations.py), are a 400
    naming the field, and nothing is written.
    """
    errors = event_type_errors(event_types)
    if errors:
        raise PrefCenterError(errors[0], errors={"event_types": errors})
    errors = destinations.url_errors(url)
    if errors:
        raise PrefCenterError(errors[0], errors={"url": errors})
    endpoint = WebhookEndpoint(
        tenant=tenant, url=url, description=description, event_types=list(dict.fromkeys(event_types))
    )
    endpoint.full_clean(exclude=["tenant"])
    with transaction.atomic():
        endpoint.save()
        tenant.webhook_event_types = tenant_subscriptions_refresh(tenant_id=tenant.pk)
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its outbox rows (nothing more will be sent to it)."""
    with transaction.atomic():
        endpoint.delete()
        tenant_subscriptions_refresh(tenant_id=endpoint.tenant_id)


def endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Re-enable a dead endpoint: its failure run starts over."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=True, disabled_at=None, disabled_reason="", failing_since=None
        )
        tenant_subscriptions_refresh(tenant_id=endpoint.tenant_id)
    endpoint.refresh_from_db()
    return endpoint


def deliveries_resend(*, deliveries: list[WebhookDelivery], now: datetime | None = None) -> int:
    """Queue deliveries again, now, with a fresh retry window (the admin's "resend" action)."""
    now = now or timezone.now()
    with transaction.atomic():
        return WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            status=WebhookDelivery.PENDING,
            next_attempt_at=now,
            resent_at=now,
            claimed_until=None,
            claim_token="",
            delivered_at=None,
        )


def deliveries_pseudonymise(erased: ErasedCustomer) -> int:
    """Erasure listener (prefcenter/ledger.py): the person's delivery rows forget them, in the erasure's transaction.

    Every delivery of the tenant for that external id, whatever its status, gets the ledger's
    pseudonym in `customer_external_id` and in its body (`body_pseudonymised`), and its `last_error`
    (a receiver's reply may quote the person) scrubbed. Pending ones stay pending and are sent
    pseudonymised, with the same `webhook-id` (docs/compliance.md says why). One SELECT, one UPDATE.
    """
    rows = list(
        WebhookDelivery.objects.select_for_update()
        .filter(tenant_id=erased.tenant.pk, customer_external_id=erased.external_id)
        .only("id", "body", "last_error", "customer_external_id")
    )
    for row in rows:
        row.customer_external_id = erased.pseudonym
        row.body = body_pseudonymised(row.body, erased)
        row.last_error = erased.scrub(row.last_error)
    if rows:
        WebhookDelivery.objects.bulk_update(rows, ["customer_external_id", "body", "last_error"], batch_size=500)
    return len(rows)


# -- the worker's steps ----------------------------------------------------------------------


def deliveries_claim(*, now: datetime, limit: int, lease: float) -> tuple[str, list[WebhookDelivery]]:
    """Claim up to `limit` due deliveries for this worker; answers (claim token, rows).

    Due: pending, next attempt reached, endpoint enabled, not under another worker's lease,
    and no earlier pending delivery for the same endpoint and customer (order per customer:
    a later event waits for the earlier one, delivered or given up).
    """
    token = uuid.uuid4().hex
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        customer_id=OuterRef("customer_id"),
        status=WebhookDelivery.PENDING,
        id__lt=OuterRef("id"),
    )
    due = (
        WebhookDelivery.objects.filter(status=WebhookDelivery.PENDING, next_attempt_at__lte=now, endpoint__enabled=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .exclude(Exists(earlier))
        .order_by("id")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(
                claimed_until=now + timedelta(seconds=lease), claim_token=token
            )
    rows = list(WebhookDelivery.objects.filter(pk__in=ids, claim_token=token).select_related("endpoint").order_by("id"))
    return token, rows


def delivery_attempt(
    *, delivery: WebhookDelivery, token: str, clock: Clock, policy: DeliveryPolicy, rng: random.Random
) -> bool:
    """POST one claimed delivery, signed, and record the outcome; answers whether it was delivered.

    A 2xx is delivered. Anything else (other status, timeout, refused connection) is retried
    with backoff until `retry_for` has passed since the event, then the delivery is failed;
    an endpoint whose failures have lasted that long is disabled. A destination the SSRF guard
    refuses now (webhooks/destinations.py: the URL's host resolves to a private address, say)
    is not contacted at all and the delivery is failed at once, the reason in `last_error`.
    """
    endpoint = delivery.endpoint
    sent_at = clock()
    headers = signed_headers(
        secret=endpoint.secret, message_id=delivery.message_id, timestamp=int(sent_at.timestamp()), body=delivery.body
    )
    status: int | None = None
    refused = False
    try:
        destination = destinations.destination_vet(endpoint.url)
        result = transport.post(destination, body=delivery.body.encode(), headers=headers, timeout=policy.timeout)
        status = result.status
        ok = 200 <= status < 300
        error = "" if ok else f"HTTP {status}: {result.body}"
    except destinations.DestinationRefused as exc:
        # Not retried: the URL (or what its name resolves to now) is one webhooks never go to.
        ok, refused, error = False, True, str(exc)[:500]
    except (OSError, http.client.HTTPException, ValueError) as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
    now = clock()
    values: dict = {
        "attempts": delivery.attempts + 1,
        "last_attempt_at": now,
        "last_status_code": status,
        "last_error": error,
        "claimed_until": None,
        "claim_token": "",
    }
    if ok:
        values.update(status=WebhookDelivery.DELIVERED, delivered_at=now)
    elif refused or (now - (delivery.resent_at or delivery.created_at)).total_seconds() >= policy.retry_for:
        values.update(status=WebhookDelivery.FAILED)
    else:
        values.update(next_attempt_at=now + policy.backoff(delivery.attempts + 1, rng))
    with transaction.atomic():
        updated = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(**values)
        if not updated:
            # Our lease ran out and another worker took the row over: its attempt decides.
            logger.warning("webhook delivery %s: lease lost, outcome dropped", delivery.pk)
            return ok
        _endpoint_outcome(endpoint=endpoint, ok=ok, now=now, policy=policy)
    return ok


def _endpoint_outcome(*, endpoint: WebhookEndpoint, ok: bool, now: datetime, policy: DeliveryPolicy) -> None:
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if ok:
        endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        return
    endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    dead_since = now - timedelta(seconds=policy.retry_for)
    if endpoints.filter(enabled=True, failing_since__lte=dead_since).update(
        enabled=False, disabled_at=now, disabled_reason=f"Every delivery failed for {policy.retry_for / 3600:g} hours."
    ):
        tenant_subscriptions_refresh(tenant_id=endpoint.tenant_id)


def deliver_due(
    *,
    clock: Clock = timezone.now,
    policy: DeliveryPolicy | None = None,
    limit: int = 50,
    rng: random.Random | None = None,
) -> int:
    """One pass of the worker: claim what is due and attempt each; answers how many were attempted."""
    policy = policy or DeliveryPolicy.from_settings()
    rng = rng or random.Random()
    token, rows = deliveries_claim(now=clock(), limit=limit, lease=policy.lease)
    for delivery in rows:
        delivery_attempt(delivery=delivery, token=token, clock=clock, policy=policy, rng=rng)
    return len(rows)
