from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput


def _year_start() -> date:
    return timezone.localdate().replace(month=1, day=1)


class DatevPeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DateInput(), initial=_year_start)
    date_to = forms.DateField(label=_("Until"), widget=DateInput(), initial=timezone.localdate)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The period ends before it starts."))
        return data


class ReportForm(forms.Form):
    """One report: which, in what format, for which day or period."""

    report = forms.ChoiceField(label=_("Report"))
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX"), ("pdf", "PDF")]
    )
    as_of = forms.DateField(
        label=_("On"),
        required=False,
        widget=DateInput(),
        initial=timezone.localdate,
        help_text=_("For open items and budgets."),
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        initial=_year_start,
        help_text=_("For revenue, VAT return and EU sales list."),
    )
    date_to = forms.DateField(
        label=_("Until"),
        required=False,
        widget=DateInput(),
        initial=timezone.localdate,
    )

    def __init__(self, *args, **kwargs):
        from reports.tables import PERIOD_REPORTS, REPORTS

        super().__init__(*args, **kwargs)
        self.period_reports = PERIOD_REPORTS
        self.fields["report"].choices = list(REPORTS.items())

    def clean(self):
        data = super().clean()
        report = data.get("report")
        if report in self.period_reports:
            for name in ("date_from", "date_to"):
                if not data.get(name):
                    self.add_error(name, _("This report needs a period."))
            if (
                data.get("date_from")
                and data.get("date_to")
                and data["date_from"] > data["date_to"]
            ):
                self.add_error("date_to", _("The period ends before it starts."))
        elif report and not data.get("as_of"):
            self.add_error("as_of", _("This report needs a day."))
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        if data["report"] in self.period_reports:
            return {
                "date_from": data["date_from"].isoformat(),
                "date_to": data["date_to"].isoformat(),
            }
        return {"as_of": data["as_of"].isoformat()}
