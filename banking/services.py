"""Writes on bank statements and payments: import (idempotent), automatic matching, staff
matching and undo. Each allocation posts the payment to the ledger; undoing reverses it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from banking import matching, parsers, sepa
from banking.models import (
    Allocation,
    BankAccount,
    BankStatement,
    BankTransaction,
    PaymentFile,
    Refund,
    StatementImport,
)
from core.exceptions import ApplicationError
from core.queue import enqueue_on_commit
from core.validators import validate_iban
from invoicing.models import Invoice
from ledger import services as ledger_services
from ledger.models import Transaction
from members.models import Member
from members.services import share_payment_cancel, share_payment_record, shares_outstanding
from tenancy import jobs
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope
from webhooks import events as webhook_events
from webhooks import services as webhook_services
from webhooks.models import Event as WebhookEvent

ZERO = Decimal("0.00")
PROGRESS_EVERY = 200  # entries between progress reports of an import


@dataclass
class ImportResult:
    imported: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0

    def line(self) -> str:
        return (
            f"imported={self.imported} duplicates={self.duplicates} "
            f"matched={self.matched} unmatched={self.unmatched}"
        )


def statement_import(
    *,
    cooperative: Cooperative,
    content: bytes,
    file_name: str,
    actor: User | None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a statement file. Entries already imported (the same file again, or overlapping
    statements) are recognised and skipped; new credits are matched at once. `progress` hears
    (entries processed, entries in the file) now and then."""
    try:
        statements = parsers.parse(content)
    except parsers.StatementError as exc:
        raise ApplicationError(str(exc), code="statement_invalid") from exc
    digest = hashlib.sha256(content).hexdigest()
    result = ImportResult()
    total = sum(len(parsed.entries) for parsed in statements)
    done = 0
    if progress:
        progress(0, total)
    with transaction.atomic():
        # Held to the end: the open amounts the matcher reads stay true while it allocates.
        ledger_services.ledger_lock(cooperative=cooperative)
        batch = _Batch(cooperative, actor)
        for parsed in statements:
            account = BankAccount.objects.filter(
                cooperative=cooperative, iban=parsed.account_iban
            ).first()
            if account is None:
                raise ApplicationError(
                    _(
                        "The statement is for account %(iban)s, which is not one of the "
                        "cooperative's bank accounts. Staff add it under bank accounts first."
                    )
                    % {"iban": parsed.account_iban},
                    code="unknown_account",
                )
            foreign = {e.currency for e in parsed.entries} - {"EUR", ""}
            if foreign:
                raise ApplicationError(
                    _("Only euro statements can be imported (found %(ccy)s).")
                    % {"ccy": ", ".join(sorted(foreign))},
                    code="currency",
                )
            keys = parsers.dedupe_keys(parsed.entries, account.iban)
            known = set(
                BankTransaction.objects.filter(account=account, dedupe_key__in=keys).values_list(
                    "dedupe_key", flat=True
                )
            )
            fresh = [(e, k) for e, k in zip(parsed.entries, keys, strict=True) if k not in known]
            result.duplicates += len(parsed.entries) - len(fresh)
            done += len(parsed.entries) - len(fresh)
            statement = BankStatement.objects.create(
                cooperative=cooperative,
                account=account,
                format=parsed.format,
                statement_id=parsed.statement_id,
                file_name=file_name[:200],
                sha256=digest,
                opening_balance=parsed.opening_balance,
                closing_balance=parsed.closing_balance,
                entries_in_file=len(parsed.entries),
                entries_new=len(fresh),
                imported_by=actor,
            )
            created = BankTransaction.objects.bulk_create(
                [
                    BankTransaction(
                        cooperative=cooperative,
                        account=account,
                        statement=statement,
                        booking_date=entry.booking_date,
                        value_date=entry.value_date,
                        amount=entry.amount,
                        currency=entry.currency or "EUR",
                        counterparty_name=entry.counterparty_name,
                        counterparty_iban=entry.counterparty_iban,
                        remittance=entry.remittance,
                        creditor_reference=entry.creditor_reference,
                        end_to_end_id=entry.end_to_end_id,
                        bank_reference=entry.bank_reference,
                        code=entry.code,
                        is_return=entry.is_return,
                        return_reason=entry.return_reason,
                        dedupe_key=key,
                    )
                    for entry, key in fresh
                    if entry.amount != 0
                ],
                batch_size=2000,
            )
            result.imported += len(created)
            matcher = (
                matching.Matcher(cooperative=cooperative, transactions=created)
                if any(t.amount > 0 for t in created)
                else None
            )
            for bank_transaction in created:
                done += 1
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done, total)
                if bank_transaction.amount < 0:
                    batch.flush()  # a return may undo a payment of this same file
                    if bank_transaction.is_return:
                        _undo_returned(bank_transaction)
                    elif _is_bank_charge(bank_transaction):
                        _post_bank_charge(bank_transaction)
                    else:
                        _settle_refund(bank_transaction)
                    continue
                if transaction_match(
                    bank_transaction=bank_transaction, actor=actor, matcher=matcher, batch=batch
                ):
                    result.matched += 1
                else:
                    result.unmatched += 1
        batch.flush()
    return result


