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
