"""Novu subscriber preferences (seed 002): one subscriber, and bulk."""

from __future__ import annotations

import dataclasses
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from customers.models import Customer
from prefcenter.exceptions import PrefCenterError
from prefcenter.views import PrefCenterAPIView
from subscribers.selectors.layers import CustomerRows, customer_rows
from subscribers.selectors.resolutions import (
    CustomerResolution,
    customer_resolutions,
)
from subscribers.selectors.workflows import (
    workflow_get,
    workflow_matches,
    workflows_by_ref,
)
from subscribers.serializers.preferences import (
    BulkPreferenceResultSerializer,
    BulkPreferencesSerializer,
    PreferencesPatchSerializer,
    SubscriberPreferencesSerializer,
)
from subscribers.serializers.subscriber import (
    PreferencesQuerySerializer,
    subscriber_schedule,
)
from subscribers.serializers.workflows import (
    is_critical,
)
from subscribers.services.preferences import (
    PreferenceChange,
    workflow_preference_update,
    workflow_preferences_bulk_update,
)
from subscribers.services.profiles import subscriber_schedule_set
from subscribers.views.subscriber import SubscriberMixin
from subscribers.views.workflows import (
    FILTER_PARAMETERS,
    _filters,
)

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

    def resolution(self, customer: Customer, *, filtered: bool, rows: CustomerRows | None = None) -> CustomerResolution:
        resolution = customer_resolutions(tenant=self.tenant, customer=customer, rows=rows)
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
        # One transaction: the customer locked, all its rows read once (the answer carries every workflow),
        # the change and its ledger event; the answer is resolved from those rows, not read again.
        with self.write_transaction():
            customer = self.get_subscriber(for_update=True)
            data = self.validated(PreferencesPatchSerializer)
            workflow = None
            if "workflowId" in data:
                workflow = workflow_get(tenant=self.tenant, ref=data["workflowId"], allow_id=True,
                                        allow_novu_id=True, from_catalog=True)
            rows = customer_rows(tenant=self.tenant, customer=customer, for_update=True)
            if "channels" in data:
                rows.put([workflow_preference_update(
                    tenant=self.tenant, customer=customer, workflow=workflow, channels=data["channels"],
                    actor=self.actor, existing=rows.workflows,
                )])
            if "schedule" in data:
                subscriber_schedule_set(customer=customer, actor=self.actor, schedule=data["schedule"])
                customer = self.get_subscriber()
        return self.respond_preferences(customer, self.resolution(customer, filtered=False, rows=rows))


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


