"""Date pickers get ISO values whatever the page's language: a localised value would leave the
picker empty, and people would have to type their dates again."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import translation

from core.widgets import DateInput, MonthInput


class _Form(forms.Form):
    day = forms.DateField(widget=DateInput)
    month = forms.DateField(widget=MonthInput, input_formats=["%Y-%m"])


def test_date_and_month_pickers_show_iso_values_in_every_language():
    for language in ("de", "en", "ar"):
        with translation.override(language):
            html = str(_Form(initial={"day": date(2026, 11, 2), "month": date(2026, 11, 1)}))
            assert 'type="date"' in html and 'value="2026-11-02"' in html
            assert 'type="month"' in html and 'value="2026-11"' in html
            bound = _Form({"day": "2026-11-02", "month": "2026-11"})
            assert bound.is_valid(), bound.errors
            assert bound.cleaned_data == {"day": date(2026, 11, 2), "month": date(2026, 11, 1)}
