"""Expense claims: what a member paid out of pocket for their work, with the receipt. Approved
claims are debited from the budget less the deductible input VAT (the cooperative claims that
from the tax office) and reimbursed in full with the next payroll (ADR 0021)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member
from tenancy.models import TenantModel

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class ExpenseClaim(TenantModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved, reimbursed with the next salary")
        REJECTED = "rejected", _("rejected")
        REIMBURSED = "reimbursed", _("reimbursed")

    class Category(models.TextChoices):
        TRAVEL = "travel", _("travel")
        MATERIALS = "materials", _("materials and supplies")
        EQUIPMENT = "equipment", _("tools and equipment")
        SOFTWARE = "software", _("software and subscriptions")
        COMMUNICATION = "communication", _("phone and internet")
        TRAINING = "training", _("training and literature")
        OTHER = "other", _("other")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="expense_claims", verbose_name=_("member")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    category = models.CharField(_("category"), max_length=15, choices=Category.choices)
    description = models.CharField(_("what for"), max_length=200)
    supplier = models.CharField(_("supplier"), max_length=140)
    receipt_date = models.DateField(_("receipt date"))
    receipt_number = models.CharField(_("receipt number"), max_length=60, blank=True)
    gross = models.DecimalField(_("amount paid (gross)"), **MONEY)
    vat_19 = models.DecimalField(_("input VAT 19 %"), default=ZERO, **MONEY)
    vat_7 = models.DecimalField(_("input VAT 7 %"), default=ZERO, **MONEY)
    net = models.DecimalField(_("net"), **MONEY)
    read_from_einvoice = models.BooleanField(
        _("read from the e-invoice"),
        default=False,
        help_text=_("Supplier, number, date and amounts were read from a ZUGFeRD/XRechnung file."),
    )
    receipt_name = models.CharField(_("receipt file"), max_length=200)
    receipt_type = models.CharField(_("receipt type"), max_length=40)
    receipt = models.BinaryField(_("receipt"))
    receipt_sha256 = models.CharField(_("SHA-256 of the receipt"), max_length=64)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reject_reason = models.TextField(_("reason for rejecting"), blank=True)
    payroll_line = models.ForeignKey(
        "payroll.PayrollLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expense_claims",
        verbose_name=_("reimbursed with the salary"),
    )

    class Meta:
        verbose_name = _("expense claim")
        verbose_name_plural = _("expense claims")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["member", "status"], name="expense_member_status")]
        constraints = [
            models.CheckConstraint(condition=Q(gross__gt=0), name="expense_gross_positive"),
            models.CheckConstraint(
                condition=Q(vat_19__gte=0, vat_7__gte=0, net__gte=0), name="expense_vat_positive"
            ),
            # Rounded to the cent: exact on PostgreSQL, tolerant of SQLite's float storage.
            models.CheckConstraint(
                condition=Q(net=Round(F("gross") - F("vat_19") - F("vat_7"), 2)),
                name="expense_net_is_gross_less_vat",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="expense_rejected_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(decided_by__isnull=False),
                name="expense_decided_by_someone",
            ),
            models.CheckConstraint(
                condition=~Q(status="reimbursed") | Q(payroll_line__isnull=False),
                name="expense_reimbursed_with_a_salary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.receipt_date:%d.%m.%Y} {self.gross} €"

    @property
    def vat(self) -> Decimal:
        return self.vat_19 + self.vat_7
