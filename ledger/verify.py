"""Integrity check of a cooperative's ledger (tamper evidence, R8)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal

from ledger.models import Account, ChainHead, Entry, Transaction
from ledger.services import transaction_canonical

GENESIS = "0" * 64


def verify(*, cooperative) -> list[str]:
    """Problems found, first one first; empty when the ledger is intact.

    Streams both the transactions (by number) and the entries (by their transaction's number),
    so memory stays flat however long the ledger is: a cooperative with a million invoices has
    some eight million entries."""
    problems: list[str] = []
    sums_by_account: dict[int, Decimal] = defaultdict(Decimal)
    entries = (
        Entry.objects.order_by("transaction__sequence", "id")
        .values_list("transaction_id", "id", "account_id", "amount", "text")
        .iterator(5000)
    )
    pending = next(entries, None)
    previous = GENESIS
    expected_sequence = 1
    for tx in Transaction.objects.order_by("sequence").iterator(5000):
        mine = []
        while pending is not None and pending[0] == tx.pk:
            mine.append(pending)
            sums_by_account[pending[2]] += pending[3]
            pending = next(entries, None)
        if tx.sequence != expected_sequence:
            problems.append(f"transaction #{expected_sequence} is missing (found #{tx.sequence})")
        expected_sequence = tx.sequence + 1
        total = sum((e[3] for e in mine), Decimal("0"))
        if total != 0:
            ids = ", ".join(str(e[1]) for e in mine)
            problems.append(
                f"transaction #{tx.sequence} does not balance (sum {total}; entries {ids})"
            )
        if len(mine) < 2:
            problems.append(f"transaction #{tx.sequence} has {len(mine)} entries")
        if tx.previous_hash != previous:
            problems.append(f"transaction #{tx.sequence}: chain broken (previous hash differs)")
        canonical = transaction_canonical(tx, [(e[2], e[3], e[4]) for e in mine])
        expected = hashlib.sha256((tx.previous_hash + canonical).encode()).hexdigest()
        if expected != tx.hash:
            ids = ", ".join(str(e[1]) for e in mine)
            problems.append(
                f"transaction #{tx.sequence}: content changed after posting (entries {ids})"
            )
        previous = tx.hash
    head = ChainHead.objects.first()
    last_sequence, last_hash = expected_sequence - 1, previous
    if head is not None and (head.last_sequence, head.last_hash) != (last_sequence, last_hash):
        problems.append(
            f"chain head says #{head.last_sequence}, the last transaction is #{last_sequence}"
            " (transactions removed or added outside the posting service)"
        )
    for pk, name, balance in Account.objects.order_by("pk").values_list("pk", "name", "balance"):
        if balance != sums_by_account.get(pk, Decimal("0")):
            problems.append(
                f"account {pk} ({name}): balance {balance} ≠ entries "
                f"{sums_by_account.get(pk, Decimal('0'))}"
            )
    return problems
