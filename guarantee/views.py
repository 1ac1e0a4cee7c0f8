"""The fund dashboard for staff and accountants: balance, exposure per client, coverage."""

from __future__ import annotations

from django.shortcuts import render

from core.policies import ACCOUNTANT, STAFF, role_policy
from guarantee.services import fund_overview


@role_policy(STAFF, ACCOUNTANT)
def dashboard(request):
    overview = fund_overview(cooperative=request.tenancy.cooperative)
    return render(request, "guarantee/dashboard.html", {"overview": overview})
