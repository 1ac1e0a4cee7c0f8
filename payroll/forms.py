from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import MonthInput
from payroll.models import State


class CertifiedResultsForm(forms.Form):
    file = forms.FileField(
        label=_("Certified results (CSV)"),
        help_text=_(
            "One row per employee with the columns Personalnummer, Brutto, Steuern, Netto and "
            "AG-Kosten (semicolon or comma separated); at most 5 MB."
        ),
    )


class PayrollStartForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=MonthInput(),
        help_text=_("Members who are active at the end of the month are paid."),
    )


class PlannerForm(forms.Form):
    months = forms.IntegerField(
        label=_("Spread over months"), min_value=1, max_value=24, initial=6, required=False
    )
    extra_income = forms.DecimalField(
        label=_("Further income expected per month (€, after the fee)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        initial=0,
        required=False,
    )
    collection_rate = forms.IntegerField(
        label=_("Share of open invoices expected to be paid (%)"),
        min_value=0,
        max_value=100,
        initial=100,
        required=False,
    )
    include_planned = forms.BooleanField(
        label=_("Count jobs still waiting for the client's confirmation"),
        initial=True,
        required=False,
    )


class CalculatorForm(forms.Form):
    gross = forms.DecimalField(
        label=_("Monthly gross (€)"), min_value=0, max_digits=12, decimal_places=2
    )
    tax_class = forms.TypedChoiceField(
        label=_("Tax class"),
        choices=[(n, roman) for n, roman in enumerate(["I", "II", "III", "IV", "V", "VI"], 1)],
        coerce=int,
    )
    kv_additional = forms.DecimalField(
        label=_("Health insurer's additional rate (%)"),
        min_value=0,
        max_value=10,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the average additional rate."),
    )
    childless = forms.BooleanField(label=_("Childless (care insurance surcharge)"), required=False)
    pv_children = forms.IntegerField(
        label=_("Children for care insurance"), min_value=0, max_value=10, initial=0
    )
    tax_children = forms.DecimalField(
        label=_("Child allowances (wage tax)"),
        min_value=0,
        max_value=10,
        decimal_places=1,
        initial=0,
    )
    church_tax = forms.BooleanField(label=_("Church tax"), required=False)
    state = forms.ChoiceField(label=_("State"), choices=State.choices, initial=State.BE)


class SalaryCategoryForm(forms.Form):
    """The member's choice among the categories offered (priced and checked for them)."""

    category = forms.ChoiceField(label=_("Salary category"), widget=forms.RadioSelect)

    def __init__(self, *args, options, allow_none: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {str(o.category.pk): o.category for o in options}
        self.fields["category"].choices = [
            *((key, str(category)) for key, category in self.options.items()),
            ("none", allow_none),
        ]

    def chosen(self):
        """The category chosen, or None for no category."""
        return self.options.get(self.cleaned_data["category"])
