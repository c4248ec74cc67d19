"""Reads of the workflow catalog: lists, lookups by reference, search and the tag/category filter."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from prefcenter.exceptions import PrefCenterError
from prefcenter.models import Tenant
from subscribers.models import Workflow
from subscribers.novu import pk_of_novu_id

# -- the catalog ---------------------------------------------------------------------


def workflow_list(*, tenant: Tenant) -> QuerySet[Workflow]:
    return Workflow.objects.filter(tenant=tenant).select_related("category")


def workflows_by_ref(
    *, tenant: Tenant, refs: Iterable[str], allow_id: bool = False, allow_novu_id: bool = False
) -> dict[str, Workflow]:
    """Workflows named by identifier, else slug, else (with `allow_id`) integer id, else (with
    `allow_novu_id`) Novu `_id`, in one query.

    Unknown refs are absent from the answer. An identifier wins over a slug, a slug over an id.
    """
    refs = [str(ref) for ref in refs]
    if not refs:
        return {}
    ids = [int(ref) for ref in refs if allow_id and ref.isdigit() and len(ref) < 19]
    novu_ids = {ref: pk for ref in refs if allow_novu_id and (pk := pk_of_novu_id(ref)) is not None}
    rows = list(
        workflow_list(tenant=tenant).filter(
            Q(identifier__in=refs) | Q(slug__in=refs) | Q(pk__in=[*ids, *novu_ids.values()])
        )
    )
    by_identifier = {w.identifier: w for w in rows}
    by_slug = {w.slug: w for w in rows}
    by_id = {str(w.pk): w for w in rows} if allow_id else {}
    by_pk = {w.pk: w for w in rows}
    found = {}
    for ref in refs:
        workflow = by_identifier.get(ref) or by_slug.get(ref) or by_id.get(ref) or by_pk.get(novu_ids.get(ref))
        if workflow is not None:
            found[ref] = workflow
    return found


def workflow_find(
    *, tenant: Tenant, ref: str, allow_id: bool = False, allow_novu_id: bool = False
) -> Workflow | None:
    """A workflow by identifier, else slug, else (with `allow_id`) integer id, else (with
    `allow_novu_id`) Novu `_id`, in one query."""
    return workflows_by_ref(tenant=tenant, refs=[ref], allow_id=allow_id, allow_novu_id=allow_novu_id).get(str(ref))


def workflow_get(
    *, tenant: Tenant, ref: str, allow_id: bool = False, allow_novu_id: bool = False, field: str = "workflowId"
) -> Workflow:
    """The tenant's workflow by identifier or slug (or id, or Novu `_id`), or a 404 naming the field."""
    workflow = workflow_find(tenant=tenant, ref=ref, allow_id=allow_id, allow_novu_id=allow_novu_id)
    if workflow is None:
        raise PrefCenterError(
            f"Workflow '{ref}' not found.", code="not_found", status=404,
            errors={field: [f"No workflow with identifier or slug '{ref}' in this tenant."]},
        )
    return workflow


WORKFLOW_ORDER = {"createdAt": "created_at", "updatedAt": "updated_at", "name": "name"}


def workflow_search(
    *, queryset: QuerySet[Workflow], query: str | None = None, status: str | None = None,
    order_by: str = "createdAt", ascending: bool = False,
) -> QuerySet[Workflow]:
    """Novu's workflow list filters: `query` in the name or workflowId, `status` from `active`
    (ERROR matches none: prefcenter's workflows have no runtime issues); ordered, ties by key."""
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(identifier__icontains=query))
    if status == "ACTIVE":
        queryset = queryset.filter(active=True)
    elif status == "INACTIVE":
        queryset = queryset.filter(active=False)
    elif status == "ERROR":
        queryset = queryset.none()
    field = WORKFLOW_ORDER[order_by]
    return queryset.order_by(field, "pk") if ascending else queryset.order_by(f"-{field}", "-pk")


def workflow_matches(workflow: Workflow, *, tags: Iterable[str] = (), category: str | None = None) -> bool:
    """Filter used by list endpoints: every tag in `tags` (any of them matches) and the category key."""
    tags = [t for t in tags if t]
    if tags and not set(tags) & set(workflow.tags or []):
        return False
    return not (category is not None and (workflow.category.key if workflow.category_id else None) != category)


