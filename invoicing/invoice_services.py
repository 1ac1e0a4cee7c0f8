"""Writes on invoices: drafts, submission, approval and issuing, cancellation and credit notes.

Issuing is one database transaction: the number is drawn from the locked counter row, the
document's content is copied onto the row, fingerprinted into the hash chain, posted to the
ledger and only then marked issued — a rollback anywhere gives the number back (R5). From then
on the row cannot change (migration 0004); corrections are new documents that refer to it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import update_rows
from core.exceptions import ApplicationError
from core.references import rf_reference
from invoicing import notifications, vat
from invoicing.models import (
    Client,
    Invoice,
    InvoiceLine,
    InvoicingSettings,
    Job,
    Unit,
    VatCategory,
)
from invoicing.numbering import counter_next, number_format
from invoicing.services import EU
from ledger import services as ledger_services
from ledger.models import Transaction
from members.models import Member
from tenancy.models import Cooperative, User
from webhooks import events as webhook_events

MAX_LINES = 200
JOB_VAT = {
    Job.VatCategory.STANDARD: (VatCategory.STANDARD, Decimal("19")),
    Job.VatCategory.REDUCED: (VatCategory.STANDARD, Decimal("7")),
    Job.VatCategory.REVERSE_CHARGE: (VatCategory.REVERSE_CHARGE, Decimal("0")),
    Job.VatCategory.NOT_TAXABLE: (VatCategory.NOT_TAXABLE, Decimal("0")),
    Job.VatCategory.EXEMPT: (VatCategory.EXEMPT, Decimal("0")),
}
INVOICE_FIELDS = (
    "client",
    "job",
    "supply_date",
    "period_start",
    "period_end",
    "payment_terms_days",
    "buyer_reference",
    "vat_note",
    "note",
)


@dataclass(frozen=True)
class LineValues:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    detail: str = ""


def _error(message: str, code: str, field: str | None = None) -> ApplicationError:
    return ApplicationError(message, code=code, extra={field: [message]} if field else {})


def invoicing_settings(*, cooperative: Cooperative) -> InvoicingSettings:
    found = InvoicingSettings.objects.filter(cooperative=cooperative).first()
    if found is not None:
        return found
    return InvoicingSettings(
        cooperative=cooperative,
        contact_name=cooperative.legal_name,
        contact_phone="",
        contact_email="",
    )


# --- Drafts ----------------------------------------------------------------------------------


def _decimal(value, field: str, position: int) -> Decimal:
    try:
        result = Decimal(str(value).replace(",", ".")) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise _error(
            _("Line %(n)d: “%(value)s” is not a number.") % {"n": position, "value": value},
            "invalid_number",
            field,
        ) from exc
    if not result.is_finite():
        raise _error(_("Line %(n)d: this is not a number.") % {"n": position}, "invalid_number")
    return result


def _check_line(values: LineValues, position: int) -> LineValues:
    description = (values.description or "").strip()
    if not description:
        raise _error(
            _("Line %(n)d needs a description.") % {"n": position}, "line_description", "lines"
        )
    quantity = _decimal(values.quantity, "lines", position)
    price = _decimal(values.unit_price, "lines", position)
    rate = _decimal(values.vat_rate, "lines", position)
    if quantity <= 0:
        raise _error(
            _(
                "Line %(n)d: the quantity must be more than zero. To correct an issued invoice, "
                "staff issue a credit note."
            )
            % {"n": position},
            "quantity_not_positive",
            "lines",
        )
    if quantity != quantity.quantize(Decimal("0.001")) or quantity >= Decimal("1000000"):
        raise _error(
            _("Line %(n)d: give the quantity with at most three decimals.") % {"n": position},
            "quantity_precision",
            "lines",
        )
    if price < 0:
        raise _error(
            _("Line %(n)d: the unit price cannot be negative.") % {"n": position},
            "price_negative",
            "lines",
        )
    if price != price.quantize(Decimal("0.01")) or price >= Decimal("1000000000"):
        raise _error(
            _("Line %(n)d: give the unit price in euros and cents.") % {"n": position},
            "price_precision",
            "lines",
        )
    if values.unit not in Unit.values:
        raise _error(_("Line %(n)d: unknown unit.") % {"n": position}, "unit", "lines")
    if values.vat_category not in VatCategory.values:
        raise _error(
            _("Line %(n)d: unknown VAT category.") % {"n": position}, "vat_category", "lines"
        )
    if values.vat_category == VatCategory.STANDARD and rate not in vat.RATES:
        raise _error(
            _("Line %(n)d: the VAT rate is 19 %% or 7 %%.") % {"n": position}, "vat_rate", "lines"
        )
    if values.vat_category != VatCategory.STANDARD:
        rate = Decimal("0")
    return LineValues(
        description=description[:500],
        detail=(values.detail or "").strip(),
        quantity=quantity,
        unit=values.unit,
        unit_price=price,
        vat_category=values.vat_category,
        vat_rate=rate,
    )


def _check_vat_against_client(client: Client, lines: list[LineValues], vat_note: str) -> None:
    categories = {line.vat_category for line in lines}
    if VatCategory.REVERSE_CHARGE in categories and not (
        client.kind == Client.Kind.BUSINESS
        and client.country in EU
        and client.country != "DE"
        and client.vat_id
    ):
        raise _error(
            _("Reverse charge needs a business client in another EU country with a VAT ID."),
            "vat_category",
            "lines",
        )
    if VatCategory.NOT_TAXABLE in categories and not (
        client.kind != Client.Kind.CONSUMER and client.country not in EU
    ):
        raise _error(
            _("“Not taxable” is for business clients outside the EU."), "vat_category", "lines"
        )
    needs_reason = VatCategory.EXEMPT in categories or any(
        line.vat_category == VatCategory.STANDARD and line.vat_rate == 7 for line in lines
    )
    if needs_reason and not vat_note.strip():
        raise _error(
            _(
                "Give the reason for the reduced rate or the legal basis of the exemption "
                "(e.g. § 12 (2) no. 7 UStG or § 4 no. 21 UStG)."
            ),
            "vat_note_required",
            "vat_note",
        )
    if len(categories) > 1 and categories & {VatCategory.REVERSE_CHARGE, VatCategory.NOT_TAXABLE}:
        raise _error(
            _("Cross-border lines cannot be mixed with other VAT categories on one invoice."),
            "vat_mixed",
            "lines",
        )


def _totals(lines: list[LineValues]) -> vat.Totals:
    return vat.compute(
        [
            vat.LineInput(
                quantity=line.quantity,
                unit_price=line.unit_price,
                category=line.vat_category,
                rate=line.vat_rate,
            )
            for line in lines
        ]
    )


def _apply_totals(invoice: Invoice, totals: vat.Totals) -> None:
    invoice.net_total, invoice.vat_total = totals.net, totals.vat
    invoice.gross_total = totals.gross
    invoice.small_amount = invoice.kind == Invoice.Kind.INVOICE and totals.is_small_amount
    invoice.vat_breakdown = [
        {
            "category": g.category,
            "rate": str(g.rate),
            "net": str(g.net),
            "vat": str(g.vat),
        }
        for g in totals.groups
    ]


def invoice_save_draft(
    *,
    invoice: Invoice | None,
    member: Member,
    values: dict,
    lines: list[LineValues],
) -> Invoice:
    """Create or change a draft (or an invoice staff returned). The totals are worked out as
    they will be issued, so the member sees the real amounts."""
    unknown = set(values) - set(INVOICE_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed."), code="not_editable")
    if invoice is not None and invoice.status != Invoice.Status.DRAFT:
        raise _error(
            _("Only drafts can be changed. This invoice has been submitted or issued."),
            "not_draft",
        )
    if not lines:
        raise _error(_("An invoice needs at least one line."), "no_lines", "lines")
    if len(lines) > MAX_LINES:
        raise _error(
            _("An invoice can have at most %(n)d lines.") % {"n": MAX_LINES}, "too_many_lines"
        )
    checked = [_check_line(line, n) for n, line in enumerate(lines, start=1)]
    invoice = invoice or Invoice(member=member, kind=Invoice.Kind.INVOICE)
    for field, value in values.items():
        setattr(invoice, field, value.strip() if isinstance(value, str) else value)
    client = invoice.client
    if invoice.job_id and (
        invoice.job.client_id != client.pk or invoice.job.member_id != member.pk
    ):
        raise _error(_("The job belongs to another client or member."), "job_mismatch", "job")
    if invoice.job_id and invoice.job.status in (Job.Status.DECLINED, Job.Status.CANCELLED):
        raise _error(_("This job was declined or cancelled."), "job_closed", "job")
    if invoice.period_start and invoice.period_end and invoice.period_end < invoice.period_start:
        raise _error(_("The service period ends before it starts."), "period_order", "period_end")
    if client.kind == Client.Kind.PUBLIC:
        invoice.buyer_reference = client.leitweg_id  # XRechnung BT-10 routes the e-invoice
    if invoice.payment_terms_days is None or invoice.payment_terms_days > 120:
        raise _error(
            _("Payment terms are at most 120 days."), "payment_terms", "payment_terms_days"
        )
    _check_vat_against_client(client, checked, invoice.vat_note)
    _apply_totals(invoice, _totals(checked))
    invoice.language = client.language
    invoice.returned_reason = invoice.returned_reason if invoice.pk else ""
    with transaction.atomic():
        invoice.save()
        InvoiceLine.objects.filter(invoice=invoice).delete()
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    cooperative_id=invoice.cooperative_id,
                    invoice=invoice,
                    position=n,
                    description=line.description,
                    detail=line.detail,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    vat_category=line.vat_category,
                    vat_rate=line.vat_rate,
                    net_amount=net,
                )
                for n, (line, net) in enumerate(
                    zip(checked, _totals(checked).line_nets, strict=True), start=1
                )
            ]
        )
    return invoice


def invoice_draft_from_job(*, job: Job, member: Member) -> Invoice:
    """A draft with one line for the job's agreed price, its period and VAT category."""
    if job.member_id != member.pk:
        raise _error(_("This is another member's job."), "job_mismatch")
    if job.status not in (Job.Status.CONFIRMED, Job.Status.APPROVED, Job.Status.DRAFT):
        raise _error(
            _("Invoices can be written for draft, confirmed or approved jobs."), "job_closed"
        )
    category, rate = JOB_VAT[job.vat_category]
    if job.pricing == Job.Pricing.HOURLY:
        line = LineValues(
            description=job.title,
            detail=job.deliverable,
            quantity=job.hours,
            unit=Unit.HOUR,
            unit_price=job.hourly_rate,
            vat_category=category,
            vat_rate=rate,
        )
    else:
        line = LineValues(
            description=job.title,
            detail=job.deliverable,
            quantity=Decimal("1"),
            unit=Unit.LUMP_SUM,
            unit_price=job.fixed_price,
            vat_category=category,
            vat_rate=rate,
        )
    single_day = job.period_end is None or job.period_end == job.period_start
    values = {
        "client": job.client,
        "job": job,
        "supply_date": job.period_start if single_day else None,
        "period_start": None if single_day else job.period_start,
        "period_end": None if single_day else job.period_end,
        "payment_terms_days": job.client.payment_terms_days,
        "buyer_reference": "",
        "vat_note": job.vat_reason,
        "note": "",
    }
    return invoice_save_draft(invoice=None, member=member, values=values, lines=[line])


