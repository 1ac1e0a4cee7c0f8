from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from expenses.models import ExpenseClaim


class ExpenseClaimForm(forms.Form):
    """Amounts may stay empty when the receipt is an e-invoice: they are read from it."""

    receipt = forms.FileField(
        label=_("Receipt"),
        help_text=_(
            "PDF, PNG or JPEG, at most 10 MB. A ZUGFeRD/Factur-X PDF or an XRechnung XML is read "
            "automatically: supplier, date and amounts can then stay empty."
        ),
    )
    category = forms.ChoiceField(label=_("Category"), choices=ExpenseClaim.Category.choices)
    description = forms.CharField(label=_("What for"), max_length=200)
    supplier = forms.CharField(label=_("Supplier"), max_length=140, required=False)
    receipt_date = forms.DateField(
        label=_("Receipt date"),
        required=False,
        widget=DateInput(),
    )
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=60, required=False)
    gross = forms.DecimalField(
        label=_("Amount paid including VAT (€)"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    vat_rate = forms.TypedChoiceField(
        label=_("VAT rate on the receipt"),
        choices=[("19", "19 %"), ("7", "7 %"), ("0", _("none / not German VAT"))],
        coerce=Decimal,
        initial="19",
    )
