from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.admin_site import OperatorModelAdmin, StaffModelAdmin, is_operator, site
from tenancy import services
from tenancy.models import (
    ApiToken,
    Cooperative,
    CooperativeSettings,
    Membership,
    SystemScopeEntry,
    User,
)


@admin.register(Cooperative, site=site)
class CooperativeAdmin(StaffModelAdmin):
    """Operators create cooperatives; staff keep their own cooperative's master data."""

    list_display = ["legal_name", "slug", "city", "is_active"]
    search_fields = ["legal_name", "slug"]
    fieldsets = [
        (None, {"fields": ["slug", "legal_name", "is_active"]}),
        (_("Address"), {"fields": ["street", "postal_code", "city", "country"]}),
        (
            _("Tax and register"),
            {"fields": ["vat_id", "tax_number", "register_court", "register_number"]},
        ),
        (_("Bank account"), {"fields": ["iban", "bic"]}),
        (
            _("Branding and language"),
            {"fields": ["logo", "colour", "default_language", "time_zone"]},
        ),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(pk=request.tenancy.cooperative.pk)

    def has_add_permission(self, request) -> bool:
        return is_operator(request)

    def get_readonly_fields(self, request, obj=None):
        return [] if is_operator(request) else ["slug", "is_active"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f not in ("slug",)}
            created = services.cooperative_create(slug=form.cleaned_data["slug"], **fields)
            obj.pk = created.pk


@admin.register(CooperativeSettings, site=site)
class CooperativeSettingsAdmin(StaffModelAdmin):
    list_display = ["__str__", "support_email", "financial_year_start_month"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request) -> bool:
        return False


class MembershipAddForm(forms.ModelForm):
    """Staff name the person by their exact e-mail address: they cannot browse other
    cooperatives' people."""

    email = forms.EmailField(label=_("E-mail address of the person"))

    class Meta:
        model = Membership
        fields = ["role"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        self.person = User.objects.filter(email=email, is_active=True).first()
        if self.person is None:
            raise forms.ValidationError(
                _("No account uses this e-mail address. Ask the person to sign up first.")
            )
        return email


@admin.register(Membership, site=site)
class MembershipAdmin(StaffModelAdmin):
    list_display = ["user", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user"]
    staff_can_delete = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["email", "role"] if obj is None else ["user", "role", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "role"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        granted = services.membership_grant(
            cooperative=request.tenancy.cooperative, user=form.person, role=obj.role
        )
        obj.pk = granted.pk


@admin.register(User, site=site)
class UserAdmin(OperatorModelAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_superuser"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal data"), {"fields": ["full_name", "language"]}),
        (_("Status"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal: list[str] = []

    def has_delete_permission(self, request, obj=None) -> bool:
        # A person's rows in other cooperatives are invisible here (row-level security), so a
        # delete could not see what it would break: deactivate the account instead.
        return False


@admin.register(ApiToken, site=site)
class ApiTokenAdmin(OperatorModelAdmin):
    list_display = ["name", "user", "key_id", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["user", "name", "key_id", "created_at", "expires_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)


@admin.register(SystemScopeEntry, site=site)
class SystemScopeEntryAdmin(OperatorModelAdmin):
    list_display = ["created_at", "reason", "actor"]
    readonly_fields = ["created_at", "reason", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
