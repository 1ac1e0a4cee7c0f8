from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from invoicing.invoice_services import INVOICE_FIELDS, LineValues
from invoicing.models import Client, Invoice, Job, Unit
from invoicing.services import CLIENT_FIELDS, JOB_FIELDS


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = list(CLIENT_FIELDS)


class JobForm(forms.ModelForm):
    # The choices are set per request (the person's clients); none at import time.
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client._base_manager.none())

    class Meta:
        model = Job
        fields = list(JOB_FIELDS)
        widgets = {
            "period_start": DateInput,
            "period_end": DateInput,
            "deliverable": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients


class JobAnswerForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    reason = forms.CharField(
        label=_("Reason (if you decline)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


VAT_CHOICES = [
    ("S19", _("19 % VAT")),
    ("S7", _("7 % VAT")),
    ("AE", _("EU business client: reverse charge")),
    ("O", _("Not taxable in Germany (business client outside the EU)")),
    ("E", _("Exempt from VAT")),
]
VAT_VALUES = {
    "S19": ("S", Decimal("19")),
    "S7": ("S", Decimal("7")),
    "AE": ("AE", Decimal("0")),
    "O": ("O", Decimal("0")),
    "E": ("E", Decimal("0")),
}


class InvoiceForm(forms.ModelForm):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client._base_manager.none())
    job = forms.ModelChoiceField(label=_("Job"), queryset=Job._base_manager.none(), required=False)

    class Meta:
        model = Invoice
        fields = list(INVOICE_FIELDS)
        widgets = {
            "supply_date": DateInput,
            "period_start": DateInput,
            "period_end": DateInput,
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, clients, jobs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients
        self.fields["job"].queryset = jobs


class InvoiceLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500)
    detail = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3)
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices, initial=Unit.HOUR)
    unit_price = forms.DecimalField(label=_("Unit price (€, net)"), max_digits=14, decimal_places=2)
    vat = forms.ChoiceField(label=_("VAT"), choices=VAT_CHOICES, initial="S19")

    def line_values(self) -> LineValues:
        category, rate = VAT_VALUES[self.cleaned_data["vat"]]
        return LineValues(
            description=self.cleaned_data["description"],
            detail=self.cleaned_data["detail"],
            quantity=self.cleaned_data["quantity"],
            unit=self.cleaned_data["unit"],
            unit_price=self.cleaned_data["unit_price"],
            vat_category=category,
            vat_rate=rate,
        )

    @staticmethod
    def initial_for(line) -> dict:
        vat = (
            "S19"
            if line.vat_category == "S" and line.vat_rate == 19
            else ("S7" if line.vat_category == "S" else line.vat_category)
        )
        return {
            "description": line.description,
            "detail": line.detail,
            "quantity": abs(line.quantity),
            "unit": line.unit,
            "unit_price": line.unit_price,
            "vat": vat,
        }


InvoiceLineFormSet = forms.formset_factory(
    InvoiceLineForm, extra=1, min_num=1, validate_min=True, max_num=200, validate_max=True
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResendForm(forms.Form):
    to = forms.EmailField(label=_("Send to (leave empty for the client's address)"), required=False)


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *Invoice.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", "—"), *Invoice.Kind.choices]
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
