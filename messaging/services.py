"""Writes to the category catalog and to category preferences.

Each service is atomic and validates before it writes. Preference changes record one
consent event per changed field (subject `category:<key>`, or `category:*` for the
global default) in the same transaction; a write that changes nothing saves nothing
and records nothing, which is what makes the messaging PUT idempotent.

Catalog changes are not consent (no customer chose anything), so they leave no consent
event; they are logged with their actor instead.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import PROTECT, ProtectedError, QuerySet

from customers.models import Customer
from messaging.models import CHANNEL_COLUMNS, DEFAULT_COLUMNS, PREFERENCE_COLUMNS, Category, CategoryPreference
from messaging.selectors import GLOBAL_CATEGORY
from prefcenter import ledger
from prefcenter import prepared as prepared_writes
from prefcenter.channels import DIGEST_OFF, DIGESTS
from prefcenter.exceptions import PrefCenterError, summarize
from prefcenter.ledger import Actor
from prefcenter.models import Tenant
from prefcenter.prepared import prepared

logger = logging.getLogger(__name__)

PREFERENCE_FIELDS = PREFERENCE_COLUMNS
CHANNEL_FIELDS = tuple(CHANNEL_COLUMNS.values())
CATEGORY_FIELDS = ("name", "description", "mandatory", *DEFAULT_COLUMNS.values(), "default_digest", "translations")


# ----------------------------------------------------------------------------- the catalog


def category_errors(category: Category, *, validate_model: bool = True) -> dict[str, list[str]]:
    """Why this category cannot be stored, as {field: [messages]} (empty when it can).

    Model validation (unless a form did it already) plus the catalog's own rules: the key
    "null" is reserved, and a mandatory category's defaults cannot opt anyone out.
    """
    errors: dict[str, list[str]] = {}
    if validate_model:
        try:
            category.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
        except DjangoValidationError as exc:
            errors.update(exc.message_dict)
    if category.key == GLOBAL_CATEGORY:
        errors.setdefault("key", []).append(f"'{GLOBAL_CATEGORY}' is reserved: it names the global default.")
    if category.mandatory:
        # A mandatory category cannot be opted out of, so a default that opts out would be a lie.
        for field in DEFAULT_COLUMNS.values():
            if getattr(category, field) is False:
                errors.setdefault(field, []).append("Must be true: the category is mandatory.")
        if category.default_digest == DIGEST_OFF:
            errors.setdefault("default_digest", []).append(
                "Cannot be 'off': the category is mandatory, and digest 'off' turns its email off."
            )
    return errors


def _raise_if_invalid(category: Category) -> None:
    errors = category_errors(category)
    if errors:
        raise PrefCenterError("Invalid category: " + summarize(errors), errors=errors)


def _duplicate_key(key: str) -> PrefCenterError:
    return PrefCenterError(
        f"A category with key '{key}' already exists.",
        code="conflict",
        status=409,
        errors={"key": ["Already exists in this tenant."]},
    )


def category_create(*, tenant: Tenant, key: str, name: str, actor: Actor | None = None, **fields: Any) -> Category:
    """Add a category to the tenant's catalog; a duplicate key (even a concurrent one) is a 409."""
    unknown = set(fields) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(f"category_create does not set {sorted(unknown)}")
    category = Category(tenant=tenant, key=key, name=name, **fields)
    _raise_if_invalid(category)
    if Category.objects.filter(tenant=tenant, key=key).exists():
        raise _duplicate_key(key)
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        raise _duplicate_key(key) from exc
    logger.info("category %s/%s created by %s", tenant.slug, key, actor.label if actor else "system")
    return category


def category_update(*, category: Category, actor: Actor | None = None, **changes: Any) -> Category:
    """Change a category's name, description, mandatory flag or defaults. The key never changes:
    consent events name the category by key, so renaming it would orphan its history.

    Making a category mandatory keeps customers' stored opt-outs (the ledger stays true to what
    they chose), but resolution ignores them while the category is mandatory.
    """
    if "key" in changes and changes["key"] != category.key:
        raise PrefCenterError(
            "A category's key cannot be changed.", errors={"key": ["Cannot be changed once set."]}
        )
    changes.pop("key", None)
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(f"category_update does not change {sorted(unknown)}")
    with transaction.atomic():
        locked = Category.objects.select_for_update().get(pk=category.pk)
        changed = [field for field, value in changes.items() if getattr(locked, field) != value]
        if not changed:
            return locked
        for field in changed:
            setattr(locked, field, changes[field])
        _raise_if_invalid(locked)
        locked.save(update_fields=[*changed, "updated_at"])
    logger.info("category %s updated by %s: %s", locked.key, actor.label if actor else "system", ", ".join(changed))
    return locked


