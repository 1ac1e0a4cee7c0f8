"""The guarantee fund: which invoices it covers, the advances it paid to members' budgets before
the client paid, clients it no longer covers, and the invoices it wrote off."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantModel, track_tenant_model

MONEY = {"max_digits": 14, "decimal_places": 2}


class GuaranteePolicy(TenantModel):
    enabled = models.BooleanField(_("advance eligible invoices"), default=True)
    working_days = models.PositiveSmallIntegerField(
        _("advance after this many German working days"), default=10
    )
    holiday_state = models.CharField(
        _("public holidays of (state code, e.g. BE)"), max_length=2, default="BE"
    )
    max_gross = models.DecimalField(
        _("cover invoices up to this gross amount (€)"), default=Decimal("5000.00"), **MONEY
    )

    class Meta:
        verbose_name = _("guarantee policy")
        verbose_name_plural = _("guarantee policies")
        constraints = [models.UniqueConstraint(fields=["cooperative"], name="guaranteepolicy_one")]

    def __str__(self) -> str:
        return str(_("Guarantee policy"))


class ClientBlock(TenantModel):
    """A client the fund no longer covers (e.g. after a default), with the reason."""

    client = models.OneToOneField(
        "invoicing.Client",
        on_delete=models.PROTECT,
        related_name="guarantee_block",
        verbose_name=_("client"),
    )
    reason = models.CharField(_("reason"), max_length=300)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    blocked_at = models.DateTimeField(_("blocked at"), default=timezone.now)

    class Meta:
        verbose_name = _("client not covered")
        verbose_name_plural = _("clients not covered")

    def __str__(self) -> str:
        return f"{self.client}: {self.reason}"


class Advance(TenantModel):
    """The fund credited the member's budget for an unpaid invoice."""

    invoice = models.OneToOneField(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        related_name="guarantee_advance",
        verbose_name=_("invoice"),
    )
    dated = models.DateField(_("date"))
    gross_open = models.DecimalField(_("gross still open"), **MONEY)
    net_advanced = models.DecimalField(_("net advanced"), **MONEY)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("guarantee advance")
        verbose_name_plural = _("guarantee advances")
        ordering = ["-dated"]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.net_advanced} €"


class WriteOff(TenantModel):
    """An advanced invoice the client will not pay: the fund absorbs the member's share and the
    output VAT is corrected (§ 17 (2) no. 1 UStG)."""

    invoice = models.OneToOneField(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        related_name="guarantee_write_off",
        verbose_name=_("invoice"),
    )
    dated = models.DateField(_("date"))
    gross = models.DecimalField(_("gross written off"), **MONEY)
    reason = models.CharField(_("reason"), max_length=300)
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("write-off")
        verbose_name_plural = _("write-offs")

    def __str__(self) -> str:
        return f"{self.invoice}: {self.gross} €"


track_tenant_model(model_name="ClientBlockEvent")(ClientBlock)
track_tenant_model(model_name="GuaranteePolicyEvent")(GuaranteePolicy)
