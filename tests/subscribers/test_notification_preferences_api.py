"""TeamUp face: /api/v2/customers/{id}/notification_preferences[/{notification_preference_id}] (seed 000)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

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

CAPABLE = {"capable": True, "reasons": [], "detail": ""}
TOGGLEABLE = {"toggleable": True, "reason": None, "detail": ""}


def url(customer, workflow=None) -> str:
    base = f"/api/v2/customers/{customer.pk}/notification_preferences"
    return f"{base}/{workflow.pk}" if workflow is not None else base


def test_get_answers_the_documented_object_when_everything_capable(api, sms_customer, workflow):
    make_workflow_preference(sms_customer, workflow, sms=True)
    response = api.get(url(sms_customer, workflow))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "id": workflow.pk, "object": "customer_notification_preference", "type": "order-shipped",
        "description": "Your order is on its way.", "sms_enabled": True, "email_enabled": True,
        "capabilities": {"sms": CAPABLE, "email": CAPABLE},
        "toggleability": {"sms": TOGGLEABLE, "email": TOGGLEABLE},
    }


def test_get_explains_sms_when_no_phone_and_opted_out(api, customer, workflow):
    data = api.get(url(customer, workflow)).json()
    assert data["sms_enabled"] is False
    assert data["capabilities"]["sms"] == {
        "capable": False, "reasons": ["no_phone_number", "sms_opt_out"],
        "detail": "The customer has no phone number. The customer has opted out of SMS; opt in to SMS first.",
    }


def test_get_marks_channels_not_toggleable_when_workflow_critical(api, sms_customer, critical_workflow):
    data = api.get(url(sms_customer, critical_workflow)).json()
    assert (data["sms_enabled"], data["email_enabled"]) == (True, True)
    assert data["toggleability"]["email"]["toggleable"] is False
    assert data["toggleability"]["email"]["reason"] == "critical"


def test_get_applies_fields_and_xml_when_asked(api, sms_customer, workflow):
    response = api.get(url(sms_customer, workflow) + "?fields=id,capabilities.sms.capable&format=xml")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/xml")
    assert response.content.decode().endswith(
        f"<root><id>{workflow.pk}</id><capabilities><sms><capable>true</capable></sms></capabilities></root>"
    )


def test_get_expands_the_customer_when_asked(api, sms_customer, workflow):
    data = api.get(url(sms_customer, workflow) + "?expand=customer&fields=id,customer.external_id").json()
    assert data == {"id": workflow.pk, "customer": {"external_id": "cust-sms"}}


def test_get_answers_400_when_expand_unknown(api, customer, workflow):
    response = api.get(url(customer, workflow) + "?expand=nope")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "expand" in response.json()["errors"]


@pytest.mark.parametrize("pref_id", ["abc", "1.5", "-1", "999999"])
def test_get_answers_json_404_when_preference_id_is_not_a_known_integer(api, customer, workflow, pref_id):
    response = api.get(f"/api/v2/customers/{customer.pk}/notification_preferences/{pref_id}")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_get_answers_404_when_customer_belongs_to_another_tenant(api, other_customer, workflow):
    assert api.get(url(other_customer, workflow)).status_code == HTTPStatus.NOT_FOUND
    assert api.get(url(other_customer)).status_code == HTTPStatus.NOT_FOUND


def test_get_answers_404_when_workflow_belongs_to_another_tenant(api, customer, other_tenant):
    assert api.get(url(customer, make_workflow(other_tenant, "theirs"))).status_code == HTTPStatus.NOT_FOUND


def test_list_answers_one_entry_per_workflow_when_paginated(api, tenant, sms_customer, workflow, critical_workflow):
    response = api.get(url(sms_customer))
    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["count"] == 2
    assert [(r["id"], r["type"]) for r in data["results"]] == [(workflow.pk, "order-shipped"),
                                                              (critical_workflow.pk, "password-reset")]


def test_list_runs_fixed_queries_when_workflows_grow(api, tenant, customer, django_assert_max_num_queries):
    for i in range(50):
        make_workflow(tenant, f"w-{i}")
    with django_assert_max_num_queries(7):
        response = api.get(url(customer))
    assert len(response.json()["results"]) == 50


def test_patch_stores_the_choice_when_channel_capable_and_toggleable(api, sms_customer, workflow):
    response = api.patch(url(sms_customer, workflow), {"sms_enabled": True, "email_enabled": False}, format="json")
    assert response.status_code == HTTPStatus.OK, response.json()
    assert (response.json()["sms_enabled"], response.json()["email_enabled"]) == (True, False)
    row = WorkflowPreference.objects.get()
    assert (row.sms, row.email) == (True, False)
    assert sorted(events()) == [("workflow:order-shipped", "email", None, False),
                                ("workflow:order-shipped", "sms", None, True)]


def test_patch_answers_400_saying_to_opt_in_when_sms_opted_out(api, tenant, workflow, unchanged):
    customer = make_customer(tenant, "c", phone="+14155550101")  # sms_opt_out defaults to true
    with unchanged():
        response = api.patch(url(customer, workflow), {"sms_enabled": True}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {
        "sms_enabled": ["SMS is not capable: The customer has opted out of SMS; opt in to SMS first."]
    }


def test_patch_answers_400_when_workflow_does_not_use_the_channel(api, tenant, sms_customer, unchanged):
    email_only = make_workflow(tenant, "email-only", channels=["email"])
    with unchanged():
        response = api.patch(url(sms_customer, email_only), {"sms_enabled": True}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not sent on this channel" in response.json()["errors"]["sms_enabled"][0]


def test_patch_answers_400_when_critical_channel_would_change(api, sms_customer, critical_workflow, unchanged):
    with unchanged():
        response = api.patch(url(sms_customer, critical_workflow), {"email_enabled": False}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["email_enabled"][0].startswith("Not toggleable: The notification is critical")


def test_patch_accepts_current_values_when_not_toggleable(api, sms_customer, critical_workflow, unchanged):
    with unchanged():
        response = api.patch(url(sms_customer, critical_workflow), {"sms_enabled": True, "email_enabled": True},
                             format="json")
    assert response.status_code == HTTPStatus.OK


def test_patch_answers_400_when_category_mandatory(api, tenant, sms_customer, unchanged):
    billing = make_workflow(tenant, "invoice", channels=["email"], category=make_category(tenant, "b", mandatory=True))
    with unchanged():
        response = api.patch(url(sms_customer, billing), {"email_enabled": False}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("body", "field"),
    [({"sms_enabled": "yes"}, "sms_enabled"), ({"email_enabled": 1}, "email_enabled"),
     ({"email_enabled": None}, "email_enabled"), ({"push_enabled": True}, "push_enabled")],
)
def test_patch_answers_400_when_input_bad(api, sms_customer, workflow, unchanged, body, field):
    with unchanged():
        response = api.patch(url(sms_customer, workflow), body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"]


def test_patch_accepts_form_bodies_when_sent_as_form(api, sms_customer, workflow):
    response = api.patch(url(sms_customer, workflow), "email_enabled=false",
                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == HTTPStatus.OK, response.json()
    assert response.json()["email_enabled"] is False


def test_patch_is_seen_by_novu_face_when_sms_turned_off(api, sms_customer, workflow):
    make_workflow_preference(sms_customer, workflow, sms=True)
    api.patch(url(sms_customer, workflow), {"sms_enabled": False}, format="json")
    novu = api.get(f"/v2/subscribers/{sms_customer.external_id}/preferences").json()
    assert novu["workflows"][0]["channels"]["sms"] is False


def test_customer_mode_answers_404_when_touching_another_customer(client_for, tenant, customer, workflow, unchanged):
    other = make_customer(tenant, "other", phone="+14155550101", sms_opt_out=False)
    client = client_for(make_customer_token(tenant, customer.external_id), scheme="Bearer")
    with unchanged():
        assert client.get(url(other, workflow)).status_code == HTTPStatus.NOT_FOUND
        assert client.patch(url(other, workflow), {"email_enabled": False}, format="json").status_code == 404
    assert client.get(url(customer, workflow)).status_code == HTTPStatus.OK


def test_patch_answers_403_when_key_lacks_subscribers_write(client_for, tenant, customer, workflow, unchanged):
    client = client_for(make_api_key(tenant, scopes=["subscribers:read"])[1])
    with unchanged():
        response = client.patch(url(customer, workflow), {"email_enabled": False}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN
