"""/v2/workflows: the catalog (provider mode; catalog:write for writes)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from subscribers.models import Workflow
from tests.factories import make_api_key, make_category, make_customer_token, make_workflow

pytestmark = pytest.mark.django_db


def test_create_answers_201_with_the_workflow_when_body_valid(api, tenant):
    make_category(tenant, "shipping")
    body = {"workflowId": "order-shipped", "name": "Order shipped", "tags": ["orders"], "category": "shipping",
            "critical": False, "channels": ["sms", "email"], "defaults": {"sms": False}}
    response = api.post("/v2/workflows", body, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.json()
    data = response.json()
    workflow = Workflow.objects.get()
    # Issue 13: Novu's WorkflowResponseDto (string _id, steps from the channels, preferences), plus the catalog fields.
    wid = f"{workflow.pk:024x}"

    def step(index, channel):
        return {"_id": f"{workflow.pk:016x}{index:08x}", "stepId": channel, "name": channel, "slug": channel,
                "type": channel, "origin": "external", "workflowId": "order-shipped", "workflowDatabaseId": wid,
                "controls": {"values": {"subject": ""} if channel == "email" else {}}, "variables": {}}

    assert data == {
        "_id": wid, "workflowId": "order-shipped", "slug": "order-shipped", "name": "Order shipped",
        "description": None, "tags": ["orders"], "category": "shipping", "critical": False,
        "channels": ["email", "sms"], "defaults": {"sms": False}, "active": True, "severity": "none",
        "status": "ACTIVE", "origin": "external", "steps": [step(0, "email"), step(1, "sms")],
        "preferences": {
            "default": {"all": {"enabled": True, "readOnly": False},
                        "channels": {c: {"enabled": True} for c in ("email", "sms", "in_app", "chat", "push")}},
            "user": {"all": {"enabled": True, "readOnly": False}, "channels": {"sms": {"enabled": False}}},
        },
        "isTranslationEnabled": False, "createdAt": data["createdAt"], "updatedAt": data["updatedAt"],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "No id"}, "workflowId"),
        ({"workflowId": "x", "name": "X", "channels": ["fax"]}, "channels.0"),
        ({"workflowId": "x", "name": "X", "defaults": {"fax": True}}, "defaults.fax"),
        ({"workflowId": "x", "name": "X", "defaults": {"email": "yes"}}, "defaults.email"),
        ({"workflowId": "x", "name": "X", "critical": 1}, "critical"),
        ({"workflowId": "x", "name": "X", "category": "nope"}, "category"),
        ({"workflowId": "x", "name": "X", "colour": "red"}, "colour"),
        ({"workflowId": "a/b", "name": "X"}, "workflowId"),
    ],
)
def test_create_answers_400_naming_the_field_when_input_bad(api, tenant, unchanged, body, field):
    with unchanged():
        response = api.post("/v2/workflows", body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"], response.json()


def test_create_answers_400_when_identifier_exists(api, tenant, unchanged):
    # Issue 13: Novu answers a taken workflowId with 400; its SDK would retry a 409 for up to an hour.
    make_workflow(tenant, "dup")
    with unchanged():
        response = api.post("/v2/workflows", {"workflowId": "dup", "name": "Dup"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "conflict" and "workflowId" in response.json()["errors"]


def test_create_answers_403_when_key_lacks_catalog_write(client_for, tenant, unchanged):
    client = client_for(make_api_key(tenant, scopes=["subscribers:read", "subscribers:write"])[1])
    with unchanged():
        response = client.post("/v2/workflows", {"workflowId": "x", "name": "X"}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_list_filters_by_tag_and_category_when_asked(api, tenant):
    news = make_category(tenant, "news")
    make_workflow(tenant, "a", tags=["orders"])
    make_workflow(tenant, "b", tags=["news"], category=news)
    make_workflow(tenant, "c", tags=["orders", "news"])
    # Issue 13: Novu's {workflows, totalCount}, newest first by default.
    assert [w["workflowId"] for w in api.get("/v2/workflows?tags=orders&orderDirection=ASC").json()["workflows"]] == [
        "a", "c"]
    assert [w["workflowId"] for w in api.get("/v2/workflows?category=news").json()["workflows"]] == ["b"]
    assert api.get("/v2/workflows").json()["totalCount"] == 3


def test_list_runs_fixed_queries_when_workflows_grow(api, tenant, django_assert_max_num_queries):
    news = make_category(tenant, "news")
    for i in range(40):
        make_workflow(tenant, f"w-{i}", category=news)
    with django_assert_max_num_queries(4):
        response = api.get("/v2/workflows?expand=category")
    assert response.json()["workflows"][0]["category"] == {"key": "news", "name": "News", "description": "",
                                                          "mandatory": False}


def test_retrieve_finds_by_slug_when_identifier_differs(api, tenant):
    make_workflow(tenant, "order_shipped", slug="order-shipped")
    assert api.get("/v2/workflows/order-shipped").json()["workflowId"] == "order_shipped"
    assert api.get("/v2/workflows/order_shipped").status_code == HTTPStatus.OK


def test_retrieve_answers_404_when_workflow_belongs_to_another_tenant(api, other_tenant):
    make_workflow(other_tenant, "theirs")
    response = api.get("/v2/workflows/theirs")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_patch_changes_fields_when_valid(api, tenant):
    make_workflow(tenant, "w", channels=["email"])
    response = api.patch("/v2/workflows/w", {"name": "Renamed", "channels": ["email", "sms"]}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert (response.json()["name"], response.json()["channels"]) == ("Renamed", ["email", "sms"])


def test_patch_answers_400_when_identifier_changes(api, tenant, unchanged):
    make_workflow(tenant, "w")
    with unchanged():
        response = api.patch("/v2/workflows/w", {"workflowId": "other"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "workflowId" in response.json()["errors"]


def test_delete_answers_204_when_workflow_exists(api, tenant):
    make_workflow(tenant, "w")
    assert api.delete("/v2/workflows/w").status_code == HTTPStatus.NO_CONTENT
    assert not Workflow.objects.exists()


def test_catalog_answers_403_when_customer_mode(client_for, tenant, customer):
    client = client_for(make_customer_token(tenant, customer.external_id), scheme="Bearer")
    assert client.get("/v2/workflows").status_code == HTTPStatus.FORBIDDEN


def test_fields_selects_novus_own_fields_when_named_on_list_and_retrieve(api, tenant):
    # Found by tests/conventions: `_id`, `status`, `steps`… came back whatever `fields` said, and naming them was a 400.
    workflow = make_workflow(tenant, "order-shipped", channels=["email"])
    wid = f"{workflow.pk:024x}"

    listed = api.get("/v2/workflows", {"fields": "_id,name,stepTypeOverviews"})
    retrieved = api.get("/v2/workflows/order-shipped", {"fields": "_id,status"})

    assert listed.status_code == retrieved.status_code == HTTPStatus.OK
    assert listed.json() == {"workflows": [{"_id": wid, "name": "Order Shipped", "stepTypeOverviews": ["email"]}],
                             "totalCount": 1}
    assert retrieved.json() == {"_id": wid, "status": "ACTIVE"}
