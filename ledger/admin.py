"""Staff see accounts and transactions (read-only: posted entries never change), reverse a
transaction with a reason, lock months, and keep fee rules and the chart of accounts."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from ledger import services
from ledger.models import (
    DATEV_DEFAULTS,
    Account,
    DatevAccount,
    Entry,
    FeeRule,
    LedgerSettings,
    PeriodLock,
    Transaction,
)
from members.forms import DecisionForm


class ReadOnlyAdmin(StaffModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account, site=site)
class AccountAdmin(StaffModelAdmin):
    list_display = ["name", "kind", "skr03", "skr04", "display_balance"]
    list_filter = ["kind"]
    search_fields = ["name", "member__last_name"]
    fields = ["name", "kind", "nature", "member", "skr03", "skr04", "balance"]
    readonly_fields = ["kind", "nature", "member", "balance"]

    def has_add_permission(self, request) -> bool:
        return False  # accounts are created by the posting services

    def changelist_view(self, request, extra_context=None):
        services.accounts_ensure(cooperative=request.tenancy.cooperative)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("balance"))
    def display_balance(self, obj):
        return obj.display_balance


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["account", "amount", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transaction, site=site)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "booking_date", "description", "source_type", "source_id", "actor"]
    list_filter = ["source_type"]
    search_fields = ["description", "source_id"]
    inlines = [EntryInline]
    readonly_fields = [
        "sequence",
        "booking_date",
        "posted_at",
        "description",
        "source_type",
        "source_id",
        "actor",
        "reverses",
        "previous_hash",
        "hash",
    ]
    actions = ["reverse"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        # The change permission is off (entries are immutable), but reversing is allowed.
        actions = super().get_actions(request)
        if "reverse" not in actions and "reverse" in self.actions:
            actions["reverse"] = self.get_action("reverse")
        return actions

    @admin.action(description=_("Reverse selected transactions…"))
    def reverse(self, request, queryset):
        if "apply" in request.POST:
            form = DecisionForm(request.POST)
            if form.is_valid():
                for tx in queryset:
                    try:
                        services.ledger_reverse(
                            transaction_to_reverse=tx,
                            actor=request.user,
                            reason=form.cleaned_data["reason"],
                        )
                    except ApplicationError as exc:
                        self.message_user(request, f"#{tx.sequence}: {exc.message}", messages.ERROR)
                return None
        else:
            form = DecisionForm()
        return TemplateResponse(
            request,
            "admin/members/decision.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Reverse transactions"),
                "form": form,
                "queryset": queryset,
                "action": "reverse",
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(PeriodLock, site=site)
class PeriodLockAdmin(StaffModelAdmin):
    list_display = ["month", "locked_by", "locked_at"]
    fields = ["month"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        lock = services.period_lock(
            cooperative=request.tenancy.cooperative, month=obj.month, actor=request.user
        )
        obj.pk = lock.pk


@admin.register(FeeRule, site=site)
class FeeRuleAdmin(StaffModelAdmin):
    list_display = [
        "__str__",
        "floor_amount",
        "floor_period",
        "cap_per_year",
        "charge_on",
        "guarantee_percentage",
    ]


@admin.register(LedgerSettings, site=site)
class LedgerSettingsAdmin(StaffModelAdmin):
    list_display = ["__str__", "chart", "datev_consultant_number", "datev_client_number"]
    fieldsets = [
        (None, {"fields": ["chart", "fiscal_year_start_month"]}),
        (_("DATEV"), {"fields": ["datev_consultant_number", "datev_client_number"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return False


class DatevAccountForm(forms.ModelForm):
    """One account per purpose and cooperative; the cooperative is not a form field, so the
    constraint is checked here rather than by the database."""

    def clean_purpose(self):
        purpose = self.cleaned_data["purpose"]
        clash = DatevAccount.objects.filter(purpose=purpose).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(gettext("This purpose already has an account."))
        return purpose


@admin.register(DatevAccount, site=site)
class DatevAccountAdmin(StaffModelAdmin):
    """Accounts of the DATEV export that differ from the chart's defaults (ADR 0023)."""

    form = DatevAccountForm
    list_display = ["purpose", "number", "default_skr03", "default_skr04"]
    staff_can_delete = True

    @admin.display(description=_("default SKR03"))
    def default_skr03(self, obj) -> str:
        return DATEV_DEFAULTS[obj.purpose][0]

    @admin.display(description=_("default SKR04"))
    def default_skr04(self, obj) -> str:
        return DATEV_DEFAULTS[obj.purpose][1]
