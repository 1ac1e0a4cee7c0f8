"""Benchmark of statement import (issue 6): N incoming payments in camt.053 files of at most
10,000 entries each.

Floor: the rows the import writes, written set-based in copies of the tables (no triggers, no
foreign keys): the N bank transactions from generate_series, the allocations as one join of
their RF references with the open invoices, and for each allocation a hash-chained ledger
transaction with five entries (bank, receivable, pending revenue, fee, budget). Application
path: `statement_import` — parsing the XML, dedupe keys, the insert, and matching every credit
(a tenth pay invoices by RF reference; the rest name nothing and go to the queue) with its
allocation and posting. Ratio = app time / floor time (goal ≤ 3×)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, connections

from banking import services
from banking.models import BankAccount
from banking.samples import Credit, camt053
from tenancy.scope import tenant_scope

FILE_ENTRIES = 10_000


def bank_import(*, scale: int) -> dict:
    from invoicing.bench import _cooperative, _prepare
    from invoicing.invoice_services import invoice_issue
    from invoicing.models import Invoice

    if connection.vendor != "postgresql" or "owner" not in settings.DATABASES:
        raise RuntimeError("bench bank_import needs PostgreSQL (DATABASE_URL, DATABASE_OWNER_URL)")
    cooperative, user = _cooperative()
    paying = max(1, scale // 10)
    ids = _prepare(cooperative, user, paying)
    with tenant_scope(cooperative):
        for invoice_id in ids:
            invoice_issue(invoice=Invoice(pk=invoice_id, cooperative_id=cooperative.pk), actor=None)
        invoices = list(
            Invoice.objects.filter(status="issued").values_list("rf_reference", "gross_total")
        )
        BankAccount.objects.create(cooperative=cooperative, name="Bench", iban=cooperative.iban)
    # A cooperative that has issued thousands of invoices has table statistics (autovacuum
    # analyses after bulk changes); without them the planner takes the brand-new bench
    # cooperative for a tiny one and joins by nested loops.
    with connections["owner"].cursor() as cursor:
        cursor.execute("ANALYZE")
    today = date(2026, 11, 20)
    entries = [
        Credit(gross, today, "Bench Client GmbH", "DE02120300000000202051", reference=reference)
        for reference, gross in invoices
    ] + [
        Credit(
            Decimal("10.00") + n % 500,
            today,
            f"Payer {n}",
            "DE02120300000000202051",
            text=f"Payment {n}",
        )
        for n in range(scale - len(invoices))
    ]
    # Banks deliver large volumes as several statements (and a file of 50 MB is refused, R19):
    # files of at most FILE_ENTRIES entries, imported one after the other.
    files = [
        camt053(
            iban=cooperative.iban, statement_id=f"BENCH-{n}", entries=entries[n : n + FILE_ENTRIES]
        )
        for n in range(0, len(entries), FILE_ENTRIES)
    ]

    floor = _floor(cooperative.pk, today, scale)
    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count), tenant_scope(cooperative):
        started = time.perf_counter()
        results = [
            services.statement_import(
                cooperative=cooperative, content=content, file_name="bench.xml", actor=None
            )
            for content in files
        ]
        app = time.perf_counter() - started
    imported = sum(r.imported for r in results)
    matched = sum(r.matched for r in results)
    if imported != scale or matched != len(invoices):
        raise RuntimeError(f"unexpected import result: imported={imported} matched={matched}")
    return {"floor_s": floor, "app_s": app, "ratio": app / floor, "queries": counted[0]}


_FLOOR_TABLES = {
    "bench_floor_bt": "banking_banktransaction",
    "bench_floor_alloc": "banking_allocation",
    "bench_floor_tx": "ledger_transaction",
    "bench_floor_entry": "ledger_entry",
}

_FLOOR_SQL = [
    # The statement's rows: the first ones pay the issued invoices by their RF reference.
    """WITH paying AS (
         SELECT rf_reference, gross_total, row_number() OVER (ORDER BY id) AS n
         FROM invoicing_invoice WHERE cooperative_id = %(coop)s AND status = 'issued')
       INSERT INTO bench_floor_bt (cooperative_id, account_id, statement_id, booking_date,
         value_date, amount, currency, counterparty_name, counterparty_iban, remittance,
         creditor_reference, end_to_end_id, bank_reference, code, is_return, return_reason,
         dedupe_key, created_at)
       SELECT %(coop)s, 0, 0, %(day)s, %(day)s, coalesce(p.gross_total, 10 + g %% 500), 'EUR',
         'Payer ' || g, 'DE02120300000000202051', 'Payment ' || g, coalesce(p.rf_reference, ''),
         'NOTPROVIDED', 'BENCH-' || g, 'PMNT/RCDT/ESCT', false, '', md5(g::text), now()
       FROM generate_series(1, %(scale)s) g LEFT JOIN paying p ON p.n = g""",
    """INSERT INTO bench_floor_alloc (amount, method, explanation, created_at, undo_reason,
         cooperative_id, invoice_id, transaction_id)
       SELECT t.amount, 'rf', 'RF reference ' || i.rf_reference, now(), '', %(coop)s, i.id, t.id
       FROM bench_floor_bt t JOIN invoicing_invoice i
         ON i.cooperative_id = %(coop)s AND i.rf_reference = t.creditor_reference
       WHERE t.creditor_reference <> '' AND i.status = 'issued'""",
    """INSERT INTO bench_floor_tx (cooperative_id, sequence, booking_date, posted_at,
         description, source_type, source_id, idempotency_key, previous_hash, hash)
       SELECT %(coop)s, a.id, %(day)s, now(), 'Payment for invoice ' || a.invoice_id,
         'payment', 'allocation-' || a.id, 'payment:allocation-' || a.id,
         encode(sha256(a.id::text::bytea), 'hex'),
         encode(sha256((a.id::text || a.amount::text)::bytea), 'hex')
       FROM bench_floor_alloc a""",
    """INSERT INTO bench_floor_entry (cooperative_id, transaction_id, account_id, amount, text)
       SELECT %(coop)s, t.id, k, CASE k WHEN 1 THEN a.amount WHEN 2 THEN -a.amount
         WHEN 3 THEN round(a.amount / 1.19, 2) WHEN 4 THEN -round(a.amount / 1.19 * 0.1, 2)
         ELSE round(a.amount / 1.19 * 0.1, 2) - round(a.amount / 1.19, 2) END, 'bench'
       FROM bench_floor_tx t JOIN bench_floor_alloc a ON t.sequence = a.id
       CROSS JOIN generate_series(1, 5) k""",
]


def _floor(cooperative_id: int, day: date, scale: int) -> float:
    params = {"coop": cooperative_id, "day": day, "scale": scale}
    with connections["owner"].cursor() as cursor:
        for copy, table in _FLOOR_TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        for sql in _FLOOR_SQL:
            cursor.execute(sql, params)
        floor = time.perf_counter() - started
        for copy in _FLOOR_TABLES:
            cursor.execute(f"DROP TABLE {copy}")
    return floor
