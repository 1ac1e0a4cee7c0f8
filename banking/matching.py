"""Which invoices an incoming payment is for, in the order domain-de.md §6 gives: RF reference →
invoice number in the remittance text → payer's IBAN with the exact open amount → amount and
payer's name → the staff queue. Each proposal says why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from stdnum import iso11649

from banking.models import Allocation, BankTransaction, Refund
from invoicing.models import Invoice
from members.models import Member
from members.services import shares_payable

RF = re.compile(r"RF\d{2}(?:\s?[0-9A-Z]){1,21}")
NUMBER = re.compile(r"\b([A-Z0-9]{1,10})[-\s]?(\d{4})[-\s]?(\d{5,})\b")
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Proposal:
    invoice: Invoice | None
    method: str
    explanation: str
    member: Member | None = None  # a payment for shares instead of an invoice


def _share_proposals(references: list[str], members: dict[str, Member]) -> list[Proposal]:
    return [
        Proposal(
            None,
            Allocation.Method.RF_REFERENCE,
            f"share payment reference {members[r].share_reference}",
            member=members[r],
        )
        for r in references
        if r in members
    ][:1]


def open_invoices():
    """Issued invoices (not corrections) with what is still open: gross, less credit notes and
    cancellations, less active allocations."""
    money = DecimalField(max_digits=14, decimal_places=2)
    corrected = (
        Invoice.objects.filter(corrects=OuterRef("pk"), status=Invoice.Status.ISSUED)
        .values("corrects")
        .annotate(total=Sum("gross_total"))
        .values("total")
    )
    paid = (
        Allocation.objects.filter(invoice=OuterRef("pk"), undone_at__isnull=True)
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Invoice.objects.filter(status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE).annotate(
        corrected=Coalesce(Subquery(corrected, output_field=money), Value(ZERO)),
        paid=Coalesce(Subquery(paid, output_field=money), Value(ZERO)),
    )


def open_amount(invoice: Invoice) -> Decimal:
    row = open_invoices().filter(pk=invoice.pk).values("gross_total", "corrected", "paid").first()
    if row is None:
        return ZERO
    return row["gross_total"] + row["corrected"] - row["paid"]


def _references(text: str) -> list[str]:
    found = []
    for match in RF.finditer(text.upper()):
        candidate = match.group(0).replace(" ", "")
        # The regex may swallow a following word; shorten until the check digits hold.
        while len(candidate) > 4 and not iso11649.is_valid(candidate):
            candidate = candidate[:-1]
        if iso11649.is_valid(candidate) and candidate not in found:
            found.append(candidate)
    return found


def _numbers(text: str) -> list[str]:
    found = []
    for series, year, number in NUMBER.findall(text.upper()):
        text_number = f"{series}-{year}-{number}"
        if text_number not in found:
            found.append(text_number)
    return found


def _words(name: str) -> set[str]:
    return {w for w in re.findall(r"[a-zäöüß0-9]{3,}", name.lower())} - {
        "gmbh",
        "und",
        "the",
        "ltd",
        "sarl",
    }


def propose(transaction: BankTransaction) -> list[Proposal]:
    if transaction.amount <= 0 or transaction.is_return:
        return []
    text = f"{transaction.creditor_reference} {transaction.remittance}"
    candidates = open_invoices()
    references = _references(text)
    if references:
        by_reference = {i.rf_reference: i for i in candidates.filter(rf_reference__in=references)}
        found = [by_reference[r] for r in references if r in by_reference]
        if found:
            return [
                Proposal(i, Allocation.Method.RF_REFERENCE, f"RF reference {i.rf_reference}")
                for i in found
            ]
        members = {
            m.share_reference: m for m in shares_payable().filter(share_reference__in=references)
        }
        if members:
            return _share_proposals(references, members)
    numbers = _numbers(text)
    if numbers:
        by_number = {i.number_text: i for i in candidates.filter(number_text__in=numbers)}
        found = [by_number[n] for n in numbers if n in by_number]
        if found:
            return [
                Proposal(i, Allocation.Method.INVOICE_NUMBER, f"invoice number {i.number_text}")
                for i in found
            ]
    # Only invoices whose open amount is exactly the payment: one indexed query, not a scan of
    # every open invoice per payment.
    exact = list(
        candidates.filter(gross_total__gte=transaction.amount)
        .annotate(open_now=F("gross_total") + F("corrected") - F("paid"))
        .filter(open_now=transaction.amount)
        .select_related("client")[:50]
    )
    if transaction.counterparty_iban:
        known_clients = set(
            Allocation.objects.filter(
                undone_at__isnull=True,
                invoice__isnull=False,
                transaction__counterparty_iban=transaction.counterparty_iban,
            ).values_list("invoice__client_id", flat=True)
        )
        by_iban = [i for i in exact if i.client_id in known_clients]
        if len(by_iban) == 1:
            return [
                Proposal(
                    by_iban[0],
                    Allocation.Method.IBAN_AMOUNT,
                    f"IBAN {transaction.counterparty_iban} paid this client before; "
                    f"open amount {transaction.amount} matches",
                )
            ]
    payer = _words(transaction.counterparty_name)
    if payer:
        by_name = [i for i in exact if payer & _words(i.client.name)]
        if len(by_name) == 1:
            return [
                Proposal(
                    by_name[0],
                    Allocation.Method.AMOUNT_NAME,
                    f"amount {transaction.amount} and payer “{transaction.counterparty_name}”",
                )
            ]
    return []


def unallocated(transaction: BankTransaction) -> Decimal:
    """What is left of an incoming payment: not applied, not refunded."""
    used = transaction.allocations.filter(undone_at__isnull=True).aggregate(t=Sum("amount"))["t"]
    refunded = transaction.refunds.aggregate(t=Sum("amount"))["t"]
    return transaction.amount - (used or ZERO) - (refunded or ZERO)


def unmatched_queryset():
    """Incoming payments with money not yet applied (the staff queue)."""
    money = DecimalField(max_digits=14, decimal_places=2)
    used = (
        Allocation.objects.filter(transaction=OuterRef("pk"), undone_at__isnull=True)
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    refunded = (
        Refund.objects.filter(transaction=OuterRef("pk"))
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        BankTransaction.objects.filter(amount__gt=0)
        .annotate(
            used=Coalesce(Subquery(used, output_field=money), Value(ZERO))
            + Coalesce(Subquery(refunded, output_field=money), Value(ZERO))
        )
        .filter(used__lt=F("amount"))
    )


SNAPSHOT_FIELDS = (
    "cooperative_id",
    "member_id",
    "status",
    "kind",
    "number_text",
    "rf_reference",
    "net_total",
    "gross_total",
    "client__name",
)

# The cooperative's open invoices with what is open, in one pass: corrections and payments are
# summed by grouped joins, not per invoice (right after a bulk of invoices is issued the planner
# has no statistics for them, and a correlated subquery would scan every invoice per invoice).
_OPEN_SQL = """
    SELECT i.id, i.gross_total + coalesce(c.total, 0) - coalesce(p.total, 0), i.client_id,
           cl.name
    FROM invoicing_invoice i
    JOIN invoicing_client cl ON cl.id = i.client_id
    LEFT JOIN (SELECT corrects_id, sum(gross_total) AS total FROM invoicing_invoice
               WHERE cooperative_id = %(coop)s AND status = 'issued'
                 AND corrects_id IS NOT NULL
               GROUP BY corrects_id) c ON c.corrects_id = i.id
    LEFT JOIN (SELECT invoice_id, sum(amount) AS total FROM banking_allocation
               WHERE cooperative_id = %(coop)s AND undone_at IS NULL
                 AND invoice_id IS NOT NULL
               GROUP BY invoice_id) p ON p.invoice_id = i.id
    WHERE i.cooperative_id = %(coop)s AND i.status = 'issued' AND i.kind = 'invoice'
      AND i.gross_total + coalesce(c.total, 0) - coalesce(p.total, 0) > 0
