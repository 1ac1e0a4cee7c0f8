"""Arguments shared by the payroll commands."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError

from payroll.models import PayrollRun
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


def month_arg(value: str) -> date:
    try:
        year, number = (int(part) for part in value.split("-"))
        return date(year, number, 1)
    except ValueError as exc:
        raise CommandError(f"--month must be YYYY-MM, not {value!r}") from exc


def cooperative_of(slug: str) -> Cooperative:
    coop = Cooperative.objects.filter(slug=slug, is_active=True).first()
    if coop is None:
        raise CommandError(f"unknown cooperative {slug!r}")
    return coop


def run_of(slug: str, month: date) -> tuple[Cooperative, PayrollRun]:
    coop = cooperative_of(slug)
    with tenant_scope(coop):
        run = PayrollRun.objects.select_related("cooperative").filter(month=month).first()
    if run is None:
        raise CommandError(f"{coop.slug}: no payroll run for {month:%Y-%m}")
    return coop, run
