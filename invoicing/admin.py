from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from invoicing import services
from invoicing.models import Client, Job, NumberCounter


@admin.register(Client, site=site)
class ClientAdmin(StaffModelAdmin):
    list_display = ["name", "kind", "city", "country", "vat_id", "vat_id_checked_at"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "vat_id", "invoice_email"]
    readonly_fields = ["vat_id_checked_at", "vat_id_check_result", "created_by", "created_at"]

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
