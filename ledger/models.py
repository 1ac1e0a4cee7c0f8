"""Double-entry ledger of a cooperative: accounts, transactions, entries.

Design overview (after django-hordak, ADR 0011):

- `Account` — a cooperative's bank, receivables, VAT, fee income, guarantee fund, payroll
  liabilities, share capital, and per member a *budget* account (money the member can be paid)
  and a *pending* account (net revenue of invoices not yet paid).
- `Transaction` — one posting, dated, naming its source document (invoice, payment, payroll
  line, expense, share) and actor. Transactions are hash-chained per cooperative (tamper evidence)
  and never change; a correction is a reversing transaction.
- `Entry` — one line of a transaction. `amount` is signed: **debit positive, credit negative**.
  The entries of a transaction sum to zero. On PostgreSQL a DEFERRABLE constraint trigger checks
  this at commit (so it also holds for raw SQL), and row triggers refuse UPDATE and DELETE of
  transactions and entries; the posting service checks the same everywhere.

Balances shown to people follow the account's nature: assets and expenses are debit balances,
liabilities, equity and income credit balances (`Account.display_balance`).
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member
from tenancy.models import TenantModel, cooperative_field

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class Chart(models.TextChoices):
    SKR03 = "SKR03", "SKR03"
    SKR04 = "SKR04", "SKR04"


class AccountKind(models.TextChoices):
    BANK = "bank", _("Bank")
    RECEIVABLES = "receivables", _("Receivables")
    OUTPUT_VAT_19 = "output_vat_19", _("Output VAT 19 %")
    OUTPUT_VAT_7 = "output_vat_7", _("Output VAT 7 %")
    INPUT_VAT_19 = "input_vat_19", _("Input VAT 19 %")
    INPUT_VAT_7 = "input_vat_7", _("Input VAT 7 %")
    FEE_INCOME = "fee_income", _("Fee income")
    GUARANTEE_FUND = "guarantee_fund", _("Guarantee fund")
    WAGES_PAYABLE = "wages_payable", _("Wages payable")
    SOCIAL_SECURITY_PAYABLE = "social_security_payable", _("Social security payable")
    WAGE_TAX_PAYABLE = "wage_tax_payable", _("Wage tax payable")
    SHARE_CAPITAL = "share_capital", _("Share capital")
    MEMBER_BUDGET = "member_budget", _("Member budget")
    MEMBER_PENDING = "member_pending", _("Member revenue, invoiced and unpaid")
    BANK_CHARGES = "bank_charges", _("Bank charges")


class Nature(models.TextChoices):
    ASSET = "asset", _("asset")
    LIABILITY = "liability", _("liability")
    EQUITY = "equity", _("equity")
    INCOME = "income", _("income")
    EXPENSE = "expense", _("expense")


# kind → (nature, SKR03, SKR04). Numbers follow domain-de.md §5; each cooperative can change them.
ACCOUNT_DEFAULTS: dict[str, tuple[str, str, str]] = {
    AccountKind.BANK: (Nature.ASSET, "1200", "1800"),
    AccountKind.RECEIVABLES: (Nature.ASSET, "1400", "1200"),
    AccountKind.OUTPUT_VAT_19: (Nature.LIABILITY, "1776", "3806"),
    AccountKind.OUTPUT_VAT_7: (Nature.LIABILITY, "1771", "3801"),
    AccountKind.INPUT_VAT_19: (Nature.ASSET, "1576", "1406"),
    AccountKind.INPUT_VAT_7: (Nature.ASSET, "1571", "1401"),
    AccountKind.FEE_INCOME: (Nature.INCOME, "8519", "4519"),
    AccountKind.GUARANTEE_FUND: (Nature.LIABILITY, "0980", "3095"),
    AccountKind.WAGES_PAYABLE: (Nature.LIABILITY, "1740", "3720"),
    AccountKind.SOCIAL_SECURITY_PAYABLE: (Nature.LIABILITY, "1742", "3740"),
    AccountKind.WAGE_TAX_PAYABLE: (Nature.LIABILITY, "1741", "3730"),
    AccountKind.SHARE_CAPITAL: (Nature.EQUITY, "0800", "2900"),
    # Nebenkosten des Geldverkehrs.
    AccountKind.BANK_CHARGES: (Nature.EXPENSE, "4970", "6855"),
    AccountKind.MEMBER_BUDGET: (Nature.LIABILITY, "", ""),
    AccountKind.MEMBER_PENDING: (Nature.LIABILITY, "", ""),
}
MEMBER_KINDS = (AccountKind.MEMBER_BUDGET, AccountKind.MEMBER_PENDING)


class DatevPurpose(models.TextChoices):
    """Accounts the DATEV export needs besides the ledger's own (ADR 0023)."""

    REVENUE_19 = "revenue_19", _("Revenue 19 % VAT (automatic account)")
    REVENUE_7 = "revenue_7", _("Revenue 7 % VAT (automatic account)")
    REVENUE_REVERSE_CHARGE = "revenue_ae", _("Revenue, EU reverse charge")
    REVENUE_NOT_TAXABLE = "revenue_o", _("Revenue not taxable in Germany")
    REVENUE_EXEMPT = "revenue_e", _("Revenue exempt from VAT")
    GUARANTEE_CONTRIBUTION = "guarantee_expense", _("Contributions to the guarantee fund")
    SALARIES = "salaries", _("Salaries")
    SOCIAL_COSTS = "social_costs", _("Statutory social costs")
    ACCIDENT_INSURANCE = "accident_insurance", _("Accident insurance (BG)")
    MEMBER_CLEARING = "member_clearing", _("Clearing account for member budgets")
    EXPENSE_TRAVEL = "expense_travel", _("Expenses: travel")
    EXPENSE_MATERIALS = "expense_materials", _("Expenses: materials and supplies")
    EXPENSE_EQUIPMENT = "expense_equipment", _("Expenses: tools and equipment")
    EXPENSE_SOFTWARE = "expense_software", _("Expenses: software and subscriptions")
    EXPENSE_COMMUNICATION = "expense_communication", _("Expenses: phone and internet")
    EXPENSE_TRAINING = "expense_training", _("Expenses: training and literature")
    EXPENSE_OTHER = "expense_other", _("Expenses: other")


