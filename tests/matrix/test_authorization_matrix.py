"""The authorization matrix: every API operation by every kind of caller, one test id per cell.

Callers (see docs/authorization.md):
- ``a_provider``      tenant A's provider key, every scope → the operation succeeds.
- ``b_provider``      tenant B's provider key, every scope → A's objects are a 404; collection routes
                      answer 2xx inside B and show nothing of A's, and A's rows stay as they were.
- ``c1_key_at_c2``    a customer-mode API key bound to C1, aimed at C2 → 404 (403 for provider-only operations).
- ``c1_jwt_at_c2``    the same with a customer JWT for C1.
- ``a_without_scope`` tenant A's provider key holding every scope but the operation's → 403 naming it.
- ``revoked_key``, ``expired_jwt``, ``anonymous`` → 401 with ``WWW-Authenticate``.
- ``platform_tenant``  a platform key with ``TeamUp-Provider-ID: <A's slug>`` → like ``a_provider``.
- ``platform_bare``   a platform key without a tenant header → 400 ``tenant_required``.

Every denial leaves every prefcenter row (ledger and idempotency records included) unchanged.
``test_matrix_covers_every_operation_of_the_schema`` fails when the OpenAPI schema grows an
operation this table does not list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer
from messaging.models import Category, CategoryPreference
from prefcenter.models import SCOPES, ApiKey
from subscribers.models import Workflow
from tests.factories import make_api_key, make_customer, make_customer_token, make_tenant
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

OK, CREATED, NO_CONTENT = HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.NO_CONTENT
NOT_FOUND, FORBIDDEN = HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN

# Distinctive values of tenant A's data: none may appear in a response to tenant B or to C1.
A_SLUG, B_SLUG = "matrix-alpha", "matrix-beta"
C1, C2 = "alpha-c1-7f3q", "alpha-c2-9k1z"
C2_EMAIL, C2_PHONE = "c2-9k1z@alpha.example", "+14155550199"
WORKFLOW, CATEGORY = "alpha-wf-4d2m", "alpha-cat-8p6v"
SPARE_CATEGORY = "alpha-spare-cat-3h5t"  # unused, so deleting it is allowed (a category in use is a 409)
HOOK_URL = "https://alpha-hook-2x7c.example/h"


@dataclass(frozen=True)
class World:
    a: Any
    b: Any
    c1: Customer
    c2: Customer
    workflow: Workflow
    category: Category
    preference: CategoryPreference  # C2's preference in CATEGORY
    webhook: WebhookEndpoint
    delivery: WebhookDelivery  # a failed delivery of `webhook`, about C2

    def fill(self, template: str) -> str:
        return template.format(
            externalId=C2,
            external_id=C2,
            subscriberId=C2,
            id=self.c2.pk,
            notification_preference_id=self.workflow.pk,
            key=CATEGORY,
            workflowId=WORKFLOW,
            preference_id=self.preference.public_id,
            webhook_id=self.webhook.pk,
            delivery_id=self.delivery.pk,
        )


@dataclass(frozen=True)
class Op:
    """One API operation: how to call it on tenant A's C2, and what each kind of caller gets."""

    method: str
    template: str  # the OpenAPI path, or a concrete path for routes whose {id} is not C2-shaped
    scope: str
    success: int
    body: Any = None
    query: str = ""
    customer_header: bool = False  # messaging preferences name the customer in Prefcenter-Customer
    provider_only: bool = False
    # Collection routes: B answers 2xx inside B (nothing of A's leaks); C1 answers 2xx for itself.
    b_status: int = NOT_FOUND
    customer_status: int | None = None  # default: 403 if provider_only else 404
    schema_path: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.schema_path or self.template

    @property
    def id(self) -> str:
        return f"{self.method} {self.schema_path or self.template}"

    def expected_customer(self) -> int:
        if self.customer_status is not None:
            return self.customer_status
        return FORBIDDEN if self.provider_only else NOT_FOUND


