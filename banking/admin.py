"""Staff: bank accounts, statement upload, the queue of payments not (fully) applied, manual
matching and undo. Bank transactions themselves are read-only."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from banking import matching, parsers, services
from banking.models import Allocation, BankAccount, BankStatement, BankTransaction
from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from invoicing.models import Invoice


@admin.register(BankAccount, site=site)
class BankAccountAdmin(StaffModelAdmin):
    list_display = ["name", "iban", "bic", "is_active"]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file (camt.053, camt.054 or MT940)"),
        help_text=_("At most 20 MB."),
    )


@admin.register(BankStatement, site=site)
class BankStatementAdmin(StaffModelAdmin):
    list_display = ["__str__", "account", "imported_at", "entries_in_file", "entries_new"]
    list_filter = ["format", "account"]
    readonly_fields = [f.name for f in BankStatement._meta.concrete_fields if f.name != "id"]
    change_list_template = "admin/banking/bankstatement/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # statements come from files: see “Import a statement”

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="banking_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionError
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > parsers.MAX_BYTES:
                form.add_error("file", gettext("The file is larger than 20 MB."))
            else:
                try:
                    result = services.statement_import(
                        cooperative=request.tenancy.cooperative,
                        content=upload.read(),
                        file_name=upload.name,
                        actor=request.user,
                    )
                except ApplicationError as exc:
                    form.add_error("file", exc.message)
                else:
                    self.message_user(
                        request,
                        gettext(
                            "%(imported)d new, %(duplicates)d already known, %(matched)d "
                            "matched, %(unmatched)d for the queue."
                        )
                        % vars(result),
                    )
                    return HttpResponseRedirect(
                        reverse("admin:banking_banktransaction_changelist") + "?queue=unmatched"
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a bank statement"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/banking/import.html", context)


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("unmatched", _("incoming, not (fully) applied"))]

    def queryset(self, request, queryset):
        if self.value() == "unmatched":
            return queryset.filter(pk__in=matching.unmatched_queryset().values("pk"))
        return queryset


class AllocationInline(admin.TabularInline):
    model = Allocation
    fk_name = "transaction"
    extra = 0
    can_delete = False
    fields = ["invoice", "amount", "method", "explanation", "created_at", "undone_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MatchForm(forms.Form):
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=30)
    amount = forms.CharField(label=_("Amount (€)"), max_length=20)


@admin.register(BankTransaction, site=site)
class BankTransactionAdmin(StaffModelAdmin):
    list_display = [
        "booking_date",
        "amount",
        "counterparty_name",
        "remittance",
        "is_return",
        "applied",
    ]
    list_filter = [QueueFilter, "account", "is_return"]
    search_fields = ["counterparty_name", "remittance", "counterparty_iban", "end_to_end_id"]
    readonly_fields = [
        f.name for f in BankTransaction._meta.concrete_fields if f.name not in ("id", "dedupe_key")
    ]
    exclude = ["dedupe_key"]
    inlines = [AllocationInline]
    actions = ["match_manually", "match_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name in ("match_manually", "match_again"):
            actions.setdefault(name, self.get_action(name))
        return actions

    @admin.display(description=_("applied (€)"))
    def applied(self, obj):
        return obj.amount - matching.unallocated(obj) if obj.amount > 0 else "–"

    @admin.action(description=_("Run the automatic matching again"))
    def match_again(self, request, queryset):
        done = sum(
            1
            for bank_transaction in queryset.filter(amount__gt=0)
            if services.transaction_match(bank_transaction=bank_transaction, actor=request.user)
        )
        self.message_user(request, gettext("%(n)d payment(s) matched.") % {"n": done})

    @admin.action(description=_("Apply to an invoice…"))
    def match_manually(self, request, queryset):
        bank_transaction = queryset.filter(amount__gt=0).first()
        if bank_transaction is None or queryset.count() != 1:
            self.message_user(
                request, gettext("Select exactly one incoming payment."), messages.ERROR
            )
            return None
        form = MatchForm(
            request.POST if "apply" in request.POST else None,
            initial={"amount": matching.unallocated(bank_transaction)},
        )
        if form.is_valid():
            invoice = Invoice.objects.filter(
                number_text=form.cleaned_data["invoice_number"].strip().upper(),
                status=Invoice.Status.ISSUED,
            ).first()
            try:
                amount = Decimal(form.cleaned_data["amount"].replace(",", "."))
            except InvalidOperation:
                amount = None
            if invoice is None:
                form.add_error("invoice_number", gettext("No issued invoice has this number."))
            elif amount is None or not amount.is_finite():
                form.add_error("amount", gettext("Enter an amount such as 120.50."))
            else:
                try:
                    services.allocation_create(
                        bank_transaction=bank_transaction,
                        invoice=invoice,
                        amount=amount.quantize(Decimal("0.01")),
                        method=Allocation.Method.MANUAL,
                        explanation=gettext("applied by %(person)s") % {"person": request.user},
                        actor=request.user,
                    )
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, gettext("The payment has been applied."))
                    return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Apply a payment to an invoice"),
            "bank_transaction": bank_transaction,
            "form": form,
            "action": "match_manually",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/banking/match.html", context)


class UndoForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


@admin.register(Allocation, site=site)
class AllocationAdmin(StaffModelAdmin):
    """Every match with its reason; staff undo a wrong one (the posting is reversed)."""

    list_display = ["transaction", "invoice", "amount", "method", "explanation", "undone_at"]
    list_filter = ["method", ("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["transaction", "invoice"]
    readonly_fields = [f.name for f in Allocation._meta.concrete_fields if f.name != "id"]
    actions = ["undo"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.setdefault("undo", self.get_action("undo"))
        return actions

    @admin.action(description=_("Undo the selected matches…"))
    def undo(self, request, queryset):
        form = UndoForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for allocation in queryset:
                try:
                    services.allocation_undo(
                        allocation=allocation,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    done += 1
                except ApplicationError as exc:
                    self.message_user(request, f"{allocation}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, gettext("%(n)d match(es) undone.") % {"n": done})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Undo payment matches"),
            "allocations": queryset,
            "form": form,
            "action": "undo",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/banking/undo.html", context)
