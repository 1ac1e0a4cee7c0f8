"""Writing a report table as CSV, XLSX or PDF, row by row.

CSV and XLSX never hold the table in memory: the CSV goes straight to the file, XLSX uses
xlsxwriter's constant-memory mode (each row is flushed to a temporary file as it is written) and
starts a new sheet before Excel's row limit. Text cells go through `safe_cell`, so nothing a
client or member typed can become a formula (R21); numbers and dates stay typed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.csvsafe import safe_cell
from core.exceptions import ApplicationError
from reports.tables import Table

EXCEL_ROWS = 1_048_576
PDF_MAX_ROWS = 5_000
PROGRESS_EVERY = 1_000

Progress = Callable[[int], None]


def write_csv(table: Table, path: Path, progress: Progress) -> int:
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([safe_cell(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([safe_cell(v) for v in row])
            count += 1
            if count % PROGRESS_EVERY == 0:
                progress(count)
    return count


def write_xlsx(table: Table, path: Path, progress: Progress) -> int:
    import xlsxwriter

    # Constant memory spills rows into temporary files; keep them beside the report (the
    # private root, not /tmp) and remove them however the writing ends.
    book = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "tmpdir": str(path.parent)},
    )
    try:
        return _write_sheets(book, table, progress)
    finally:
        book.close()


def _write_sheets(book, table: Table, progress: Progress) -> int:
    money = book.add_format({"num_format": "#,##0.00"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    bold = book.add_format({"bold": True})
    sheets = 0

    def new_sheet():
        nonlocal sheets
        sheets += 1
        sheet = book.add_worksheet(_("Data") if sheets == 1 else f"{_('Data')} {sheets}")
        sheet.write_row(0, 0, [str(c) for c in table.columns], bold)
        return sheet

    sheet, line, count = new_sheet(), 1, 0
    for row in table.rows:
        if line == EXCEL_ROWS:
            sheet, line = new_sheet(), 1
        for column, value in enumerate(row):
            if isinstance(value, Decimal):
                # XLSX stores every number as a double; amounts below 2^53 cents round-trip
                # exactly, and the cell's format shows two decimals.
                sheet.write_number(line, column, float(value), money)
            elif isinstance(value, bool):
                sheet.write_boolean(line, column, value)
            elif isinstance(value, int):
                sheet.write_number(line, column, value)
            elif isinstance(value, date):
                sheet.write_datetime(line, column, value, day)
            elif value is None or value == "":
                continue
            else:
                sheet.write_string(line, column, safe_cell(value))
        line += 1
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(count)
    checks = book.add_worksheet(_("Checks"))
    checks.write_row(0, 0, [_("Check"), _("Report"), _("Ledger"), _("Matches")], bold)
    for n, check in enumerate(table.checks, start=1):
        checks.write_string(n, 0, safe_cell(check.label))
        checks.write_number(n, 1, float(check.report), money)
        checks.write_number(n, 2, float(check.ledger), money)
        checks.write_string(n, 3, _("yes") if check.ok else _("no"))
    return count


def write_pdf(table: Table, path: Path, progress: Progress, cooperative) -> int:
    from core.pdf import render_pdf

    if table.total > PDF_MAX_ROWS:
        raise ApplicationError(
            ngettext(
                "%(n)d line is too many for a PDF; choose CSV or XLSX.",
                "%(n)d lines are too many for a PDF; choose CSV or XLSX.",
                table.total,
            )
            % {"n": table.total},
            code="pdf_too_long",
        )
    rows = list(table.rows)
    progress(len(rows))
    path.write_bytes(
        render_pdf("pdf/report.html", {"table": table, "rows": rows, "cooperative": cooperative})
    )
    return len(rows)


def csv_text(table: Table) -> str:
    """For tests and small previews."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()
