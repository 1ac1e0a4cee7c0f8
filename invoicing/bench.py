"""Benchmarks of invoicing (P6, P7), each measured against its floor in the same run.

invoice_issue: the floor is one `INSERT … nextval()` per transaction (a sequence-numbered row,
as the application role, with the tenant setting); the application path issues the same number
of submitted invoices as staff do when they approve a list of them: `invoices_issue()` in
batches of 1,000 — locked counter row, checks, content copy, fingerprints, ledger postings,
deliveries, the members' notices. Ratio = floor time / application time (throughput relative to
the floor; goal ≥ 0.10) and `issued_per_s` (goal ≥ 1,000/s). A sample of single issues (one
transaction each, as the API and the invoice page do) is timed too (`single_per_s`). All numbers
drawn must be 1..N without a gap.

invoice_pdf: the floor renders a minimal WeasyPrint page; the application path renders the
invoice PDF (one page). Ratio = application time / floor time (goal ≤ 12×; ≤ 40 ms per page).

Both run in a cooperative created for the run (issued invoices cannot be deleted: that is the
point of R6), so the figures do not depend on what else is in the database.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from invoicing import documents, invoice_services
from invoicing.models import Client, Invoice, InvoiceLine, InvoicingSettings
from ledger.models import FeeRule
from ledger.services import accounts_ensure
from members.models import Member
from tenancy import services as tenancy_services
from tenancy.models import Role, User
from tenancy.scope import tenant_scope


def _cooperative():
    stamp = f"{time.time_ns():x}"[-10:]
    cooperative = tenancy_services.cooperative_create(
        slug=f"bench-{stamp}",
        legal_name=f"Bench {stamp} eG",
        street="Benchstraße 1",
        postal_code="10115",
        city="Berlin",
        iban="DE89370400440532013000",
    )
    cooperative.vat_id, cooperative.tax_number = "DE136695976", "29/123/45678"
    cooperative.register_court, cooperative.register_number = "Amtsgericht Berlin", "GnR 1"
    cooperative.save()
    user = tenancy_services.user_create(
        email=f"bench-{stamp}@bench.example", password=None, full_name="Bench Member"
    )
    tenancy_services.membership_grant(cooperative=cooperative, user=user, role=Role.MEMBER)
    return cooperative, user


def _prepare(cooperative, user: User, count: int) -> list[int]:
    """Submitted invoices with two lines each, written in bulk (not timed)."""
    from members.services import member_create

    with tenant_scope(cooperative), transaction.atomic():
        accounts_ensure(cooperative=cooperative)
        FeeRule.objects.create(cooperative=cooperative, percentage=Decimal("9"))
        InvoicingSettings.objects.create(
            cooperative=cooperative,
            contact_name="Bench",
            contact_phone="+49 30 1234567",
            contact_email="bench@bench.example",
        )
        member = member_create(
            cooperative=cooperative,
            user=user,
            first_name="Bench",
            last_name="Member",
            status=Member.Status.ACTIVE,
            joined_on=date(2026, 1, 1),
        )
        client = Client.objects.create(
            cooperative=cooperative,
            kind="business",
            name="Bench Client GmbH",
            street="Kai 1",
            postal_code="20457",
            city="Hamburg",
            invoice_email="ap@client.example",
        )
        template = invoice_services.invoice_save_draft(
            invoice=None,
            member=member,
            values={
                "client": client,
                "supply_date": date(2026, 11, 20),
                "vat_note": "§ 12 (2) no. 7 c UStG",
            },
            lines=[
                invoice_services.LineValues(
                    "Design", Decimal("37.5"), "HUR", Decimal("85.00"), "S", Decimal("19")
                ),
                invoice_services.LineValues(
                    "Rights", Decimal("1"), "LS", Decimal("450.00"), "S", Decimal("7")
                ),
            ],
        )
        created = copies(template, count, status=Invoice.Status.SUBMITTED)
        template.delete()
        return [invoice.pk for invoice in created]


def copies(template: Invoice, count: int, **changes) -> list[Invoice]:
    """Bench data: `count` copies of an invoice with its lines, written in bulk."""
    lines = list(template.lines.all())
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Invoice._meta.concrete_fields
        if f.attname != "id"
    }
    created = Invoice.objects.bulk_create([Invoice(**{**fields, **changes}) for _ in range(count)])
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                **{
                    f.attname: getattr(line, f.attname)
                    for f in InvoiceLine._meta.concrete_fields
                    if f.attname not in ("id", "invoice_id")
                },
                invoice_id=invoice.pk,
            )
            for invoice in created
            for line in lines
        ],
        batch_size=2000,
    )
    return created


def _floor_inserts(cooperative_id: int, count: int) -> float:
    with connections["owner"].cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_issue_floor")
        cursor.execute(
            "CREATE TABLE bench_issue_floor (number bigserial PRIMARY KEY, "
            "cooperative_id bigint NOT NULL, gross numeric(14, 2) NOT NULL)"
        )
        app_role = settings.DATABASES["default"]["USER"]
        cursor.execute(f'GRANT SELECT, INSERT ON bench_issue_floor TO "{app_role}"')
        cursor.execute(f'GRANT USAGE ON SEQUENCE bench_issue_floor_number_seq TO "{app_role}"')
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _ in range(count):
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT set_config(%s, %s, true)",
                [settings.SMARTCOOP_RLS_SETTING, str(cooperative_id)],
            )
            cursor.execute(
                "INSERT INTO bench_issue_floor (cooperative_id, gross) VALUES (%s, 3793.13) "
                "RETURNING number",
                [cooperative_id],
            )
            cursor.fetchone()
            cursor.execute("COMMIT")
    elapsed = time.perf_counter() - started
    with connections["owner"].cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_issue_floor")
    return elapsed


BATCH = 1000


def invoice_issue(*, scale: int) -> dict:
    if connection.vendor != "postgresql" or "owner" not in settings.DATABASES:
        raise RuntimeError(
            "bench invoice_issue needs PostgreSQL (DATABASE_URL, DATABASE_OWNER_URL)"
        )
    sample = min(scale, 200)
    cooperative, user = _cooperative()
    ids = _prepare(cooperative, user, scale + sample)
    floor = _floor_inserts(cooperative.pk, scale)
    counted = [0]

    def count(execute, sql, params, many, context):
        counted[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        for start in range(0, scale, BATCH):
            with tenant_scope(cooperative):
                result = invoice_services.invoices_issue(
                    invoices=[Invoice(pk=pk) for pk in ids[start : min(start + BATCH, scale)]],
                    actor=None,
                )
            if result.refused:
                raise RuntimeError(f"refused: {result.refused[0][1]}")
        app = time.perf_counter() - started
    queries = counted[0]
    started = time.perf_counter()
    for invoice_id in ids[scale:]:
        with tenant_scope(cooperative):
            invoice_services.invoice_issue(
                invoice=Invoice(pk=invoice_id, cooperative_id=cooperative.pk), actor=None
            )
    single = time.perf_counter() - started
    with tenant_scope(cooperative):
        numbers = sorted(
            Invoice.objects.filter(status=Invoice.Status.ISSUED).values_list("number", flat=True)
        )
    if numbers != list(range(1, scale + sample + 1)):
        raise RuntimeError("invoice numbers have gaps or duplicates")
    return {
        "floor_s": floor,
        "app_s": app,
        "ratio": floor / app,
        "queries": queries,
        "issued_per_s": scale / app,
        "single_per_s": sample / single,
        "gaps": 0,
    }


def invoice_pdf(*, scale: int) -> dict:
    from weasyprint import HTML

    cooperative, user = _cooperative()
    ids = _prepare(cooperative, user, 1)
    with tenant_scope(cooperative):
        invoice = invoice_services.invoice_issue(invoice=Invoice.objects.get(pk=ids[0]), actor=None)
        invoice = Invoice.objects.select_related("cooperative", "corrects").get(pk=invoice.pk)
        documents.render_invoice_pdf(invoice)  # warm-up: fonts, templates
        HTML(string="<p>SmartCoop</p>").write_pdf()
        started = time.perf_counter()
        for _ in range(scale):
            HTML(string="<p>SmartCoop</p>").write_pdf()
        floor = time.perf_counter() - started
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            for _ in range(scale):
                documents.render_invoice_pdf(invoice)
            app = time.perf_counter() - started
    return {
        "floor_s": floor,
        "app_s": app,
        "ratio": app / floor,
        "queries": round(len(captured.captured_queries) / scale, 1),
        "ms_per_page": app / scale * 1000,
    }
