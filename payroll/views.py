"""Portal pages: a member's salaries, payslips and salary planner; the approved runs with their
journal, salary transfer file and certified-payroll hand-off for staff and accountants; staff's
gross-to-net calculator."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.downloads import attachment
from core.exceptions import ApplicationError
from core.policies import ACCOUNTANT, MEMBER, STAFF, role_policy
from members import access as member_access
from payroll import access, categories, documents, handoff, planner, selectors, services
from payroll.calculation import Employee, gross_to_net
from payroll.forms import (
    CalculatorForm,
    CertifiedResultsForm,
    PayrollStartForm,
    PlannerForm,
    SalaryCategoryForm,
)
from payroll.models import PayrollLine, PayrollRun, SalaryRule


def payslip_response(line: PayrollLine) -> HttpResponse:
    slip = documents.payslip_render(line=line)
    name = f"payslip-{line.run.month:%Y-%m}-{line.member_id}.pdf"
    return attachment(bytes(slip.content), name, "application/pdf")


def journal_response(run: PayrollRun, fmt: str) -> HttpResponse:
    name = f"payroll-journal-{run.month:%Y-%m}.{fmt}"
    if fmt == "csv":
        return attachment(documents.journal_csv(run=run), name, "text/csv")
    if fmt == "pdf":
        return attachment(documents.journal_pdf(run=run), name, "application/pdf")
    raise Http404


def lodas_response(run: PayrollRun) -> HttpResponse:
    settings = services.payroll_settings(cooperative=run.cooperative)
    content = handoff.lodas_export(run=run, settings=settings)
    return attachment(content, f"lodas-{run.month:%Y-%m}.txt", "text/plain; charset=windows-1252")


def transfer_file_response(run: PayrollRun) -> HttpResponse:
    if run.payment_file is None:
        raise Http404
    name = f"salaries-{run.month:%Y-%m}-{run.payment_file.message_id}.xml"
    return attachment(bytes(run.payment_file.content), name, "application/xml")


@role_policy(MEMBER)
def salary(request):
    """The member's salary history: every approved month with its payslip."""
    member = member_access.own_member(user=request.user)
    lines = access.own_salary_lines(member=member)
    return render(request, "payroll/salary.html", {"member": member, "lines": lines})


@role_policy(MEMBER)
def payslip_page(request, pk: int):
    """The payslip as a page (it reads well on a phone), with the PDF to keep."""
    member = member_access.own_member(user=request.user)
    line = access.own_salary_line(member=member, pk=pk)
    return render(request, "payroll/payslip.html", documents.payslip_context(line))


@role_policy(MEMBER)
def payslip(request, pk: int):
    member = member_access.own_member(user=request.user)
    return payslip_response(access.own_salary_line(member=member, pk=pk))


