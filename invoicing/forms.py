from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from invoicing.models import Client, Job
from invoicing.services import CLIENT_FIELDS, JOB_FIELDS
from members.forms import DateInput


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
