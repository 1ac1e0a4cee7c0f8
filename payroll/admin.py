"""Payroll in the admin. The operator keeps the dated rate tables; staff set the cooperative's
salary rule, check the month's draft (warnings first, differences against last month), reject
single lines with a reason, submit, and a second staff member approves."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
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
    HealthInsurer,
    HealthInsurerRate,
    MinimumWage,
    PayrollLine,
    PayrollRun,
    PayrollSettings,
    SalaryCategory,
    SalaryCategoryChoice,
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
    list_display = [
        "salary_rule",
        "state",
        "averaging_months",
        "reserve",
        "u1_liable",
        "accident_rate",
    ]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not PayrollSettings.objects.exists()


class UniqueNameForm(forms.ModelForm):
    """Names are unique per cooperative (case ignored); the cooperative is not a form field, so
    Django's own unique check skips the constraint and the database would answer with an error
    page."""

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = type(self.instance)._default_manager.filter(name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(gettext("Another entry already has this name."))
        return name


class HealthInsurerRateInline(admin.TabularInline):
    model = HealthInsurerRate
    extra = 1
    fields = ["valid_from", "additional_rate", "u1_rate", "u2_rate"]


@admin.register(HealthInsurer, site=site)
class HealthInsurerAdmin(StaffModelAdmin):
    """The insurers the members are with and their dated rates; a member is matched by the
    insurer name in their employment data (case and spaces ignored)."""

    form = UniqueNameForm
    list_display = ["name", "company_number", "current_rates"]
    search_fields = ["name", "company_number"]
    inlines = [HealthInsurerRateInline]
    staff_can_delete = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rates")

    @admin.display(description=_("rates in force"))
    def current_rates(self, obj) -> str:
        today = timezone.localdate()
        row = next((r for r in obj.rates.all() if r.valid_from <= today), None)
        if row is None:
            return "–"
        return gettext("additional %(zb)s %%, U1 %(u1)s %%, U2 %(u2)s %% (from %(day)s)") % {
            "zb": row.additional_rate,
            "u1": row.u1_rate,
            "u2": row.u2_rate,
            "day": row.valid_from.isoformat(),
        }


@admin.register(SalaryCategory, site=site)
class SalaryCategoryAdmin(StaffModelAdmin):
    form = UniqueNameForm
    list_display = ["name", "gross", "active", "chosen_by_members"]
    list_filter = ["active"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(members=Count("choices"))

    @admin.display(description=_("chosen by members"), ordering="members")
    def chosen_by_members(self, obj) -> int:
        return obj.members


@admin.register(SalaryCategoryChoice, site=site)
class SalaryCategoryChoiceAdmin(StaffModelAdmin):
    """Who chose which category, and what the check saw then. Members choose in the portal."""

    list_display = ["member", "category", "employer_cost", "sustainable", "chosen_at"]
    list_filter = ["category"]
    list_select_related = ["member", "category"]
    staff_can_add = False
    staff_can_change = False


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
        services.payroll_run_restart,
        _("Compute the selected drafts again"),
        _("%(n)d run(s) are being computed again; the payroll page shows the progress."),
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