def invoice_delete_draft(*, invoice: Invoice) -> None:
    if invoice.status != Invoice.Status.DRAFT:
        raise _error(_("Only drafts can be deleted."), "not_draft")
    invoice.delete()


def _check_complete(invoice: Invoice, *, lines_checked_later: bool = False) -> None:
    """What § 14 (4) UStG needs before a number is given."""
    if not (invoice.supply_date or (invoice.period_start and invoice.period_end)):
        raise _error(
            _("Give the date of the service or its period (§ 14 (4) no. 6 UStG)."),
            "supply_date_required",
            "supply_date",
        )
    client = invoice.client
    if not invoice.small_amount and not (client.street and client.postal_code and client.city):
        raise _error(
            _(
                "Invoices over 250 € need the client's full address (§ 14 (4) no. 1 UStG). "
                "Please complete the client first."
            ),
            "buyer_address_required",
            "client",
        )
    if not lines_checked_later and not invoice.lines.exists():
        raise _error(_("An invoice needs at least one line."), "no_lines", "lines")


def _check_seller(
    cooperative: Cooperative, categories: set[str] = frozenset()
) -> InvoicingSettings:
    """What the cooperative must have set up before it can issue (§ 14 (4) no. 2 UStG, BR-DE-2)."""
    if VatCategory.REVERSE_CHARGE in categories and not cooperative.vat_id:
        # § 14a (1) UStG: a reverse-charge invoice states both VAT IDs (BR-AE-02).
        raise _error(
            _(
                "Reverse-charge invoices need the cooperative's VAT ID; staff enter it in the "
                "administration first."
            ),
            "seller_vat_id_missing",
        )
    if not (cooperative.vat_id or cooperative.tax_number):
        raise _error(
            _(
                "The cooperative's VAT ID or tax number is missing; staff enter it in the "
                "administration before invoices can be issued."
            ),
            "seller_tax_id_missing",
        )
    if not (cooperative.register_court and cooperative.register_number):
        # § 25a GenG: a cooperative's business letters, invoices included, name its register.
        raise _error(
            _(
                "The cooperative's register court and number are missing; staff enter them in "
                "the administration before invoices can be issued."
            ),
            "seller_register_missing",
        )
    rules = invoicing_settings(cooperative=cooperative)
    if not (rules.pk and rules.contact_name and rules.contact_phone and rules.contact_email):
        raise _error(
            _(
                "The cooperative's invoicing contact (name, phone, e-mail) is missing; staff "
                "enter it under invoicing settings before invoices can be issued."
            ),
            "seller_contact_missing",
        )
    return rules