@role_policy(STAFF, ACCOUNTANT)
def runs(request):
    """Approved runs with their files; runs in progress, with a progress bar while a worker
    computes one; staff start (or continue) computing a month here."""
    in_progress = list(access.runs_in_progress(tenancy=request.tenancy))
    form = PayrollStartForm(initial={"month": services.month_start(timezone.localdate())})
    if request.method == "POST":
        if not request.tenancy.has_any(STAFF):
            raise Http404
        form = PayrollStartForm(request.POST)
        if form.is_valid():
            try:
                run = services.payroll_run_start(
                    cooperative=request.tenancy.cooperative,
                    month=form.cleaned_data["month"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error("month", exc.message)
            else:
                messages.success(
                    request,
                    _("The payroll of %(month)s is being computed. You may leave this page.")
                    % {"month": formats.date_format(run.month, "YEAR_MONTH_FORMAT")},
                )
                return redirect("portal:payroll_runs")
    progress = {run.pk: services.payroll_run_progress(run=run) for run in in_progress}
    return render(
        request,
        "payroll/runs.html",
        {
            "runs": access.approved_runs(tenancy=request.tenancy),
            "in_progress": [(run, *progress[run.pk]) for run in in_progress],
            "computing": any(run.status == PayrollRun.Status.COMPUTING for run in in_progress),
            "form": form,
        },
    )


@role_policy(STAFF, ACCOUNTANT)
def journal(request, pk: int, fmt: str):
    return journal_response(access.approved_run_get(tenancy=request.tenancy, pk=pk), fmt)


@role_policy(STAFF, ACCOUNTANT)
def transfer_file(request, pk: int):
    return transfer_file_response(access.approved_run_get(tenancy=request.tenancy, pk=pk))


@role_policy(STAFF, ACCOUNTANT)
def lodas(request, pk: int):
    run = access.approved_run_get(tenancy=request.tenancy, pk=pk)
    try:
        return lodas_response(run)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal:payroll_run", pk=run.pk)


@role_policy(STAFF, ACCOUNTANT)
def run_detail(request, pk: int):
    """An approved run's hand-off: the LODAS file out, the certified results back."""
    run = access.approved_run_get(tenancy=request.tenancy, pk=pk)
    form = CertifiedResultsForm()
    problems: list[str] = []
    if request.method == "POST":
        if not request.tenancy.has_any(STAFF):
            raise Http404
        form = CertifiedResultsForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                summary = handoff.certified_results_import(
                    run=run,
                    content=upload.read(handoff.MAX_FILE_BYTES + 1),
                    name=upload.name,
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
                problems = exc.extra.get("problems", [])
            else:
                messages.success(
                    request,
                    _(
                        "%(imported)d result(s) imported, %(unchanged)d already known; "
                        "%(differences)d differ from the shadow payroll by %(total)s € in all."
                    )
                    % {
                        "imported": summary.imported,
                        "unchanged": summary.unchanged,
                        "differences": summary.differences,
                        "total": f"{summary.total_difference:.2f}",
                    },
                )
                return redirect("portal:payroll_run", pk=run.pk)
    return render(
        request,
        "payroll/run.html",
        {
            "run": run,
            "rows": access.certified_rows(run=run),
            "form": form,
            "problems": problems,
        },
    )


def what_if_of(data: dict) -> planner.WhatIf:
    return planner.WhatIf(
        months=data.get("months") or 6,
        extra_income=data.get("extra_income") or Decimal("0.00"),
        collection_rate=100 if data.get("collection_rate") is None else data["collection_rate"],
        include_planned=bool(data.get("include_planned")),
    )


@role_policy(MEMBER)
def salary_planner(request):
    """What salary the member's budget, open invoices and jobs sustain, with what-if inputs."""
    member = member_access.own_member(user=request.user)
    # Without what-ifs the form shows its defaults (a bound form would show empty fields).
    params = request.GET or {
        name: field.initial
        for name, field in PlannerForm.base_fields.items()
        if field.initial is not None
    }
    form = PlannerForm(params)
    what_if = what_if_of(form.cleaned_data) if form.is_valid() else planner.WhatIf()
    plan = planner.salary_plan(member=member, what_if=what_if)
    return render(
        request,
        "payroll/planner.html",
        {"member": member, "form": form, "plan": plan, "chart": planner.chart(plan)},
    )


def none_label(rule: str) -> str:
    if rule == SalaryRule.BOTH:
        return _("No category: the cooperative's averaging rule")
    return _("No category: no salary for now")


@role_policy(MEMBER)
def salary_category(request):
    """The salary categories offered, priced for the member and checked against their budget
    and forecast; the member chooses one (or none)."""
    member = member_access.own_member(user=request.user)
    try:
        offer = categories.salary_category_offer(member=member)
    except ApplicationError as exc:  # e.g. no contribution rates for this year yet
        messages.error(request, exc.message)
        return redirect("portal:salary")
    rule = services.payroll_settings(cooperative=member.cooperative).salary_rule
    initial = {"category": str(offer.chosen.category_id) if offer.chosen else "none"}
    form = SalaryCategoryForm(initial=initial, options=offer.options, allow_none=none_label(rule))
    if request.method == "POST" and offer.offered:
        form = SalaryCategoryForm(request.POST, options=offer.options, allow_none=none_label(rule))
        if form.is_valid():
            try:
                chosen = categories.salary_category_choose(
                    member=member, category=form.chosen(), actor=request.user
                )
            except ApplicationError as exc:
                form.add_error("category", exc.message)
            else:
                if chosen is None:
                    messages.success(request, _("You have no salary category now."))
                else:
                    messages.success(
                        request,
                        _("You chose %(category)s. It applies from the next payroll.")
                        % {"category": chosen.category},
                    )
                return redirect("portal:salary_category")
    return render(
        request,
        "payroll/category.html",
        {"member": member, "offer": offer, "form": form},
    )


@role_policy(STAFF)
def calculator(request):
    """Staff's gross-to-net calculator: the shadow payroll for any data, with the cooperative's
    levies and the rates in force today."""
    form = CalculatorForm(request.GET or None)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        settings = services.payroll_settings(cooperative=request.tenancy.cooperative)
        employee = Employee(
            tax_class=data["tax_class"],
            kv_additional=data["kv_additional"],
            childless=data["childless"],
            pv_children=data["pv_children"],
            tax_children=data["tax_children"],
            church_tax=data["church_tax"],
            state=data["state"],
        )
        levies = services.levies_of(settings, None)
        try:
            rates = selectors.rates_on(day=timezone.localdate())
            result = gross_to_net(data["gross"], employee, rates, levies)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return render(request, "payroll/calculator.html", {"form": form, "result": result})
