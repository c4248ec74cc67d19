"""POST /v1/deliveries/evaluate: the sender's question, for up to 10,000 recipients in a fixed number of queries."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from customers.services import customer_update
from subscribers.services.preferences import workflow_preference_update
from tests.evaluation.conftest import make_many
from tests.factories import make_api_key, make_category_preference, make_customer, make_customer_token, make_workflow
from tests.selfservice.catalog import SYSTEM

pytestmark = pytest.mark.django_db

URL = "/v1/deliveries/evaluate"


def decision(allowed, reason, digest=None):
    return {"allowed": allowed, "reason": reason, "digest": digest, "deliver_after": None}


def test_evaluation_answers_each_known_recipient_per_channel_when_layers_differ(api, tenant, catalog):
    make_customer(tenant, "plain")
    opted_out = make_customer(tenant, "opted-out", phone="+14155550100")
    customer_update(customer=opted_out, actor=SYSTEM, email_opt_out=True, sms_opt_out=False)
    muted = make_customer(tenant, "muted")
    workflow_preference_update(
        tenant=tenant,
        customer=muted,
        workflow=catalog.order_shipped,
        channels={"email": False, "push": True},
        actor=SYSTEM,
    )
    batched = make_customer(tenant, "batched")
    make_category_preference(batched, catalog.orders, in_app_enabled=False, digest="daily")
    silent = make_customer(tenant, "silent")
    workflow_preference_update(tenant=tenant, customer=silent, workflow=None, enabled=False, channels={}, actor=SYSTEM)

    response = api.post(
        URL,
        {
            "workflow": "order-shipped",
            "recipients": ["plain", "ghost", "opted-out", "muted", "batched", "silent", "plain"],
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "workflow": "order-shipped",
        "results": [
            {
                "recipient": "plain",
                "channels": {
                    "email": decision(True, "category_default", "instant"),
                    "sms": decision(False, "sms_opt_out"),
                    "in_app": decision(True, "category_default"),
                    "push": decision(True, "category_default"),
                },
            },
            {
                "recipient": "opted-out",
                "channels": {
                    "email": decision(False, "email_opt_out", "instant"),
                    "sms": decision(True, "tenant_default"),
                    "in_app": decision(True, "category_default"),
                    "push": decision(True, "category_default"),
                },
            },
            {
                "recipient": "muted",
                "channels": {
                    "email": decision(False, "workflow_preference", "instant"),
                    "sms": decision(False, "sms_opt_out"),
                    "in_app": decision(True, "category_default"),
                    "push": decision(True, "workflow_preference"),
                },
            },
            {
                "recipient": "batched",
                "channels": {
                    "email": decision(True, "category_preference", "daily"),
                    "sms": decision(False, "sms_opt_out"),
                    "in_app": decision(False, "category_preference"),
                    "push": decision(True, "category_preference"),
                },
            },
            {
                "recipient": "silent",
                "channels": {
                    "email": decision(False, "global_preference", "instant"),
                    "sms": decision(False, "sms_opt_out"),
                    "in_app": decision(False, "global_preference"),
                    "push": decision(False, "global_preference"),
                },
            },
        ],
        "unknown_recipients": ["ghost"],
    }


def test_evaluation_answers_critical_workflows_as_always_sent_except_sms_opt_out_when_asked(api, tenant, catalog):
    person = make_customer(tenant, "p")
    customer_update(customer=person, actor=SYSTEM, email_opt_out=True)
    body = api.post(URL, {"workflow": "password-reset", "recipients": ["p"]}, format="json").json()
    assert body["results"] == [
        {
            "recipient": "p",
            "channels": {"email": decision(True, "critical", "instant"), "sms": decision(False, "sms_opt_out")},
        }
    ]


def test_evaluation_narrows_to_the_requested_channels_when_given_and_marks_unused_ones(api, tenant, catalog):
    make_customer(tenant, "p")
    body = api.post(
        URL, {"workflow": "newsletter", "recipients": ["p"], "channels": ["chat", "email"]}, format="json"
    ).json()
    assert body["results"] == [
        {
            "recipient": "p",
            "channels": {
                "chat": decision(False, "not_applicable"),
                "email": decision(True, "category_default", "daily"),
            },
        }
    ]


def test_evaluation_finds_the_workflow_by_slug_when_given_one(api, tenant, catalog):
    make_workflow(tenant, "welcome.v2", slug="welcome", channels=["in_app"])
    make_customer(tenant, "p")
    body = api.post(URL, {"workflow": "welcome", "recipients": ["p"]}, format="json").json()
    assert body["workflow"] == "welcome.v2"


def test_evaluation_reports_everyone_unknown_when_no_recipient_exists(api, catalog):
    body = api.post(URL, {"workflow": "newsletter", "recipients": ["a", "b", "a"]}, format="json").json()
    assert body == {"workflow": "newsletter", "results": [], "unknown_recipients": ["a", "b"]}


def test_evaluation_does_not_see_another_tenants_customers_when_they_share_an_id(api, other_tenant, catalog):
    make_customer(other_tenant, "shared")
    body = api.post(URL, {"workflow": "newsletter", "recipients": ["shared"]}, format="json").json()
    assert body["results"] == [] and body["unknown_recipients"] == ["shared"]


def test_evaluation_applies_field_selection_when_fields_are_given(api, tenant, catalog):
    make_customer(tenant, "p")
    response = api.post(
        f"{URL}?fields=results.recipient,unknown_recipients",
        {"workflow": "newsletter", "recipients": ["p", "x"]},
        format="json",
    )
    assert response.json() == {"results": [{"recipient": "p"}], "unknown_recipients": ["x"]}


@pytest.mark.parametrize("count", [10, 1000])
def test_evaluation_runs_a_fixed_number_of_queries_when_recipients_grow(
    api, tenant, catalog, django_assert_max_num_queries, count
):
    people = make_many(tenant, count)
    for person in people[:: max(1, count // 5)]:
        workflow_preference_update(
            tenant=tenant, customer=person, workflow=catalog.order_shipped, channels={"email": False}, actor=SYSTEM
        )
        make_category_preference(person, catalog.orders, push_enabled=False, digest="hourly")
    recipients = [p.external_id for p in people]
    # authentication (key lookup), workflow, customers, the loader's two: the same for 10 and for 1,000
    with django_assert_max_num_queries(6):
        response = api.post(URL, {"workflow": "order-shipped", "recipients": recipients}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["results"]) == count


def test_evaluation_answers_ten_thousand_recipients_in_fixed_queries_when_asked(
    api, tenant, catalog, django_assert_max_num_queries
):
    people = make_many(tenant, 10_000)
    for person in people[::1000]:
        workflow_preference_update(
            tenant=tenant, customer=person, workflow=catalog.order_shipped, channels={"email": False}, actor=SYSTEM
        )
    body = {"workflow": "order-shipped", "recipients": [p.external_id for p in people]}
    # Speed is measured by `make bench` (evaluate_10k), not here; the query count is what must not grow.
    with django_assert_max_num_queries(6):
        response = api.post(URL, body, format="json")
    assert response.status_code == HTTPStatus.OK
    results = response.json()["results"]
    assert len(results) == 10_000
    assert results[0]["channels"]["email"] == decision(False, "workflow_preference", "instant")
    assert results[1]["channels"]["email"] == decision(True, "category_default", "instant")
    assert results[1]["channels"]["sms"] == decision(False, "sms_opt_out")
    assert results[2]["channels"]["sms"] == decision(True, "tenant_default")


# ------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": ["a"]}, "workflow"),
        ({"workflow": 5, "recipients": ["a"]}, "workflow"),
        ({"workflow": "newsletter"}, "recipients"),
        ({"workflow": "newsletter", "recipients": []}, "recipients"),
        ({"workflow": "newsletter", "recipients": "a,b"}, "recipients"),
        ({"workflow": "newsletter", "recipients": ["a", 7, None]}, "recipients.1"),
        ({"workflow": "newsletter", "recipients": ["a", ""]}, "recipients.1"),
        ({"workflow": "newsletter", "recipients": ["x" * 256]}, "recipients.0"),
        ({"workflow": "newsletter", "recipients": ["a"], "channels": ["fax"]}, "channels.0"),
        ({"workflow": "newsletter", "recipients": ["a"], "channels": "email"}, "channels"),
        ({"workflow": "newsletter", "recipients": ["a"], "channels": []}, "channels"),
        ({"workflow": "newsletter", "recipients": ["a"], "channels": ["email", "email"]}, "channels"),
        ({"workflow": "newsletter", "recipients": ["a"], "channels": [True]}, "channels.0"),
        ({"workflow": "newsletter", "recipients": ["a"], "dryRun": True}, "dryRun"),
    ],
)
def test_evaluation_is_refused_with_the_field_named_when_the_body_is_bad(api, catalog, unchanged, body, field):
    with unchanged():
        response = api.post(URL, body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()["errors"]


def test_evaluation_is_refused_when_more_than_ten_thousand_recipients_are_sent(api, catalog, unchanged):
    with unchanged():
        response = api.post(
            URL, {"workflow": "newsletter", "recipients": [f"r{n}" for n in range(10_001)]}, format="json"
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {
        "recipients": ["At most 10,000 recipients per request; got 10,001. Split the list."]
    }


def test_evaluation_accepts_exactly_ten_thousand_recipients_when_sent(api, catalog):
    response = api.post(URL, {"workflow": "newsletter", "recipients": [f"r{n}" for n in range(10_000)]}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["unknown_recipients"]) == 10_000


def test_evaluation_is_not_found_when_the_workflow_is_unknown_or_another_tenants(api, other_tenant, catalog, unchanged):
    make_workflow(other_tenant, "theirs")
    with unchanged():
        for name in ("nope", "theirs"):
            response = api.post(URL, {"workflow": name, "recipients": ["a"]}, format="json")
            assert response.status_code == HTTPStatus.NOT_FOUND
            assert response.json()["errors"] == {
                "workflow": [f"No workflow with identifier or slug '{name}' in this tenant."]
            }


def test_evaluation_is_refused_when_the_body_is_not_json_an_object(api, catalog, unchanged):
    with unchanged():
        assert api.post(URL, ["newsletter"], format="json").status_code == HTTPStatus.BAD_REQUEST
        assert api.post(URL, "{not json", content_type="application/json").status_code == HTTPStatus.BAD_REQUEST


def test_evaluation_is_forbidden_when_the_key_lacks_the_scope(client_for, tenant, catalog):
    _key, raw = make_api_key(tenant, scopes=["subscribers:read"])
    response = client_for(raw).post(URL, {"workflow": "newsletter", "recipients": ["a"]}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_evaluation_is_forbidden_in_customer_mode_when_a_customer_asks(client_for, tenant, catalog):
    make_customer(tenant, "me")
    client = client_for(make_customer_token(tenant, "me"), scheme="Bearer")
    assert client.post(URL, {"workflow": "newsletter", "recipients": ["me"]}, format="json").status_code == 403


def test_evaluation_needs_authentication_when_called_anonymously(client, catalog):
    response = client.post(URL, {"workflow": "newsletter", "recipients": ["a"]}, content_type="application/json")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_evaluation_sends_mandatory_email_but_not_other_email_when_the_customer_used_the_one_click_link(
    api, client, tenant, catalog
):
    # Issue 14 item 1: the default one-click unsubscribe stops every email except critical and mandatory mail.
    from selfservice.links import PURPOSE_UNSUBSCRIBE, link_token

    make_workflow(tenant, "sign-in-alert", name="Sign-in alert", category=catalog.account, channels=["email", "sms"])
    person = make_customer(tenant, "p", email="p@example.com")
    path = f"/u/{link_token(customer=person, purpose=PURPOSE_UNSUBSCRIBE)}/"
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == HTTPStatus.OK
    answers = {
        workflow: api.post(URL, {"workflow": workflow, "recipients": ["p"], "channels": ["email"]}, format="json")
        .json()["results"][0]["channels"]["email"]
        for workflow in ("sign-in-alert", "password-reset", "newsletter", "order-shipped")
    }
    assert answers == {
        "sign-in-alert": decision(True, "mandatory_category", "instant"),
        "password-reset": decision(True, "critical", "instant"),
        "newsletter": decision(False, "email_opt_out", "daily"),
        "order-shipped": decision(False, "email_opt_out", "instant"),
    }
