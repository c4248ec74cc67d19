"""Writes to the workflow catalog: create, update, delete (ledger-free: the catalog is not consent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from customers.models import Customer
from messaging.models import Category
from prefcenter import ledger
from prefcenter.channels import CHANNELS
from prefcenter.exceptions import PrefCenterError, refuse_change
from prefcenter.ledger import Actor
from prefcenter.models import Tenant
from subscribers.models import Workflow, WorkflowPreference

PREFERENCE_FIELDS = ("enabled", *CHANNELS)  # a workflow preference's values (ledger fields)
WORKFLOW_FIELDS = (
    "name", "slug", "description", "category", "critical", "channels", "defaults", "tags", "translations",
    "steps", "active", "severity", "options",
)

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
    _save_workflow(workflow)
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
        _save_workflow(locked)
    return locked


def _save_workflow(workflow: Workflow) -> None:
    """Validate and save (in a savepoint); a taken identifier or slug is the conflict error, not a 500."""
    _clean_workflow(workflow)
    try:
        with transaction.atomic():
            workflow.save()
    except IntegrityError as exc:
        raise _workflow_conflict(workflow) from exc


def workflow_delete(*, workflow: Workflow, actor: Actor) -> None:
    """Remove a workflow and the choices customers made for it; the ledger records each removed choice."""
    with transaction.atomic():
        # The customers first, in id order, as every writer of preference rows locks a customer before its rows
        # (subscribers.selectors.layers.locked_customer_rows reads the rows unlocked under that lock).
        list(Customer.objects.filter(workflow_preferences__workflow=workflow).order_by("pk")
             .select_for_update(of=("self",)).values_list("pk", flat=True))
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


