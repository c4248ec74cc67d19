"""A tenant's workflow catalog, read once per change and shared by the requests of a process.

Resolving one customer against the whole catalog (the Novu GET and PATCH, the bulk PATCH,
the self-service page) needs every workflow of the tenant with its category, turned into
`WorkflowFacts`. Preference rows change all the time; the catalog rarely. So the catalog is
kept in process memory, keyed by the tenant's `catalog_revision`:

- Every save or delete of a `Workflow` or a `Category` gives its tenant a new random
  revision, in the same transaction (the receivers below, connected in
  `SubscribersConfig.ready`). A rolled-back change leaves the old revision in place.
- Every use reads the revision fresh from the database (one single-row query by primary
  key), so a change committed by any process is seen by the next request of every process:
  no cross-process invalidation, no time-to-live, never a stale answer. A random value,
  not a counter, so a revision never names two different catalogs (ids are reused after a
  rollback, e.g. between tests).
- Writes that bypass `save()`/`delete()` (`QuerySet.update()`, `bulk_create()`) bypass the
  receivers: call `catalog_changed(tenant)` after them (bench/seed.py does).

Decisions are memoized too. A customer with no explicit row for a workflow (nor for its
category) is decided from the customer's global layers alone, so every customer with the
same rule-relevant global layers (opt-outs, global switch row, messaging default, tenant
defaults) gets the same decisions for those workflows. The memo (`_shared_decisions` in
subscribers/selectors/) keeps the decisions of the most recently used keys per catalog;
most customers have no explicit choice at all, so a handful of keys answer most requests.

A catalog is loaded after its revision is read, so what is stored under a revision is at
least as new as that revision (committed rows only); a change committed in between is
stored under the older key, which no request reads once the new revision is visible.

What is cached is read-only. `CatalogEntry.workflow` is a `Workflow` instance (category
loaded) shared across requests, like Django's ContentType cache: read it, never modify or
save it; services load their own row to change one.

Bound: `CATALOGS` catalogs per process (one per tenant and revision, ~0.6 MB each at 200
workflows).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rest_framework import serializers

from messaging.models import Category
from prefcenter.channels import CHANNELS, MESSAGING_CHANNELS
from prefcenter.models import Tenant
from subscribers.models import Workflow
from subscribers.resolution import WorkflowFacts

CATALOGS = 32

# One field object for every workflow: DRF reads its settings (format, time zone) when it renders.
_DATETIME = serializers.DateTimeField()


def workflow_facts(workflow: Workflow, *, category_defaults: dict[int, dict] | None = None) -> WorkflowFacts:
    """The catalog facts of one workflow (its category must be loaded: select_related("category")).

    `category_defaults`, a dict kept across calls, shares one defaults mapping per category.
    """
    category: Category | None = workflow.category if workflow.category_id else None
    if category is not None and category_defaults is not None:
        defaults = category_defaults.get(category.pk)
        if defaults is None:
            defaults = category_defaults[category.pk] = _category_defaults(category)
    else:
        defaults = _category_defaults(category) if category else {}
    return WorkflowFacts(
        id=workflow.pk,
        identifier=workflow.identifier,
        channels=frozenset(c for c in (workflow.channels or []) if c in CHANNELS),
        critical=workflow.critical,
        defaults=dict(workflow.defaults or {}),
        category_key=category.key if category else None,
        category_mandatory=bool(category and category.mandatory),
        category_defaults=defaults,
        category_default_digest=category.default_digest if category else None,
    )


def _category_defaults(category: Category) -> dict:
    return category.channel_defaults()


def category_facts(category: Category) -> WorkflowFacts:
    """A category seen as the rules see it: a workflow of that category on the messaging channels
    (in_app, email, push) with no defaults of its own (catalog data only). What the page shows for
    a topic and what the dashboard counts per category."""
    return WorkflowFacts(
        identifier=f"category:{category.key}",
        channels=frozenset(MESSAGING_CHANNELS),
        category_key=category.key,
        category_mandatory=category.mandatory,
        category_defaults=category.channel_defaults(),
        category_default_digest=category.default_digest,
    )


@dataclass(frozen=True)
class CatalogEntry:
    """One workflow of the catalog: the row (read-only), its facts, and `updatedAt` as the API renders it."""

    workflow: Workflow
    facts: WorkflowFacts
    updated_at: str

    @classmethod
    def of(cls, workflow: Workflow, *, category_defaults: dict[int, dict] | None = None) -> CatalogEntry:
        return cls(
            workflow=workflow,
            facts=workflow_facts(workflow, category_defaults=category_defaults),
            updated_at=_DATETIME.to_representation(workflow.updated_at),
        )


@dataclass(frozen=True, eq=False)
class Catalog:
    """Every workflow of one tenant at one revision, in the catalog's order (by id). Hashed by identity."""

    tenant_id: int
    revision: uuid.UUID
    entries: tuple[CatalogEntry, ...]


def tenant_catalog(tenant: Tenant) -> Catalog:
    """The tenant's catalog at its current revision: 1 query, +1 the first time a process sees that revision."""
    revision = Tenant.objects.filter(pk=tenant.pk).values_list("catalog_revision", flat=True).first()
    return _catalog(tenant.pk, revision)


@lru_cache(maxsize=CATALOGS)
def _catalog(tenant_id: int, revision: uuid.UUID | None) -> Catalog:
    workflows = Workflow.objects.filter(tenant_id=tenant_id).select_related("category").order_by("id")
    category_defaults: dict[int, dict] = {}
    return Catalog(
        tenant_id=tenant_id,
        revision=revision,
        entries=tuple(CatalogEntry.of(w, category_defaults=category_defaults) for w in workflows),
    )


def catalog_changed(tenant: Tenant | int) -> None:
    """Give the tenant a new catalog revision (after writes that bypass the model's save/delete)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    revision = uuid.uuid4()
    Tenant.objects.filter(pk=tenant_id).update(catalog_revision=revision)
    if isinstance(tenant, Tenant):
        tenant.catalog_revision = revision


def _on_catalog_write(sender: type, instance: Workflow | Category, raw: bool = False, **kwargs: Any) -> None:
    if instance.tenant_id is None:
        return
    cached = instance._state.fields_cache.get("tenant")
    catalog_changed(cached if isinstance(cached, Tenant) else instance.tenant_id)


def connect() -> None:
    """Connect the receivers (SubscribersConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    for model in (Workflow, Category):
        post_save.connect(_on_catalog_write, sender=model, dispatch_uid=f"catalog_changed:{model._meta.label}")
        post_delete.connect(_on_catalog_write, sender=model, dispatch_uid=f"catalog_delete:{model._meta.label}")
