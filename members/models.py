"""Members: from the online application to the member register (GenG § 30).

A `Member` row is created by the application and moves through a lifecycle enforced by the
database (PostgreSQL trigger on allowed transitions, check constraints everywhere):

    applicant ─► approved ─► active ◄─► suspended
        │           │          │            │
        └► rejected ◄┘          └──► left ◄──┘

Entering the register (`active`) needs approval and the paid shares; the member number and entry
date are assigned then. Leaving takes effect at the end of a financial year (§ 65 GenG); the
share repayment falls due after it (§ 73 GenG). Every transition writes a `MemberStatusChange`
with actor and reason, besides the trigger-based audit trail.
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.validators import (
    validate_iban_schwifty,
    validate_social_insurance_number,
    validate_tax_id,
)
from tenancy.models import TenantModel, track_tenant_model

MONEY = {"max_digits": 14, "decimal_places": 2}


class EligibilityRules(TenantModel):
    """What a cooperative requires of applicants; staff edit it in the admin."""

    share_price = models.DecimalField(
        _("price of one share (€)"), default=Decimal("50.00"), **MONEY
    )
    minimum_shares = models.PositiveSmallIntegerField(_("minimum number of shares"), default=1)
    minimum_monthly_order_volume = models.DecimalField(
        _("minimum expected net orders per month (€)"), default=Decimal("695.00"), **MONEY
    )
    excluded_activities = models.TextField(
        _("excluded or regulated activities"),
        blank=True,
        help_text=_(
            "One per line; an application whose profession or activity mentions one fails."
        ),
    )
    residence_countries = models.CharField(
        _("countries of residence accepted"),
        max_length=200,
        default="DE",
        help_text=_("ISO country codes, separated by commas."),
    )
    require_work_permit = models.BooleanField(
        _("non-EU/EEA citizens need a valid residence and work permit"), default=True
    )
    permit_minimum_days_valid = models.PositiveSmallIntegerField(
        _("permit must be valid for at least (days)"), default=90
    )
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), default=18)
    permit_warning_days = models.PositiveSmallIntegerField(
        _("warn before a permit expires (days)"), default=60
    )
    rejected_retention_days = models.PositiveSmallIntegerField(
        _("anonymise rejected applications after (days)"), default=180
    )

    class Meta:
        verbose_name = _("eligibility rules")
        verbose_name_plural = _("eligibility rules")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="eligibilityrules_one_per_coop"),
            models.CheckConstraint(condition=Q(share_price__gt=0), name="share_price_positive"),
            models.CheckConstraint(condition=Q(minimum_shares__gte=1), name="minimum_shares_ge_1"),
        ]

    def __str__(self) -> str:
        return str(_("Eligibility rules"))

    @property
    def excluded_activity_list(self) -> list[str]:
        return [line.strip() for line in self.excluded_activities.splitlines() if line.strip()]

    @property
    def residence_country_list(self) -> list[str]:
        return [c.strip().upper() for c in self.residence_countries.split(",") if c.strip()]


class Member(TenantModel):
    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        APPROVED = "approved", _("Approved, shares unpaid")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        LEFT = "left", _("Left")
        REJECTED = "rejected", _("Rejected")

    # The lifecycle; the PostgreSQL trigger below and services.member_transition both use it.
    TRANSITIONS = {
        Status.APPLICANT: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: {Status.ACTIVE, Status.REJECTED},
        Status.ACTIVE: {Status.SUSPENDED, Status.LEFT},
        Status.SUSPENDED: {Status.ACTIVE, Status.LEFT},
        Status.LEFT: set(),
        Status.REJECTED: set(),
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    member_number = models.PositiveIntegerField(_("member number"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.APPLICANT
    )
    # Personal data
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country of residence"), max_length=2, default="DE")
    nationality = models.CharField(_("nationality"), max_length=2, default="DE")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    languages = models.CharField(_("languages spoken"), max_length=200, blank=True)
    # Permit
    permit_type = models.CharField(_("residence and work permit"), max_length=100, blank=True)
    permit_expires_on = models.DateField(_("permit valid until"), null=True, blank=True)
    permit_warning_sent_for = models.DateField(null=True, blank=True, editable=False)
    # Activity
    profession = models.CharField(_("profession"), max_length=200, blank=True)
    activity_description = models.TextField(_("description of the activity"), blank=True)
    expected_monthly_volume = models.DecimalField(
        _("expected net orders per month (€)"), null=True, blank=True, **MONEY
    )
    # Consents and the signed membership declaration (Beitrittserklärung)
    statutes_accepted_at = models.DateTimeField(_("statutes accepted at"), null=True, blank=True)
    privacy_accepted_at = models.DateTimeField(
        _("privacy notice accepted at"), null=True, blank=True
    )
    declaration_text = models.TextField(_("membership declaration as shown"), blank=True)
    declaration_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    declaration_signed_at = models.DateTimeField(_("declaration signed at"), null=True, blank=True)
    declaration_signed_ip = models.GenericIPAddressField(_("signed from IP"), null=True, blank=True)
    # Eligibility as evaluated automatically: [{"rule", "passed", "reason"}]
    eligibility = models.JSONField(_("eligibility check"), default=list, blank=True)
    eligibility_passed = models.BooleanField(_("eligible"), default=False)
    eligibility_checked_at = models.DateTimeField(null=True, blank=True)
    info_requested = models.TextField(_("information requested from the applicant"), blank=True)
    # Shares and register
    shares = models.PositiveSmallIntegerField(
        _("shares subscribed"), default=1, validators=[MinValueValidator(1)]
    )
    fee_category = models.SlugField(
        _("fee category"),
        max_length=40,
        blank=True,
        help_text=_("Selects the fee rule; empty means the cooperative's default rule."),
    )
    share_price = models.DecimalField(_("price per share (€)"), default=Decimal("50.00"), **MONEY)
    share_reference = models.CharField(_("payment reference"), max_length=25, blank=True)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    notice_given_on = models.DateField(_("notice given on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    share_repayment_due_on = models.DateField(_("share repayment due on"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["member_number", "applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "member_number"], name="member_number_unique_per_coop"
            ),
            models.UniqueConstraint(fields=["cooperative", "user"], name="member_user_unique"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["applicant", "approved", "active", "suspended", "left", "rejected"]
                ),
                name="member_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=False, left_on__gte=models.F("joined_on")),
                name="member_left_after_joined",
            ),
            # In the register (active, suspended, left) a member has a number and an entry date.
            models.CheckConstraint(
                condition=~Q(status__in=["active", "suspended", "left"])
                | Q(member_number__isnull=False, joined_on__isnull=False),
                name="member_registered_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(status="left") | Q(left_on__isnull=False), name="member_left_has_date"
            ),
            models.CheckConstraint(condition=Q(shares__gte=1), name="member_shares_ge_1"),
        ]
        indexes = [models.Index(fields=["cooperative", "status"], name="member_coop_status")]
        triggers = [
            pgtrigger.FSM(
                name="member_status_lifecycle",
                field="status",
                transitions=[
                    ("applicant", "approved"),
                    ("applicant", "rejected"),
                    ("approved", "active"),
                    ("approved", "rejected"),
                    ("active", "suspended"),
                    ("active", "left"),
                    ("suspended", "active"),
                    ("suspended", "left"),
                ],
            )
        ]

    def __str__(self) -> str:
        number = f"{self.member_number} " if self.member_number else ""
        return f"{number}{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def share_amount_due(self):
        return self.shares * self.share_price

    @property
    def is_in_register(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.SUSPENDED, self.Status.LEFT)


class MemberStatusChange(TenantModel):
    """One lifecycle transition, with who made it and why."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("member")
    )
    from_status = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=Member.Status.choices
    )
    to_status = models.CharField(
        pgettext_lazy("status change", "to"), max_length=20, choices=Member.Status.choices
    )
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class SharePayment(TenantModel):
    """Money received for shares. Recorded by staff now; matched from bank statements later."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="share_payments", verbose_name=_("member")
    )
    amount = models.DecimalField(_("amount (€)"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # A payment matched from a bank statement by mistake is cancelled, never deleted: the row
    # and its reversed posting stay for the audit.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("share payment")
        verbose_name_plural = _("share payments")
        ordering = ["-paid_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="share_payment_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount} € · {self.paid_on}"


class EmploymentData(TenantModel):
    """What payroll needs. Visible to the member and to staff only; never logged."""

    class TaxClass(models.IntegerChoices):
        I = 1, "I"  # noqa: E741 - the tax classes are Roman numerals by law
        II = 2, "II"
        III = 3, "III"
        IV = 4, "IV"
        V = 5, "V"
        VI = 6, "VI"

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, related_name="employment", verbose_name=_("member")
    )
    tax_id = models.CharField(
        _("tax identification number"), max_length=11, blank=True, validators=[validate_tax_id]
    )
    social_insurance_number = models.CharField(
        _("social insurance number"),
        max_length=12,
        blank=True,
        validators=[validate_social_insurance_number],
    )
    health_insurer = models.CharField(_("health insurer"), max_length=100, blank=True)
    health_insurer_additional_rate = models.DecimalField(
        _("additional contribution rate (%)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    tax_class = models.PositiveSmallIntegerField(
        _("tax class"), choices=TaxClass.choices, null=True, blank=True
    )
    church_tax = models.BooleanField(_("liable to church tax"), default=False)
    child_allowances = models.DecimalField(
        _("child allowances"),
        max_digits=3,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(20)],
    )
    number_of_children = models.PositiveSmallIntegerField(_("number of children"), default=0)
    childless = models.BooleanField(_("childless (care insurance surcharge)"), default=True)
    iban = models.CharField(
        _("IBAN for salary"), max_length=34, blank=True, validators=[validate_iban_schwifty]
    )
    account_holder = models.CharField(_("account holder"), max_length=140, blank=True)
    contract_hours = models.DecimalField(
        _("contract hours per month"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(250)],
        help_text=_("Empty: the hours follow from the salary and the minimum wage."),
    )
    salary_limit = models.DecimalField(
        _("highest gross salary wanted (€)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Members may ask for less than their budget allows."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("employment data")
        verbose_name_plural = _("employment data")
        constraints = [
            models.CheckConstraint(
                condition=Q(child_allowances__gte=0), name="child_allowances_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Employment data"))

    # The fields a member may change; the rest is bookkeeping.
    EDITABLE = (
        "tax_id",
        "social_insurance_number",
        "health_insurer",
        "health_insurer_additional_rate",
        "tax_class",
        "church_tax",
        "child_allowances",
        "number_of_children",
        "childless",
        "iban",
        "account_holder",
        "contract_hours",
        "salary_limit",
    )


class EmploymentDataChange(TenantModel):
    """A change of employment data by an active member, waiting for staff to confirm it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="employment_changes",
        verbose_name=_("member"),
    )
    changes = models.JSONField(_("changes"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("employment data change")
        verbose_name_plural = _("employment data changes")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return ", ".join(sorted(self.changes))


class MemberDocument(TenantModel):
    """An uploaded proof (ID, permit, …). Stored privately; served as an attachment only."""

    class Kind(models.TextChoices):
        ID = "id", _("Identity document")
        PERMIT = "permit", _("Residence or work permit")
        PROOF = "proof", _("Other proof")

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="documents", verbose_name=_("member")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    storage_name = models.CharField(max_length=100, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


track_tenant_model(model_name="MemberEvent")(Member)
track_tenant_model(model_name="EmploymentDataEvent")(EmploymentData)
track_tenant_model(model_name="EligibilityRulesEvent")(EligibilityRules)
track_tenant_model(model_name="SharePaymentEvent")(SharePayment)
