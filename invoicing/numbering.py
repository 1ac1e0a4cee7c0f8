"""Gapless invoice numbers per cooperative, number range and year (R5)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from invoicing.models import NumberCounter
from tenancy.models import Cooperative


def counter_next(*, cooperative: Cooperative, series: str, year: int) -> NumberCounter:
    """The range's counter row, locked until the caller's transaction ends, with `last_number`
    advanced to the number to give — not yet saved: the caller saves it (with the new chain
    hash) in the same transaction.

    Must run inside the transaction that issues the document: if it rolls back, the counter
    does too and the number is given again. Concurrent issuers of the same range wait here.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("number_next() must run inside the issuing transaction")
    locked = NumberCounter.objects.select_for_update().filter(
        cooperative=cooperative, series=series, year=year
    )
    counter = locked.first()
    if counter is None:
        try:
            with transaction.atomic():  # first number of a new range: issuers may race here
                NumberCounter.objects.create(cooperative=cooperative, series=series, year=year)
        except IntegrityError:
            pass  # the other issuer created it; the lock below serialises us behind them
        counter = locked.get()
    counter.last_number += 1
    return counter


def number_next(*, cooperative: Cooperative, series: str, year: int) -> int:
    """The next number of the range (see counter_next), saved."""
    counter = counter_next(cooperative=cooperative, series=series, year=year)
    counter.save(update_fields=["last_number"])
    return counter.last_number


def number_format(*, series: str, year: int, number: int) -> str:
    """`RE-2026-00042`: range, year, five digits (more when needed)."""
    return f"{series}-{year}-{number:05d}"
