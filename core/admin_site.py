"""The admin site: staff of the active cooperative and platform operators, MFA required.

Django's own admin permission tables are not used for cooperative staff: what someone may do
follows from their role in the active cooperative (tenancy/context.py), the same everywhere.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from core.policies import STAFF


def is_operator(request) -> bool:
    """A platform operator (superuser) who has set up MFA."""
    tenancy = getattr(request, "tenancy", None)
    return request.user.is_active and tenancy is not None and tenancy.is_operator


def is_staff(request) -> bool:
    tenancy = getattr(request, "tenancy", None)
    return request.user.is_active and tenancy is not None and tenancy.has_any(STAFF)


class SmartCoopAdminSite(admin.AdminSite):
    site_header = _("SmartCoop administration")
    site_title = _("SmartCoop")
    index_title = _("Cooperative administration")

    def has_permission(self, request) -> bool:
        return is_staff(request)

    def login(self, request, extra_context=None):
        # The admin login goes through allauth, so its rate limits and MFA apply (R17).
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or request.get_full_path())


class StaffModelAdmin(admin.ModelAdmin):
    """Staff of the active cooperative may view and change; another cooperative's object answers
    404 (the default manager is scoped), never a redirect that would confirm it exists."""

    staff_can_add = True
    staff_can_change = True
    staff_can_delete = False

    def has_module_permission(self, request) -> bool:
        return is_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request) -> bool:
        return is_staff(request) and (self.staff_can_add or is_operator(request))

    def has_change_permission(self, request, obj=None) -> bool:
        return is_staff(request) and (self.staff_can_change or is_operator(request))

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_staff(request) and (self.staff_can_delete or is_operator(request))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404


class OperatorModelAdmin(StaffModelAdmin):
    """Platform-wide data: operators only."""

    def has_module_permission(self, request) -> bool:
        return is_operator(request) and is_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_operator(request) and is_staff(request)

    def has_add_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request)


class ReadOnlyForStaffMixin:
    """Staff see these rows; only operators change them (e.g. the beat schedule)."""

    def has_module_permission(self, request) -> bool:
        return is_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_staff(request)

    def has_add_permission(self, request) -> bool:
        return is_operator(request) and is_staff(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_operator(request) and is_staff(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_operator(request) and is_staff(request)


site = SmartCoopAdminSite(name="admin")
