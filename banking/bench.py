"""Benchmark of statement import (issue 6): N incoming payments in camt.053 files of at most
10,000 entries each.

Floor: the same N rows written set-based (`INSERT … SELECT` from generate_series) into a copy of
the transaction table. Application path: `statement_import` — parsing the XML, dedupe keys,
bulk insert, and matching every credit (a tenth pay invoices by RF reference; the rest name
nothing and go to the queue). Ratio = app time / floor time (goal ≤ 3×)."""

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

    with connections["owner"].cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bank_floor")
        cursor.execute("CREATE TABLE bench_bank_floor (LIKE banking_banktransaction INCLUDING ALL)")
        started = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_bank_floor (cooperative_id, account_id, statement_id, booking_date,"
            " value_date, amount, currency, counterparty_name, counterparty_iban, remittance,"
            " creditor_reference, end_to_end_id, bank_reference, code, is_return, return_reason,"
            " dedupe_key, created_at) SELECT %s, 0, 0, %s, %s, 10 + g %% 500, 'EUR',"
            " 'Payer ' || g, 'DE02120300000000202051', 'Payment ' || g, '', 'NOTPROVIDED',"
            " 'BENCH-' || g, 'PMNT/RCDT/ESCT', false, '', md5(g::text), now()"
            " FROM generate_series(1, %s) g",
            [cooperative.pk, today, today, scale],
        )
        floor = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bank_floor")

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