def _auto_issue_allowed(invoice: Invoice, rules: InvoicingSettings) -> bool:
    if not rules.pk or not rules.auto_issue or invoice.gross_total > rules.auto_issue_max_gross:
        return False
    try:
        _check_seller(invoice.cooperative)
    except ApplicationError:
        return False  # staff complete the set-up and approve it by hand
    if rules.auto_issue_requires_confirmed_job and not (
        invoice.job_id and invoice.job.status in (Job.Status.CONFIRMED, Job.Status.APPROVED)
    ):
        return False
    known = Invoice.objects.filter(client=invoice.client, status=Invoice.Status.ISSUED)
    return not rules.auto_issue_requires_known_client or known.exists()


def invoice_submit(*, invoice: Invoice, actor: User) -> Invoice:
    """The member hands the draft in; it is issued at once when the cooperative's
    auto-approval rules all hold, otherwise it waits in the staff queue."""
    if invoice.status != Invoice.Status.DRAFT:
        raise _error(_("Only drafts can be submitted."), "not_draft")
    _check_complete(invoice)
    with transaction.atomic():
        invoice.status = Invoice.Status.SUBMITTED
        invoice.submitted_at = timezone.now()
        invoice.returned_reason = ""
        invoice.save(update_fields=["status", "submitted_at", "returned_reason"])
        if _auto_issue_allowed(invoice, invoicing_settings(cooperative=invoice.cooperative)):
            try:
                return invoice_issue(invoice=invoice, actor=None, auto=True)
            except ApplicationError:
                pass  # e.g. a locked month: it waits for staff, who see the reason on issuing
    return invoice


