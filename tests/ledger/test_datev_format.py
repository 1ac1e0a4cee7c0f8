"""The DATEV EXTF Buchungsstapel as worked examples of the format (domain-de.md §5): header,
125 headings, amounts with a decimal comma, TTMM dates, Windows-1252 with CRLF, safe texts and
files split at 99,999 bookings."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import datev

D = Decimal
BERLIN = ZoneInfo("Europe/Berlin")
HEADER = datev.Header(
    consultant_number=1001234,
    client_number=10001,
    fiscal_year_start=date(2026, 1, 1),
    date_from=date(2026, 1, 1),
    date_to=date(2026, 12, 31),
    chart="SKR03",
    label="SmartCoop 2026",
    exported_by="Bob Buchhalter",
    created_at=datetime(2026, 11, 21, 9, 30, 5, 123000, tzinfo=BERLIN),
)
INVOICE = datev.Booking(
    amount=D("1190.00"),
    debit_credit="S",
    account="10001",
    contra_account="8400",
    document_date=date(2026, 8, 2),
    document_field_1="RE-2026-00017",
    text="Rechnung RE-2026-00017 Müller GmbH",
    cost_center_1="M-0001",
    due_date=date(2026, 9, 1),
)


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp1252"), newline=""), delimiter=";"))


def test_a_file_has_the_header_the_headings_and_one_line_per_booking():
    content = datev.batch(HEADER, [INVOICE])
    assert content.count(b"\r\n") == 3 and b"\n" not in content.replace(b"\r\n", b"")
    header, headings, line = _rows(content)
    assert len(header) == 31
    assert header[:6] == ["EXTF", "700", "21", "Buchungsstapel", "13", "20261121093005123"]
    assert header[10:16] == ["1001234", "10001", "20260101", "4", "20260101", "20261231"]
    assert header[16] == "SmartCoop 2026" and header[21] == "EUR" and header[26] == "03"
    assert len(headings) == len(line) == 125
    assert headings[0] == "Umsatz (ohne Soll/Haben-Kz)" and headings[124] == "Abw. Skontokonto"
    assert headings[36] == "KOST1 - Kostenstelle" and headings[117] == "Generalumkehr (GU)"
    assert line[:11] == [
        "1190,00",
        "S",
        "EUR",
        "",
        "",
        "",
        "10001",
        "8400",
        "",
        "0208",
        "RE-2026-00017",
    ]
    assert line[13] == "Rechnung RE-2026-00017 Müller GmbH" and line[36] == "M-0001"
    assert line[116] == "01092026"


def test_texts_cannot_break_the_file_and_odd_characters_are_replaced():
    booking = datev.Booking(
        amount=D("0.5"),
        debit_credit="H",
        account="1200",
        contra_account="10001",
        document_date=date(2026, 12, 31),
        document_field_1="RE 2026_17 (Ü)",
        text='Zahlung "Teil 1";\r\nRest folgt 🙂 ' + "x" * 80,
    )
    _header, _headings, line = _rows(datev.batch(HEADER, [booking]))
    assert line[0] == "0,50" and line[1] == "H" and line[9] == "3112"
    assert line[10] == "RE202617"  # only DATEV's characters in Belegfeld 1
    assert line[13].startswith('Zahlung "Teil 1"; Rest folgt ? x') and len(line[13]) == 60


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": D("0")}, "positive"),
        ({"amount": D("-5")}, "positive"),
        ({"amount": D("10000000000")}, "10 digits"),
        ({"debit_credit": "X"}, "S or H"),
        ({"contra_account": ""}, "1–9 digits"),
        ({"account": "84;00"}, "1–9 digits"),
        ({"amount": D("1.005")}, "whole cents"),
        ({"document_date": date(2027, 1, 1)}, "outside the period"),
    ],
)
def test_what_the_format_cannot_carry_is_refused(change, message):
    values = {**INVOICE.__dict__, **change}
    with pytest.raises(datev.DatevFormatError, match=message):
        datev.batch(HEADER, [datev.Booking(**values)])


def test_a_header_spans_one_calendar_year_with_valid_numbers():
    for change in (
        {"date_to": date(2027, 1, 31)},
        {"consultant_number": 999},
        {"client_number": 0},
        {"account_length": 9},
        {"chart": "SKR05"},
        {"fiscal_year_start": date(2026, 7, 1)},
    ):
        with pytest.raises(datev.DatevFormatError):
            datev.header_fields(datev.Header(**{**HEADER.__dict__, **change}))
    skr04 = datev.header_fields(datev.Header(**{**HEADER.__dict__, "chart": "SKR04"}))
    assert skr04[26] == '"04"'


def test_long_lists_are_split_into_files_of_at_most_the_limit(monkeypatch):
    monkeypatch.setattr(datev, "MAX_BOOKINGS", 3)
    files = list(datev.batches(HEADER, [INVOICE] * 7))
    assert [number for number, _ in files] == [1, 2, 3]
    assert [len(_rows(content)) - 2 for _, content in files] == [3, 3, 1]
    assert [n for n, _ in datev.batches(HEADER, [])] == [1]  # an empty period: one empty file


@pytest.mark.parametrize("rate", [D("19"), D("7")])
def test_datev_splitting_the_gross_gives_back_our_vat_to_the_cent(rate):
    # Invoices go to automatic revenue accounts with the gross: DATEV takes the VAT out of it
    # again. Ours is rounded from the net, DATEV's from the gross; both land on the same cent.
    cent = D("0.01")
    for cents in range(1, 100_001):
        net = D(cents) / 100
        vat = (net * rate / 100).quantize(cent, rounding=ROUND_HALF_UP)
        from_gross = ((net + vat) * rate / (100 + rate)).quantize(cent, rounding=ROUND_HALF_UP)
        assert from_gross == vat, net


@settings(max_examples=2000, derandomize=True)
@given(st.text(max_size=80), st.integers(min_value=1, max_value=70))
def test_the_fast_text_path_writes_what_the_cleaning_writes(value, limit):
    assert datev.text(value, limit) == datev._text_cleaned(value, limit)
