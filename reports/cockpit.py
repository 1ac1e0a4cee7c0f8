"""The cooperative's cockpit: is it safe? Cash, receivables by age, how long clients take to
pay, what payroll still owes, the guarantee fund against what it has advanced, and the money
held for members. Every figure comes from the ledger or the documents in a fixed number of
queries (the open items are streamed once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import formats
from django.utils.translation import gettext as _

from core import charts
from ledger.models import Account, AccountKind, Entry
from reports import tables

ZERO = Decimal("0.00")
DSO_DAYS = 90
BUCKETS = ("not_due", "1-30", "31-60", "61-90", "90+")


@dataclass
class ClientDays:
    name: str
    open: Decimal
    revenue: Decimal  # gross invoiced in the last DSO_DAYS days
    days: int | None  # days sales outstanding; None without revenue


@dataclass
class Cockpit:
    as_of: date
    cash: Decimal
    cash_by_month: list[tuple[date, Decimal]]
    receivables: Decimal
    ageing: list[tuple[str, Decimal]]
    overdue_share: Decimal | None  # % of receivables overdue
    dso: int | None
    clients: list[ClientDays]
    payables: dict[str, Decimal]
    payroll_draft: dict | None
    fund: Decimal
    exposure: Decimal
    coverage: Decimal | None
    budgets: Decimal
    pending: Decimal
    members_with_budget: int
    charts: dict = field(default_factory=dict)


def _balances() -> dict[str, Decimal]:
    """Display balance (natural direction) per system account kind, and per member kind summed."""
    result: dict[str, Decimal] = {}
    for kind, nature, total in (
        Account.objects.values_list("kind", "nature").annotate(total=Sum("balance")).order_by()
    ):
        value = total if nature in ("asset", "expense") else -total
        result[kind] = result.get(kind, ZERO) + value
    return result


def _month_end_balances(kind: str, as_of: date, months: int = 12) -> list[tuple[date, Decimal]]:
    first = (as_of.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    before = (
        Entry.objects.filter(account__kind=kind, transaction__booking_date__lt=first).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    moves = dict(
        Entry.objects.filter(account__kind=kind, transaction__booking_date__range=(first, as_of))
        .annotate(month=TruncMonth("transaction__booking_date"))
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    result = []
    running = before
    month = first
    while month <= as_of:
        running += moves.get(month, ZERO)
        result.append((month, running))
        month = (month + timedelta(days=32)).replace(day=1)
    return result


def cockpit(*, cooperative, as_of: date) -> Cockpit:
    from guarantee.services import fund_overview
    from invoicing.models import Invoice
    from payroll.models import PayrollRun

    ageing = dict.fromkeys(BUCKETS, ZERO)
    open_by_client: dict[str, Decimal] = {}
    table = tables.open_items(as_of=as_of)
    for row in table.rows:
        client, open_amount, bucket = row[1], row[10], tables.ageing_bucket(row[11])
        ageing[bucket] += open_amount
        open_by_client[client] = open_by_client.get(client, ZERO) + open_amount
    receivables = sum(ageing.values(), ZERO)
    overdue = receivables - ageing["not_due"]

    since = as_of - timedelta(days=DSO_DAYS - 1)
    revenue = dict(
        Invoice.objects.filter(status=Invoice.Status.ISSUED, issue_date__range=(since, as_of))
        .values_list("client__name")
        .annotate(gross=Sum("gross_total"))
        .order_by()
    )
    total_revenue = sum(revenue.values(), ZERO)

    def days(open_amount: Decimal, sales: Decimal) -> int | None:
        return int(open_amount / sales * DSO_DAYS) if sales > 0 else None

    clients = sorted(
        (
            ClientDays(name, amount, revenue.get(name, ZERO), days(amount, revenue.get(name, ZERO)))
            for name, amount in open_by_client.items()
            if amount > 0
        ),
        key=lambda c: -c.open,
    )[:10]

    balances = _balances()
    draft = (
        PayrollRun.objects.exclude(status=PayrollRun.Status.APPROVED)
        .order_by("-month")
        .values("month", "status", "employer_cost", "net", "lines_count")
        .first()
    )
    fund = fund_overview(cooperative=cooperative)
    members = Account.objects.filter(kind=AccountKind.MEMBER_BUDGET).exclude(balance=0).count()
    result = Cockpit(
        as_of=as_of,
        cash=balances.get(AccountKind.BANK, ZERO),
        cash_by_month=_month_end_balances(AccountKind.BANK, as_of),
        receivables=receivables,
        ageing=list(ageing.items()),
        overdue_share=(overdue * 100 / receivables).quantize(Decimal("0.1"))
        if receivables > 0
        else None,
        dso=days(receivables, total_revenue),
        clients=clients,
        payables={
            "wages": balances.get(AccountKind.WAGES_PAYABLE, ZERO),
            "wage_tax": balances.get(AccountKind.WAGE_TAX_PAYABLE, ZERO),
            "social_security": balances.get(AccountKind.SOCIAL_SECURITY_PAYABLE, ZERO),
        },
        payroll_draft=draft,
        fund=fund.fund,
        exposure=fund.exposure,
        coverage=fund.coverage,
        budgets=balances.get(AccountKind.MEMBER_BUDGET, ZERO),
        pending=balances.get(AccountKind.MEMBER_PENDING, ZERO),
        members_with_budget=members,
    )
    result.charts = {
        "ageing": charts.chart_data(
            labels=[tables.bucket_label(bucket) for bucket, _value in result.ageing],
            series=[charts.series(_("Open"), [value for _b, value in result.ageing], tone=2)],
        ),
        "cash": charts.chart_data(
            labels=[
                formats.date_format(month, "YEAR_MONTH_FORMAT")
                for month, _v in result.cash_by_month
            ],
            series=[
                charts.series(
                    _("Cash at month end"), [value for _m, value in result.cash_by_month], tone=1
                )
            ],
        ),
    }
    return result
