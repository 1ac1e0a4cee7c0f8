"""Gapless invoice numbers per cooperative, number range and year (R5)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from invoicing.models import NumberCounter
from tenancy.models import Cooperative


def number_next(*, cooperative: Cooperative, series: str, year: int) -> int:
    """The next number of the range, under a row lock held until the caller's transaction ends.

    Must run inside the transaction that issues the document: if it rolls back, the counter
    does too and the number is given again. Concurrent issuers of the same range wait here.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("number_next() must run inside the issuing transaction")
    try:
        with transaction.atomic():  # first number of a new range: two issuers may race to create
            NumberCounter.objects.get_or_create(cooperative=cooperative, series=series, year=year)
    except IntegrityError:
        pass  # the other issuer created it; the lock below serialises us behind them
    counter = NumberCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def number_format(*, series: str, year: int, number: int) -> str:
    """`RE-2026-00042`: range, year, five digits (more when needed)."""
    return f"{series}-{year}-{number:05d}"