"""


class Matcher:
    """The matching rules for one import, built once: a statement with thousands of payments
    must not query every open invoice per payment, and a cooperative with a million invoices
    must not load them all. It holds the open invoices as light rows (amount, client) for the
    amount rules, the invoices the statement names (RF reference, number) whatever their
    state, and the payers' IBANs known from earlier payments. `applied()` keeps it true as
    payments are allocated."""

    def __init__(self, *, cooperative, transactions: list[BankTransaction]) -> None:
        credits = [t for t in transactions if t.amount > 0 and not t.is_return]
        texts = [f"{t.creditor_reference} {t.remittance}" for t in credits]
        references = {r for text in texts for r in _references(text)}
        numbers = {n for text in texts for n in _numbers(text)}
        ibans = {t.counterparty_iban for t in credits if t.counterparty_iban}
        self.open: dict[int, Decimal] = {}
        self.client_of: dict[int, tuple[int, str]] = {}
        with connection.cursor() as cursor:
            cursor.execute(_OPEN_SQL, {"coop": cooperative.pk})
            for pk, amount, client_id, client_name in cursor.fetchall():
                # SQLite (the demo) sums in floating point: back to whole cents.
                self.open[pk] = Decimal(str(amount)).quantize(CENT)
                self.client_of[pk] = (client_id, client_name)
        named = list(
            Invoice.objects.filter(status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE)
            .filter(Q(rf_reference__in=references) | Q(number_text__in=numbers))
            .select_related("client")
            .only(*SNAPSHOT_FIELDS)
            .order_by()
        )
        self.invoices: dict[int, Invoice] = {i.pk: i for i in named}
        # A named invoice that is paid already is not among the open ones: nothing is open.
        for invoice in named:
            self.open.setdefault(invoice.pk, ZERO)
        self.by_reference = {i.rf_reference: i.pk for i in named if i.rf_reference}
        self.by_number = {i.number_text: i.pk for i in named}
        self.by_amount: dict[Decimal, set[int]] = {}
        for pk, amount in self.open.items():
            if amount > 0:
                self.by_amount.setdefault(amount, set()).add(pk)
        self.members_by_reference = {m.share_reference: m for m in shares_payable()}
        self.clients_by_iban: dict[str, set[int]] = {}
        for iban, client_id in (
            Allocation.objects.filter(
                undone_at__isnull=True,
                invoice__isnull=False,
                transaction__counterparty_iban__in=ibans,
            )
            .values_list("transaction__counterparty_iban", "invoice__client_id")
            .distinct()
        ):
            self.clients_by_iban.setdefault(iban, set()).add(client_id)

    def _invoice(self, pk: int) -> Invoice:
        """An open invoice chosen by the amount rules, loaded when it is chosen."""
        if pk not in self.invoices:
            self.invoices[pk] = (
                Invoice.objects.select_related("client").only(*SNAPSHOT_FIELDS).get(pk=pk)
            )
        return self.invoices[pk]

    def _client(self, pk: int) -> tuple[int, str]:
        if pk in self.client_of:
            return self.client_of[pk]
        invoice = self.invoices[pk]
        return invoice.client_id, invoice.client.name

    def applied(self, invoice_id: int, amount: Decimal, iban: str, client_id: int) -> None:
        before = self.open.get(invoice_id, ZERO)
        self.by_amount.get(before, set()).discard(invoice_id)
        self.open[invoice_id] = before - amount
        if self.open[invoice_id] > 0:
            self.by_amount.setdefault(self.open[invoice_id], set()).add(invoice_id)
        if iban:
            self.clients_by_iban.setdefault(iban, set()).add(client_id)

    def propose(self, transaction: BankTransaction) -> list[Proposal]:
        if transaction.amount <= 0 or transaction.is_return:
            return []
        text = f"{transaction.creditor_reference} {transaction.remittance}"
        references = _references(text)
        found = [self.invoices[self.by_reference[r]] for r in references if r in self.by_reference]
        if found:
            return [
                Proposal(i, Allocation.Method.RF_REFERENCE, f"RF reference {i.rf_reference}")
                for i in found
            ]
        shares = _share_proposals(references, self.members_by_reference)
        if shares:
            return shares
        found = [self.invoices[self.by_number[n]] for n in _numbers(text) if n in self.by_number]
        if found:
            return [
                Proposal(i, Allocation.Method.INVOICE_NUMBER, f"invoice number {i.number_text}")
                for i in found
            ]
        exact = sorted(self.by_amount.get(transaction.amount, ()))
        known = self.clients_by_iban.get(transaction.counterparty_iban, set())
        by_iban = [pk for pk in exact if self._client(pk)[0] in known]
        if len(by_iban) == 1:
            return [
                Proposal(
                    self._invoice(by_iban[0]),
                    Allocation.Method.IBAN_AMOUNT,
                    f"IBAN {transaction.counterparty_iban} paid this client before; "
                    f"open amount {transaction.amount} matches",
                )
            ]
        payer = _words(transaction.counterparty_name)
        by_name = [pk for pk in exact if payer & _words(self._client(pk)[1])] if payer else []
        if len(by_name) == 1:
            return [
                Proposal(
                    self._invoice(by_name[0]),
                    Allocation.Method.AMOUNT_NAME,
                    f"amount {transaction.amount} and payer “{transaction.counterparty_name}”",
                )
            ]
        return []
