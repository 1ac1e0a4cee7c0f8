"""Payroll in the admin. The operator keeps the dated rate tables; staff set the cooperative's
salary rule, check the month's draft (warnings first, differences against last month), reject
single lines with a reason, submit, and a second staff member approves."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Case, F, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import OperatorModelAdmin, StaffModelAdmin, site
from core.exceptions import ApplicationError
from members.forms import DecisionForm
from payroll import services
from payroll.models import (
    CertifiedResult,
    ContributionRates,
    MinimumWage,
    PayrollLine,
    PayrollRun,
    PayrollSettings,
    Warning,
)


@admin.register(ContributionRates, site=site)
class ContributionRatesAdmin(OperatorModelAdmin):
    list_display = [
        "valid_from",
        "kv_rate",
        "rv_rate",
        "av_rate",
        "pv_rate",
        "bbg_kv_month",
        "bbg_rv_month",
    ]


@admin.register(MinimumWage, site=site)
class MinimumWageAdmin(OperatorModelAdmin):
    list_display = ["valid_from", "hourly", "source"]


@admin.register(PayrollSettings, site=site)
class PayrollSettingsAdmin(StaffModelAdmin):
    list_display = ["state", "averaging_months", "reserve", "u1_rate", "u2_rate", "accident_rate"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not PayrollSettings.objects.exists()


def _each(modeladmin, request, queryset, service, done_message, **kwargs) -> None:
    done = 0
    for obj in queryset:
        try:
            service(actor=request.user, **kwargs, **{modeladmin.service_argument: obj})
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, str(done_message) % {"n": done}, messages.SUCCESS)


def _action(name, service, description, done_message):
    def action(modeladmin, request, queryset):
        _each(modeladmin, request, queryset, service, done_message)

    action.__name__ = name
    return admin.action(description=description)(action)


@admin.register(PayrollRun, site=site)
class PayrollRunAdmin(StaffModelAdmin):
    service_argument = "run"
    list_display = [
        "month",
        "status",
        "lines_link",
        "warnings_count",
        "gross",
        "net",
        "employer_cost",
        "prepared_by",
        "approved_by",
        "transfer_file",
        "handoff",
    ]
    list_filter = ["status"]
    readonly_fields = [
        "month",
        "status",
        "lines_link",
        "warnings_count",
        "gross",
        "net",
        "employer_cost",
        "created_at",
        "computed_at",
        "prepared_by",
        "prepared_at",
        "approved_by",
        "approved_at",
        "transfer_file",
    ]
    exclude = ["payment_file", "lines_count"]
    actions = ["submit", "approve", "recompute"]

    def has_add_permission(self, request) -> bool:
        return False  # drafted by the month-end job or `run_payroll`

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("lines"), ordering="lines_count")
    def lines_link(self, obj):
        url = reverse("admin:payroll_payrollline_changelist") + f"?run__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.lines_count)

    @admin.display(description=_("certified payroll"))
    def handoff(self, obj):
        if obj.status != PayrollRun.Status.APPROVED:
            return "—"
        url = reverse("portal:payroll_run", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("DATEV LODAS and results"))

    @admin.display(description=_("salary transfer file"))
    def transfer_file(self, obj):
        if obj.payment_file_id is None:
            return "—"
        url = reverse("admin:banking_paymentfile_download", args=[obj.payment_file_id])
        return format_html('<a href="{}">pain.001</a>', url)

    submit = _action(
        "submit",
        services.payroll_run_submit,
        _("Submit the selected runs for approval"),
        _("%(n)d run(s) submitted; another staff member approves."),
    )
    approve = _action(
        "approve",
        services.payroll_run_approve,
        _("Approve the selected runs (second pair of eyes)"),
        _("%(n)d run(s) approved: posted, salary transfer file written."),
    )
    recompute = _action(
        "recompute",
        services.payroll_run_recompute,
        _("Compute the selected drafts again"),
        _("%(n)d run(s) computed again."),
    )


class WarningFilter(admin.SimpleListFilter):
    title = _("warnings")
    parameter_name = "warning"

    def lookups(self, request, model_admin):
        return [("any", _("any warning")), *Warning.choices]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.exclude(warnings=[])
        if self.value():
            return queryset.filter(warnings__contains=[self.value()])
        return queryset


@admin.register(PayrollLine, site=site)
class PayrollLineAdmin(StaffModelAdmin):
    service_argument = "line"
    list_display = [
        "member",
        "warning_labels",
        "status",
        "hours",
        "gross",
        "difference",
        "net",
        "employer_cost",
        "budget_before",
        "budget_after",
    ]
    list_filter = ["run", "status", WarningFilter, "band"]
    list_select_related = ["member", "run"]
    search_fields = ["member__last_name", "member__first_name", "member__member_number"]
    readonly_fields = [f.name for f in PayrollLine._meta.concrete_fields if f.name != "id"]
    actions = ["reject"]

    def get_queryset(self, request):
        # Warnings first: those are the lines staff must look at.
        return (
            super()
            .get_queryset(request)
            .annotate(
                quiet=Case(
                    When(warnings=[], then=Value(1)), default=Value(0), output_field=IntegerField()
                )
            )
            .order_by("quiet", F("member__member_number").asc(nulls_last=True), "member_id")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("warnings"))
    def warning_labels(self, obj):
        labels = dict(Warning.choices)
        return "; ".join(str(labels.get(code, code)) for code in obj.warnings) or "—"

    @admin.display(description=_("against last month"))
    def difference(self, obj):
        if obj.previous_gross is None:
            return "—"
        return f"{obj.gross - obj.previous_gross:+.2f}"

    @admin.action(description=_("Reject the selected lines (the member is told why)"))
    def reject(self, request, queryset):
        if "apply" in request.POST:
            form = DecisionForm(request.POST)
            if form.is_valid():
                _each(
                    self,
                    request,
                    queryset,
                    services.payroll_line_reject,
                    gettext("%(n)d line(s) rejected."),
                    reason=form.cleaned_data["reason"],
                )
                return None
        else:
            form = DecisionForm()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reject payroll lines"),
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/members/decision.html", context)


@admin.register(CertifiedResult, site=site)
class CertifiedResultAdmin(StaffModelAdmin):
    """Kept as imported; imported on the run's hand-off page or with `import_payroll_results`."""

    list_display = [
        "member",
        "run",
        "gross",
        "net",
        "employer_cost",
        "net_difference",
        "employer_cost_difference",
        "imported_at",
    ]
    list_filter = ["run"]
    list_select_related = ["member", "run"]
    search_fields = ["member__last_name", "member__first_name", "member__member_number"]
    readonly_fields = [f.name for f in CertifiedResult._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
