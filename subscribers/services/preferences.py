"""Writes to workflow preferences, one change or bulk: the customer row is locked first, every change
is in the ledger."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from prefcenter import ledger, prepared
from prefcenter.channels import CHANNELS
from prefcenter.exceptions import PrefCenterError
from prefcenter.ledger import Actor
from prefcenter.models import Tenant
from subscribers.models import Workflow, WorkflowPreference
from subscribers.services.catalog import PREFERENCE_FIELDS

BULK_LIMIT = 100


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
    *,
    tenant: Tenant,
    customer: Customer,
    changes: Sequence[PreferenceChange],
    actor: Actor,
    existing: Mapping[int | None, WorkflowPreference] | None = None,
) -> list[WorkflowPreference]:
    """`existing`: the caller locked the customer (`select_for_update`) in the transaction still open around
    this call and read the customer's rows after that (at least those of the changed workflows, keyed by
    workflow id, None for the global row): they are used as read, neither the customer nor they are read
    again, and no savepoint is taken (the caller's transaction is this change's)."""
    workflow_ids = [c.workflow.pk if c.workflow else None for c in changes]
    if existing is not None and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Rows given to a preference service must be read in the transaction that changes them.")
    with transaction.atomic(savepoint=existing is None):
        if existing is None:
            locked = Customer.objects.select_for_update().get(pk=customer.pk, tenant=tenant)
            existing = {
                row.workflow_id: row
                for row in WorkflowPreference.objects.filter(customer=locked).filter(
                    _workflow_condition([w for w in workflow_ids if w is not None], None in workflow_ids)
                )
            }
        else:
            locked = customer
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
            prepared.insert(to_create)
        if len(to_update) == 1:  # the common case: one plain UPDATE by key, compiled once per connection
            prepared.update(to_update[0], [*PREFERENCE_FIELDS, "updated_at"])
        elif to_update:
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
    existing: Mapping[int | None, WorkflowPreference] | None = None,
) -> WorkflowPreference:
    """Set a customer's choices for one workflow (None = the global switch); only the channels sent change.

    A critical workflow, or one of a mandatory category, is a 400. When nothing changes
    nothing is written and the (possibly unsaved) row is returned as it stands. `existing`:
    the customer's rows, read after locking the customer in the caller's open transaction
    (subscribers.selectors.layers.customer_rows(for_update=True)): not read again.
    """
    change = PreferenceChange.of(workflow, channels=channels, enabled=enabled)
    _check_change(change, tenant, "")
    return _apply(tenant=tenant, customer=customer, changes=[change], actor=actor, existing=existing)[0]


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


