from http import HTTPStatus

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/api/resources/customers/a%00b",
        "/v2/subscribers/a%00b",
        "/v2/workflows/a%00b",
        "/v1/messaging/categories/a%00b",
        "/api/v2/customers?search=a%00b",
        "/v1/messaging/preferences/a%00b",
    ],
)
def test_nul_characters_are_a_400_when_sent_in_path_or_query(api, path):
    response = api.get(path)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v2/workflows", {"workflowId": "nul-wf", "name": "N", "tags": ["a\u0000b"], "channels": ["email"]}),
        ("/v2/workflows", {"workflowId": "nul-wf", "name": "N\u0000", "channels": ["email"]}),
        ("/v1/messaging/categories", {"key": "nul", "name": "a\u0000b"}),
        ("/api/v2/customers", {"external_id": "a\u0000b"}),
    ],
)
def test_nul_characters_are_a_400_when_sent_in_a_json_body(api, path, body, unchanged):
    with unchanged():
        response = api.post(path, body, format="json")
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