REACH, REACH_ONE = "/api/resources/customers", "/api/resources/customers/{externalId}"
TEAMUP, TEAMUP_ONE = "/api/v2/customers", "/api/v2/customers/{id}"
NOTIF = "/api/v2/customers/{id}/notification_preferences"
NOTIF_ONE = NOTIF + "/{notification_preference_id}"
CATS, CAT = "/v1/messaging/categories", "/v1/messaging/categories/{key}"
PREFS = "/v1/messaging/preferences"
SUBS, SUB = "/v2/subscribers", "/v2/subscribers/{subscriberId}"
WFS, WF = "/v2/workflows", "/v2/workflows/{workflowId}"

OPERATIONS: list[Op] = [
    # Reach customers (customers app)
    Op(
        "POST",
        REACH,
        "customers:write",
        CREATED,
        {"data": {"customerId": "new-reach", "firstName": "New"}},
        provider_only=True,
        b_status=CREATED,
    ),
    Op("GET", REACH_ONE, "customers:read", OK),
    Op("PATCH", REACH_ONE, "customers:write", OK, {"data": {"firstName": "Changed"}}),
    Op("DELETE", REACH_ONE, "customers:write", OK, provider_only=True),
    # TeamUp customers
    Op("GET", TEAMUP, "customers:read", OK, b_status=OK, customer_status=OK),
    Op(
        "POST",
        TEAMUP,
        "customers:write",
        CREATED,
        {"external_id": "new-teamup", "first_name": "New"},
        provider_only=True,
        b_status=CREATED,
    ),
    Op("GET", TEAMUP_ONE, "customers:read", OK),
    Op("PATCH", TEAMUP_ONE, "customers:write", OK, {"first_name": "Changed"}),
    Op("DELETE", TEAMUP_ONE, "customers:write", NO_CONTENT, provider_only=True),
    # TeamUp notification preferences (subscribers app)
    Op("GET", NOTIF, "subscribers:read", OK),
    Op("GET", NOTIF_ONE, "subscribers:read", OK),
    Op("PATCH", NOTIF_ONE, "subscribers:write", OK, {"sms_enabled": False, "email_enabled": False}),
    # Messaging: the category catalog (readable by customers) and the caller's preferences
    Op("GET", CATS, "messaging:read", OK, b_status=OK, customer_status=OK),
    Op("POST", CATS, "catalog:write", CREATED, {"key": "new-cat", "name": "New"}, provider_only=True, b_status=CREATED),
    Op("GET", CAT, "messaging:read", OK, customer_status=OK),
    Op("PATCH", CAT, "catalog:write", OK, {"name": "Renamed"}, provider_only=True),
    Op("DELETE", f"{CATS}/{SPARE_CATEGORY}", "catalog:write", NO_CONTENT, provider_only=True, schema_path=CAT),
    Op("GET", PREFS, "messaging:read", OK, customer_header=True),
    Op("PUT", PREFS, "messaging:update", OK, {"category": CATEGORY, "email_enabled": False}, customer_header=True),
    Op("DELETE", PREFS, "messaging:update", NO_CONTENT, query=f"?category={CATEGORY}", customer_header=True),
    Op(
        "GET",
        "/v1/messaging/preferences/{preference_id}",
        "messaging:read",
        OK,
        customer_header=True,
        schema_path="/v1/messaging/preferences/{id}",
    ),
    # Novu subscribers and their preferences
    Op("POST", SUBS, "subscribers:write", CREATED, {"subscriberId": "new-sub"}, provider_only=True, b_status=CREATED),
    Op("GET", SUBS, "subscribers:read", OK, provider_only=True, b_status=OK),
    Op("GET", SUB, "subscribers:read", OK),
    Op("PATCH", SUB, "subscribers:write", OK, {"firstName": "Changed"}),
    Op("DELETE", SUB, "subscribers:write", OK, provider_only=True),
    Op("GET", SUB + "/preferences", "subscribers:read", OK),
    Op("PATCH", SUB + "/preferences", "subscribers:write", OK, {"workflowId": WORKFLOW, "channels": {"email": False}}),
    Op(
        "PATCH",
        SUB + "/preferences/bulk",
        "subscribers:write",
        OK,
        {"preferences": [{"workflowId": WORKFLOW, "channels": {"email": False}}]},
    ),
    Op("GET", SUB + "/preferences/explain", "subscribers:read", OK, query=f"?workflowId={WORKFLOW}"),
    # Novu workflows: provider only (a catalog customers do not manage)
    Op("GET", WFS, "subscribers:read", OK, provider_only=True, b_status=OK),
    Op(
        "POST",
        WFS,
        "catalog:write",
        CREATED,
        {"workflowId": "new-wf", "name": "New"},
        provider_only=True,
        b_status=CREATED,
    ),
    Op("GET", WF, "subscribers:read", OK, provider_only=True),
    Op("PATCH", WF, "catalog:write", OK, {"name": "Renamed"}, provider_only=True),
    Op("PUT", WF, "catalog:write", OK, {"name": "Renamed"}, provider_only=True),
    Op("DELETE", WF, "catalog:write", NO_CONTENT, provider_only=True),
    # Self-service links and delivery evaluation: provider only
    Op("POST", "/v1/customers/{external_id}/preference-links", "links:create", OK, {}, provider_only=True),
    Op("POST", "/v1/customers/{external_id}/revoke-links", "links:create", OK, {}, provider_only=True),
    # Compliance: consent export and erasure (docs/compliance.md)
    Op("GET", "/v1/customers/{external_id}/consent", "ledger:read", OK, provider_only=True),
    Op("DELETE", "/v1/customers/{external_id}", "customers:write", OK, query="?erase=true", provider_only=True),
    # Schedules and quiet hours (docs/schedules.md): the customer's own, like the customer routes
    Op("GET", "/v1/customers/{external_id}/schedule", "customers:read", OK),
    Op(
        "PUT",
        "/v1/customers/{external_id}/schedule",
        "customers:write",
        OK,
        {"schedule": None, "quiet_hours": {"start": "22:00", "end": "07:00"}},
    ),
    Op(
        "POST",
        "/v1/deliveries/evaluate",
        "deliveries:evaluate",
        OK,
        {"workflow": WORKFLOW, "recipients": [C2]},
        provider_only=True,
    ),
    # Webhook endpoints: provider only
    Op("GET", "/v1/webhooks", "webhooks:manage", OK, provider_only=True, b_status=OK),
    Op(
        "POST",
        "/v1/webhooks",
        "webhooks:manage",
        CREATED,
        {"url": "https://new.example/h", "event_types": ["customer.deleted"]},
        provider_only=True,
        b_status=CREATED,
    ),
    Op("GET", "/v1/webhooks/{webhook_id}", "webhooks:manage", OK, provider_only=True, schema_path="/v1/webhooks/{id}"),
    Op(
        "DELETE",
        "/v1/webhooks/{webhook_id}",
        "webhooks:manage",
        NO_CONTENT,
        provider_only=True,
        schema_path="/v1/webhooks/{id}",
    ),
    Op(
        "GET",
        "/v1/webhooks/{webhook_id}/deliveries",
        "webhooks:manage",
        OK,
        provider_only=True,
        schema_path="/v1/webhooks/{id}/deliveries",
    ),
    Op(
        "POST",
        "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/resend",
        "webhooks:manage",
        OK,
        provider_only=True,
        schema_path="/v1/webhooks/{id}/deliveries/{delivery_id}/resend",
    ),
]

