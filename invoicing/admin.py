from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from invoicing import invoice_services, services
from invoicing.models import (
    Client,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    InvoicingSettings,
    Job,
    NumberCounter,
)


@admin.register(Client, site=site)
class ClientAdmin(StaffModelAdmin):
    list_display = [
        "name",
        "kind",
        "city",
        "country",
        "vat_id",
        "vat_id_checked_at",
        "debtor_number",
    ]
    list_filter = ["kind", "country"]
    search_fields = ["name", "vat_id", "invoice_email", "debtor_number"]
    readonly_fields = [
        "vat_id_checked_at",
        "vat_id_check_result",
        "created_by",
        "created_at",
        "debtor_number",
    ]

    def save_model(self, request, obj, form, change):
        try:
            services.client_save(
                client=obj if change else None,
                values={
                    f: form.cleaned_data[f]
                    for f in services.CLIENT_FIELDS
                    if f in form.cleaned_data
                },
                member=None,
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(Job, site=site)
class JobAdmin(StaffModelAdmin):
    """Staff check the client's confirmation and the staff-leasing indicators, then approve."""

    list_display = ["title", "member", "client", "status", "planned_net", "risk"]
    list_filter = ["status", "pricing", "vat_category"]
    search_fields = ["title", "client__name", "member__last_name"]
    list_select_related = ["member", "client"]
    actions = ["approve"]
    readonly_fields = [f.name for f in Job._meta.concrete_fields if f.name not in ("id",)] + [
        "risk",
        "planned_net",
    ]
    exclude = ["confirmation_token_hash"]

    def has_add_permission(self, request) -> bool:
        return False  # members create jobs in the portal

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.setdefault("approve", self.get_action("approve"))
        return actions

    @admin.display(description=_("risk indicators"))
    def risk(self, obj):
        return ", ".join(obj.risk_flags) or "–"

    @admin.display(description=_("planned net (€)"))
    def planned_net(self, obj):
        return obj.planned_net

    @admin.action(description=_("Approve selected confirmed jobs"))
    def approve(self, request, queryset):
        done = 0
        for job in queryset:
            try:
                services.job_approve(job=job, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{job}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, gettext("%(n)d job(s) approved.") % {"n": done})


@admin.register(NumberCounter, site=site)
class NumberCounterAdmin(StaffModelAdmin):
    """Staff see the number ranges; numbers are only ever drawn by issuing."""

    list_display = ["series", "year", "last_number"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InvoicingSettings, site=site)
class InvoicingSettingsAdmin(StaffModelAdmin):
    """The seller contact on e-invoices, the number range prefix and the auto-approval rules."""

    list_display = ["contact_name", "number_series", "auto_issue", "auto_issue_max_gross"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not InvoicingSettings.objects.exists()


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["position", "description", "quantity", "unit", "unit_price", "vat_category"]
    fields += ["vat_rate", "net_amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class InvoiceDeliveryInline(admin.TabularInline):
    model = InvoiceDelivery
    extra = 0
    can_delete = False
    fields = ["to", "created_at", "status"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(Invoice, site=site)
class InvoiceAdmin(StaffModelAdmin):
    """The approval queue: filter by “waiting for approval”, check, then issue or return in
    bulk. Issued invoices are read-only here as everywhere; corrections are new documents."""

    list_display = [
        "__str__",
        "kind",
        "client",
        "member",
        "status",
        "gross_total",
        "submitted_at",
        "issue_date",
        "risk",
    ]
    list_filter = ["status", "kind", "year", "auto_issued"]
    search_fields = ["number_text", "client__name", "member__last_name", "rf_reference"]
    list_select_related = ["client", "member", "job"]
    date_hierarchy = "created_at"
    actions = ["issue_selected", "return_selected"]
    inlines = [InvoiceLineInline, InvoiceDeliveryInline]
    exclude = ["seller", "buyer"]
    readonly_fields = [
        f.name
        for f in Invoice._meta.concrete_fields
        if f.name not in ("id", "seller", "buyer", "cooperative")
    ]

    def has_add_permission(self, request) -> bool:
        return False  # members write invoices in the portal

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name in ("issue_selected", "return_selected"):
            actions.setdefault(name, self.get_action(name))
        return actions

    @admin.display(description=_("job risk indicators"))
    def risk(self, obj):
        return ", ".join(obj.job.risk_flags) if obj.job_id else "–"

    @admin.action(description=_("Approve and issue the selected invoices"))
    def issue_selected(self, request, queryset):
        try:
            result = invoice_services.invoices_issue(
                invoices=list(queryset.filter(status=Invoice.Status.SUBMITTED)),
                actor=request.user,
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        for invoice, exc in result.refused:
            self.message_user(request, f"{invoice}: {exc.message}", messages.ERROR)
        done = len(result.issued)
        skipped = queryset.exclude(status=Invoice.Status.SUBMITTED).count()
        if done:
            self.message_user(request, gettext("%(n)d invoice(s) issued.") % {"n": done})
        if skipped:
            self.message_user(
                request,
                gettext("%(n)d selected invoice(s) were not waiting for approval.")
                % {"n": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Return the selected invoices to their members"))
    def return_selected(self, request, queryset):
        form = ReturnForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for invoice in queryset:
                try:
                    invoice_services.invoice_return(
                        invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{invoice}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, gettext("%(n)d invoice(s) returned.") % {"n": done})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Return invoices to their members"),
            "invoices": queryset,
            "form": form,
            "action": "return_selected",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/invoicing/return_reason.html", context)
