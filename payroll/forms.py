from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CertifiedResultsForm(forms.Form):
    file = forms.FileField(
        label=_("Certified results (CSV)"),
        help_text=_(
            "One row per employee with the columns Personalnummer, Brutto, Steuern, Netto and "
            "AG-Kosten (semicolon or comma separated); at most 5 MB."
        ),
    )
