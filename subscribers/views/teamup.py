"""The TeamUp customer notification preference face (seed 000)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from customers.models import Customer
from customers.selectors import customer_of_id
from prefcenter.exceptions import PrefCenterError
from prefcenter.ids import row_id
from prefcenter.views import PrefCenterAPIView
from subscribers.models import Workflow
from subscribers.resolution import NOT_CAPABLE_MESSAGES, NOT_TOGGLEABLE_MESSAGES
from subscribers.selectors.layers import CustomerRows, locked_customer_rows
from subscribers.selectors.resolutions import (
    ResolvedWorkflow,
    customer_resolution_one,
    customer_resolutions,
)
from subscribers.selectors.workflows import (
    workflow_list,
    workflow_of_id,
)
from subscribers.serializers.teamup import (
    FACE_CHANNELS,
    NotificationPreferencePatchSerializer,
    NotificationPreferenceSerializer,
    effective,
)
from subscribers.services.preferences import workflow_preference_update

# ----------------------------------------------------------------------------- TeamUp face (seed 000)


class NotificationPreferenceMixin:
    """The path's customer `{id}` (integer) in the tenant; customer mode reaches only itself (404 otherwise)."""

    serializer_class = NotificationPreferenceSerializer
    read_scope = "subscribers:read"
    write_scope = "subscribers:write"

    def get_customer(self, *, for_update: bool = False) -> Customer:
        """`for_update`: locked, for a write (in the caller's transaction): the customer is read once."""
        pk = row_id(self.kwargs["id"])
        found = customer_of_id(self.tenant.pk, pk, for_update=for_update) if pk is not None else []
        customer = found[0] if found else None
        if customer is None:
            raise PrefCenterError("Customer not found.", code="not_found", status=404)
        customer.tenant = self.tenant
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

    def get_workflow(self) -> Workflow:
        """The path's workflow id, from the tenant's catalog (read-only; no query in an API request)."""
        pk = row_id(self.kwargs["notification_preference_id"])
        workflow = workflow_of_id(tenant=self.tenant, pk=pk) if pk is not None else None
        if workflow is None:
            raise PrefCenterError("Notification preference not found.", code="not_found", status=404)
        return workflow

    @extend_schema(responses={200: NotificationPreferenceSerializer})
    def get(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        workflow = self.get_workflow()
        return self.respond(customer_resolution_one(tenant=self.tenant, customer=customer, workflow=workflow))

    @extend_schema(request=NotificationPreferencePatchSerializer, responses={200: NotificationPreferenceSerializer})
    def patch(self, request, *args: Any, **kwargs: Any) -> Response:
        # One transaction: the customer locked, the rows this workflow's resolution reads read once (and
        # locked), the change and its ledger event; the answer is resolved from those rows, not read again.
        with self.write_transaction():
            customer, workflow, rows = self.locked_rows()
            item = customer_resolution_one(tenant=self.tenant, customer=customer, workflow=workflow, rows=rows)
            data = self.validated(NotificationPreferencePatchSerializer)
            channels = self.channel_changes(item, data)
            if channels:
                rows.put([workflow_preference_update(
                    tenant=self.tenant, customer=customer, workflow=workflow, channels=channels, actor=self.actor,
                    existing=rows.workflows,
                )])
                item = customer_resolution_one(tenant=self.tenant, customer=customer, workflow=workflow, rows=rows)
        return self.respond(item)

    def locked_rows(self) -> tuple[Customer, Workflow, CustomerRows]:
        """The customer (locked), the workflow and the rows this workflow's resolution reads (the workflow
        preference rows locked), in 2 statements; a missing customer is the 404 before a missing workflow."""
        pk = row_id(self.kwargs["id"])
        workflow_pk = row_id(self.kwargs["notification_preference_id"])
        workflow = workflow_of_id(tenant=self.tenant, pk=workflow_pk) if workflow_pk is not None else None
        if pk is None or workflow is None:
            return self.get_customer(for_update=True), self.get_workflow(), CustomerRows({}, {})  # one 404 or the other
        found = locked_customer_rows(tenant=self.tenant, customer_pk=pk, workflow=workflow)
        if found is None:
            raise PrefCenterError("Customer not found.", code="not_found", status=404)
        customer, rows = found
        self.check_customer_access(customer.external_id)
        return customer, workflow, rows

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


