"""Management commands operators and black-box tests use: exact names, the secret alone on the last line."""

from __future__ import annotations

import logging
import time
from http import HTTPStatus
from io import StringIO
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from prefcenter.models import SCOPES, ApiKey, Tenant, hash_key
from tests.factories import make_customer


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def test_create_tenant_creates_it_when_slug_is_new(db):
    lines = run("create_tenant", "initech", "--name", "Initech LLC")

    tenant = Tenant.objects.get(slug="initech")
    assert tenant.name == "Initech LLC"
    assert lines == [f"Created tenant initech (id {tenant.pk})"]


def test_create_tenant_defaults_the_name_to_the_slug_when_no_name(db):
    run("create_tenant", "hooli")

    assert Tenant.objects.get(slug="hooli").name == "hooli"


@pytest.mark.parametrize(
    ("slug", "message"), [("acme", "Tenant 'acme' already exists."), ("not a slug", "Invalid slug")]
)
def test_create_tenant_fails_when_slug_is_taken_or_invalid(tenant, slug, message):
    with pytest.raises(CommandError, match=message):
        run("create_tenant", slug)

    assert Tenant.objects.count() == 1


def test_create_api_key_prints_a_working_key_alone_on_the_last_line_when_bound_to_a_tenant(
    tenant, customer, client_for
):
    lines = run("create_api_key", "--tenant", "acme", "--scopes", "all")

    raw = lines[-1]
    key = ApiKey.objects.get(key_hash=hash_key(raw))
    assert raw == raw.strip() and " " not in raw
    assert (key.tenant, key.scopes, key.allow_provider, key.allow_customer) == (tenant, list(SCOPES), True, False)
    response = client_for(raw).get("/api/v2/customers")
    assert response.status_code == HTTPStatus.OK
    assert [row["external_id"] for row in response.json()["results"]] == ["cust-1"]


def test_create_api_key_limits_scopes_when_a_list_is_given(tenant, customer, client_for):
    raw = run("create_api_key", "--tenant", "acme", "--scopes", "customers:read,messaging:read")[-1]

    assert ApiKey.objects.get(key_hash=hash_key(raw)).scopes == ["customers:read", "messaging:read"]
    assert client_for(raw).get("/api/v2/customers").status_code == HTTPStatus.OK
    denied = client_for(raw).patch(f"/api/v2/customers/{customer.pk}", {"first_name": "X"}, format="json")
    assert denied.status_code == HTTPStatus.FORBIDDEN
    assert denied.json()["errors"] == {"scopes": ["Requires customers:write."]}


def test_create_api_key_platform_key_reaches_every_tenant_when_header_names_one(tenant, other_tenant, client_for):
    make_customer(tenant, "a-1")
    make_customer(other_tenant, "g-1")

    raw = run("create_api_key", "--platform", "--scopes", "customers:read")[-1]

    assert ApiKey.objects.get(key_hash=hash_key(raw)).tenant is None
    for slug, expected in (("acme", "a-1"), ("globex", "g-1")):
        response = client_for(raw, HTTP_TEAMUP_PROVIDER_ID=slug).get("/api/v2/customers")
        assert [row["external_id"] for row in response.json()["results"]] == [expected]


def test_create_api_key_customer_mode_acts_for_its_customer_when_given(tenant, customer, client_for):
    make_customer(tenant, "cust-2")

    raw = run("create_api_key", "--tenant", "acme", "--scopes", "all", "--mode", "customer", "--customer", "cust-1")[-1]

    response = client_for(raw).get("/api/v2/customers")
    assert [row["external_id"] for row in response.json()["results"]] == ["cust-1"]