def category_usage(category: Category) -> dict[str, int]:
    """How many rows of each protecting relation (preferences, workflows, …) refer to the category.

    One COUNT per relation, whatever the number of rows: cheaper than letting the deletion
    collector load every protected row only to refuse.
    """
    usage: dict[str, int] = {}
    for relation in Category._meta.related_objects:
        if getattr(relation, "on_delete", None) is not PROTECT:
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: category}).count()
        if count:
            model_meta = relation.related_model._meta
            usage[str(model_meta.verbose_name if count == 1 else model_meta.verbose_name_plural)] = count
    return usage


def _in_use(category: Category, usage: dict[str, int]) -> PrefCenterError:
    what = " and ".join(f"{count} {name}" for name, count in usage.items()) or "other records"
    return PrefCenterError(
        f"Category '{category.key}' cannot be deleted: it is still used by {what}. "
        "Delete or move them first (a customer's preference: DELETE /v1/messaging/preferences?category="
        f"{category.key} with Prefcenter-Customer naming them).",
        code="category_in_use",
        status=409,
        errors={"key": [f"In use by {what}."]},
    )


def category_delete(*, category: Category, actor: Actor | None = None) -> None:
    """Remove a category nobody refers to. In use by preferences or workflows: 409, nothing deleted.

    There is no cascade: deleting customers' choices as a side effect of a catalog edit
    would erase consent without the customer's say.
    """
    usage = category_usage(category)
    if usage:
        raise _in_use(category, usage)
    try:
        with transaction.atomic():
            category.delete()
    except ProtectedError as exc:  # a reference added since the count
        raise _in_use(category, category_usage(category)) from exc
    logger.info("category %s deleted by %s", category.key, actor.label if actor else "system")


# ----------------------------------------------------------------------------- preferences


def subject_for(category: Category | None) -> str:
    """The ledger subject of a category preference: `category:<key>`, or `category:*` for the global default."""
    return f"category:{category.key}" if category is not None else "category:*"


def category_preference_errors(
    *, category: Category | None, in_app_enabled: Any, email_enabled: Any, push_enabled: Any, digest: Any
) -> dict[str, list[str]]:
    """Why these values cannot be stored for this category, as {field: [messages]} (empty when they can).

    The one place for the rule that a mandatory category cannot be opted out of: no channel
    off, and no digest `off` (which turns email off). The global default is never mandatory.
    """
    errors: dict[str, list[str]] = {}
    switches = dict(zip(CHANNEL_FIELDS, (in_app_enabled, email_enabled, push_enabled), strict=True))
    for field, value in switches.items():
        if not isinstance(value, bool):
            errors.setdefault(field, []).append("Must be a boolean (true or false).")
    if digest not in DIGESTS:
        errors.setdefault("digest", []).append(f"'{digest}' is not one of: {', '.join(DIGESTS)}.")
    if category is not None and category.mandatory:
        for field, value in switches.items():
            if value is False:
                errors.setdefault(field, []).append(
                    f"Cannot be turned off: category '{category.key}' is mandatory."
                )
        if digest == DIGEST_OFF:
            errors.setdefault("digest", []).append(
                f"Cannot be 'off': category '{category.key}' is mandatory, and digest 'off' turns its email off."
            )
    return errors


def _check_tenant(*, tenant: Tenant, customer: Customer, category: Category | None) -> None:
    if customer.tenant_id != tenant.pk or (category is not None and category.tenant_id != tenant.pk):
        # Programming error, not user input: views resolve both within the request's tenant.
        raise ValueError("customer and category must belong to the tenant")


def _values(preference: CategoryPreference) -> dict[str, Any]:
    return {field: getattr(preference, field) for field in PREFERENCE_FIELDS}


@prepared
def _preference_row(customer_id: int, category_id: int | None) -> QuerySet[CategoryPreference]:
    """The customer's row for a category (None: the global default), locked: compiled once per connection."""
    rows = CategoryPreference.objects.select_for_update().filter(customer_id=customer_id).order_by()
    return (rows.filter(category__isnull=True) if category_id is None else rows.filter(category_id=category_id))[:1]