def statement_import_queue(
    *, cooperative: Cooperative, content: bytes, file_name: str, actor: User
) -> StatementImport:
    """Staff's upload: kept as a job that a worker imports while the page shows the progress;
    the file is checked for its format at once, so a wrong file is refused before it waits."""
    if len(content) > parsers.MAX_BYTES:
        raise ApplicationError(_("The file is larger than 20 MB."), code="statement_too_large")
    try:
        parsers.parse(content)
    except parsers.StatementError as exc:
        raise ApplicationError(str(exc), code="statement_invalid") from exc
    job = StatementImport.objects.create(
        cooperative=cooperative,
        file_name=file_name[:200],
        content=content,
        size=len(content),
        requested_by=actor,
        language=translation.get_language() or actor.language or settings.LANGUAGE_CODE,
    )
    from banking import tasks  # the task module imports this one

    # A broker outage must not fail the upload; the sweeper picks the job up.
    enqueue_on_commit(tasks.statement_import_run, cooperative.pk, job.pk)
    return job


class _ClaimLost(Exception):
    """Another worker took the import over: roll this one's work back."""


def statement_import_run(*, cooperative: Cooperative, job_id: int) -> StatementImport | None:
    """The worker's side of an upload. The import and its result are one transaction, recorded
    only while the claim is this worker's: a worker that dies half-way, or is taken for dead,
    leaves nothing behind, and the next one imports the file afresh. Unexpected errors (the
    database gone, a bug) leave the job to the sweeper, up to three attempts."""
    job = jobs.job_claim(StatementImport, cooperative=cooperative, job_id=job_id)
    if job is None:
        return None
    with translation.override(job.language):
        try:
            with tenant_scope(cooperative):
                result = statement_import(
                    cooperative=cooperative,
                    content=bytes(job.content),
                    file_name=job.file_name,
                    actor=job.requested_by,
                    progress=lambda done, total: jobs.progress_report(job, done=done, total=total),
                )
                entries = result.imported + result.duplicates
                recorded = jobs.job_record(
                    job,
                    status=StatementImport.Status.DONE,
                    content=b"",
                    entries_done=entries,
                    entries_total=entries,
                    imported=result.imported,
                    duplicates=result.duplicates,
                    matched=result.matched,
                    unmatched=result.unmatched,
                )
                if not recorded:
                    raise _ClaimLost
        except _ClaimLost:
            return None
        except ApplicationError as exc:
            # The file itself is wrong (an account we do not keep, a foreign currency): say so.
            return jobs.job_finish(
                job,
                cooperative=cooperative,
                status=StatementImport.Status.FAILED,
                error=str(exc.message),
                content=b"",
            )
    jobs.progress_forget(job)
    with tenant_scope(cooperative):
        job.refresh_from_db()
    return job


def statement_import_progress(job: StatementImport) -> tuple[int, int]:
    return jobs.progress_live(job) or (job.entries_done, job.entries_total)


def _undo_returned(returned: BankTransaction) -> None:
    """A payment the bank sent back (return, charge-back): undo what it paid."""
    original = Allocation.objects.filter(
        undone_at__isnull=True,
        transaction__account=returned.account,
        transaction__amount=-returned.amount,
        transaction__booking_date__lte=returned.booking_date,
    ).select_related("transaction")
    if returned.end_to_end_id and returned.end_to_end_id.upper() != "NOTPROVIDED":
        original = original.filter(transaction__end_to_end_id=returned.end_to_end_id)
    elif returned.counterparty_iban:
        original = original.filter(transaction__counterparty_iban=returned.counterparty_iban)
    else:
        return
    for allocation in original.order_by("-transaction__booking_date")[:1]:
        allocation_undo(
            allocation=allocation,
            actor=None,
            reason=_("returned by the bank (%(code)s)") % {"code": returned.return_reason or "-"},
        )


CHARGE_CODES = {"CHRG", "FEES", "COMM"}  # ISO 20022 bank transaction sub-families
CHARGE_GVC = {"805", "808"}  # German GVC: Entgeltabschluss, Gebühren