def invoice_return(*, invoice: Invoice, actor: User, reason: str) -> Invoice:
    """Staff send a submitted invoice back to the member as a draft, saying why."""
    reason = (reason or "").strip()
    if not reason:
        raise _error(_("Please give a reason."), "reason_required", "reason")
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("member__user", "client", "cooperative")
            .get(pk=invoice.pk)
        )
        if invoice.status != Invoice.Status.SUBMITTED:
            raise _error(_("Only submitted invoices can be returned."), "not_submitted")
        invoice.status = Invoice.Status.DRAFT
        invoice.returned_reason = reason
        invoice.save(update_fields=["status", "returned_reason"])
        notifications.invoice_returned(invoice)
    return invoice


# --- Issuing ---------------------------------------------------------------------------------


def _party_seller(cooperative: Cooperative, rules: InvoicingSettings) -> dict:
    register = " ".join(p for p in (cooperative.register_court, cooperative.register_number) if p)
    return {
        "name": cooperative.legal_name,
        "street": cooperative.street,
        "postal_code": cooperative.postal_code,
        "city": cooperative.city,
        "country": cooperative.country,
        "vat_id": cooperative.vat_id,
        "tax_number": cooperative.tax_number,
        "register": register,
        "iban": cooperative.iban,
        "bic": cooperative.bic,
        "contact_name": rules.contact_name,
        "contact_phone": rules.contact_phone,
        "contact_email": rules.contact_email,
    }


