"""The workflow catalog (Novu /v2/workflows) and the workflow filter parameters other faces share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from prefcenter.exceptions import PrefCenterError
from prefcenter.selection import query_values
from prefcenter.views import PrefCenterViewSet, RetrieveMixin
from subscribers.models import Workflow
from subscribers.selectors.workflows import (
    workflow_filter,
    workflow_get,
    workflow_search,
)
from subscribers.serializers.workflows import (
    MAX_OFFSET,
    WorkflowListItemSerializer,
    WorkflowListQuerySerializer,
    WorkflowListSerializer,
    WorkflowSerializer,
    WorkflowWriteSerializer,
)
from subscribers.services.catalog import workflow_create, workflow_delete, workflow_update

FILTER_PARAMETERS = [
    OpenApiParameter("tags", OpenApiTypes.STR, many=True, explode=False,
                     description="Only workflows with at least one of these tags (comma-separated or repeated)."),
    OpenApiParameter("category", OpenApiTypes.STR, description="Only workflows of this messaging category key."),
]


def _filters(request) -> dict[str, Any]:
    tags = [t.strip() for value in query_values(request.query_params, "tags") for t in value.split(",") if t.strip()]
    category = request.query_params.get("category")
    return {"tags": tags, "category": category.strip() if category is not None else None}


# ----------------------------------------------------------------------------- the workflow catalog


@contextmanager
def novu_conflict_as_bad_request() -> Iterator[None]:
    """A workflowId or slug already taken is a 400 on Novu's workflow routes, as Novu answers it
    (its create use case raises a 400 ApiException): Novu's SDKs retry a 409 for up to an hour."""
    try:
        yield
    except PrefCenterError as exc:
        if exc.status_code != HTTPStatus.CONFLICT:
            raise
        raise PrefCenterError(exc.message, code=exc.code, status=HTTPStatus.BAD_REQUEST, errors=exc.errors) from exc


WORKFLOW_LIST_PARAMETERS = [
    *FILTER_PARAMETERS,
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 100},
                     description="Page size, 1 to 100 (default 10)."),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                     description="Workflows to skip (default 0)."),
    OpenApiParameter("orderDirection", OpenApiTypes.STR, enum=["ASC", "DESC"], description="Default DESC."),
    OpenApiParameter("orderBy", OpenApiTypes.STR, enum=["createdAt", "updatedAt", "name"],
                     description="Default createdAt."),
    OpenApiParameter("query", OpenApiTypes.STR, description="Name or workflowId contains (case-insensitive)."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["ACTIVE", "INACTIVE", "ERROR"],
                     description="ACTIVE: active workflows, INACTIVE: the others (none is in ERROR)."),
]


class WorkflowViewSet(RetrieveMixin, PrefCenterViewSet):
    """`/v2/workflows`: the tenant's workflow catalog in Novu's DTOs (provider mode; `catalog:write` for writes).

    `{workflowId}` in the path is the identifier, the slug or the `_id`.
    """

    queryset = Workflow.objects.select_related("category")
    serializer_class = WorkflowSerializer
    lookup_url_kwarg = "workflowId"
    lookup_value_regex = "[^/]+"
    read_scope = "subscribers:read"
    write_scope = "catalog:write"
    provider_only_actions = ("list", "retrieve", "create", "update", "partial_update", "destroy")
    filter_backends: list = []
    pagination_class = None
    list_envelope = True  # the list answers Novu's {workflows, totalCount}

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if hasattr(self, "request_context"):
            context["tenant"] = self.tenant
        return context

    def get_output_serializer_class(self):
        return WorkflowListItemSerializer if getattr(self, "action", None) == "list" else WorkflowSerializer

    def get_object(self) -> Workflow:
        return workflow_get(tenant=self.tenant, ref=self.kwargs["workflowId"], allow_novu_id=True)

    def filter_queryset(self, queryset):
        return workflow_filter(queryset, **_filters(self.request))

    @extend_schema(parameters=WORKFLOW_LIST_PARAMETERS, responses={200: WorkflowListSerializer})
    def list(self, request, *args: Any, **kwargs: Any) -> Response:
        params = self.validated(WorkflowListQuerySerializer, data=request.query_params)
        queryset = workflow_search(
            queryset=self.filter_queryset(self.get_queryset()), query=params.get("query"),
            status=params.get("status"), order_by=params["orderBy"], ascending=params["orderDirection"] == "ASC",
        )
        total = queryset.count()
        page = list(queryset[params["offset"] : params["offset"] + params["limit"]])
        return Response({"workflows": self.serialize(page, many=True), "totalCount": total})

    @extend_schema(request=WorkflowWriteSerializer, responses={201: WorkflowSerializer})
    def create(self, request, *args: Any, **kwargs: Any) -> Response:
        serializer = WorkflowWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with novu_conflict_as_bad_request():
            workflow = workflow_create(tenant=self.tenant, actor=self.actor, **serializer.to_service_kwargs())
        return self.respond(workflow, HTTPStatus.CREATED)

    @extend_schema(request=WorkflowWriteSerializer, responses={200: WorkflowSerializer},
                   description="Novu's update: `name` is required; the fields sent replace the stored ones.")
    def update(self, request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, replace=True)

    @extend_schema(request=WorkflowWriteSerializer, responses={200: WorkflowSerializer})
    def partial_update(self, request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, replace=False)

    def change(self, request, *, replace: bool) -> Response:
        workflow = self.get_object()
        data = request.data
        if replace and isinstance(data, dict):
            data = {"workflowId": workflow.identifier, **data}  # Novu's update names the workflow in the path
        serializer = WorkflowWriteSerializer(data=data, partial=not replace, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        changes = serializer.to_service_kwargs(current=workflow)
        with novu_conflict_as_bad_request():
            workflow = workflow_update(workflow=workflow, actor=self.actor, **changes)
        return self.respond(workflow)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args: Any, **kwargs: Any) -> Response:
        workflow_delete(workflow=self.get_object(), actor=self.actor)
        return Response(status=HTTPStatus.NO_CONTENT)


