"""Novu's DTOs on /v2 (issue 13): the inputs the SDK may send that prefcenter refuses, each a 400/404
in Novu's envelope naming the field, with nothing written; and the shapes the SDK tests do not pin."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from customers.models import Customer
from subscribers.models import SubscriberProfile, Workflow
from tests.factories import make_workflow

pytestmark = pytest.mark.django_db


def test_error_answers_novu_envelope_when_route_is_v2(api, tenant, unchanged):
    with unchanged():
        response = api.post("/v2/subscribers", {"subscriberId": "x", "email": "nope"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body == {"statusCode": 400, "timestamp": body["timestamp"], "path": "/v2/subscribers",
                    "message": "Invalid input: email: Enter a valid email address.", "code": "invalid",
                    "errors": {"email": {"messages": ["Enter a valid email address."]}}}


def test_error_keeps_the_project_envelope_when_route_is_not_v2(api, tenant):
    body = api.get("/api/v2/customers/999999").json()
    assert set(body) == {"detail", "code", "status", "errors", "request_id"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("after=zzz", "after"), ("before=123", "before"), ("limit=0", "limit"), ("limit=101", "limit"),
     ("orderDirection=UP", "orderDirection"), ("orderBy=email", "orderBy"),
     ("after=8" + "0" * 23, "after"), ("before=" + "f" * 24, "before")],
)
def test_search_answers_400_when_query_bad(api, tenant, query, field):
    response = api.get(f"/v2/subscribers?{query}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"], response.json()


def test_search_follows_after_when_both_cursors_are_given(api, tenant):
    # The schema cannot say "not both" of two query parameters; `after` wins (documented on `before`).
    both = api.get(f"/v2/subscribers?after={1:024x}&before={2:024x}")
    assert both.status_code == HTTPStatus.OK
    assert both.json() == api.get(f"/v2/subscribers?after={1:024x}").json()


def test_workflow_list_answers_400_when_offset_is_past_32_bits(api, tenant):
    response = api.get(f"/v2/workflows?offset={2**31}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "offset" in response.json()["errors"], response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"schedule": {"weeklySchedule": {}}}, "schedule.isEnabled"),
        ({"schedule": {"isEnabled": "yes"}}, "schedule.isEnabled"),
        ({"schedule": {"isEnabled": True, "weeklySchedule": {"someday": {"isEnabled": True}}}},
         "schedule.weeklySchedule.someday"),
        ({"schedule": {"isEnabled": True,
                       "weeklySchedule": {"monday": {"isEnabled": True, "hours": [{"start": "9"}]}}}},
         "schedule.weeklySchedule.monday.hours.0.end"),
        ({"schedule": {"isEnabled": True}, "workflowId": "w"}, "schedule"),
        ({}, "channels"),
    ],
)
def test_preferences_patch_writes_nothing_when_schedule_bad(api, customer, unchanged, body, field):
    make_workflow(customer.tenant, "w")
    with unchanged():
        response = api.patch(f"/v2/subscribers/{customer.external_id}/preferences", body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"], response.json()
    assert not SubscriberProfile.objects.exists()


def test_preferences_get_answers_400_when_criticality_unknown(api, customer):
    response = api.get(f"/v2/subscribers/{customer.external_id}/preferences?criticality=urgent")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "criticality" in response.json()["errors"]


def test_preferences_get_answers_every_workflow_when_criticality_absent(api, customer):
    make_workflow(customer.tenant, "a")
    make_workflow(customer.tenant, "b", critical=True)
    response = api.get(f"/v2/subscribers/{customer.external_id}/preferences")
    assert [w["workflow"]["identifier"] for w in response.json()["workflows"]] == ["a", "b"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": [{"name": "S", "type": "fax"}]}, "steps.0.type"),
        ({"steps": [{"name": "S", "type": "trigger"}]}, "steps.0.type"),
        ({"steps": [{"type": "email"}]}, "steps.0.name"),
        ({"steps": [{"name": "S", "type": "email"}, {"name": "S", "type": "sms"}]}, "steps"),
        ({"steps": [{"name": "S", "type": "email"}], "channels": ["sms"]}, "channels"),
        ({"preferences": {"user": {"all": {"readOnly": "yes"}}}}, "preferences.user.all.readOnly"),
        ({"preferences": {"user": {"channels": {"fax": {"enabled": True}}}}}, "preferences.user.channels.fax"),
        ({"severity": "urgent"}, "severity"),
        ({"agent": {"identifier": "bot"}}, "agent"),
        ({"payloadSchema": "x"}, "payloadSchema"),
        ({"origin": "mars"}, "origin"),
    ],
)
def test_workflow_create_writes_nothing_when_novu_field_bad(api, tenant, unchanged, body, field):
    with unchanged():
        response = api.post("/v2/workflows", {"workflowId": "w", "name": "W", **body}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"], response.json()


def test_workflow_put_answers_400_when_name_missing(api, tenant, unchanged):
    make_workflow(tenant, "w")
    with unchanged():
        response = api.put("/v2/workflows/w", {"steps": []}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "name" in response.json()["errors"]


def test_workflow_answers_validate_payload_and_schema_when_stored(api, tenant):
    response = api.post("/v2/workflows", {"workflowId": "w", "name": "W", "validatePayload": True,
                                          "payloadSchema": {"type": "object"}}, format="json")
    assert (response.json()["validatePayload"], response.json()["payloadSchema"]) == (True, {"type": "object"})
    assert Workflow.objects.get().options == {"validatePayload": True, "payloadSchema": {"type": "object"}}


def test_workflow_list_answers_400_when_query_bad(api, tenant):
    for query, field in (("limit=0", "limit"), ("offset=-1", "offset"), ("status=BROKEN", "status")):
        response = api.get(f"/v2/workflows?{query}")
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert field in response.json()["errors"]


def test_workflow_list_filters_by_status_when_asked(api, tenant):
    make_workflow(tenant, "on")
    make_workflow(tenant, "off", active=False)
    assert [w["workflowId"] for w in api.get("/v2/workflows?status=INACTIVE").json()["workflows"]] == ["off"]
    assert api.get("/v2/workflows?status=ERROR").json() == {"workflows": [], "totalCount": 0}


def test_subscriber_patch_clears_fields_when_null(api, customer):
    customer.first_name = "Ada"
    customer.save()
    response = api.patch(f"/v2/subscribers/{customer.external_id}", {"firstName": None, "data": None}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["firstName"] is None
    assert Customer.objects.get(pk=customer.pk).first_name == ""
    assert not SubscriberProfile.objects.exists()  # nothing to keep: no row


def test_subscriber_create_answers_400_when_avatar_not_a_url(api, tenant, unchanged):
    with unchanged():
        response = api.post("/v2/subscribers", {"subscriberId": "s", "avatar": "javascript:alert(1)"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "avatar" in response.json()["errors"]


def test_fields_selects_subscriber_fields_when_named_on_list_and_retrieve(api, customer):
    # Found by tests/conventions: every name was a 400 ("Known fields: .") on both subscriber reads.
    listed = api.get("/v2/subscribers", {"fields": "subscriberId,email"})
    retrieved = api.get(f"/v2/subscribers/{customer.external_id}", {"fields": "_id,firstName"})

    assert listed.status_code == retrieved.status_code == HTTPStatus.OK
    assert listed.json()["data"] == [{"subscriberId": "cust-1", "email": "ada@example.com"}]
    assert retrieved.json() == {"_id": f"{customer.pk:024x}", "firstName": "Ada"}


def test_subscriber_patch_answers_400_naming_subscriber_id_when_it_would_change(api, customer, unchanged):
    with unchanged():
        response = api.patch(
            f"/v2/subscribers/{customer.external_id}", {"subscriberId": "someone-else", "firstName": "Eve"},
            format="json",
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert (body["message"], body["errors"]) == (
        "subscriberId cannot be changed.", {"subscriberId": {"messages": ["Must equal the subscriberId in the path."]}}
    )
