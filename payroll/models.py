"""Payroll data. Contribution rates, limits and the minimum wage are platform-wide dated tables
kept by the operator (law changes on 1 January, sometimes mid-year): a calculation uses the row
in force on the pay day and refuses a day no row covers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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
