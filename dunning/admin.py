"""Staff: the dunning policy, reminders sent (with their letters), pauses, confirmations (staff
may decide instead of the member, with a reason) and escalations with the court dunning data.
The operator keeps the base rates."""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import OperatorModelAdmin, StaffModelAdmin, site
from dunning import services
from dunning.models import (
    BaseRate,
    Confirmation,
    DunningPolicy,
    Escalation,
    Pause,
    Reminder,
    ReminderLetter,
)


@admin.register(BaseRate, site=site)
class BaseRateAdmin(OperatorModelAdmin):
    list_display = ["valid_from", "rate", "source"]


@admin.register(DunningPolicy, site=site)
class DunningPolicyAdmin(StaffModelAdmin):
    list_display = ["enabled", "reminder_days", "first_days", "final_days", "escalation_days"]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not DunningPolicy.objects.exists()


@admin.register(Reminder, site=site)
class ReminderAdmin(StaffModelAdmin):
    list_display = ["invoice", "level", "dated", "open_amount", "interest", "fee", "total", "pdf"]
    list_filter = ["level", "dated"]
    list_select_related = ["invoice"]
    search_fields = ["invoice__number_text", "invoice__client__name"]
    readonly_fields = [f.name for f in Reminder._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/letter/",
                self.admin_site.admin_view(self.letter_view),
                name="dunning_reminder_letter",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("letter"))
    def pdf(self, obj):
        return format_html('<a href="{}/letter/">PDF</a>', obj.pk)

    def letter_view(self, request, pk: int):
        reminder = self.get_object(request, str(pk))
        letter = ReminderLetter.objects.filter(reminder=reminder).first() if reminder else None
        if letter is None:
            from django.http import Http404

            raise Http404
        response = HttpResponse(bytes(letter.content), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{reminder.invoice.number_text}-{reminder.level}.pdf"'
        )
        return response


@admin.register(Pause, site=site)
class PauseAdmin(StaffModelAdmin):
    list_display = ["invoice", "reason", "paused_at", "ended_at"]
    list_filter = [("ended_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["invoice", "paused_by", "paused_at", "ended_at", "reason"]
    actions = ["end"]

    def has_add_permission(self, request) -> bool:
        return False  # paused from the invoice page, with the reason

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.setdefault("end", self.get_action("end"))
        return actions

    @admin.action(description=_("End the selected pauses"))
    def end(self, request, queryset):
        for pause in queryset.filter(ended_at__isnull=True):
            services.dunning_resume(invoice=pause.invoice, actor=request.user)
        self.message_user(request, gettext("Dunning resumes for the selected invoices."))


@admin.register(Confirmation, site=site)
class ConfirmationAdmin(StaffModelAdmin):
    list_display = ["invoice", "step", "confirmed_by", "staff_override_reason", "confirmed_at"]
    list_filter = ["step"]
    readonly_fields = [f.name for f in Confirmation._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Escalation, site=site)
class EscalationAdmin(StaffModelAdmin):
    """What to enter in the online court dunning application (online-mahnantrag.de)."""

    list_display = ["invoice", "dated", "claim", "interest", "costs"]
    readonly_fields = ["invoice", "dated", "claim", "interest", "costs", "court_data"]
    exclude = ["data"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("court dunning data"))
    def court_data(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False))
