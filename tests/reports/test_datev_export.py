"""The DATEV package of the demo year: the files follow the EXTF format, and read back the way
DATEV reads them (automatic accounts split the VAT off the gross) they say what the ledger says,
account by account and member by member."""

from __future__ import annotations

import io
import re
import zipfile
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max, Min, Sum

from invoicing.models import Client, Invoice
from ledger import datev
from ledger import services as ledger_services
from ledger.models import (
    AccountKind,
    DatevAccount,
    DatevPurpose,
    Entry,
    LedgerSettings,
    Transaction,
)
from reports import datev_export, jobs
from reports.datev_export import Context, Leg, bookings_of, legs_of
from reports.models import ReportJob
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db

AMOUNT = re.compile(r"^[1-9][0-9]{0,9},[0-9]{2}$|^0,[0-9]{2}$")
AUTOMATIC = {"8400": Decimal("19"), "8300": Decimal("7")}
AUTOMATIC_VAT = {"8400": "1776", "8300": "1771"}
REVENUE = ("8400", "8300", "8336", "8338", "8100")
CENT = Decimal("0.01")


def _read(path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    text = raw.decode("cp1252")
    return [line.split(";") for line in text.split("\r\n")[:-1]]


def _unquote(value: str) -> str:
    return value[1:-1].replace('""', '"') if value.startswith('"') else value


def _export(slug: str, tmp_path) -> tuple[str, list]:
    coop = Cooperative.objects.get(slug=slug)
    with tenant_scope(coop):
        span = Transaction.objects.aggregate(first=Min("booking_date"), last=Max("booking_date"))
    out = StringIO()
    call_command(
        "export_datev",
        cooperative=slug,
        date_from=span["first"].isoformat(),
        date_to=span["last"].isoformat(),
        output=str(tmp_path / slug),
        stdout=out,
    )
    return out.getvalue().strip().splitlines()[-1], sorted((tmp_path / slug).iterdir())


def test_demo_year_export_follows_the_format_and_reconciles_with_the_ledger(tmp_path):
    call_command("seed_demo", stdout=StringIO())
    for slug in ("smart-demo", "coop-nord"):
        summary, files = _export(slug, tmp_path)
        assert re.fullmatch(r"bookings=\d+ files=\d+ debtors=\d+ differences=0", summary)
        coop = Cooperative.objects.get(slug=slug)
        with tenant_scope(coop):
            settings = LedgerSettings.objects.get()
            effects: dict[str, Decimal] = defaultdict(Decimal)
            revenue: dict[str, Decimal] = defaultdict(Decimal)
            documents = set()
            batches = [f for f in files if f.name.startswith("EXTF_Buchungsstapel")]
            assert batches
            for path in batches:
                rows = _read(path)
                header, headings, bookings = rows[0], rows[1], rows[2:]
                assert header[:5] == ['"EXTF"', "700", "21", '"Buchungsstapel"', "13"]
                assert len(header) == 31 and re.fullmatch(r"\d{17}", header[5])
                assert header[10:12] == [
                    str(settings.datev_consultant_number),
                    str(settings.datev_client_number),
                ]
                assert header[26] == '"03"'
                assert [_unquote(h) for h in headings] == list(datev.COLUMNS)
                assert len(headings) == 125
                for row in bookings:
                    assert len(row) == 125
                    assert AMOUNT.match(row[0]), row[0]
                    assert row[1] == '"S"' and re.fullmatch(r"\d{4}", row[9])
                    amount = Decimal(row[0].replace(",", "."))
                    account, contra, kost1 = row[6], row[7], _unquote(row[36])
                    documents.add(_unquote(row[10]))
                    for number, side in ((account, 1), (contra, -1)):
                        net = amount
                        if number in AUTOMATIC:  # DATEV splits the VAT off the gross
                            rate = AUTOMATIC[number]
                            vat = (amount * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
                            effects[AUTOMATIC_VAT[number]] += side * vat
                            net = amount - vat
                        effects[number] += side * net
                        if number in REVENUE:
                            revenue[kost1] -= side * net
            # Sum of bookings = sum of postings, per balance-sheet account.
            ledger = (
                Entry.objects.filter(account__member__isnull=True)
                .exclude(account__kind=AccountKind.FEE_INCOME)
                .values_list("account__kind", "account__skr03")
                .annotate(total=Sum("amount"))
            )
            debtors = {str(n) for n in Client.objects.values_list("debtor_number", flat=True)}
            for kind, number, total in ledger:
                exported = effects.get(number, Decimal("0"))
                if kind == AccountKind.RECEIVABLES:
                    exported += sum((effects[d] for d in debtors if d in effects), Decimal("0"))
                assert exported == total, (kind, number)
            # Revenue per member (KOST1) = net of the invoices issued.
            issued = Invoice.objects.exclude(number_text="")
            for number, net in issued.values_list("member__member_number").annotate(
                net=Sum("net_total")
            ):
                assert revenue[str(number)] == net
            # Belegfeld 1 carries the invoice number; corrections the original's, which
            # DATEV's open items then net against.
            originals = issued.filter(kind="invoice").values_list("number_text", flat=True)
            assert set(originals) <= documents
            # Master data: one line per client that got a debtor number.
            master = _read(next(f for f in files if f.name.startswith("EXTF_Debitoren")))
            assert master[0][:5] == ['"EXTF"', "700", "16", '"Debitoren/Kreditoren"', "5"]
            assert [_unquote(h) for h in master[1]] == list(datev.MASTER_COLUMNS)
            assert len(master[1]) == 254
            assert sorted(r[0] for r in master[2:]) == sorted(debtors)
            assert all(10000 <= int(d) <= 69999 for d in debtors)
            reverse_charge = issued.filter(lines__vat_category="AE").first().client
            row = next(r for r in master[2:] if r[0] == str(reverse_charge.debtor_number))
            assert _unquote(row[8]) + _unquote(row[9]) == reverse_charge.vat_id.replace(" ", "")


def test_debtor_numbers_stay_and_new_clients_get_the_next(tmp_path):
    call_command("seed_demo", stdout=StringIO())
    coop = Cooperative.objects.get(slug="smart-demo")
    _export("smart-demo", tmp_path / "first")
    with tenant_scope(coop):
        before = dict(Client.objects.values_list("pk", "debtor_number"))
        client = Client.objects.create(
            kind="business", name="Neukunde GmbH", invoice_email="n@example.org"
        )
        assert datev_export.debtors_assign(cooperative=coop) == 1
        assert datev_export.debtors_assign(cooperative=coop) == 0
        client.refresh_from_db()
        assert client.debtor_number == max(before.values()) + 1
        assert {
            pk: n for pk, n in Client.objects.values_list("pk", "debtor_number") if pk in before
        } == before


def _accounts(coop) -> datev_export.Accounts:
    ledger_services.accounts_ensure(cooperative=coop)
    return datev_export.Accounts(coop, LedgerSettings.objects.get_or_create(cooperative=coop)[0])


def test_a_payment_with_guarantee_contribution_books_the_contribution_as_member_expense(coop_a):
    """Bank 1190 an debtor; the member's pending 1000 → fee 90, fund 10, budget 900: in DATEV
    only bank an debtor and the contribution (expense of KOST1 an fund) remain."""
    with tenant_scope(coop_a):
        accounts = _accounts(coop_a)
        entries = [
            (AccountKind.BANK, None, "1200", Decimal("1190.00")),
            (AccountKind.RECEIVABLES, None, "1400", Decimal("-1190.00")),
            (AccountKind.MEMBER_PENDING, 7, "", Decimal("1000.00")),
            (AccountKind.FEE_INCOME, None, "8519", Decimal("-90.00")),
            (AccountKind.GUARANTEE_FUND, None, "0980", Decimal("-10.00")),
            (AccountKind.MEMBER_BUDGET, 7, "", Decimal("-900.00")),
        ]
        context = Context(kind="payment", document="RE-1", debtor="10001")
        legs = legs_of(entries, context, accounts, {7: "42"})
        assert sorted(legs, key=lambda leg: leg.account) == [
            Leg("0980", Decimal("-10.00")),
            Leg("10001", Decimal("-1190.00")),
            Leg("1200", Decimal("1190.00")),
            Leg("4900", Decimal("10.00"), "42"),
        ]
        bookings = bookings_of(
            legs,
            anchors=("10001", "1200"),
            on=datev_export.date(2026, 3, 1),
            document="RE-1",
            number="5",
            text="Zahlung",
            due_date=None,
        )
        assert [(b.account, b.contra_account, b.amount, b.cost_center_1) for b in bookings] == [
            ("1200", "10001", Decimal("1190.00"), ""),
            ("4900", "0980", Decimal("10.00"), "42"),
        ]


def test_a_two_rate_invoice_and_its_cancellation_use_the_automatic_accounts(coop_a):
    with tenant_scope(coop_a):
        DatevAccount.objects.create(purpose=DatevPurpose.REVENUE_7, number="8301")
        accounts = _accounts(coop_a)
        issue = [
            (AccountKind.RECEIVABLES, None, "1400", Decimal("1297.00")),
            (AccountKind.OUTPUT_VAT_19, None, "1776", Decimal("-190.00")),
            (AccountKind.OUTPUT_VAT_7, None, "1771", Decimal("-7.00")),
            (AccountKind.MEMBER_PENDING, 7, "", Decimal("-1100.00")),
        ]
        nets = {
            ("S", Decimal("19.00")): Decimal("1000.00"),
            ("S", Decimal("7.00")): Decimal("100.00"),
        }
        context = Context(kind="invoice", document="RE-2", debtor="10002", nets=nets)
        legs = legs_of(issue, context, accounts, {7: "42"})
        assert sorted((leg.account, leg.amount, leg.kost1) for leg in legs) == [
            ("10002", Decimal("1297.00"), ""),
            ("8301", Decimal("-107.00"), "42"),
            ("8400", Decimal("-1190.00"), "42"),
        ]
        reversal = [(k, m, n, -a) for k, m, n, a in issue]
        assert sorted(legs_of(reversal, context, accounts, {7: "42"}), key=str) == sorted(
            (Leg(leg.account, -leg.amount, leg.kost1) for leg in legs), key=str
        )


def test_the_export_refuses_without_datev_numbers_and_a_reversed_period(coop_a, tmp_path):
    from core.exceptions import ApplicationError
    from reports import services

    with tenant_scope(coop_a):
        with pytest.raises(ApplicationError) as missing:
            services.datev_package_write(
                cooperative=coop_a,
                date_from=datev_export.date(2026, 1, 1),
                date_to=datev_export.date(2026, 1, 31),
                exported_by="test",
                directory=tmp_path,
            )
        assert missing.value.code == "datev_numbers_missing"
        with pytest.raises(ApplicationError) as order:
            services.datev_preview(
                cooperative=coop_a,
                date_from=datev_export.date(2026, 2, 1),
                date_to=datev_export.date(2026, 1, 31),
            )
        assert order.value.code == "period_order"


def test_periods_split_at_fiscal_and_calendar_years():
    d = datev_export.date
    assert datev_export.fiscal_years(d(2025, 11, 1), d(2026, 2, 28), 1) == [
        (d(2025, 1, 1), d(2025, 11, 1), d(2025, 12, 31)),
        (d(2026, 1, 1), d(2026, 1, 1), d(2026, 2, 28)),
    ]
    assert datev_export.fiscal_years(d(2026, 5, 1), d(2026, 8, 31), 7) == [
        (d(2025, 7, 1), d(2026, 5, 1), d(2026, 6, 30)),
        (d(2026, 7, 1), d(2026, 7, 1), d(2026, 8, 31)),
    ]


def test_accountant_page_checks_and_downloads_only_their_cooperative(
    coop_a, coop_b, bob, erik, alice, login, django_assert_max_num_queries
):
    for coop, name in ((coop_a, "Alpha Kunde GmbH"), (coop_b, "Nord Kunde GmbH")):
        with tenant_scope(coop):
            LedgerSettings.objects.update_or_create(
                cooperative=coop,
                defaults={"datev_consultant_number": 1001, "datev_client_number": 1},
            )
            Client.objects.create(kind="business", name=name, invoice_email="k@example.org")
    client = login(bob)
    page = client.get("/accountant/datev/", {"date_from": "2026-01-01", "date_to": "2026-12-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "The export matches the ledger." in html
    get_form = html.split('<form method="get"')[1].split("</form>")[0]
    assert "csrfmiddlewaretoken" not in get_form  # no CSRF token in a URL
    assert 'name="date_from" value="2026-01-01"' in html.split('<form method="post"')[1]
    response = client.post(
        "/accountant/datev/", {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    with tenant_scope(coop_a):
        job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/accountant/reports/{job.pk}/"
    with django_assert_max_num_queries(40):
        jobs.report_job_run(cooperative=coop_a, job_id=job.pk)
    download = client.get(f"/accountant/reports/{job.pk}/download/")
    assert download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert any(n.startswith("EXTF_Buchungsstapel_20260101_20261231") for n in names)
    debtors = archive.read(next(n for n in names if n.startswith("EXTF_Debitoren")))
    assert b"Alpha Kunde GmbH" in debtors and b"Nord Kunde GmbH" not in debtors
    bad = client.post("/accountant/datev/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200
    assert "The period ends before it starts." in bad.content.decode()
    assert login(alice).get("/accountant/datev/").status_code == 403
