"""Staff: bank accounts, statement upload, the queue of payments not (fully) applied, manual
matching and undo. Bank transactions themselves are read-only."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from banking import matching, parsers, services
from banking.models import (
    Allocation,
    BankAccount,
    BankStatement,
    BankTransaction,
    PaymentFile,
    Refund,
    StatementImport,
)
from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from core.widgets import DateInput
from invoicing.models import Invoice


class ReadOnlyAdmin(StaffModelAdmin):
    """Rows written by services only; staff act on them through the listed actions, which stay
    available although nothing can be edited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name in self.actions or ():
            actions.setdefault(name, self.get_action(name))
        return actions


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
            try:
                job = services.statement_import_queue(
                    cooperative=request.tenancy.cooperative,
                    content=upload.read(parsers.MAX_BYTES + 1),
                    file_name=upload.name,
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                return HttpResponseRedirect(
                    reverse("admin:banking_statementimport_change", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a bank statement"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/banking/import.html", context)


@admin.register(StatementImport, site=site)
class StatementImportAdmin(StaffModelAdmin):
    """Uploaded statements being imported by a worker: progress while it works (the page
    refreshes itself; staff may leave it), the counts or the error when done."""

    list_display = [
        "file_name",
        "status",
        "created_at",
        "requested_by",
        "imported",
        "duplicates",
        "matched",
        "unmatched",
    ]
    list_filter = ["status"]
    fields = [
        "file_name",
        "size",
        "status",
        "error",
        "requested_by",
        "created_at",
        "finished_at",
        "imported",
        "duplicates",
        "matched",
        "unmatched",
    ]
    readonly_fields = fields
    change_form_template = "admin/banking/statementimport/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")  # up to 20 MB per upload

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra = {}
        if job is not None:
            done, total = services.statement_import_progress(job)
            extra = {"job": job, "done": done, "total": total}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


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
    fields = [
        "invoice",
        "share_payment",
        "amount",
        "method",
        "explanation",
        "created_at",
        "undone_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MatchForm(forms.Form):
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=30)
    amount = forms.CharField(label=_("Amount (€)"), max_length=20)


@admin.register(BankTransaction, site=site)
class BankTransactionAdmin(ReadOnlyAdmin):
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
    actions = ["match_manually", "match_again", "refund_rest"]

    def _one_incoming(self, request, queryset):
        bank_transaction = queryset.filter(amount__gt=0).first()
        if bank_transaction is None or queryset.count() != 1:
            self.message_user(
                request, gettext("Select exactly one incoming payment."), messages.ERROR
            )
            return None
        return bank_transaction

    def _form_page(self, request, *, title, bank_transaction, form, action):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "bank_transaction": bank_transaction,
            "form": form,
            "action": action,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/banking/match.html", context)

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
        bank_transaction = self._one_incoming(request, queryset)
        if bank_transaction is None:
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
        return self._form_page(
            request,
            title=_("Apply a payment to an invoice"),
            bank_transaction=bank_transaction,
            form=form,
            action="match_manually",
        )

    @admin.action(description=_("Refund the rest to the payer…"))
    def refund_rest(self, request, queryset):
        bank_transaction = self._one_incoming(request, queryset)
        if bank_transaction is None:
            return None
        form = RefundForm(
            request.POST if "apply" in request.POST else None,
            initial={
                "amount": matching.unallocated(bank_transaction),
                "name": bank_transaction.counterparty_name[:70],
                "iban": bank_transaction.counterparty_iban,
            },
        )
        if form.is_valid():
            try:
                services.refund_create(
                    bank_transaction=bank_transaction,
                    amount=form.cleaned_data["amount"],
                    name=form.cleaned_data["name"],
                    iban=form.cleaned_data["iban"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, gettext("The refund goes out with the next payment file.")
                )
                return None
        return self._form_page(
            request,
            title=_("Refund the rest of a payment"),
            bank_transaction=bank_transaction,
            form=form,
            action="refund_rest",
        )


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (€)"), max_digits=14, decimal_places=2)
    name = forms.CharField(label=_("Payee"), max_length=70)
    iban = forms.CharField(label=_("IBAN"), max_length=42)
    reason = forms.CharField(
        label=_("Reason (sent to the payer with the transfer)"), max_length=140
    )


class PaymentFileForm(forms.Form):
    execution_date = forms.DateField(label=_("Execution date"), widget=DateInput())

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"] = forms.ModelChoiceField(label=_("From account"), queryset=accounts)
        self.order_fields(["account", "execution_date"])


@admin.register(Refund, site=site)
class RefundAdmin(ReadOnlyAdmin):
    """Refunds of overpayments: each goes out in a pain.001 file; settled by the statement."""

    list_display = ["created_at", "amount", "name", "iban", "reason", "state", "payment_file"]
    list_filter = [
        ("payment_file", admin.EmptyFieldListFilter),
        ("paid_by", admin.EmptyFieldListFilter),
    ]
    readonly_fields = [f.name for f in Refund._meta.concrete_fields if f.name != "id"]
    actions = ["create_payment_file"]

    @admin.display(description=_("state"))
    def state(self, obj):
        return obj.state

    @admin.action(description=_("Put every waiting refund into a SEPA payment file…"))
    def create_payment_file(self, request, queryset):
        form = PaymentFileForm(
            request.POST if "apply" in request.POST else None,
            initial={"execution_date": timezone.localdate()},
            accounts=BankAccount.objects.filter(is_active=True),
        )
        if form.is_valid():
            try:
                payment_file = services.refunds_file_create(
                    account=form.cleaned_data["account"],
                    execution_date=form.cleaned_data["execution_date"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    gettext("Payment file %(id)s with %(n)d transfer(s) is ready to download.")
                    % {"id": payment_file.message_id, "n": payment_file.transactions},
                )
                return HttpResponseRedirect(
                    reverse("admin:banking_paymentfile_change", args=[payment_file.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Create a refund payment file"),
            "form": form,
            "action": "create_payment_file",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": queryset.values_list("pk", flat=True),
        }
        return TemplateResponse(request, "admin/banking/payment_file.html", context)


@admin.register(PaymentFile, site=site)
class PaymentFileAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "message_id", "execution_date", "transactions", "total"]
    readonly_fields = [
        "kind",
        "account",
        "message_id",
        "execution_date",
        "transactions",
        "total",
        "sha256",
        "created_by",
        "created_at",
        "download",
    ]
    exclude = ["content"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="banking_paymentfile_download",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("file"))
    def download(self, obj):
        url = reverse("admin:banking_paymentfile_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Download (pain.001.001.09)"))

    def download_view(self, request, pk: int):
        payment_file = PaymentFile.objects.filter(pk=pk).first()
        if payment_file is None or not self.has_view_permission(request, payment_file):
            raise Http404
        response = HttpResponse(bytes(payment_file.content), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{payment_file.message_id}.xml"'
        return response


class UndoForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


@admin.register(Allocation, site=site)
class AllocationAdmin(ReadOnlyAdmin):
    """Every match with its reason; staff undo a wrong one (the posting is reversed)."""

    list_display = ["transaction", "invoice", "amount", "method", "explanation", "undone_at"]
    list_filter = ["method", ("undone_at", admin.EmptyFieldListFilter)]
    list_select_related = ["transaction", "invoice"]
    readonly_fields = [f.name for f in Allocation._meta.concrete_fields if f.name != "id"]
    actions = ["undo"]

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
