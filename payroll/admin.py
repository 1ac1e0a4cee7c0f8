from __future__ import annotations

from django.contrib import admin

from core.admin_site import OperatorModelAdmin, site
from payroll.models import ContributionRates, MinimumWage


@admin.register(ContributionRates, site=site)
class ContributionRatesAdmin(OperatorModelAdmin):
    list_display = [
        "valid_from",
        "kv_rate",
        "rv_rate",
        "av_rate",
        "pv_rate",
        "bbg_kv_month",
        "bbg_rv_month",
    ]


@admin.register(MinimumWage, site=site)
class MinimumWageAdmin(OperatorModelAdmin):
    list_display = ["valid_from", "hourly", "source"]
