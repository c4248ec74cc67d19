"""The base every API view inherits: authentication → tenant and mode → scopes → throttles →
field selection, then a thin handler that calls a service and answers with the selection applied.

Viewsets stay a few lines: `queryset`, `serializer_class`, `filterset_class`, scopes,
and `perform_*` methods that call services (NetBox's shape, HackSoft's layers).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from rest_framework import exceptions, generics, viewsets
from rest_framework.response import Response

from prefcenter.exceptions import PrefCenterError
from prefcenter.idempotency import IdempotencyGuard
from prefcenter.models import Tenant
from prefcenter.selection import Tree, parse_tree, query_values
from prefcenter.tenancy import RequestContext, resolve_context
from prefcenter.throttling import AnonymousRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class PrefCenterViewMixin:
    """Request pipeline and helpers shared by every API view and viewset."""

    # Scopes: an action name or HTTP method → the scopes it needs; otherwise read/write by method.
    read_scope: str | None = None
    write_scope: str | None = None
    scopes: dict[str, tuple[str, ...]] = {}
    # Actions a customer-mode credential may not call at all (403), e.g. creating customers.
    provider_only_actions: tuple[str, ...] = ()
    # Queryset scoping: the path to the tenant and to the customer's external id.
    tenant_field: str = "tenant"
    customer_field: str | None = None
    output_serializer_class: Any = None

    request_context: RequestContext
    fields_tree: Tree
    expand_tree: Tree

    # -- pipeline ------------------------------------------------------------------
    # DRF's dispatch and initial run unchanged (NetBox's BaseViewSet extends them the same way):
    # authentication is extended to resolve the request's context, `initial` adds the field
    # selection, and the one handler DRF is about to call is wrapped in the idempotency guard.

    def initial(self, request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.fields_tree = parse_tree(query_values(request.query_params, "fields"))
        self.expand_tree = parse_tree(query_values(request.query_params, "expand"))
        self.check_selection()
        guard = IdempotencyGuard.for_request(request, self.request_context)
        if guard is not None:
            request.in_guard_transaction = True  # the handler runs inside the guard's transaction
            self.guard_handler(request, guard)

    def guard_handler(self, request, guard: IdempotencyGuard) -> None:
        """Run the handler DRF's dispatch picks for this request inside the idempotency guard (POST/PUT/PATCH
        with an idempotency-key): the guard stores or replays its finished response."""
        method = request.method.lower()
        name = method if method in self.http_method_names and hasattr(self, method) else "http_method_not_allowed"
        handler = getattr(self, name)

        def guarded(request, *args: Any, **kwargs: Any):
            return guard.run(
                lambda: self.finalize_response(request, handler(request, *args, **kwargs), *args, **kwargs)
            )

        setattr(self, name, guarded)

    def finalize_response(self, request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Not under the idempotency guard: it renders the answer to store it, and an exception after that
        # (the key stored by another request meanwhile) still needs the request for its envelope.
        if hasattr(response, "add_post_render_callback") and not getattr(request, "in_guard_transaction", False):
            response.add_post_render_callback(self.release)
        return response

    def release(self, response) -> None:
        """Once the answer is bytes, break the reference cycles DRF leaves around it.

        The view holds its request (whose `parser_context` holds the view) and its response, whose
        `renderer_context` holds the view, the request and the response itself: a finished request
        waits for the cyclic garbage collector with its parsed body, its answer's data and the rendered
        bytes. Few allocations per request mean rare collections, and a worker's peak memory grew by
        ~40 MB under 10,000-recipient evaluations. Without these references everything is freed when
        the server drops the response (tests/evaluation/test_memory.py), for every API view.
        """
        self.request = None
        self.response = None
        response.renderer_context = None

    def perform_authentication(self, request) -> None:
        """Authenticate, then resolve who the request acts for (tenant, mode, customer).

        A request refused as unauthenticated (401) counts against its client address's anonymous
        budget, and over it is answered 429 with Retry-After instead (prefcenter/throttling.py).
        """
        try:
            super().perform_authentication(request)
            if request.user is None:
                raise exceptions.NotAuthenticated("Authentication credentials were not provided.")
        except (exceptions.AuthenticationFailed, exceptions.NotAuthenticated):
            throttle = AnonymousRateThrottle("unauthenticated")
            if not throttle.allow_address(request):
                raise exceptions.Throttled(throttle.wait()) from None
            raise
        self.request_context = resolve_context(request, request.user)
        request.tenant = self.request_context.tenant

    def check_permissions(self, request) -> None:
        """A customer-mode credential calling a provider-only action is a 403; then DRF's permission classes."""
        action = getattr(self, "action", None) or request.method.lower()
        if self.request_context.is_customer_mode and action in self.provider_only_actions:
            raise PrefCenterError(
                "This operation is only available in provider mode.", code="permission_denied", status=403
            )
        super().check_permissions(request)

    def get_required_scopes(self, request) -> tuple[str, ...]:
        action = getattr(self, "action", None)
        if action and action in self.scopes:
            return self.scopes[action]
        if request.method in self.scopes:
            return self.scopes[request.method]
        scope = self.read_scope if request.method in SAFE_METHODS else self.write_scope
        if scope is None:
            raise PrefCenterError("Not allowed.", code="permission_denied", status=403)  # deny by default
        return (scope,)

    def write_transaction(self) -> transaction.Atomic:
        """The transaction of a write handler: the idempotency guard's when it runs one, joined without a
        savepoint (an error anywhere rolls the whole request back, the guard's record included), else its own."""
        return transaction.atomic(savepoint=not getattr(self.request, "in_guard_transaction", False))

    # -- context -------------------------------------------------------------------
    @property
    def tenant(self) -> Tenant:
        return self.request_context.tenant

    @property
    def actor(self):
        return self.request_context.actor

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        """Every query is scoped by the request's tenant, and in customer mode by the customer."""
        queryset = queryset.filter(**{self.tenant_field: self.tenant})
        if self.request_context.is_customer_mode:
            if self.customer_field is None:
                return queryset.none()
            queryset = queryset.filter(**{self.customer_field: self.request_context.customer_external_id})
        return queryset

    def check_customer_access(self, external_id: str) -> None:
        """Customer mode touches only its own customer; any other is a 404."""
        ctx = self.request_context
        if ctx.is_customer_mode and external_id != ctx.customer_external_id:
            raise PrefCenterError("Not found.", code="not_found", status=404)

    # -- output with field selection -------------------------------------------------
    def get_output_serializer_class(self):
        return self.output_serializer_class or self.get_serializer_class()

    def get_output_serializer_kwargs(self) -> dict[str, Any]:
        return {}

    def check_selection(self) -> None:
        if not (self.fields_tree or self.expand_tree):
            return
        serializer_class = self.get_output_serializer_class()
        if serializer_class is None or not hasattr(serializer_class, "selection_errors"):
            return
        errors = serializer_class.selection_errors(
            self.fields_tree,
            self.expand_tree,
            **self.get_output_serializer_kwargs(),
            context=self.get_serializer_context(),
        )
        if errors:
            raise exceptions.ValidationError(errors)

    def serialize(self, instance: Any, *, many: bool = False) -> Any:
        serializer_class = self.get_output_serializer_class()
        serializer = serializer_class(
            instance,
            many=many,
            fields_tree=self.fields_tree,
            expand_tree=self.expand_tree,
            context=self.get_serializer_context(),
            **self.get_output_serializer_kwargs(),
        )
        return serializer.data

    def respond(self, instance: Any, status: int = HTTPStatus.OK, headers: dict | None = None) -> Response:
        return Response(self.serialize(instance), status=status, headers=headers)

    def validated(self, serializer_class: Any = None, *, data: Any = None, partial: bool = False, **kwargs: Any):
        """Validate a request body with an input serializer; a 400 names every bad field."""
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            partial=partial,
            context=self.get_serializer_context(),
            **kwargs,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class PrefCenterAPIView(PrefCenterViewMixin, generics.GenericAPIView):
    """Base for non-model endpoints."""


class PrefCenterViewSet(PrefCenterViewMixin, viewsets.GenericViewSet):
    """Base viewset: tenant- and customer-scoped queryset; actions come from the mixins below or the app."""

    def get_queryset(self) -> QuerySet:
        return self.scope_queryset(super().get_queryset())


class ListMixin:
    """`GET` on the collection: filtered, paginated, with field selection."""

    def list(self, request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.serialize(page, many=True))
        return Response(self.serialize(queryset, many=True))


class RetrieveMixin:
    """`GET` on one object, with field selection."""

    def retrieve(self, request, *args: Any, **kwargs: Any) -> Response:
        return self.respond(self.get_object())
