"""Writes to the workflow catalog and to workflow preferences.

Preference services lock the customer row first, so every preference write of one
customer serializes (no lost update, no duplicate row) on SQLite and PostgreSQL; they
write only what changes and record every changed value in the ledger in the same
transaction (subject `workflow:<identifier>`, or `workflow:*` for the global row).
Nothing changes → no save and no event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from customers.models import Customer
from customers.services import customer_create, customer_update
from messaging.models import Category
from prefcenter import ledger
from prefcenter.channels import CHANNELS
from prefcenter.exceptions import PrefCenterError, refuse_change
from prefcenter.ledger import Actor
from prefcenter.models import Tenant
from subscribers.models import SubscriberProfile, Workflow, WorkflowPreference

BULK_LIMIT = 100
WORKFLOW_FIELDS = (
    "name", "slug", "description", "category", "critical", "channels", "defaults", "tags", "translations",
    "steps", "active", "severity", "options",
)
PREFERENCE_FIELDS = ("enabled", *CHANNELS)

# -- the catalog ---------------------------------------------------------------------


def _workflow_conflict(workflow: Workflow) -> PrefCenterError:
    return PrefCenterError(
        f"A workflow with identifier '{workflow.identifier}' or slug '{workflow.slug}' already exists.",
        code="conflict",
        status=409,
        errors={"workflowId": ["The identifier and the slug must be unique in this tenant."]},
    )


def _check_category(tenant: Tenant, category: Category | None) -> None:
    if category is not None and category.tenant_id != tenant.pk:
        raise PrefCenterError("Category not found.", code="not_found", status=404, errors={"category": ["Unknown."]})


def _clean_workflow(workflow: Workflow) -> None:
    try:
        workflow.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise PrefCenterError(
            "Invalid workflow.", errors={key: list(value) for key, value in exc.message_dict.items()}
        ) from exc


def workflow_create(
    *,
    tenant: Tenant,
    actor: Actor,
    identifier: str,
    name: str,
    slug: str | None = None,
    description: str = "",
    category: Category | None = None,
    critical: bool = False,
    channels: Sequence[str] = (),
    defaults: Mapping[str, bool] | None = None,
    tags: Sequence[str] = (),
    translations: Mapping[str, Mapping[str, str]] | None = None,
    steps: Sequence[Mapping[str, Any]] = (),
    active: bool = True,
    severity: str = "none",
    options: Mapping[str, Any] | None = None,
) -> Workflow:
    """Add a workflow to the catalog; the slug defaults to the slugified identifier. Duplicates are a 409.

    Novu's `steps`, `active`, `severity` and `options` are stored as given (the caller derives
    `channels` from the steps).

    Catalog changes are not consent, so they leave no ledger event (`actor` is kept for symmetry and logs).
    """
    _check_category(tenant, category)
    workflow = Workflow(
        tenant=tenant,
        identifier=identifier,
        slug=slug or slugify(identifier) or identifier,
        name=name,
        description=description,
        category=category,
        critical=critical,
        channels=list(channels),
        defaults=dict(defaults or {}),
        tags=list(tags),
        translations=dict(translations or {}),
        steps=[dict(step) for step in steps],
        active=active,
        severity=severity,
        options=dict(options or {}),
    )
    _clean_workflow(workflow)
    try:
        with transaction.atomic():
            workflow.save()
    except IntegrityError as exc:
        raise _workflow_conflict(workflow) from exc
    return workflow


def workflow_update(*, workflow: Workflow, actor: Actor, **changes: Any) -> Workflow:
    """Change catalog fields (the identifier is permanent: ledger subjects name it). Unchanged → no save."""
    refuse_change(
        changes, "identifier", workflow.identifier, field="workflowId",
        message="workflowId cannot be changed: preferences and the consent ledger refer to it.",
    )
    unknown = set(changes) - set(WORKFLOW_FIELDS)
    if unknown:
        raise ValueError(f"workflow_update does not change {sorted(unknown)}")
    if "category" in changes:
        _check_category(workflow.tenant, changes["category"])
    with transaction.atomic():
        locked = (
            Workflow.objects.select_for_update(of=("self",)).select_related("category", "tenant").get(pk=workflow.pk)
        )
        changed = False
        for name, value in changes.items():
            if name == "category":
                if locked.category_id != (value.pk if value else None):
                    locked.category, changed = value, True
            elif getattr(locked, name) != value:
                setattr(locked, name, value)
                changed = True
        if not changed:
            return locked
        _clean_workflow(locked)
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError as exc:
            raise _workflow_conflict(locked) from exc
    return locked


def workflow_delete(*, workflow: Workflow, actor: Actor) -> None:
    """Remove a workflow and the choices customers made for it; the ledger records each removed choice."""
    with transaction.atomic():
        rows = list(
            WorkflowPreference.objects.filter(workflow=workflow).select_related("customer").select_for_update(of=("self",))
        )
        for row in rows:
            before = {name: getattr(row, name) for name in PREFERENCE_FIELDS if getattr(row, name) is not None}
            ledger.record(
                tenant=workflow.tenant,
                customer=row.customer,
                subject=f"workflow:{workflow.identifier}",
                changes={name: (value, None) for name, value in before.items()},
                actor=actor,
            )
        workflow.delete()


# -- preferences ---------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceChange:
    """What one item of a (bulk) update asks: the workflow (None = global) and the values to set.

    `values` maps `enabled` and channel names to true/false, or to None to reset that value
    to "inherit"; only the keys present change. A row left with every value unset is deleted
    (only explicit choices are stored).
    """

    workflow: Workflow | None
    values: Mapping[str, bool | None] = field(default_factory=dict)

    @classmethod
    def of(cls, workflow: Workflow | None, *, channels: Mapping[str, bool | None], enabled: bool | None = None):
        values = dict(channels)
        if enabled is not None:
            values["enabled"] = enabled
        return cls(workflow=workflow, values=values)


def _refuse_locked_workflow(workflow: Workflow | None, path: str) -> None:
    if workflow is None:
        return
    if workflow.critical:
        raise PrefCenterError(
            f"Workflow '{workflow.identifier}' is critical: it is always delivered and its preferences "
            "cannot be changed.",
            code="critical_workflow",
            errors={path: ["Critical workflows cannot be changed."]},
        )
    category = workflow.category if workflow.category_id else None
    if category is not None and category.mandatory:
        raise PrefCenterError(
            f"Workflow '{workflow.identifier}' belongs to the mandatory category '{category.key}': "
            "its preferences cannot be changed.",
            code="mandatory_category",
            errors={path: ["Workflows of a mandatory category cannot be changed."]},
        )


def _check_change(change: PreferenceChange, tenant: Tenant, prefix: str) -> None:
    unknown = sorted(set(change.values) - set(PREFERENCE_FIELDS))
    if unknown:
        raise PrefCenterError(
            f"Unknown channels: {', '.join(unknown)}. Known: {', '.join(CHANNELS)}.",
            errors={f"{prefix}channels.{name}": ["Unknown channel."] for name in unknown},
        )
    bad = sorted(name for name, value in change.values.items() if value is not None and not isinstance(value, bool))
    if bad:
        raise PrefCenterError(
            "Preference values must be true or false.",
            errors={f"{prefix}channels.{name}": ["Must be a boolean (true or false)."] for name in bad},
        )
    if change.workflow is not None and change.workflow.tenant_id != tenant.pk:
        raise PrefCenterError(
            "Workflow not found.", code="not_found", status=404, errors={f"{prefix}workflowId": ["Unknown."]}
        )
    _refuse_locked_workflow(change.workflow, f"{prefix}workflowId")


def _apply(
    *, tenant: Tenant, customer: Customer, changes: Sequence[PreferenceChange], actor: Actor
) -> list[WorkflowPreference]:
    workflow_ids = [c.workflow.pk if c.workflow else None for c in changes]
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk, tenant=tenant)
        existing = {
            row.workflow_id: row
            for row in WorkflowPreference.objects.filter(customer=locked).filter(
                _workflow_condition([w for w in workflow_ids if w is not None], None in workflow_ids)
            )
        }
        results = []
        to_create, to_update, to_delete, events = [], [], [], []
        for change in changes:
            key = change.workflow.pk if change.workflow else None
            row = existing.get(key) or WorkflowPreference(tenant=tenant, customer=locked, workflow=change.workflow)
            before = {name: getattr(row, name) for name in PREFERENCE_FIELDS}
            for name, value in change.values.items():
                setattr(row, name, value)
            after = {name: getattr(row, name) for name in PREFERENCE_FIELDS}
            diff = ledger.diff(before, after)
            if diff:
                if all(value is None for value in after.values()):
                    if row.pk:
                        to_delete.append(row.pk)
                else:
                    (to_update if row.pk else to_create).append(row)
                subject = f"workflow:{change.workflow.identifier}" if change.workflow else "workflow:*"
                events.append((subject, diff))
            results.append(row)
        if to_delete:
            WorkflowPreference.objects.filter(pk__in=to_delete).delete()
        if to_create:
            WorkflowPreference.objects.bulk_create(to_create)
        if to_update:
            now = timezone.now()
            for row in to_update:
                row.updated_at = now
            WorkflowPreference.objects.bulk_update(to_update, [*PREFERENCE_FIELDS, "updated_at"])
        for subject, diff in events:
            ledger.record(tenant=tenant, customer=locked, subject=subject, changes=diff, actor=actor)
    return results


def _workflow_condition(ids: list[int], include_global: bool) -> Q:
    condition = Q(workflow_id__in=ids)
    if include_global:
        condition |= Q(workflow__isnull=True)
    return condition


def workflow_preference_update(
    *,
    tenant: Tenant,
    customer: Customer,
    workflow: Workflow | None,
    enabled: bool | None = None,
    channels: Mapping[str, bool | None],
    actor: Actor,
) -> WorkflowPreference:
    """Set a customer's choices for one workflow (None = the global switch); only the channels sent change.

    A critical workflow, or one of a mandatory category, is a 400. When nothing changes
    nothing is written and the (possibly unsaved) row is returned as it stands.
    """
    change = PreferenceChange.of(workflow, channels=channels, enabled=enabled)
    _check_change(change, tenant, "")
    return _apply(tenant=tenant, customer=customer, changes=[change], actor=actor)[0]


def workflow_preferences_bulk_update(
    *, tenant: Tenant, customer: Customer, changes: Sequence[PreferenceChange], actor: Actor
) -> list[WorkflowPreference]:
    """Apply up to 100 changes, all or nothing: every item is checked before anything is written.

    A workflow named twice is a 400 (which of the two would win is not obvious to a caller).
    """
    if len(changes) > BULK_LIMIT:
        raise PrefCenterError(
            f"At most {BULK_LIMIT} preferences per bulk update; got {len(changes)}.",
            errors={"preferences": [f"Ensure this list has at most {BULK_LIMIT} items."]},
        )
    seen: dict[int | None, int] = {}
    for index, change in enumerate(changes):
        prefix = f"preferences.{index}."
        _check_change(change, tenant, prefix)
        key = change.workflow.pk if change.workflow else None
        if key in seen:
            raise PrefCenterError(
                "The same workflow appears twice in one bulk update.",
                errors={f"{prefix}workflowId": [f"Already given at preferences.{seen[key]}."]},
            )
        seen[key] = index
    if not changes:
        return []
    return _apply(tenant=tenant, customer=customer, changes=changes, actor=actor)


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