def _party_buyer(client: Client) -> dict:
    return {
        "kind": client.kind,
        "name": client.name,
        "contact_person": client.contact_person,
        "street": client.street,
        "postal_code": client.postal_code,
        "city": client.city,
        "country": client.country,
        "vat_id": client.vat_id,
        "leitweg_id": client.leitweg_id,
        "email": client.invoice_email,
    }


def fingerprint(*, invoice: Invoice, lines: list[InvoiceLine], previous_hash: str) -> str:
    """SHA-256 over the previous fingerprint and the document's content, canonical JSON."""
    content = {
        "previous": previous_hash,
        "cooperative": invoice.cooperative_id,
        "number": invoice.number_text,
        "kind": invoice.kind,
        "corrects": invoice.corrects.number_text if invoice.corrects_id else "",
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "supply": [
            str(d) if d else ""
            for d in (invoice.supply_date, invoice.period_start, invoice.period_end)
        ],
        "seller": invoice.seller,
        "buyer": invoice.buyer,
        "member": invoice.member_name,
        "totals": [str(invoice.net_total), str(invoice.vat_total), str(invoice.gross_total)],
        "vat": invoice.vat_breakdown,
        "rf": invoice.rf_reference,
        "texts": [
            invoice.note,
            invoice.vat_note,
            invoice.reason,
            invoice.buyer_reference,
            invoice.currency,
            invoice.payment_terms_days,
            invoice.small_amount,
        ],
        "lines": [
            [
                line.position,
                line.description,
                line.detail,
                str(line.quantity),
                line.unit,
                str(line.unit_price),
                line.vat_category,
                str(line.vat_rate),
                str(line.net_amount),
            ]
            for line in lines
        ],
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _checked(
    invoice: Invoice, lines: list[InvoiceLine], seen: dict | None = None
) -> InvoicingSettings:
    """Everything that must hold before a number is given (no writes); totals applied.
    `seen` keeps the seller checks' results for a batch (one per set of VAT categories)."""
    cooperative = invoice.cooperative
    if not lines:
        raise _error(_("An invoice needs at least one line."), "no_lines", "lines")
    categories = frozenset(line.vat_category for line in lines)
    if seen is not None and categories in seen:
        rules = seen[categories]
    else:
        rules = _check_seller(cooperative, set(categories))
        if seen is not None:
            seen[categories] = rules
    if invoice.kind == Invoice.Kind.INVOICE:
        # The client may have changed since the draft (country, kind, VAT ID): check again
        # against what is copied onto the document now.
        _check_vat_against_client(
            invoice.client,
            [
                LineValues(
                    description=line.description,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    vat_category=line.vat_category,
                    vat_rate=line.vat_rate,
                )
                for line in lines
            ],
            invoice.vat_note,
        )
    totals = vat.compute(
        [
            vat.LineInput(
                quantity=line.quantity,
                unit_price=line.unit_price,
                category=line.vat_category,
                rate=line.vat_rate,
            )
            for line in lines
        ]
    )
    for line, net in zip(lines, totals.line_nets, strict=True):
        if line.net_amount != net:
            raise ApplicationError(_("The invoice lines changed; please check them."), code="stale")
    _apply_totals(invoice, totals)
    return rules


ISSUED_FIELDS = [
    "series",
    "year",
    "number",
    "number_text",
    "issue_date",
    "due_date",
    "seller",
    "buyer",
    "member_name",
    "language",
    "rf_reference",
    "previous_hash",
    "hash",
    "status",
    "issued_at",
    "issued_by",
    "auto_issued",
    "net_total",
    "vat_total",
    "gross_total",
    "small_amount",
    "vat_breakdown",
]


def _number(
    ready: list[tuple[Invoice, list[InvoiceLine], InvoicingSettings]],
    actor: User | None,
    *,
    auto: bool,
    today: date,
) -> list[Invoice]:
    """Consecutive numbers from each range's locked counter, content copied onto the rows,
    fingerprints chained; one UPDATE per batch of rows. Inside the caller's transaction."""
    counters = {}
    issued_at = timezone.now()
    for invoice, lines, rules in ready:
        series = rules.number_series
        if series in counters:
            counter = counters[series]
            counter.last_number += 1
        else:
            counter = counters[series] = counter_next(
                cooperative=invoice.cooperative, series=series, year=today.year
            )
        number = counter.last_number
        invoice.series, invoice.year, invoice.number = series, today.year, number
        invoice.number_text = number_format(series=series, year=today.year, number=number)
        invoice.issue_date = today
        invoice.due_date = today + timedelta(days=invoice.payment_terms_days)
        invoice.seller = _party_seller(invoice.cooperative, rules)
        invoice.buyer = _party_buyer(invoice.client)
        invoice.member_name = invoice.member.full_name
        invoice.language = invoice.client.language
        # The RF reference carries the invoice number, so a payer who types it gives us both.
        invoice.rf_reference = rf_reference(f"{series}{today.year}{number:05d}")
        invoice.previous_hash = counter.last_hash
        invoice.hash = counter.last_hash = fingerprint(
            invoice=invoice, lines=lines, previous_hash=counter.last_hash
        )
        invoice.status = Invoice.Status.ISSUED
        invoice.issued_at = issued_at
        invoice.issued_by = actor
        invoice.auto_issued = auto
    for counter in counters.values():
        counter.save(update_fields=["last_number", "last_hash"])
    invoices = [invoice for invoice, _lines, _rules in ready]
    if len(invoices) == 1:
        invoices[0].save()
    else:
        update_rows(invoices, ISSUED_FIELDS)
    webhook_events.invoices_issued(invoices)
    return invoices


def _issue(invoice: Invoice, actor: User | None, *, auto: bool, today: date) -> Invoice:
    """Number, content, fingerprint and status of one document (a correction), inside the
    caller's transaction."""
    lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))
    rules = _checked(invoice, lines)
    return _number([(invoice, lines, rules)], actor, auto=auto, today=today)[0]


