"""Reads of invoices for lists: the filters staff, accountants and members use."""

from __future__ import annotations

from django.db.models import QuerySet

from invoicing.models import Invoice

FILTERS = ("status", "kind", "client", "year", "member")


def invoice_list(*, invoices: QuerySet, filters: dict) -> QuerySet:
    queryset = invoices
    if filters.get("status") in Invoice.Status.values:
        queryset = queryset.filter(status=filters["status"])
    if filters.get("kind") in Invoice.Kind.values:
        queryset = queryset.filter(kind=filters["kind"])
    for field in ("client", "member"):
        value = str(filters.get(field) or "")
        if value.isdigit():
            queryset = queryset.filter(**{f"{field}_id": int(value)})
    year = str(filters.get("year") or "")
    if year.isdigit():
        queryset = queryset.filter(year=int(year))
    return queryset.order_by("-created_at", "-id")
