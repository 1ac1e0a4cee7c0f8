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

import pgtrigger
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from dunning import services
from invoicing.models import Invoice, InvoiceLine
from tenancy.scope import tenant_scope


def _issued_set_based(cooperative_id: int, template_id: int, count: int, today) -> None:
    """Bench data only (not timed): `count` invoices and their lines copied set-based from one
    submitted invoice, then issued in one statement, a tenth of them 40 days overdue."""
    overrides = {
        "status": "'submitted'",
        "buyer": "jsonb_build_object('name', 'Bench Client GmbH', 'kind', 'business', "
        "'email', 'ap@client.example', 'country', 'DE')",
        "seller": "jsonb_build_object('name', 'Bench eG', 'iban', 'DE89370400440532013000')",
    }
    columns = [f.column for f in Invoice._meta.concrete_fields if f.column != "id"]
    values = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    line_columns = [
        f.column for f in InvoiceLine._meta.concrete_fields if f.column not in ("id", "invoice_id")
    ]
    # The audit trail of a million copied rows would dominate the preparation (one history
    # row per insert and per update); the copies are bench data, not business events.
    with (
        pgtrigger.ignore(
            "invoicing.Invoice:insert_insert",
            "invoicing.Invoice:update_update",
            databases=["owner"],
        ),
        connections["owner"].cursor() as cursor,
    ):
        cursor.execute(
            "SELECT set_config(%s, %s, false)",
            [settings.SMARTCOOP_RLS_SETTING, str(cooperative_id)],
        )
        cursor.execute(
            f"INSERT INTO invoicing_invoice ({', '.join(columns)}) "  # noqa: S608
            "WITH t AS MATERIALIZED (SELECT * FROM invoicing_invoice WHERE id = %s) "
            f"SELECT {values} FROM t CROSS JOIN generate_series(1, %s) g",
            [template_id, count],
        )
        # Fresh statistics first: with the cooperative's row count unknown, the line trigger's
        # lookup of the invoice would walk the cooperative index instead of the primary key.
        cursor.execute("ANALYZE invoicing_invoice")
        cursor.execute(
            f"INSERT INTO invoicing_invoiceline (invoice_id, {', '.join(line_columns)}) "  # noqa: S608
            f"SELECT i.id, {', '.join('l.' + c for c in line_columns)} "
            "FROM invoicing_invoice i JOIN invoicing_invoiceline l ON l.invoice_id = %s "
            "WHERE i.cooperative_id = %s AND i.id <> %s AND i.status = 'submitted'",
            [template_id, cooperative_id, template_id],
        )
        cursor.execute("ANALYZE invoicing_invoice, invoicing_invoiceline")
        # Issued in one statement: the immutability trigger still checks every row's lines.
        cursor.execute(
            """
            UPDATE invoicing_invoice AS i SET
                status = 'issued', series = 'BENCH', year = %s, number = n.rn,
                number_text = 'BENCH-' || n.rn, issue_date = %s,
                due_date = CASE WHEN n.rn %% 10 = 0 THEN %s ELSE %s END,
                rf_reference = 'RF00BENCH' || n.rn, hash = md5(i.id::text), issued_at = now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM invoicing_invoice
                  WHERE cooperative_id = %s AND id <> %s) AS n
            WHERE i.id = n.id
            """,
            [
                today.year,
                today - timedelta(days=54),
                today - timedelta(days=40),
                today + timedelta(days=10),
                cooperative_id,
                template_id,
            ],
        )
        # As autovacuum would after a day's work: the planner needs to know the new rows.
        cursor.execute("ANALYZE invoicing_invoice, banking_allocation, dunning_reminder")
        cursor.execute("SELECT set_config(%s, '', false)", [settings.SMARTCOOP_RLS_SETTING])


def dunning(*, scale: int) -> dict:
    from invoicing.bench import _cooperative, _prepare

    if connection.vendor != "postgresql" or "owner" not in settings.DATABASES:
        raise RuntimeError("bench dunning needs PostgreSQL (DATABASE_URL, DATABASE_OWNER_URL)")
    cooperative, user = _cooperative()
    (template,) = _prepare(cooperative, user, 1)
    today = timezone.localdate()
    _issued_set_based(cooperative.pk, template, scale, today)
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

    import dunning.tasks  # noqa: F401 - imported by the run; not part of its time

    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with (
        mock.patch("dunning.tasks.reminders_send.delay"),
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