def _schedule_delivery(invoice: Invoice, actor: User | None) -> None:
    from invoicing import tasks

    tasks.enqueue_invoice_delivery(invoice=invoice, requested_by=actor)


@dataclass
class IssueResult:
    issued: list[Invoice]
    refused: list[tuple[Invoice, ApplicationError]]


def invoices_issue(
    *, invoices: list[Invoice], actor: User | None, auto: bool = False, on: date | None = None
) -> IssueResult:
    """Approve and issue submitted invoices of the current cooperative in one transaction:
    numbers without gaps in the order they were submitted, the ledger, then the e-mails after
    commit. An invoice that cannot be issued is returned with its reason and the others are
    issued; one that is not found (another cooperative's) is left out.

    `on` back-dates the issue for taking over invoices written elsewhere (and the demo data);
    never into the future, and never before the range's last invoice (numbers follow dates)."""
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise _error(_("An invoice cannot be issued in the future."), "issue_date")
    with transaction.atomic():
        locked = list(
            Invoice.objects.select_for_update(of=("self",))
            .select_related("client", "member__user", "job", "cooperative")
            .filter(pk__in=[invoice.pk for invoice in invoices])
            .order_by("submitted_at", "pk")
        )
        if not locked:
            return IssueResult([], [])
        later = Invoice.objects.filter(
            status=Invoice.Status.ISSUED, year=on.year, issue_date__gt=on
        ).exists()
        if later:
            raise _error(
                _("Invoices with a later date exist; numbers must follow the dates."),
                "issue_date",
            )
        lines: dict[int, list[InvoiceLine]] = {invoice.pk: [] for invoice in locked}
        for line in InvoiceLine.objects.filter(invoice__in=locked).order_by("invoice", "position"):
            lines[line.invoice_id].append(line)
        ready, refused, seen = [], [], {}
        for invoice in locked:
            invoice.member.cooperative = invoice.cooperative
            try:
                if invoice.status != Invoice.Status.SUBMITTED:
                    raise _error(_("Only submitted invoices can be issued."), "not_submitted")
                if actor is not None and invoice.member.user_id == actor.pk:
                    # Four eyes: staff who are members too do not approve their own invoices.
                    raise _error(
                        _("Another member of staff must approve your own invoice."), "own_invoice"
                    )
                _check_complete(invoice, lines_checked_later=True)
                rules = _checked(invoice, lines[invoice.pk], seen)
                ready.append((invoice, lines[invoice.pk], rules))
            except ApplicationError as exc:
                refused.append((invoice, exc))
        issued = _number(ready, actor, auto=auto, today=on) if ready else []
        ledger_services.revenue_post_issue_many(
            items=[
                ledger_services.IssuedRevenue(
                    member=invoice.member,
                    invoice_id=str(invoice.pk),
                    invoice_number=invoice.number_text,
                    net=invoice.net_total,
                    vat_by_rate=_vat_by_rate(invoice),
                    booking_date=invoice.issue_date,
                )
                for invoice in issued
            ],
            actor=actor,
        )
        notifications.invoices_issued(issued)
        from invoicing import tasks

        tasks.enqueue_invoice_deliveries(invoices=issued, requested_by=actor)
    return IssueResult(issued, refused)


