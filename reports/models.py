"""Report jobs: an export asked for on a page, written by a Celery worker with its progress, and
kept for download."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.jobs import BackgroundJob


class ReportJob(BackgroundJob):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        PDF = "pdf", "PDF"
        ZIP = "zip", _("DATEV package (ZIP)")

    class Report(models.TextChoices):
        OPEN_ITEMS = "open_items", _("Open items with ageing")
        REVENUE = "revenue", _("Revenue per member and month")
        USTVA = "ustva", _("VAT return figures (UStVA)")
        ZM = "zm", _("EU sales list (ZM)")
        BUDGETS = "budgets", _("Member budget balances")
        DATEV = "datev", _("DATEV export")

    report = models.CharField(_("report"), max_length=20, choices=Report.choices)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    params = models.JSONField(_("parameters"), default=dict)
    rows_done = models.PositiveIntegerField(_("lines written"), default=0)
    rows_total = models.PositiveIntegerField(_("lines expected"), default=0)
    checks = models.JSONField(_("checks against the ledger"), default=list, blank=True)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)

    GIVEN_UP = _("The report could not be written; the operators have been told.")

    class Meta(BackgroundJob.Meta):
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")

    def __str__(self) -> str:
        return f"{self.report} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
