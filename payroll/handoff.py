"""The hand-off to the certified payroll system, both ways (ADR 0020).

Out: the approved month's inputs as a DATEV LODAS ASCII import file — one movement record
(`u_lod_bwd_buchung_standard`) per member and wage type: the gross as an amount, optionally the
hours, and reimbursed expenses. Windows-1252 and CRLF, as DATEV's import expects.

Back: the certified results (gross, taxes, net and employer cost per personnel number) as the
tax adviser exports them, a CSV file. The whole file is checked before anything is stored; one
bad row refuses the file with every problem listed, so nothing is half imported. Each member's
result is kept as imported, and the difference against the shadow line is posted to the
member's budget in the month the results arrive (the payroll month may be closed).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from ledger import services as ledger_services
from ledger.models import AccountKind, SourceType
from payroll.models import CertifiedResult, PayrollLine, PayrollRun, PayrollSettings
from tenancy.models import User

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_FILE_BYTES = 5 * 1024 * 1024

# --- Out: DATEV LODAS ------------------------------------------------------------------------

RECORD = "10"
RECORD_DESCRIPTION = (
    f"{RECORD};u_lod_bwd_buchung_standard;abrechnung_zeitraum#bwd;pnr#bwd;la_eigene#bwd;"
    "bs_nr#bwd;bs_wert_butab#bwd;kostenstelle#bwd;"
)
# Bearbeitungsschlüssel (processing key) of a movement record: what the value means.
BS_HOURS = "1"
BS_AMOUNT = "4"


def _lodas_number(value: Decimal) -> str:
    return f"{value.quantize(CENT)}".replace(".", ",")


def lodas_ready(settings: PayrollSettings) -> None:
    if not (
        settings.datev_consultant_number
        and settings.datev_client_number
        and settings.lodas_wage_type_salary
    ):
        raise ApplicationError(
            _(
                "Enter the DATEV consultant and client numbers and the LODAS wage type for the "
                "salary in the payroll settings first."
            ),
            code="lodas_settings_missing",
        )


def lodas_export(*, run: PayrollRun, settings: PayrollSettings) -> bytes:
    """The approved run's inputs for DATEV LODAS. Rejected lines and lines without a salary
    are left out; the personnel number is the member number, the cost centre too."""
    if run.status != PayrollRun.Status.APPROVED:
        raise ApplicationError(
            _("Only an approved run is handed to the certified payroll."), code="not_approved"
        )
    lodas_ready(settings)
    period = run.month.strftime("%d.%m.%Y")
    lines = (
        run.lines.filter(status=PayrollLine.Status.OPEN)
        .filter(Q(gross__gt=0) | Q(expenses_reimbursed__gt=0))
        .select_related("member")
        .order_by("member__member_number")
    )
    records = []
    for line in lines:
        pnr = str(line.member.member_number)
        values = []
        if line.gross:
            values.append((settings.lodas_wage_type_salary, BS_AMOUNT, line.gross))
        if settings.lodas_wage_type_hours and line.hours:
            values.append((settings.lodas_wage_type_hours, BS_HOURS, line.hours))
        expenses = line.expenses_reimbursed
        if expenses:
            if not settings.lodas_wage_type_expenses:
                raise ApplicationError(
                    _("Enter the LODAS wage type for reimbursed expenses in the payroll settings."),
                    code="lodas_settings_missing",
                )
            values.append((settings.lodas_wage_type_expenses, BS_AMOUNT, expenses))
        for wage_type, key, value in values:
            records.append(
                f"{RECORD};{period};{pnr};{wage_type};{key};{_lodas_number(value)};{pnr};"
            )
    text = [
        "[Allgemein]",
        "Ziel=LODAS",
        "Version_SST=1.0",
        f"BeraterNr={settings.datev_consultant_number}",
        f"MandantenNr={settings.datev_client_number}",
        "Datumsformat=TT.MM.JJJJ",
        "Feldtrennzeichen=;",
        "Zahlenkomma=,",
        "Kommentarzeichen=*",
        "",
        f"* SmartCoop {run.cooperative.slug}, payroll {run.month:%Y-%m}",
        "",
        "[Satzbeschreibung]",
        RECORD_DESCRIPTION,
        "",
        "[Bewegungsdaten]",
        *records,
        "",
    ]
    return "\r\n".join(text).encode("cp1252", errors="replace")


# --- Back: certified results -----------------------------------------------------------------

# Header names as DATEV's and other payroll programs' CSV exports spell them (case and spaces
# are ignored); the English names are the project's own template.
COLUMNS = {
    "personnel_number": {"personalnummer", "pnr", "persnr", "personnelnumber"},
    "gross": {"brutto", "gesamtbrutto", "bruttolohn", "gross"},
    "taxes": {"steuern", "steuerngesamt", "lohnsteuergesamt", "taxes"},
    "net": {"netto", "nettolohn", "auszahlung", "auszahlungsbetrag", "net"},
    "employer_cost": {
        "agkosten",
        "arbeitgeberkosten",
        "gesamtkosten",
        "personalkosten",
        "employercost",
    },
}


@dataclass
class ParsedRow:
    number: int
    personnel_number: int
    gross: Decimal
    taxes: Decimal
    net: Decimal
    employer_cost: Decimal


@dataclass
class ImportSummary:
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    differences: int = 0
    total_difference: Decimal = ZERO
    missing: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"rows={self.rows} imported={self.imported} unchanged={self.unchanged} "
            f"differences={self.differences} total_difference={self.total_difference:.2f} "
            f"missing={len(self.missing)}"
        )


class CertifiedFileError(ApplicationError):
    """The file was refused; `problems` lists every row that is wrong."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(
            message, code="certified_file", extra={"problems": problems} if problems else None
        )
        self.problems = problems or []


