"""Customer endpoints: the Reach resource face and the TeamUp customer profile face."""

from __future__ import annotations

import uuid
from http import HTTPStatus
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from customers.filters import CustomerFilterSet
from customers.models import Customer
from customers.selectors import customer_get
from customers.serializers import (
    REACH_FIELDS,
    CustomerSerializer,
    CustomerWriteSerializer,
    ReachCustomerCreateRequestSerializer,
    ReachCustomerRequestSerializer,
    ReachCustomerResourceSerializer,
    ReachEnvelopeSerializer,
)
from customers.services import customer_create, customer_delete, customer_update
from prefcenter.exceptions import PrefCenterError, Unchangeable
from prefcenter.views import ListMixin, PrefCenterViewSet, RetrieveMixin

IGNORE_UNKNOWN = OpenApiParameter(
    "ignoreUnknownFields",
    bool,
    description="Whether to allow extra fields that are not defined in the schema. If true, extra fields will be "
    "accepted but not saved. If false, requests with extra fields will be rejected.",
    default=False,
)


def parse_ignore_unknown(raw: str | None) -> bool:
    if raw is None or raw.strip().lower() in ("", "null", "false", "0"):
        return False
    if raw.strip().lower() in ("true", "1"):
        return True
    raise PrefCenterError(
        "ignoreUnknownFields must be true or false.", errors={"ignoreUnknownFields": ["Must be true or false."]}
    )


class CustomerNamedMixin:
    """For views on PrefCenterViewMixin whose path names a customer by external id."""

    def customer_named(self, external_id: str) -> Customer:
        """The tenant's customer; customer mode reaches only itself (any other is a 404, like a missing one)."""
        self.check_customer_access(external_id)
        return customer_get(tenant=self.tenant, external_id=external_id)


