from __future__ import annotations

import re

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from members.models import EmploymentData, MemberDocument
from tenancy.models import User

COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def _country(value: str) -> str:
    if not COUNTRY.match(value or ""):
        raise forms.ValidationError(_("Enter a two-letter country code, e.g. DE."))
    return value.upper()


class ApplicationForm(forms.Form):
    """The online application. Account fields appear only for people without a login."""

    email = forms.EmailField(label=_("E-mail address"))
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=True))
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput(render_value=True)
    )
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput)
    street = forms.CharField(label=_("Street and number"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(label=_("Country of residence (code)"), max_length=2, initial="DE")
    nationality = forms.CharField(label=_("Nationality (code)"), max_length=2, initial="DE")
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    languages = forms.CharField(label=_("Languages spoken"), max_length=200, required=False)
    permit_type = forms.CharField(
        label=_("Residence and work permit (if you need one)"), max_length=100, required=False
    )
    permit_expires_on = forms.DateField(
        label=_("Permit valid until"), required=False, widget=DateInput
    )
    profession = forms.CharField(label=_("Profession"), max_length=200)
    activity_description = forms.CharField(
        label=_("Description of your activity"), widget=forms.Textarea(attrs={"rows": 4})
    )
    expected_monthly_volume = forms.DecimalField(
        label=_("Expected net orders per month (€)"), max_digits=12, decimal_places=2, min_value=0
    )
    shares = forms.IntegerField(label=_("Number of shares"), min_value=1, initial=1)
    accept_statutes = forms.BooleanField(
        label=_("I have read and accept the statutes."), required=False
    )
    accept_privacy = forms.BooleanField(label=_("I have read the privacy notice."), required=False)
    declaration_sha256 = forms.CharField(widget=forms.HiddenInput, required=False)

    ACCOUNT_FIELDS = ("email", "password1", "password2")

    def __init__(self, *args, needs_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_account = needs_account
        if not needs_account:
            for name in self.ACCOUNT_FIELDS:
                del self.fields[name]

    def clean_country(self):
        return _country(self.cleaned_data["country"])

    def clean_nationality(self):
        return _country(self.cleaned_data["nationality"])

    def clean_permit_expires_on(self):
        expires = self.cleaned_data.get("permit_expires_on")
        if expires and expires < timezone.localdate():
            raise forms.ValidationError(
                _("This permit has expired. Please enter the date of your current permit.")
            )
        return expires

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address exists. Please log in first.")
            )
        return email

    def clean(self):
        data = super().clean()
        if self.needs_account and data.get("password1"):
            if data.get("password1") != data.get("password2"):
                self.add_error("password2", _("The two passwords differ."))
            else:
                try:
                    validate_password(data["password1"])
                except forms.ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class EmploymentDataForm(forms.ModelForm):
    # Wider than the stored values: people type them with spaces, which are removed.
    social_insurance_number = forms.CharField(
        label=_("Social insurance number"), max_length=20, required=False
    )
    iban = forms.CharField(label=_("IBAN for salary"), max_length=42, required=False)

    class Meta:
        model = EmploymentData
        fields = list(EmploymentData.EDITABLE)

    def clean_social_insurance_number(self):
        return self.cleaned_data["social_insurance_number"].replace(" ", "").upper()

    def clean_iban(self):
        return self.cleaned_data["iban"].replace(" ", "").upper()


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MemberDocument.Kind.choices)
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"))


class NoticeForm(forms.Form):
    confirm = forms.BooleanField(label=_("I give notice to leave the cooperative."))
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.Form):
    """Staff's reason for a decision (admin intermediate page and API)."""

    reason = forms.CharField(label=_("Reason or message"), widget=forms.Textarea(attrs={"rows": 4}))
