"""GET /v2/subscribers/{subscriberId}/preferences/explain: every layer per channel, and the deciding one."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from subscribers.services.preferences import workflow_preference_update
from tests.factories import make_api_key, make_category_preference, make_customer, make_customer_token
from tests.selfservice.catalog import SYSTEM

pytestmark = pytest.mark.django_db


def url(subscriber="p", workflow="order-shipped"):
    return f"/v2/subscribers/{subscriber}/preferences/explain" + (f"?workflowId={workflow}" if workflow else "")


def layers_of(body, channel):
    return {item["layer"]: item["value"] for item in body["channels"][channel]["layers"]}


def deciding(body, channel):
    return [item["layer"] for item in body["channels"][channel]["layers"] if item["deciding"]]


def test_explain_lists_every_layer_and_flags_the_deciding_one_when_asked(api, tenant, catalog):
    person = make_customer(tenant, "p")
    workflow_preference_update(tenant=tenant, customer=person, workflow=None, channels={"push": False}, actor=SYSTEM)
    workflow_preference_update(
        tenant=tenant,
        customer=person,
        workflow=catalog.order_shipped,
        channels={"push": True, "in_app": False},
        actor=SYSTEM,
    )
    make_category_preference(person, catalog.orders, digest="hourly")
    response = api.get(url())
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["subscriberId"] == "p"
    assert body["workflow"] == {
        "identifier": "order-shipped",
        "slug": "order-shipped",
        "name": "Order shipped",
        "critical": False,
        "category": "orders",
        "channels": ["email", "sms", "in_app", "push"],
    }
    assert list(body["channels"]) == ["email", "sms", "in_app", "chat", "push"]
    push = body["channels"]["push"]
    assert (push["allowed"], push["reason"], push["digest"], push["source"]) == (
        False,
        "global_preference",
        None,
        "subscriber",
    )
    assert layers_of(body, "push") == {
        "workflow_uses_channel": True,
        "sms_opt_out": None,
        "email_opt_out": None,
        "critical": False,
        "mandatory_category": False,
        "global_preference.enabled": None,
        "global_preference": False,
        "workflow_preference.enabled": None,
        "workflow_preference": True,
        "category_preference": True,
        "messaging_default": None,
        "digest": None,
        "workflow_default": None,
        "category_default": True,
        "tenant_default": True,
        # issue 17: the schedule layer comes last; nothing set, so it holds nothing
        "schedule": {"applies": True, "timezone": "UTC", "schedule": None, "quiet_hours": None,
                     "deliver_after": None, "reason": None},
    }
    assert deciding(body, "push") == ["global_preference"]
    assert (body["channels"]["email"]["reason"], body["channels"]["email"]["digest"]) == (
        "category_preference",
        "hourly",
    )
    assert deciding(body, "email") == ["category_preference"]
    assert deciding(body, "in_app") == ["workflow_preference"]
    assert deciding(body, "sms") == ["sms_opt_out"]
    assert deciding(body, "chat") == ["workflow_uses_channel"]
    assert body["channels"]["chat"]["reason"] == "not_applicable"


def test_explain_flags_the_master_switch_when_it_decides(api, tenant, catalog):
    person = make_customer(tenant, "p")
    workflow_preference_update(tenant=tenant, customer=person, workflow=None, enabled=False, channels={}, actor=SYSTEM)
    body = api.get(url()).json()
    assert deciding(body, "email") == ["global_preference.enabled"]
    assert body["channels"]["email"]["reason"] == "global_preference"


def test_explain_flags_the_digest_when_it_mutes_email(api, tenant, catalog):
    person = make_customer(tenant, "p")
    make_category_preference(person, catalog.news, digest="off")
    body = api.get(url(workflow="newsletter")).json()
    assert (body["channels"]["email"]["reason"], deciding(body, "email")) == ("digest_off", ["digest"])


def test_explain_is_allowed_in_customer_mode_when_the_customer_asks_about_themself(client_for, tenant, catalog):
    make_customer(tenant, "p")
    client = client_for(make_customer_token(tenant, "p"), scheme="Bearer")
    assert client.get(url()).status_code == HTTPStatus.OK


def test_explain_is_not_found_in_customer_mode_when_the_customer_asks_about_someone_else(client_for, tenant, catalog):
    make_customer(tenant, "p")
    make_customer(tenant, "q")
    client = client_for(make_customer_token(tenant, "p"), scheme="Bearer")
    assert client.get(url(subscriber="q")).status_code == HTTPStatus.NOT_FOUND


def test_explain_runs_a_fixed_number_of_queries_when_asked(api, tenant, catalog, django_assert_max_num_queries):
    make_customer(tenant, "p")
    # 7: issue 17 added the customer's schedule and quiet hours (one query, whatever the workflow)
    with django_assert_max_num_queries(7):
        assert api.get(url()).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("subscriber", "workflow", "status", "field"),
    [
        ("p", None, HTTPStatus.BAD_REQUEST, "workflowId"),
        ("p", "", HTTPStatus.BAD_REQUEST, "workflowId"),
        ("p", "nope", HTTPStatus.NOT_FOUND, "workflowId"),
        ("nobody", "newsletter", HTTPStatus.NOT_FOUND, None),
    ],
)
def test_explain_is_refused_when_the_subscriber_or_workflow_is_missing_or_unknown(
    api, tenant, catalog, unchanged, subscriber, workflow, status, field
):
    make_customer(tenant, "p")
    with unchanged():
        response = api.get(
            f"/v2/subscribers/{subscriber}/preferences/explain"
            + ("" if workflow is None else f"?workflowId={workflow}")
        )
    assert response.status_code == status
    if field:
        assert field in response.json()["errors"]


def test_explain_is_forbidden_when_the_key_lacks_the_scope(client_for, tenant, catalog):
    make_customer(tenant, "p")
    _key, raw = make_api_key(tenant, scopes=["deliveries:evaluate"])
    assert client_for(raw).get(url()).status_code == HTTPStatus.FORBIDDEN


def test_explain_does_not_see_another_tenants_subscriber_when_asked(api, other_tenant, catalog):
    make_customer(other_tenant, "p")
    assert api.get(url()).status_code == HTTPStatus.NOT_FOUND


def test_explain_prunes_inside_lists_when_fields_select_a_layer_key(api, tenant, catalog):
    """One pruning for plain data (prefcenter/selection.prune): a selection below a list applies to each item."""
    make_customer(tenant, "p")
    response = api.get(url() + "&fields=subscriberId,channels.email.layers.layer")
    assert response.status_code == HTTPStatus.OK, response.json()
    body = response.json()
    assert set(body) == {"subscriberId", "channels"}
    assert set(body["channels"]) == {"email"}
    assert body["channels"]["email"]["layers"]
    assert all(list(item) == ["layer"] for item in body["channels"]["email"]["layers"])
