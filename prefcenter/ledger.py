"""The consent ledger: who changed which consent value, from what to what, and how.

Services call `record()` inside their own `transaction.atomic()` block, so a change
and its events commit or roll back together. `Actor` carries the who/how/where of
the request down to the services without them reading the request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any, Protocol

from django.db import transaction
from django.db.models import QuerySet

from prefcenter import prepared
from prefcenter.models import ConsentEvent, Tenant


class HasCustomerIdentity(Protocol):
    id: int
    external_id: str


@dataclass(frozen=True)
class Actor:
    """Who is making a change and through which door (api, admin, page, one_click, system)."""

    label: str
    source: str
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: Any, *, label: str, source: str) -> Actor:
        meta = getattr(request, "META", {})
        return cls(
            label=label[:300],
            source=source,
            request_id=getattr(request, "request_id", "") or "",
            ip=getattr(request, "client_ip", None) or meta.get("REMOTE_ADDR") or None,
            user_agent=(meta.get("HTTP_USER_AGENT") or "")[:512],
        )

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(label=label, source=ConsentEvent.SOURCE_SYSTEM)


# Callables run by record() with the events it has just written, inside the change's transaction:
# how apps above the foundation (webhooks' outbox) hear of every consent change without this module
# importing them. A listener that raises rolls the change back with it. Registered in AppConfig.ready().
LedgerListener = Callable[[list[ConsentEvent]], None]
listeners: list[LedgerListener] = []


def add_listener(listener: LedgerListener) -> None:
    """Register a listener once (idempotent, so a repeated ready() does not double it)."""
    if listener not in listeners:
        listeners.append(listener)


@dataclass(frozen=True)
class ErasedCustomer:
    """A customer being erased (GDPR Art. 17), as apps that keep copies of ledger data need it to forget them.

    The erasure service (compliance) rewrites the ledger and then hands this to every erasure
    listener, in the same transaction: each replaces `external_id` with `pseudonym` wherever its
    own rows hold it, rewrites actor labels copied from the ledger with `actor()` (the ledger's
    own rule), and removes any of `personal_values` (the external id and every email, phone and
    name the customer had) from free text. So every app forgets the person in its own tables,
    without the erasure service knowing them, and without this module importing the apps above.
    """

    tenant: Tenant
    external_id: str
    pseudonym: str
    redacted: str
    actor_aliases: Mapping[str, str]
    redact_actor_sources: tuple[str, ...]
    personal_values: tuple[str, ...] = ()

    def actor(self, label: str, source: str) -> str:
        """An actor label as the ledger's rewrite leaves it: redacted for `redact_actor_sources`, else aliased."""
        if source in self.redact_actor_sources:
            return self.redacted
        return self.actor_aliases.get(label, label)

    def scrub(self, text: str) -> str:
        """Free text (a receiver's error reply, say) with every personal value replaced by the marker."""
        for value in sorted(self.personal_values, key=len, reverse=True):
            if value and value in text:
                text = text.replace(value, self.redacted)
        return text


# Callables run by the erasure service with the ErasedCustomer, inside the erasure's transaction (webhooks'
# delivery rows; the foundation's bound API keys and stored replies). A listener that raises rolls the
# erasure back. Registered in AppConfig.ready().
ErasureListener = Callable[[ErasedCustomer], None]
erasure_listeners: list[ErasureListener] = []


def add_erasure_listener(listener: ErasureListener) -> None:
    """Register an erasure listener once (idempotent, like add_listener)."""
    if listener not in erasure_listeners:
        erasure_listeners.append(listener)


def erasure_announce(erased: ErasedCustomer) -> None:
    """Have every erasure listener forget the person; must run inside the erasure's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.erasure_announce() must run inside the erasure's transaction.")
    for listener in erasure_listeners:
        listener(erased)


def record(
    *,
    tenant: Tenant,
    customer: HasCustomerIdentity,
    subject: str,
    changes: Mapping[str, tuple[Any, Any]],
    actor: Actor,
) -> list[ConsentEvent]:
    """Append one event per changed field; unchanged fields leave no trace.

    Must run inside the caller's transaction: an event without its change (or the
    reverse) would make the ledger lie. The registered `listeners` see the events in the
    same transaction (one call per record(), so one change reaches them as one batch).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.record() must run inside the transaction that makes the change.")
    events = [
        ConsentEvent(
            tenant=tenant,
            customer_id=customer.id,
            customer_external_id=customer.external_id,
            subject=subject,
            field=field,
            old_value=old,
            new_value=new,
            actor=actor.label,
            source=actor.source,
            request_id=actor.request_id,
            ip=actor.ip,
            user_agent=actor.user_agent,
        )
        for field, (old, new) in changes.items()
        if old != new
    ]
    if events:
        prepared.insert(events)
        for listener in listeners:
            listener(events)
    return events


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields whose value differs, as {field: (old, new)}."""
    return {key: (before.get(key), after[key]) for key in after if before.get(key) != after[key]}


# The columns a ledger checksum covers: everything an auditor relies on, in this order.
CHECKSUM_FIELDS = (
    "id",
    "tenant_id",
    "customer_id",
    "customer_external_id",
    "subject",
    "field",
    "old_value",
    "new_value",
    "actor",
    "source",
    "request_id",
    "ip",
    "user_agent",
    "created_at",
)


def ledger_checksum(tenant: Tenant | None = None) -> tuple[int, str]:
    """(event count, sha256 hex) over the ledger in id order, for one tenant or all of them.

    Operators compare it before and after a backup, restore or migration: equal
    values mean every event survived with the same ids, values and timestamps.
    Each row is hashed as one canonical JSON line (sorted keys inside JSON values,
    timestamps in UTC ISO 8601), so the result does not depend on the database engine.
    """
    events = ConsentEvent.objects.all()
    if tenant is not None:
        events = events.filter(tenant=tenant)
    return events_checksum(events)


def events_checksum(events: QuerySet[ConsentEvent]) -> tuple[int, str]:
    """(count, sha256 hex) of any slice of the ledger, hashed exactly as `ledger_checksum` hashes rows
    (a consent export's checksum, docs/compliance.md, is this over the customer's events)."""
    digest = hashlib.sha256()
    count = 0
    for row in events.order_by("id").values_list(*CHECKSUM_FIELDS).iterator(chunk_size=2000):
        values = list(row)
        values[-1] = values[-1].astimezone(UTC).isoformat()
        digest.update(json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()
