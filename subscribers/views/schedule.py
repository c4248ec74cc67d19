"""The customer schedule resource: GET/PUT /v1/customers/{external_id}/schedule."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from customers.views import CustomerNamedMixin
from prefcenter.views import PrefCenterAPIView
from subscribers.selectors.schedule import customer_schedule
from subscribers.serializers.schedule import CustomerScheduleInputSerializer, CustomerScheduleSerializer
from subscribers.services.profiles import customer_schedule_set

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
