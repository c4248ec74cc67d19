"""Novu subscribers (/v2/subscribers)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from customers.models import Customer
from customers.services import customer_delete
from customers.views import CustomerNamedMixin
from prefcenter.exceptions import PrefCenterError, Unchangeable, novu_error_body
from prefcenter.schema import TEXT
from prefcenter.views import PrefCenterViewSet
from subscribers.novu import CURSOR_PATTERN
from subscribers.selectors.search import SEARCH_LIMIT_MAX, subscriber_get, subscriber_search
from subscribers.serializers.subscriber import (
    CreateQuerySerializer,
    SubscriberDeletedSerializer,
    SubscriberListSerializer,
    SubscriberSearchSerializer,
    SubscriberSerializer,
    SubscriberWriteSerializer,
)
from subscribers.services.profiles import SubscriberExists, subscriber_update, subscriber_upsert

# ----------------------------------------------------------------------------- Novu subscribers


class SubscriberMixin(CustomerNamedMixin):
    """The path's `{subscriberId}` as the tenant's customer; customer mode reaches only itself (404 otherwise)."""

    def get_subscriber(self, *, for_update: bool = False) -> Customer:
        """`for_update`: locked, for a write (in the caller's transaction): the customer is read once."""
        external_id = self.kwargs["subscriberId"]
        self.check_customer_access(external_id)
        return subscriber_get(tenant=self.tenant, external_id=external_id, for_update=for_update)


BLANK_OR_TEXT = {"pattern": rf"^$|{TEXT}"}
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


