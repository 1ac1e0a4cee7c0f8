"""Staff work on members in the admin: the approval queue, shares, lifecycle, employment data."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_site import StaffModelAdmin, site
from core.exceptions import ApplicationError
from members import services
from members.forms import DecisionForm, EmploymentDataForm
from members.models import (
    EligibilityRules,
    EmploymentData,
    EmploymentDataChange,
    Member,
    MemberDocument,
    MemberStatusChange,
    SharePayment,
)


def _run(modeladmin, request, queryset, service, **kwargs) -> None:
    """Apply one service per selected member; report successes and refusals separately."""
    done = 0
    for member in queryset:
        try:
            service(member=member, actor=request.user, **kwargs)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{member}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(
            request, gettext("%(n)d member(s) updated.") % {"n": done}, messages.SUCCESS
        )


def _with_reason(modeladmin, request, queryset, service, title, argument="reason"):
    """Ask for a reason on an intermediate page, then apply the service."""
    if "apply" in request.POST:
        form = DecisionForm(request.POST)
        if form.is_valid():
            _run(modeladmin, request, queryset, service, **{argument: form.cleaned_data["reason"]})
            return None
    else:
        form = DecisionForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action": request.POST.get("action"),
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/members/decision.html", context)


class SharePaymentInline(admin.TabularInline):
    model = SharePayment
    extra = 1
    fields = ["amount", "paid_on", "reference", "recorded_by", "recorded_at", "cancelled_at"]
    readonly_fields = ["recorded_by", "recorded_at", "cancelled_at"]
    verbose_name = _("share payment")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # payments are corrected by staff with a new entry, never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is not None


class StatusChangeInline(admin.TabularInline):
    model = MemberStatusChange
    extra = 0
    fields = ["created_at", "from_status", "to_status", "reason", "actor"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class DocumentInline(admin.TabularInline):
    model = MemberDocument
    extra = 0
    fields = ["kind", "download", "content_type", "size", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        url = reverse("portal:document_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


@admin.register(Member, site=site)
class MemberAdmin(StaffModelAdmin):
    list_display = [
        "__str__",
        "status",
        "eligible",
        "applied_at",
        "joined_on",
        "left_on",
    ]
    list_filter = ["status", "eligibility_passed"]
    search_fields = ["last_name", "first_name", "user__email", "member_number"]
    list_select_related = ["user"]
    inlines = [SharePaymentInline, DocumentInline, StatusChangeInline]
    actions = [
        "approve",
        "reject",
        "request_information",
        "suspend",
        "reinstate",
        "recheck_eligibility",
    ]
    editable_fields = [
        "street",
        "postal_code",
        "city",
        "country",
        "phone",
        "languages",
        "permit_type",
        "permit_expires_on",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "status",
                    "member_number",
                    "user",
                    "eligibility_findings",
                    "info_requested",
                ]
            },
        ),
        (
            _("Personal data"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "date_of_birth",
                    "nationality",
                    "street",
                    "postal_code",
                    "city",
                    "country",
                    "phone",
                    "languages",
                ]
            },
        ),
        (
            _("Permit and activity"),
            {
                "fields": [
                    "permit_type",
                    "permit_expires_on",
                    "profession",
                    "activity_description",
                    "expected_monthly_volume",
                ]
            },
        ),
        (
            _("Shares and register"),
            {
                "fields": [
                    "shares",
                    "share_price",
                    "share_reference",
                    "paid_so_far",
                    "applied_at",
                    "decided_at",
                    "joined_on",
                    "notice_given_on",
                    "left_on",
                    "share_repayment_due_on",
                ]
            },
        ),
        (
            _("Declaration"),
            {
                "fields": [
                    "declaration_link",
                    "declaration_signed_at",
                    "declaration_signed_ip",
                    "declaration_sha256",
                    "statutes_accepted_at",
                    "privacy_accepted_at",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        every = [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]
        return [f for f in every if f not in self.editable_fields]

    @admin.display(boolean=True, description=_("eligible"), ordering="eligibility_passed")
    def eligible(self, obj):
        return obj.eligibility_passed

    @admin.display(description=_("eligibility check"))
    def eligibility_findings(self, obj):
        if not obj.eligibility:
            return "–"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}</li>",
                (("✔" if f["passed"] else "✘", f["reason"]) for f in obj.eligibility),
            ),
        )

    @admin.display(description=_("paid so far (€)"))
    def paid_so_far(self, obj):
        return services._shares_paid(obj)

    @admin.display(description=_("membership declaration"))
    def declaration_link(self, obj):
        if not obj.declaration_text:
            return "–"
        return format_html('<a href="{}">PDF</a>', reverse("portal:declaration_pdf", args=[obj.pk]))

    def save_model(self, request, obj, form, change):
        try:
            services.member_update(
                member=obj, values={f: form.cleaned_data[f] for f in form.changed_data}
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def save_formset(self, request, form, formset, change):
        if formset.model is not SharePayment:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these; payments go through the service instead.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form.instance.pk:
                continue
            data = inline_form.cleaned_data
            try:
                with transaction.atomic():
                    services.share_payment_record(
                        member=form.instance,
                        amount=data["amount"],
                        paid_on=data["paid_on"],
                        reference=data.get("reference", ""),
                        actor=request.user,
                    )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        return None

    @admin.action(description=_("Approve selected applications"))
    def approve(self, request, queryset):
        _run(self, request, queryset, services.application_approve)

    @admin.action(description=_("Reject selected applications…"))
    def reject(self, request, queryset):
        return _with_reason(
            self, request, queryset, services.application_reject, _("Reject applications")
        )

    @admin.action(description=_("Ask selected applicants for more information…"))
    def request_information(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            services.application_request_info,
            _("Ask for more information"),
            argument="message",
        )

    @admin.action(description=_("Suspend selected members…"))
    def suspend(self, request, queryset):
        return _with_reason(self, request, queryset, services.member_suspend, _("Suspend members"))

    @admin.action(description=_("Reinstate selected members"))
    def reinstate(self, request, queryset):
        _run(self, request, queryset, services.member_reinstate)

    @admin.action(description=_("Check eligibility again"))
    def recheck_eligibility(self, request, queryset):
        for member in queryset:
            services.member_check_eligibility(member=member)
        self.message_user(request, gettext("Eligibility checked again."), messages.SUCCESS)


@admin.register(EligibilityRules, site=site)
class EligibilityRulesAdmin(StaffModelAdmin):
    list_display = ["__str__", "share_price", "minimum_shares", "minimum_monthly_order_volume"]

    def has_add_permission(self, request) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        services.eligibility_rules_get(cooperative=request.tenancy.cooperative)
        return super().changelist_view(request, extra_context)


@admin.register(EmploymentData, site=site)
class EmploymentDataAdmin(StaffModelAdmin):
    form = EmploymentDataForm
    list_display = ["member", "tax_class", "health_insurer", "updated_at"]
    search_fields = ["member__last_name", "member__first_name"]
    list_select_related = ["member"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        services.employment_data_update(
            member=obj.member,
            values={f: form.cleaned_data[f] for f in form.changed_data},
            actor=request.user,
        )


@admin.register(EmploymentDataChange, site=site)
class EmploymentDataChangeAdmin(StaffModelAdmin):
    list_display = ["member", "__str__", "status", "requested_at", "decided_by"]
    list_filter = ["status"]
    readonly_fields = ["member", "changes", "status", "requested_at", "decided_at", "decided_by"]
    actions = ["confirm", "reject"]

    def has_add_permission(self, request) -> bool:
        return False

    def _decide(self, request, queryset, confirm: bool):
        for change in queryset:
            try:
                services.employment_change_decide(
                    change=change, actor=request.user, confirm=confirm
                )
            except ApplicationError as exc:
                self.message_user(request, f"{change.member}: {exc.message}", messages.ERROR)

    @admin.action(description=_("Confirm selected changes"))
    def confirm(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject selected changes"))
    def reject(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(SharePayment, site=site)
class SharePaymentAdmin(StaffModelAdmin):
    list_display = ["member", "amount", "paid_on", "reference", "recorded_by", "cancel_reason"]
    list_filter = [("cancelled_at", admin.EmptyFieldListFilter)]
    list_select_related = ["member", "recorded_by"]
    readonly_fields = [
        "member",
        "amount",
        "paid_on",
        "reference",
        "recorded_by",
        "recorded_at",
        "cancelled_at",
        "cancel_reason",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # recorded on the member's page, through the service


@admin.register(MemberDocument, site=site)
class MemberDocumentAdmin(StaffModelAdmin):
    list_display = ["member", "kind", "original_name", "content_type", "size", "uploaded_at"]
    list_filter = ["kind"]
    readonly_fields = [
        "member",
        "kind",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "uploaded_by",
    ]

    def has_add_permission(self, request) -> bool:
        return False
