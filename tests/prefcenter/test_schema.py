"""OpenAPI 3 at /api/schema/ (validated), Swagger UI and Redoc served offline from the sidecar."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

import pytest
import yaml
from openapi_spec_validator import validate

CUSTOMER_ROUTES = {
    "/api/resources/customers": {"post"},
    "/api/resources/customers/{externalId}": {"get", "patch", "delete"},
    "/api/v2/customers": {"get", "post"},
    "/api/v2/customers/{id}": {"get", "patch", "delete"},
}


@pytest.fixture
def schema(db, client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return json.loads(response.content)


def test_schema_validates_as_openapi_3_when_served_as_json(schema):
    validate(schema)

    assert schema["openapi"].startswith("3.")


def test_schema_validates_as_openapi_3_when_served_as_yaml(db, client):
    response = client.get("/api/schema/")

    assert response.status_code == HTTPStatus.OK
    document = yaml.safe_load(response.content)
    validate(document)


def test_schema_is_public_when_no_credentials_are_sent(db, client):
    assert client.get("/api/schema/", {"format": "json"}).status_code == HTTPStatus.OK


def test_schema_lists_every_customer_route_and_method_when_generated(schema):
    for path, methods in CUSTOMER_ROUTES.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))


def test_schema_lists_each_route_once_without_trailing_slash_when_generated(schema):
    assert not [path for path in schema["paths"] if path.endswith("/") and path != "/"]
    assert not [path for path in schema["paths"] if "?" in path or "(" in path]


def test_schema_names_path_parameters_as_the_seeds_do_when_generated(schema):
    for path in schema["paths"]:
        named = set(re.findall(r"{([^}]+)}", path))
        for method, operation in schema["paths"][path].items():
            if method == "parameters":
                continue
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == named, (path, method)
    assert "externalId" in str(list(schema["paths"]))
    teamup = schema["paths"]["/api/v2/customers/{id}"]["get"]
    (id_param,) = [p for p in teamup["parameters"] if p["in"] == "path"]
    assert id_param["schema"]["type"] == "integer"


def test_schema_documents_shared_headers_and_query_parameters_when_generated(schema):
    for path in CUSTOMER_ROUTES:
        for method, operation in schema["paths"][path].items():
            names = {(p["in"], p["name"]) for p in operation["parameters"]}
            assert {
                ("header", "TeamUp-Provider-ID"),
                ("header", "reach-tenant-id"),
                ("header", "Teamup-Request-Mode"),
                ("query", "fields"),
                ("query", "expand"),
                ("query", "format"),
            } <= names, (path, method)


def test_schema_documents_reach_envelopes_on_reach_routes_when_generated(schema):
    patch = schema["paths"]["/api/resources/customers/{externalId}"]["patch"]
    refs = {
        code: r["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for code, r in patch["responses"].items()
    }

    assert {"200", "400", "401", "403", "404"} <= set(refs)
    assert schema["components"]["schemas"][refs["404"]]["properties"].keys() == {"success", "message", "data"}
    assert {"success", "message", "errors"} <= schema["components"]["schemas"][refs["400"]]["properties"].keys()
    assert "ignoreUnknownFields" in {p["name"] for p in patch["parameters"]}


def test_schema_documents_the_error_envelope_on_teamup_routes_when_generated(schema):
    operation = schema["paths"]["/api/v2/customers"]["get"]
    ref = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    assert schema["components"]["schemas"][ref]["properties"].keys() == {
        "detail",
        "code",
        "status",
        "errors",
        "request_id",
    }


def test_schema_declares_every_auth_scheme_when_generated(schema):
    schemes = schema["components"]["securitySchemes"]

    assert {"TokenAuth", "ApiKeyAuth", "BearerAuth"} <= set(schemes)
    assert schemes["BearerAuth"] == {**schemes["BearerAuth"], "type": "http", "scheme": "bearer"}


def test_schema_operation_ids_are_unique_when_generated(schema):
    ids = [
        op["operationId"]
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]

    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_page_loads_only_local_assets_when_served(db, client, path):
    response = client.get(path)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert any("drf_spectacular_sidecar" in asset for asset in assets), assets
    remote = [asset for asset in assets if re.match(r"^(https?:)?//", asset)]
    assert remote == []
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html and "cdnjs" not in html
    assert "/api/schema" in html


@pytest.mark.parametrize(
    "path", ["/api/schema", "/api/schema/", "/api/docs", "/api/docs/", "/api/redoc", "/api/redoc/"]
)
def test_schema_and_docs_answer_without_redirect_when_trailing_slash_is_present_or_not(db, client, path):
    assert client.get(path).status_code == HTTPStatus.OK
