"""The consent ledger: who changed which consent value, from what to what, and how.

Services call `record()` inside their own `transaction.atomic()` block, so a change
and its events commit or roll back together. `Actor` carries the who/how/where of
the request down to the services without them reading the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction

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
    reverse) would make the ledger lie.
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
        ConsentEvent.objects.bulk_create(events)
    return events


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields whose value differs, as {field: (old, new)}."""
    return {key: (before.get(key), after[key]) for key in after if before.get(key) != after[key]}