# purpose → (SKR03, SKR04), domain-de.md §5; the tax adviser may choose others per cooperative.
DATEV_DEFAULTS: dict[str, tuple[str, str]] = {
    DatevPurpose.REVENUE_19: ("8400", "4400"),
    DatevPurpose.REVENUE_7: ("8300", "4300"),
    DatevPurpose.REVENUE_REVERSE_CHARGE: ("8336", "4336"),
    DatevPurpose.REVENUE_NOT_TAXABLE: ("8338", "4338"),
    DatevPurpose.REVENUE_EXEMPT: ("8100", "4100"),
    DatevPurpose.GUARANTEE_CONTRIBUTION: ("4900", "6300"),
    DatevPurpose.SALARIES: ("4120", "6020"),
    DatevPurpose.SOCIAL_COSTS: ("4130", "6110"),
    DatevPurpose.ACCIDENT_INSURANCE: ("4138", "6120"),
    DatevPurpose.MEMBER_CLEARING: ("1590", "1370"),
    DatevPurpose.EXPENSE_TRAVEL: ("4660", "6650"),
    DatevPurpose.EXPENSE_MATERIALS: ("4980", "6850"),
    DatevPurpose.EXPENSE_EQUIPMENT: ("4985", "6845"),
    DatevPurpose.EXPENSE_SOFTWARE: ("4964", "6837"),
    DatevPurpose.EXPENSE_COMMUNICATION: ("4920", "6805"),
    DatevPurpose.EXPENSE_TRAINING: ("4945", "6821"),
    DatevPurpose.EXPENSE_OTHER: ("4900", "6300"),
}
# Automatic revenue accounts: DATEV takes the VAT out of the gross at this rate itself.
DATEV_AUTOMATIC_RATES = {
    DatevPurpose.REVENUE_19: Decimal("19"),
    DatevPurpose.REVENUE_7: Decimal("7"),
}


class LedgerSettings(TenantModel):
    chart = models.CharField(
        _("chart of accounts"), max_length=5, choices=Chart.choices, default=Chart.SKR03
    )
    datev_consultant_number = models.PositiveIntegerField(
        _("DATEV consultant number"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1001), MaxValueValidator(9_999_999)],
        help_text=_("Beraternummer of the tax adviser (1001–9999999)."),
    )
    datev_client_number = models.PositiveIntegerField(
        _("DATEV client number"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99_999)],
        help_text=_("Mandantennummer of the cooperative at the tax adviser (1–99999)."),
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )

    class Meta:
        verbose_name = _("ledger settings")
        verbose_name_plural = _("ledger settings")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="ledgersettings_one_per_coop"),
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="ledgersettings_fiscal_month_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Ledger settings"))


