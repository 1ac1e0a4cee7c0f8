from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tenancy.services import API_TOKEN_MAX_DAYS


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=API_TOKEN_MAX_DAYS, initial=90
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