CALLERS = (
    "a_provider",
    "b_provider",
    "c1_key_at_c2",
    "c1_jwt_at_c2",
    "a_without_scope",
    "revoked_key",
    "expired_jwt",
    "anonymous",
    "platform_tenant",
    "platform_bare",
)

# -- the world ----------------------------------------------------------------------------


@pytest.fixture
def world(db) -> World:
    a = make_tenant(A_SLUG, name="Alpha")
    b = make_tenant(B_SLUG, name="Beta")
    c1 = make_customer(a, C1, email="c1-7f3q@alpha.example", first_name="Cee", last_name="One")
    c2 = make_customer(a, C2, email=C2_EMAIL, phone=C2_PHONE, first_name="Cee", last_name="Two")
    make_customer(b, "beta-b1", email="b1@beta.example")
    workflow = Workflow.objects.create(
        tenant=a, identifier=WORKFLOW, slug=WORKFLOW, name="Alpha Workflow", channels=["email", "sms", "in_app"]
    )
    category = Category.objects.create(tenant=a, key=CATEGORY, name="Alpha Category")
    Category.objects.create(tenant=a, key=SPARE_CATEGORY, name="Alpha Spare")
    preference = CategoryPreference.objects.create(tenant=a, customer=c2, category=category, email_enabled=True)
    webhook = WebhookEndpoint.objects.create(tenant=a, url=HOOK_URL, event_types=["customer.opted_out"])
    delivery = WebhookDelivery.objects.create(
        tenant=a,
        endpoint=webhook,
        message_id="msg_matrix",
        event_type="customer.opted_out",
        customer_id=c2.pk,
        customer_external_id=C2,
        body="{}",
        status=WebhookDelivery.FAILED,
        attempts=3,
        last_status_code=500,
    )
    return World(
        a=a,
        b=b,
        c1=c1,
        c2=c2,
        workflow=workflow,
        category=category,
        preference=preference,
        webhook=webhook,
        delivery=delivery,
    )


