"""Subscribers endpoints: the workflow catalog, Novu subscribers and preferences (seed 002),
and the TeamUp customer notification preference face (seed 000).

Views only parse, call a selector or a service, and serialize; the rules live in
subscribers/resolution.py and are reached through subscribers/selectors/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from customers.models import Customer
from customers.services import customer_delete
from customers.views import CustomerNamedMixin
from prefcenter.exceptions import PrefCenterError, Unchangeable, novu_error_body
from prefcenter.ids import row_id
from prefcenter.selection import query_values
from prefcenter.views import PrefCenterAPIView, PrefCenterViewSet, RetrieveMixin
from subscribers.models import Workflow
from subscribers.novu import CURSOR_PATTERN
from subscribers.resolution import NOT_CAPABLE_MESSAGES, NOT_TOGGLEABLE_MESSAGES
from subscribers.selectors.resolutions import (
    CustomerResolution,
    ResolvedWorkflow,
    customer_resolution_one,
    customer_resolutions,
)
from subscribers.selectors.schedule import customer_schedule
from subscribers.selectors.search import SEARCH_LIMIT_MAX, subscriber_get, subscriber_search
from subscribers.selectors.workflows import (
    workflow_filter,
    workflow_get,
    workflow_list,
    workflow_matches,
    workflow_search,
    workflows_by_ref,
)
from subscribers.serializers.preferences import (
    BulkPreferenceResultSerializer,
    BulkPreferencesSerializer,
    PreferencesPatchSerializer,
    SubscriberPreferencesSerializer,
)
from subscribers.serializers.schedule import CustomerScheduleInputSerializer, CustomerScheduleSerializer
from subscribers.serializers.subscriber import (
    CreateQuerySerializer,
    PreferencesQuerySerializer,
    SubscriberDeletedSerializer,
    SubscriberListSerializer,
    SubscriberSearchSerializer,
    SubscriberSerializer,
    SubscriberWriteSerializer,
    subscriber_schedule,
)
from subscribers.serializers.teamup import (
    FACE_CHANNELS,
    NotificationPreferencePatchSerializer,
    NotificationPreferenceSerializer,
    effective,
)
from subscribers.serializers.workflows import (
    MAX_OFFSET,
    WorkflowListItemSerializer,
    WorkflowListQuerySerializer,
    WorkflowListSerializer,
    WorkflowSerializer,
    WorkflowWriteSerializer,
    is_critical,
)
from subscribers.services import (
    PreferenceChange,
    SubscriberExists,
    customer_schedule_set,
    subscriber_schedule_set,
    subscriber_update,
    subscriber_upsert,
    workflow_create,
    workflow_delete,
    workflow_preference_update,
    workflow_preferences_bulk_update,
    workflow_update,
)

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


# ----------------------------------------------------------------------------- Novu subscribers


class SubscriberMixin(CustomerNamedMixin):
    """The path's `{subscriberId}` as the tenant's customer; customer mode reaches only itself (404 otherwise)."""

    def get_subscriber(self) -> Customer:
        external_id = self.kwargs["subscriberId"]
        self.check_customer_access(external_id)
        return subscriber_get(tenant=self.tenant, external_id=external_id)


BLANK_OR_TEXT = {"pattern": r"^$|\S"}
SEARCH_PARAMETERS = [  # SubscriberSearchSerializer reads them
    OpenApiParameter("after", {"type": "string", "pattern": CURSOR_PATTERN},
                     description="Cursor: the page after this subscriber `_id`."),
    OpenApiParameter("before", {"type": "string", "pattern": CURSOR_PATTERN},
                     description="Cursor: the page before this subscriber `_id` (ignored when `after` is given)."),
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": SEARCH_LIMIT_MAX},
                     description="Page size, 1 to 100 (default 10)."),
    OpenApiParameter("orderDirection", OpenApiTypes.STR, enum=["ASC", "DESC"], description="Default DESC."),
    OpenApiParameter("orderBy", OpenApiTypes.STR, enum=["createdAt", "_id"], description="Default createdAt."),
    OpenApiParameter("includeCursor", OpenApiTypes.BOOL, description="Accepted; next/previous are always cursors."),
    # The text filters: empty is as if absent (DRF), only white space is trimmed and refused (400).
    OpenApiParameter("email", {"type": "string", "maxLength": 254, **BLANK_OR_TEXT},
                     description="Email contains (case-insensitive)."),
    OpenApiParameter("phone", {"type": "string", "maxLength": 20, **BLANK_OR_TEXT}, description="Phone contains."),
    OpenApiParameter("name", {"type": "string", "maxLength": 301, **BLANK_OR_TEXT},
                     description="First, last or full name contains (case-insensitive)."),
    OpenApiParameter("subscriberId", {"type": "string", "maxLength": 255, **BLANK_OR_TEXT},
                     description="Exactly this subscriberId."),
]


class SubscriberViewSet(SubscriberMixin, PrefCenterViewSet):
    """`/v2/subscribers`: a subscriber is a customer; `subscriberId` is its external id (Novu's DTOs)."""

    queryset = Customer.objects.select_related("tenant", "subscriber_profile")
    serializer_class = SubscriberSerializer
    lookup_url_kwarg = "subscriberId"
    lookup_value_regex = "[^/]+"
    customer_field = "external_id"
    read_scope = "subscribers:read"
    write_scope = "subscribers:write"
    provider_only_actions = ("create", "destroy", "list")
    pagination_class = None
    filter_backends: list = []
    list_envelope = True  # the list answers Novu's {data, next, previous, totalCount, totalCountCapped}

    @extend_schema(parameters=SEARCH_PARAMETERS, responses={200: SubscriberListSerializer})
    def list(self, request, *args: Any, **kwargs: Any) -> Response:
        params = self.validated(SubscriberSearchSerializer, data=request.query_params)
        page = subscriber_search(queryset=self.get_queryset(), **params)
        return Response({
            "data": self.serialize(page.items, many=True),
            "next": page.next,
            "previous": page.previous,
            "totalCount": page.total_count,
            "totalCountCapped": False,
        })

    @extend_schema(
        parameters=[OpenApiParameter("failIfExists", OpenApiTypes.BOOL,
                                     description="true: an existing subscriberId is a 409 instead of an update.")],
        request=SubscriberWriteSerializer,
        responses={201: SubscriberSerializer, 409: SubscriberSerializer},
    )
    def create(self, request, *args: Any, **kwargs: Any) -> Response:
        serializer = SubscriberWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.customer_fields()
        external_id = fields.pop("external_id")
        try:
            customer, _ = subscriber_upsert(
                tenant=self.tenant, actor=self.actor, external_id=external_id,
                fail_if_exists=self.validated(CreateQuerySerializer, data=request.query_params)["failIfExists"],
                customer_fields=fields, profile_fields=serializer.profile_fields(),
            )
        except SubscriberExists as exc:
            # Novu answers the existing subscriber with the 409 (its SDK reads it as SubscriberResponseDto).
            body = {**novu_error_body(status=409, message=exc.message, path=request.path, code=exc.code),
                    **self.serialize(exc.customer)}
            return Response(body, status=HTTPStatus.CONFLICT)
        return self.respond(customer, HTTPStatus.CREATED)

    def retrieve(self, request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(self.get_subscriber())

    @extend_schema(request=SubscriberWriteSerializer, responses={200: SubscriberSerializer})
    def partial_update(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_subscriber()
        serializer = SubscriberWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            customer = subscriber_update(
                customer=customer, actor=self.actor, customer_fields=serializer.customer_fields(),
                profile_fields=serializer.profile_fields(),
            )
        except Unchangeable as exc:  # the service's refusal, in Novu's words
            raise PrefCenterError(
                "subscriberId cannot be changed.", errors={"subscriberId": ["Must equal the subscriberId in the path."]}
            ) from exc
        return self.respond(customer)

    @extend_schema(responses={200: SubscriberDeletedSerializer})
    def destroy(self, request, *args: Any, **kwargs: Any) -> Response:
        customer_delete(customer=self.get_subscriber(), actor=self.actor)
        return Response({"acknowledged": True, "status": "deleted"})


# ----------------------------------------------------------------------------- Novu preferences


CRITICALITY_PARAMETER = OpenApiParameter(
    "criticality", OpenApiTypes.STR, enum=["critical", "nonCritical", "all"],
    description="Which workflows: nonCritical (Novu's SDK default), critical (readOnly: critical workflows and "
    "those of a mandatory category) or all. Absent: all.",
)


class SubscriberPreferencesView(SubscriberMixin, PrefCenterAPIView):
    """`GET`/`PATCH /v2/subscribers/{subscriberId}/preferences` (seed 002), effective values.

    GET filters with `tags` (any of them), `category` (a messaging category key) and Novu's
    `criticality`. PATCH `{channels?, workflowId?, schedule?}`: without workflowId the global
    preferences change; only the channels sent change; `schedule` (global only) is stored and
    answered in `global.schedule`; the answer is the GET shape, unfiltered.
    """

    serializer_class = SubscriberPreferencesSerializer
    read_scope = "subscribers:read"
    write_scope = "subscribers:write"

    def respond_preferences(self, customer: Customer, resolution: CustomerResolution) -> Response:
        serializer = SubscriberPreferencesSerializer(
            resolution, fields_tree=self.fields_tree, expand_tree=self.expand_tree,
            context={**self.get_serializer_context(), "schedule": subscriber_schedule(customer)},
        )
        return Response(serializer.data)

    def resolution(self, customer: Customer, *, filtered: bool) -> CustomerResolution:
        resolution = customer_resolutions(tenant=self.tenant, customer=customer)
        if filtered:
            filters = _filters(self.request)
            criticality = self.validated(PreferencesQuerySerializer, data=self.request.query_params)["criticality"]
            workflows = [
                item for item in resolution.workflows
                if workflow_matches(item.workflow, **filters)
                and criticality in ("all", "critical" if is_critical(item.workflow) else "nonCritical")
            ]
            resolution = dataclasses.replace(resolution, workflows=workflows)
        return resolution

    @extend_schema(parameters=[*FILTER_PARAMETERS, CRITICALITY_PARAMETER],
                   responses={200: SubscriberPreferencesSerializer})
    def get(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_subscriber()
        return self.respond_preferences(customer, self.resolution(customer, filtered=True))

    @extend_schema(
        request=PreferencesPatchSerializer,
        responses={200: SubscriberPreferencesSerializer},
        summary="Update subscriber preferences",
        description="Update subscriber preferences by its unique key identifier subscriberId. workflowId is "
        "optional field, if provided, this API will update that workflow preference, otherwise it will update "
        "global preferences",
    )
    def patch(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_subscriber()
        data = self.validated(PreferencesPatchSerializer)
        workflow = None
        if "workflowId" in data:
            workflow = workflow_get(tenant=self.tenant, ref=data["workflowId"], allow_id=True, allow_novu_id=True)
        with transaction.atomic():
            if "channels" in data:
                workflow_preference_update(
                    tenant=self.tenant, customer=customer, workflow=workflow, channels=data["channels"],
                    actor=self.actor,
                )
            if "schedule" in data:
                subscriber_schedule_set(customer=customer, actor=self.actor, schedule=data["schedule"])
                customer = self.get_subscriber()
        return self.respond_preferences(customer, self.resolution(customer, filtered=False))


class SubscriberPreferencesBulkView(SubscriberMixin, PrefCenterAPIView):
    """`PATCH /v2/subscribers/{subscriberId}/preferences/bulk`: `{preferences: [{channels, workflowId}]}`,
    up to 100 items, all or nothing; answers Novu's array: one preference item per workflow named."""

    serializer_class = BulkPreferenceResultSerializer
    write_scope = "subscribers:write"
    queryset = Customer.objects.none()  # for the schema generator only

    @extend_schema(request=BulkPreferencesSerializer, responses={200: BulkPreferenceResultSerializer(many=True)})
    def patch(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_subscriber()
        items = self.validated(BulkPreferencesSerializer)["preferences"]
        found = workflows_by_ref(
            tenant=self.tenant, refs=[item["workflowId"] for item in items], allow_id=True, allow_novu_id=True
        )
        missing = {
            f"preferences.{index}.workflowId": [f"No workflow '{item['workflowId']}' in this tenant."]
            for index, item in enumerate(items)
            if item["workflowId"] not in found
        }
        if missing:
            raise PrefCenterError(
                "Unknown workflows: nothing was changed.", code="not_found", status=404, errors=missing
            )
        changes = [PreferenceChange(workflow=found[item["workflowId"]], values=item["channels"]) for item in items]
        workflow_preferences_bulk_update(tenant=self.tenant, customer=customer, changes=changes, actor=self.actor)
        resolution = customer_resolutions(tenant=self.tenant, customer=customer)
        by_pk = {item.workflow.pk: item for item in resolution.workflows}
        return Response(self.serialize([by_pk[change.workflow.pk] for change in changes], many=True))


# ----------------------------------------------------------------------------- TeamUp face (seed 000)


class NotificationPreferenceMixin:
    """The path's customer `{id}` (integer) in the tenant; customer mode reaches only itself (404 otherwise)."""

    serializer_class = NotificationPreferenceSerializer
    read_scope = "subscribers:read"
    write_scope = "subscribers:write"

    def get_customer(self) -> Customer:
        pk = row_id(self.kwargs["id"])
        customer = Customer.objects.filter(tenant=self.tenant, pk=pk).first() if pk is not None else None
        if customer is None:
            raise PrefCenterError("Customer not found.", code="not_found", status=404)
        self.check_customer_access(customer.external_id)
        return customer


class NotificationPreferenceListView(NotificationPreferenceMixin, PrefCenterAPIView):
    """`GET /api/v2/customers/{id}/notification_preferences`: one entry per workflow of the tenant, paginated."""

    queryset = Workflow.objects.none()  # for the schema generator only; the rows come from the selectors

    @extend_schema(responses={200: NotificationPreferenceSerializer(many=True)})
    def get(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        page = self.paginate_queryset(workflow_list(tenant=self.tenant))
        items = customer_resolutions(tenant=self.tenant, customer=customer, workflows=page).workflows
        return self.get_paginated_response(self.serialize(items, many=True))


class NotificationPreferenceDetailView(NotificationPreferenceMixin, PrefCenterAPIView):
    """`GET`/`PATCH /api/v2/customers/{id}/notification_preferences/{notification_preference_id}` (`^\\d+$`).

    PATCH `{sms_enabled?, email_enabled?}` stores the customer's choice on the workflow
    preference. Turning on a channel that is not capable (for SMS: the workflow uses SMS,
    a phone number, no SMS opt-out) or changing one that is not toggleable (critical,
    mandatory category, channel not used) is a 400 saying why; sending a non-toggleable
    channel's current value is accepted and changes nothing.
    """

    def get_item(self, customer: Customer) -> ResolvedWorkflow:
        pk = row_id(self.kwargs["notification_preference_id"])
        workflow = workflow_list(tenant=self.tenant).filter(pk=pk).first() if pk is not None else None
        if workflow is None:
            raise PrefCenterError("Notification preference not found.", code="not_found", status=404)
        return customer_resolution_one(tenant=self.tenant, customer=customer, workflow=workflow)

    @extend_schema(responses={200: NotificationPreferenceSerializer})
    def get(self, request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(self.get_item(self.get_customer()))

    @extend_schema(request=NotificationPreferencePatchSerializer, responses={200: NotificationPreferenceSerializer})
    def patch(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        item = self.get_item(customer)
        data = self.validated(NotificationPreferencePatchSerializer)
        channels = self.channel_changes(item, data)
        if channels:
            workflow_preference_update(
                tenant=self.tenant, customer=customer, workflow=item.workflow, channels=channels, actor=self.actor
            )
            item = customer_resolution_one(tenant=self.tenant, customer=customer, workflow=item.workflow)
        return self.respond(item)

    @staticmethod
    def channel_changes(item: ResolvedWorkflow, data: dict[str, bool]) -> dict[str, bool]:
        """The channel values to store, or a 400 naming every refused field and why."""
        errors: dict[str, list[str]] = {}
        channels: dict[str, bool] = {}
        capabilities, toggles = item.capabilities, item.toggleability
        for channel in FACE_CHANNELS:
            name = f"{channel}_enabled"
            if name not in data:
                continue
            wanted = data[name]
            current = effective(item, channel)
            if wanted and not capabilities[channel].capable:
                reasons = " ".join(NOT_CAPABLE_MESSAGES[r] for r in capabilities[channel].reasons)
                errors[name] = [f"{channel.upper() if channel == 'sms' else 'Email'} is not capable: {reasons}"]
            elif not toggles[channel].toggleable:
                if wanted != current:
                    errors[name] = [f"Not toggleable: {NOT_TOGGLEABLE_MESSAGES[toggles[channel].reason or '']}"]
            else:
                channels[channel] = wanted
        if errors:
            raise PrefCenterError(
                "Invalid input: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
                code="not_changeable",
                errors=errors,
            )
        return channels


# -- the customer schedule resource ---------------------------------------------------


class CustomerScheduleView(CustomerNamedMixin, PrefCenterAPIView):
    """`GET/PUT /v1/customers/{external_id}/schedule`: when the customer accepts notifications (docs/schedules.md).

    The schedule is the one the Novu face reads and writes (`schedule`); PUT replaces it and the quiet
    hours together, with their ledger events; `timezone` and `channels` are read-only here.
    """

    read_scope = "customers:read"
    write_scope = "customers:write"
    serializer_class = CustomerScheduleInputSerializer
    output_serializer_class = CustomerScheduleSerializer

    @extend_schema(
        operation_id="customers_schedule_retrieve",
        responses={200: CustomerScheduleSerializer},
        summary="A customer's schedule and quiet hours",
    )
    def get(self, request, external_id: str) -> Response:
        customer = self.customer_named(external_id)
        return self.respond(customer_schedule(tenant=self.tenant, customer=customer))

    @extend_schema(
        operation_id="customers_schedule_update",
        request=CustomerScheduleInputSerializer,
        responses={200: CustomerScheduleSerializer},
        summary="Replace a customer's schedule and quiet hours",
        description="Both `schedule` (Novu's shape) and `quiet_hours` are required; null clears one. Times are "
        "local to the customer's zone (the tenant's default when they have none).",
    )
    def put(self, request, external_id: str) -> Response:
        customer = self.customer_named(external_id)
        data = self.validated()
        quiet = data["quiet_hours"]
        customer_schedule_set(
            customer=customer, actor=self.actor, schedule=data["schedule"],
            quiet_hours_start=quiet["start"] if quiet else None, quiet_hours_end=quiet["end"] if quiet else None,
        )
        return self.respond(customer_schedule(tenant=self.tenant, customer=customer))
