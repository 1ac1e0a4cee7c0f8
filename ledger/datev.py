"""The DATEV format (EXTF) for bookings: the Buchungsstapel, format category 21, version 13.

Pure: bookings in, bytes out. Which ledger entries become which bookings is decided elsewhere
(ADR 0023); this module only knows the file: a header line of 31 fields, the 125 column
headings, one line per booking, `;`-separated, text in double quotes, CRLF, Windows-1252
(domain-de.md §5). Amounts are positive with a decimal comma; the Soll/Haben mark says on
which side of `Konto` the amount stands. A file holds at most 99,999 bookings of one fiscal
year, so `batches` splits longer lists.

The debtor master data (category 16, "Debitoren/Kreditoren", version 5) goes beside it: one line
per personal account with name, address, VAT id and payment terms."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

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
    if not value:
        return '""'
    if (
        len(value) <= limit
        and value.isascii()
        and value.isprintable()
        and '"' not in value
        and "  " not in value
        and value[0] != " "
        and value[-1] != " "
    ):
        return f'"{value}"'  # nothing to clean (the common case, checked in C)
    return _text_cleaned(value, limit)


def _text_cleaned(value: str, limit: int) -> str:
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


_EMPTY_BOOKING = [""] * len(COLUMNS)
_EMPTY_BOOKING[_INDEX["WKZ Umsatz"]] = '"EUR"'
(
    _AMOUNT,
    _SIDE,
    _ACCOUNT,
    _CONTRA,
    _BU,
    _DATE,
    _DOC1,
    _DOC2,
    _TEXT,
    _KOST1,
    _EU_VAT_ID,
    _SERVICE_DATE,
    _DUE_DATE,
) = (
    _INDEX[name]
    for name in (
        "Umsatz (ohne Soll/Haben-Kz)",
        "Soll/Haben-Kennzeichen",
        "Konto",
        "Gegenkonto (ohne BU-Schlüssel)",
        "BU-Schlüssel",
        "Belegdatum",
        "Belegfeld 1",
        "Belegfeld 2",
        "Buchungstext",
        "KOST1 - Kostenstelle",
        "EU-Land u. UStID (Bestimmung)",
        "Leistungsdatum",
        "Fälligkeit",
    )
)


def booking_fields(booking: Booking) -> list[str]:
    if booking.debit_credit not in ("S", "H"):
        raise DatevFormatError(f"Soll/Haben must be S or H: {booking.debit_credit!r}")
    for number in (booking.account, booking.contra_account):
        if not number.isascii() or not number.isdigit() or len(number) > 9:
            raise DatevFormatError(f"an account number is 1–9 digits: {number!r}")
    # A copy of the empty line filled by position: a million bookings are written this way.
    fields = _EMPTY_BOOKING.copy()
    fields[_AMOUNT] = amount_text(booking.amount)
    fields[_SIDE] = f'"{booking.debit_credit}"'
    fields[_ACCOUNT] = booking.account
    fields[_CONTRA] = booking.contra_account
    if booking.bu_key:
        fields[_BU] = f'"{booking.bu_key}"'
    fields[_DATE] = f"{booking.document_date.day:02d}{booking.document_date.month:02d}"
    fields[_DOC1] = text(document_field(booking.document_field_1), 36)
    fields[_DOC2] = text(booking.document_field_2, 12)
    fields[_TEXT] = text(booking.text, 60)
    fields[_KOST1] = text(booking.cost_center_1, 36)
    fields[_EU_VAT_ID] = text(booking.eu_vat_id, 15)
    if booking.service_date:
        fields[_SERVICE_DATE] = booking.service_date.strftime("%d%m%Y")
    if booking.due_date:
        fields[_DUE_DATE] = booking.due_date.strftime("%d%m%Y")
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


def write_batches(
    header: Header, bookings: Iterable[Booking], open_file: Callable[[int], BinaryIO]
) -> int:
    """Write the bookings line by line into files of at most MAX_BOOKINGS each, opened with
    `open_file(n)` for n = 1, 2, …; memory stays flat however many there are. Returns how
    many files were written (at least one, with only the headings when there is nothing)."""
    head = _line(header_fields(header)) + _line(f'"{c}"' for c in COLUMNS)
    number, in_file, out = 1, 0, open_file(1)
    out.write(head)
    try:
        for booking in bookings:
            if not header.date_from <= booking.document_date <= header.date_to:
                raise DatevFormatError(f"booking of {booking.document_date} outside the period")
            if in_file == MAX_BOOKINGS:
                out.close()
                number += 1
                out = open_file(number)
                out.write(head)
                in_file = 0
            out.write(_line(booking_fields(booking)))
            in_file += 1
    finally:
        out.close()
    return number


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


# --- Debtor master data (category 16) ------------------------------------------------------


def _bank_columns(n: int) -> list[str]:
    return [
        f"Bankleitzahl {n}",
        f"Bankbezeichnung {n}",
        f"Bank-Kontonummer {n}",
        f"Länderkennzeichen {n}",
        f"IBAN-Nr. {n}",
        "Leerfeld",
        f"SWIFT-Code {n}",
        f"Abw. Kontoinhaber {n}",
        f"Kennz. Hauptbankverb. {n}",
        f"Bankverb {n} Gültig von",
        f"Bankverb {n} Gültig bis",
    ]


_INVOICE_ADDRESS = (
    "Abweichende Anrede",
    "Adressart",
    "Straße",
    "Postfach",
    "Postleitzahl",
    "Ort",
    "Land",
    "Versandzusatz",
    "Adresszusatz",
    "Abw. Zustellbezeichnung 1",
    "Abw. Zustellbezeichnung 2",
    "Adresse Gültig von",
    "Adresse Gültig bis",
)

MASTER_COLUMNS: tuple[str, ...] = (
    "Konto",
    "Name (Adressattyp Unternehmen)",
    "Unternehmensgegenstand",
    "Name (Adressattyp natürl. Person)",
    "Vorname (Adressattyp natürl. Person)",
    "Name (Adressattyp keine Angabe)",
    "Adressattyp",
    "Kurzbezeichnung",
    "EU-Land",
    "EU-UStID",
    "Anrede",
    "Titel/Akad. Grad",
    "Adelstitel",
    "Namensvorsatz",
    "Adressart",
    "Straße",
    "Postfach",
    "Postleitzahl",
    "Ort",
    "Land",
    "Versandzusatz",
    "Adresszusatz",
    "Abweichende Anrede",
    "Abw. Zustellbezeichnung 1",
    "Abw. Zustellbezeichnung 2",
    "Kennz. Korrespondenzadresse",
    "Adresse Gültig von",
    "Adresse Gültig bis",
    *(
        name
        for kind in ("Telefon", "Telefon GL", "E-Mail", "Internet", "Fax", "Sonstige")
        for name in (kind, f"Bemerkung ({kind})")
    ),
    *(column for n in range(1, 6) for column in _bank_columns(n)),
    "Leerfeld",
    "Briefanrede",
    "Grußformel",
    "Kunden-/Lief.-Nr.",
    "Steuernummer",
    "Sprache",
    "Ansprechpartner",
    "Vertreter",
    "Sachbearbeiter",
    "Diverse-Konto",
    "Ausgabeziel",
    "Währungssteuerung",
    "Kreditlimit (Debitor)",
    "Zahlungsbedingung",
    "Fälligkeit in Tagen (Debitor)",
    "Skonto in Prozent (Debitor)",
    "Kreditoren-Ziel 1 Tg.",
    "Kreditoren-Skonto 1 %",
    "Kreditoren-Ziel 2 Tg.",
    "Kreditoren-Skonto 2 %",
    "Kreditoren-Ziel 3 Brutto Tg.",
    "Kreditoren-Ziel 4 Tg.",
    "Kreditoren-Skonto 4 %",
    "Kreditoren-Ziel 5 Tg.",
    "Kreditoren-Skonto 5 %",
    "Mahnung",
    "Kontoauszug",
    "Mahntext 1",
    "Mahntext 2",
    "Mahntext 3",
    "Kontoauszugstext",
    "Mahnlimit Betrag",
    "Mahnlimit %",
    "Zinsberechnung",
    "Mahnzinssatz 1",
    "Mahnzinssatz 2",
    "Mahnzinssatz 3",
    "Lastschrift",
    "Leerfeld",
    "Mandantenbank",
    "Zahlungsträger",
    *(f"Indiv. Feld {n}" for n in range(1, 16)),
    *(f"{name} (Rechnungsadresse)" for name in _INVOICE_ADDRESS),
    *(column for n in range(6, 11) for column in _bank_columns(n)),
    "Nummer Fremdsystem",
    "Insolvent",
    *(f"SEPA-Mandatsreferenz {n}" for n in range(1, 11)),
    "Verknüpftes OPOS-Konto",
    "Mahnsperre bis",
    "Lastschriftsperre bis",
    "Zahlungssperre bis",
    "Gebührenberechnung",
    "Mahngebühr 1",
    "Mahngebühr 2",
    "Mahngebühr 3",
    "Pauschalenberechnung",
    "Verzugspauschale 1",
    "Verzugspauschale 2",
    "Verzugspauschale 3",
    "Alternativer Suchname",
    "Status",
    "Anschrift manuell geändert (Korrespondenzadresse)",
    "Anschrift individuell (Korrespondenzadresse)",
    "Anschrift manuell geändert (Rechnungsadresse)",
    "Anschrift individuell (Rechnungsadresse)",
    "Fristberechnung bei Debitor",
    "Mahnfrist 1",
    "Mahnfrist 2",
    "Mahnfrist 3",
    "Letzte Frist",
)
_MASTER_INDEX = {name: i for i, name in enumerate(MASTER_COLUMNS) if name != "Leerfeld"}
# DATEV's language codes in the master data.
_LANGUAGES = {"de": "1", "fr": "4", "en": "5", "es": "10", "it": "19"}


@dataclass(frozen=True)
class Debtor:
    number: str
    name: str
    is_company: bool
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""  # ISO 3166 alpha-2
    vat_id: str = ""  # with its country prefix, e.g. "ATU12345678"
    email: str = ""
    language: str = ""
    payment_terms_days: int | None = None
    client_reference: str = ""


def master_header_fields(header: Header) -> list[str]:
    fields = header_fields(header)
    fields[2], fields[3], fields[4] = "16", '"Debitoren/Kreditoren"', "5"
    # Master data has no period and no booking type.
    fields[14] = fields[15] = ""
    fields[18] = ""
    return fields


def debtor_fields(debtor: Debtor) -> list[str]:
    if not debtor.number.isascii() or not debtor.number.isdigit():
        raise DatevFormatError(f"a debtor number is digits: {debtor.number!r}")
    fields = [""] * len(MASTER_COLUMNS)

    def put(column: str, value: str) -> None:
        fields[_MASTER_INDEX[column]] = value

    put("Konto", debtor.number)
    if debtor.is_company:
        put("Name (Adressattyp Unternehmen)", text(debtor.name, 50))
        put("Adressattyp", "2")
    else:
        put("Name (Adressattyp keine Angabe)", text(debtor.name, 50))
        put("Adressattyp", "0")
    put("Kurzbezeichnung", text(debtor.name, 15))
    vat_id = debtor.vat_id.replace(" ", "").upper()
    put("EU-Land", text(vat_id[:2], 2))
    put("EU-UStID", text(vat_id[2:], 13))
    put("Adressart", text("STR", 3))
    put("Straße", text(debtor.street, 36))
    put("Postleitzahl", text(debtor.postal_code, 10))
    put("Ort", text(debtor.city, 30))
    put("Land", text(debtor.country, 2))
    put("E-Mail", text(debtor.email, 60))
    put("Kunden-/Lief.-Nr.", text(debtor.client_reference, 15))
    put("Sprache", _LANGUAGES.get(debtor.language, ""))
    if debtor.payment_terms_days is not None:
        put("Fälligkeit in Tagen (Debitor)", str(debtor.payment_terms_days))
    return fields


def master_data(header: Header, debtors: Iterable[Debtor]) -> bytes:
    out = [_line(master_header_fields(header)), _line(f'"{c}"' for c in MASTER_COLUMNS)]
    out += [_line(debtor_fields(d)) for d in debtors]
    return b"".join(out)
