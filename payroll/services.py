"""Payroll runs: the salary rule, the month's draft, submission, approval (four eyes) and
rejection of single lines.

The salary rule (domain-de.md §7): the monthly employer-cost target is the average budget
inflow of the last N complete months, capped by the budget balance less the cooperative's
reserve and by the gross the member asked not to exceed; the gross is the inverse of the
employer-cost function. Where the cooperative offers salary categories, a member's chosen
category replaces the average (still capped by the budget). A run is computed in chunks, each
committed on its own, so a crash leaves finished chunks in place and the rerun computes only
the members still missing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

import holidays
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from banking import sepa
from banking.models import BankAccount, PaymentFile
from core.exceptions import ApplicationError
from expenses.models import ExpenseClaim
from ledger import services as ledger_services
from ledger.models import AccountKind, SourceType
from members.models import EmploymentData
from payroll import notifications, selectors
from payroll.calculation import Employee, Levies, Rates, gross_for_employer_cost, gross_to_net
from payroll.models import (
    HealthInsurerRate,
    PayrollLine,
    PayrollRun,
    PayrollSettings,
    SalaryRule,
    Warning,
)
from payroll.selectors import MemberInputs, month_end
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope
from tenancy.tasks import enqueue_on_commit
from webhooks import events as webhook_events

ZERO = Decimal("0.00")
QUARTER_HOUR = Decimal("0.25")
# A line with one of these cannot be paid as it is: staff reject it (the member is told) or fix
# the data and compute the draft again.
BLOCKING = {Warning.MINIMUM_WAGE, Warning.NO_IBAN}
logger = logging.getLogger(__name__)


@dataclass
class RunSummary:
    lines: int = 0
    gross: Decimal = ZERO
    net: Decimal = ZERO
    employer_cost: Decimal = ZERO
    warnings: int = 0

    def line(self) -> str:
        return (
            f"lines={self.lines} gross={self.gross:.2f} net={self.net:.2f} "
            f"employer_cost={self.employer_cost:.2f} warnings={self.warnings}"
        )


def payroll_settings(*, cooperative: Cooperative) -> PayrollSettings:
    found, _created = PayrollSettings.objects.get_or_create(cooperative=cooperative)
    return found


def month_start(value: date) -> date:
    return value.replace(day=1)


# --- The salary rule -------------------------------------------------------------------------


def employee_of(
    employment: EmploymentData, state: str, insurer: HealthInsurerRate | None = None
) -> Employee:
    """The insurer's dated additional rate wins over the rate the member typed in."""
    return Employee(
        tax_class=employment.tax_class,
        kv_additional=(
            insurer.additional_rate if insurer else employment.health_insurer_additional_rate
        ),
        childless=employment.childless,
        pv_children=employment.number_of_children,
        tax_children=Decimal(employment.child_allowances),
        church_tax=employment.church_tax,
        state=state,
    )


def levies_of(settings: PayrollSettings, insurer: HealthInsurerRate | None) -> Levies:
    u1, u2 = (insurer.u1_rate, insurer.u2_rate) if insurer else (settings.u1_rate, settings.u2_rate)
    return Levies(u1=u1 if settings.u1_liable else ZERO, u2=u2, accident=settings.accident_rate)


def _tax_fingerprint(employment: EmploymentData) -> list[str]:
    return [
        str(getattr(employment, name))
        for name in (
            "tax_class",
            "health_insurer",
            "health_insurer_additional_rate",
            "church_tax",
            "child_allowances",
            "number_of_children",
            "childless",
        )
    ]


