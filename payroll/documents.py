"""The documents of an approved payroll run: one payslip per paid member (PDF, in the member's
language, rendered once and kept) and the payroll journal (CSV and PDF, rendered from the locked
lines whenever asked for: the run cannot change after approval, so it reads the same every time).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.csvsafe import csv_bytes
from core.exceptions import ApplicationError
from core.pdf import render_pdf
from payroll.models import PayrollLine, PayrollRun, Payslip
from payroll.selectors import month_end

ZERO = Decimal("0.00")
BATCH = 100

BRANCHES = (
    ("kv", gettext_lazy("Health insurance")),
    ("pv", gettext_lazy("Care insurance")),
    ("rv", gettext_lazy("Pension insurance")),
    ("av", gettext_lazy("Unemployment insurance")),
)


BANDS = {
    "minijob": gettext_lazy("mini-job"),
    "midijob": gettext_lazy("transition band"),
    "regular": gettext_lazy("regular"),
}


def band_label(band: str) -> str:
    return str(BANDS.get(band, band))


def _require_approved(run: PayrollRun) -> None:
    if run.status != PayrollRun.Status.APPROVED:
        raise ApplicationError(
            _("Payslips and the journal exist once the run is approved."),
            code="payroll_not_approved",
        )


def payslip_lines(run: PayrollRun):
    """The lines that get a payslip: every member paid in the approved run."""
    return run.lines.filter(status=PayrollLine.Status.OPEN, gross__gt=0)


def _language(line: PayrollLine) -> str:
    return line.member.user.language or line.cooperative.default_language or "de"


def payslip_context(line: PayrollLine) -> dict:
    employment = getattr(line.member, "employment", None)
    branches = line.details.get("branches", {})
    rows = [
        (label, Decimal(branches[key]["employee"]), Decimal(branches[key]["employer"]))
        for key, label in BRANCHES
        if key in branches
    ]
    levies = [
        (label, Decimal(line.details.get(key, "0")))
        for key, label in (
            ("u1", _("U1 levy (sick pay)")),
            ("u2", _("U2 levy (maternity)")),
            ("u3", _("U3 levy (insolvency)")),
            ("accident", _("Accident insurance")),
            ("flat_tax", _("Mini-job flat tax")),
        )
        if Decimal(line.details.get(key, "0"))
    ]
    iban = employment.iban if employment else ""
    return {
        "line": line,
        "run": line.run,
        "member": line.member,
        "cooperative": line.cooperative,
        "employment": employment,
        "contributions": rows,
        "levies": levies,
        "period_end": month_end(line.run.month),
        "employee_total": line.gross - line.net,
        "employer_total": line.employer_social_insurance + line.employer_levies,
        "iban_masked": f"{iban[:4]} **** {iban[-4:]}" if iban else "",
    }


def payslip_render(*, line: PayrollLine) -> Payslip:
    """The line's payslip, rendered on first request and kept as it was (safe to call twice)."""
    _require_approved(line.run)
    existing = Payslip.objects.filter(line=line).first()
    if existing is not None:
        return existing
    language = _language(line)
    with translation.override(language):
        content = render_pdf("pdf/payslip.html", payslip_context(line))
    try:
        with transaction.atomic():
            return Payslip.objects.create(
                cooperative_id=line.cooperative_id,
                line=line,
                language=language,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
            )
    except IntegrityError:  # rendered at the same time by another worker: keep the first
        return Payslip.objects.get(line=line)


def payslips_render_missing(*, run: PayrollRun, limit: int = BATCH) -> int:
    """Render up to `limit` missing payslips of the run; returns how many are still missing."""
    _require_approved(run)
    missing = (
        payslip_lines(run)
        .filter(payslip__isnull=True)
        .select_related("run", "cooperative", "member__user", "member__employment")
        .order_by("pk")
    )
    for line in missing[:limit]:
        payslip_render(line=line)
    return missing.count()


# --- The payroll journal ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    value: object  # attribute name or callable(line)


def _branch(key: str, side: str):
    return lambda line: Decimal(line.details.get("branches", {}).get(key, {}).get(side, "0"))


JOURNAL = (
    Column(gettext_lazy("Personnel number"), lambda line: line.member.member_number),
    Column(gettext_lazy("Name"), lambda line: line.member.full_name),
    Column(gettext_lazy("Status"), lambda line: line.get_status_display()),
    Column(gettext_lazy("Band"), lambda line: band_label(line.band)),
    Column(gettext_lazy("Hours"), "hours"),
    Column(gettext_lazy("Gross"), "gross"),
    Column(gettext_lazy("Wage tax"), "wage_tax"),
    Column(gettext_lazy("Solidarity surcharge"), "solidarity_surcharge"),
    Column(gettext_lazy("Church tax"), "church_tax"),
    Column(gettext_lazy("Health insurance (employee)"), _branch("kv", "employee")),
    Column(gettext_lazy("Care insurance (employee)"), _branch("pv", "employee")),
    Column(gettext_lazy("Pension insurance (employee)"), _branch("rv", "employee")),
    Column(gettext_lazy("Unemployment insurance (employee)"), _branch("av", "employee")),
    Column(gettext_lazy("Net"), "net"),
    Column(gettext_lazy("Employer contributions"), "employer_social_insurance"),
    Column(gettext_lazy("Levies and accident insurance"), "employer_levies"),
    Column(gettext_lazy("Employer cost"), "employer_cost"),
    Column(gettext_lazy("Budget before"), "budget_before"),
    Column(gettext_lazy("Budget after"), "budget_after"),
    Column(gettext_lazy("Expenses reimbursed"), "expenses_reimbursed"),
    Column(gettext_lazy("Payout"), "payout"),
)
SUMMED = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19, 20}


def _cell(column: Column, line: PayrollLine):
    if callable(column.value):
        return column.value(line)
    return getattr(line, column.value)


def journal_lines(run: PayrollRun):
    return run.lines.select_related("member").order_by("member__member_number", "member_id")


def journal_table(run: PayrollRun) -> tuple[list[str], list[list], list]:
    """Header, one row per line (rejected lines shown with zero amounts paid) and the totals
    of the paid lines."""
    _require_approved(run)
    header = [str(column.label) for column in JOURNAL]
    rows, totals = [], [None] * len(JOURNAL)
    for line in journal_lines(run).iterator(chunk_size=2000):
        row = [_cell(column, line) for column in JOURNAL]
        rows.append(row)
        if line.status == PayrollLine.Status.OPEN:
            for index in SUMMED:
                totals[index] = (totals[index] or ZERO) + row[index]
    totals[1] = _("Total")
    return header, rows, totals


def journal_csv(*, run: PayrollRun) -> bytes:
    header, rows, totals = journal_table(run)
    return csv_bytes(header, [*rows, totals])


def journal_pdf(*, run: PayrollRun) -> bytes:
    header, rows, totals = journal_table(run)
    return render_pdf(
        "pdf/payroll_journal.html",
        {
            "run": run,
            "cooperative": run.cooperative,
            "header": header,
            "rows": rows,
            "totals": totals,
        },
        stylesheets=("css/pdf.css", "css/pdf-landscape.css"),
    )
