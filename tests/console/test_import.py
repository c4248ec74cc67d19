"""CSV import: through the customer services and the ledger (source `import`), batch by batch, one tenant only."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from console.imports import ImportFileError, customer_import
from customers.models import Customer
from prefcenter.ledger import Actor
from prefcenter.models import ConsentEvent
from tests.factories import make_customer

ACTOR = Actor(label="import:test", source=ConsentEvent.SOURCE_IMPORT)


def run(tenant, text: str, **kwargs):
    return customer_import(tenant=tenant, actor=ACTOR, text=io.StringIO(text, newline=""), **kwargs)


def customers(tenant) -> dict[str, tuple]:
    return {
        c.external_id: (c.email, c.first_name, c.email_opt_out, c.sms_opt_out)
        for c in Customer.objects.filter(tenant=tenant)
    }


def test_import_creates_and_updates_through_the_services_when_lines_are_valid(tenant):
    make_customer(tenant, "ada", email="ada@old.test", first_name="Ada")

    report = run(tenant, "external_id,email,email_opt_out,sms_opt_out\nada,ada@new.test,yes,\nbob,bob@x.test,,false\n")

    assert (report.created, report.updated, report.unchanged, report.errors) == (1, 1, 0, [])
    assert customers(tenant) == {"ada": ("ada@new.test", "Ada", True, True), "bob": ("bob@x.test", "", False, False)}
    ada = Customer.objects.get(tenant=tenant, external_id="ada")
    assert ada.email_opt_out_at is not None
    events = ConsentEvent.objects.filter(tenant=tenant, customer_external_id="ada", source="import")
    assert sorted((e.field, e.old_value, e.new_value) for e in events) == [
        ("email", "ada@old.test", "ada@new.test"), ("email_opt_out", False, True)
    ]
    assert {e.actor for e in ConsentEvent.objects.filter(source="import")} == {"import:test"}
    assert ConsentEvent.objects.filter(customer_external_id="bob", source="import", field="created").exists()


def test_import_writes_nothing_when_a_line_is_unchanged(tenant):
    make_customer(tenant, "ada", email="ada@x.test", email_opt_out=False)
    before = ConsentEvent.objects.count()

    report = run(tenant, "external_id,email,email_opt_out\nada,ada@x.test,false\n")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert ConsentEvent.objects.count() == before


def test_a_bad_line_refuses_its_whole_batch_when_other_batches_are_good(tenant, unchanged):
    text = "external_id,email\n" + "".join(f"c{n},c{n}@x.test\n" for n in range(5)) + "c5,not-an-email\nc6,c6@x.test\n"

    report = run(tenant, text, batch_size=3)

    # Lines 2-4 (c0-c2) form batch 1, lines 5-7 (c3, c4, c5) batch 2 (c5 is bad), line 8 (c6) batch 3.
    assert [(e.line, e.external_id) for e in report.errors] == [(7, "c5")]
    assert "email" in report.errors[0].error
    assert report.refused_batches == [(5, 7)]
    assert report.refused_lines == 3
    assert sorted(customers(tenant)) == ["c0", "c1", "c2", "c6"]
    assert not ConsentEvent.objects.filter(customer_external_id__in=["c3", "c4", "c5"]).exists()


def test_import_reports_every_bad_line_with_its_number_when_a_file_has_several(tenant, unchanged):
    text = (
        "external_id,email,sms_opt_out,phone\n"
        "ok-1,a@x.test,true,\n"
        "bad-bool,b@x.test,maybe,\n"
        ",c@x.test,true,\n"
        "bad-phone,d@x.test,false,12345\n"
        "short,e@x.test\n"
        "ok-1,f@x.test,true,\n"
        f"{'x' * 300},g@x.test,true,\n"
    )

    with unchanged():
        report = run(tenant, text)

    assert [(e.line, e.external_id) for e in report.errors] == [
        (3, "bad-bool"), (4, ""), (5, "bad-phone"), (6, ""), (7, "ok-1"), (8, "x" * 300)
    ]
    messages = [e.error for e in report.errors]
    assert "sms_opt_out: 'maybe' is not a boolean" in messages[0]
    assert messages[1] == "external_id: required."
    assert messages[2].startswith("phone:")
    assert messages[3] == "Has 2 fields; the header has 4."
    assert messages[4] == "external_id 'ok-1' is already on line 2."
    assert messages[5].startswith("external_id:")
    assert report.created == 0


def test_dry_run_reports_the_changes_and_writes_nothing_when_lines_are_valid(tenant, unchanged):
    make_customer(tenant, "ada", email="ada@old.test")

    with unchanged():
        report = run(tenant, "external_id,email\nada,ada@new.test\nbob,bob@x.test\n", dry_run=True)

    assert (report.created, report.updated) == (1, 1)
    assert [(c.line, c.action, c.changes) for c in report.changes] == [
        (2, "update", {"email": ("ada@old.test", "ada@new.test")}),
        (3, "create", {"email": (None, "bob@x.test")}),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("email,phone\na@x.test,\n", "no 'external_id' column"),
        ("external_id,emial\nada,a@x.test\n", "Unknown columns: emial"),
        ("external_id,email,email\nada,a,b\n", "Columns named twice in the header: email"),
    ],
)
def test_import_refuses_the_whole_file_when_the_header_is_unusable(tenant, unchanged, text, message):
    with unchanged(), pytest.raises(ImportFileError, match=message):
        run(tenant, text)


def test_import_never_touches_another_tenant_when_external_ids_collide(tenant, other_tenant, unchanged):
    theirs = make_customer(other_tenant, "ada", email="ada@globex.test", email_opt_out=False)

    report = run(tenant, "external_id,email,email_opt_out\nada,ada@acme.test,true\n")

    assert (report.created, report.updated) == (1, 0)
    theirs.refresh_from_db()
    assert (theirs.email, theirs.email_opt_out) == ("ada@globex.test", False)
    assert not ConsentEvent.objects.filter(tenant=other_tenant, source="import").exists()


def test_import_accepts_an_edited_export_when_imported_back(tenant, acme_world):
    from console.exports import csv_lines, export_rows

    text = "".join(csv_lines(export_rows(tenant=tenant))).replace("ada@acme.test", "ada@new.test")

    report = run(tenant, text)

    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert "workflow:newsletter" in report.ignored_columns and "opt_outs" in report.ignored_columns
    assert Customer.objects.get(tenant=tenant, external_id="ada").email == "ada@new.test"


def test_import_refuses_an_actor_of_another_source_when_called_directly(tenant):
    with pytest.raises(ValueError, match="source 'import'"):
        customer_import(tenant=tenant, actor=Actor(label="x", source="api"), text=io.StringIO("external_id\n"))


# ---------------------------------------------------------------------- the command


def write(tmp_path, text: str, name: str = "customers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_command_imports_and_reports_when_the_file_is_good(tenant, tmp_path):
    out, err = io.StringIO(), io.StringIO()

    call_command("import_customers", "--tenant", "acme", write(tmp_path, "external_id,email\nada,a@x.test\n"),
                 stdout=out, stderr=err)

    assert out.getvalue() == "Did create 1, update 0, leave 0 unchanged (1 lines, batches of 500).\n"
    assert "1/1" in err.getvalue()  # the progress bar
    assert ConsentEvent.objects.get(customer_external_id="ada", field="created").actor.startswith("import:")


def test_import_command_dry_run_writes_nothing_when_asked(tenant, tmp_path, unchanged):
    out = io.StringIO()

    with unchanged():
        call_command("import_customers", "--tenant", "acme", write(tmp_path, "external_id\nada\nbob\n"), "--dry-run",
                     "--no-progress", stdout=out)

    assert out.getvalue().startswith("Would create 2, update 0")


def test_import_command_lists_bad_lines_and_fails_when_a_batch_is_refused(tenant, tmp_path):
    err = io.StringIO()
    path = write(tmp_path, "external_id,sms_opt_out\nada,true\nbob,perhaps\n")

    with pytest.raises(CommandError, match=r"1 bad lines; their batches \(lines 2-3\) were refused: 2 lines"):
        call_command("import_customers", "--tenant", "acme", path, "--no-progress", stdout=io.StringIO(), stderr=err)

    assert "line 3: bob: sms_opt_out: 'perhaps' is not a boolean" in err.getvalue()
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"external_id,emial\nada,x\n", "Unknown columns: emial"),
        (b"\xff\xfe\x00bad", "cannot be read"),
    ],
)
def test_import_command_refuses_a_file_it_cannot_read_when_given_one(tenant, tmp_path, unchanged, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    with unchanged(), pytest.raises(CommandError, match=message):
        call_command("import_customers", "--tenant", "acme", str(path), "--no-progress", stdout=io.StringIO())


def test_import_command_fails_cleanly_when_the_file_or_tenant_is_missing(tenant, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_customers", "--tenant", "acme", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("import_customers", "--tenant", "nope", write(tmp_path, "external_id\n"))
