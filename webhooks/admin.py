"""Staff see every webhook of the cooperative and its deliveries; the cooperative's own webhooks
(for all members' events) are registered on the Webhooks page, where the secret is shown."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_site import StaffModelAdmin, site
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint, site=site)
class WebhookEndpointAdmin(StaffModelAdmin):
    list_display = ["url", "member", "events", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description", "member__last_name"]
    fields = ["url", "member", "description", "events", "is_active", "created_by", "created_at"]
    readonly_fields = ["url", "member", "events", "created_by", "created_at"]
    staff_can_delete = True

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WebhookDelivery, site=site)
class WebhookDeliveryAdmin(StaffModelAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Send the chosen deliveries again"))
    def send_again(self, request, queryset):
        count = 0
        for delivery in queryset.filter(status=WebhookDelivery.Status.FAILED):
            services.delivery_retry(delivery=delivery)
            count += 1
        messages.success(
            request,
            ngettext("%(n)d delivery queued.", "%(n)d deliveries queued.", count) % {"n": count},
        )
