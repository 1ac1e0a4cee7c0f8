"""Benchmark of the DATEV export (P3): N ledger transactions of one year become N bookings.

Data (not timed): N transactions written set-based in a fresh cooperative — half bank charges
(bank an expense), half client money into a member's budget (bank an clearing account with the
member as KOST1) — spread evenly over the year.

Floor: `COPY (…) TO STDOUT` of the same rows (date, amount, accounts, number, text) into a file.
Application path: `datev_package_write` — reading the transactions in chunks, mapping them to
bookings, writing the EXTF files, the debtor file and the reconciliation — into a temporary
directory. Ratio = app / floor (goal ≤ 2×).

Memory: the export runs twice more in forked processes, for the first tenth of the year and for
the whole year; `rss_growth_mb` is the difference of their peak RSS (goal ≤ 30 MB)."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from ledger import services as ledger_services
from ledger.models import AccountKind, LedgerSettings
from reports import services
from tenancy.scope import tenant_scope


def _transactions_set_based(
    cooperative_id: int, accounts: dict, budget_id: int, count: int, year: int
) -> None:
    # One transaction: the ledger's balance trigger checks every transaction at commit.
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, false)",
            [settings.SMARTCOOP_RLS_SETTING, str(cooperative_id)],
        )
        # Bench data only: transactions numbered 1..N on dates spread over the year.
        cursor.execute(
            """
            INSERT INTO ledger_transaction (cooperative_id, sequence, booking_date, posted_at,
                description, source_type, source_id, previous_hash, hash)
            SELECT %s, g, make_date(%s, 1, 1) + ((g - 1) * 365 / %s)::int, now(),
                   CASE WHEN g %% 2 = 0 THEN 'Client payment ' || g ELSE 'Bank charges ' || g END,
                   CASE WHEN g %% 2 = 0 THEN 'payment' ELSE 'bank' END,
                   'bench-' || g, '', md5(g::text)
            FROM generate_series(1, %s) g
            """,
            [cooperative_id, year, count, count],
        )
        cursor.execute(
            """
            INSERT INTO ledger_entry (cooperative_id, transaction_id, account_id, amount, text)
            SELECT t.cooperative_id, t.id, a.account_id, a.sign * (10 + t.sequence %% 90), ''
            FROM ledger_transaction t
            CROSS JOIN LATERAL (VALUES
                (%s, CASE WHEN t.sequence %% 2 = 0 THEN 1 ELSE -1 END),
                (CASE WHEN t.sequence %% 2 = 0 THEN %s ELSE %s END,
                 CASE WHEN t.sequence %% 2 = 0 THEN -1 ELSE 1 END)) AS a(account_id, sign)
            WHERE t.cooperative_id = %s
            """,
            [accounts["bank"], budget_id, accounts["charges"], cooperative_id],
        )
        cursor.execute("ANALYZE ledger_transaction, ledger_entry")
        cursor.execute("SELECT set_config(%s, '', false)", [settings.SMARTCOOP_RLS_SETTING])


def _floor(cooperative_id: int, start: date, end: date, target: Path) -> float:
    sql = """
        COPY (
            SELECT to_char(t.booking_date, 'DDMM'), replace(e.amount::text, '.', ','),
                   a.skr03, t.sequence, t.description
            FROM ledger_transaction t
            JOIN ledger_entry e ON e.transaction_id = t.id AND e.amount > 0
            JOIN ledger_account a ON a.id = e.account_id
            WHERE t.cooperative_id = %s AND t.booking_date BETWEEN %s AND %s
            ORDER BY t.booking_date, t.sequence
        ) TO STDOUT WITH (FORMAT csv, DELIMITER ';')
    """
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, false)",
            [settings.SMARTCOOP_RLS_SETTING, str(cooperative_id)],
        )
        started = time.perf_counter()
        with (
            open(target, "wb") as out,
            cursor.cursor.copy(sql, [cooperative_id, start, end]) as copy,
        ):
            for block in copy:
                out.write(block)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT set_config(%s, '', false)", [settings.SMARTCOOP_RLS_SETTING])
    return elapsed


def _export(cooperative, start: date, end: date) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-datev-") as directory, tenant_scope(cooperative):
        package = services.datev_package_write(
            cooperative=cooperative,
            date_from=start,
            date_to=end,
            exported_by="bench",
            directory=Path(directory),
        )
    if package.differences:
        raise RuntimeError(f"the export does not reconcile: {package.differences} differences")
    return package.bookings


def _peak_rss_mb_of(run) -> float:
    """Run `run()` in a forked process; its peak RSS in MB."""
    connections.close_all()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: export, report the peak, leave without cleanup
        os.close(read)
        try:
            run()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            os.write(write, f"{peak:.1f}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    if not answer:
        raise RuntimeError("the export in the child process failed")
    return float(answer)


def export(*, scale: int) -> dict:
    from invoicing.bench import _cooperative
    from members.models import Member

    if connection.vendor != "postgresql" or "owner" not in settings.DATABASES:
        raise RuntimeError("bench export needs PostgreSQL (DATABASE_URL, DATABASE_OWNER_URL)")
    cooperative, user = _cooperative()
    year = timezone.localdate().year - 1
    start, end = date(year, 1, 1), date(year, 12, 31)
    with tenant_scope(cooperative):
        LedgerSettings.objects.update_or_create(
            cooperative=cooperative,
            defaults={"datev_consultant_number": 1001, "datev_client_number": 1},
        )
        accounts = ledger_services.accounts_ensure(cooperative=cooperative)
        member = Member.objects.create(
            cooperative=cooperative,
            user=user,
            first_name="Bench",
            last_name="Member",
            member_number=1,
            status=Member.Status.ACTIVE,
            joined_on=start,
        )
        budget = ledger_services.account_member(member=member)
    _transactions_set_based(
        cooperative.pk,
        {"bank": accounts[AccountKind.BANK].pk, "charges": accounts[AccountKind.BANK_CHARGES].pk},
        budget.pk,
        scale,
        year,
    )
    with tempfile.TemporaryDirectory(prefix="bench-copy-") as directory:
        floor = _floor(cooperative.pk, start, end, Path(directory) / "floor.csv")

    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        bookings = _export(cooperative, start, end)
        app = time.perf_counter() - started
    if bookings != scale:
        raise RuntimeError(f"expected {scale} bookings, got {bookings}")
    tenth = start + timedelta(days=36)
    small = _peak_rss_mb_of(lambda: _export(cooperative, start, tenth))
    large = _peak_rss_mb_of(lambda: _export(cooperative, start, end))
    return {
        "rss_tenth_mb": small,
        "rss_full_mb": large,
        "rss_growth_mb": large - small,
        "floor_s": floor,
        "app_s": app,
        "ratio": app / floor,
        "queries": counted[0],
    }
