"""Durability: backup_db / restore_db round trips (SQLite backup API, pg_dump/pg_restore) and the ledger checksum."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from customers.models import Customer
from customers.services import customer_create, customer_update
from prefcenter.ledger import Actor, ledger_checksum
from prefcenter.models import ConsentEvent
from tests.factories import make_tenant


def build_history(tenant, prefix: str, customers: int = 3) -> None:
    actor = Actor(label="key:ops", source="api", request_id="req-1", ip="203.0.113.9", user_agent="curl/8")
    for n in range(customers):
        customer = customer_create(
            tenant=tenant, actor=actor, external_id=f"{prefix}-{n}", email=f"{prefix}{n}@example.com", locale="fr"
        )
        customer_update(customer=customer, actor=Actor.system(), sms_opt_out=False, first_name="Zoë ✓")


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_restore_brings_back_the_exact_ledger_when_a_backup_is_restored(tenant, tmp_path):
    build_history(tenant, "kept")
    count, checksum = ledger_checksum()
    customers = list(Customer.objects.order_by("pk").values())
    backup = tmp_path / "prefcenter.backup"

    output = run("backup_db", str(backup))
    assert backup.is_file()
    assert f"ledger events={count} sha256={checksum}" in output

    build_history(tenant, "after-backup", customers=1)
    assert ledger_checksum() != (count, checksum)

    output = run("restore_db", str(backup), "--no-input")
    assert f"ledger events={count} sha256={checksum}" in output
    assert ledger_checksum() == (count, checksum)
    assert ConsentEvent.objects.count() == count
    assert list(Customer.objects.order_by("pk").values()) == customers
    # The restored database keeps working: new writes get fresh ids after the restored ones.
    build_history(tenant, "after-restore", customers=1)
    assert ConsentEvent.objects.count() > count


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_backup_when_given_one(tenant, tmp_path):
    build_history(tenant, "kept", customers=1)
    before = ledger_checksum()
    bogus = tmp_path / "not-a-backup"
    bogus.write_bytes(b"this is not a database dump\n" * 10)
    with pytest.raises(CommandError):
        run("restore_db", str(bogus), "--no-input")
    with pytest.raises(CommandError, match="No backup at"):
        run("restore_db", str(tmp_path / "missing"), "--no-input")
    assert ledger_checksum() == before


@pytest.mark.django_db(transaction=True)
def test_restore_changes_nothing_when_the_operator_does_not_confirm(tenant, tmp_path, monkeypatch):
    backup = tmp_path / "empty.backup"
    run("backup_db", str(backup))
    build_history(tenant, "kept", customers=1)
    before = ledger_checksum()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        run("restore_db", str(backup))
    assert ledger_checksum() == before


def test_checksum_changes_when_any_recorded_value_is_altered(tenant):
    build_history(tenant, "c", customers=2)
    count, checksum = ledger_checksum()
    assert count == ConsentEvent.objects.count() > 0
    assert ledger_checksum() == (count, checksum)  # deterministic
    event = ConsentEvent.objects.filter(field="sms_opt_out").first()
    table = ConsentEvent._meta.db_table
    with connection.cursor() as cursor:  # tampering behind the append-only model's back
        cursor.execute(f"UPDATE {table} SET actor = %s WHERE id = %s", ["someone-else", event.pk])
    assert ledger_checksum() == (count, ledger_checksum()[1])
    assert ledger_checksum()[1] != checksum


def test_checksum_of_one_tenant_ignores_other_tenants_when_scoped(tenant):
    build_history(tenant, "a", customers=1)
    mine = ledger_checksum(tenant)
    build_history(make_tenant("globex"), "b", customers=1)
    assert ledger_checksum(tenant) == mine
    assert ledger_checksum()[0] > mine[0]
    assert f"ledger events={mine[0]} sha256={mine[1]}" in run("ledger_checksum", "--tenant", "acme")
    with pytest.raises(CommandError, match="No tenant"):
        run("ledger_checksum", "--tenant", "nope")
