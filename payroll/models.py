"""Payroll data. Contribution rates, limits and the minimum wage are platform-wide dated tables
kept by the operator (law changes on 1 January, sometimes mid-year): a calculation uses the row
in force on the pay day and refuses a day no row covers."""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member
from tenancy.models import TenantModel, track_tenant_model

RATE = {"max_digits": 6, "decimal_places": 4}  # percent, e.g. 18.6000
MONEY = {"max_digits": 14, "decimal_places": 2}


class ContributionRates(models.Model):
    """Social insurance rates (percent of pay) and limits (euro per month) from a date on."""

    valid_from = models.DateField(_("valid from"), unique=True)
    kv_rate = models.DecimalField(_("health insurance, general rate"), **RATE)
    kv_average_additional = models.DecimalField(
        _("health insurance, average additional rate"),
        help_text=_("Used where a member's insurer is not known."),
        **RATE,
    )
    rv_rate = models.DecimalField(_("pension insurance"), **RATE)
    av_rate = models.DecimalField(_("unemployment insurance"), **RATE)
    pv_rate = models.DecimalField(_("long-term care insurance"), **RATE)
    pv_childless_surcharge = models.DecimalField(
        _("care insurance surcharge for the childless (employee only)"), **RATE
    )
    pv_child_reduction = models.DecimalField(
        _("care insurance reduction per child from the second to the fifth (employee only)"),
        **RATE,
    )
    pv_saxony_employer = models.DecimalField(
        _("care insurance, employer's share in Saxony"), **RATE
    )
    u3_rate = models.DecimalField(_("insolvency levy (U3)"), **RATE)
    bbg_kv_month = models.DecimalField(
        _("contribution ceiling health and care, per month"), **MONEY
    )
    bbg_rv_month = models.DecimalField(
        _("contribution ceiling pension and unemployment, per month"), **MONEY
    )
    minijob_limit = models.DecimalField(_("mini-job limit, per month"), **MONEY)
    midijob_upper = models.DecimalField(_("upper limit of the transition band, per month"), **MONEY)
    midijob_factor = models.DecimalField(
        _("factor F of the transition band"), max_digits=6, decimal_places=4
    )
    minijob_employer_kv = models.DecimalField(_("mini-job: employer's flat health rate"), **RATE)
    minijob_employer_rv = models.DecimalField(_("mini-job: employer's flat pension rate"), **RATE)
    minijob_flat_tax = models.DecimalField(_("mini-job: flat wage tax"), **RATE)
    church_tax_rate = models.DecimalField(_("church tax"), **RATE)
    church_tax_reduced_rate = models.DecimalField(_("church tax in the states below"), **RATE)
    church_tax_reduced_states = models.CharField(
        _("states with the reduced church tax"),
        max_length=40,
        help_text=_("Two-letter codes separated by commas, e.g. BY,BW."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("contribution rates")
        verbose_name_plural = _("contribution rates")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{_('Contribution rates')} {self.valid_from}"


class MinimumWage(models.Model):
    """The statutory minimum wage (MiLoG) per hour from a date on."""

    valid_from = models.DateField(_("valid from"), unique=True)
    hourly = models.DecimalField(_("per hour"), **MONEY)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("minimum wage")
        verbose_name_plural = _("minimum wages")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.hourly} €/h"


# --- Per cooperative -------------------------------------------------------------------------

ZERO = Decimal("0.00")


class State(models.TextChoices):
    """German states (Bundesländer): the employer's establishment decides the church tax rate
    and the Saxony care-insurance split."""

    BW = "BW", "Baden-Württemberg"
    BY = "BY", "Bayern"
    BE = "BE", "Berlin"
    BB = "BB", "Brandenburg"
    HB = "HB", "Bremen"
    HH = "HH", "Hamburg"
    HE = "HE", "Hessen"
    MV = "MV", "Mecklenburg-Vorpommern"
    NI = "NI", "Niedersachsen"
    NW = "NW", "Nordrhein-Westfalen"
    RP = "RP", "Rheinland-Pfalz"
    SL = "SL", "Saarland"
    SN = "SN", "Sachsen"
    ST = "ST", "Sachsen-Anhalt"
    SH = "SH", "Schleswig-Holstein"
    TH = "TH", "Thüringen"


class SalaryRule(models.TextChoices):
    AVERAGE = "average", _("averaged budget inflow")
    CATEGORIES = "categories", _("salary categories chosen by the members")
    BOTH = "both", _("a chosen category, otherwise the averaged inflow")


class PayrollSettings(TenantModel):
    """How a cooperative turns budgets into salaries (the salary rule) and its employer data."""

    salary_rule = models.CharField(
        _("salary rule"),
        max_length=10,
        choices=SalaryRule.choices,
        default=SalaryRule.AVERAGE,
        help_text=_(
            "With categories, members choose a fixed monthly gross; the choice is checked "
            "against their budget and forecast, and no month pays more than the budget holds."
        ),
    )
    state = models.CharField(
        _("state of the establishment"), max_length=2, choices=State.choices, default=State.BE
    )
    averaging_months = models.PositiveSmallIntegerField(
        _("months averaged"),
        default=6,
        validators=[MinValueValidator(3), MaxValueValidator(12)],
        help_text=_(
            "The monthly employer cost is the average budget inflow of this many past months."
        ),
    )
    reserve = models.DecimalField(
        _("reserve kept in every budget (€)"),
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text=_("Never paid out as salary, e.g. for invoices that may not be paid."),
        **MONEY,
    )
    u1_liable = models.BooleanField(
        _("liable to the U1 levy"),
        default=False,
        help_text=_("Only employers with at most 30 employees pay U1 (§ 1 AAG)."),
    )
    u1_rate = models.DecimalField(
        _("U1 levy (%)"),
        default=Decimal("0"),
        help_text=_("For members whose health insurer is not in the insurers' table."),
        **RATE,
    )
    u2_rate = models.DecimalField(
        _("U2 levy (%)"),
        default=Decimal("0"),
        help_text=_("For members whose health insurer is not in the insurers' table."),
        **RATE,
    )
    accident_rate = models.DecimalField(
        _("accident insurance (percent of gross)"), default=Decimal("0"), **RATE
    )
    large_change_percent = models.PositiveSmallIntegerField(
        _("warn when the gross changes by more than (%)"), default=25
    )
    draft_day = models.PositiveSmallIntegerField(
        _("draft the month's run on day"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    # The hand-off to the certified payroll system (DATEV LODAS at the tax adviser).
    datev_consultant_number = models.CharField(
        _("DATEV consultant number"),
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{4,7}$", _("4 to 7 digits."))],
    )
    datev_client_number = models.CharField(
        _("DATEV client number"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{1,5}$", _("1 to 5 digits."))],
    )
    lodas_wage_type_salary = models.CharField(
        _("LODAS wage type for the monthly salary"),
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{1,4}$", _("1 to 4 digits."))],
        help_text=_("Agreed with the tax adviser; the gross is handed over as an amount."),
    )
    lodas_wage_type_hours = models.CharField(
        _("LODAS wage type for the hours worked"),
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{1,4}$", _("1 to 4 digits."))],
        help_text=_("Optional: leave empty to hand over amounts only."),
    )
    lodas_wage_type_expenses = models.CharField(
        _("LODAS wage type for reimbursed expenses"),
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{1,4}$", _("1 to 4 digits."))],
        help_text=_("A tax-free reimbursement (§ 3 No. 50 EStG)."),
    )

    class Meta:
        verbose_name = _("payroll settings")
        verbose_name_plural = _("payroll settings")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="payrollsettings_one_per_coop"),
            models.CheckConstraint(
                condition=Q(averaging_months__gte=3, averaging_months__lte=12),
                name="payrollsettings_months_3_to_12",
            ),
            models.CheckConstraint(
                condition=Q(draft_day__gte=1, draft_day__lte=28),
                name="payrollsettings_draft_day",
            ),
            models.CheckConstraint(condition=Q(reserve__gte=0), name="payrollsettings_reserve"),
        ]

    def __str__(self) -> str:
        return str(_("Payroll settings"))


class HealthInsurer(TenantModel):
    """A health insurer (Krankenkasse) the cooperative's members are with. Its additional rate
    and the U1/U2 levies are the insurer's own and change on dates it announces, so they live in
    dated rows; a member is matched by the insurer name in their employment data."""

    name = models.CharField(_("name"), max_length=100)
    company_number = models.CharField(
        _("company number (Betriebsnummer)"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{8}$", _("8 digits."))],
    )

    class Meta:
        verbose_name = _("health insurer")
        verbose_name_plural = _("health insurers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("cooperative", Lower("name"), name="healthinsurer_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class HealthInsurerRate(TenantModel):
    insurer = models.ForeignKey(
        HealthInsurer, on_delete=models.CASCADE, related_name="rates", verbose_name=_("insurer")
    )
    valid_from = models.DateField(_("valid from"))
    additional_rate = models.DecimalField(
        _("additional contribution rate (%)"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        **RATE,
    )
    u1_rate = models.DecimalField(
        _("U1 levy (%)"), validators=[MinValueValidator(0), MaxValueValidator(10)], **RATE
    )
    u2_rate = models.DecimalField(
        _("U2 levy (%)"), validators=[MinValueValidator(0), MaxValueValidator(10)], **RATE
    )

    class Meta:
        verbose_name = _("insurer rates")
        verbose_name_plural = _("insurer rates")
        ordering = ["insurer", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["insurer", "valid_from"], name="healthinsurerrate_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(additional_rate__gte=0, u1_rate__gte=0, u2_rate__gte=0),
                name="healthinsurerrate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.insurer} {self.valid_from:%Y-%m-%d}"


class SalaryCategory(TenantModel):
    """A fixed monthly gross a member may choose (the cooperative's salary bands)."""

    name = models.CharField(_("name"), max_length=60)
    gross = models.DecimalField(
        _("monthly gross (€)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(
        _("offered"), default=True, help_text=_("Members can only choose offered categories.")
    )

    class Meta:
        verbose_name = _("salary category")
        verbose_name_plural = _("salary categories")
        ordering = ["gross"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "name"], name="salarycategory_name"),
            models.CheckConstraint(condition=Q(gross__gt=0), name="salarycategory_gross_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.gross} €)"


class SalaryCategoryChoice(TenantModel):
    """The category a member chose; payroll pays it from the next draft on."""

    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        related_name="salary_category_choice",
        verbose_name=_("member"),
    )
    category = models.ForeignKey(
        SalaryCategory,
        on_delete=models.PROTECT,
        related_name="choices",
        verbose_name=_("category"),
    )
    chosen_at = models.DateTimeField(_("chosen at"), default=timezone.now)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("chosen by"),
    )
    # What the check saw when the member chose: the category's employer cost against what the
    # budget and forecast sustain per month.
    employer_cost = models.DecimalField(_("employer cost"), **MONEY)
    sustainable = models.DecimalField(_("sustainable employer cost"), **MONEY)

    class Meta:
        verbose_name = _("salary category choice")
        verbose_name_plural = _("salary category choices")

    def __str__(self) -> str:
        return str(self.category)


class PayrollRun(TenantModel):
    """A cooperative's payroll for one month. Computed as a draft (by beat or `run_payroll`),
    submitted by one staff member and approved by another; approval posts it and locks it."""

    class Status(models.TextChoices):
        COMPUTING = "computing", _("being computed")
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted for approval")
        APPROVED = "approved", _("approved")

    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.COMPUTING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    prepared_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    payment_file = models.ForeignKey(
        "banking.PaymentFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("salary transfer file"),
    )
    lines_count = models.PositiveIntegerField(_("lines"), default=0)
    gross = models.DecimalField(_("gross"), default=ZERO, **MONEY)
    net = models.DecimalField(_("net"), default=ZERO, **MONEY)
    employer_cost = models.DecimalField(_("employer cost"), default=ZERO, **MONEY)
    warnings_count = models.PositiveIntegerField(_("lines with warnings"), default=0)

    class Meta:
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "month"], name="payrollrun_one_a_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="payrollrun_first_of_month"),
            # Four eyes (R14): whoever submitted the run cannot approve it.
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (
                    Q(prepared_by__isnull=False, approved_by__isnull=False)
                    & ~Q(prepared_by=F("approved_by"))
                ),
                name="payrollrun_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "approved"]) | Q(prepared_by__isnull=False),
                name="payrollrun_submitted_by_someone",
            ),
        ]
        triggers = [
            # An approved month is closed: the run can no longer change or disappear.
            pgtrigger.Protect(
                name="payrollrun_approved_locked",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="approved"),
            ),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class Warning(models.TextChoices):
    SHORTFALL = "shortfall", _("budget does not cover the averaged salary")
    MINIMUM_WAGE = "minimum_wage", _("below the minimum wage for the contract hours")
    TAX_DATA_CHANGED = "tax_data_changed", _("tax or insurance data changed since last month")
    LARGE_CHANGE = "large_change", _("large change against last month")
    NO_TAX_DATA = "no_tax_data", _("tax class missing: no salary computed")
    NO_IBAN = "no_iban", _("no IBAN for the salary")
    BAND_CHANGED = "band_changed", _("mini-job / transition band changed")
    CATEGORY_NOT_COVERED = (
        "category_not_covered",
        _("budget does not cover the chosen category: less is paid"),
    )
    NO_CATEGORY = "no_category", _("no salary category chosen: no salary computed")
    INSURER_UNKNOWN = (
        "insurer_unknown",
        _("health insurer not in the insurers' table: default levies used"),
    )


class PayrollLine(TenantModel):
    """One member's salary in a run, with everything it was computed from."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        REJECTED = "rejected", _("rejected")

    run = models.ForeignKey(
        PayrollRun, on_delete=models.CASCADE, related_name="lines", verbose_name=_("run")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="payroll_lines", verbose_name=_("member")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    band = models.CharField(_("band"), max_length=10, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2, default=ZERO)
    gross = models.DecimalField(_("gross"), **MONEY)
    employee_social_insurance = models.DecimalField(_("employee contributions"), **MONEY)
    wage_tax = models.DecimalField(_("wage tax"), **MONEY)
    solidarity_surcharge = models.DecimalField(_("solidarity surcharge"), **MONEY)
    church_tax = models.DecimalField(_("church tax"), **MONEY)
    net = models.DecimalField(_("net"), **MONEY)
    employer_social_insurance = models.DecimalField(_("employer contributions"), **MONEY)
    employer_levies = models.DecimalField(
        _("levies and accident insurance"),
        help_text=_("U1, U2, U3, accident insurance and the mini-job flat tax."),
        **MONEY,
    )
    employer_cost = models.DecimalField(_("employer cost"), **MONEY)
    expenses_reimbursed = models.DecimalField(
        _("expenses reimbursed"),
        default=ZERO,
        help_text=_("Approved expense claims paid out with the salary (not taxable)."),
        **MONEY,
    )
    average_inflow = models.DecimalField(_("average monthly budget inflow"), **MONEY)
    budget_before = models.DecimalField(_("budget before"), **MONEY)
    budget_after = models.DecimalField(_("budget after"), **MONEY)
    previous_gross = models.DecimalField(_("gross last month"), null=True, blank=True, **MONEY)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    details = models.JSONField(_("calculation"), default=dict, blank=True)
    reject_reason = models.TextField(_("reason for rejecting"), blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rejected by"),
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payroll line")
        verbose_name_plural = _("payroll lines")
        ordering = ["member__member_number", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "member"], name="payrollline_one_per_member"),
            # Rounded to the cent: exact on PostgreSQL (numeric); SQLite, the demo database,
            # stores decimals as binary floats and would otherwise refuse exact cents.
            models.CheckConstraint(
                condition=Q(budget_after=Round(F("budget_before") - F("employer_cost"), 2)),
                name="payrollline_budget_after",
            ),
            # Never a salary that overdraws the budget.
            models.CheckConstraint(
                condition=Q(employer_cost=0) | Q(budget_after__gte=0),
                name="payrollline_no_overdraft",
            ),
            models.CheckConstraint(
                condition=Q(
                    net=Round(
                        F("gross")
                        - F("employee_social_insurance")
                        - F("wage_tax")
                        - F("solidarity_surcharge")
                        - F("church_tax"),
                        2,
                    )
                ),
                name="payrollline_net",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="payrollline_rejected_with_reason",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="payrollline_locked_when_approved",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                IF EXISTS (SELECT 1 FROM payroll_payrollrun
                           WHERE id = COALESCE(NEW.run_id, OLD.run_id) AND status = 'approved')
                THEN RAISE EXCEPTION 'payroll run % is approved and locked',
                     COALESCE(NEW.run_id, OLD.run_id);
                END IF;
                RETURN COALESCE(NEW, OLD);
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.member}"

    @property
    def taxes(self):
        return self.wage_tax + self.solidarity_surcharge + self.church_tax

    @property
    def payout(self):
        """What the member receives: the net salary and the reimbursed expenses."""
        return self.net + self.expenses_reimbursed


class Payslip(TenantModel):
    """A member's payslip for an approved line, rendered once in the member's language and kept
    as first produced (the statement § 108 GewO requires; append-only at the database)."""

    append_only = True

    line = models.OneToOneField(
        PayrollLine, on_delete=models.PROTECT, related_name="payslip", verbose_name=_("line")
    )
    language = models.CharField(_("language"), max_length=8)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payslip")
        verbose_name_plural = _("payslips")

    def __str__(self) -> str:
        return str(self.line)


class CertifiedResult(TenantModel):
    """A member's salary as the certified payroll system computed it, imported after the run
    was approved. The difference against the shadow line is posted to the member's budget;
    the row is kept as imported (append-only)."""

    append_only = True

    run = models.ForeignKey(
        PayrollRun, on_delete=models.PROTECT, related_name="certified", verbose_name=_("run")
    )
    line = models.OneToOneField(
        PayrollLine, on_delete=models.PROTECT, related_name="certified", verbose_name=_("line")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    gross = models.DecimalField(_("gross"), **MONEY)
    taxes = models.DecimalField(_("wage tax, solidarity surcharge and church tax"), **MONEY)
    net = models.DecimalField(_("net"), **MONEY)
    employer_cost = models.DecimalField(_("employer cost"), **MONEY)
    employer_cost_difference = models.DecimalField(
        _("employer cost difference"),
        help_text=_("Certified minus shadow; positive amounts are debited from the budget."),
        **MONEY,
    )
    net_difference = models.DecimalField(_("net difference"), **MONEY)
    source_name = models.CharField(_("file"), max_length=200)
    source_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("certified payroll result")
        verbose_name_plural = _("certified payroll results")
        ordering = ["run", "member__member_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(net__lte=F("gross"), gross__lte=F("employer_cost"), net__gte=0),
                name="certifiedresult_amounts_ordered",
            ),
            models.CheckConstraint(
                condition=Q(taxes__gte=0, taxes__lte=F("gross") - F("net")),
                name="certifiedresult_taxes_within_deductions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} · {self.member}"

    @property
    def employee_social_insurance(self) -> Decimal:
        return self.gross - self.net - self.taxes


# Settings and choices that change what members are paid keep an audit trail (ADR 0005).
track_tenant_model(model_name="PayrollSettingsEvent")(PayrollSettings)
track_tenant_model(model_name="HealthInsurerRateEvent")(HealthInsurerRate)
track_tenant_model(model_name="SalaryCategoryEvent")(SalaryCategory)
track_tenant_model(model_name="SalaryCategoryChoiceEvent")(SalaryCategoryChoice)
