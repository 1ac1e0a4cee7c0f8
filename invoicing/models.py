"""Clients and jobs (Aufträge). Invoices follow in the same app.

A client belongs to the cooperative (the cooperative contracts and invoices in its own name);
members see the clients they created or work for. A job is one order a member performs for a
client; the client confirms it online through a tokenized link (evidence: time and IP), and staff
see staff-leasing risk indicators (§ 1 AÜG) before they approve it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.validators import validate_leitweg_id
from members.models import Member
from tenancy.models import TenantModel, cooperative_field, track_tenant_model

MONEY = {"max_digits": 14, "decimal_places": 2}


class Client(TenantModel):
    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        CONSUMER = "consumer", _("Consumer")
        PUBLIC = "public", _("Public authority")

    kind = models.CharField(_("kind of client"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    vat_id_checked_at = models.DateTimeField(_("VAT ID checked at"), null=True, blank=True)
    vat_id_check_result = models.CharField(_("VAT ID check result"), max_length=200, blank=True)
    leitweg_id = models.CharField(
        _("Leitweg-ID"), max_length=46, blank=True, validators=[validate_leitweg_id]
    )
    invoice_email = models.EmailField(_("invoice e-mail"))
    language = models.CharField(
        _("document language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    created_by = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_clients",
        verbose_name=_("created by member"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The client's personal account in the tax adviser's books, given on the first DATEV
    # export that needs it and never changed (DATEV's open items hang on it).
    debtor_number = models.PositiveIntegerField(
        _("DATEV debtor number"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "debtor_number"], name="client_debtor_number_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="public") | ~Q(leitweg_id=""), name="client_public_has_leitweg_id"
            ),
            models.CheckConstraint(
                condition=Q(payment_terms_days__lte=120), name="client_payment_terms_max"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Job(TenantModel):
    class Pricing(models.TextChoices):
        HOURLY = "hourly", _("hours × rate")
        FIXED = "fixed", _("fixed price")

    class VatCategory(models.TextChoices):
        STANDARD = "S19", _("19 % VAT")
        REDUCED = "S7", _("7 % VAT")
        REVERSE_CHARGE = "AE", _("EU business client: reverse charge")
        NOT_TAXABLE = "O", _("Not taxable in Germany (business client outside the EU)")
        EXEMPT = "E", _("Exempt from VAT")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Waiting for the client")
        CONFIRMED = "confirmed", _("Confirmed by the client")
        DECLINED = "declined", _("Declined by the client")
        APPROVED = "approved", _("Approved")
        CANCELLED = "cancelled", _("Cancelled")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("member")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("client")
    )
    title = models.CharField(_("title"), max_length=200)
    deliverable = models.TextField(_("deliverable and scope"))
    period_start = models.DateField(pgettext_lazy("period", "from"))
    period_end = models.DateField(pgettext_lazy("period", "until"), null=True, blank=True)
    place = models.CharField(_("place of performance"), max_length=200, blank=True)
    pricing = models.CharField(_("pricing"), max_length=10, choices=Pricing.choices)
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2, null=True, blank=True)
    hourly_rate = models.DecimalField(_("hourly rate (€)"), null=True, blank=True, **MONEY)
    fixed_price = models.DecimalField(_("fixed price (€)"), null=True, blank=True, **MONEY)
    vat_category = models.CharField(
        _("VAT"), max_length=3, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_reason = models.CharField(
        _("reason for reduced rate or exemption"), max_length=300, blank=True
    )
    # Staff-leasing indicators (§ 1 AÜG): the member answers, staff see the flags.
    uses_client_equipment = models.BooleanField(
        _("works with the client's equipment"), default=False
    )
    in_client_rota = models.BooleanField(
        _("is part of the client's rota or shift plan"), default=False
    )
    follows_client_instructions = models.BooleanField(
        _("takes day-to-day instructions from the client"), default=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    confirmation_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    confirmation_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    client_answered_at = models.DateTimeField(_("client answered at"), null=True, blank=True)
    client_answer_ip = models.GenericIPAddressField(
        _("client answered from IP"), null=True, blank=True
    )
    client_answer_name = models.CharField(_("answered by"), max_length=200, blank=True)
    client_decline_reason = models.TextField(_("reason given by the client"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True) | Q(period_end__gte=models.F("period_start")),
                name="job_period_order",
            ),
            models.CheckConstraint(
                condition=Q(pricing="fixed", fixed_price__gt=0)
                | Q(pricing="hourly", hourly_rate__gt=0, hours__gt=0),
                name="job_price_given",
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "status"], name="job_coop_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def planned_net(self) -> Decimal:
        if self.pricing == self.Pricing.FIXED:
            return self.fixed_price or Decimal("0.00")
        hours, rate = self.hours or Decimal(0), self.hourly_rate or Decimal(0)
        return (hours * rate).quantize(Decimal("0.01"))

    @property
    def risk_flags(self) -> list[str]:
        """Indicators of staff leasing rather than a genuine contract for work (§ 1 AÜG)."""
        flags = []
        if self.pricing == self.Pricing.HOURLY and self.period_end is None:
            flags.append(str(_("open-ended hourly work")))
        if (
            self.pricing == self.Pricing.HOURLY
            and self.period_end
            and ((self.period_end - self.period_start).days > 183)
        ):
            flags.append(str(_("hourly work for more than six months")))
        if self.uses_client_equipment:
            flags.append(str(_("client's equipment")))
        if self.in_client_rota:
            flags.append(str(_("client's rota")))
        if self.follows_client_instructions:
            flags.append(str(_("client's instructions")))
        return flags


track_tenant_model(model_name="ClientEvent")(Client)
track_tenant_model(model_name="JobEvent")(Job)


class NumberCounter(TenantModel):
    """The last number given in one number range (series) and year of a cooperative.

    Invoice numbers must be unique and consecutive (§ 14 (4) no. 4 UStG); a database sequence
    leaves gaps on rollback, so numbers come from this row, locked inside the issuing transaction:
    a rollback gives the number back (ADR 0012).
    """

    series = models.CharField(_("number range"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)
    # Each issued document's fingerprint includes the previous one's, in number order (GoBD):
    # removing or altering an issued invoice breaks the chain. The counter row is locked anyway.
    last_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("number range")
        verbose_name_plural = _("number ranges")
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "series", "year"], name="numbercounter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last_number}"


class InvoicingSettings(TenantModel):
    """Per-cooperative invoicing: the seller contact printed on e-invoices (BR-DE-2), the number
    range and the rules under which a submitted invoice is issued without a staff review."""

    number_series = models.CharField(
        _("number range prefix"),
        max_length=10,
        default="RE",
        help_text=_("Letters and digits only, e.g. RE → RE-2026-00042."),
    )
    contact_name = models.CharField(_("invoicing contact"), max_length=200)
    contact_phone = models.CharField(_("invoicing phone"), max_length=40)
    contact_email = models.EmailField(_("invoicing e-mail"))
    auto_issue = models.BooleanField(
        _("issue without staff review when all rules below hold"), default=False
    )
    auto_issue_max_gross = models.DecimalField(
        _("auto-issue only up to this gross amount (€)"), default=Decimal("1000.00"), **MONEY
    )
    auto_issue_requires_confirmed_job = models.BooleanField(
        _("auto-issue only for jobs the client confirmed online"), default=True
    )
    auto_issue_requires_known_client = models.BooleanField(
        _("auto-issue only for clients invoiced before"), default=True
    )

    class Meta:
        verbose_name = _("invoicing settings")
        verbose_name_plural = _("invoicing settings")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="invoicingsettings_one"),
            models.CheckConstraint(
                condition=Q(number_series__regex=r"^[A-Z0-9]{1,10}$"),
                name="invoicingsettings_series_format",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Invoicing settings"))


track_tenant_model(model_name="InvoicingSettingsEvent")(InvoicingSettings)


class Unit(models.TextChoices):
    """UN/ECE Recommendation 20 unit codes (EN 16931 BT-130)."""

    HOUR = "HUR", _("hour")
    DAY = "DAY", _("day")
    WEEK = "WEE", _("week")
    MONTH = "MON", _("month")
    PIECE = "C62", _("piece")
    LUMP_SUM = "LS", _("lump sum")
    KILOMETRE = "KMT", _("kilometre")
    WORD = "D68", _("word")
    PAGE = "ZP", _("page")


class VatCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNCL 5305, BT-151)."""

    STANDARD = "S", _("taxable (19 % or 7 %)")
    REVERSE_CHARGE = "AE", _("reverse charge")
    NOT_TAXABLE = "O", _("not taxable in Germany")
    EXEMPT = "E", _("exempt")


