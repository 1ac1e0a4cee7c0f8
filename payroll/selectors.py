"""Reads for payroll: the dated tables, the members of a month and their budgets."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from expenses.models import ExpenseClaim
from ledger.models import Account, AccountKind, Entry, SourceType
from members.models import EmploymentData, Member
from payroll import pap
from payroll.calculation import Rates
from payroll.models import (
    ContributionRates,
    HealthInsurerRate,
    MinimumWage,
    PayrollLine,
    PayrollRun,
    SalaryCategory,
    SalaryCategoryChoice,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class MemberInputs:
    """Everything one member's salary is computed from (read in bulk per chunk)."""

    member: Member
    employment: EmploymentData | None
    balance: Decimal  # the budget, positive when the cooperative owes it to the member
    average_inflow: Decimal
    previous: PayrollLine | None
    # Approved expense claims not yet paid out: (claim id, amount).
    expenses: list[tuple[int, Decimal]] = field(default_factory=list)
    # The rates of the member's health insurer in force on the pay day, None when the insurer
    # is not in the cooperative's table (or the member named none).
    insurer: HealthInsurerRate | None = None
    category: SalaryCategory | None = None


def rates_on(*, day: date) -> Rates:
    """The contribution rates in force on `day` (for the wage tax of `day`'s year)."""
    row = ContributionRates.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if row is None or row.valid_from.year != day.year:
        # Limits change every 1 January; last year's row must not be used silently.
        raise ApplicationError(
            _(
                "No contribution rates for %(year)s yet; the operator adds them in the "
                "administration."
            )
            % {"year": day.year},
            code="no_rates",
        )
    try:
        pap.program(day.year)
    except LookupError as exc:
        raise ApplicationError(
            _("The wage tax programme (BMF PAP) for %(year)s is not installed yet.")
            % {"year": day.year},
            code="no_pap",
        ) from exc
    return Rates(
        year=day.year,
        church_tax_reduced_states=frozenset(
            s.strip().upper() for s in row.church_tax_reduced_states.split(",") if s.strip()
        ),
        **{
            name: getattr(row, name)
            for name in Rates.__dataclass_fields__
            if name not in ("year", "church_tax_reduced_states")
        },
    )


def minimum_wage_on(*, day: date) -> Decimal:
    row = MinimumWage.objects.filter(valid_from__lte=day).order_by("-valid_from").first()
    if row is None:
        raise ApplicationError(
            _("No minimum wage is recorded for %(day)s.") % {"day": day.isoformat()},
            code="no_minimum_wage",
        )
    return row.hourly


def insurer_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def insurer_rates_on(*, day: date) -> dict[str, HealthInsurerRate]:
    """The cooperative's insurers with the rates in force on `day`, by normalised name."""
    found: dict[str, HealthInsurerRate] = {}
    for row in (
        HealthInsurerRate.objects.filter(valid_from__lte=day)
        .select_related("insurer")
        .order_by("insurer_id", "-valid_from")
    ):
        found.setdefault(insurer_key(row.insurer.name), row)
    return found


def payroll_members(*, month: date):
    """Members employed in `month`: active and joined by its end."""
    return Member.objects.filter(status=Member.Status.ACTIVE).filter(
        Q(joined_on__isnull=True) | Q(joined_on__lte=month_end(month))
    )


def budget_balances(*, member_ids: list[int]) -> dict[int, Decimal]:
    """Budget per member, positive when the cooperative owes it to the member."""
    return {
        member_id: -balance
        for member_id, balance in Account.objects.filter(
            kind=AccountKind.MEMBER_BUDGET, member_id__in=member_ids
        ).values_list("member_id", "balance")
    }


def budget_inflows(*, member_ids: list[int], start: date, end: date) -> dict[int, Decimal]:
    """What flowed into each budget from `start` to before `end`: revenue less fees, reversals
    included; salaries and expense refunds are spending, not income."""
    rows = (
        Entry.objects.filter(
            account__kind=AccountKind.MEMBER_BUDGET,
            account__member_id__in=member_ids,
            transaction__booking_date__gte=start,
            transaction__booking_date__lt=end,
        )
        .exclude(transaction__source_type__in=[SourceType.PAYROLL_LINE, SourceType.EXPENSE])
        .order_by()
        .values("account__member_id")
        .annotate(total=Sum("amount"))
        .values_list("account__member_id", "total")
    )
    return {member_id: -total for member_id, total in rows}


def monthly_inflows(*, member_id: int, start: date, end: date) -> dict[date, Decimal]:
    """`budget_inflows` of one member per calendar month, in one query (the planner's chart)."""
    rows = (
        Entry.objects.filter(
            account__kind=AccountKind.MEMBER_BUDGET,
            account__member_id=member_id,
            transaction__booking_date__gte=start,
            transaction__booking_date__lt=end,
        )
        .exclude(transaction__source_type__in=[SourceType.PAYROLL_LINE, SourceType.EXPENSE])
        .annotate(month=TruncMonth("transaction__booking_date"))
        .order_by()
        .values("month")
        .annotate(total=Sum("amount"))
        .values_list("month", "total")
    )
    return {month: -total for month, total in rows}


def months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def member_inputs(
    *,
    members: list[Member],
    month: date,
    months: int,
    insurers: dict[str, HealthInsurerRate] | None = None,
) -> list[MemberInputs]:
    """The salary rule's inputs for a chunk of members, in a fixed number of queries.
    `insurers` (from `insurer_rates_on`) is read once per run by the caller when given."""
    ids = [m.pk for m in members]
    if insurers is None:
        insurers = insurer_rates_on(day=month_end(month))
    categories = {
        choice.member_id: choice.category
        for choice in SalaryCategoryChoice.objects.filter(member_id__in=ids).select_related(
            "category"
        )
    }
    employment = {e.member_id: e for e in EmploymentData.objects.filter(member_id__in=ids)}
    balances = budget_balances(member_ids=ids)
    inflows = budget_inflows(member_ids=ids, start=months_before(month, months), end=month)
    previous = {
        line.member_id: line
        for line in PayrollLine.objects.filter(
            member_id__in=ids,
            run__month=months_before(month, 1),
            run__status=PayrollRun.Status.APPROVED,
            status=PayrollLine.Status.OPEN,
        )
    }
    expenses: dict[int, list[tuple[int, Decimal]]] = {}
    for claim_id, member_id, gross in (
        ExpenseClaim.objects.filter(
            member_id__in=ids, status=ExpenseClaim.Status.APPROVED, payroll_line__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "member_id", "gross")
    ):
        expenses.setdefault(member_id, []).append((claim_id, gross))
    return [
        MemberInputs(
            member=member,
            employment=employment.get(member.pk),
            balance=balances.get(member.pk, ZERO),
            average_inflow=max(
                (inflows.get(member.pk, ZERO) / months).quantize(CENT, rounding=ROUND_DOWN),
                ZERO,
            ),
            previous=previous.get(member.pk),
            expenses=expenses.get(member.pk, []),
            insurer=_insurer_of(employment.get(member.pk), insurers),
            category=categories.get(member.pk),
        )
        for member in members
    ]


def _insurer_of(
    employment: EmploymentData | None, insurers: dict[str, HealthInsurerRate]
) -> HealthInsurerRate | None:
    if employment is None or not employment.health_insurer:
        return None
    return insurers.get(insurer_key(employment.health_insurer))