def invoice_issue(
    *, invoice: Invoice, actor: User | None, auto: bool = False, on: date | None = None
) -> Invoice:
    """Approve and issue one submitted invoice (see `invoices_issue`)."""
    result = invoices_issue(invoices=[invoice], actor=actor, auto=auto, on=on)
    if result.refused:
        raise result.refused[0][1]
    if not result.issued:
        raise Invoice.DoesNotExist("Invoice matching query does not exist.")
    return result.issued[0]


def _vat_by_rate(invoice: Invoice) -> dict[Decimal, Decimal]:
    result: dict[Decimal, Decimal] = {}
    for group in invoice.vat_breakdown:
        if group["category"] == VatCategory.STANDARD:
            rate = Decimal(group["rate"])
            result[rate] = result.get(rate, Decimal("0.00")) + Decimal(group["vat"])
    return result


# --- Corrections -----------------------------------------------------------------------------


def credited_so_far(*, invoice: Invoice) -> Decimal:
    """The gross already credited on an invoice by credit notes and cancellations (≤ 0)."""
    total = Invoice.objects.filter(corrects=invoice, status=Invoice.Status.ISSUED).aggregate(
        total=Sum("gross_total")
    )["total"]
    return total or Decimal("0.00")


def _net_left_per_rate(original: Invoice) -> dict[tuple[str, Decimal], Decimal]:
    """Net still creditable per (category, rate): § 17 UStG corrects the VAT of each rate."""
    left: dict[tuple[str, Decimal], Decimal] = {}
    documents = [original, *Invoice.objects.filter(corrects=original, status=Invoice.Status.ISSUED)]
    for document in documents:
        for group in document.vat_breakdown:
            key = (group["category"], Decimal(group["rate"]))
            left[key] = left.get(key, Decimal("0.00")) + Decimal(group["net"])
    return left


def _correction(original: Invoice, kind: str, reason: str, lines: list[LineValues]) -> Invoice:
    correction = Invoice(
        cooperative_id=original.cooperative_id,
        member=original.member,
        client=original.client,
        job=original.job,
        kind=kind,
        status=Invoice.Status.SUBMITTED,
        corrects=original,
        reason=reason,
        supply_date=original.supply_date,
        period_start=original.period_start,
        period_end=original.period_end,
        payment_terms_days=0,
        buyer_reference=original.buyer_reference,
        vat_note=original.vat_note,
        language=original.language,
        submitted_at=timezone.now(),
    )
    negated = [
        vat.LineInput(
            quantity=-line.quantity,
            unit_price=line.unit_price,
            category=line.vat_category,
            rate=line.vat_rate,
        )
        for line in lines
    ]
    totals = vat.compute(negated)
    _apply_totals(correction, totals)
    correction.save()
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                cooperative_id=original.cooperative_id,
                invoice=correction,
                position=n,
                description=line.description,
                detail=line.detail,
                quantity=-line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                net_amount=net,
            )
            for n, (line, net) in enumerate(zip(lines, totals.line_nets, strict=True), start=1)
        ]
    )
    return correction


