"""The content of an e-invoice as plain data (no Django), filled from an issued invoice by
`invoicing.documents.einvoice_data()` and written as CII or UBL by the builders in this package.

Amounts are as EN 16931 states them: for a credit note (type code 381) positive, the document
type carrying the sign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    vat_id: str = ""  # BT-31 / BT-48
    tax_number: str = ""  # BT-32 (seller only; German Steuernummer)
    email: str = ""  # BT-34 / BT-49 electronic address (scheme EM)
    contact_name: str = ""  # BT-41 / BT-56
    contact_phone: str = ""  # BT-42
    contact_email: str = ""  # BT-43
    register: str = ""  # BT-30 legal registration (e.g. "Amtsgericht Berlin GnR 123")


@dataclass(frozen=True)
class Line:
    id: str  # BT-126
    name: str  # BT-153
    description: str  # BT-154 (may be "")
    quantity: Decimal  # BT-129
    unit: str  # BT-130, UN/ECE Rec 20
    unit_price: Decimal  # BT-146 (>= 0)
    net: Decimal  # BT-131
    category: str  # BT-151: S, AE, O, E
    rate: Decimal  # BT-152 (0 for AE, O, E)


@dataclass(frozen=True)
class VatGroup:
    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120 (required for AE, O, E)


@dataclass(frozen=True)
class EInvoice:
    number: str  # BT-1
    issue_date: date  # BT-2
    type_code: str  # BT-3: 380 or 381
    currency: str  # BT-5
    buyer_reference: str  # BT-10 (Leitweg-ID for public clients; XRechnung requires it)
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    vat_groups: tuple[VatGroup, ...]
    net_total: Decimal  # BT-106 = BT-109
    vat_total: Decimal  # BT-110
    gross_total: Decimal  # BT-112 = BT-115 (nothing prepaid)
    due_date: date | None  # BT-9
    payment_terms: str  # BT-20 text
    iban: str  # BT-84
    bic: str  # BT-86
    account_name: str  # BT-85
    remittance: str  # BT-83 (the RF reference)
    supply_date: date | None = None  # BT-72
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    notes: tuple[str, ...] = field(default_factory=tuple)  # BT-22
    payment_means_code: str = "58"  # BT-81: 58 SEPA credit transfer; 1 (not defined) when
    # nothing is to be paid to the seller (cancellations, credit notes): then no BT-84 either
    preceding_number: str = ""  # BT-25 (credit notes / cancellations)
    preceding_date: date | None = None  # BT-26