def _locked(customer: Customer, category: Category | None) -> CategoryPreference | None:
    found = _preference_row(customer.pk, category.pk if category is not None else None)
    preference = found[0] if found else None
    if preference is not None:
        preference.category = category  # already loaded: no query when callers read the key
    return preference


def category_preference_set(
    *,
    tenant: Tenant,
    customer: Customer,
    category: Category | None,
    in_app_enabled: bool,
    email_enabled: bool,
    push_enabled: bool,
    digest: str,
    actor: Actor,
    locked: bool = False,
) -> tuple[CategoryPreference, bool]:
    """Create or replace the customer's preference for a category (None = their global default).

    Returns the row and whether anything changed. Unchanged values write nothing: no save
    (so `updated_at` stays), no consent event. Race-safe: the customer row is locked first
    (`SELECT … FOR UPDATE`), so the writes of one customer's preferences serialize, as the
    workflow preference services do, and a row found missing cannot be inserted by another
    request before ours commits (every insert of a category preference is this service's).
    `locked=True` says the caller already read `customer` with `select_for_update()` in the
    transaction still open around this call (customers.selectors.customer_get(for_update=True)):
    it is not read again.
    """
    _check_tenant(tenant=tenant, customer=customer, category=category)
    values = {
        "in_app_enabled": in_app_enabled, "email_enabled": email_enabled,
        "push_enabled": push_enabled, "digest": digest,
    }
    errors = category_preference_errors(category=category, **values)
    if errors:
        message = (f"Category '{category.key}' is mandatory: its notifications cannot be turned off. "
                   if category is not None and category.mandatory else "Invalid preference: ")
        raise PrefCenterError(message + summarize(errors), errors=errors)
    subject = subject_for(category)
    if locked and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("category_preference_set(locked=True) must run in the transaction that locked the customer.")
    with transaction.atomic(savepoint=not locked):  # locked: the caller's transaction is this change's
        if not locked:
            Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk").first()
        preference = _locked(customer, category)
        if preference is None:
            if locked:  # every inserter holds the customer's lock: no concurrent insert, no savepoint needed
                [preference] = prepared_writes.insert(
                    [CategoryPreference(tenant=tenant, customer=customer, category=category, **values)]
                )
            else:
                try:
                    with transaction.atomic():
                        preference = CategoryPreference.objects.create(
                            tenant=tenant, customer=customer, category=category, **values
                        )
                except IntegrityError:
                    preference = _locked(customer, category)  # a row written bypassing this service won
                    if preference is None:
                        raise
                    return _change(preference, values, tenant=tenant, customer=customer, subject=subject,
                                   actor=actor)
            ledger.record(
                tenant=tenant, customer=customer, subject=subject,
                changes={field: (None, value) for field, value in values.items()}, actor=actor,
            )
            return preference, True
        return _change(preference, values, tenant=tenant, customer=customer, subject=subject, actor=actor)


def _change(
    preference: CategoryPreference, values: dict[str, Any], *, tenant: Tenant, customer: Customer, subject: str,
    actor: Actor,
) -> tuple[CategoryPreference, bool]:
    """Apply `values` to a locked existing row: only what differs is saved and recorded."""
    changes = ledger.diff(_values(preference), values)
    if not changes:
        return preference, False
    for field in changes:
        setattr(preference, field, values[field])
    prepared_writes.update(preference, [*changes, "updated_at"])
    ledger.record(tenant=tenant, customer=customer, subject=subject, changes=changes, actor=actor)
    return preference, True


def category_preference_clear(*, tenant: Tenant, customer: Customer, category: Category | None, actor: Actor) -> bool:
    """Delete the customer's preference for a category (None = their global default), back to inherited.

    Returns whether there was one. The ledger records each value going back to null (inherited).
    """
    _check_tenant(tenant=tenant, customer=customer, category=category)
    with transaction.atomic():
        preference = _locked(customer, category)
        if preference is None:
            return False
        ledger.record(
            tenant=tenant, customer=customer, subject=subject_for(category),
            changes={field: (value, None) for field, value in _values(preference).items()}, actor=actor,
        )
        preference.delete()
    return True