class ReachCustomerViewSet(CustomerNamedMixin, PrefCenterViewSet):
    """Reach customer resources: `{data:{…}}` in, `{success, message, data:{result, included}}` out.

    `fields` selects within the resource (`fields=id,data.email`); `included` is always
    empty because a customer resource has no related resources to include.
    """

    queryset = Customer.objects.select_related("tenant")
    serializer_class = ReachCustomerResourceSerializer
    lookup_field = "external_id"
    lookup_url_kwarg = "externalId"
    lookup_value_regex = "[^/]+"
    customer_field = "external_id"
    read_scope = "customers:read"
    write_scope = "customers:write"
    provider_only_actions = ("create", "destroy")
    pagination_class = None
    filter_backends: list = []

    def envelope(self, customer: Customer, message: str, status: int = HTTPStatus.OK) -> Response:
        body = {"success": True, "message": message, "data": {"result": self.serialize(customer), "included": []}}
        return Response(body, status=status)

    def body_data(self) -> dict[str, Any]:
        """The request's `data` object, with unknown fields refused or dropped per ignoreUnknownFields."""
        body = self.request.data
        if hasattr(body, "dict"):
            body = body.dict()
        if not isinstance(body, dict):
            raise PrefCenterError(
                "The request body must be an object with a 'data' object.", errors={"body": ["Must be an object."]}
            )
        ignore = parse_ignore_unknown(self.request.query_params.get("ignoreUnknownFields"))
        data = body.get("data")
        unknown = [key for key in body if key != "data"]
        if isinstance(data, dict):
            unknown += [f"data.{key}" for key in data if key not in REACH_FIELDS]
        if unknown and not ignore:
            raise PrefCenterError(
                f"Unknown fields: {', '.join(unknown)}. Set ignoreUnknownFields=true to accept and ignore them.",
                code="unknown_fields",
                errors={name: ["Unknown field."] for name in unknown},
            )
        if isinstance(data, dict):
            data = {key: value for key, value in data.items() if key in REACH_FIELDS}
        return {"data": data} if "data" in body else {}

    @extend_schema(
        request=ReachCustomerCreateRequestSerializer,
        responses={201: ReachEnvelopeSerializer},
        parameters=[IGNORE_UNKNOWN],
    )
    def create(self, request, *args: Any, **kwargs: Any) -> Response:
        validated = self.validated(ReachCustomerCreateRequestSerializer, data=self.body_data())["data"]
        fields = {REACH_FIELDS[name]: value for name, value in validated.items()}
        external_id = fields.pop("external_id")
        try:
            customer = customer_create(tenant=self.tenant, actor=self.actor, external_id=external_id, **fields)
        except PrefCenterError as exc:
            if exc.code != "conflict":
                raise
            # Name the field as the Reach caller sent it, not the model's name for it.
            errors = {"data.customerId": ["Already exists in this tenant."]}
            raise PrefCenterError(exc.message, code=exc.code, status=exc.status_code, errors=errors) from exc
        return self.envelope(customer, "Customer created successfully", HTTPStatus.CREATED)

    @extend_schema(responses={200: ReachEnvelopeSerializer})
    def retrieve(self, request, *args: Any, **kwargs: Any) -> Response:
        return self.envelope(self.get_customer(), "Customer retrieved successfully")

    @extend_schema(
        request=ReachCustomerRequestSerializer,
        responses={200: ReachEnvelopeSerializer},
        parameters=[IGNORE_UNKNOWN],
        summary="Patch Customer Resource",
        description=(
            "Updates a customer resource by its external ID. "
            "This is an incremental update, only provided fields will be updated."
        ),
    )
    def partial_update(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        validated = self.validated(ReachCustomerRequestSerializer, data=self.body_data())["data"]
        fields = {REACH_FIELDS[name]: value for name, value in validated.items()}
        try:
            customer = customer_update(customer=customer, actor=self.actor, **fields)
        except Unchangeable as exc:  # the service's refusal, in Reach's words
            raise PrefCenterError(
                "customerId does not match the externalId in the path; external ids cannot be changed.",
                errors={"data.customerId": ["Must equal the externalId in the path."]},
            ) from exc
        return self.envelope(customer, "Customer updated successfully")

    @extend_schema(responses={200: ReachEnvelopeSerializer})
    def destroy(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        body = {
            "success": True,
            "message": "Customer deleted successfully",
            "data": {"result": self.serialize(customer), "included": []},
        }
        customer_delete(customer=customer, actor=self.actor)
        return Response(body)

    def get_customer(self) -> Customer:
        return self.customer_named(self.kwargs["externalId"])


class CustomerViewSet(ListMixin, RetrieveMixin, PrefCenterViewSet):
    """TeamUp customer profiles: list with filters, create, retrieve, patch, delete."""

    queryset = Customer.objects.select_related("tenant")
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilterSet
    lookup_value_regex = r"\d+"
    customer_field = "external_id"
    read_scope = "customers:read"
    write_scope = "customers:write"
    provider_only_actions = ("create", "destroy")

    @extend_schema(request=CustomerWriteSerializer, responses={201: CustomerSerializer})
    def create(self, request, *args: Any, **kwargs: Any) -> Response:
        fields = dict(self.validated(CustomerWriteSerializer))
        external_id = fields.pop("external_id", None) or uuid.uuid4().hex
        customer = customer_create(tenant=self.tenant, actor=self.actor, external_id=external_id, **fields)
        return self.respond(customer, HTTPStatus.CREATED)

    @extend_schema(request=CustomerWriteSerializer, responses={200: CustomerSerializer})
    def partial_update(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_object()
        fields = dict(self.validated(CustomerWriteSerializer, partial=True))
        return self.respond(customer_update(customer=customer, actor=self.actor, **fields))

    @extend_schema(responses={204: None})
    def destroy(self, request, *args: Any, **kwargs: Any) -> Response:
        customer_delete(customer=self.get_object(), actor=self.actor)
        return Response(status=HTTPStatus.NO_CONTENT)
