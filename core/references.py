"""ISO 11649 creditor references ("RF…") that payers copy into the remittance information."""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

_ALLOWED = re.compile(r"^[0-9A-Z]{1,21}$")


def rf_reference(base: str) -> str:
    """`2026000123` → `RF462026000123` (domain-de.md T9). The base is 1–21 digits or letters."""
    base = base.upper()
    if not _ALLOWED.match(base):
        raise ValueError("an RF reference base has 1 to 21 letters or digits")
    check = mod_97_10.calc_check_digits(base + "RF")
    reference = f"RF{check}{base}"
    iso11649.validate(reference)
    return reference


def rf_format(reference: str) -> str:
    """Groups of four for printing: `RF46 2026 0001 23`."""
    return iso11649.format(reference)