class Invoice(TenantModel):
    """An invoice, a cancellation invoice (Storno) or a partial credit note.

    Drafts and submitted invoices change; once issued the row and its lines never change again
    (GoBD, § 146 (4) AO): database triggers reject UPDATE and DELETE, whoever sends them
    (migration 0004). Everything the document shows is copied onto the row at issue, so a later
    change of the client's or the cooperative's address does not rewrite history.

    Amounts are signed: a cancellation and a credit note carry negative lines and totals, as
    printed. Their e-invoices state positive amounts under type code 381 (EN 16931 convention).
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CANCELLATION = "cancellation", _("Cancellation invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for approval")
        ISSUED = "issued", _("Issued")

    TYPE_CODES = {"invoice": "380", "cancellation": "381", "credit_note": "381"}

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("member")
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("client")
    )
    job = models.ForeignKey(
        Job,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        verbose_name=_("job"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects invoice"),
    )
    reason = models.TextField(_("reason for the correction"), blank=True)
    supply_date = models.DateField(_("date of service"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period until"), null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    buyer_reference = models.CharField(
        _("client's reference"),
        max_length=100,
        blank=True,
        help_text=_("Order number or, for public clients, the Leitweg-ID (filled in for you)."),
    )
    vat_note = models.CharField(
        _("reason for reduced rate or exemption"), max_length=300, blank=True
    )
    note = models.TextField(_("note on the invoice"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    language = models.CharField(_("document language"), max_length=8, blank=True)
    # Filled in when issued (the document's content from then on):
    series = models.CharField(_("number range"), max_length=10, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("consecutive number"), null=True, blank=True)
    number_text = models.CharField(_("invoice number"), max_length=30, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    seller = models.JSONField(_("seller at issue"), default=dict, blank=True)
    buyer = models.JSONField(_("client at issue"), default=dict, blank=True)
    member_name = models.CharField(_("performed by"), max_length=200, blank=True)
    net_total = models.DecimalField(_("net"), default=Decimal("0.00"), **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=Decimal("0.00"), **MONEY)
    gross_total = models.DecimalField(_("gross"), default=Decimal("0.00"), **MONEY)
    vat_breakdown = models.JSONField(_("VAT per rate"), default=list, blank=True)
    small_amount = models.BooleanField(_("small-amount invoice (§ 33 UStDV)"), default=False)
    rf_reference = models.CharField(_("payment reference"), max_length=25, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(_("fingerprint"), max_length=64, blank=True, editable=False)
    # Workflow:
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    returned_reason = models.TextField(_("returned by staff because"), blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    auto_issued = models.BooleanField(_("issued by an auto-approval rule"), default=False)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "series", "year", "number"],
                condition=Q(number__isnull=False),
                name="invoice_number_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued")
                | Q(
                    number__isnull=False,
                    issue_date__isnull=False,
                    due_date__isnull=False,
                    issued_at__isnull=False,
                )
                & ~Q(hash="")
                & ~Q(rf_reference=""),
                name="invoice_issued_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued")
                | Q(supply_date__isnull=False)
                | Q(period_start__isnull=False, period_end__isnull=False),
                name="invoice_issued_supply_date",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | (~Q(kind="invoice") & Q(corrects__isnull=False)),
                name="invoice_correction_refers",
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="invoice_period_order",
            ),
        ]
        indexes = [
            models.Index(fields=["cooperative", "status"], name="invoice_coop_status"),
            # A member's list, newest first (the API's ordering, ties broken by id).
            models.Index(fields=["member", "-created_at", "-id"], name="invoice_member_newest"),
            # The daily dunning run and the guarantee run look for issued invoices by due date.
            models.Index(
                fields=["cooperative", "due_date"],
                condition=Q(status="issued", kind="invoice"),
                name="invoice_issued_due",
            ),
        ]

    def __str__(self) -> str:
        return self.number_text or str(_("Draft invoice #%(id)s") % {"id": self.pk})

    @property
    def type_code(self) -> str:
        return self.TYPE_CODES[self.kind]

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED


class InvoiceLine(TenantModel):
    """A line of an invoice (with the cooperative repeated, so row-level security covers it)."""

    cooperative = cooperative_field(db_index=False)  # indexed with the invoice

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=500)
    detail = models.TextField(_("details"), blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices, default=Unit.HOUR)
    unit_price = models.DecimalField(_("unit price (€, net)"), **MONEY)
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("19.00")
    )
    net_amount = models.DecimalField(_("net amount"), default=Decimal("0.00"), **MONEY)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["position"]
        # See tenancy.models.cooperative_field: the issue check sums the lines by invoice.
        indexes = [models.Index(fields=["cooperative", "invoice"], name="invoiceline_coop_invoice")]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="invoiceline_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(vat_category="S", vat_rate__in=[Decimal("19"), Decimal("7")])
                | (~Q(vat_category="S") & Q(vat_rate=0)),
                name="invoiceline_rate_matches_category",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class InvoiceDocument(TenantModel):
    """A rendered document of an issued invoice, kept as first produced (GoBD: the e-invoice XML
    is the original). Never updated or deleted (append-only at the database)."""

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF")
        ZUGFERD = "zugferd", _("ZUGFeRD / Factur-X (PDF/A-3 with XML)")
        XRECHNUNG_CII = "xrechnung-cii", _("XRechnung (CII)")
        XRECHNUNG_UBL = "xrechnung-ubl", _("XRechnung (UBL)")

    append_only = True

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="documents", verbose_name=_("invoice")
    )
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("invoice document")
        verbose_name_plural = _("invoice documents")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "format"], name="invoicedocument_once")
        ]

    def __str__(self) -> str:
        return f"{self.invoice} ({self.format})"


class InvoiceDelivery(TenantModel):
    """One e-mail of an invoice to the client; the outbox row carries its sending status."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("invoice")
    )
    to = models.EmailField(_("to"))
    email = models.ForeignKey(
        "core.OutboundEmail",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("e-mail"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts to prepare"), default=0)
    failed_reason = models.TextField(_("could not be prepared because"), blank=True)

    MAX_ATTEMPTS = 5

    class Meta:
        verbose_name = _("invoice e-mail")
        verbose_name_plural = _("invoice e-mails")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.invoice} → {self.to}"

    @property
    def status(self) -> str:
        if self.email_id:
            return self.email.status
        return "failed" if self.attempts >= self.MAX_ATTEMPTS else "pending"


track_tenant_model(model_name="InvoiceEvent")(Invoice)