def salary_line(
    *,
    inputs: MemberInputs,
    settings: PayrollSettings,
    rates: Rates,
    minimum_wage: Decimal,
) -> PayrollLine:
    """One member's line (unsaved). Pure given its inputs: the same inputs give the same line."""
    warnings: list[str] = []
    employment = inputs.employment
    before = inputs.balance
    line = PayrollLine(
        member=inputs.member,
        cooperative_id=inputs.member.cooperative_id,
        average_inflow=inputs.average_inflow,
        budget_before=before,
        previous_gross=inputs.previous.gross if inputs.previous else None,
    )
    line.expenses_reimbursed = sum((amount for _id, amount in inputs.expenses), ZERO)
    expense_ids = [claim_id for claim_id, _amount in inputs.expenses]
    if employment is None or employment.tax_class is None:
        _zero(line)
        line.warnings = [Warning.NO_TAX_DATA.value]
        if line.expenses_reimbursed and not (employment and employment.iban):
            line.warnings.append(Warning.NO_IBAN.value)
        line.details = {"expense_ids": expense_ids}
        return line
    insurer = inputs.insurer
    employee = employee_of(employment, settings.state, insurer)
    levies = levies_of(settings, insurer)
    if employment.health_insurer and insurer is None:
        warnings.append(Warning.INSURER_UNKNOWN)
    available = max(before - settings.reserve, ZERO)
    category = inputs.category if settings.salary_rule != SalaryRule.AVERAGE else None
    # The member's "highest gross wanted" bounds the search itself (see
    # gross_for_employer_cost: capping afterwards could raise the cost).
    limit = employment.salary_limit
    if category is not None:
        # The chosen category, but never more than the budget holds and never more gross.
        limit = category.gross if limit is None else min(limit, category.gross)
        cost = gross_to_net(limit, employee, rates, levies).employer_cost
        target = min(cost, available)
        gross = limit
        if cost > available:
            warnings.append(Warning.CATEGORY_NOT_COVERED)
            gross = gross_for_employer_cost(target, employee, rates, levies, upper=limit)
    elif settings.salary_rule == SalaryRule.CATEGORIES:
        target = gross = ZERO
        warnings.append(Warning.NO_CATEGORY)
    else:
        target = min(inputs.average_inflow, available)
        if inputs.average_inflow > available:
            warnings.append(Warning.SHORTFALL)
        gross = gross_for_employer_cost(target, employee, rates, levies, upper=limit)
    result = gross_to_net(gross, employee, rates, levies)
    if employment.contract_hours is not None:
        hours = employment.contract_hours
        if gross < (hours * minimum_wage).quantize(Decimal("0.01")):
            warnings.append(Warning.MINIMUM_WAGE)
    else:
        # The most hours the salary pays at the minimum wage, in quarter hours.
        hours = (gross / minimum_wage / QUARTER_HOUR).to_integral_value(ROUND_DOWN) * QUARTER_HOUR
    if result.net + line.expenses_reimbursed > 0 and not employment.iban:
        warnings.append(Warning.NO_IBAN)
    previous = inputs.previous
    fingerprint = _tax_fingerprint(employment)
    if previous is not None:
        if previous.details.get("tax_data") not in (None, fingerprint):
            warnings.append(Warning.TAX_DATA_CHANGED)
        change = abs(gross - previous.gross)
        if previous.gross and change * 100 > previous.gross * settings.large_change_percent:
            warnings.append(Warning.LARGE_CHANGE)
        if previous.band and previous.band != result.band and gross > 0:
            warnings.append(Warning.BAND_CHANGED)
    levies_total = result.u1 + result.u2 + result.u3 + result.accident + result.flat_tax
    line.band = result.band if gross > 0 else ""
    line.hours = hours
    line.gross = result.gross
    line.employee_social_insurance = result.employee_social_insurance
    line.wage_tax = result.wage_tax
    line.solidarity_surcharge = result.solidarity_surcharge
    line.church_tax = result.church_tax
    line.net = result.net
    line.employer_social_insurance = result.employer_social_insurance
    line.employer_levies = levies_total
    line.employer_cost = result.employer_cost
    line.budget_after = before - result.employer_cost
    line.warnings = [str(w) for w in warnings]
    line.details = {
        "tax_data": fingerprint,
        "target": str(target),
        "reserve": str(settings.reserve),
        "rule": "category" if category is not None else settings.salary_rule,
        "category": category.name if category is not None else "",
        "insurer": insurer.insurer.name if insurer is not None else "",
        "branches": {
            name: {
                "base": str(branch.base),
                "employee": str(branch.employee),
                "employer": str(branch.employer),
            }
            for name, branch in (
                ("kv", result.kv),
                ("rv", result.rv),
                ("av", result.av),
                ("pv", result.pv),
            )
        },
        "u1": str(result.u1),
        "u2": str(result.u2),
        "u3": str(result.u3),
        "accident": str(result.accident),
        "flat_tax": str(result.flat_tax),
        "minimum_wage": str(minimum_wage),
        "expense_ids": expense_ids,
    }
    return line


