"""Validators for identifiers that appear on legal documents; python-stdnum does the checksums."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import bic, iban
from stdnum.de import stnr
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_iban(value: str) -> None:
    try:
        iban.validate(value)
    except StdnumError as exc:
        raise ValidationError(_("This is not a valid IBAN."), code="invalid_iban") from exc


def validate_bic(value: str) -> None:
    try:
        bic.validate(value)
    except StdnumError as exc:
        raise ValidationError(_("This is not a valid BIC."), code="invalid_bic") from exc


def validate_vat_id(value: str) -> None:
    try:
        vat.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("This is not a valid EU VAT identification number."), code="invalid_vat_id"
        ) from exc


def validate_de_tax_number(value: str) -> None:
    try:
        stnr.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("This is not a valid German tax number."), code="invalid_stnr"
        ) from exc


def validate_hex_colour(value: str) -> None:
    if not HEX_COLOUR.match(value):
        raise ValidationError(_("Enter a colour as #RRGGBB."), code="invalid_colour")


SVNR = re.compile(r"^(\d{2})(\d{2})(\d{2})(\d{2})([A-Z])(\d{2})(\d)$")
SVNR_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def normalise_social_insurance_number(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def validate_social_insurance_number(value: str) -> None:
    """German pension insurance number (Versicherungsnummer): area (2), birth date DDMMYY (6),
    initial of the birth name, serial (2), check digit. The letter counts as its two-digit
    position in the alphabet; products of the weights are reduced to their digit sums."""
    number = normalise_social_insurance_number(value)
    match = SVNR.match(number)
    day = int(match.group(2)) if match else 0
    month = int(match.group(3)) if match else 0
    # Days above 31 are not birth dates (a serial of 50+ marks a second number issued).
    if not match or not (1 <= day <= 31 or 51 <= day <= 81) or not 1 <= month <= 12:
        raise ValidationError(
            _("Enter the social insurance number as 12 characters, e.g. 65 170839 J 00 3."),
            code="invalid_svnr_format",
        )
    digits = number[:8] + f"{ord(number[8]) - 64:02d}" + number[9:11]
    total = sum(
        sum(int(c) for c in str(int(d) * w)) for d, w in zip(digits, SVNR_WEIGHTS, strict=True)
    )
    if total % 10 != int(number[11]):
        raise ValidationError(
            _("The check digit of this social insurance number is wrong."), code="invalid_svnr"
        )


def validate_tax_id(value: str) -> None:
    """Steuerliche Identifikationsnummer (11 digits, ISO 7064 check digit)."""
    from stdnum.de import idnr

    try:
        idnr.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("This is not a valid tax identification number (Steuer-IdNr.)."), code="invalid_idnr"
        ) from exc


def validate_iban_schwifty(value: str) -> None:
    """IBAN with country format, checksum and (where known) bank code, via schwifty."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(_("This is not a valid IBAN."), code="invalid_iban") from exc


LEITWEG = re.compile(r"^\d{2,12}(-[A-Za-z0-9]{1,30})?-\d{2}$")


def validate_leitweg_id(value: str) -> None:
    """Leitweg-ID of German public clients (XRechnung BT-10): coarse address, optional fine
    address, two check digits (ISO 7064 MOD 97-10 over the digits, letters as 10–35)."""
    from stdnum.iso7064 import mod_97_10

    if not LEITWEG.match(value or ""):
        raise ValidationError(
            _("Enter the Leitweg-ID as e.g. 04011000-1234512345-06."), code="invalid_leitweg_format"
        )
    digits = "".join(str(int(c, 36)) for c in value.replace("-", "").upper())
    if not mod_97_10.is_valid(digits):
        raise ValidationError(
            _("The check digits of this Leitweg-ID are wrong."), code="invalid_leitweg"
        )
