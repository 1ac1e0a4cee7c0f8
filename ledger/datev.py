"""The DATEV format (EXTF) for bookings: the Buchungsstapel, format category 21, version 13.

Pure: bookings in, bytes out. Which ledger entries become which bookings is decided elsewhere
(ADR 0023); this module only knows the file: a header line of 31 fields, the 125 column
headings, one line per booking, `;`-separated, text in double quotes, CRLF, Windows-1252
(domain-de.md §5). Amounts are positive with a decimal comma; the Soll/Haben mark says on
which side of `Konto` the amount stands. A file holds at most 99,999 bookings of one fiscal
year, so `batches` splits longer lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

MAX_BOOKINGS = 99_999
ENCODING = "cp1252"
FORMAT_VERSION = 13
CENT = Decimal("0.01")
# Belegfeld 1 drives DATEV's open-item matching; only these characters are allowed.
DOCUMENT_FIELD = re.compile(r"[^A-Za-z0-9$&%*+\-/]")


def _pairs(kind: str, content: str, count: int) -> list[str]:
    return [name for n in range(1, count + 1) for name in (f"{kind} {n}", f"{content} {n}")]


# The headings are DATEV's own labels, spelling included ("Zusatzinformation- Inhalt").
COLUMNS: tuple[str, ...] = (
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
    "Postensperre",
    "Diverse Adressnummer",
    "Geschäftspartnerbank",
    "Sachverhalt",
    "Zinssperre",
    "Beleglink",
    *_pairs("Beleginfo - Art", "Beleginfo - Inhalt", 8),
    "KOST1 - Kostenstelle",
    "KOST2 - Kostenstelle",
    "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)",
    "EU-Steuersatz (Bestimmung)",
    "Abw. Versteuerungsart",
    "Sachverhalt L+L",
    "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer",
    "BU 49 Funktionsergänzung",
    *_pairs("Zusatzinformation - Art", "Zusatzinformation- Inhalt", 20),
    "Stück",
    "Gewicht",
    "Zahlweise",
    "Forderungsart",
    "Veranlagungsjahr",
    "Zugeordnete Fälligkeit",
    "Skontotyp",
    "Auftragsnummer",
    "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)",
    "EU-Land (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)",
    "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz",
    "Buchungs GUID",
    "KOST-Datum",
    "SEPA-Mandatsreferenz",
    "Skontosperre",
    "Gesellschaftername",
    "Beteiligtennummer",
    "Identifikationsnummer",
    "Zeichnernummer",
    "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung",
    "Festschreibung",
    "Leistungsdatum",
    "Datum Zuord. Steuerperiode",
    "Fälligkeit",
    "Generalumkehr (GU)",
    "Steuersatz",
    "Land",
    "Abrechnungsreferenz",
    "BVV-Position",
    "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)",
    "Abw. Skontokonto",
)
_INDEX = {name: i for i, name in enumerate(COLUMNS)}


class DatevFormatError(ValueError):
    """A booking or header value the format cannot carry (a bug upstream, not user input)."""


@dataclass(frozen=True)
class Booking:
    amount: Decimal  # positive
    debit_credit: str  # "S": Konto is debited; "H": Konto is credited
    account: str
    contra_account: str
    document_date: date
    document_field_1: str = ""  # the invoice number
    document_field_2: str = ""
    text: str = ""
    bu_key: str = ""
    cost_center_1: str = ""  # KOST1: the member number
    eu_vat_id: str = ""  # country code and VAT id of the client (reverse charge)
    service_date: date | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class Header:
    consultant_number: int  # Beraternummer, 1001–9999999
    client_number: int  # Mandantennummer, 1–99999
    fiscal_year_start: date
    date_from: date
    date_to: date
    chart: str  # "SKR03" or "SKR04"
    created_at: datetime  # local time of the cooperative (the file shows no zone)
    label: str = ""
    exported_by: str = ""
    account_length: int = 4
    locked: bool = False  # Festschreibung: the bookings cannot be changed after import


def amount_text(value: Decimal) -> str:
    if value != value.quantize(CENT):
        raise DatevFormatError(f"amount must be whole cents: {value}")
    if value <= 0:
        raise DatevFormatError(f"amount must be positive: {value}")
    if value >= Decimal("10000000000"):
        raise DatevFormatError(f"amount has more than 10 digits before the comma: {value}")
    return f"{value:.2f}".replace(".", ",")


def text(value: str, limit: int) -> str:
    """A quoted text field: line breaks out, quotes doubled, cut to the limit, and characters
    Windows-1252 cannot hold replaced (the encoder would fail on them)."""
    value = " ".join(value.split())[:limit]
    value = value.encode(ENCODING, errors="replace").decode(ENCODING)
    return '"' + value.replace('"', '""') + '"'


def document_field(value: str) -> str:
    return DOCUMENT_FIELD.sub("", value)[:36]


def header_fields(header: Header) -> list[str]:
    if not 1001 <= header.consultant_number <= 9_999_999:
        raise DatevFormatError("consultant number must be 1001–9999999")
    if not 1 <= header.client_number <= 99_999:
        raise DatevFormatError("client number must be 1–99999")
    if header.date_from.year != header.date_to.year or header.date_from > header.date_to:
        raise DatevFormatError("a batch covers days of one calendar year")
    start = header.fiscal_year_start
    if not start <= header.date_from or header.date_to >= start.replace(year=start.year + 1):
        raise DatevFormatError("the period must lie inside the fiscal year")
    if not 4 <= header.account_length <= 8:
        raise DatevFormatError("account length must be 4–8")
    if header.chart not in ("SKR03", "SKR04"):
        raise DatevFormatError(f"chart must be SKR03 or SKR04: {header.chart!r}")
    created = header.created_at
    return [
        '"EXTF"',
        "700",
        "21",
        '"Buchungsstapel"',
        str(FORMAT_VERSION),
        created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}",
        "",
        '"SC"',  # Herkunft: SmartCoop
        text(header.exported_by, 25),
        "",
        str(header.consultant_number),
        str(header.client_number),
        header.fiscal_year_start.strftime("%Y%m%d"),
        str(header.account_length),
        header.date_from.strftime("%Y%m%d"),
        header.date_to.strftime("%Y%m%d"),
        text(header.label, 30),
        '""',
        "1",  # Finanzbuchführung
        "0",
        "1" if header.locked else "0",
        '"EUR"',
        "",
        '""',
        "",
        "",
        '"03"' if header.chart == "SKR03" else '"04"',
        "",
        "",
        '""',
        '""',
    ]


def booking_fields(booking: Booking) -> list[str]:
    if booking.debit_credit not in ("S", "H"):
        raise DatevFormatError(f"Soll/Haben must be S or H: {booking.debit_credit!r}")
    for number in (booking.account, booking.contra_account):
        if not number.isascii() or not number.isdigit() or len(number) > 9:
            raise DatevFormatError(f"an account number is 1–9 digits: {number!r}")
    fields = [""] * len(COLUMNS)

    def put(column: str, value: str) -> None:
        fields[_INDEX[column]] = value

    put("Umsatz (ohne Soll/Haben-Kz)", amount_text(booking.amount))
    put("Soll/Haben-Kennzeichen", f'"{booking.debit_credit}"')
    put("WKZ Umsatz", '"EUR"')
    put("Konto", booking.account)
    put("Gegenkonto (ohne BU-Schlüssel)", booking.contra_account)
    put("BU-Schlüssel", f'"{booking.bu_key}"' if booking.bu_key else "")
    put("Belegdatum", booking.document_date.strftime("%d%m"))
    put("Belegfeld 1", text(document_field(booking.document_field_1), 36))
    put("Belegfeld 2", text(booking.document_field_2, 12))
    put("Buchungstext", text(booking.text, 60))
    put("KOST1 - Kostenstelle", text(booking.cost_center_1, 36))
    put("EU-Land u. UStID (Bestimmung)", text(booking.eu_vat_id, 15))
    if booking.service_date:
        put("Leistungsdatum", booking.service_date.strftime("%d%m%Y"))
    if booking.due_date:
        put("Fälligkeit", booking.due_date.strftime("%d%m%Y"))
    return fields


def _line(fields: Iterable[str]) -> bytes:
    return (";".join(fields) + "\r\n").encode(ENCODING)


def batch(header: Header, bookings: list[Booking]) -> bytes:
    """One EXTF file. Every booking date must lie inside the header's period."""
    if len(bookings) > MAX_BOOKINGS:
        raise DatevFormatError(f"a batch holds at most {MAX_BOOKINGS} bookings")
    for booking in bookings:
        if not header.date_from <= booking.document_date <= header.date_to:
            raise DatevFormatError(f"booking of {booking.document_date} outside the period")
    out = [_line(header_fields(header)), _line(f'"{c}"' for c in COLUMNS)]
    out += [_line(booking_fields(b)) for b in bookings]
    return b"".join(out)


def batches(header: Header, bookings: Iterable[Booking]) -> Iterator[tuple[int, bytes]]:
    """Files of at most MAX_BOOKINGS bookings each, numbered from 1; `bookings` sorted by date
    and within one calendar year."""
    chunk: list[Booking] = []
    number = 0
    for booking in bookings:
        chunk.append(booking)
        if len(chunk) == MAX_BOOKINGS:
            number += 1
            yield number, batch(header, chunk)
            chunk = []
    if chunk or number == 0:
        yield number + 1, batch(header, chunk)
