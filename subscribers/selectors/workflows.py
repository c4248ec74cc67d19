"""Reads of the workflow catalog: lists, lookups by reference, search and the tag/category filter."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from prefcenter.exceptions import PrefCenterError
from prefcenter.ids import row_id
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
    ids = [pk for ref in refs if allow_id and (pk := row_id(ref)) is not None]
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


def _matches(workflow_tags: Iterable[str] | None, category_key: str | None, *, tags: Iterable[str],
             category: str | None) -> bool:
    """The tag/category filter of the list endpoints, on plain values: any of `tags` (blanks ignored) is
    among the workflow's tags, and `category` (when given) is its category's key."""
    tags = [t for t in tags if t]
    if tags and not set(tags) & set(workflow_tags or []):
        return False
    return category is None or category_key == category


def workflow_matches(workflow: Workflow, *, tags: Iterable[str] = (), category: str | None = None) -> bool:
    """The filter on a loaded workflow (its category loaded): the Novu preferences GET."""
    category_key = workflow.category.key if workflow.category_id else None
    return _matches(workflow.tags, category_key, tags=tags, category=category)


def workflow_filter(
    queryset: QuerySet[Workflow], *, tags: Iterable[str] = (), category: str | None = None
) -> QuerySet[Workflow]:
    """The same filter on a queryset (the workflow list): one read of each workflow's tags and category key.

    Tags are a JSON list, which SQLite and PostgreSQL query differently; reading them is one
    query of two short columns whatever the backend.
    """
    tags = [t for t in tags if t]
    if not tags and category is None:
        return queryset
    rows = queryset.values_list("id", "tags", "category__key")
    return queryset.filter(pk__in=[pk for pk, own, key in rows if _matches(own, key, tags=tags, category=category)])