def _zero(line: PayrollLine) -> None:
    for name in (
        "gross",
        "employee_social_insurance",
        "wage_tax",
        "solidarity_surcharge",
        "church_tax",
        "net",
        "employer_social_insurance",
        "employer_levies",
        "employer_cost",
    ):
        setattr(line, name, ZERO)
    line.budget_after = line.budget_before


# --- The month's run -------------------------------------------------------------------------


def payroll_run_compute(
    *, cooperative: Cooperative, month: date, chunk: int | None = None
) -> tuple[PayrollRun, RunSummary]:
    """Create (or finish) the month's draft run. Safe to run twice and at once: one run per
    (cooperative, month) by constraint, each member once per run, chunks under the run's row
    lock; a run already computed is returned unchanged.

    Each chunk commits in its own tenant scope (a transaction), so a worker killed half-way
    leaves whole chunks behind and the rerun computes the members still missing. Called inside
    a scope (a request), the chunks are savepoints of the caller's transaction instead."""
    month = month_start(month)
    chunk = chunk or django_settings.SMARTCOOP_PAYROLL_CHUNK
    pay_day = month_end(month)
    rates = selectors.rates_on(day=pay_day)
    minimum_wage = selectors.minimum_wage_on(day=pay_day)
    with tenant_scope(cooperative):
        settings = payroll_settings(cooperative=cooperative)
        insurers = selectors.insurer_rates_on(day=pay_day)
        run, _created = PayrollRun.objects.get_or_create(cooperative=cooperative, month=month)
    while run.status == PayrollRun.Status.COMPUTING:
        with tenant_scope(cooperative):
            run = PayrollRun.objects.select_for_update().get(pk=run.pk)
            if run.status != PayrollRun.Status.COMPUTING:
                break
            missing = list(
                selectors.payroll_members(month=month)
                .exclude(payroll_lines__run=run)
                .order_by("pk")[:chunk]
            )
            if not missing:
                _finish(run)
                break
            inputs = selectors.member_inputs(
                members=missing,
                month=month,
                months=settings.averaging_months,
                insurers=insurers,
            )
            lines = [
                salary_line(inputs=item, settings=settings, rates=rates, minimum_wage=minimum_wage)
                for item in inputs
            ]
            for line in lines:
                line.run = run
            PayrollLine.objects.bulk_create(lines)
    return run, summary(run)


def _finish(run: PayrollRun) -> None:
    totals = run.lines.filter(status=PayrollLine.Status.OPEN).aggregate(
        lines=Count("pk"),
        gross=Sum("gross"),
        net=Sum("net"),
        employer_cost=Sum("employer_cost"),
        warnings=Count("pk", filter=~Q(warnings=[])),
    )
    run.lines_count = totals["lines"]
    run.gross = totals["gross"] or ZERO
    run.net = totals["net"] or ZERO
    run.employer_cost = totals["employer_cost"] or ZERO
    run.warnings_count = totals["warnings"]
    if run.status == PayrollRun.Status.COMPUTING:
        run.status = PayrollRun.Status.DRAFT
        run.computed_at = timezone.now()
    run.save()


def payroll_runs_unfinished(*, idle: timedelta = timedelta(minutes=2)) -> list[PayrollRun]:
    """Runs a worker should be busy with (in the current cooperative): computing for longer
    than `idle`, or approved with payslips still to render."""
    missing_payslip = PayrollLine.objects.filter(
        run=OuterRef("pk"), status=PayrollLine.Status.OPEN, gross__gt=0, payslip__isnull=True
    )
    return list(
        PayrollRun.objects.filter(
            Q(status=PayrollRun.Status.COMPUTING, created_at__lt=timezone.now() - idle)
            | Q(status=PayrollRun.Status.APPROVED, approved_at__lt=timezone.now() - idle)
            & Exists(missing_payslip)
        ).order_by("month")
    )


