"""Messaging endpoints: the category catalog and the caller's notification preferences (seed 001)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from customers.models import Customer
from customers.selectors import customer_get
from messaging.models import Category, CategoryPreference
from messaging.selectors import (
    category_get,
    category_get_or_global,
    category_list,
    category_preference_defaults,
    category_preference_get,
    category_preference_list,
)
from messaging.serializers import (
    CategoryPreferenceSerializer,
    CategoryPreferenceWriteSerializer,
    CategorySerializer,
    CategoryWriteSerializer,
)
from messaging.services import (
    PREFERENCE_FIELDS,
    category_create,
    category_delete,
    category_preference_clear,
    category_preference_set,
    category_update,
)
from prefcenter.exceptions import PrefCenterError
from prefcenter.schema import NON_BLANK
from prefcenter.views import ListMixin, PrefCenterViewSet, RetrieveMixin

CUSTOMER_HEADER = "Prefcenter-Customer"
CUSTOMER_HEADER_PARAMETER = OpenApiParameter(
    CUSTOMER_HEADER,
    NON_BLANK,
    OpenApiParameter.HEADER,
    required=True,  # in provider mode; a customer-mode caller may always send its own id
    description="Provider mode: the external id of the customer whose preferences these are (required). "
    "Customer mode: optional, and must name the credential's own customer (anyone else is a 404).",
)
CATEGORY_QUERY_PARAMETER = OpenApiParameter(
    "category",
    OpenApiTypes.STR,
    description="A category key; `null` names the caller's global default. An unknown key is a 404.",
)


class CategoryViewSet(ListMixin, RetrieveMixin, PrefCenterViewSet):
    """The tenant's category catalog. Anyone with messaging:read may read it (customers too, to
    build their preference page); only provider mode with catalog:write may change it."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    lookup_field = "key"
    lookup_url_kwarg = "key"
    lookup_value_regex = "[^/]+"
    read_scope = "messaging:read"
    write_scope = "catalog:write"
    provider_only_actions = ("create", "partial_update", "destroy")

    def get_queryset(self):
        return category_list(tenant=self.tenant)

    def get_object(self) -> Category:
        return category_get(tenant=self.tenant, key=self.kwargs["key"])

    @extend_schema(request=CategoryWriteSerializer, responses={201: CategorySerializer})
    def create(self, request, *args: Any, **kwargs: Any) -> Response:
        fields = dict(self.validated(CategoryWriteSerializer))
        category = category_create(
            tenant=self.tenant, key=fields.pop("key"), name=fields.pop("name"), actor=self.actor, **fields
        )
        return self.respond(category, HTTPStatus.CREATED)

    @extend_schema(request=CategoryWriteSerializer, responses={200: CategorySerializer})
    def partial_update(self, request, *args: Any, **kwargs: Any) -> Response:
        category = self.get_object()
        fields = dict(self.validated(CategoryWriteSerializer, partial=True))
        return self.respond(category_update(category=category, actor=self.actor, **fields))

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="`category_in_use`: preferences or workflows still use it."),
        }
    )
    def destroy(self, request, *args: Any, **kwargs: Any) -> Response:
        category_delete(category=self.get_object(), actor=self.actor)
        return Response(status=HTTPStatus.NO_CONTENT)


class NotificationPreferenceViewSet(PrefCenterViewSet):
    """The caller's category preferences: list, retrieve, upsert (PUT) and clear (DELETE).

    The caller is the customer of a customer-mode credential, or in provider mode the
    customer named by the `Prefcenter-Customer` header (missing: 400; unknown: 404).
    """

    queryset = CategoryPreference.objects.all()
    serializer_class = CategoryPreferenceSerializer
    read_scope = "messaging:read"
    write_scope = "messaging:update"
    filter_backends: list = []

    def get_customer(self, *, for_update: bool = False) -> Customer:
        """`for_update`: locked, for a write (in the caller's transaction): the customer is read once."""
        named = self.request.META.get("HTTP_PREFCENTER_CUSTOMER", "").strip()
        context = self.request_context
        if context.is_customer_mode:
            if named:
                self.check_customer_access(named)
            external_id = context.customer_external_id
        elif not named:
            raise PrefCenterError(
                f"Name the customer whose preferences these are with the {CUSTOMER_HEADER} header "
                "(their external id); it is required in provider mode.",
                code="customer_required",
                errors={CUSTOMER_HEADER: ["This header is required in provider mode."]},
            )
        else:
            external_id = named
        return customer_get(tenant=self.tenant, external_id=external_id, for_update=for_update)

    def category_from_query(self) -> tuple[bool, Category | None]:
        """(whether `category` was given, the category or None for the global default)."""
        if "category" not in self.request.query_params:
            return False, None
        return True, category_get_or_global(tenant=self.tenant, key=self.request.query_params["category"])

    @extend_schema(
        parameters=[CUSTOMER_HEADER_PARAMETER, CATEGORY_QUERY_PARAMETER],
        responses={200: CategoryPreferenceSerializer(many=True)},
        summary="List Notification Preferences",
        description="The caller's explicit preferences, the global default (category null) included.",
    )
    def list(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        given, category = self.category_from_query()
        queryset = category_preference_list(
            tenant=self.tenant, customer=customer, category=category, only_global=given and category is None
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.serialize(page, many=True))

    @extend_schema(
        parameters=[CUSTOMER_HEADER_PARAMETER, OpenApiParameter("id", str, OpenApiParameter.PATH)],
        summary="Retrieve Notification Preference",
    )
    def retrieve(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        return self.respond(category_preference_get(tenant=self.tenant, customer=customer, public_id=kwargs["id"]))

    @extend_schema(
        request=CategoryPreferenceWriteSerializer,
        responses={200: CategoryPreferenceSerializer},
        parameters=[CUSTOMER_HEADER_PARAMETER],
        summary="Upsert Notification Preference",
        operation_id="messaging_preferences_upsert",
        description="Creates or replaces a notification channel preference for the caller. This endpoint is "
        "idempotent: the same body twice leaves one row, the same `updated_at` and one set of consent events. "
        "Omitted booleans take the category's channel defaults (for the global default: the tenant's); "
        "an omitted digest is `instant`.",
    )
    def upsert(self, request, *args: Any, **kwargs: Any) -> Response:
        with self.write_transaction():  # the customer is read once, locked: the service serializes on it
            customer = self.get_customer(for_update=True)
            data = self.validated(CategoryPreferenceWriteSerializer)
            category = category_get_or_global(tenant=self.tenant, key=data.get("category"))
            values = category_preference_defaults(tenant=self.tenant, category=category)
            values.update({field: data[field] for field in PREFERENCE_FIELDS if field in data})
            preference, _changed = category_preference_set(
                tenant=self.tenant, customer=customer, category=category, actor=self.actor, locked=True, **values
            )
        return self.respond(preference)

    @extend_schema(
        parameters=[CUSTOMER_HEADER_PARAMETER, CATEGORY_QUERY_PARAMETER],
        responses={204: None},
        summary="Clear Notification Preference",
        operation_id="messaging_preferences_clear",
        description="Deletes the caller's preference for `category` (without it, or `category=null`: the global "
        "default), so it inherits again. Answers 204 whether or not there was one.",
    )
    def clear(self, request, *args: Any, **kwargs: Any) -> Response:
        customer = self.get_customer()
        _given, category = self.category_from_query()
        category_preference_clear(tenant=self.tenant, customer=customer, category=category, actor=self.actor)
        return Response(status=HTTPStatus.NO_CONTENT)