def _is_bank_charge(debit: BankTransaction) -> bool:
    return bool(CHARGE_CODES & set(debit.code.split("/"))) or debit.code in CHARGE_GVC


def _post_bank_charge(debit: BankTransaction) -> None:
    ledger_services.bank_charge_post(
        cooperative=debit.cooperative,
        bank_transaction_id=debit.pk,
        amount=-debit.amount,
        booking_date=debit.booking_date,
        text=(debit.remittance or debit.counterparty_name or debit.code)[:100],
    )


def _settle_refund(debit: BankTransaction) -> None:
    """An outgoing transfer on the statement that is one of our refunds (by its end-to-end
    ID and amount): the refund is done."""
    if not debit.end_to_end_id or debit.end_to_end_id.upper() == "NOTPROVIDED":
        return
    Refund.objects.filter(
        end_to_end_id=debit.end_to_end_id, amount=-debit.amount, paid_by__isnull=True
    ).update(paid_by=debit)


def refund_create(
    *,
    bank_transaction: BankTransaction,
    amount: Decimal,
    name: str,
    iban: str,
    reason: str,
    actor: User | None,
) -> Refund:
    """Send (part of) what is left of an incoming payment back: it goes out with the next
    refund file. Only what is neither applied nor refunded already can be refunded."""
    name, reason = (name or "").strip(), (reason or "").strip()
    iban = (iban or "").replace(" ", "").upper()
    if not reason:
        raise ApplicationError(_("Please give a reason."), code="reason_required")
    if not name:
        raise ApplicationError(_("Please give the payee's name."), code="name_required")
    try:
        validate_iban(iban)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code="iban") from exc
    if amount <= 0:
        raise ApplicationError(_("The amount must be more than zero."), code="amount")
    with transaction.atomic():
        ledger_services.ledger_lock(cooperative=bank_transaction.cooperative)
        locked = BankTransaction.objects.get(pk=bank_transaction.pk)
        left = matching.unallocated(locked)
        if amount > left:
            raise ApplicationError(
                _("That is more than is left of this payment (%(left)s €).") % {"left": left},
                code="amount",
            )
        refund = Refund.objects.create(
            cooperative_id=locked.cooperative_id,
            transaction=locked,
            amount=amount,
            name=name[:70],
            iban=iban,
            reason=reason[:140],
            end_to_end_id=f"RFND-{uuid.uuid4().hex[:24].upper()}",
            created_by=actor,
        )
    return refund


def refunds_file_create(
    *, account: BankAccount, execution_date: date, actor: User | None
) -> PaymentFile:
    """One pain.001.001.09 credit transfer file with every refund not yet in a file."""
    if execution_date < timezone.localdate():
        raise ApplicationError(_("The execution date lies in the past."), code="date")
    with transaction.atomic():
        ledger_services.ledger_lock(cooperative=account.cooperative)
        refunds = list(Refund.objects.filter(payment_file__isnull=True).order_by("pk"))
        if not refunds:
            raise ApplicationError(_("There are no refunds waiting."), code="nothing")
        message_id, content = sepa.credit_transfers(
            debtor_name=account.cooperative.legal_name,
            debtor_iban=account.iban,
            debtor_bic=account.bic or account.cooperative.bic,
            execution_date=execution_date,
            transfers=[
                sepa.Transfer(
                    end_to_end_id=r.end_to_end_id,
                    name=r.name,
                    iban=r.iban,
                    amount=r.amount,
                    text=r.reason,
                )
                for r in refunds
            ],
        )
        payment_file = PaymentFile.objects.create(
            cooperative=account.cooperative,
            kind=PaymentFile.Kind.REFUNDS,
            account=account,
            message_id=message_id,
            execution_date=execution_date,
            transactions=len(refunds),
            total=sum((r.amount for r in refunds), ZERO),
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            created_by=actor,
        )
        Refund.objects.filter(pk__in=[r.pk for r in refunds]).update(payment_file=payment_file)
    return payment_file


def _payment(allocation: Allocation, earlier: list[int]) -> ledger_services.Payment:
    invoice = allocation.invoice
    share = (allocation.amount / invoice.gross_total) if invoice.gross_total else ZERO
    return ledger_services.Payment(
        member=invoice.member,
        payment_id=f"allocation-{allocation.pk}",
        invoice_id=str(invoice.pk),
        invoice_number=invoice.number_text,
        gross_paid=allocation.amount,
        # The member's share of this payment: net in proportion to gross, rounded half-up
        # once here (the ledger's fee split rounds on this figure).
        net_share=(invoice.net_total * share).quantize(Decimal("0.01")),
        booking_date=allocation.transaction.booking_date,
        earlier_payment_keys=[f"payment:allocation-{pk}" for pk in earlier],
    )


