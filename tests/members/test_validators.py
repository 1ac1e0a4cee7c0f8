"""Identifiers on payroll data: tax ID, social insurance number, IBAN, RF reference."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from core.references import rf_reference
from core.validators import (
    validate_iban_schwifty,
    validate_social_insurance_number,
    validate_tax_id,
)


@pytest.mark.parametrize("number", ["65170839J003", "65 170839 J 00 3", "15070649C103"])
def test_valid_social_insurance_numbers(number):
    validate_social_insurance_number(number)


@pytest.mark.parametrize(
    "number,code",
    [
        ("65170839J004", "invalid_svnr"),  # check digit
        ("65170839J00", "invalid_svnr_format"),  # too short
        ("65173239J003", "invalid_svnr_format"),  # month 32
        ("6517083J9003", "invalid_svnr_format"),  # letter in the wrong place
    ],
)
def test_invalid_social_insurance_numbers(number, code):
    with pytest.raises(ValidationError) as error:
        validate_social_insurance_number(number)
    assert error.value.code == code


def test_tax_id():
    validate_tax_id("36574261809")
    with pytest.raises(ValidationError):
        validate_tax_id("36574261808")


def test_iban():  # domain-de.md T10
    validate_iban_schwifty("DE89370400440532013000")
    with pytest.raises(ValidationError):
        validate_iban_schwifty("DE89370400440532013001")


def test_rf_references():  # domain-de.md T9
    assert rf_reference("2026000123") == "RF462026000123"
    assert rf_reference("RE2026000123") == "RF73RE2026000123"
    with pytest.raises(ValueError):
        rf_reference("not allowed!")
