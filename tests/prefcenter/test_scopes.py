"""Scopes, deny by default: a missing scope is a 403 naming it, whatever the route."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from prefcenter.models import SCOPES
from prefcenter.views import PrefCenterAPIView
from tests.factories import make_api_key, make_customer_token
from tests.prefcenter.envelopes import api_error, reach_error

ISSUE_SCOPES = (
    "customers:read",
    "customers:write",
    "messaging:read",
    "messaging:update",
    "subscribers:read",
    "subscribers:write",
    "catalog:write",
    "links:create",
    "deliveries:evaluate",
)


def missing_message(scope: str) -> str:
    return (
        f"Missing permission: {scope}. The role behind your API key or agent must grant every one of these permissions."
    )


def test_scope_vocabulary_holds_every_scope_the_issue_names_when_listed():
    assert set(ISSUE_SCOPES) <= set(SCOPES)


class OneScopeView(PrefCenterAPIView):
    """A test-only view needing exactly one scope for GET and another for POST."""

    scopes = {"GET": ("customers:read",), "POST": ("customers:write",)}

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"ok": True})


class NoScopeView(PrefCenterAPIView):
    """Declares no scope at all: deny by default."""

    def get(self, request):
        return Response({"ok": True})


def _call(view_class, raw_key: str, method: str = "get", **scopes):
    view = view_class.as_view(**scopes)
    request = getattr(APIRequestFactory(), method)("/api/test", HTTP_AUTHORIZATION=f"Token {raw_key}")
    return view(request)


@pytest.mark.parametrize("scope", SCOPES)
def test_view_is_403_naming_the_scope_when_key_lacks_it(tenant, scope):
    _, raw = make_api_key(tenant, scopes=[s for s in SCOPES if s != scope])

    response = _call(OneScopeView, raw, scopes={"GET": (scope,)})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.data == {
        "detail": missing_message(scope),
        "code": "permission_denied",
        "status": 403,
        "errors": {"scopes": [f"Requires {scope}."]},
        "request_id": "",
    }


@pytest.mark.parametrize("scope", SCOPES)
def test_view_answers_when_key_holds_only_the_needed_scope(tenant, scope):
    _, raw = make_api_key(tenant, scopes=[scope])

    response = _call(OneScopeView, raw, scopes={"GET": (scope,)})

    assert response.status_code == HTTPStatus.OK
    assert response.data == {"ok": True}


def test_view_names_every_missing_scope_when_several_are_missing(tenant):
    _, raw = make_api_key(tenant, scopes=["customers:read"])

    response = _call(OneScopeView, raw, scopes={"GET": ("customers:read", "messaging:read", "links:create")})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.data["errors"] == {"scopes": ["Requires messaging:read.", "Requires links:create."]}
    assert response.data["detail"].startswith("Missing permission: messaging:read, links:create.")


def test_view_is_403_when_it_declares_no_scope_even_for_an_all_scope_key(tenant):
    _, raw = make_api_key(tenant)

    response = _call(NoScopeView, raw)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.data["code"] == "permission_denied"
    assert response.data["detail"] == "Not allowed."


def test_key_with_no_scopes_is_403_when_it_reads(tenant, customer, client_for):
    _, raw = make_api_key(tenant, scopes=[])

    response = client_for(raw).get("/api/v2/customers")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == api_error(
        response,
        HTTPStatus.FORBIDDEN,
        "permission_denied",
        missing_message("customers:read"),
        {"scopes": ["Requires customers:read."]},
    )


ROUTES = [
    ("get", "/api/v2/customers", None, "customers:read"),
    ("post", "/api/v2/customers", {"external_id": "new"}, "customers:write"),
    ("get", "/api/v2/customers/{pk}", None, "customers:read"),
    ("patch", "/api/v2/customers/{pk}", {"first_name": "X"}, "customers:write"),
    ("delete", "/api/v2/customers/{pk}", None, "customers:write"),
]


@pytest.mark.parametrize(("method", "path", "body", "scope"), ROUTES)
def test_teamup_customer_route_is_403_naming_scope_when_key_lacks_it(
    tenant, customer, client_for, unchanged, method, path, body, scope
):
    _, raw = make_api_key(tenant, scopes=[s for s in SCOPES if s != scope])

    with unchanged():
        response = getattr(client_for(raw), method)(path.format(pk=customer.pk), body, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == api_error(
        response, HTTPStatus.FORBIDDEN, "permission_denied", missing_message(scope), {"scopes": [f"Requires {scope}."]}
    )


REACH_ROUTES = [
    ("get", "/api/resources/customers/cust-1", None, "customers:read"),
    ("post", "/api/resources/customers", {"data": {"customerId": "new"}}, "customers:write"),
    ("patch", "/api/resources/customers/cust-1", {"data": {"firstName": "X"}}, "customers:write"),
    ("delete", "/api/resources/customers/cust-1", None, "customers:write"),
]


@pytest.mark.parametrize(("method", "path", "body", "scope"), REACH_ROUTES)
def test_reach_route_is_403_naming_scope_in_reach_envelope_when_key_lacks_it(
    tenant, customer, client_for, unchanged, method, path, body, scope
):
    _, raw = make_api_key(tenant, scopes=[s for s in SCOPES if s != scope])

    with unchanged():
        response = getattr(client_for(raw), method)(path, body, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == reach_error(missing_message(scope), [f"scopes: Requires {scope}."])


def test_customer_jwt_is_403_when_its_scope_claim_leaves_out_write(tenant, customer, client_for, unchanged):
    token = make_customer_token(tenant, "cust-1", scope="customers:read")
    client = client_for(token, scheme="Bearer")

    read = client.get(f"/api/v2/customers/{customer.pk}")
    with unchanged():
        write = client.patch(f"/api/v2/customers/{customer.pk}", {"first_name": "X"}, format="json")

    assert read.status_code == HTTPStatus.OK
    assert write.status_code == HTTPStatus.FORBIDDEN
    assert write.json()["errors"] == {"scopes": ["Requires customers:write."]}


def test_key_scopes_ignore_names_outside_the_vocabulary_when_stored(tenant, customer, client_for):
    """A scope string that is not in SCOPES (e.g. hand-edited) grants nothing."""
    _key, raw = make_api_key(tenant, scopes=["customers:*"])

    response = client_for(raw).get("/api/v2/customers")

    assert response.status_code == HTTPStatus.FORBIDDEN
