"""CSV export: opt-outs and effective preferences from the resolution engine, streamed, one tenant only."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.exports import export_rows, spreadsheet_safe
from customers.models import Customer
from subscribers.catalog import tenant_catalog
from subscribers.selectors.resolutions import customer_resolutions
from tests.console.conftest import parse_csv
from tests.factories import make_customer

CHANGELIST = "/admin/customers/customer/"


def exported(tenant, **kwargs) -> dict[str, list[str]]:
    rows = list(export_rows(tenant=tenant, **kwargs))
    header, body = rows[0], rows[1:]
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def test_export_lists_opt_outs_and_effective_preferences_when_customers_chose(tenant, acme_world):
    rows = exported(tenant)

    assert list(rows) == ["ada", "bob", "cy"]
    assert rows["ada"]["email_opt_out"] == "false" and rows["ada"]["sms_opt_out"] == "true"
    assert rows["ada"]["opt_outs"] == ""
    assert rows["ada"]["workflow:newsletter"] == "email push"
    assert rows["ada"]["workflow:order-shipped"] == "email"  # SMS is opt-in: sms_opt_out defaults to true
    assert rows["bob"]["opt_outs"] == "workflow:newsletter.email"
    assert rows["bob"]["workflow:newsletter"] == "push"
    assert rows["bob"]["workflow:order-shipped"] == "email sms"
    assert rows["cy"]["opt_outs"] == "category:marketing.push"
    assert rows["cy"]["workflow:newsletter"] == ""
    assert rows["cy"]["global:email"] == "false" and rows["cy"]["global:push"] == "true"


def test_export_matches_the_engine_for_every_workflow_when_compared_customer_by_customer(tenant, acme_world):
    rows = exported(tenant, chunk_size=2)

    for customer in Customer.objects.filter(tenant=tenant):
        resolution = customer_resolutions(tenant=tenant, customer=customer)
        for resolved in resolution.workflows:
            allowed = [c for c, d in resolved.decisions.items() if d.allowed]
            cell = rows[customer.external_id][f"workflow:{resolved.workflow.identifier}"]
            assert sorted(cell.split()) == sorted(allowed)
        for channel, decision in resolution.global_decisions.items():
            assert rows[customer.external_id][f"global:{channel}"] == ("true" if decision.allowed else "false")


def test_export_never_contains_another_tenants_data_when_both_have_customers(tenant, acme_world, globex_world):
    text = "".join(_command_output(tenant.slug))

    assert "globex" not in text.lower()
    assert "GlobexAda" not in text
    assert [row["external_id"] for row in parse_csv(text)] == ["ada", "bob", "cy"]


def _command_output(slug: str) -> list[str]:
    import io

    out = io.StringIO()
    call_command("export_customers", "--tenant", slug, stdout=out)
    return [out.getvalue()]


def test_export_command_writes_a_file_when_given_out(tenant, acme_world, tmp_path):
    import io

    target, err = tmp_path / "customers.csv", io.StringIO()
    acme_world["ada"].first_name = "Ada\nLovelace"  # a quoted line break is still one customer
    acme_world["ada"].save()

    call_command("export_customers", "--tenant", tenant.slug, "--out", str(target), stderr=err)

    assert err.getvalue() == f"Exported 3 customers of 'acme' to {target}.\n"

    rows = parse_csv(target.read_text(encoding="utf-8"))
    assert [row["external_id"] for row in rows] == ["ada", "bob", "cy"]


def test_export_command_fails_cleanly_when_the_tenant_is_unknown(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("export_customers", "--tenant", "nope")


def test_export_runs_a_fixed_number_of_queries_per_chunk_when_customers_grow(tenant, acme_world):
    tenant_catalog(tenant)  # warm the process's catalog, as a running server has
    for n in range(30):
        make_customer(tenant, f"more-{n:02d}")

    with CaptureQueriesContext(connection) as queries:
        rows = list(export_rows(tenant=tenant, chunk_size=10))

    assert len(rows) == 1 + 33
    # 1 catalog revision + per chunk of 10 (4 chunks, the last one empty): customers, workflow rows, category rows.
    assert len(queries) == 1 + 4 * 3 + 1


def test_export_guards_cells_against_spreadsheet_formulas_when_a_name_starts_with_equals(tenant):
    make_customer(tenant, "evil", first_name="=HYPERLINK(\"http://x\")", phone="+14155550101")

    row = exported(tenant)["evil"]

    assert row["first_name"] == "'=HYPERLINK(\"http://x\")"
    assert row["phone"] == "+14155550101"
    assert spreadsheet_safe("-5") == "-5" and spreadsheet_safe("-x") == "'-x" and spreadsheet_safe("@a") == "'@a"


def test_admin_export_action_streams_the_selection_when_staff_selects_customers(client, staff_user, acme_world,
                                                                               globex_world):
    client.force_login(staff_user)
    bob = acme_world["bob"]

    response = client.post(CHANGELIST, {"action": "export_customers_csv", "_selected_action": [bob.pk]})

    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-acme-')
    rows = parse_csv(b"".join(response.streaming_content).decode())
    assert [row["external_id"] for row in rows] == ["bob"]


def test_admin_export_action_ignores_another_tenants_ids_when_staff_posts_them(client, staff_user, acme_world,
                                                                              globex_world):
    client.force_login(staff_user)
    theirs = globex_world["secret"]

    response = client.post(
        CHANGELIST, {"action": "export_customers_csv", "_selected_action": [theirs.pk, acme_world["ada"].pk]}
    )

    text = b"".join(response.streaming_content).decode()
    assert [row["external_id"] for row in parse_csv(text)] == ["ada"]
    assert "globex" not in text.lower()


def test_admin_export_all_streams_only_the_staff_tenant_when_asked_for_another(client, staff_user, acme_world,
                                                                              globex_world):
    client.force_login(staff_user)

    response = client.get("/admin/console/export/", {"tenant": "globex"})

    assert response.status_code == HTTPStatus.OK
    text = b"".join(response.streaming_content).decode()
    assert [row["external_id"] for row in parse_csv(text)] == ["ada", "bob", "cy"]
    assert "globex" not in text.lower()


def test_admin_export_action_refuses_when_a_superuser_selects_two_tenants(client, superuser, acme_world,
                                                                          globex_world):
    client.force_login(superuser)

    response = client.post(
        CHANGELIST,
        {"action": "export_customers_csv", "_selected_action": [acme_world["ada"].pk, globex_world["ada"].pk]},
        follow=True,
    )

    assert response.status_code == HTTPStatus.OK
    assert "Select the customers of one tenant" in response.content.decode()


def test_superuser_export_all_names_the_tenant_when_given_one(client, superuser, acme_world, globex_world):
    client.force_login(superuser)

    response = client.get("/admin/console/export/", {"tenant": "globex"})

    rows = parse_csv(b"".join(response.streaming_content).decode())
    assert [row["external_id"] for row in rows] == ["ada", "globex-secret"]
    assert rows[1]["opt_outs"] == "category:globex-promos.email"