def summary(run: PayrollRun) -> RunSummary:
    return RunSummary(run.lines_count, run.gross, run.net, run.employer_cost, run.warnings_count)


def payroll_run_start(*, cooperative: Cooperative, month: date, actor: User) -> PayrollRun:
    """Staff start computing a month (or continue a computation a dead worker left half-done):
    the run is created at once and a worker computes it chunk by chunk while the page shows
    the progress; leaving the page stops nothing. Called inside the request's scope."""
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ApplicationError(
            _("A month in the future cannot be computed yet."), code="payroll_month_future"
        )
    run, created = PayrollRun.objects.get_or_create(cooperative=cooperative, month=month)
    if run.status != PayrollRun.Status.COMPUTING:
        raise ApplicationError(
            _("The payroll of this month has already been computed (%(status)s).")
            % {"status": run.get_status_display()},
            code="payroll_computed",
        )
    from payroll import tasks  # the task module imports this one

    # robust: with the broker down the run stays "being computed" and staff press "Continue
    # computing" later; the request itself must not fail after the run was created.
    enqueue_on_commit(tasks.payroll_run_compute, cooperative.pk, month.isoformat())
    logger.info(
        "payroll run %s %s by user %s", run.pk, "started" if created else "resumed", actor.pk
    )
    return run


def payroll_run_progress(*, run: PayrollRun) -> tuple[int, int]:
    """(members computed, members to compute) of a run being computed."""
    if run.status != PayrollRun.Status.COMPUTING:
        return run.lines_count, run.lines_count
    done = run.lines.count()
    return done, max(done, selectors.payroll_members(month=run.month).count())


def _reset(run: PayrollRun, actor: User) -> PayrollRun:
    """Throw the draft's lines away: the run is to be computed again (data was corrected)."""
    with transaction.atomic():
        run = PayrollRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in (PayrollRun.Status.DRAFT, PayrollRun.Status.SUBMITTED):
            raise ApplicationError(
                _("Only a draft can be computed again."), code="payroll_not_draft"
            )
        run.lines.all().delete()
        run.status = PayrollRun.Status.COMPUTING
        run.prepared_by = None
        run.prepared_at = None
        run.save()
    logger.info("payroll run %s reset for recomputation by user %s", run.pk, actor.pk)
    return run


def payroll_run_recompute(*, run: PayrollRun, actor: User) -> tuple[PayrollRun, RunSummary]:
    """Compute a draft again, here and now (commands, tests)."""
    run = _reset(run, actor)
    return payroll_run_compute(cooperative=run.cooperative, month=run.month)


def payroll_run_restart(*, run: PayrollRun, actor: User) -> PayrollRun:
    """Compute a draft again in the background (the admin): the payroll page shows the
    progress, as when the month was first computed."""
    run = _reset(run, actor)
    from payroll import tasks  # the task module imports this one

    enqueue_on_commit(tasks.payroll_run_compute, run.cooperative_id, run.month.isoformat())
    return run


def payroll_run_submit(*, run: PayrollRun, actor: User) -> PayrollRun:
    """The preparer checked the draft and hands it to a second person for approval."""
    with transaction.atomic():
        run = PayrollRun.objects.select_for_update().get(pk=run.pk)
        if run.status != PayrollRun.Status.DRAFT:
            raise ApplicationError(
                _("Only a computed draft can be submitted for approval."),
                code="payroll_not_draft",
            )
        run.status = PayrollRun.Status.SUBMITTED
        run.prepared_by = actor
        run.prepared_at = timezone.now()
        run.save(update_fields=["status", "prepared_by", "prepared_at"])
    return run


