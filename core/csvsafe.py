"""CSV that spreadsheets cannot turn into formulas (OWASP ASVS V1.2.10, R21)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_cell(value) -> str:
    """Numbers and dates stay as they are; text starting with a formula trigger gets a `'`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal | date):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def csv_bytes(header: list[str], rows: Iterable[Iterable]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    # UTF-8 with BOM: spreadsheet programs then read umlauts correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
