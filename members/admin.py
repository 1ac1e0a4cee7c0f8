from django.contrib import admin

from core.admin_site import StaffModelAdmin, site
from members.models import Member


@admin.register(Member, site=site)
class MemberAdmin(StaffModelAdmin):
    list_display = ["member_number", "last_name", "first_name", "status", "joined_on", "left_on"]
    list_filter = ["status"]
    search_fields = ["last_name", "first_name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["member_number", "user"]

    def has_add_permission(self, request) -> bool:
        # People enter the register through their application (membership issue), not here.
        return False