def _key(name: str) -> str:
    return "".join(ch for ch in name.strip().lower() if ch.isalnum())


def _amount(raw: str) -> Decimal:
    text = raw.strip().replace("€", "").replace(" ", "")
    if "," in text:
        # German notation: 1.234,56
        text = text.replace(".", "").replace(",", ".")
    value = Decimal(text)
    if not value.is_finite() or value != value.quantize(CENT):
        raise InvalidOperation
    return value.quantize(CENT)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def certified_parse(content: bytes) -> list[ParsedRow]:
    """Every row of the file, or `CertifiedFileError` naming every problem."""
    if len(content) > MAX_FILE_BYTES:
        raise CertifiedFileError(_("The file is larger than 5 MB."))
    text = _decode(content)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise CertifiedFileError(_("The file is empty."))
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        for column, names in COLUMNS.items():
            if _key(name) in names and column not in positions:
                positions[column] = index
    absent = [column for column in COLUMNS if column not in positions]
    if absent:
        raise CertifiedFileError(
            _(
                "The header must name the columns personnel number, gross, taxes, net and "
                "employer cost (e.g. Personalnummer;Brutto;Steuern;Netto;AG-Kosten); missing: "
                "%(columns)s."
            )
            % {"columns": ", ".join(absent)}
        )
    rows: list[ParsedRow] = []
    problems: list[str] = []
    seen: dict[int, int] = {}
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        try:
            values = {column: record[index] for column, index in positions.items()}
        except IndexError:
            problems.append(_("Row %(row)d: too few columns.") % {"row": number})
            continue
        try:
            pnr = int(values["personnel_number"].strip())
        except ValueError:
            problems.append(
                _("Row %(row)d: the personnel number %(value)r is not a number.")
                % {"row": number, "value": values["personnel_number"]}
            )
            continue
        try:
            amounts = {
                column: _amount(values[column])
                for column in ("gross", "taxes", "net", "employer_cost")
            }
        except InvalidOperation:
            problems.append(
                _("Row %(row)d: an amount is not a number in euros and cents.") % {"row": number}
            )
            continue
        if not (
            ZERO <= amounts["net"] <= amounts["gross"] <= amounts["employer_cost"]
            and ZERO <= amounts["taxes"] <= amounts["gross"] - amounts["net"]
        ):
            problems.append(
                _(
                    "Row %(row)d: the amounts do not fit together (net ≤ gross ≤ employer cost, "
                    "taxes ≤ gross − net)."
                )
                % {"row": number}
            )
            continue
        if pnr in seen:
            problems.append(
                _("Row %(row)d: personnel number %(pnr)d was already in row %(first)d.")
                % {"row": number, "pnr": pnr, "first": seen[pnr]}
            )
            continue
        seen[pnr] = number
        rows.append(ParsedRow(number, pnr, **amounts))
    if problems:
        raise CertifiedFileError(_("The file was not imported."), problems)
    if not rows:
        raise CertifiedFileError(_("The file has no rows."))
    return rows


def _same(result: CertifiedResult, row: ParsedRow) -> bool:
    return (result.gross, result.taxes, result.net, result.employer_cost) == (
        row.gross,
        row.taxes,
        row.net,
        row.employer_cost,
    )