def _post(allocations: list[Allocation], actor: User | None) -> list[Transaction]:
    """Post new allocations (already saved) to the ledger in one batch. A part payment's
    earlier payments are the invoice's other valid allocations made before it."""
    if not allocations:
        return []
    earlier: dict[int, list[int]] = {}
    for invoice_id, pk in (
        Allocation.objects.filter(
            invoice_id__in={a.invoice_id for a in allocations}, undone_at__isnull=True
        )
        .order_by("pk")
        .values_list("invoice_id", "pk")
    ):
        earlier.setdefault(invoice_id, []).append(pk)
    posted = ledger_services.revenue_post_payments(
        cooperative=allocations[0].cooperative,
        payments=[
            _payment(a, [pk for pk in earlier.get(a.invoice_id, []) if pk < a.pk])
            for a in allocations
        ],
        actor=actor,
    )
    _announce_paid(allocations)
    return posted


def _announce_paid(allocations: list[Allocation]) -> None:
    """Webhook `invoice.paid` for the invoices these allocations settled in full."""
    if not webhook_services.listening(WebhookEvent.INVOICE_PAID):
        return
    last = {a.invoice_id: a.pk for a in sorted(allocations, key=lambda a: a.pk)}
    settled = matching.open_invoices().filter(pk__in=last).select_related("member", "client")
    for invoice in settled:
        due = invoice.gross_total + invoice.corrected
        if due > 0 and invoice.paid >= due:
            webhook_events.invoice_paid(invoice, paid=invoice.paid, settled_by=last[invoice.pk])


class _Batch:
    """The allocations of one import, written and posted together: a statement of ten
    thousand payments costs a few dozen queries, not ten for every payment. The caller holds
    the cooperative's posting lock for the whole import."""

    def __init__(self, cooperative: Cooperative, actor: User | None) -> None:
        self.cooperative, self.actor = cooperative, actor
        self.pending: list[Allocation] = []

    def add(self, **fields) -> None:
        _check_allocation(fields["invoice"], fields["amount"])
        fields["explanation"] = fields["explanation"][:300]
        self.pending.append(
            Allocation(cooperative=self.cooperative, created_by=self.actor, **fields)
        )

    def flush(self) -> None:
        if not self.pending:
            return
        members = Member.objects.in_bulk({a.invoice.member_id for a in self.pending})
        for allocation in self.pending:
            allocation.invoice.member = members[allocation.invoice.member_id]
            allocation.invoice.member.cooperative = self.cooperative
        created = Allocation.objects.bulk_create(self.pending, batch_size=2000)
        self.pending = []
        _post(created, self.actor)


def _check_allocation(invoice: Invoice, amount: Decimal) -> None:
    if amount <= 0:
        raise ApplicationError(_("The amount must be more than zero."), code="amount")
    if invoice.status != Invoice.Status.ISSUED or invoice.kind != Invoice.Kind.INVOICE:
        raise ApplicationError(
            _("Payments can only be applied to issued invoices."), code="invoice"
        )


def allocation_create(
    *,
    bank_transaction: BankTransaction,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    explanation: str,
    actor: User | None,
) -> Allocation:
    _check_allocation(invoice, amount)
    with transaction.atomic():
        # Bank transactions are append-only (no row locks for the application role); the
        # cooperative's posting lock serialises everyone who applies money.
        ledger_services.ledger_lock(cooperative=invoice.cooperative)
        locked = BankTransaction.objects.get(pk=bank_transaction.pk)
        if amount > matching.unallocated(locked):
            raise ApplicationError(
                _("That is more than is left of this payment (%(left)s €).")
                % {"left": matching.unallocated(locked)},
                code="amount",
            )
        allocation = Allocation.objects.create(
            cooperative_id=locked.cooperative_id,
            transaction=locked,
            invoice=invoice,
            amount=amount,
            method=method,
            explanation=explanation[:300],
            created_by=actor,
        )
        _post([allocation], actor)
    return allocation


