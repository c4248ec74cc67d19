"""Writes to customers. Each service is atomic, validates with full_clean() and records
every consent-relevant change in the ledger in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from prefcenter import ledger, prepared
from prefcenter.exceptions import PrefCenterError, refuse_change
from prefcenter.ledger import Actor
from prefcenter.models import Tenant

# Fields whose changes the ledger records (consent and the contact points it depends on).
TRACKED_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "locale",
    "timezone",
    "email_opt_out",
    "sms_opt_out",
    "detail_url",
    "source_created_at",
)
SUBJECT = "customer"


def _snapshot(customer: Customer) -> dict[str, Any]:
    values = {field: getattr(customer, field) for field in TRACKED_FIELDS}
    if values["source_created_at"] is not None:
        values["source_created_at"] = values["source_created_at"].isoformat()
    return values


def _initial_values(customer: Customer) -> dict[str, tuple[Any, Any]]:
    """What a new customer starts with: the opt-outs always (they are consent), other fields only when given."""
    return {
        field: (None, value)
        for field, value in _snapshot(customer).items()
        if field in ("email_opt_out", "sms_opt_out") or value not in ("", None)
    }


def _stamp_opt_outs(customer: Customer, before: dict[str, Any]) -> None:
    """An opt-out's timestamp moves only when the flag itself changes."""
    now = timezone.now()
    if customer.email_opt_out != before.get("email_opt_out"):
        customer.email_opt_out_at = now
    if customer.sms_opt_out != before.get("sms_opt_out"):
        customer.sms_opt_out_at = now


def _conflict(external_id: str) -> PrefCenterError:
    return PrefCenterError(
        f"A customer with external id '{external_id}' already exists.",
        code="conflict",
        status=409,
        errors={"external_id": ["Already exists in this tenant."]},
    )


def customer_create(*, tenant: Tenant, actor: Actor, external_id: str, **fields: Any) -> Customer:
    """Create a customer; a duplicate external id (even a concurrent one) is a 409."""
    customer = Customer(tenant=tenant, external_id=external_id, **fields)
    if "email_opt_out" in fields or "sms_opt_out" in fields:
        # A flag that was given counts as set now; one left to its default keeps no timestamp.
        given = {key: None if key in fields else getattr(customer, key) for key in ("email_opt_out", "sms_opt_out")}
        _stamp_opt_outs(customer, given)
    customer.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            customer.save()
            ledger.record(
                tenant=tenant,
                customer=customer,
                subject=SUBJECT,
                changes={"created": (None, True), **_initial_values(customer)},
                actor=actor,
            )
    except IntegrityError as exc:
        raise _conflict(external_id) from exc
    return customer


def customer_update(*, customer: Customer, actor: Actor, locked: bool = False, **changes: Any) -> Customer:
    """Apply an incremental change; unchanged values write nothing (no row update, no event).

    The row is locked for the duration so concurrent updates serialize and each event's
    old value is the value the previous commit left. The external id names the customer in
    every face and in the ledger: sending the same one is no change, another is `Unchangeable` (400).
    `locked=True` says the caller read `customer` with `select_for_update()` in the transaction
    still open around this call (customers.selectors.customer_get(for_update=True)): it is used
    as read, not read again. Only the changed columns (and their timestamps) are written.
    """
    unknown = set(changes) - {*TRACKED_FIELDS, "external_id"}
    if unknown:
        raise ValueError(f"customer_update does not change {sorted(unknown)}")
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("customer_update(locked=True) must run in the transaction that locked the customer.")
    with transaction.atomic(savepoint=not locked):  # locked: the caller's transaction is this change's
        if not locked:
            customer = Customer.objects.select_for_update().select_related("tenant").get(pk=customer.pk)
        locked_customer = customer
        refuse_change(changes, "external_id", locked_customer.external_id)  # the stored id, not an edited copy
        before = _snapshot(locked_customer)
        for field, value in changes.items():
            setattr(locked_customer, field, value)
        after = _snapshot(locked_customer)
        changed = ledger.diff(before, after)
        if not changed:
            return locked_customer
        _stamp_opt_outs(locked_customer, before)
        # Only what changes is validated: stored values were valid when written, and an opt-out must never
        # be refused because of an unrelated stored value (a phone number from before a stricter rule).
        unchanged = [f.name for f in Customer._meta.concrete_fields if f.name not in changed]
        locked_customer.full_clean(exclude=unchanged, validate_unique=False, validate_constraints=False)
        stamps = [f"{name}_at" for name in ("email_opt_out", "sms_opt_out") if name in changed]
        prepared.update(locked_customer, [*changed, *stamps, "updated_at"])
        ledger.record(
            tenant=locked_customer.tenant, customer=locked_customer, subject=SUBJECT, changes=changed, actor=actor
        )
    return locked_customer


def customer_delete(*, customer: Customer, actor: Actor) -> None:
    """Delete a customer and their preferences; the ledger keeps their history and the deletion."""
    with transaction.atomic():
        ledger.record(
            tenant=customer.tenant, customer=customer, subject=SUBJECT, changes={"deleted": (False, True)}, actor=actor
        )
        customer.delete()


def customer_revoke_links(*, customer: Customer, actor: Actor) -> Customer:
    """Invalidate every self-service link and every customer JWT issued so far for this customer.

    Both carry the customer's link version (the links in their signed payload, the JWTs in
    their `ver` claim); raising it makes every earlier one a 401 / a revoked-link page. Links and
    tokens issued afterwards carry the new version and work. Customer-bound API keys are
    credentials of their own: revoke them one by one (ApiKey.revoked_at). The change is a
    ledger event in the same transaction.
    """
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        old = locked.link_version
        locked.link_version = old + 1
        locked.save(update_fields=["link_version", "updated_at"])
        ledger.record(
            tenant=customer.tenant,
            customer=locked,
            subject=SUBJECT,
            changes={"link_version": (old, old + 1)},
            actor=actor,
        )
    return locked
