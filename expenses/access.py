"""Access functions for expense claims: members see their own; another member's or another
cooperative's claim raises Http404 exactly like a missing one."""

from __future__ import annotations

from django.http import Http404

from expenses.models import ExpenseClaim


def own_claims(*, member):
    return (
        ExpenseClaim.objects.filter(member=member)
        .select_related("payroll_line__run")
        .defer("receipt")
        .order_by("-submitted_at")
    )


def own_claim(*, member, pk: int) -> ExpenseClaim:
    claim = ExpenseClaim.objects.filter(member=member, pk=pk).first()
    if claim is None:
        raise Http404
    return claim
