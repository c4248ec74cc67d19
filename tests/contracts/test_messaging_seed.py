"""Seed 001 (`PUT /v1/messaging/preferences`, "Upsert Notification Preference"), quoted and checked.

Every assertion below cites the seed's words: field names, the `object` enum, the digest
enum and its default, the nullable category, the permission and its message, idempotency.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus

import pytest

from messaging.models import CategoryPreference
from messaging.services import category_create
from prefcenter.models import ConsentEvent
from tests.factories import make_api_key

URL = "/v1/messaging/preferences"

# "id string · object string enum notification_preference · category string nullable · in_app_enabled boolean ·
#  email_enabled boolean · push_enabled boolean · digest string enum · created_at string (date-time) ·
#  updated_at string (date-time)"
RESPONSE_FIELDS = [
    "id", "object", "category", "in_app_enabled", "email_enabled", "push_enabled", "digest", "created_at",
    "updated_at",
]
# "category optional string nullable · in_app_enabled boolean · email_enabled boolean · push_enabled boolean ·
#  digest optional string enum"
REQUEST_FIELDS = ["category", "in_app_enabled", "email_enabled", "push_enabled", "digest"]
# "instant: … hourly: … daily: … off: never send email for this category"
DIGESTS = ["instant", "hourly", "daily", "off"]


@pytest.fixture
def news(tenant):
    return category_create(tenant=tenant, key="news", name="News")


@pytest.fixture
def put(api, customer):
    def call(body, **extra):
        return api.put(URL, body, format="json", HTTP_PREFCENTER_CUSTOMER=customer.external_id, **extra)

    return call


def test_response_has_exactly_the_seed_fields_when_upserted(put, news):
    body = put({"category": "news", "in_app_enabled": True, "email_enabled": True, "push_enabled": False}).json()

    assert list(body) == RESPONSE_FIELDS
    assert isinstance(body["id"], str)  # "id string · Preference ID."
    assert body["object"] == "notification_preference"  # "enum Values: notification_preference"
    assert body["category"] == "news"
    assert [type(body[name]) for name in ("in_app_enabled", "email_enabled", "push_enabled")] == [bool] * 3
    for stamp in ("created_at", "updated_at"):  # "string (date-time)"
        assert datetime.fromisoformat(body[stamp].replace("Z", "+00:00")).tzinfo is not None


def test_answers_200_when_upserting(put, news):
    """"Responses · 200 · Successful response for Upsert Notification Preference" — for a create and a replace."""
    assert put({"category": "news"}).status_code == HTTPStatus.OK
    assert put({"category": "news", "push_enabled": False}).status_code == HTTPStatus.OK


def test_digest_defaults_to_instant_when_omitted(put, news):
    """"digest optional string … Defaults to instant." """
    assert put({"category": "news"}).json()["digest"] == "instant"


@pytest.mark.parametrize("digest", DIGESTS)
def test_accepts_every_documented_digest_when_sent(put, news, digest):
    response = put({"category": "news", "digest": digest})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["digest"] == digest


def test_refuses_undocumented_digest_when_sent(put, news, unchanged):
    with unchanged():
        response = put({"category": "news", "digest": "weekly"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"] == {"digest": ["'weekly' is not one of: instant, hourly, daily, off."]}


@pytest.mark.parametrize("body", [{}, {"category": None}])
def test_sets_global_default_when_category_omitted_or_null(put, customer, body):
    """"Omit (or null) to set the caller's global default." and "null for the global default that applies to all
    categories without a specific preference." """
    response = put({**body, "email_enabled": False})

    assert response.json()["category"] is None
    assert CategoryPreference.objects.get(customer=customer).category is None


def test_is_idempotent_when_the_same_request_repeats(put, customer, news):
    """"This endpoint is idempotent." Same body → same answer, one row, no second set of ledger events."""
    body = {"category": "news", "in_app_enabled": False, "email_enabled": True, "push_enabled": True,
            "digest": "hourly"}
    first = put(body)
    events = ConsentEvent.objects.count()

    second = put(body)

    assert second.json() == first.json()
    assert CategoryPreference.objects.filter(customer=customer).count() == 1
    assert ConsentEvent.objects.count() == events


def test_answers_403_with_seed_wording_when_permission_missing(client_for, tenant, customer, unchanged):
    """"Permissions required Values: messaging:update · The role behind your API key or agent must grant every one
    of these permissions." """
    client = client_for(make_api_key(tenant, scopes=["messaging:read"])[1])

    with unchanged():
        response = client.put(URL, {"digest": "daily"}, format="json", HTTP_PREFCENTER_CUSTOMER="cust-1")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "messaging:update" in response.json()["detail"]
    assert "The role behind your API key or agent must grant every one of these permissions." in (
        response.json()["detail"]
    )


def test_schema_documents_the_seed_operation_when_generated(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/v1/messaging/preferences"]["put"]
    components = schema["components"]["schemas"]

    def resolve(ref: str) -> dict:
        return components[ref.rsplit("/", 1)[-1]]

    request = resolve(operation["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    response = resolve(operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])

    assert operation["summary"] == "Upsert Notification Preference"
    assert list(request["properties"]) == REQUEST_FIELDS
    assert request.get("required", []) == []  # every request field may be omitted (defaults documented)
    assert request["properties"]["category"]["nullable"] is True
    assert list(response["properties"]) == RESPONSE_FIELDS
    assert response["properties"]["id"]["type"] == "string"
    assert response["properties"]["category"]["nullable"] is True
    assert response["properties"]["created_at"]["format"] == "date-time"
    digest_schema = response["properties"]["digest"]
    digest_enum = resolve(digest_schema["allOf"][0]["$ref"])["enum"] if "allOf" in digest_schema else (
        resolve(digest_schema["$ref"])["enum"] if "$ref" in digest_schema else digest_schema["enum"]
    )
    assert digest_enum == DIGESTS
    assert any(p["name"] == "Prefcenter-Customer" and p["in"] == "header" for p in operation["parameters"])