def client_for_caller(caller: str, world: World, op: Op) -> APIClient:
    headers: dict[str, str] = {}
    if op.customer_header:
        headers["HTTP_PREFCENTER_CUSTOMER"] = C2
    secret: str | None
    scheme = "Token"
    if caller == "a_provider":
        secret = make_api_key(world.a)[1]
    elif caller == "b_provider":
        secret = make_api_key(world.b)[1]
    elif caller == "c1_key_at_c2":
        secret = make_api_key(world.a, mode="customer", customer=C1)[1]
    elif caller == "c1_jwt_at_c2":
        secret, scheme = make_customer_token(world.a, C1), "Bearer"
    elif caller == "a_without_scope":
        secret = make_api_key(world.a, scopes=[s for s in SCOPES if s != op.scope])[1]
    elif caller == "revoked_key":
        key, secret = make_api_key(world.a)
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now() - timedelta(minutes=1))
    elif caller == "expired_jwt":
        secret, scheme = make_customer_token(world.a, C1, ttl_seconds=-120), "Bearer"
    elif caller == "anonymous":
        secret = None
    elif caller == "platform_tenant":
        secret = make_api_key(None)[1]
        headers["HTTP_TEAMUP_PROVIDER_ID"] = A_SLUG
    elif caller == "platform_bare":
        secret = make_api_key(None)[1]
    else:  # pragma: no cover - a typo in CALLERS
        raise AssertionError(caller)
    client = APIClient()
    if secret is not None:
        headers["HTTP_AUTHORIZATION"] = f"{scheme} {secret}"
    client.credentials(**headers)
    return client


def call(client: APIClient, world: World, op: Op):
    path = world.fill(op.template) + op.query
    method = getattr(client, op.method.lower())
    if op.body is None:
        return method(path)
    return method(path, op.body, format="json")


# -- snapshots: whole database, and tenant A's part of it ---------------------------------


def rows() -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of every prefcenter table by primary key (API keys aside: last_used_at moves on use)."""
    return {
        model._meta.label: {row["id"]: row for row in model.objects.values()}
        for model in apps.get_models()
        if model._meta.app_label in ("prefcenter", "customers", "messaging", "subscribers", "webhooks")
        and model._meta.model_name != "apikey"
    }


def assert_only_tenant_b_written(before: dict, after: dict, world: World) -> None:
    """No row that existed is changed or gone; every new row (that names a tenant) is tenant B's."""
    for label, old in before.items():
        new = after[label]
        for pk, row in old.items():
            if label == "prefcenter.Tenant" and pk == world.b.pk:
                # B's own catalog writes give B a new catalog revision (a cache key), its own webhook endpoints
                # the event types they hear (webhooks/services.py); nothing else of B's row moves.
                own = ("catalog_revision", "webhook_event_types")
                row, changed = ({k: v for k, v in r.items() if k not in own} for r in (row, new.get(pk, {})))
                assert changed == row, f"{label} #{pk} changed by tenant B"
                continue
            assert new.get(pk) == row, f"{label} #{pk} changed by tenant B"
        for pk, row in new.items():
            if pk not in old and "tenant_id" in row:
                assert row["tenant_id"] == world.b.pk, f"{label} #{pk} written outside tenant B"


LEAK_MARKERS = (
    C1, C2, C2_EMAIL, C2_PHONE, WORKFLOW, CATEGORY, SPARE_CATEGORY, "Alpha Workflow", "Alpha Category", HOOK_URL
)


