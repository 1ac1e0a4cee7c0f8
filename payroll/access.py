"""Access functions for payroll data. A member sees their own approved lines; staff and
accountants see approved runs and their documents. Another cooperative's run or line, or one the
person may not see, raises Http404 exactly like a missing one."""

from __future__ import annotations

from django.http import Http404

from core.policies import ACCOUNTANT, STAFF
from payroll.models import PayrollLine, PayrollRun, SalaryCategory


def own_salary_lines(*, member):
    """The member's salaries: lines of approved runs, newest first."""
    return (
        PayrollLine.objects.filter(
            member=member,
            run__status=PayrollRun.Status.APPROVED,
            status=PayrollLine.Status.OPEN,
        )
        .select_related("run")
        .order_by("-run__month")
    )


def own_salary_line(*, member, pk: int) -> PayrollLine:
    line = (
        own_salary_lines(member=member)
        .select_related("cooperative", "member__user", "member__employment")
        .filter(pk=pk, gross__gt=0)
        .first()
    )
    if line is None:
        raise Http404
    return line


def approved_runs(*, tenancy):
    if not tenancy.has_any(STAFF, ACCOUNTANT):
        raise Http404
    return PayrollRun.objects.filter(status=PayrollRun.Status.APPROVED).select_related(
        "prepared_by", "approved_by", "payment_file"
    )


def runs_in_progress(*, tenancy):
    """Runs not approved yet (being computed, drafts, waiting for approval): staff work on
    them, accountants see what is coming."""
    if not tenancy.has_any(STAFF, ACCOUNTANT):
        raise Http404
    return PayrollRun.objects.exclude(status=PayrollRun.Status.APPROVED).order_by("-month")


def approved_run_get(*, tenancy, pk: int) -> PayrollRun:
    run = approved_runs(tenancy=tenancy).select_related("cooperative").filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def certified_rows(*, run: PayrollRun):
    """The run's paid lines with their certified result, if one was imported."""
    return (
        run.lines.filter(status=PayrollLine.Status.OPEN, gross__gt=0)
        .select_related("member", "certified")
        .order_by("member__member_number")
    )


def salary_category_of(*, pk: int) -> SalaryCategory | None:
    """One of the caller's cooperative's categories (offered or not), None if there is none."""
    return SalaryCategory.objects.filter(pk=pk).first()