class Account(TenantModel):
    kind = models.CharField(_("kind"), max_length=30, choices=AccountKind.choices)
    nature = models.CharField(_("nature"), max_length=10, choices=Nature.choices)
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
        verbose_name=_("member"),
    )
    name = models.CharField(_("name"), max_length=120)
    skr03 = models.CharField(_("SKR03 number"), max_length=8, blank=True)
    skr04 = models.CharField(_("SKR04 number"), max_length=8, blank=True)
    # Sum of the entries (debit positive), kept by the posting service; verify_ledger compares.
    balance = models.DecimalField(_("balance (debit positive)"), default=ZERO, **MONEY)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["kind", "member_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "kind"],
                condition=Q(member__isnull=True),
                name="account_one_system_account_per_kind",
            ),
            models.UniqueConstraint(
                fields=["cooperative", "kind", "member"],
                condition=Q(member__isnull=False),
                name="account_one_per_member_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in MEMBER_KINDS], member__isnull=False)
                | (~Q(kind__in=[k.value for k in MEMBER_KINDS]) & Q(member__isnull=True)),
                name="account_member_kinds_have_member",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_balance(self) -> Decimal:
        """Positive in the account's natural direction (credit for liabilities and income)."""
        return self.balance if self.nature == Nature.ASSET else -self.balance

    def number(self, chart: str) -> str:
        return self.skr04 if chart == Chart.SKR04 else self.skr03


class SourceType(models.TextChoices):
    INVOICE = "invoice", _("invoice")
    PAYMENT = "payment", _("payment")
    PAYROLL_LINE = "payroll_line", _("payroll line")
    EXPENSE = "expense", _("expense")
    SHARE = "share", _("share")
    BANK = "bank", _("bank statement")
    FEE = "fee", _("fee")
    MANUAL = "manual", _("manual posting")
    REVERSAL = "reversal", _("reversal")


class Transaction(TenantModel):
    sequence = models.PositiveBigIntegerField(_("number"))
    booking_date = models.DateField(_("booking date"))
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    description = models.CharField(_("description"), max_length=200)
    source_type = models.CharField(_("source"), max_length=20, choices=SourceType.choices)
    source_id = models.CharField(_("source document"), max_length=64)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("posted by"),
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    append_only = True  # tenancy/rls.py revokes UPDATE and DELETE from the application role

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "sequence"], name="transaction_sequence_unique"
            ),
            models.UniqueConstraint(
                fields=["cooperative", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="transaction_idempotency_unique",
            ),
        ]
        indexes = [models.Index(fields=["cooperative", "booking_date"], name="tx_coop_date")]
        triggers = [
            pgtrigger.Protect(
                name="transaction_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.description}"


class Entry(TenantModel):
    cooperative = cooperative_field(db_index=False)  # indexed with the transaction
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", verbose_name=_("transaction")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    amount = models.DecimalField(_("amount (debit positive)"), **MONEY)
    text = models.CharField(_("text"), max_length=120, blank=True)

    append_only = True

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "transaction"], name="entry_account_tx"),
            # See tenancy.models.cooperative_field: the balance check's lookup by transaction.
            models.Index(fields=["cooperative", "transaction"], name="entry_coop_tx"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


class ChainHead(TenantModel):
    """The last transaction number and hash of a cooperative; locked while posting."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="chainhead_one_per_coop")
        ]

    def __str__(self) -> str:
        return f"#{self.last_sequence}"


class PeriodLock(TenantModel):
    """A month closed by staff: no posting may be dated in it."""

    month = models.DateField(_("month (first day)"))
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("locked by"),
    )
    locked_at = models.DateTimeField(_("locked at"), default=timezone.now)

    class Meta:
        verbose_name = _("locked period")
        verbose_name_plural = _("locked periods")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "month"], name="periodlock_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="periodlock_first_of_month"),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class FeeRule(TenantModel):
    """How much of a member's net revenue the cooperative keeps, per member category."""

    class FloorPeriod(models.TextChoices):
        INVOICE = "invoice", _("per invoice")
        MONTH = "month", _("per month")

    class ChargeOn(models.TextChoices):
        PAYMENT = "payment", _("when the client pays")
        ISSUE = "issue", _("when the invoice is issued")

    category = models.SlugField(
        _("member category"),
        max_length=40,
        blank=True,
        help_text=_("Empty: the rule for members without a category."),
    )
    percentage = models.DecimalField(_("fee (%)"), max_digits=5, decimal_places=2)
    floor_amount = models.DecimalField(_("minimum fee (€)"), null=True, blank=True, **MONEY)
    floor_period = models.CharField(
        _("minimum applies"),
        max_length=10,
        choices=FloorPeriod.choices,
        default=FloorPeriod.INVOICE,
    )
    cap_per_year = models.DecimalField(
        _("maximum fee per year (€)"), null=True, blank=True, **MONEY
    )
    charge_on = models.CharField(
        _("charge the fee"), max_length=10, choices=ChargeOn.choices, default=ChargeOn.PAYMENT
    )
    guarantee_percentage = models.DecimalField(
        _("guarantee fund contribution (%)"), max_digits=5, decimal_places=2, default=ZERO
    )

    class Meta:
        verbose_name = _("fee rule")
        verbose_name_plural = _("fee rules")
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "category"], name="feerule_unique"),
            models.CheckConstraint(
                condition=Q(percentage__gte=0, percentage__lte=100), name="fee_percentage_range"
            ),
            models.CheckConstraint(
                condition=Q(guarantee_percentage__gte=0, guarantee_percentage__lte=100),
                name="guarantee_percentage_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '—'}: {self.percentage} %"


class DatevAccount(TenantModel):
    """The cooperative's own account for a DATEV purpose, where the tax adviser wants another
    than the default of the chart in use."""

    purpose = models.CharField(_("purpose"), max_length=30, choices=DatevPurpose.choices)
    number = models.CharField(
        _("account number"),
        max_length=8,
        validators=[RegexValidator(r"^[0-9]{4,8}$", _("An account number has 4 to 8 digits."))],
        help_text=_("Number in the chart of accounts chosen in the ledger settings."),
    )

    class Meta:
        verbose_name = _("DATEV account")
        verbose_name_plural = _("DATEV accounts")
        ordering = ["purpose"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "purpose"], name="datevaccount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.number}"
