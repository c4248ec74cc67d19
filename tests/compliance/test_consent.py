"""Proof of consent: GET /v1/customers/{external_id}/consent (GDPR Art. 7(1), 15, 20)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from http import HTTPStatus

import pytest
from django.core.management import call_command

from messaging.services import category_preference_set
from prefcenter.ledger import Actor, events_checksum
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key, make_category, make_customer, make_workflow, make_workflow_preference

URL = "/v1/customers/{}/consent"


@pytest.fixture
def consenting(api, tenant):
    """A customer created and changed through the API, with a category and a workflow preference."""
    body = {"data": {"customerId": "ada", "email": "ada@example.com", "smsOptOut": False, "firstName": "Ada"}}
    assert api.post("/api/resources/customers", body, format="json", HTTP_USER_AGENT="crm/1.0").status_code == 201
    from customers.models import Customer

    customer = Customer.objects.get(tenant=tenant, external_id="ada")
    category = make_category(tenant, "news")
    category_preference_set(
        tenant=tenant,
        customer=customer,
        category=category,
        in_app_enabled=True,
        email_enabled=False,
        push_enabled=True,
        digest="daily",
        actor=Actor(label="page", source="page", ip="203.0.113.7", user_agent="Firefox"),
    )
    make_workflow_preference(customer, make_workflow(tenant, "order-shipped"), sms=False)
    return customer


def test_consent_export_lists_current_choices_and_full_history_when_json(api, consenting):
    response = api.get(URL.format("ada"))
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["external_id"] == "ada"
    assert body["tenant"] == "acme"
    current = body["current"]
    assert current["customer"]["email"] == "ada@example.com"
    assert current["customer"]["sms_opt_out"] is False
    assert current["customer"]["email_opt_out"] is False
    assert [(c["category"], c["email"], c["digest"]) for c in current["categories"]] == [("news", False, "daily")]
    assert [(w["workflow"], w["sms"], w["enabled"]) for w in current["workflows"]] == [("order-shipped", False, None)]
    events = list(ConsentEvent.objects.filter(customer_id=consenting.id).order_by("id"))
    assert [row["id"] for row in body["history"]] == [e.id for e in events]
    created = body["history"][0]
    assert (created["subject"], created["field"], created["old_value"], created["new_value"]) == (
        "customer",
        "created",
        None,
        True,
    )
    assert created["source"] == "api"
    assert created["user_agent"] == "crm/1.0"
    assert created["ip"] == "127.0.0.1"
    assert created["actor"]
    news = [row for row in body["history"] if row["subject"] == "category:news"]
    assert {(row["field"], row["new_value"]) for row in news} >= {("email_enabled", False), ("digest", "daily")}
    assert all(row["ip"] == "203.0.113.7" and row["user_agent"] == "Firefox" for row in news)
    count, checksum = events_checksum(ConsentEvent.objects.filter(customer_id=consenting.id))
    assert body["checksum"] == {"algorithm": "sha256", "events": count, "value": checksum}
    assert response["X-Consent-Checksum"] == f"sha256={checksum}"
    assert response["X-Consent-Events"] == str(count)


def test_consent_checksum_can_be_recomputed_from_the_export_when_an_auditor_holds_it(api, consenting):
    body = api.get(URL.format("ada")).json()
    digest = hashlib.sha256()
    for row in body["history"]:
        values = [row[field] for field in ConsentEventFields]
        digest.update(json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
    assert digest.hexdigest() == body["checksum"]["value"]


ConsentEventFields = (
    "id",
    "tenant_id",
    "customer_id",
    "customer_external_id",
    "subject",
    "field",
    "old_value",
    "new_value",
    "actor",
    "source",
    "request_id",
    "ip",
    "user_agent",
    "created_at",
)


def test_consent_checksum_command_prints_the_exports_checksum_when_given_the_external_id(api, consenting, capsys):
    body = api.get(URL.format("ada")).json()
    call_command("consent_checksum", "--tenant", "acme", "--external-id", "ada")
    assert capsys.readouterr().out.strip() == (
        f"consent events={body['checksum']['events']} sha256={body['checksum']['value']}"
    )


@pytest.mark.parametrize("how", ["query", "accept"])
def test_consent_export_is_csv_when_asked(api, consenting, how):
    if how == "query":
        response = api.get(URL.format("ada") + "?format=csv")
    else:
        response = api.get(URL.format("ada"), HTTP_ACCEPT="text/csv")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    json_body = api.get(URL.format("ada")).json()
    kinds = [row["kind"] for row in rows]
    assert kinds == sorted(kinds, key=["current", "event", "checksum"].index)
    current = {
        (row["subject"], row["field"]): json.loads(row["new_value"]) if row["new_value"] else None
        for row in rows
        if row["kind"] == "current"
    }
    assert current[("workflow:order-shipped", "enabled")] is None  # an empty cell is null; text is JSON-quoted
    assert current[("customer", "sms_opt_out")] is False
    assert current[("category:news", "digest")] == "daily"
    assert current[("workflow:order-shipped", "sms")] is False
    events = [row for row in rows if row["kind"] == "event"]
    assert [int(row["id"]) for row in events] == [row["id"] for row in json_body["history"]]
    assert events[0]["field"] == "created"
    assert events[0]["user_agent"] == "crm/1.0"
    assert rows[-1]["kind"] == "checksum"
    assert rows[-1]["new_value"] == f"sha256:{json_body['checksum']['value']}"
    assert response["X-Consent-Checksum"] == f"sha256={json_body['checksum']['value']}"


def test_consent_export_is_404_when_the_customer_is_in_another_tenant(other_api, consenting):
    response = other_api.get(URL.format("ada"))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_consent_export_is_404_when_the_customer_never_existed(api, tenant):
    assert api.get(URL.format("nobody")).status_code == HTTPStatus.NOT_FOUND
    response = api.get(URL.format("nobody") + "?format=csv")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/json")


def test_consent_export_is_403_naming_the_scope_when_the_key_lacks_ledger_read(client_for, tenant, consenting):
    client = client_for(make_api_key(tenant, scopes=["customers:read"])[1])
    response = client.get(URL.format("ada"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "ledger:read" in response.json()["detail"]


def test_consent_export_is_403_when_a_customer_token_asks(client_for, tenant, consenting):
    from tests.factories import make_customer_token

    client = client_for(make_customer_token(tenant, "ada"), scheme="Bearer")
    assert client.get(URL.format("ada")).status_code == HTTPStatus.FORBIDDEN


def test_consent_export_is_403_when_a_customer_mode_key_asks_about_itself(client_for, tenant, consenting):
    client = client_for(make_api_key(tenant, mode="customer", customer="ada")[1])
    response = client.get(URL.format("ada"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "permission_denied"


def test_consent_export_is_400_when_the_format_is_unknown(api, consenting):
    response = api.get(URL.format("ada") + "?format=pdf")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_consent_export_shows_history_without_current_when_the_customer_was_deleted(api, tenant):
    make_customer(tenant, "gone")
    assert api.delete("/api/resources/customers/gone").status_code == HTTPStatus.OK
    body = api.get(URL.format("gone")).json()
    assert body["current"] is None
    assert [row["field"] for row in body["history"]][-1] == "deleted"
