"""The admin site: staff of the active cooperative and platform operators, MFA required.

Django's own admin permission tables are not used for cooperative staff: what someone may do
follows from their role in the active cooperative (tenancy/context.py), the same everywhere.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

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

    def history_view(self, request, object_id, extra_context=None):
        """The audit trail of one object: every insert, update and delete recorded by the
        database triggers (django-pghistory), with who did it and from which page."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        audited = connection.vendor == "postgresql"
        events = (
            list(Events.objects.tracks(obj).order_by("-pgh_created_at")[:200]) if audited else []
        )
        actor_ids = {e.pgh_context.get("user") for e in events if e.pgh_context}
        actors = dict(
            get_user_model().objects.filter(pk__in=actor_ids - {None}).values_list("pk", "email")
        )
        rows = [
            {
                "at": e.pgh_created_at,
                "label": e.pgh_label,
                "diff": e.pgh_diff or {},
                "actor": actors.get((e.pgh_context or {}).get("user"), ""),
                "url": (e.pgh_context or {}).get("url", ""),
            }
            for e in events
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Audit trail: %(object)s") % {"object": obj},
            "object": obj,
            "opts": self.model._meta,
            "rows": rows,
            "audited": audited,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/audit_history.html", context)


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
