"""Seed 002 (Novu "Update subscriber preferences"), replayed: the curl example, the auth header,
the response interfaces and their documented keys and enums.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from subscribers.models import WorkflowPreference
from tests.factories import make_api_key, make_customer, make_workflow

pytestmark = pytest.mark.django_db

# Seed: the curl example's body, verbatim.
SEED_BODY = json.loads("""{
    "channels": {
      "email": true,
      "sms": true,
      "in_app": true,
      "push": true,
      "chat": true
    },
    "workflowId": "string"
  }""")
# Seed: SubscriberPreferenceChannels (every key optional; these five names).
SEED_CHANNELS = {"email", "sms", "in_app", "chat", "push"}
# Seed: SubscriberPreferenceOverrideDto.source enum.
SEED_SOURCES = {"subscriber", "template", "workflowOverride"}
# Seed: SubscriberPreferencesWorkflowInfoDto keys (updatedAt optional).
SEED_WORKFLOW_INFO = {"slug", "identifier", "name", "updatedAt"}


@pytest.fixture
def subscriber(tenant):
    # Path example: /v2/subscribers/string/preferences
    return make_customer(tenant, "string", phone="+14155550101", sms_opt_out=False)


@pytest.fixture
def novu(client_for, tenant):
    # Seed: 'Allowed headers-- "Authorization: ApiKey <api_key>"'
    return client_for(make_api_key(tenant)[1], scheme="ApiKey")


def test_curl_example_answers_the_documented_response_when_replayed(novu, tenant, subscriber):
    workflow = make_workflow(tenant, "string", slug="string", name="string", channels=sorted(SEED_CHANNELS),
                             defaults={"sms": False, "chat": False})
    response = novu.patch("/v2/subscribers/string/preferences", SEED_BODY, format="json",
                          HTTP_IDEMPOTENCY_KEY="string")
    assert response.status_code == HTTPStatus.OK, response.json()
    data = response.json()
    assert set(data) == {"global", "workflows"}
    assert set(data["global"]) == {"enabled", "channels"}
    assert data["global"]["enabled"] is True
    assert set(data["global"]["channels"]) <= SEED_CHANNELS
    [item] = data["workflows"]
    assert set(item) == {"enabled", "channels", "overrides", "workflow"}
    assert item["enabled"] is True
    assert item["channels"] == dict.fromkeys(SEED_CHANNELS, True)
    assert {o["source"] for o in item["overrides"]} <= SEED_SOURCES
    assert all(set(o) == {"channel", "source"} and o["channel"] in SEED_CHANNELS for o in item["overrides"])
    order = ("email", "sms", "in_app", "chat", "push")
    assert item["overrides"] == [{"channel": c, "source": "subscriber"} for c in order]
    workflow.refresh_from_db()
    assert item["workflow"] == {"slug": "string", "identifier": "string", "name": "string",
                                "updatedAt": workflow.updated_at.isoformat().replace("+00:00", "Z")}
    row = WorkflowPreference.objects.get(workflow=workflow)
    assert [getattr(row, c) for c in ("email", "sms", "in_app", "chat", "push")] == [True] * 5


def test_without_workflow_id_updates_global_preferences_when_replayed(novu, subscriber):
    # Seed: "workflowId is optional field, ... otherwise it will update global preferences"
    body = {"channels": {"chat": False}}
    data = novu.patch("/v2/subscribers/string/preferences", body, format="json").json()
    assert data["global"]["channels"] == {"email": True, "sms": True, "in_app": True, "chat": False, "push": True}
    assert WorkflowPreference.objects.get(workflow__isnull=True).chat is False


def test_channels_is_required_when_missing(novu, subscriber, unchanged):
    # Seed: "channelsRequiredobject"
    with unchanged():
        response = novu.patch("/v2/subscribers/string/preferences", {"workflowId": "string"}, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "channels" in response.json()["errors"]


def test_schema_documents_the_operation_when_generated(api):
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/v2/subscribers/{subscriberId}/preferences"]["patch"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"subscriberId", "idempotency-key"} <= names