def test_create_api_key_both_modes_needs_the_mode_header_when_used(tenant, customer, client_for):
    raw = run("create_api_key", "--tenant", "acme", "--scopes", "all", "--mode", "both", "--customer", "cust-1")[-1]

    assert client_for(raw).get("/api/v2/customers").status_code == HTTPStatus.BAD_REQUEST
    assert client_for(raw, HTTP_TEAMUP_REQUEST_MODE="provider").get("/api/v2/customers").status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nobody", "--scopes", "all"], "Unknown tenant 'nobody'."),
        (["--tenant", "acme", "--scopes", "customers:read,root"], "Unknown scope"),
        (["--tenant", "acme", "--scopes", ","], "Give at least one scope"),
        (["--tenant", "acme", "--scopes", "all", "--mode", "customer"], "must be bound to a customer"),
    ],
)
def test_create_api_key_fails_without_creating_a_key_when_arguments_are_wrong(tenant, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_api_key", *args)

    assert ApiKey.objects.count() == 0


def test_create_api_key_requires_tenant_or_platform_when_neither_is_given(tenant):
    with pytest.raises(CommandError):
        run("create_api_key", "--scopes", "all")
    with pytest.raises(CommandError):
        run("create_api_key", "--tenant", "acme", "--platform", "--scopes", "all")


def test_mint_customer_token_prints_a_working_jwt_alone_on_the_last_line_when_asked(tenant, customer, client_for):
    make_customer(tenant, "cust-2")

    token = run("mint_customer_token", "--tenant", "acme", "--customer", "cust-1", "--ttl", "120")[-1]

    assert token.count(".") == 2 and " " not in token
    response = client_for(token, scheme="Bearer").get("/api/v2/customers")
    assert response.status_code == HTTPStatus.OK
    assert [row["external_id"] for row in response.json()["results"]] == ["cust-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nobody", "--customer", "c"], "Unknown tenant"),
        (["--tenant", "acme", "--customer", "c", "--ttl", "0"], "positive"),
    ],
)
def test_mint_customer_token_fails_when_arguments_are_wrong(tenant, args, message):
    with pytest.raises(CommandError, match=message):
        run("mint_customer_token", *args)


def _counts() -> dict[str, int]:
    models = [
        m for m in apps.get_models() if m._meta.app_label in ("prefcenter", "customers", "messaging", "subscribers")
    ]
    counts = {m._meta.label: m.objects.count() for m in models}
    counts["users"] = get_user_model().objects.count()
    return counts


def test_load_demo_is_idempotent_when_run_twice(db, client_for):
    first_output = run("load_demo")
    after_first = _counts()

    # Signed two seconds later (without waiting for it): the links differ, as they may in any run.
    later = time.time() + 2
    with mock.patch("django.core.signing.time.time", return_value=later):
        second_output = run("load_demo")

    assert _counts() == after_first
    assert after_first["prefcenter.Tenant"] == 1
    assert after_first["customers.Customer"] >= 3
    assert after_first["prefcenter.ApiKey"] >= 1
    # The signed self-service link carries its signing time, so two runs a second apart print different
    # tokens for the same customer; every other line is the same, and both links open the page.
    def without_links(lines: list[str]) -> list[str]:
        return [line.split("/p/")[0] for line in lines]

    assert without_links(first_output) == without_links(second_output)
    for output in (first_output, second_output):
        link = next(line for line in output if "/p/" in line).rsplit(" ", 1)[-1]
        assert client_for(None).get("/p/" + link.split("/p/", 1)[1]).status_code == HTTPStatus.OK
    key_line = next(line for line in first_output if line.startswith("API key"))
    raw = key_line.rsplit(" ", 1)[-1]
    response = client_for(raw).get("/api/v2/customers")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] == after_first["customers.Customer"]


def test_load_demo_prints_only_what_a_newcomer_needs_when_run(db, caplog):
    """The services log every catalog row they create at INFO ("category acme/billing created by demo"); the
    demo keeps those out of `make run`'s output and leaves the operators' logging as it was."""
    with caplog.at_level(logging.INFO):
        lines = run("load_demo")

    assert [record.getMessage() for record in caplog.records if record.levelno < logging.WARNING] == []
    assert [line.split(":")[0] for line in lines] == [
        "Demo tenant", "Admin (superuser)", "Staff (tenant acme only)", "API key (all scopes, provider mode)",
        "Self-service page of cust-ada (signed link)",
    ]
    assert {logging.getLogger(name).level for name in ("prefcenter", "customers", "messaging", "subscribers")} == {
        logging.NOTSET
    }


def test_load_demo_logs_what_it_creates_when_run_with_verbosity_2(db, caplog):
    with caplog.at_level(logging.INFO):
        call_command("load_demo", verbosity=2, stdout=StringIO())

    assert "category acme/billing created by demo" in [record.getMessage() for record in caplog.records]


def test_load_demo_gives_a_staff_login_bound_to_the_demo_tenant_when_loaded(db, client):
    lines = run("load_demo")

    staff_line = next(line for line in lines if line.startswith("Staff"))
    username, password = staff_line.split(": ", 1)[1].split(" / ")
    assert client.login(username=username, password=password)
    response = client.get("/admin/customers/customer/")
    assert response.status_code == HTTPStatus.OK
    assert {c.tenant.slug for c in response.context["cl"].result_list} == {"acme"}
