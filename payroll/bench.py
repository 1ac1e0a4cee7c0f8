"""Benchmark of the month's payroll (issue 7): N active members with employment data and six
months of budget inflow, written set-based beforehand (not timed).

Floor: the rows the payroll writes, written set-based into copies of the tables (no triggers,
no foreign keys): one line per member from a single INSERT … SELECT over the members' average
inflow, and for each line a ledger transaction with four entries. Application path:
`payroll_run_compute` (chunks, the salary rule, the inverse employer cost, the BMF programme)
then submission and approval (postings for every line and the SEPA salary file). Ratio = app
time / floor time (goal ≤ 3× at 100k members)."""

from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.db import connection, connections, transaction

MONTH = date(2026, 10, 1)
INFLOW_MONTHS = [date(2026, m, 15) for m in range(4, 10)]


def payroll(*, scale: int) -> dict:
    from invoicing.bench import _cooperative
    from payroll import services
    from payroll.models import PayrollRun
    from tenancy.models import User
    from tenancy.scope import tenant_scope

    if connection.vendor != "postgresql" or "owner" not in settings.DATABASES:
        raise RuntimeError("bench payroll needs PostgreSQL (DATABASE_URL, DATABASE_OWNER_URL)")
    cooperative, _user = _cooperative()
    with tenant_scope(cooperative):
        from banking.models import BankAccount
        from ledger.services import accounts_ensure

        accounts_ensure(cooperative=cooperative)
        BankAccount.objects.create(cooperative=cooperative, name="Bench", iban=cooperative.iban)
    _prepare(cooperative.pk, scale)
    floor = _floor(cooperative.pk, scale)
    preparer = User.objects.create_user(
        email=f"prep-{cooperative.slug}@bench.example", password=None, full_name="Preparer"
    )
    approver = User.objects.create_user(
        email=f"appr-{cooperative.slug}@bench.example", password=None, full_name="Approver"
    )
    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        run, summary = services.payroll_run_compute(cooperative=cooperative, month=MONTH)
        with tenant_scope(cooperative):
            run = services.payroll_run_submit(run=run, actor=preparer)
            run = services.payroll_run_approve(run=run, actor=approver)
        app = time.perf_counter() - started
    if summary.lines != scale or run.status != PayrollRun.Status.APPROVED:
        raise RuntimeError(f"unexpected payroll result: {summary.line()}")
    return {
        "floor_s": floor,
        "app_s": app,
        "ratio": app / floor,
        "queries": counted[0],
        "gross": summary.gross,
        "warnings": summary.warnings,
    }


# The members' insurer with its rates, so the run takes the usual path (insurer known).
_INSURER_SQL = """WITH insurer AS (
         INSERT INTO payroll_healthinsurer (cooperative_id, name, company_number)
         VALUES (%(coop)s, 'Bench BKK', '') RETURNING id)
       INSERT INTO payroll_healthinsurerrate (cooperative_id, insurer_id, valid_from,
         additional_rate, u1_rate, u2_rate)
       SELECT %(coop)s, insurer.id, '2026-01-01', 2.9, 0, 0.24 FROM insurer"""


def _prepare(cooperative_id: int, scale: int) -> None:
    """Members with six months of inflow between 400 € and 7,400 € a month, balances set to
    match the entries."""
    from ops.scale import ledger_close, members_insert

    params = {"coop": cooperative_id, "scale": scale}
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        # Row-level security binds the owner too (FORCE): act as the bench cooperative.
        cursor.execute(
            "SELECT set_config(%s, %s, true)", [settings.SMARTCOOP_RLS_SETTING, str(cooperative_id)]
        )
        members_insert(
            cursor,
            cooperative_id=cooperative_id,
            count=scale,
            prefix=f"bench-{cooperative_id}-",
            domain="bench.example",
            joined=date(2026, 1, 1),
            insurer="Bench BKK",
        )
        cursor.execute(_INSURER_SQL, params)
        cursor.execute(
            "SELECT id FROM ledger_account WHERE cooperative_id = %s AND kind = 'bank'",
            [cooperative_id],
        )
        bank = cursor.fetchone()[0]
        # One transaction per member and month (bank against budget), balanced by
        # construction. The deferred per-row balance checks would queue millions of events for
        # this one commit; the owner switches them off inside the transaction (DDL is
        # transactional: a crash leaves them on) and back on before commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE ledger_transaction DISABLE TRIGGER ledger_transaction_balanced;"
            "ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_balanced"
        )
        for n, day in enumerate(INFLOW_MONTHS):
            cursor.execute(
                """WITH tx AS (
                     INSERT INTO ledger_transaction (cooperative_id, sequence, booking_date,
                       posted_at, description, source_type, source_id, previous_hash, hash)
                     SELECT %(coop)s, %(offset)s + row_number() OVER (ORDER BY a.id), %(day)s,
                       now(), 'bench inflow', 'payment', a.id::text, '', ''
                     FROM ledger_account a
                     WHERE a.cooperative_id = %(coop)s AND a.kind = 'member_budget'
                     RETURNING id, source_id)
                   INSERT INTO ledger_entry (cooperative_id, transaction_id, account_id, amount,
                     text)
                   SELECT %(coop)s, tx.id, CASE k WHEN 1 THEN a.id ELSE %(bank)s END,
                     CASE k WHEN 1 THEN -1 ELSE 1 END
                       * (400 + (a.member_id * 37 + %(n)s * 11) %% 7000), 'bench'
                   FROM tx JOIN ledger_account a ON a.id = tx.source_id::bigint
                   CROSS JOIN generate_series(1, 2) k""",
                {"coop": cooperative_id, "offset": n * scale, "day": day, "n": n, "bank": bank},
            )
        cursor.execute(
            "ALTER TABLE ledger_transaction ENABLE TRIGGER ledger_transaction_balanced;"
            "ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_balanced"
        )
        # Statistics before the balance update and the deferred balance checks at commit, or
        # both plan for empty tables.
        cursor.execute("ANALYZE ledger_account, ledger_transaction, ledger_entry")
        # Bench data: the inflow transactions carry no hashes (verify_ledger fails on them).
        ledger_close(
            cursor,
            cooperative_id=cooperative_id,
            sequence=len(INFLOW_MONTHS) * scale,
            head="0" * 64,
        )
    with connections["owner"].cursor() as cursor:
        cursor.execute("ANALYZE")


