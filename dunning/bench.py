"""Benchmark of the daily dunning run (P2): N issued invoices, a tenth of them overdue.

Floor: the reminders written set-based — one `INSERT … SELECT … ON CONFLICT DO NOTHING` over
the overdue invoices with their open amounts — into a copy of the reminder table. Application
path: `dunning_run` (open amounts, levels, interest, fees, one reminder row per invoice). The
letters are rendered by workers afterwards (see `bench invoice_pdf`), so the run only queues
them. Ratio = app time / floor time (goal ≤ 3×). A second run must create nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from dunning import services
from tenancy.scope import tenant_scope


def _issue_set_based(cooperative_id: int, ids: list[int], today) -> None:
    """Bench data only: the submitted invoices become issued in one statement (the immutability
    trigger still checks every row), a tenth of them 40 days overdue."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE invoicing_invoice AS i SET
                status = 'issued', series = 'BENCH', year = %s, number = n.rn,
                number_text = 'BENCH-' || n.rn, issue_date = %s,
                due_date = CASE WHEN n.rn %% 10 = 0 THEN %s ELSE %s END,
                rf_reference = 'RF00BENCH' || n.rn, hash = md5(i.id::text),
                issued_at = now(),
                seller = jsonb_build_object('name', 'Bench eG', 'iban', 'DE89370400440532013000'),
                buyer = jsonb_build_object('name', 'Bench Client GmbH', 'kind', 'business',
                                           'email', 'ap@client.example', 'country', 'DE')
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn
                  FROM invoicing_invoice WHERE id = ANY(%s)) AS n
            WHERE i.id = n.id
            """,
            [
                today.year,
                today - timedelta(days=54),
                today - timedelta(days=40),
                today + timedelta(days=10),
                ids,
            ],
        )


def dunning(*, scale: int) -> dict:
    from invoicing.bench import _cooperative, _prepare

    if connection.vendor != "postgresql" or "owner" not in settings.DATABASES:
        raise RuntimeError("bench dunning needs PostgreSQL (DATABASE_URL, DATABASE_OWNER_URL)")
    cooperative, user = _cooperative()
    ids = _prepare(cooperative, user, scale)
    today = timezone.localdate()
    with tenant_scope(cooperative):
        _issue_set_based(cooperative.pk, ids, today)
    due = scale // 10

    with connections["owner"].cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_dunning_floor")
        cursor.execute("CREATE TABLE bench_dunning_floor (LIKE dunning_reminder INCLUDING ALL)")
        # The owner is subject to the same row-level security: act for the bench cooperative.
        cursor.execute(
            "SELECT set_config(%s, %s, false)",
            [settings.SMARTCOOP_RLS_SETTING, str(cooperative.pk)],
        )
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO bench_dunning_floor (cooperative_id, invoice_id, level, dated, pay_by,
                open_amount, interest, interest_detail, fee, total, created_at)
            SELECT i.cooperative_id, i.id, 1, %s, %s,
                   i.gross_total - coalesce(a.paid, 0), 0, '[]'::jsonb, 0,
                   i.gross_total - coalesce(a.paid, 0), now()
            FROM invoicing_invoice i
            LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM banking_allocation
                       WHERE undone_at IS NULL GROUP BY invoice_id) a ON a.invoice_id = i.id
            WHERE i.cooperative_id = %s AND i.status = 'issued' AND i.kind = 'invoice'
              AND i.due_date <= %s AND i.gross_total - coalesce(a.paid, 0) > 0
            ON CONFLICT DO NOTHING
            """,
            [today, today + timedelta(days=10), cooperative.pk, today - timedelta(days=7)],
        )
        floor_rows = cursor.rowcount
        floor = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_dunning_floor")
        cursor.execute("SELECT set_config(%s, '', false)", [settings.SMARTCOOP_RLS_SETTING])

    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with (
        mock.patch("dunning.tasks.reminder_send.delay"),
        connection.execute_wrapper(count),
        tenant_scope(cooperative),
    ):
        started = time.perf_counter()
        result = services.dunning_run(cooperative=cooperative, on=today)
        app = time.perf_counter() - started
        again = services.dunning_run(cooperative=cooperative, on=today)
    if result.reminders_created != due or floor_rows != due or again.reminders_created:
        raise RuntimeError(
            f"expected {due} reminders once: floor {floor_rows}, run {result.line()}, "
            f"again {again.line()}"
        )
    return {"floor_s": floor, "app_s": app, "ratio": app / floor, "queries": counted[0]}
