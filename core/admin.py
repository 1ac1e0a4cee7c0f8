from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from core.admin_site import OperatorModelAdmin, ReadOnlyForStaffMixin, site
from core.models import OutboundEmail


@admin.register(OutboundEmail, site=site)
class OutboundEmailAdmin(OperatorModelAdmin):
    list_display = ["subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    staff_can_add = False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PeriodicTask, site=site)
class PeriodicTaskAdmin(ReadOnlyForStaffMixin, beat_admin.PeriodicTaskAdmin):
    pass


@admin.register(IntervalSchedule, site=site)
class IntervalScheduleAdmin(ReadOnlyForStaffMixin, admin.ModelAdmin):
    pass


@admin.register(CrontabSchedule, site=site)
class CrontabScheduleAdmin(ReadOnlyForStaffMixin, beat_admin.CrontabScheduleAdmin):
    pass


@admin.register(ClockedSchedule, site=site)
class ClockedScheduleAdmin(ReadOnlyForStaffMixin, beat_admin.ClockedScheduleAdmin):
    pass


@admin.register(SolarSchedule, site=site)
class SolarScheduleAdmin(ReadOnlyForStaffMixin, admin.ModelAdmin):
    pass
