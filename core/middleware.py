"""Request context for the audit trail (django-pghistory): actor, URL and cooperative."""

from __future__ import annotations

from django.db import connection
from pghistory.middleware import HistoryMiddleware


class AuditContextMiddleware(HistoryMiddleware):
    def __call__(self, request):
        if connection.vendor != "postgresql":
            # pghistory's triggers exist on PostgreSQL only (the system of record).
            return self.get_response(request)
        return super().__call__(request)

    def get_context(self, request):
        context = super().get_context(request)
        tenancy = getattr(request, "tenancy", None)
        if tenancy is not None and tenancy.cooperative is not None:
            context["cooperative"] = tenancy.cooperative.pk
        token = getattr(request, "smartcoop_api_token", None)
        if token is not None:
            context["api_token"] = token.key_id
        return context
