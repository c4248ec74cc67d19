"""Novu subscribers: upsert and update of the profile, and their schedule and quiet hours (in the ledger)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from customers.models import Customer
from customers.services import customer_create, customer_update
from prefcenter import ledger
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.models import Tenant
from subscribers.models import SubscriberProfile

# -- Novu subscribers ------------------------------------------------------------------


class SubscriberExists(PrefCenterError):
    """`POST /v2/subscribers?failIfExists=true` for a subscriberId already taken (Novu: 409)."""

    def __init__(self, customer: Customer):
        super().__init__(
            f"Subscriber '{customer.external_id}' already exists.", code="conflict", status=409,
            errors={"subscriberId": ["Already exists in this tenant."]},
        )
        self.customer = customer


def _quiet_hours_value(profile: SubscriberProfile) -> dict[str, str] | None:
    """Quiet hours as the ledger and the API show them: {start, end} as HH:MM, or None."""
    start, end = profile.quiet_hours_start, profile.quiet_hours_end
    if start is None and end is None:
        return None
    return {"start": _hhmm(start), "end": _hhmm(end)}


def _hhmm(value: Any) -> str | None:
    return None if value is None else f"{value.hour:02d}:{value.minute:02d}"


def _profile_set(*, customer: Customer, actor: Actor, **fields: Any) -> None:
    """Store Novu's avatar/data/schedule and the quiet hours; a schedule or quiet-hours change is a
    preference change and goes to the ledger (subject `workflow:*`, fields `schedule`, `quiet_hours`)."""
    if not fields:
        return
    profile = SubscriberProfile.objects.select_for_update().filter(customer=customer).first()
    if profile is None:
        if all(value in (None, "") for value in fields.values()):
            return
        profile = SubscriberProfile(customer=customer)
    before_schedule = profile.schedule
    before_quiet = _quiet_hours_value(profile)
    changed = [name for name, value in fields.items() if getattr(profile, name) != value]
    if not changed:
        return
    for name in changed:
        setattr(profile, name, fields[name])
    try:
        profile.full_clean(exclude=["customer"])
    except DjangoValidationError as exc:
        raise PrefCenterError(
            "Invalid subscriber.", errors={key: list(value) for key, value in exc.message_dict.items()}
        ) from exc
    profile.save()
    changes: dict[str, tuple[Any, Any]] = {}
    if "schedule" in changed:
        changes["schedule"] = (before_schedule, profile.schedule)
    after_quiet = _quiet_hours_value(profile)
    if after_quiet != before_quiet:
        changes["quiet_hours"] = (before_quiet, after_quiet)
    if changes:
        ledger.record(tenant=customer.tenant, customer=customer, subject="workflow:*", changes=changes, actor=actor)


def subscriber_upsert(
    *,
    tenant: Tenant,
    actor: Actor,
    external_id: str,
    fail_if_exists: bool = False,
    customer_fields: Mapping[str, Any],
    profile_fields: Mapping[str, Any],
) -> tuple[Customer, bool]:
    """Novu's create: a new subscriberId creates the customer; an existing one is updated with the
    fields sent, unless `fail_if_exists` (then `SubscriberExists`, a 409). Answers (customer, created)."""
    with transaction.atomic():
        existing = Customer.objects.filter(tenant=tenant, external_id=external_id).first()
        created = existing is None
        if existing is None:
            try:
                customer = customer_create(tenant=tenant, actor=actor, external_id=external_id, **customer_fields)
            except PrefCenterError as exc:
                if exc.status_code != 409:
                    raise
                existing = Customer.objects.get(tenant=tenant, external_id=external_id)  # lost a race
                created = False
        if existing is not None:
            if fail_if_exists:
                raise SubscriberExists(existing)
            customer = customer_update(customer=existing, actor=actor, **customer_fields)
        _profile_set(customer=customer, actor=actor, **profile_fields)
    return customer, created


def subscriber_update(
    *, customer: Customer, actor: Actor, customer_fields: Mapping[str, Any], profile_fields: Mapping[str, Any]
) -> Customer:
    """Novu's patch: only the fields sent change; null clears one."""
    with transaction.atomic():
        customer = customer_update(customer=customer, actor=actor, **customer_fields)
        _profile_set(customer=customer, actor=actor, **profile_fields)
    return customer


def subscriber_schedule_set(*, customer: Customer, actor: Actor, schedule: Mapping[str, Any] | None) -> None:
    """Store the delivery schedule of the subscriber's global preferences (Novu `schedule`).

    Stored, answered and in the ledger; delivery evaluation reads it (subscribers/schedule.py).
    """
    with transaction.atomic():
        locked = Customer.objects.select_for_update().select_related("tenant").get(pk=customer.pk)
        _profile_set(customer=locked, actor=actor, schedule=dict(schedule) if schedule is not None else None)


def customer_schedule_set(
    *,
    customer: Customer,
    actor: Actor,
    schedule: Mapping[str, Any] | None,
    quiet_hours_start: time | None,
    quiet_hours_end: time | None,
) -> None:
    """Replace a customer's schedule (Novu's shape, None: none) and quiet hours (both local times, or
    both None), in one transaction with their ledger events. The same store as Novu's `schedule`."""
    if (quiet_hours_start is None) != (quiet_hours_end is None) or (
        quiet_hours_start is not None and quiet_hours_start == quiet_hours_end
    ):
        raise PrefCenterError(
            "Quiet hours need a start and an end that differ.",
            errors={"quiet_hours": ["Give both start and end, and make them differ; or null for none."]},
        )
    with transaction.atomic():
        locked = Customer.objects.select_for_update().select_related("tenant").get(pk=customer.pk)
        _profile_set(
            customer=locked, actor=actor, schedule=dict(schedule) if schedule is not None else None,
            quiet_hours_start=quiet_hours_start, quiet_hours_end=quiet_hours_end,
        )
