"""Expense claims: submitted by the member with a receipt, approved or rejected by staff.

Approval posts the claim: the member's budget is debited with the net amount, the deductible
input VAT goes to the input VAT accounts (the cooperative reclaims it, so the budget gets it
back), and the full amount is owed to the member as wages payable, paid out with the next
salary transfer (§ 3 No. 50 EStG: reimbursed outlays are not wages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from expenses import notifications
from expenses.models import ExpenseClaim
from expenses.receipts import receipt_read
from ledger import services as ledger_services
from ledger.models import AccountKind, SourceType
from members.models import Member
from payroll import selectors as payroll_selectors
from tenancy.models import User

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
VAT_RATES = (Decimal("0"), Decimal("7"), Decimal("19"))


@dataclass
class ClaimInput:
    category: str
    description: str
    supplier: str = ""
    receipt_date: date | None = None
    receipt_number: str = ""
    gross: Decimal | None = None
    vat_rate: Decimal | None = None


def _field_error(field: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="invalid", extra={"field": field})


def vat_included(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside a gross amount, rounded half up to the cent (domain-de.md §2)."""
    return (gross * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def expense_submit(*, member: Member, actor: User, values: ClaimInput, upload) -> ExpenseClaim:
    """A member's claim with its receipt. An e-invoice receipt supplies supplier, number, date,
    total and VAT itself; otherwise the member's figures are used."""
    if member.status != Member.Status.ACTIVE:
        raise ApplicationError(
            _("Only active members can claim expenses."), code="member_not_active"
        )
    receipt = receipt_read(upload)
    einvoice = receipt.einvoice
    if einvoice is not None:
        supplier, number = einvoice.supplier, einvoice.number
        receipt_date, gross = einvoice.issue_date, einvoice.gross
        vat_19 = einvoice.vat.get(Decimal("19.00"), ZERO)
        vat_7 = einvoice.vat.get(Decimal("7.00"), ZERO)
    else:
        supplier, number = values.supplier.strip(), values.receipt_number.strip()
        receipt_date, gross = values.receipt_date, values.gross
        if not supplier:
            raise _field_error("supplier", _("Enter who you paid."))
        if receipt_date is None:
            raise _field_error("receipt_date", _("Enter the date on the receipt."))
        if gross is None or gross <= 0:
            raise _field_error("gross", _("Enter the amount you paid, more than 0 €."))
        if gross != gross.quantize(CENT):
            raise _field_error("gross", _("Amounts are in whole cents."))
        if values.vat_rate not in VAT_RATES:
            raise _field_error("vat_rate", _("Choose the VAT rate on the receipt."))
        vat = vat_included(gross, values.vat_rate)
        vat_19 = vat if values.vat_rate == 19 else ZERO
        vat_7 = vat if values.vat_rate == 7 else ZERO
    if receipt_date > timezone.localdate():
        raise _field_error("receipt_date", _("The receipt date is in the future."))
    claim = ExpenseClaim.objects.create(
        cooperative=member.cooperative,
        member=member,
        category=values.category,
        description=values.description.strip()[:200],
        supplier=supplier[:140],
        receipt_date=receipt_date,
        receipt_number=number[:60],
        gross=gross,
        vat_19=vat_19,
        vat_7=vat_7,
        net=gross - vat_19 - vat_7,
        read_from_einvoice=einvoice is not None,
        receipt_name=receipt.name,
        receipt_type=receipt.content_type,
        receipt=receipt.content,
        receipt_sha256=receipt.sha256,
        submitted_by=actor,
    )
    notifications.claim_submitted(claim)
    return claim


def _locked(claim: ExpenseClaim) -> ExpenseClaim:
    claim = (
        ExpenseClaim.objects.select_for_update(of=("self",))
        .select_related("member__user", "member__cooperative")
        .get(pk=claim.pk)
    )
    if claim.status != ExpenseClaim.Status.SUBMITTED:
        raise ApplicationError(
            _("The claim was already decided (%(status)s).")
            % {"status": claim.get_status_display()},
            code="expense_decided",
        )
    return claim


def expense_approve(*, claim: ExpenseClaim, actor: User) -> ExpenseClaim:
    cooperative = claim.cooperative
    with transaction.atomic():
        ledger_services.ledger_lock(cooperative=cooperative)
        claim = _locked(claim)
        if claim.member.user_id == actor.pk:
            raise ApplicationError(
                _("Your own expense claim must be approved by someone else."),
                code="four_eyes",
            )
        budget = payroll_selectors.budget_balances(member_ids=[claim.member_id]).get(
            claim.member_id, ZERO
        )
        if budget < claim.net:
            raise ApplicationError(
                _(
                    "The budget of %(member)s (%(budget)s €) does not cover the claim's net "
                    "amount of %(net)s €."
                )
                % {"member": claim.member, "budget": budget, "net": claim.net},
                code="expense_budget",
            )
        accounts = ledger_services.accounts_ensure(cooperative=cooperative)
        text = f"{claim.member} {claim.supplier}"[:120]
        ledger_services.ledger_post(
            cooperative=cooperative,
            booking_date=timezone.localdate(),
            description=(
                _("Expense: %(supplier)s, %(what)s (receipt of %(date)s)")
                % {
                    "supplier": claim.supplier,
                    "what": claim.description,
                    "date": claim.receipt_date.strftime("%d.%m.%Y"),
                }
            )[:200],
            source_type=SourceType.EXPENSE,
            source_id=str(claim.pk),
            idempotency_key=f"expense:{claim.pk}",
            actor=actor,
            lines=[
                ledger_services.Line(
                    ledger_services.account_member(member=claim.member), claim.net, text
                ),
                ledger_services.Line(accounts[AccountKind.INPUT_VAT_19], claim.vat_19, text),
                ledger_services.Line(accounts[AccountKind.INPUT_VAT_7], claim.vat_7, text),
                ledger_services.Line(accounts[AccountKind.WAGES_PAYABLE], -claim.gross, text),
            ],
        )
        claim.status = ExpenseClaim.Status.APPROVED
        claim.decided_by = actor
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "decided_by", "decided_at"])
        notifications.claim_decided(claim)
    return claim


def expense_reject(*, claim: ExpenseClaim, actor: User, reason: str) -> ExpenseClaim:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give a reason for rejecting the claim."), code="reason")
    with transaction.atomic():
        claim = _locked(claim)
        claim.status = ExpenseClaim.Status.REJECTED
        claim.reject_reason = reason
        claim.decided_by = actor
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
        notifications.claim_decided(claim)
    return claim