def _lock_original(invoice: Invoice) -> Invoice:
    original = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("client", "member", "cooperative")
        .get(pk=invoice.pk)
    )
    if original.status != Invoice.Status.ISSUED or original.kind != Invoice.Kind.INVOICE:
        raise _error(_("Only issued invoices can be corrected."), "not_issued")
    if Invoice.objects.filter(corrects=original, kind=Invoice.Kind.CANCELLATION).exists():
        raise _error(_("This invoice has already been cancelled."), "cancelled")
    return original


def invoice_cancel(*, invoice: Invoice, actor: User, reason: str) -> Invoice:
    """Storno: a cancellation invoice with its own number, the original's lines negated,
    referring to the original (type 381 with BG-3); the ledger posting is reversed (T7)."""
    reason = (reason or "").strip()
    if not reason:
        raise _error(_("Please give a reason."), "reason_required", "reason")
    with transaction.atomic():
        original = _lock_original(invoice)
        if Invoice.objects.filter(corrects=original, kind=Invoice.Kind.CREDIT_NOTE).exists():
            raise _error(
                _(
                    "This invoice already has a credit note; credit the rest with another "
                    "credit note instead of cancelling it."
                ),
                "has_credit_note",
            )
        lines = [
            LineValues(
                description=line.description,
                detail=line.detail,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
            )
            for line in original.lines.all()
        ]
        correction = _correction(original, Invoice.Kind.CANCELLATION, reason, lines)
        issued = _issue(correction, actor, auto=False, today=timezone.localdate())
        posting = Transaction.objects.filter(idempotency_key=f"invoice-issue:{original.pk}").first()
        if posting is None:
            raise _error(_("The ledger posting of this invoice is missing."), "no_posting")
        ledger_services.ledger_reverse(
            transaction_to_reverse=posting,
            actor=actor,
            reason=_("Cancellation invoice %(number)s") % {"number": issued.number_text},
            booking_date=issued.issue_date,
            correcting_document=True,
        )
        _schedule_delivery(issued, actor)
    return issued


def invoice_credit_note(
    *, invoice: Invoice, actor: User, reason: str, lines: list[LineValues]
) -> Invoice:
    """A partial correction: the credited lines (positive quantities as entered, stored
    negative), at most what is left of the original's gross."""
    reason = (reason or "").strip()
    if not reason:
        raise _error(_("Please give a reason."), "reason_required", "reason")
    if not lines:
        raise _error(_("A credit note needs at least one line."), "no_lines", "lines")
    checked = [_check_line(line, n) for n, line in enumerate(lines, start=1)]
    with transaction.atomic():
        original = _lock_original(invoice)
        allowed = {(line.vat_category, line.vat_rate) for line in original.lines.all()}
        if any((line.vat_category, line.vat_rate) not in allowed for line in checked):
            raise _error(
                _("A credit note can only use the VAT rates of the original invoice."),
                "vat_category",
                "lines",
            )
        credit = _totals(checked)
        left = original.gross_total + credited_so_far(invoice=original)
        net_left = _net_left_per_rate(original)
        for group in credit.groups:
            available = net_left.get((group.category, group.rate), Decimal("0.00"))
            if group.net > available:
                raise _error(
                    _("The credit note exceeds what is left at %(rate)s %% VAT (%(left)s € net).")
                    % {"rate": group.rate, "left": available},
                    "credit_too_high",
                    "lines",
                )
        if credit.gross > left:
            raise _error(
                _("The credit note exceeds what is left of the invoice (%(left)s €).")
                % {"left": left},
                "credit_too_high",
                "lines",
            )
        correction = _correction(original, Invoice.Kind.CREDIT_NOTE, reason, checked)
        issued = _issue(correction, actor, auto=False, today=timezone.localdate())
        ledger_services.revenue_post_credit_note(
            member=issued.member,
            invoice_id=str(issued.pk),
            original_invoice_id=str(original.pk),
            invoice_number=issued.number_text,
            net=-issued.net_total,
            vat_by_rate={rate: -amount for rate, amount in _vat_by_rate(issued).items()},
            booking_date=issued.issue_date,
            actor=actor,
        )
        _schedule_delivery(issued, actor)
    return issued