def certified_results_import(
    *, run: PayrollRun, content: bytes, name: str, actor: User
) -> ImportSummary:
    """Store the certified results of an approved run and post each difference to the
    member's budget. Importing the same file again changes nothing; a different result for a
    member already certified is refused (corrections come with the next month's results)."""
    rows = certified_parse(content)
    digest = hashlib.sha256(content).hexdigest()
    cooperative = run.cooperative
    with transaction.atomic():
        run = PayrollRun.objects.select_for_update().get(pk=run.pk)
        if run.status != PayrollRun.Status.APPROVED:
            raise CertifiedFileError(
                _("Certified results can only be imported for an approved run.")
            )
        lines = {
            line.member.member_number: line
            for line in run.lines.filter(status=PayrollLine.Status.OPEN).select_related("member")
        }
        existing = {r.line_id: r for r in CertifiedResult.objects.filter(run=run)}
        problems = []
        for row in rows:
            line = lines.get(row.personnel_number)
            if line is None:
                problems.append(
                    _("Row %(row)d: personnel number %(pnr)d has no salary in %(month)s.")
                    % {"row": row.number, "pnr": row.personnel_number, "month": run}
                )
            elif line.pk in existing and not _same(existing[line.pk], row):
                problems.append(
                    _(
                        "Row %(row)d: personnel number %(pnr)d was already imported with other "
                        "amounts; corrections belong in the next month's results."
                    )
                    % {"row": row.number, "pnr": row.personnel_number}
                )
        if problems:
            raise CertifiedFileError(_("The file was not imported."), problems)
        summary = ImportSummary(rows=len(rows))
        fresh: list[CertifiedResult] = []
        for row in rows:
            line = lines[row.personnel_number]
            if line.pk in existing:
                summary.unchanged += 1
                continue
            fresh.append(
                CertifiedResult(
                    cooperative=cooperative,
                    run=run,
                    line=line,
                    member=line.member,
                    gross=row.gross,
                    taxes=row.taxes,
                    net=row.net,
                    employer_cost=row.employer_cost,
                    employer_cost_difference=row.employer_cost - line.employer_cost,
                    net_difference=row.net - line.net,
                    source_name=name[:200],
                    source_sha256=digest,
                    imported_by=actor,
                    imported_at=timezone.now(),
                )
            )
        CertifiedResult.objects.bulk_create(fresh)
        summary.imported = len(fresh)
        _post_differences(run, fresh, actor)
        for result in fresh:
            if result.employer_cost_difference or result.net_difference:
                summary.differences += 1
                summary.total_difference += result.employer_cost_difference
        certified = {r.line_id for r in fresh} | set(existing)
        summary.missing = [str(line.member) for line in lines.values() if line.pk not in certified]
    return summary


def _post_differences(run: PayrollRun, results: list[CertifiedResult], actor: User) -> None:
    """Shadow and certified payroll differ by a few cents or more (rounding, a data change the
    tax adviser knew of): the budget bears the real employer cost. The net difference goes to
    wages payable (paid with the next transfer or reclaimed), the taxes' to wage tax payable,
    the rest to social security payable."""
    results = [r for r in results if r.employer_cost_difference or r.net_difference]
    if not results:
        return
    cooperative = run.cooperative
    accounts = ledger_services.accounts_ensure(cooperative=cooperative)
    budgets = {
        member_id: account
        for (member_id, _kind), account in ledger_services.accounts_member_many(
            {r.member_id: r.member for r in results}, kinds=(AccountKind.MEMBER_BUDGET,)
        ).items()
    }
    today = timezone.localdate()
    postings = []
    for result in results:
        line = result.line
        shadow_taxes = line.wage_tax + line.solidarity_surcharge + line.church_tax
        shadow_taxes += Decimal(line.details.get("flat_tax", "0"))
        taxes = result.taxes - shadow_taxes
        social = result.employer_cost_difference - result.net_difference - taxes
        description = _(
            "Certified payroll %(month)s: employer cost %(certified)s € instead of %(shadow)s €, "
            "net %(net)s € instead of %(shadow_net)s €"
        ) % {
            "month": run,
            "certified": result.employer_cost,
            "shadow": line.employer_cost,
            "net": result.net,
            "shadow_net": line.net,
        }
        text = f"{run} {result.member}"[:120]
        postings.append(
            ledger_services.Posting(
                booking_date=today,
                description=description[:200],
                source_type=SourceType.PAYROLL_LINE,
                source_id=str(line.pk),
                idempotency_key=f"payroll:certified-{line.pk}",
                lines=[
                    ledger_services.Line(
                        budgets[result.member_id], result.employer_cost_difference, text
                    ),
                    ledger_services.Line(
                        accounts[AccountKind.WAGES_PAYABLE], -result.net_difference, text
                    ),
                    ledger_services.Line(accounts[AccountKind.WAGE_TAX_PAYABLE], -taxes, text),
                    ledger_services.Line(
                        accounts[AccountKind.SOCIAL_SECURITY_PAYABLE], -social, text
                    ),
                ],
            )
        )
    ledger_services.ledger_post_many(cooperative=cooperative, postings=postings, actor=actor)
