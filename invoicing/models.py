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
from tenancy.models import TenantModel, track_tenant_model

MONEY = {"max_digits": 14, "decimal_places": 2}


class Client(TenantModel):
    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        CONSUMER = "consumer", _("Consumer")
        PUBLIC = "public", _("Public authority")

    kind = models.CharField(_("kind of client"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=12)
    city = models.CharField(_("city"), max_length=100)
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

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
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
        return ((self.hours or 0) * (self.hourly_rate or 0)).quantize(Decimal("0.01"))

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
