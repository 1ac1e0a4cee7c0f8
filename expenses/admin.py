"""Staff check expense claims in the admin: the receipt one click away, approve (posted and
paid out with the next salary) or reject with a reason the member is told."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from expenses import services
from expenses.models import ExpenseClaim
from expenses.views import receipt_response
from members.forms import DecisionForm


@admin.register(ExpenseClaim, site=site)
class ExpenseClaimAdmin(StaffModelAdmin):
    list_display = [
        "member",
        "receipt_date",
        "supplier",
        "category",
        "gross",
        "vat_19",
        "vat_7",
        "net",
        "status",
        "einvoice",
        "receipt_link",
    ]
    list_filter = ["status", "category", "read_from_einvoice"]
    list_select_related = ["member"]
    search_fields = ["member__last_name", "member__first_name", "supplier", "receipt_number"]
    exclude = ["receipt"]
    readonly_fields = [
        f.name for f in ExpenseClaim._meta.concrete_fields if f.name not in ("id", "receipt")
    ] + ["receipt_link"]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("receipt")

    def has_add_permission(self, request) -> bool:
        return False  # members submit claims with their receipt

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/receipt/",
                self.admin_site.admin_view(self.receipt_view),
                name="expenses_expenseclaim_receipt",
            ),
            *super().get_urls(),
        ]

    def receipt_view(self, request, pk: int):
        claim = self.get_queryset(request).defer(None).filter(pk=pk).first()
        if claim is None or not self.has_view_permission(request, claim):
            raise Http404
        return receipt_response(claim)

    @admin.display(description=_("e-invoice"), boolean=True)
    def einvoice(self, obj):
        return obj.read_from_einvoice

    @admin.display(description=_("receipt"))
    def receipt_link(self, obj):
        url = reverse("admin:expenses_expenseclaim_receipt", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.receipt_name or gettext("receipt"))

    @admin.action(description=_("Approve the selected claims (paid with the next salary)"))
    def approve(self, request, queryset):
        done = 0
        for claim in queryset:
            try:
                services.expense_approve(claim=claim, actor=request.user)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{claim}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, gettext("%(n)d claim(s) approved.") % {"n": done})

    @admin.action(description=_("Reject the selected claims (the member is told why)"))
    def reject(self, request, queryset):
        if "apply" in request.POST:
            form = DecisionForm(request.POST)
            if form.is_valid():
                done = 0
                for claim in queryset:
                    try:
                        services.expense_reject(
                            claim=claim, actor=request.user, reason=form.cleaned_data["reason"]
                        )
                        done += 1
                    except ApplicationError as exc:
                        self.message_user(request, f"{claim}: {exc.message}", messages.ERROR)
                if done:
                    self.message_user(request, gettext("%(n)d claim(s) rejected.") % {"n": done})
                return None
        else:
            form = DecisionForm()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reject expense claims"),
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/members/decision.html", context)