_FLOOR_TABLES = {
    "bench_floor_line": "payroll_payrollline",
    "bench_floor_tx": "ledger_transaction",
    "bench_floor_entry": "ledger_entry",
}

_FLOOR_SQL = [
    """INSERT INTO bench_floor_line (cooperative_id, run_id, member_id, status, band, hours,
         gross, employee_social_insurance, wage_tax, solidarity_surcharge, church_tax, net,
         employer_social_insurance, employer_levies, employer_cost, expenses_reimbursed,
         average_inflow, budget_before, budget_after, warnings, details, reject_reason)
       SELECT %(coop)s, 0, a.member_id, 'open', 'regular', 160, x.gross,
         round(x.gross * 0.2095, 2), round(x.gross * 0.12, 2), 0, 0,
         x.gross - round(x.gross * 0.2095, 2) - round(x.gross * 0.12, 2),
         round(x.gross * 0.1995, 2), round(x.gross * 0.0015, 2),
         x.gross + round(x.gross * 0.1995, 2) + round(x.gross * 0.0015, 2), 0,
         x.inflow, -a.balance,
         -a.balance - x.gross - round(x.gross * 0.1995, 2) - round(x.gross * 0.0015, 2),
         '[]', '{}', ''
       FROM ledger_account a
       JOIN (SELECT e.account_id, round(-sum(e.amount) / 6, 2) AS inflow,
                    round(-sum(e.amount) / 6 / 1.213, 2) AS gross
             FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
             WHERE e.cooperative_id = %(coop)s AND t.booking_date >= %(start)s
               AND t.booking_date < %(month)s AND t.source_type <> 'payroll_line'
             GROUP BY e.account_id) x ON x.account_id = a.id
       WHERE a.cooperative_id = %(coop)s AND a.kind = 'member_budget'""",
    """INSERT INTO bench_floor_tx (cooperative_id, sequence, booking_date, posted_at,
         description, source_type, source_id, idempotency_key, previous_hash, hash)
       SELECT %(coop)s, l.id, %(pay_day)s, now(), 'Salary ' || l.member_id, 'payroll_line',
         l.id::text, 'payroll:line-' || l.id, encode(sha256(l.id::text::bytea), 'hex'),
         encode(sha256((l.id::text || l.gross::text)::bytea), 'hex')
       FROM bench_floor_line l""",
    """INSERT INTO bench_floor_entry (cooperative_id, transaction_id, account_id, amount, text)
       SELECT %(coop)s, t.id, k, CASE k WHEN 1 THEN l.employer_cost WHEN 2 THEN -l.net
         WHEN 3 THEN -(l.employee_social_insurance + l.employer_social_insurance
                       + l.employer_levies)
         ELSE -l.wage_tax END, 'bench'
       FROM bench_floor_tx t JOIN bench_floor_line l ON t.sequence = l.id
       CROSS JOIN generate_series(1, 4) k""",
]


def _floor(cooperative_id: int, scale: int) -> float:
    params = {
        "coop": cooperative_id,
        "start": date(2026, 4, 1),
        "month": MONTH,
        "pay_day": date(2026, 10, 30),
    }
    with transaction.atomic(using="owner"), connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true)", [settings.SMARTCOOP_RLS_SETTING, str(cooperative_id)]
        )
        for copy, table in _FLOOR_TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        for sql in _FLOOR_SQL:
            cursor.execute(sql, params)
        floor = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_floor_line")
        if cursor.fetchone()[0] != scale:
            raise RuntimeError("floor did not write a line per member")
        for copy in _FLOOR_TABLES:
            cursor.execute(f"DROP TABLE {copy}")
    return floor
