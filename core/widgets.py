"""Form widgets shared by the pages."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. Its value is always ISO 8601 (the picker shows it in the
    browser's own locale), so the widget must not render the localised format: a German
    "22.11.2026" would leave the field empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MonthInput(forms.DateInput):
    """The browser's month picker (value YYYY-MM); pair it with input_formats=["%Y-%m"]."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")