def share_allocation_create(
    *,
    bank_transaction: BankTransaction,
    member: Member,
    amount: Decimal,
    method: str,
    explanation: str,
    actor: User | None,
) -> Allocation:
    """Part of an incoming payment for a member's shares: recorded as a share payment (which
    admits an approved applicant once the shares are paid in full, and is posted to share
    capital) and linked to the bank transaction."""
    if amount <= 0:
        raise ApplicationError(_("The amount must be more than zero."), code="amount")
    with transaction.atomic():
        ledger_services.ledger_lock(cooperative=member.cooperative)
        locked = BankTransaction.objects.get(pk=bank_transaction.pk)
        if amount > matching.unallocated(locked):
            raise ApplicationError(
                _("That is more than is left of this payment (%(left)s €).")
                % {"left": matching.unallocated(locked)},
                code="amount",
            )
        payment = share_payment_record(
            member=member,
            amount=amount,
            paid_on=min(locked.booking_date, timezone.localdate()),
            actor=actor,
            reference=f"{locked.counterparty_name} {locked.remittance}".strip()[:140],
        )
        return Allocation.objects.create(
            cooperative_id=locked.cooperative_id,
            transaction=locked,
            share_payment=payment,
            amount=amount,
            method=method,
            explanation=explanation[:300],
            created_by=actor,
        )


def transaction_match(
    *,
    bank_transaction: BankTransaction,
    actor: User | None,
    matcher: matching.Matcher | None = None,
    batch: _Batch | None = None,
) -> bool:
    """Apply an incoming payment to the invoices it names, each up to its open amount, in the
    order named. Whatever is left (an overpayment) stays visible in the staff queue."""
    if matcher is None:
        proposals = matching.propose(bank_transaction)
        left = matching.unallocated(bank_transaction)
    else:  # a new transaction within an import: nothing is allocated yet
        proposals = matcher.propose(bank_transaction)
        left = bank_transaction.amount
    applied = False
    for proposal in proposals:
        if left <= 0:
            break
        if proposal.member is not None:
            amount = min(shares_outstanding(member=proposal.member), left)
            create, target = share_allocation_create, {"member": proposal.member}
        else:
            open_now = (
                matching.open_amount(proposal.invoice)
                if matcher is None
                else matcher.open[proposal.invoice.pk]
            )
            amount = min(open_now, left)
            create, target = allocation_create, {"invoice": proposal.invoice}
        if amount <= 0:
            continue
        if batch is not None and proposal.invoice is not None:
            batch.add(
                transaction=bank_transaction,
                amount=amount,
                method=proposal.method,
                explanation=proposal.explanation,
                **target,
            )
        else:
            if batch is not None:
                batch.flush()  # a share payment reads what is left of the payment from the table
            create(
                bank_transaction=bank_transaction,
                amount=amount,
                method=proposal.method,
                explanation=proposal.explanation,
                actor=actor,
                **target,
            )
        left -= amount
        applied = True
        if matcher is not None and proposal.invoice is not None:
            matcher.applied(
                proposal.invoice.pk,
                amount,
                bank_transaction.counterparty_iban,
                proposal.invoice.client_id,
            )
    return applied


def allocation_undo(*, allocation: Allocation, actor: User | None, reason: str) -> Allocation:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason."), code="reason_required")
    with transaction.atomic():
        ledger_services.ledger_lock(cooperative=allocation.cooperative)
        locked = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if locked.undone_at is not None:
            raise ApplicationError(_("This match has already been undone."), code="undone")
        if locked.share_payment_id:
            share_payment_cancel(
                payment=locked.share_payment,
                actor=actor,
                reason=_("Bank match undone: %(reason)s") % {"reason": reason},
            )
            key = f"share-payment:{locked.share_payment_id}"
        else:
            key = f"payment:allocation-{locked.pk}"
        posting = Transaction.objects.filter(idempotency_key=key).first()
        if posting is not None:
            ledger_services.ledger_reverse(
                transaction_to_reverse=posting,
                actor=actor,
                reason=_("Payment match undone: %(reason)s") % {"reason": reason},
            )
        locked.undone_at = timezone.now()
        locked.undone_by = actor
        locked.undo_reason = reason[:300]
        locked.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    return locked


def payment_state(invoice: Invoice) -> dict:
    """open / partially paid / paid / overpaid, with the amounts."""
    row = (
        matching.open_invoices()
        .filter(pk=invoice.pk)
        .values("gross_total", "corrected", "paid")
        .first()
    )
    if row is None:
        return {"state": "", "due": ZERO, "paid": ZERO, "open": ZERO}
    due = row["gross_total"] + row["corrected"]
    paid = row["paid"]
    if paid == 0:
        state = "open" if due > 0 else "settled"
    elif paid < due:
        state = "partially_paid"
    elif paid == due:
        state = "paid"
    else:
        state = "overpaid"
    return {"state": state, "due": due, "paid": paid, "open": due - paid}
