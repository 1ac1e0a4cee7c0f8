"""Dunning: the statutory base rate, each cooperative's policy, reminders sent (one per invoice
and level, never changed), pauses for disputes, the member's confirmations and escalations to the
court dunning procedure."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantModel, track_tenant_model

MONEY = {"max_digits": 14, "decimal_places": 2}


class BaseRate(models.Model):
    """Basiszinssatz (§ 247 BGB), published twice a year by the Bundesbank. Platform-wide data,
    kept by the operator: interest for a day without a configured rate is refused, not guessed."""

    valid_from = models.DateField(_("valid from"), unique=True)
    rate = models.DecimalField(_("base rate (% p.a.)"), max_digits=5, decimal_places=2)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("base rate")
        verbose_name_plural = _("base rates")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.rate} %"


class DunningPolicy(TenantModel):
    """When reminders go out and what they may charge. Fees: consumers only the actual cost of
    a letter after default (courts accept about 1.20–2.50 €); businesses the 40 € flat fee of
    § 288 (5) BGB once per claim instead."""

    enabled = models.BooleanField(_("send reminders"), default=True)
    reminder_days = models.PositiveSmallIntegerField(
        _("friendly reminder, days after the due date"), default=7
    )
    first_days = models.PositiveSmallIntegerField(
        _("first Mahnung, days after the due date"), default=21
    )
    final_days = models.PositiveSmallIntegerField(
        _("final Mahnung, days after the due date"), default=35
    )
    escalation_days = models.PositiveSmallIntegerField(
        _("court dunning, days after the final Mahnung"), default=14
    )
    consumer_letter_fee = models.DecimalField(
        _("fee per Mahnung to consumers (€)"), default=Decimal("1.50"), **MONEY
    )
    business_flat_fee = models.DecimalField(
        _("flat fee for businesses (€, § 288 (5) BGB)"), default=Decimal("40.00"), **MONEY
    )
    minimum_open_amount = models.DecimalField(
        _("no reminders below this open amount (€)"), default=Decimal("1.00"), **MONEY
    )

    class Meta:
        verbose_name = _("dunning policy")
        verbose_name_plural = _("dunning policies")
        constraints = [
            models.UniqueConstraint(fields=["cooperative"], name="dunningpolicy_one"),
            models.CheckConstraint(
                condition=Q(reminder_days__lt=models.F("first_days"))
                & Q(first_days__lt=models.F("final_days")),
                name="dunningpolicy_levels_in_order",
            ),
            models.CheckConstraint(
                condition=Q(consumer_letter_fee__lte=Decimal("2.50")),
                name="dunningpolicy_consumer_fee_cap",
            ),
            models.CheckConstraint(
                condition=Q(business_flat_fee__lte=Decimal("40.00")),
                name="dunningpolicy_flat_fee_cap",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Dunning policy"))


class Level(models.IntegerChoices):
    REMINDER = 1, _("Payment reminder")
    FIRST = 2, _("First Mahnung")
    FINAL = 3, _("Final Mahnung")


class Reminder(TenantModel):
    """A reminder as decided by the run: amounts and interest periods. One per (invoice,
    level): a second run, or a second worker, cannot create another (R9). Its letter is
    rendered and sent after commit (ReminderLetter)."""

    append_only = True

    invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        related_name="reminders",
        verbose_name=_("invoice"),
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    dated = models.DateField(_("date"))
    pay_by = models.DateField(_("new payment date"))
    open_amount = models.DecimalField(_("open amount"), **MONEY)
    interest = models.DecimalField(_("default interest"), default=Decimal("0.00"), **MONEY)
    interest_detail = models.JSONField(_("interest periods"), default=list, blank=True)
    fee = models.DecimalField(_("fees"), default=Decimal("0.00"), **MONEY)
    total = models.DecimalField(_("total claimed"), **MONEY)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-dated", "-level"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="reminder_once_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.invoice} · {self.get_level_display()}"


class ReminderLetter(TenantModel):
    """The letter of a reminder as sent (PDF); written together with its outbox e-mail, once."""

    append_only = True

    reminder = models.OneToOneField(
        Reminder, on_delete=models.PROTECT, related_name="letter", verbose_name=_("reminder")
    )
    content = models.BinaryField(_("letter (PDF)"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder letter")
        verbose_name_plural = _("reminder letters")

    def __str__(self) -> str:
        return str(self.reminder)


class Pause(TenantModel):
    """Dunning stopped for an invoice (a dispute), with the reason; ended by staff."""

    invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        related_name="dunning_pauses",
        verbose_name=_("invoice"),
    )
    reason = models.CharField(_("reason"), max_length=300)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    paused_at = models.DateTimeField(_("paused at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dunning pause")
        verbose_name_plural = _("dunning pauses")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(ended_at__isnull=True), name="pause_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.reason}"


class Confirmation(TenantModel):
    """The member agrees to the final Mahnung or to court dunning (or staff decide instead,
    with a reason)."""

    class Step(models.TextChoices):
        FINAL = "final", _("final Mahnung")
        ESCALATION = "escalation", _("court dunning")

    invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        related_name="dunning_confirmations",
        verbose_name=_("invoice"),
    )
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_override_reason = models.CharField(_("staff decided because"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    class Meta:
        verbose_name = _("dunning confirmation")
        verbose_name_plural = _("dunning confirmations")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="confirmation_once")
        ]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.get_step_display()}"


class Escalation(TenantModel):
    """The data staff need for the court dunning procedure (§§ 688 ff. ZPO)."""

    invoice = models.OneToOneField(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        related_name="escalation",
        verbose_name=_("invoice"),
    )
    dated = models.DateField(_("date"))
    claim = models.DecimalField(_("main claim"), **MONEY)
    interest = models.DecimalField(_("interest to date"), **MONEY)
    costs = models.DecimalField(_("dunning costs"), **MONEY)
    data = models.JSONField(_("court dunning data"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.invoice}: {self.claim} €"


track_tenant_model(model_name="DunningPolicyEvent")(DunningPolicy)
track_tenant_model(model_name="PauseEvent")(Pause)