def payroll_line_reject(*, line: PayrollLine, actor: User, reason: str) -> PayrollLine:
    """Take one member out of the month's payroll; the member is told why."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give a reason for rejecting the line."), code="reason")
    with transaction.atomic():
        run = PayrollRun.objects.select_for_update().get(pk=line.run_id)
        if run.status not in (PayrollRun.Status.DRAFT, PayrollRun.Status.SUBMITTED):
            raise ApplicationError(
                _("Lines can only be rejected before the run is approved."),
                code="payroll_locked",
            )
        line = PayrollLine.objects.select_related("member__user", "member__cooperative").get(
            pk=line.pk
        )
        if line.status == PayrollLine.Status.REJECTED:
            return line
        line.status = PayrollLine.Status.REJECTED
        line.reject_reason = reason
        line.rejected_by = actor
        line.rejected_at = timezone.now()
        line.save(update_fields=["status", "reject_reason", "rejected_by", "rejected_at"])
        _finish(run)
        notifications.line_rejected(line)
    return line


def payroll_run_approve(*, run: PayrollRun, actor: User) -> PayrollRun:
    """Second pair of eyes: post every line to the ledger, write the salary transfer file and
    close the month. The database refuses an approver who is the preparer."""
    cooperative = run.cooperative
    with transaction.atomic():
        ledger_services.ledger_lock(cooperative=cooperative)
        run = PayrollRun.objects.select_for_update().get(pk=run.pk)
        if run.status != PayrollRun.Status.SUBMITTED:
            raise ApplicationError(
                _("Only a run submitted for approval can be approved."),
                code="payroll_not_submitted",
            )
        if run.prepared_by_id == actor.pk:
            raise ApplicationError(
                _("The run was submitted by you; another staff member must approve it."),
                code="four_eyes",
            )
        lines = list(
            run.lines.filter(status=PayrollLine.Status.OPEN).select_related("member__employment")
        )
        blocked = [line for line in lines if BLOCKING & set(line.warnings)]
        if blocked:
            raise ApplicationError(
                _(
                    "%(n)s line(s) cannot be paid as they are (minimum wage or IBAN missing): "
                    "reject them or correct the data and compute again: %(members)s"
                )
                % {"n": len(blocked), "members": ", ".join(str(b.member) for b in blocked[:10])},
                code="payroll_blocked",
            )
        paid = [line for line in lines if line.employer_cost > 0]
        _refuse_overdrafts(paid)
        _post(cooperative, run, paid, actor)
        run.payment_file = _transfer_file(cooperative, run, lines, actor)
        _expenses_paid(lines)
        run.status = PayrollRun.Status.APPROVED
        run.approved_by = actor
        run.approved_at = timezone.now()
        run.save(update_fields=["status", "approved_by", "approved_at", "payment_file"])
        webhook_events.salaries_approved(run, paid)
        from payroll import tasks  # the task module imports this one

        enqueue_on_commit(tasks.payslips_render, cooperative.pk, run.pk)
    return run


def _expenses_paid(lines: list[PayrollLine]) -> None:
    """The claims paid out with these salaries (approved when the draft was computed; claims
    approved since wait for the next month). One read and batched writes, not one per line."""
    line_of = {
        claim_id: line for line in lines for claim_id in line.details.get("expense_ids") or []
    }
    if not line_of:
        return
    claims = list(
        ExpenseClaim.objects.filter(
            pk__in=line_of, status=ExpenseClaim.Status.APPROVED, payroll_line__isnull=True
        ).only("pk")
    )
    for claim in claims:
        claim.status = ExpenseClaim.Status.REIMBURSED
        claim.payroll_line = line_of[claim.pk]
    ExpenseClaim.objects.bulk_update(claims, ["status", "payroll_line"], batch_size=1000)


def _refuse_overdrafts(lines: list[PayrollLine]) -> None:
    """Budgets may have moved since the draft (a payment undone): none may go below zero."""
    balances = selectors.budget_balances(member_ids=[line.member_id for line in lines])
    short = [line for line in lines if balances.get(line.member_id, ZERO) < line.employer_cost]
    if short:
        raise ApplicationError(
            _(
                "The budget no longer covers the salary of: %(members)s. Compute the draft "
                "again or reject these lines."
            )
            % {"members": ", ".join(str(line.member) for line in short[:10])},
            code="payroll_overdraft",
        )


def _post(cooperative: Cooperative, run: PayrollRun, lines: list[PayrollLine], actor: User) -> None:
    accounts = ledger_services.accounts_ensure(cooperative=cooperative)
    budgets = {
        member_id: account
        for (member_id, _kind), account in ledger_services.accounts_member_many(
            {line.member_id: line.member for line in lines}, kinds=(AccountKind.MEMBER_BUDGET,)
        ).items()
    }
    booking_date = month_end(run.month)
    postings = []
    for line in lines:
        flat_tax = Decimal(line.details.get("flat_tax", "0"))
        social = (
            line.employee_social_insurance
            + line.employer_social_insurance
            + line.employer_levies
            - flat_tax
        )
        taxes = line.wage_tax + line.solidarity_surcharge + line.church_tax + flat_tax
        text = f"{run} {line.member}"[:120]
        postings.append(
            ledger_services.Posting(
                booking_date=booking_date,
                description=(
                    _("Salary %(month)s: %(member)s") % {"month": run, "member": line.member}
                )[:200],
                source_type=SourceType.PAYROLL_LINE,
                source_id=str(line.pk),
                idempotency_key=f"payroll:line-{line.pk}",
                lines=[
                    ledger_services.Line(budgets[line.member_id], line.employer_cost, text),
                    ledger_services.Line(accounts[AccountKind.WAGES_PAYABLE], -line.net, text),
                    ledger_services.Line(
                        accounts[AccountKind.SOCIAL_SECURITY_PAYABLE], -social, text
                    ),
                    ledger_services.Line(accounts[AccountKind.WAGE_TAX_PAYABLE], -taxes, text),
                ],
            )
        )
    ledger_services.ledger_post_many(cooperative=cooperative, postings=postings, actor=actor)


def pay_day(month: date, today: date) -> date:
    """The last working day of the month (German bank holidays), never before tomorrow."""
    closed = holidays.country_holidays("DE", years=month.year)
    day = month_end(month)
    while day.weekday() >= 5 or day in closed:
        day -= timedelta(days=1)
    return max(day, today + timedelta(days=1))


def _transfer_file(
    cooperative: Cooperative, run: PayrollRun, lines: list[PayrollLine], actor: User
) -> PaymentFile | None:
    payable = [line for line in lines if line.payout > 0]
    if not payable:
        return None
    account = BankAccount.objects.filter(is_active=True).order_by("pk").first()
    if account is None:
        raise ApplicationError(
            _("The cooperative has no active bank account to pay salaries from."),
            code="no_bank_account",
        )
    execution_date = pay_day(run.month, timezone.localdate())
    message_id, content = sepa.credit_transfers(
        debtor_name=cooperative.legal_name,
        debtor_iban=account.iban,
        debtor_bic=account.bic or cooperative.bic,
        execution_date=execution_date,
        category_purpose="SALA",
        transfers=[
            sepa.Transfer(
                end_to_end_id=f"SAL{run.month:%Y%m}-{line.pk}",
                name=(line.member.employment.account_holder or line.member.full_name)[:70],
                iban=line.member.employment.iban,
                amount=line.payout,
                text=_("Salary %(month)s") % {"month": run},
            )
            for line in payable
        ],
    )
    return PaymentFile.objects.create(
        cooperative=cooperative,
        kind=PaymentFile.Kind.SALARIES,
        account=account,
        message_id=message_id,
        execution_date=execution_date,
        transactions=len(payable),
        total=sum((line.payout for line in payable), ZERO),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        created_by=actor,
    )


def payroll_run_due(*, cooperative: Cooperative, today: date) -> RunSummary | None:
    """Beat: from the cooperative's draft day on, the month's run exists as a draft."""
    with tenant_scope(cooperative):
        settings = payroll_settings(cooperative=cooperative)
    if today.day < settings.draft_day:
        return None
    return payroll_run_compute(cooperative=cooperative, month=month_start(today))[1]
