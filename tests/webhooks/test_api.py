"""`/v1/webhooks`: register, list, read and delete endpoints; the secret once; tenant isolation; bad input."""

from __future__ import annotations

import base64
import re
from http import HTTPStatus

from prefcenter.models import SCOPES
from tests.factories import make_api_key
from webhooks.models import WebhookDelivery, WebhookEndpoint

URL = "/v1/webhooks"
BODY = {"url": "https://hooks.example.com/prefcenter", "event_types": ["customer.opted_out", "preference.updated"]}


def test_create_answers_201_with_the_secret_when_event_types_are_known(api, tenant):
    response = api.post(URL, {**BODY, "description": "CRM sync"}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    endpoint = WebhookEndpoint.objects.get(tenant=tenant)
    assert body == {
        "id": endpoint.pk,
        "url": BODY["url"],
        "description": "CRM sync",
        "event_types": ["customer.opted_out", "preference.updated"],
        "enabled": True,
        "disabled_at": None,
        "disabled_reason": "",
        "created_at": body["created_at"],
        "secret": endpoint.secret,
    }
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"].removeprefix("whsec_"))) == 32


def test_secret_is_not_shown_again_when_listed_or_read(api):
    created = api.post(URL, BODY, format="json").json()

    listed = api.get(URL).json()
    read = api.get(f"{URL}/{created['id']}").json()

    assert listed["count"] == 1
    assert "secret" not in listed["results"][0]
    assert "secret" not in read
    assert read["id"] == created["id"]


def test_create_answers_400_naming_them_when_event_types_are_unknown(api, tenant):
    response = api.post(URL, {**BODY, "event_types": ["customer.opted_out", "customer.exploded", "x"]}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "invalid"
    assert "customer.exploded" in body["detail"] and "x" in body["detail"]
    assert body["errors"]["event_types"][0].startswith("Unknown event type(s): customer.exploded, x.")
    assert not WebhookEndpoint.objects.exists()


def test_create_answers_400_and_writes_nothing_when_the_body_is_bad(api):
    for bad in (
        {"url": "ftp://example.com/x", "event_types": ["customer.deleted"]},
        {"url": "not a url", "event_types": ["customer.deleted"]},
        {"url": "https://example.com/x", "event_types": []},
        {"url": "https://example.com/x", "event_types": "customer.deleted"},
        {"url": "https://example.com/x"},
        {**BODY, "secret": "whsec_mine"},
    ):
        response = api.post(URL, bad, format="json")
        assert response.status_code == HTTPStatus.BAD_REQUEST, bad
        assert response.json()["errors"], bad
    assert not WebhookEndpoint.objects.exists()


def test_another_tenants_endpoint_is_404_when_read_or_deleted(api, other_api):
    theirs = other_api.post(URL, BODY, format="json").json()

    assert api.get(f"{URL}/{theirs['id']}").status_code == HTTPStatus.NOT_FOUND
    assert api.delete(f"{URL}/{theirs['id']}").status_code == HTTPStatus.NOT_FOUND
    assert api.get(URL).json()["count"] == 0
    assert WebhookEndpoint.objects.filter(pk=theirs["id"]).exists()


def test_delete_removes_the_endpoint_and_its_outbox_when_called(api, tenant, customer):
    created = api.post(URL, BODY, format="json").json()
    api.patch("/api/resources/customers/cust-1", {"data": {"emailOptOut": True}}, format="json")
    assert WebhookDelivery.objects.count() == 1

    response = api.delete(f"{URL}/{created['id']}/")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_webhook_routes_answer_403_naming_the_scope_when_the_key_lacks_it(client_for, tenant):
    key = make_api_key(tenant, scopes=[s for s in SCOPES if s != "webhooks:manage"])[1]
    api = client_for(key)

    for response in (api.get(URL), api.post(URL, BODY, format="json")):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["errors"] == {"scopes": ["Requires webhooks:manage."]}
    assert not WebhookEndpoint.objects.exists()


def test_customer_mode_answers_403_when_managing_webhooks(client_for, tenant, customer):
    key = make_api_key(tenant, mode="customer", customer=customer.external_id)[1]

    response = client_for(key).post(URL, BODY, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not WebhookEndpoint.objects.exists()


def test_create_answers_400_on_url_and_writes_nothing_when_the_port_is_out_of_range(api, unchanged):
    """The schema's pattern states the port range (Schemathesis found 69953 schema-valid but refused)."""
    from webhooks.serializers import ENDPOINT_URL_PATTERN

    url = "https://hooks.example.com:69953/h"
    assert not re.fullmatch(ENDPOINT_URL_PATTERN, url)
    assert re.fullmatch(ENDPOINT_URL_PATTERN, "https://hooks.example.com:65535/h")
    with unchanged():
        response = api.post(URL, {**BODY, "url": url}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(response.json()["errors"]) == ["url"]
