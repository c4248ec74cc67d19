"""/v2/subscribers and /v2/subscribers/{subscriberId}/preferences (Novu, seed 002)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from customers.models import Customer
from subscribers.models import WorkflowPreference
from tests.factories import (
    make_api_key,
    make_category,
    make_customer,
    make_customer_token,
    make_workflow,
    make_workflow_preference,
)
from tests.subscribers.conftest import events

pytestmark = pytest.mark.django_db


# -- subscribers ------------------------------------------------------------------------


def test_subscriber_create_answers_201_when_body_valid(api, tenant):
    body = {"subscriberId": "sub-1", "email": "x@Example.com", "phone": "+14155550123", "firstName": "X",
            "lastName": "Y", "locale": "en-US", "timezone": "Europe/Paris"}
    response = api.post("/v2/subscribers", body, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.json()
    data = response.json()
    customer = Customer.objects.get(external_id="sub-1")
    assert data == {"_id": f"{customer.pk:024x}", "_organizationId": tenant.uuid.hex[:24],
                    "_environmentId": data["_environmentId"], "subscriberId": "sub-1", "email": "x@example.com",
                    "phone": "+14155550123", "firstName": "X", "lastName": "Y", "avatar": None, "locale": "en-US",
                    "timezone": "Europe/Paris", "data": None, "deleted": False,
                    "createdAt": data["createdAt"], "updatedAt": data["updatedAt"]}
    assert events(subject="customer", field="created") == [("customer", "created", None, True)]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "subscriberId"), ({"subscriberId": "s", "email": "nope"}, "email"),
     ({"subscriberId": "s", "phone": "123"}, "phone"), ({"subscriberId": "s", "avatar": "x"}, "avatar"),
     ({"subscriberId": "s", "data": "x"}, "data"), ({"subscriberId": "s", "nickname": "x"}, "nickname"),
     ({"subscriberId": 5}, "subscriberId"), ({"subscriberId": "s", "timezone": "Mars/Olympus"}, "timezone"),
     ({"subscriberId": "s", "timezone": "../../etc/passwd"}, "timezone")],
)
def test_subscriber_create_answers_400_when_input_bad(api, tenant, unchanged, body, field):
    with unchanged():
        response = api.post("/v2/subscribers", body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"]


def test_subscriber_create_answers_409_when_subscriber_exists_and_fail_if_exists(api, customer, unchanged):
    # Issue 13: Novu updates an existing subscriber unless failIfExists=true (then 409 with the subscriber).
    with unchanged():
        response = api.post("/v2/subscribers?failIfExists=true", {"subscriberId": customer.external_id,
                                                                    "firstName": "Other"}, format="json")
    assert response.status_code == HTTPStatus.CONFLICT
    body = response.json()
    assert body["statusCode"] == 409 and body["path"] == "/v2/subscribers"
    assert body["subscriberId"] == customer.external_id and body["firstName"] == customer.first_name


def test_subscriber_create_updates_when_subscriber_exists(api, customer):
    response = api.post("/v2/subscribers", {"subscriberId": customer.external_id, "firstName": "Other",
                                            "avatar": "https://img.example/a.png", "data": {"plan": "pro"}},
                        format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["firstName"] == "Other"
    assert response.json()["avatar"] == "https://img.example/a.png" and response.json()["data"] == {"plan": "pro"}
    assert Customer.objects.count() == 1
    assert Customer.objects.get().first_name == "Other"


def test_subscriber_create_writes_nothing_when_fail_if_exists_is_not_a_boolean(api, tenant, unchanged):
    with unchanged():
        response = api.post("/v2/subscribers?failIfExists=maybe", {"subscriberId": "n"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "failIfExists" in response.json()["errors"]


def test_subscriber_patch_and_get_work_when_own_tenant(api, customer):
    response = api.patch(f"/v2/subscribers/{customer.external_id}", {"firstName": "Augusta"}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert api.get(f"/v2/subscribers/{customer.external_id}").json()["firstName"] == "Augusta"


def test_subscriber_delete_acknowledges_when_subscriber_exists(api, customer):
    response = api.delete(f"/v2/subscribers/{customer.external_id}")
    assert response.json() == {"acknowledged": True, "status": "deleted"}
    assert not Customer.objects.exists()


def test_subscriber_answers_404_when_another_tenants(api, other_customer, unchanged):
    with unchanged():
        assert api.get(f"/v2/subscribers/{other_customer.external_id}x").status_code == HTTPStatus.NOT_FOUND
        assert api.patch("/v2/subscribers/cust-1", {"firstName": "Z"}, format="json").status_code == 404
        assert api.delete("/v2/subscribers/cust-1").status_code == HTTPStatus.NOT_FOUND


# -- preferences GET --------------------------------------------------------------------


def test_get_answers_effective_values_and_sources_when_customer_chose(api, tenant, sms_customer, workflow):
    make_workflow_preference(sms_customer, workflow, email=False)
    make_workflow_preference(sms_customer, None, chat=False)
    response = api.get(f"/v2/subscribers/{sms_customer.external_id}/preferences")
    assert response.status_code == HTTPStatus.OK
    workflow.refresh_from_db()
    assert response.json() == {
        "global": {"enabled": True,
                   "channels": {"email": True, "sms": True, "in_app": True, "chat": False, "push": True}},
        "workflows": [{
            "enabled": True,
            "channels": {"email": False, "sms": False, "push": True},
            "overrides": [{"channel": "email", "source": "subscriber"}, {"channel": "sms", "source": "template"},
                          {"channel": "push", "source": "workflowOverride"}],
            "workflow": {"slug": "order-shipped", "identifier": "order-shipped", "name": "Order shipped",
                         "updatedAt": workflow.updated_at.isoformat().replace("+00:00", "Z")},
        }],
    }


def test_get_shows_sms_off_everywhere_when_customer_has_not_opted_in(api, customer, workflow):
    data = api.get(f"/v2/subscribers/{customer.external_id}/preferences").json()
    assert data["global"]["channels"]["sms"] is False
    assert data["workflows"][0]["overrides"][1] == {"channel": "sms", "source": "subscriber"}


def test_get_filters_by_tags_and_category_when_asked(api, tenant, customer):
    news = make_category(tenant, "news")
    make_workflow(tenant, "a", tags=["orders"])
    make_workflow(tenant, "b", tags=["news"], category=news)
    url = f"/v2/subscribers/{customer.external_id}/preferences"
    assert [w["workflow"]["identifier"] for w in api.get(url + "?tags=orders,news").json()["workflows"]] == ["a", "b"]
    assert [w["workflow"]["identifier"] for w in api.get(url + "?category=news").json()["workflows"]] == ["b"]
    assert api.get(url + "?tags=none").json()["workflows"] == []


def test_get_runs_at_most_6_queries_when_200_workflows(api, tenant, customer, django_assert_max_num_queries):
    """Key, customer, catalog revision, the catalog's workflows (a process's first request after a catalog
    change only), the customer's workflow and category rows; +1 for the key's last-used stamp."""
    news = make_category(tenant, "news")
    for i in range(200):
        make_workflow(tenant, f"w-{i}", category=news if i % 3 else None)
    make_workflow_preference(customer, None, push=False)
    with django_assert_max_num_queries(7):
        first = api.get(f"/v2/subscribers/{customer.external_id}/preferences")
    with django_assert_max_num_queries(5):
        again = api.get(f"/v2/subscribers/{customer.external_id}/preferences")
    assert len(first.json()["workflows"]) == 200
    assert again.json() == first.json()


def test_get_applies_field_selection_when_fields_given(api, customer, workflow):
    query = "?fields=global.enabled,workflows.workflow.slug"
    response = api.get(f"/v2/subscribers/{customer.external_id}/preferences{query}")
    assert response.json() == {"global": {"enabled": True}, "workflows": [{"workflow": {"slug": "order-shipped"}}]}


def test_get_answers_400_when_fields_unknown(api, customer):
    response = api.get(f"/v2/subscribers/{customer.external_id}/preferences?fields=nope")
    assert response.status_code == HTTPStatus.BAD_REQUEST


# -- preferences PATCH ------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["order-shipped", "order_shipped_slug", "ID"])
def test_patch_updates_the_workflow_when_named_by_identifier_slug_or_id(api, tenant, customer, ref):
    workflow = make_workflow(tenant, "order-shipped", slug="order_shipped_slug", channels=["email", "push"])
    ref = str(workflow.pk) if ref == "ID" else ref
    response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences",
                         {"channels": {"push": False}, "workflowId": ref}, format="json")
    assert response.status_code == HTTPStatus.OK, response.json()
    assert response.json()["workflows"][0]["channels"] == {"email": True, "push": False}
    assert WorkflowPreference.objects.get(workflow=workflow).push is False
    assert events(subject="workflow:order-shipped") == [("workflow:order-shipped", "push", None, False)]


def test_patch_updates_global_when_no_workflow_id(api, customer, workflow):
    response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences", {"channels": {"email": False}},
                         format="json")
    assert response.json()["global"]["channels"]["email"] is False
    assert response.json()["workflows"][0]["channels"]["email"] is False
    assert events(subject="workflow:*") == [("workflow:*", "email", None, False)]


def test_patch_answers_400_when_workflow_is_critical(api, customer, critical_workflow, unchanged):
    with unchanged():
        response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences",
                             {"channels": {"email": False}, "workflowId": "password-reset"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "critical_workflow"
    assert "critical" in response.json()["message"]  # Novu envelope on /v2 (issue 13)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"channels": {"fax": True}}, 400, "channels.fax"),
        ({"channels": {"email": "yes"}}, 400, "channels.email"),
        ({"channels": {"email": 1}}, 400, "channels.email"),
        ({"channels": {"email": None}}, 400, "channels.email"),
        ({"channels": []}, 400, "channels"),
        ({}, 400, "channels"),
        ({"channels": {"email": True}, "workflowId": 7}, 400, "workflowId"),
        ({"channels": {"email": True}, "extra": 1}, 400, "extra"),
        ({"channels": {"email": True}, "workflowId": "missing"}, 404, "workflowId"),
    ],
)
def test_patch_answers_4xx_naming_the_field_when_input_bad(api, customer, workflow, unchanged, body, status, field):
    with unchanged():
        response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences", body, format="json")
    assert response.status_code == status
    assert field in response.json()["errors"], response.json()


def test_patch_answers_404_when_subscriber_belongs_to_another_tenant(api, other_customer, unchanged):
    with unchanged():
        response = api.patch("/v2/subscribers/cust-1/preferences", {"channels": {"email": False}}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_patch_answers_404_when_workflow_belongs_to_another_tenant(api, customer, other_tenant, unchanged):
    make_workflow(other_tenant, "theirs")
    with unchanged():
        response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences",
                             {"channels": {"email": False}, "workflowId": "theirs"}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_customer_mode_changes_own_preferences_when_token_matches(client_for, tenant, customer, workflow):
    client = client_for(make_customer_token(tenant, customer.external_id), scheme="Bearer")
    response = client.patch(f"/v2/subscribers/{customer.external_id}/preferences",
                            {"channels": {"push": False}, "workflowId": "order-shipped"}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert events()[0][:2] == ("workflow:order-shipped", "push")


def test_customer_mode_answers_404_when_touching_another_subscriber(client_for, tenant, customer, workflow, unchanged):
    make_customer(tenant, "someone-else")
    client = client_for(make_customer_token(tenant, customer.external_id), scheme="Bearer")
    with unchanged():
        assert client.get("/v2/subscribers/someone-else/preferences").status_code == HTTPStatus.NOT_FOUND
        response = client.patch("/v2/subscribers/someone-else/preferences", {"channels": {"push": False}},
                                format="json")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert client.get("/v2/subscribers/someone-else").status_code == HTTPStatus.NOT_FOUND


def test_patch_answers_403_when_key_is_read_only(client_for, tenant, customer, unchanged):
    client = client_for(make_api_key(tenant, scopes=["subscribers:read"])[1])
    with unchanged():
        response = client.patch(f"/v2/subscribers/{customer.external_id}/preferences", {"channels": {"email": False}},
                                format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_patch_runs_bounded_queries_when_many_workflows(api, tenant, customer, django_assert_max_num_queries):
    for i in range(100):
        make_workflow(tenant, f"w-{i}")
    with django_assert_max_num_queries(16):
        api.patch(f"/v2/subscribers/{customer.external_id}/preferences",
                  {"channels": {"email": False}, "workflowId": "w-5"}, format="json")


# -- bulk -------------------------------------------------------------------------------


def test_bulk_applies_every_item_when_valid(api, tenant, customer, workflow):
    make_workflow(tenant, "weekly", channels=["email"])
    body = {"preferences": [{"channels": {"email": False}, "workflowId": "order-shipped"},
                            {"channels": {"email": False}, "workflowId": "weekly"}]}
    response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences/bulk", body, format="json")
    assert response.status_code == HTTPStatus.OK, response.json()
    # Issue 13: Novu answers an array of preference items, one per workflow named, in order.
    assert [(w["level"], w["workflow"]["identifier"], w["channels"]["email"]) for w in response.json()] == [
        ("template", "order-shipped", False), ("template", "weekly", False)]
    assert WorkflowPreference.objects.count() == 2


@pytest.mark.parametrize(
    ("items", "status", "field"),
    [
        ([{"channels": {"email": False}, "workflowId": "order-shipped"}] * 101, 400, "preferences"),
        ([], 400, "preferences"),
        ([{"channels": {"email": False}, "workflowId": "order-shipped"},
          {"channels": {"email": False}, "workflowId": "nope"}], 404, "preferences.1.workflowId"),
        ([{"channels": {"email": False}, "workflowId": "order-shipped"},
          {"channels": {"fax": False}, "workflowId": "order-shipped"}], 400, "preferences.1.channels.fax"),
        ([{"channels": {"email": False}, "workflowId": "order-shipped"},
          {"channels": {"email": False}, "workflowId": "password-reset"}], 400, "preferences.1.workflowId"),
        ([{"channels": {"email": False}}], 400, "preferences.0.workflowId"),
    ],
)
def test_bulk_writes_nothing_when_any_item_is_bad(api, customer, workflow, critical_workflow, unchanged, items, status,
                                                  field):
    with unchanged():
        response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences/bulk", {"preferences": items},
                             format="json")
    assert response.status_code == status
    assert field in response.json()["errors"], response.json()


def test_bulk_runs_bounded_queries_when_100_items(api, tenant, customer, django_assert_max_num_queries):
    for i in range(100):
        make_workflow(tenant, f"w-{i}")
    body = {"preferences": [{"channels": {"email": False}, "workflowId": f"w-{i}"} for i in range(100)]}
    with django_assert_max_num_queries(120):
        response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences/bulk", body, format="json")
    assert response.status_code == HTTPStatus.OK


def test_bulk_answers_only_the_selected_fields_when_fields_given(api, tenant, customer, workflow):
    """Field selection is one implementation (prefcenter/selection.prune): the bulk answer, built as plain
    dicts, is pruned like every other answer (it used to ignore `fields`)."""
    body = {"preferences": [{"channels": {"email": False}, "workflowId": "order-shipped"}]}
    response = api.patch(
        f"/v2/subscribers/{customer.external_id}/preferences/bulk?fields=level,enabled", body,
        format="json",
    )
    assert response.status_code == HTTPStatus.OK, response.json()
    assert response.json() == [{"level": "template", "enabled": True}]
