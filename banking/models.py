"""Bank accounts, imported statements and their transactions, and how each incoming payment was
allocated to invoices or share payments (and why)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import validate_iban
from tenancy.jobs import BackgroundJob
from tenancy.models import TenantModel, track_tenant_model

MONEY = {"max_digits": 14, "decimal_places": 2}


class BankAccount(TenantModel):
    name = models.CharField(_("name"), max_length=100)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "iban"], name="bankaccount_iban_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.iban})"


class BankStatement(TenantModel):
    class Format(models.TextChoices):
        CAMT053 = "camt053", "camt.053"
        CAMT054 = "camt054", "camt.054"
        MT940 = "mt940", "MT940"

    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="statements", verbose_name=_("account")
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    statement_id = models.CharField(_("statement id"), max_length=70, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    opening_balance = models.DecimalField(_("opening balance"), null=True, blank=True, **MONEY)
    closing_balance = models.DecimalField(_("closing balance"), null=True, blank=True, **MONEY)
    entries_in_file = models.PositiveIntegerField(_("entries in the file"), default=0)
    entries_new = models.PositiveIntegerField(_("new entries"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.statement_id or self.file_name}"


class StatementImport(BackgroundJob):
    """A statement file uploaded by staff and imported by a worker, with its progress; the file
    is kept only until it has been imported."""

    file_name = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("file"), editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    entries_done = models.PositiveIntegerField(_("entries processed"), default=0)
    entries_total = models.PositiveIntegerField(_("entries in the file"), default=0)
    imported = models.PositiveIntegerField(_("new"), default=0)
    duplicates = models.PositiveIntegerField(_("already known"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    unmatched = models.PositiveIntegerField(_("for the queue"), default=0)

    GIVEN_UP = _("The statement could not be imported; the operators have been told.")

    class Meta(BackgroundJob.Meta):
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")

    def __str__(self) -> str:
        return self.file_name


class BankTransaction(TenantModel):
    """One booked entry of a statement, as the bank reported it. Never changed: what it paid
    is recorded in allocations, which can be undone."""

    append_only = True

    account = models.ForeignKey(
        BankAccount,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("account"),
    )
    statement = models.ForeignKey(
        BankStatement,
        on_delete=models.PROTECT,
        related_name="transactions",
        verbose_name=_("statement"),
    )
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    counterparty_name = models.CharField(_("counterparty"), max_length=140, blank=True)
    counterparty_iban = models.CharField(_("counterparty IBAN"), max_length=34, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    creditor_reference = models.CharField(_("structured reference"), max_length=35, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=70, blank=True)
    code = models.CharField(_("transaction code"), max_length=35, blank=True)
    is_return = models.BooleanField(_("return or charge-back"), default=False)
    return_reason = models.CharField(_("return reason"), max_length=10, blank=True)
    dedupe_key = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        ordering = ["-booking_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "account", "dedupe_key"], name="banktransaction_once"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="banktransaction_not_zero"),
        ]
        indexes = [
            models.Index(fields=["cooperative", "booking_date"], name="banktx_coop_date"),
            models.Index(fields=["cooperative", "counterparty_iban"], name="banktx_coop_iban"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.counterparty_name}"


class Allocation(TenantModel):
    """Part (or all) of an incoming payment applied to an invoice or to a member's shares, with
    the reason the matcher (or a person) gave. Undoing keeps the row and reverses its posting."""

    class Method(models.TextChoices):
        RF_REFERENCE = "rf", _("RF reference")
        INVOICE_NUMBER = "number", _("invoice number in the text")
        IBAN_AMOUNT = "iban_amount", _("payer's IBAN and the exact open amount")
        AMOUNT_NAME = "amount_name", _("amount and payer's name")
        MANUAL = "manual", _("staff")

    transaction = models.ForeignKey(
        BankTransaction,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("bank transaction"),
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("invoice"),
    )
    share_payment = models.OneToOneField(
        "members.SharePayment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocation",
        verbose_name=_("share payment"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("matched by"), max_length=12, choices=Method.choices)
    explanation = models.CharField(_("why"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("matched by person"),
    )
    created_at = models.DateTimeField(_("matched at"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("undone by"),
    )
    undo_reason = models.CharField(_("reason for undoing"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=Q(invoice__isnull=False, share_payment__isnull=True)
                | Q(invoice__isnull=True, share_payment__isnull=False),
                name="allocation_one_target",
            ),
        ]
        indexes = [models.Index(fields=["invoice", "undone_at"], name="allocation_invoice")]

    def __str__(self) -> str:
        return f"{self.amount} → {self.invoice or self.share_payment}"

    @property
    def is_active(self) -> bool:
        return self.undone_at is None


class PaymentFile(TenantModel):
    """An outgoing SEPA credit transfer file (pain.001.001.09) as handed to the bank, kept
    unchanged so what was ordered can always be shown."""

    append_only = True

    class Kind(models.TextChoices):
        REFUNDS = "refunds", _("refunds")
        SALARIES = "salaries", _("net salaries")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="+", verbose_name=_("from account")
    )
    message_id = models.CharField(_("message ID"), max_length=35, unique=True)
    execution_date = models.DateField(_("execution date"))
    transactions = models.PositiveIntegerField(_("transfers"))
    total = models.DecimalField(_("total"), **MONEY)
    content = models.BinaryField(_("file"))
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment file")
        verbose_name_plural = _("payment files")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.message_id} · {self.transactions} · {self.total} €"


class Refund(TenantModel):
    """The unapplied rest of an incoming payment sent back to the payer (an overpayment, or
    money that was not for us). It goes out in the next refund file and is settled when a
    statement shows the transfer leaving the account."""

    transaction = models.ForeignKey(
        BankTransaction,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("incoming payment"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    name = models.CharField(_("payee"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    reason = models.CharField(_("reason"), max_length=140)
    end_to_end_id = models.CharField(_("end-to-end ID"), max_length=35, unique=True)
    payment_file = models.ForeignKey(
        PaymentFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("payment file"),
    )
    paid_by = models.OneToOneField(
        BankTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund_paid",
        verbose_name=_("outgoing transfer"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return f"{self.amount} € → {self.name}"

    @property
    def state(self) -> str:
        if self.paid_by_id:
            return str(_("sent (on the statement)"))
        if self.payment_file_id:
            return str(_("in a payment file"))
        return str(_("waiting for the next payment file"))


track_tenant_model(model_name="AllocationEvent")(Allocation)
track_tenant_model(model_name="RefundEvent")(Refund)
track_tenant_model(model_name="BankAccountEvent")(BankAccount)

ZERO = Decimal("0.00")
