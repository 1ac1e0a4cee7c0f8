"""Exports for the tax adviser: the DATEV package of a period."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from core.csvsafe import csv_bytes
from core.exceptions import ApplicationError
from ledger import datev
from reports import datev_export
from reports.datev_export import Export, Reconciliation
from tenancy.models import Cooperative


@dataclass
class DatevPackage:
    directory: Path
    files: list[str] = field(default_factory=list)
    bookings: int = 0
    debtors: int = 0
    reconciliations: list[tuple[date, date, Reconciliation]] = field(default_factory=list)

    @property
    def differences(self) -> int:
        return sum(r.differences for _s, _e, r in self.reconciliations)


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ApplicationError(_("The period ends before it starts."), code="period_order")


def datev_preview(
    *, cooperative: Cooperative, date_from: date, date_to: date
) -> list[tuple[date, date, int, Reconciliation]]:
    """The reconciliation of a period without writing anything (debtor numbers not yet given
    show as the collective receivables account)."""
    _check_period(date_from, date_to)
    settings = datev_export.LedgerSettings.objects.get_or_create(cooperative=cooperative)[0]
    result = []
    for _year_start, start, end in datev_export.fiscal_years(
        date_from, date_to, settings.fiscal_year_start_month
    ):
        export = Export(cooperative=cooperative, start=start, end=end)
        for _booking in export.bookings():
            pass
        result.append((start, end, export.count, export.reconcile()))
    return result


def datev_package_write(
    *,
    cooperative: Cooperative,
    date_from: date,
    date_to: date,
    exported_by: str,
    directory: Path,
    progress: Callable[[int], None] | None = None,
) -> DatevPackage:
    """Write the Buchungsstapel files (one per fiscal and calendar year, split at 99,999
    bookings), the debtor master data and the reconciliation into `directory`. Clients get
    their debtor numbers first, by `debtors_assign` in a transaction of its own."""
    _check_period(date_from, date_to)
    directory.mkdir(parents=True, exist_ok=True)
    package = DatevPackage(directory=directory)
    created_at = timezone.localtime()
    settings = datev_export.LedgerSettings.objects.get_or_create(cooperative=cooperative)[0]
    header = None
    for year_start, start, end in datev_export.fiscal_years(
        date_from, date_to, settings.fiscal_year_start_month
    ):
        export = Export(cooperative=cooperative, start=start, end=end)
        header = export.header(created_at, exported_by, year_start=year_start, end=end)
        stem = f"EXTF_Buchungsstapel_{start:%Y%m%d}_{end:%Y%m%d}"

        def open_file(n: int, stem: str = stem):
            name = f"{stem}_{n:02d}.csv"
            package.files.append(name)
            return open(directory / name, "wb")

        datev.write_batches(
            header, _counted(export.bookings(), package.bookings, progress), open_file
        )
        package.bookings += export.count
        package.reconciliations.append((start, end, export.reconcile()))
    debtors = datev_export.debtor_records()
    package.debtors = len(debtors)
    if header is not None:
        name = f"EXTF_Debitoren_{date_to:%Y%m%d}.csv"
        (directory / name).write_bytes(datev.master_data(header, debtors))
        package.files.append(name)
    name = f"Abstimmung_{date_from:%Y%m%d}_{date_to:%Y%m%d}.csv"
    (directory / name).write_bytes(reconciliation_csv(package.reconciliations))
    package.files.append(name)
    return package


def _counted(bookings, before: int, progress):
    for n, booking in enumerate(bookings, start=1):
        if progress is not None and n % 1000 == 0:
            progress(before + n)
        yield booking


def reconciliation_csv(parts: list[tuple[date, date, Reconciliation]]) -> bytes:
    rows = []
    for start, end, result in parts:
        period = f"{start:%d.%m.%Y}–{end:%d.%m.%Y}"
        rows += [
            (period, _("account"), f"{number} {label}", ledger, exported, exported - ledger)
            for label, number, ledger, exported in result.accounts
        ]
        rows += [
            (period, _("revenue of member"), kost1, ledger, exported, exported - ledger)
            for kost1, ledger, exported in result.revenue
        ]
        rows += [
            (period, _("salary costs of member"), kost1, ledger, exported, exported - ledger)
            for kost1, ledger, exported in result.salaries
        ]
    return csv_bytes(
        [
            _("period"),
            _("check"),
            _("account or cost centre"),
            _("ledger"),
            _("DATEV"),
            _("difference"),
        ],
        rows,
    )


def zip_directory(package: DatevPackage) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in package.files:
            archive.write(package.directory / name, arcname=name)
    return buffer.getvalue()
