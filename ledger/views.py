from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core import charts
from core.pdf import render_pdf
from core.policies import MEMBER, STAFF, role_policy
from ledger import selectors
from members import access

CSV_HEADERS = [
    "date",
    "number",
    "description",
    "source",
    "gross",
    "VAT",
    "fee",
    "guarantee",
    "invoiced unpaid",
    "budget",
    "balance",
]


def _statement_for(request, pk: int | None):
    member = (
        access.own_member(user=request.user)
        if pk is None
        else access.member_get_own_or_staff(tenancy=request.tenancy, user=request.user, pk=pk)
    )
    return selectors.budget_statement(member=member)


@role_policy(MEMBER, STAFF)
def budget(request, pk: int | None = None):
    """The member's budget statement (their own, or any member's for staff); `?format=csv|pdf`."""
    fmt = request.GET.get("format", "html")
    statement = _statement_for(request, pk)
    if fmt == "html":
        history = selectors.budget_by_month(statement, today=timezone.localdate())
        chart = charts.chart_data(
            labels=[formats.date_format(month, "YEAR_MONTH_FORMAT") for month, _b in history],
            series=[
                charts.series(
                    _("Available budget at month end"),
                    [balance for _m, balance in history],
                    kind="line",
                    tone=2,
                )
            ],
        )
        return render(
            request,
            "ledger/budget.html",
            {"statement": statement, "history": history, "chart": chart},
        )
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        headers = [str(h) for h in CSV_HEADERS]
        content, kind, name = selectors.budget_statement_csv(statement, headers), "text/csv", "csv"
    elif fmt == "pdf":
        content = render_pdf(
            "pdf/budget.html",
            {"statement": statement, "cooperative": statement.member.cooperative, "today": stamp},
        )
        kind, name = "application/pdf", "pdf"
    else:
        raise Http404
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = (
        f'attachment; filename="budget-{statement.member.pk}-{stamp}.{name}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
