"""The accountants' reports as tables: columns, rows streamed from the database, and the check
against the ledger each report closes with.

A report is read in chunks (keyset or `iterator`), so writing a million lines needs no more
memory than writing a thousand. Rows are tuples of str, int, Decimal or date; the writers
(`reports/writers.py`) decide how a cell looks in CSV, XLSX or PDF."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ledger.models import AccountKind, Entry
from reports.models import ReportJob

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
CHUNK = 2000


@dataclass
class Check:
    """A figure of the report against the same figure in the ledger."""

    label: str
    report: Decimal
    ledger: Decimal

    @property
    def ok(self) -> bool:
        return self.report == self.ledger


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: Iterator[tuple]
    total: int  # rows expected, for the progress bar
    checks: list[Check] = field(default_factory=list)  # filled once the rows are consumed
    notes: list[str] = field(default_factory=list)


REPORTS = {
    value: label for value, label in ReportJob.Report.choices if value != ReportJob.Report.DATEV
}
# Which reports take a period and which a day.
PERIOD_REPORTS = {"revenue", "ustva", "zm"}


def _ledger_balance(kinds: list[str], as_of: date) -> Decimal:
    return Entry.objects.filter(
        account__kind__in=kinds, transaction__booking_date__lte=as_of
    ).aggregate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))["total"]


# --- Open items ------------------------------------------------------------------------------

BUCKETS = ((0, "not_due"), (30, "1-30"), (60, "31-60"), (90, "61-90"))


def ageing_bucket(days_overdue: int) -> str:
    for limit, name in BUCKETS:
        if days_overdue <= limit:
            return name
    return "90+"


def bucket_label(bucket: str) -> str:
    return str(_("not due")) if bucket == "not_due" else bucket


def open_items(*, as_of: date) -> Table:
    """Every invoice with something open on `as_of`: gross less corrections, payments and
    write-offs up to that day; the total equals the receivables account on that day."""
    from banking.models import Allocation
    from dunning.models import Reminder
    from guarantee.models import WriteOff
    from invoicing.models import Invoice

    corrected = (
        Invoice.objects.filter(
            corrects=OuterRef("pk"), status=Invoice.Status.ISSUED, issue_date__lte=as_of
        )
        .values("corrects")
        .annotate(total=Sum("gross_total"))
        .values("total")
    )
    paid = (
        Allocation.objects.filter(
            invoice=OuterRef("pk"), transaction__booking_date__lte=as_of, invoice__isnull=False
        )
        .filter(Q(undone_at__isnull=True) | Q(undone_at__date__gt=as_of))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    written_off = WriteOff.objects.filter(invoice=OuterRef("pk"), dated__lte=as_of).values("gross")
    level = (
        Reminder.objects.filter(invoice=OuterRef("pk"), dated__lte=as_of)
        .values("invoice")
        .annotate(top=Max("level"))
        .values("top")
    )
    invoices = (
        Invoice.objects.filter(
            status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE, issue_date__lte=as_of
        )
        .annotate(
            corrected=Coalesce(Subquery(corrected, output_field=MONEY), Value(ZERO)),
            paid=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO)),
            written_off=Coalesce(Subquery(written_off, output_field=MONEY), Value(ZERO)),
            level=Subquery(level),
        )
        .annotate(open=F("gross_total") + F("corrected") - F("paid") - F("written_off"))
        .exclude(open=0)
    )
    columns = [
        _("Invoice"),
        _("Client"),
        _("Debtor number"),
        _("Member number"),
        _("Issue date"),
        _("Due date"),
        _("Gross"),
        _("Corrected"),
        _("Paid"),
        _("Written off"),
        _("Open"),
        _("Days overdue"),
        _("Ageing"),
        _("Dunning level"),
    ]
    totals = {"open": ZERO}
    table = Table(_("Open items on %(day)s") % {"day": as_of}, columns, iter(()), 0)

    def rows() -> Iterator[tuple]:
        for row in (
            invoices.order_by("due_date", "pk")
            .values_list(
                "number_text",
                "client__name",
                "client__debtor_number",
                "member__member_number",
                "issue_date",
                "due_date",
                "gross_total",
                "corrected",
                "paid",
                "written_off",
                "open",
                "level",
            )
            .iterator(chunk_size=CHUNK)
        ):
            *head, due, gross, corrected_, paid_, written, open_, level_ = row
            overdue = max((as_of - due).days, 0) if due else 0
            totals["open"] += open_
            yield (
                *head,
                due,
                gross,
                corrected_,
                paid_,
                written,
                open_,
                overdue,
                bucket_label(ageing_bucket(overdue)),
                level_ or 0,
            )
        table.checks.append(
            Check(
                _("Open items = receivables account"),
                totals["open"],
                _ledger_balance([AccountKind.RECEIVABLES], as_of),
            )
        )

    table.rows = rows()
    table.total = invoices.count()
    return table


# --- Revenue per member and month ------------------------------------------------------------


def revenue(*, date_from: date, date_to: date) -> Table:
    """Invoices issued per member and month (corrections in the month they were issued)."""
    from invoicing.models import Invoice

    rows_qs = (
        Invoice.objects.filter(status=Invoice.Status.ISSUED, issue_date__range=(date_from, date_to))
        .annotate(month=TruncMonth("issue_date"))
        .values_list("member__member_number", "member__first_name", "member__last_name", "month")
        .annotate(
            count=Count("pk"),
            net=Sum("net_total"),
            vat=Sum("vat_total"),
            gross=Sum("gross_total"),
        )
        .order_by("member__member_number", "month")
    )
    columns = [
        _("Member number"),
        _("Name"),
        _("Month"),
        _("Documents"),
        _("Net"),
        _("VAT"),
        _("Gross"),
    ]
    table = Table(
        _("Revenue per member and month, %(start)s – %(end)s")
        % {"start": date_from, "end": date_to},
        columns,
        iter(()),
        0,
    )

    def rows() -> Iterator[tuple]:
        net_total = ZERO
        for number, first, last, month, count, net, vat, gross in rows_qs.iterator(
            chunk_size=CHUNK
        ):
            net_total += net
            yield (
                number,
                f"{first} {last}".strip(),
                month.strftime("%Y-%m"),
                count,
                net,
                vat,
                gross,
            )
        ledger = -Entry.objects.filter(
            transaction__booking_date__range=(date_from, date_to),
            transaction__source_type="invoice",
            transaction__idempotency_key__regex=r"^invoice-(issue|credit):",
            account__kind__in=[
                AccountKind.MEMBER_PENDING,
                AccountKind.MEMBER_BUDGET,
                AccountKind.FEE_INCOME,
                AccountKind.GUARANTEE_FUND,
            ],
        ).aggregate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))["total"]
        reversed_ = Entry.objects.filter(
            transaction__booking_date__range=(date_from, date_to),
            transaction__reverses__idempotency_key__startswith="invoice-issue:",
            account__kind__in=[
                AccountKind.MEMBER_PENDING,
                AccountKind.MEMBER_BUDGET,
                AccountKind.FEE_INCOME,
                AccountKind.GUARANTEE_FUND,
            ],
        ).aggregate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))["total"]
        table.checks.append(
            Check(_("Net invoiced = net revenue posted"), net_total, ledger - reversed_)
        )

    table.rows = rows()
    table.total = rows_qs.count()
    return table


# --- UStVA and ZM ----------------------------------------------------------------------------

# (Kennzahl, what, invoice VAT category, rate) — domain-de.md §5.
USTVA_BASES = (
    ("81", gettext_lazy("Taxable supplies at 19 %"), "S", Decimal("19")),
    ("86", gettext_lazy("Taxable supplies at 7 %"), "S", Decimal("7")),
    ("21", gettext_lazy("Services to EU businesses, tax owed by the client (§ 18b)"), "AE", None),
    ("45", gettext_lazy("Other supplies not taxable in Germany"), "O", None),
    ("48", gettext_lazy("Tax-free supplies without input tax deduction"), "E", None),
)


def _bases(date_from: date, date_to: date) -> dict[tuple[str, Decimal | None], Decimal]:
    """Net per VAT category and rate of the documents issued in the period, less what was
    written off (§ 17 UStG corrects the base)."""
    from guarantee.models import WriteOff
    from invoicing.models import Invoice, InvoiceLine

    bases: dict[tuple[str, Decimal | None], Decimal] = defaultdict(lambda: ZERO)
    for category, rate, net in (
        InvoiceLine.objects.filter(
            invoice__status=Invoice.Status.ISSUED,
            invoice__issue_date__range=(date_from, date_to),
        )
        .values_list("vat_category", "vat_rate")
        .annotate(net=Sum("net_amount"))
    ):
        bases[category, rate.normalize() if category == "S" else None] += net
    for gross, breakdown in WriteOff.objects.filter(dated__range=(date_from, date_to)).values_list(
        "gross", "invoice__vat_breakdown"
    ):
        # The written-off gross is split over the invoice's rates as the invoice was.
        invoice_gross = sum((Decimal(g["net"]) + Decimal(g["vat"]) for g in breakdown), ZERO)
        for group in breakdown:
            share = (Decimal(group["net"]) * gross / invoice_gross).quantize(Decimal("0.01"))
            rate = Decimal(group["rate"]).normalize() if group["category"] == "S" else None
            bases[group["category"], rate] -= share
    return bases


def ustva(*, date_from: date, date_to: date) -> Table:
    """The figures of the advance VAT return for the period (Sollversteuerung): bases in whole
    euros (cents dropped, as the form wants), output VAT as posted, input VAT from the
    approved expense claims."""
    bases = _bases(date_from, date_to)
    output_19 = -_movement(AccountKind.OUTPUT_VAT_19, date_from, date_to)
    output_7 = -_movement(AccountKind.OUTPUT_VAT_7, date_from, date_to)
    input_vat = _movement(AccountKind.INPUT_VAT_19, date_from, date_to) + _movement(
        AccountKind.INPUT_VAT_7, date_from, date_to
    )
    rows: list[tuple] = []
    for number, label, category, rate in USTVA_BASES:
        base = bases.get((category, rate), ZERO)
        tax: Decimal | str = ""
        if number == "81":
            tax = output_19
        elif number == "86":
            tax = output_7
        rows.append((number, str(label), int(base), base, tax))
    rows.append(("66", str(_("Input VAT")), "", "", input_vat))
    rows.append(
        (
            "83",
            str(_("Advance payment due (refund if negative)")),
            "",
            "",
            output_19 + output_7 - input_vat,
        )
    )
    table = Table(
        _("VAT return figures, %(start)s – %(end)s") % {"start": date_from, "end": date_to},
        [_("Kennzahl"), _("What"), _("Base (whole euros)"), _("Base"), _("Tax")],
        iter(rows),
        len(rows),
    )
    documents = _document_vat(date_from, date_to)
    for kind, rate in (
        (AccountKind.OUTPUT_VAT_19, Decimal("19")),
        (AccountKind.OUTPUT_VAT_7, Decimal("7")),
    ):
        posted = -_movement(kind, date_from, date_to, exclude_write_offs=True)
        table.checks.append(
            Check(
                _("Output VAT %(rate)s %% on the invoices = output VAT posted for them")
                % {"rate": rate},
                documents.get(rate, ZERO),
                posted,
            )
        )
    table.notes.append(
        _(
            "Output VAT is computed per invoice, so the tax on the sum of the bases may differ by "
            "a few cents; the return takes the posted tax, which includes corrections for "
            "invoices written off."
        )
    )
    return table


def _movement(
    kind: str, date_from: date, date_to: date, *, exclude_write_offs: bool = False
) -> Decimal:
    entries = Entry.objects.filter(
        account__kind=kind, transaction__booking_date__range=(date_from, date_to)
    )
    if exclude_write_offs:
        entries = entries.exclude(transaction__idempotency_key__startswith="guarantee-write-off:")
    return entries.aggregate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))[
        "total"
    ]


def _document_vat(date_from: date, date_to: date) -> dict[Decimal, Decimal]:
    """VAT per rate as the documents issued in the period state it (their VAT breakdown, fixed
    at issue), independent of the ledger."""
    from invoicing.models import Invoice

    totals: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for breakdown in (
        Invoice.objects.filter(status=Invoice.Status.ISSUED, issue_date__range=(date_from, date_to))
        .values_list("vat_breakdown", flat=True)
        .iterator(chunk_size=CHUNK)
    ):
        for group in breakdown:
            if group["category"] == "S":
                totals[Decimal(group["rate"]).normalize()] += Decimal(group["vat"])
    return totals


def zm(*, date_from: date, date_to: date) -> Table:
    """The EU sales list: per client VAT ID, the services with reverse charge (kind "S" =
    sonstige Leistung) in whole euros; the sum is UStVA Kz 21."""
    from invoicing.models import Invoice, InvoiceLine

    grouped = (
        InvoiceLine.objects.filter(
            vat_category="AE",
            invoice__status=Invoice.Status.ISSUED,
            invoice__issue_date__range=(date_from, date_to),
        )
        .values_list("invoice__client__vat_id", "invoice__client__name")
        .annotate(net=Sum("net_amount"))
        .order_by("invoice__client__vat_id")
    )
    rows = []
    total = ZERO
    for vat_id, name, net in grouped:
        vat_id = (vat_id or "").replace(" ", "").upper()
        total += net
        rows.append((vat_id[:2], vat_id[2:], name, "S", int(net), net))
    table = Table(
        _("EU sales list, %(start)s – %(end)s") % {"start": date_from, "end": date_to},
        [_("Country"), _("VAT ID"), _("Client"), _("Kind"), _("Amount (whole euros)"), _("Amount")],
        iter(rows),
        len(rows),
    )
    from invoicing.models import Invoice

    stated = ZERO
    for breakdown in Invoice.objects.filter(
        status=Invoice.Status.ISSUED, issue_date__range=(date_from, date_to)
    ).values_list("vat_breakdown", flat=True):
        stated += sum((Decimal(g["net"]) for g in breakdown if g["category"] == "AE"), ZERO)
    table.checks.append(
        Check(_("Sum = reverse-charge net stated on the invoices (UStVA Kz 21)"), total, stated)
    )
    return table


# --- Budgets ---------------------------------------------------------------------------------


def budgets(*, as_of: date) -> Table:
    """Every member's budget and revenue awaiting payment on `as_of`."""
    from members.models import Member

    members = (
        Member.objects.filter(ledger_accounts__isnull=False)
        .distinct()
        .annotate(
            budget=_member_sum(AccountKind.MEMBER_BUDGET, as_of),
            pending=_member_sum(AccountKind.MEMBER_PENDING, as_of),
        )
        .order_by("member_number", "pk")
    )
    table = Table(
        _("Member budgets on %(day)s") % {"day": as_of},
        [_("Member number"), _("Name"), _("Status"), _("Budget"), _("Invoiced, unpaid")],
        iter(()),
        0,
    )

    statuses = {value: str(label) for value, label in Member.Status.choices}

    def rows() -> Iterator[tuple]:
        total = ZERO
        for number, first, last, status, budget, pending in members.values_list(
            "member_number", "first_name", "last_name", "status", "budget", "pending"
        ).iterator(chunk_size=CHUNK):
            total += budget + pending
            yield (number, f"{first} {last}".strip(), statuses.get(status, status), budget, pending)
        table.checks.append(
            Check(
                _("Sum = member accounts in the ledger"),
                total,
                -_ledger_balance([AccountKind.MEMBER_BUDGET, AccountKind.MEMBER_PENDING], as_of),
            )
        )

    table.rows = rows()
    table.total = members.count()
    return table


def _member_sum(kind: str, as_of: date):
    entries = (
        Entry.objects.filter(
            account__member=OuterRef("pk"),
            account__kind=kind,
            transaction__booking_date__lte=as_of,
        )
        .values("account__member")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    # Liabilities: a credit balance is what the member has.
    return Coalesce(-Subquery(entries, output_field=MONEY), Value(ZERO), output_field=MONEY)


def build(report: str, params: dict) -> Table:
    day = lambda key: date.fromisoformat(params[key])  # noqa: E731
    if report == "open_items":
        return open_items(as_of=day("as_of"))
    if report == "budgets":
        return budgets(as_of=day("as_of"))
    if report == "revenue":
        return revenue(date_from=day("date_from"), date_to=day("date_to"))
    if report == "ustva":
        return ustva(date_from=day("date_from"), date_to=day("date_to"))
    if report == "zm":
        return zm(date_from=day("date_from"), date_to=day("date_to"))
    raise ValueError(report)


def today() -> date:
    return timezone.localdate()
