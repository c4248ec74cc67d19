"""Integer ids in paths, headers and bodies are parsed in one place (prefcenter/ids.row_id): a value that
cannot name a row is a 404 (never a 500), whatever the route. `"²".isdigit()` is true but `int("²")` fails."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from prefcenter.ids import row_id
from tests.factories import make_api_key, make_customer, make_workflow

pytestmark = pytest.mark.django_db

NOT_IDS = ["²", "١٢", "-1", "1.0", " 1", "", "99999999999999999999999", str(2**63)]


@pytest.mark.parametrize("value", NOT_IDS)
def test_row_id_is_none_when_value_names_no_row(value):
    assert row_id(value) is None


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("42", 42), ("007", 7), (str(2**63 - 1), 2**63 - 1)])
def test_row_id_is_the_integer_when_value_is_ascii_digits(value, expected):
    assert row_id(value) == expected


@pytest.mark.parametrize("value", ["%C2%B2", "99999999999999999999999"])
@pytest.mark.parametrize(
    "route",
    [
        "/v1/webhooks/{value}",
        "/api/v2/customers/{customer}/notification_preferences/{value}",
        "/api/v2/customers/{value}/notification_preferences",
    ],
)
def test_path_id_is_404_when_it_is_not_ascii_digits(api, tenant, route, value):
    customer = make_customer(tenant, "a")
    response = api.get(route.format(value=value, customer=customer.pk))
    assert response.status_code == HTTPStatus.NOT_FOUND, response.content


def test_bulk_preferences_are_404_when_workflow_id_is_not_ascii_digits(api, tenant, unchanged):
    make_customer(tenant, "a")
    make_workflow(tenant, "w")
    body = {"preferences": [{"channels": {"email": False}, "workflowId": "²"}]}
    with unchanged():
        response = api.patch("/v2/subscribers/a/preferences/bulk", body, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND, response.content
    assert list(response.json()["errors"]) == ["preferences.0.workflowId"]


def test_platform_key_is_404_when_tenant_header_is_not_ascii_digits(client_for, tenant):
    response = client_for(make_api_key(None)[1], HTTP_TEAMUP_PROVIDER_ID="²").get("/api/v2/customers")
    assert response.status_code == HTTPStatus.NOT_FOUND, response.content
