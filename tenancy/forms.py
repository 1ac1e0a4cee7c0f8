from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tenancy.models import ApiToken
from tenancy.services import API_TOKEN_MAX_DAYS


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=API_TOKEN_MAX_DAYS, initial=90
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=ApiToken.Access.choices,
        initial=ApiToken.Access.READ,
        help_text=_("A read-only token cannot create, change or delete anything."),
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
