from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _year_start() -> date:
    return timezone.localdate().replace(month=1, day=1)


class DatevPeriodForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}), initial=_year_start
    )
    date_to = forms.DateField(
        label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The period ends before it starts."))
        return data
