"""On PostgreSQL the database itself keeps the ledger balanced and append-only (R6–R8)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError

from ledger import services
from ledger.models import Entry, Transaction
from ledger.verify import verify
from tenancy.scope import tenant_scope

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=["default", "owner"])]
D = Decimal


@pytest.fixture
def posted(coop_a):
    with tenant_scope(coop_a):
        accounts = services.accounts_ensure(cooperative=coop_a)
        tx = services.ledger_post(
            cooperative=coop_a,
            booking_date=date(2026, 11, 2),
            description="shares",
            source_type="share",
            source_id="1",
            actor=None,
            lines=[
                services.Line(accounts["bank"], D("50.00")),
                services.Line(accounts["share_capital"], D("-50.00")),
            ],
        )
    return coop_a, accounts, tx


def _raw(sql, params, coop):
    """Run SQL as the application role in the cooperative's scope; True if the database refused."""
    with tenant_scope(coop), connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check now, not at commit
                cursor.execute(sql, params)
        except DatabaseError:
            return True
    return False


def test_raw_sql_cannot_unbalance_a_transaction(posted):
    coop, accounts, tx = posted
    refused = _raw(
        "INSERT INTO ledger_entry (cooperative_id, transaction_id, account_id, amount, text) "
        "VALUES (%s, %s, %s, 1.00, 'forged')",
        [coop.pk, tx.pk, accounts["bank"].pk],
        coop,
    )
    assert refused


def test_raw_sql_cannot_post_a_one_sided_transaction(posted):
    coop, accounts, _tx = posted
    refused = _raw(
        "WITH t AS (INSERT INTO ledger_transaction (cooperative_id, sequence, booking_date, "
        "posted_at, description, source_type, source_id, previous_hash, hash) VALUES "
        "(%s, 99, '2026-11-03', now(), 'forged', 'manual', 'x', '', '') RETURNING id) "
        "INSERT INTO ledger_entry (cooperative_id, transaction_id, account_id, amount, text) "
        "SELECT %s, id, %s, 5.00, '' FROM t",
        [coop.pk, coop.pk, accounts["bank"].pk],
        coop,
    )
    assert refused


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entry SET amount = amount * 2",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_transaction SET description = 'changed'",
        "DELETE FROM ledger_transaction",
    ],
)
def test_posted_rows_cannot_be_changed_by_the_application(posted, sql):
    coop, _accounts, _tx = posted
    assert _raw(sql, [], coop)
    with tenant_scope(coop):
        assert Entry.objects.count() == 2 and Transaction.objects.get().description == "shares"


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_verify_ledger_finds_an_entry_the_owner_altered(posted, capsys):
    # transaction=True: the owner's ALTER TABLE needs the rows committed, not held by the test.
    coop, _accounts, tx = posted
    with tenant_scope(coop):
        entry = Entry.objects.filter(transaction=tx, amount__gt=0).get()
    owner = connections["owner"]
    with owner.cursor() as cursor:
        # The owner can switch the append-only triggers off: exactly what tamper evidence is for.
        cursor.execute("SELECT set_config('app.cooperative_id', %s, false)", [str(coop.pk)])
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
        cursor.execute("UPDATE ledger_entry SET amount = 500.00 WHERE id = %s", [entry.pk])
        cursor.execute(
            "UPDATE ledger_entry SET amount = -500.00 WHERE transaction_id = %s AND id <> %s",
            [tx.pk, entry.pk],
        )
        cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER USER")
        cursor.execute("SELECT set_config('app.cooperative_id', '', false)")
    with tenant_scope(coop):
        problems = verify(cooperative=coop)
    assert (
        problems and f"transaction #{tx.sequence}" in problems[0] and str(entry.pk) in problems[0]
    )
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_ledger", "--cooperative", coop.slug)
    assert exit_info.value.code == 1
    assert "FIRST PROBLEM" in capsys.readouterr().err


def test_the_application_cannot_change_posted_rows_even_telling_triggers_to_skip(posted):
    coop, _accounts, _tx = posted
    refused = _raw(
        "SELECT set_config('pgtrigger.ignore', "
        "'{pgtrigger_entry_append_only_cb569,pgtrigger_transaction_append_only_b7319}', true);"
        " UPDATE ledger_entry SET text = 'forged'",
        [],
        coop,
    )
    assert refused  # no UPDATE privilege at all


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_verify_ledger_notices_removed_transactions(posted):
    coop, accounts, _tx = posted
    with tenant_scope(coop):
        services.ledger_post(
            cooperative=coop,
            booking_date=date(2026, 11, 3),
            description="second",
            source_type="manual",
            source_id="2",
            actor=None,
            lines=[
                services.Line(accounts["bank"], D("5.00")),
                services.Line(accounts["share_capital"], D("-5.00")),
            ],
        )
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT set_config('app.cooperative_id', %s, false)", [str(coop.pk)])
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE ledger_transaction DISABLE TRIGGER USER")
        cursor.execute(
            "DELETE FROM ledger_entry WHERE transaction_id = "
            "(SELECT id FROM ledger_transaction WHERE sequence = 2)"
        )
        cursor.execute("DELETE FROM ledger_transaction WHERE sequence = 2")
        cursor.execute("UPDATE ledger_account SET balance = balance - 5.00 WHERE kind = 'bank'")
        cursor.execute(
            "UPDATE ledger_account SET balance = balance + 5.00 WHERE kind = 'share_capital'"
        )
        cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER USER")
        cursor.execute("ALTER TABLE ledger_transaction ENABLE TRIGGER USER")
        cursor.execute("SELECT set_config('app.cooperative_id', '', false)")
    with tenant_scope(coop):
        problems = verify(cooperative=coop)
    assert problems and "chain head" in problems[0]
