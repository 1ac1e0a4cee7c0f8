"""The salary planner: what monthly salary the member's money sustains over the coming months.

Money available = the budget now, less the cooperative's reserve, plus what open invoices and
jobs not yet invoiced will bring into the budget (after the fee), plus any further income the
member expects (what-if). Spread evenly over the months chosen, that is the employer cost per
month; gross and net follow from the member's tax data by the same functions as the payroll.
Beside it: what the cooperative's averaging rule pays next month, and the past months' income
against the salaries paid (the chart)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core import charts
from core.exceptions import ApplicationError
from invoicing.models import Invoice, Job
from ledger import services as ledger_services
from ledger.models import Account, AccountKind, FeeRule
from members.models import Member
from payroll import selectors
from payroll.calculation import gross_for_employer_cost, gross_to_net
from payroll.models import PayrollLine, PayrollRun, PayrollSettings

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HISTORY = 12


@dataclass
class WhatIf:
    months: int = 6
    extra_income: Decimal = ZERO  # further budget inflow expected per month
    collection_rate: int = 100  # percent of open invoices expected to be paid
    include_planned: bool = True  # jobs sent to the client but not confirmed yet


@dataclass
class Salary:
    employer_cost: Decimal
    gross: Decimal
    net: Decimal
    band: str


@dataclass
class Plan:
    what_if: WhatIf
    budget: Decimal
    reserve: Decimal
    open_invoices: Decimal
    confirmed_jobs: Decimal
    planned_jobs: Decimal
    extra_income: Decimal
    available: Decimal
    sustainable: Salary | None
    averaging_rule: Salary | None
    average_inflow: Decimal
    history: list[dict] = field(default_factory=list)  # month, income, employer_cost
    missing_tax_data: bool = False


def _job_value(job: Job) -> Decimal:
    if job.pricing == Job.Pricing.FIXED:
        return job.fixed_price or ZERO
    return ((job.hours or ZERO) * (job.hourly_rate or ZERO)).quantize(CENT)


def _after_fee(amount: Decimal, rule: FeeRule | None) -> Decimal:
    if rule is None:
        return amount
    return (amount * (100 - rule.percentage) / 100).quantize(CENT, rounding=ROUND_DOWN)


def _salary(target: Decimal, employee, rates, levies) -> Salary:
    gross = gross_for_employer_cost(max(target, ZERO), employee, rates, levies)
    result = gross_to_net(gross, employee, rates, levies)
    return Salary(result.employer_cost, result.gross, result.net, result.band if gross else "")


def salary_plan(*, member: Member, what_if: WhatIf, today: date | None = None) -> Plan:
    from payroll.services import employee_of, levies_of, month_start, payroll_settings

    today = today or timezone.localdate()
    this_month = month_start(today)
    settings: PayrollSettings = payroll_settings(cooperative=member.cooperative)
    budget = selectors.budget_balances(member_ids=[member.pk]).get(member.pk, ZERO)
    pending = -(
        Account.objects.filter(member=member, kind=AccountKind.MEMBER_PENDING)
        .values_list("balance", flat=True)
        .first()
        or ZERO
    )
    try:
        rule = ledger_services.fee_rule_for(member=member)
    except ApplicationError:  # no fee rule yet: plan without a fee
        rule = None
    if rule is not None and rule.charge_on == FeeRule.ChargeOn.ISSUE:
        open_invoices = pending  # the fee was taken when the invoice was issued
    else:
        open_invoices = _after_fee(pending, rule)
    open_invoices = (open_invoices * what_if.collection_rate / 100).quantize(CENT)
    invoiced = Invoice.objects.filter(job=OuterRef("pk"), status=Invoice.Status.ISSUED)
    jobs = (
        Job.objects.filter(member=member)
        .filter(
            Q(status__in=[Job.Status.CONFIRMED, Job.Status.APPROVED]) | Q(status=Job.Status.SENT)
        )
        .exclude(Exists(invoiced))
        .only("status", "pricing", "hours", "hourly_rate", "fixed_price")
    )
    confirmed = planned = ZERO
    for job in jobs:
        if job.status == Job.Status.SENT:
            planned += _job_value(job)
        else:
            confirmed += _job_value(job)
    confirmed = _after_fee(confirmed, rule)
    planned = _after_fee(planned, rule) if what_if.include_planned else ZERO
    extra = (what_if.extra_income * what_if.months).quantize(CENT)
    reserve = settings.reserve
    available = max(budget - reserve, ZERO) + open_invoices + confirmed + planned + extra
    inputs = selectors.member_inputs(
        members=[member], month=this_month, months=settings.averaging_months
    )[0]
    employment = inputs.employment
    plan = Plan(
        what_if=what_if,
        budget=budget,
        reserve=reserve,
        open_invoices=open_invoices,
        confirmed_jobs=confirmed,
        planned_jobs=planned,
        extra_income=extra,
        available=available,
        sustainable=None,
        averaging_rule=None,
        average_inflow=inputs.average_inflow,
        history=_history(member, this_month),
    )
    if employment is None or employment.tax_class is None:
        plan.missing_tax_data = True
        return plan
    rates = selectors.rates_on(day=selectors.month_end(this_month))
    employee = employee_of(employment, settings.state, inputs.insurer)
    levies = levies_of(settings, inputs.insurer)
    per_month = (available / what_if.months).quantize(CENT, rounding=ROUND_DOWN)
    plan.sustainable = _salary(per_month, employee, rates, levies)
    rule_target = min(inputs.average_inflow, max(budget - reserve, ZERO))
    plan.averaging_rule = _salary(rule_target, employee, rates, levies)
    return plan


def _history(member: Member, this_month: date) -> list[dict]:
    """Budget inflow and employer cost of the last twelve complete months."""
    months = [selectors.months_before(this_month, n) for n in range(HISTORY, 0, -1)]
    costs = dict(
        PayrollLine.objects.filter(
            member=member,
            run__status=PayrollRun.Status.APPROVED,
            run__month__gte=months[0],
            status=PayrollLine.Status.OPEN,
        ).values_list("run__month", "employer_cost")
    )
    income = selectors.monthly_inflows(member_id=member.pk, start=months[0], end=this_month)
    return [
        {
            "month": month,
            "income": income.get(month, ZERO),
            "employer_cost": costs.get(month, ZERO),
        }
        for month in months
    ]


def chart(plan: Plan) -> dict:
    """Income per month (bars) against the employer cost of the salary paid (line) and the
    sustainable employer cost (dashed): the smoothing at a glance."""
    months = [formats.date_format(row["month"], "YEAR_MONTH_FORMAT") for row in plan.history]
    target = plan.sustainable.employer_cost if plan.sustainable else None
    lines = [
        charts.series(_("Income"), [row["income"] for row in plan.history], tone=1),
        charts.series(
            _("Salary (employer cost)"),
            [row["employer_cost"] for row in plan.history],
            kind="line",
            tone=2,
        ),
    ]
    if target is not None:
        lines.append(
            charts.series(
                _("Sustainable employer cost"), [target] * len(months), kind="dashed", tone=3
            )
        )
    return charts.chart_data(labels=months, series=lines)
