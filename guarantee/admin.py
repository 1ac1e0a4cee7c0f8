"""Staff: the guarantee policy, clients not covered, advances (write off with a reason) and
write-offs."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from guarantee import services
from guarantee.models import Advance, ClientBlock, GuaranteePolicy, WriteOff


@admin.register(GuaranteePolicy, site=site)
class GuaranteePolicyAdmin(StaffModelAdmin):
    list_display = ["enabled", "working_days", "holiday_state", "max_gross"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not GuaranteePolicy.objects.exists()


@admin.register(ClientBlock, site=site)
class ClientBlockAdmin(StaffModelAdmin):
    list_display = ["client", "reason", "blocked_at"]
    readonly_fields = ["blocked_by", "blocked_at"]

    def save_model(self, request, obj, form, change):
        obj.blocked_by = obj.blocked_by or request.user
        super().save_model(request, obj, form, change)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


@admin.register(Advance, site=site)
class AdvanceAdmin(StaffModelAdmin):
    list_display = ["invoice", "dated", "gross_open", "net_advanced"]
    list_select_related = ["invoice"]
    readonly_fields = ["invoice", "dated", "gross_open", "net_advanced", "created_at"]
    actions = ["write_off"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.setdefault("write_off", self.get_action("write_off"))
        return actions

    @admin.action(description=_("Write off the selected invoices…"))
    def write_off(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for advance in queryset.select_related("invoice"):
                try:
                    services.write_off(
                        invoice=advance.invoice,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{advance.invoice}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, gettext("%(n)d invoice(s) written off.") % {"n": done})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Write off invoices"),
            "allocations": queryset,
            "form": form,
            "action": "write_off",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/banking/undo.html", context)


@admin.register(WriteOff, site=site)
class WriteOffAdmin(StaffModelAdmin):
    list_display = ["invoice", "dated", "gross", "reason"]
    readonly_fields = ["invoice", "dated", "gross", "reason", "written_off_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