def assert_nothing_of(response, markers) -> None:
    text = response.content.decode()
    for marker in markers:
        assert marker not in text, f"{marker!r} leaked: {text[:500]}"


def assert_denied(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    if "status" in body:  # the documented envelope; Reach routes answer Reach's own error shape
        assert body["status"] == status
    if "success" in body:  # Reach's shape has no code: {"success": false, "message", "errors"}
        assert body["success"] is False and body["message"], body
    elif code is not None:
        assert body["code"] == code, body
    return body


# -- the matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("op", OPERATIONS, ids=[op.id for op in OPERATIONS])
def test_authorization_matrix(op: Op, caller: str, world: World, unchanged) -> None:
    client = client_for_caller(caller, world, op)

    if caller in ("a_provider", "platform_tenant"):
        response = call(client, world, op)
        assert response.status_code == op.success, (response.status_code, response.content[:500])
        return

    if caller == "b_provider":
        if op.b_status == NOT_FOUND:
            with unchanged():
                assert_denied(call(client, world, op), NOT_FOUND)
            return
        before = rows()
        response = call(client, world, op)
        assert response.status_code == op.b_status, (response.status_code, response.content[:500])
        assert_nothing_of(response, LEAK_MARKERS)
        assert_only_tenant_b_written(before, rows(), world)
        return

    if caller in ("c1_key_at_c2", "c1_jwt_at_c2"):
        expected = op.expected_customer()
        if expected in (NOT_FOUND, FORBIDDEN):
            with unchanged():
                body = assert_denied(call(client, world, op), expected)
            assert all(marker not in json.dumps(body) for marker in (C2_EMAIL, C2_PHONE))
            if expected == FORBIDDEN:
                assert body.get("code", "permission_denied") == "permission_denied", body
            return
        with unchanged():  # a read the customer may make: about themself or the public catalog only
            response = call(client, world, op)
        assert response.status_code == expected, (response.status_code, response.content[:500])
        assert_nothing_of(response, (C2, C2_EMAIL, C2_PHONE))
        return

    if caller == "a_without_scope":
        with unchanged():
            body = assert_denied(call(client, world, op), FORBIDDEN, "permission_denied")
        assert op.scope in json.dumps(body), body
        return

    if caller in ("revoked_key", "expired_jwt", "anonymous"):
        with unchanged():
            response = call(client, world, op)
            assert_denied(response, HTTPStatus.UNAUTHORIZED)
        assert response.has_header("WWW-Authenticate")
        return

    assert caller == "platform_bare"
    with unchanged():
        body = assert_denied(call(client, world, op), HTTPStatus.BAD_REQUEST, "tenant_required")
    assert "TeamUp-Provider-ID" in json.dumps(body), body


# -- the matrix covers every operation ---------------------------------------------------------


def schema_operations(client: APIClient) -> set[tuple[str, str]]:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == HTTPStatus.OK
    schema = json.loads(response.content)
    verbs = {"get", "post", "put", "patch", "delete"}
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item if method in verbs}


def test_matrix_covers_every_operation_of_the_schema(db) -> None:
    in_schema = schema_operations(APIClient())
    in_matrix = {op.key for op in OPERATIONS}
    assert in_schema - in_matrix == set(), "operations missing from the authorization matrix"
    assert in_matrix - in_schema == set(), "matrix rows that are not operations of the schema"
    assert len(in_matrix) == len(OPERATIONS), "an operation is listed twice"


def test_every_api_view_of_the_url_conf_is_in_the_schema(db) -> None:
    """A PrefCenter API view the schema does not document would escape the matrix: none may exist."""
    import re

    from django.urls import URLPattern, URLResolver, get_resolver, resolve

    from prefcenter.views import PrefCenterViewMixin

    def views(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from views(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                cls = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
                if isinstance(cls, type) and issubclass(cls, PrefCenterViewMixin):
                    yield cls.__name__

    routed = set(views(get_resolver().url_patterns))
    assert len(routed) >= 10, routed
    documented = set()
    for _method, path in schema_operations(APIClient()):
        callback = resolve(re.sub(r"\{[^}]+\}", "1", path)).func
        documented.add((getattr(callback, "cls", None) or callback.view_class).__name__)
    assert routed - documented == set(), "API views missing from the schema (and so from the matrix)"
