"""Integrity check of a cooperative's ledger (tamper evidence, R8)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ledger.models import Account, ChainHead, Entry, Transaction
from ledger.services import Line, transaction_hash

GENESIS = "0" * 64


def verify(*, cooperative) -> list[str]:
    """Problems found, first one first; empty when the ledger is intact."""
    problems: list[str] = []
    entries_by_tx: dict[int, list[Entry]] = defaultdict(list)
    sums_by_account: dict[int, Decimal] = defaultdict(Decimal)
    for entry in (
        Entry.objects.select_related("account").order_by("transaction_id", "id").iterator(2000)
    ):
        entries_by_tx[entry.transaction_id].append(entry)
        sums_by_account[entry.account_id] += entry.amount
    previous = GENESIS
    expected_sequence = 1
    for tx in Transaction.objects.order_by("sequence").iterator(2000):
        entries = entries_by_tx.get(tx.pk, [])
        if tx.sequence != expected_sequence:
            problems.append(f"transaction #{expected_sequence} is missing (found #{tx.sequence})")
        expected_sequence = tx.sequence + 1
        total = sum((e.amount for e in entries), Decimal("0"))
        if total != 0:
            ids = ", ".join(str(e.pk) for e in entries)
            problems.append(
                f"transaction #{tx.sequence} does not balance (sum {total}; entries {ids})"
            )
        if len(entries) < 2:
            problems.append(f"transaction #{tx.sequence} has {len(entries)} entries")
        lines = [Line(account=e.account, amount=e.amount, text=e.text) for e in entries]
        if tx.previous_hash != previous:
            problems.append(f"transaction #{tx.sequence}: chain broken (previous hash differs)")
        expected = transaction_hash(previous_hash=tx.previous_hash, tx=tx, lines=lines)
        if expected != tx.hash:
            ids = ", ".join(str(e.pk) for e in entries)
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
    for account in Account.objects.order_by("pk"):
        if account.balance != sums_by_account.get(account.pk, Decimal("0")):
            problems.append(
                f"account {account.pk} ({account.name}): balance {account.balance} ≠ entries "
                f"{sums_by_account.get(account.pk, Decimal('0'))}"
            )
    return problems
