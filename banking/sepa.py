"""Outgoing SEPA credit transfers as pain.001.001.09 (the format German banks take since
November 2025, domain-de.md §6), written by `sepaxml` and checked against the schema before
anything is stored. Refunds and net salaries (category purpose SALA) use it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import sepaxml
from lxml import etree
from sepaxml import SepaTransfer

SCHEMA = "pain.001.001.09"
_XSD = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"
_schema: etree.XMLSchema | None = None


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    name: str
    iban: str
    amount: Decimal
    text: str


def _validator() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(_XSD)))
    return _schema


def credit_transfers(
    *,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str,
    execution_date: date,
    transfers: list[Transfer],
    category_purpose: str = "",
) -> tuple[str, bytes]:
    """(message ID, file). Amounts go to sepaxml in cents, never as floats; names and texts
    are reduced to the SEPA character set by sepaxml. A category purpose (SALA for salaries)
    tells the banks to treat the batch as payroll (value date, confidentiality)."""
    config = {"name": debtor_name, "IBAN": debtor_iban, "batch": True, "currency": "EUR"}
    if debtor_bic:
        config["BIC"] = debtor_bic
    document = SepaTransfer(config, schema=SCHEMA, clean=True)
    for transfer in transfers:
        cents = transfer.amount * 100
        if cents != cents.to_integral_value():
            raise ValueError("transfer amounts are whole cents")
        document.add_payment(
            {
                "name": transfer.name,
                "IBAN": transfer.iban,
                "amount": int(cents),
                "execution_date": execution_date,
                "description": transfer.text,
                "endtoend_id": transfer.end_to_end_id,
            }
        )
    content = document.export(validate=False)
    if category_purpose:
        content = _with_category_purpose(content, category_purpose)
    _validator().assertValid(etree.fromstring(content))
    return document.msg_id, content


def _with_category_purpose(content: bytes, code: str) -> bytes:
    # sepaxml writes no CtgyPurp; in pain.001.001.09 it closes PmtTpInf (after SvcLvl).
    root = etree.fromstring(content)
    namespace = etree.QName(root).namespace
    for info in root.iter(f"{{{namespace}}}PmtTpInf"):
        purpose = etree.SubElement(info, f"{{{namespace}}}CtgyPurp")
        etree.SubElement(purpose, f"{{{namespace}}}Cd").text = code
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
