"""Demo data: two cooperatives with staff, an accountant and members. Safe to run again.

Prints one line per demo account: `login: EMAIL PASSWORD ROLE COOPERATIVE_SLUG`.

The two active members joined about a year and a half ago; their budgets received client
payments every month since (posted as paid revenue less the cooperative's fee), and the payroll
of the last twelve months (from the first year with contribution rates) was computed, submitted
by one staff member and approved by another like a real month-end. Last month's run waits as a
draft for staff to submit and approve. The members' insurers are in the dated insurers' table,
and from now on members may choose a salary category: the second member has chosen the smallest
their money sustains.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from invoicing import invoice_services
from invoicing import services as invoicing_services
from invoicing.invoice_services import LineValues
from invoicing.models import Client, Invoice, InvoicingSettings, Job
from ledger import services as ledger_services
from ledger.models import FeeRule, LedgerSettings
from members import services as member_services
from members.models import Member
from payroll.models import PayrollSettings
from tenancy import services
from tenancy.models import Cooperative, Role, User
from tenancy.scope import tenant_scope

DEMO_PASSWORD = "demo-Genossenschaft-2026"  # noqa: S105 - public demo accounts, printed on purpose

COOPERATIVES = [
    {
        "slug": "smart-demo",
        "legal_name": "Smart Demo eG",
        "street": "Kopenhagener Straße 12",
        "postal_code": "10437",
        "city": "Berlin",
        "vat_id": "DE136695976",
        "tax_number": "1181508150",
        "register_court": "Amtsgericht Charlottenburg",
        "register_number": "GnR 999 B",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "colour": "#c0392b",
    },
    {
        "slug": "coop-nord",
        "legal_name": "Coop Nord eG",
        "street": "Hafenstraße 5",
        "postal_code": "20459",
        "city": "Hamburg",
        "vat_id": "DE811907980",
        "tax_number": "2181508150",
        "register_court": "Amtsgericht Hamburg",
        "register_number": "GnR 1234",
        "iban": "DE02120300000000202051",
        "bic": "BYLADEM1001",
        "colour": "#1f5f8b",
    },
]

# (email local part, full name, role, language, member stage)
PEOPLE = [
    ("staff", "Sabine Stahl", Role.STAFF, "de", None),
    ("payroll", "Paul Brandt", Role.STAFF, "de", None),
    ("accountant", "Anton Berger", Role.ACCOUNTANT, "de", None),
    ("member", "Mira Kowalska", Role.MEMBER, "pl", "active"),
    ("member2", "Olena Shevchenko", Role.MEMBER, "uk", "active"),
    ("applicant", "Ahmad Karimi", Role.MEMBER, "ar", "applicant"),
    ("approved", "Elif Yılmaz", Role.MEMBER, "tr", "approved"),
    ("suspended", "Jonas Weber", Role.MEMBER, "de", "suspended"),
    ("former", "Grace Okafor", Role.MEMBER, "en", "left"),
]

DETAILS = {
    "date_of_birth": date(1990, 5, 17),
    "street": "Lindenstraße 3",
    "postal_code": "10969",
    "city": "Berlin",
    "profession": "Graphic designer",
    "activity_description": "Logos, layouts and illustrations for small businesses.",
    "expected_monthly_volume": Decimal("1800.00"),
    "languages": "de, en",
}


# Monthly net revenue of the active members' clients (fluctuating, as freelance income does).
INCOME = {
    "member": [2600, 3400, 1900, 2800, 4100, 1600, 2500, 3300, 2200, 3700, 2900, 3100],
    "member2": [1500, 900, 2100, 1300, 1800, 700, 1600, 2400, 1200, 1700, 1000, 1900],
}
EMPLOYMENT = {
    "member": {
        "tax_id": "36574261809",
        "social_insurance_number": "12170590K012",
        "health_insurer": "Techniker Krankenkasse",
        "health_insurer_additional_rate": Decimal("2.69"),
        "tax_class": 1,
        "childless": True,
        "iban": "DE75512108001245126199",
        "contract_hours": Decimal("80"),
    },
    "member2": {
        "tax_id": "86095742719",
        "social_insurance_number": "65170590S025",
        "health_insurer": "AOK Nordost",
        "health_insurer_additional_rate": Decimal("3.50"),
        "tax_class": 2,
        "child_allowances": Decimal("1.0"),
        "number_of_children": 1,
        "childless": False,
        "church_tax": True,
        "iban": "DE12500105170648489890",
    },
}
HISTORY_MONTHS = 12
# The demo members' insurers with their 2026 additional rates; the U1/U2 levies are demo
# values (each insurer publishes its own).
INSURERS = {
    "Techniker Krankenkasse": ("", Decimal("2.69"), Decimal("1.80"), Decimal("0.24")),
    "AOK Nordost": ("", Decimal("3.50"), Decimal("2.10"), Decimal("0.39")),
}
# Salary categories offered besides the averaging rule (gross per month).
CATEGORIES = {"Basic": Decimal("1200.00"), "Standard": Decimal("2000.00")}


def _receipt_png() -> bytes:
    """A small grey image standing in for a photographed receipt (a valid PNG)."""
    import struct
    import zlib

    width, height = 40, 60

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\xdd" * width for _row in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _months_back(count: int) -> date:
    """The first of the month `count` months before the current one."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _joined_on() -> date:
    # Joined before the first month of income that the first salary of the history averages.
    return _months_back(HISTORY_MONTHS + 1 + 6 + 1) + timedelta(days=4)


class Command(BaseCommand):
    help = "Create (or complete) the demo cooperatives and accounts, and print their logins."

    def handle(self, *args, **options):
        lines: list[str] = []
        with transaction.atomic():
            operator = self._user("operator@smartcoop.example", "Olivia Operator", "en")
            if not operator.is_superuser:
                operator.is_superuser = operator.is_staff = True
                operator.save(update_fields=["is_superuser", "is_staff"])
            lines.append(f"login: {operator.email} {DEMO_PASSWORD} operator *")
            for data in COOPERATIVES:
                cooperative = Cooperative.objects.filter(slug=data["slug"]).first()
                if cooperative is None:
                    cooperative = services.cooperative_create(**data)
                self._ledger(cooperative)
                for local, full_name, role, language, stage in PEOPLE:
                    email = f"{local}@{cooperative.slug}.example"
                    user = self._user(email, full_name, language)
                    services.membership_grant(cooperative=cooperative, user=user, role=role)
                    if stage:
                        self._member(cooperative, user, full_name, stage, staff=operator)
                    lines.append(f"login: {email} {DEMO_PASSWORD} {role.value} {cooperative.slug}")
            for cooperative in Cooperative.objects.filter(
                slug__in=[c["slug"] for c in COOPERATIVES]
            ):
                with tenant_scope(cooperative):
                    ledger_services.share_payments_post_pending(cooperative=cooperative)
                    self._clients_and_jobs(cooperative, staff=operator)
                    self._invoices(cooperative, staff=operator)
                    self._bank(cooperative)
                self._payroll(cooperative, operator=operator)
                self._expenses(cooperative)
        for line in lines:
            self.stdout.write(line)

    def _ledger(self, cooperative) -> None:
        """Accounts and fee rules like the anchors: 9 % (Smart DE) in smart-demo; 12 % with a
        40 € monthly minimum and an 8,400 € yearly cap, plus a 6.5 % category, in coop-nord."""
        with tenant_scope(cooperative):
            ledger_services.accounts_ensure(cooperative=cooperative)
            # Demo numbers of a tax adviser's office, so the DATEV export works out of the box.
            LedgerSettings.objects.update_or_create(
                cooperative=cooperative,
                defaults={
                    "datev_consultant_number": 29098,
                    "datev_client_number": 10001 if cooperative.slug == "smart-demo" else 10002,
                },
            )
            if FeeRule.objects.exists():
                return
            if cooperative.slug == "smart-demo":
                FeeRule.objects.create(cooperative=cooperative, percentage=Decimal("9.00"))
            else:
                FeeRule.objects.create(
                    cooperative=cooperative,
                    percentage=Decimal("12.00"),
                    floor_amount=Decimal("40.00"),
                    floor_period=FeeRule.FloorPeriod.MONTH,
                    cap_per_year=Decimal("8400.00"),
                    guarantee_percentage=Decimal("1.00"),
                )
                FeeRule.objects.create(
                    cooperative=cooperative, category="artists", percentage=Decimal("6.50")
                )

    def _clients_and_jobs(self, cooperative, *, staff) -> None:
        """A German business, an EU business (reverse charge) and a public client; jobs in
        each state the member meets: approved, waiting for the client, draft."""
        member = Member.objects.filter(user__email=f"member@{cooperative.slug}.example").first()
        if member is None or Client.objects.exists():
            return
        base = {
            "contact_person": "",
            "language": "de",
            "payment_terms_days": 14,
            "vat_id": "",
            "leitweg_id": "",
        }
        clients = [
            invoicing_services.client_save(
                client=None,
                member=member,
                values={
                    **base,
                    "kind": "business",
                    "name": "Atelier Nord GmbH",
                    "street": "Kai 1",
                    "postal_code": "20457",
                    "city": "Hamburg",
                    "country": "DE",
                    "vat_id": "DE129273398",
                    "invoice_email": "rechnung@atelier-nord.example",
                },
            ),
            invoicing_services.client_save(
                client=None,
                member=member,
                values={
                    **base,
                    "kind": "business",
                    "name": "Studio Lumière SARL",
                    "street": "2 rue Haute",
                    "postal_code": "69001",
                    "city": "Lyon",
                    "country": "FR",
                    "vat_id": "FR40303265045",
                    "language": "en",
                    "invoice_email": "factures@lumiere.example",
                },
            ),
            invoicing_services.client_save(
                client=None,
                member=member,
                values={
                    **base,
                    "kind": "public",
                    "name": "Bezirksamt Pankow",
                    "street": "Breite Str. 24a",
                    "postal_code": "13187",
                    "city": "Berlin",
                    "country": "DE",
                    "leitweg_id": "04011000-1234512345-06",
                    "invoice_email": "rechnungseingang@pankow.example",
                },
            ),
        ]
        jobs = [
            (clients[0], "Corporate design", "S19", "approved"),
            (clients[1], "Photo series for the catalogue", "AE", "sent"),
            (clients[2], "Illustrations for a school brochure", "S19", "draft"),
        ]
        for client, title, vat_category, stage in jobs:
            job = invoicing_services.job_save(
                job=None,
                member=member,
                values={
                    "client": client,
                    "title": title,
                    "deliverable": f"{title}: final files and rights of use",
                    "period_start": date(2026, 12, 1),
                    "period_end": date(2026, 12, 19),
                    "place": client.city,
                    "pricing": "fixed",
                    "hours": None,
                    "hourly_rate": None,
                    "fixed_price": Decimal("2400.00"),
                    "vat_category": vat_category,
                    "vat_reason": "",
                    "uses_client_equipment": False,
                    "in_client_rota": False,
                    "follows_client_instructions": False,
                },
            )
            if stage == "draft":
                continue
            invoicing_services.job_send_for_confirmation(job=job, actor=member.user)
            if stage == "approved":
                invoicing_services.job_answer(
                    job=job, accept=True, name="Demo client", reason="", ip="127.0.0.1"
                )
                invoicing_services.job_approve(job=job, actor=staff)

    def _invoices(self, cooperative, *, staff) -> None:
        """Issued invoices for every VAT case (19 %, 19 % + 7 %, reverse charge, not taxable,
        exempt, public client with Leitweg-ID, small amount to a consumer), a cancellation and
        a credit note, and drafts waiting for approval."""
        member = Member.objects.filter(user__email=f"member@{cooperative.slug}.example").first()
        other = Member.objects.filter(user__email=f"member2@{cooperative.slug}.example").first()
        if member is None or Invoice.objects.exists():
            return
        if not InvoicingSettings.objects.exists():
            InvoicingSettings.objects.create(
                cooperative=cooperative,
                contact_name="Rechnungsstelle",
                contact_phone="+49 30 555 0100",
                contact_email=f"rechnung@{cooperative.slug}.example",
            )
        clients = {c.name: c for c in Client.objects.all()}
        more = {
            "Zürich Design AG": {
                "kind": "business",
                "street": "Limmatquai 1",
                "postal_code": "8001",
                "city": "Zürich",
                "country": "CH",
                "language": "en",
                "invoice_email": "ap@zuerich-design.example",
            },
            "Eva Muster": {
                "kind": "consumer",
                "street": "Gartenweg 4",
                "postal_code": "14467",
                "city": "Potsdam",
                "country": "DE",
                "language": "de",
                "invoice_email": "eva.muster@example.org",
            },
        }
        for name, values in more.items():
            clients[name] = invoicing_services.client_save(
                client=None,
                member=member,
                values={
                    "name": name,
                    "contact_person": "",
                    "vat_id": "",
                    "leitweg_id": "",
                    "payment_terms_days": 14,
                    **values,
                },
            )

        def line(text, quantity, price, unit="HUR", category="S", rate="19"):
            return LineValues(
                description=text,
                quantity=Decimal(quantity),
                unit=unit,
                unit_price=Decimal(price),
                vat_category=category,
                vat_rate=Decimal(rate),
            )

        def write(owner, client_name, lines, *, stage="issued", **values):
            client = clients[client_name]
            invoice = invoice_services.invoice_save_draft(
                invoice=None,
                member=owner,
                values={
                    "client": client,
                    "supply_date": date(2026, 11, 13),
                    "payment_terms_days": client.payment_terms_days,
                    **values,
                },
                lines=lines,
            )
            if stage == "draft":
                return invoice
            invoice_services.invoice_submit(invoice=invoice, actor=owner.user)
            if stage == "submitted":
                return invoice
            return invoice_services.invoice_issue(invoice=invoice, actor=staff)

        self._overdue(cooperative, member, clients["Atelier Nord GmbH"], staff)
        job = Job.objects.filter(member=member, status=Job.Status.APPROVED).first()
        if job is not None:
            first = invoice_services.invoice_draft_from_job(job=job, member=member)
            invoice_services.invoice_submit(invoice=first, actor=member.user)
            invoice_services.invoice_issue(invoice=first, actor=staff)
        hourly = write(member, "Atelier Nord GmbH", [line("Workshop moderation", "37.5", "85.00")])
        invoice_services.invoice_cancel(
            invoice=hourly, actor=staff, reason="Invoiced to the wrong company"
        )
        write(
            member,
            "Atelier Nord GmbH",
            [
                line("Layout of the annual report", "3", "99.99", unit="DAY"),
                line("Rights of use for the illustrations", "1", "450.00", unit="LS", rate="7"),
            ],
            vat_note="§ 12 (2) no. 7 c UStG (rights of use)",
        )
        write(
            member,
            "Studio Lumière SARL",
            [line("Photo series, 20 images", "1", "1000.00", unit="LS", category="AE", rate="0")],
        )
        write(
            member,
            "Zürich Design AG",
            [line("Brand workshop (remote)", "2", "400.00", unit="DAY", category="O", rate="0")],
        )
        write(
            member,
            "Atelier Nord GmbH",
            [line("Adult education course with certificate", "6", "60.00", category="E", rate="0")],
            vat_note="§ 4 Nr. 21 UStG",
        )
        public = write(
            member, "Bezirksamt Pankow", [line("Illustrations for a school brochure", "8", "70.00")]
        )
        invoice_services.invoice_credit_note(
            invoice=public,
            actor=staff,
            reason="One hour less than invoiced",
            lines=[line("Illustrations for a school brochure", "1", "70.00")],
        )
        write(member, "Eva Muster", [line("Portrait drawing", "1", "180.00", unit="C62")])
        write(
            other or member,
            "Atelier Nord GmbH",
            [line("Translation DE-UK", "12", "45.00")],
            stage="submitted",
        )
        write(
            member,
            "Studio Lumière SARL",
            [line("Retouching", "5", "55.00", category="AE", rate="0")],
            stage="submitted",
        )
        write(
            member,
            "Eva Muster",
            [line("Family portrait", "1", "240.00", unit="C62")],
            stage="draft",
        )

    def _overdue(self, cooperative, member, client, staff) -> None:
        """Invoices issued weeks ago and never paid, walked through the dunning days so every
        level shows: a friendly reminder, a first Mahnung, a final Mahnung, one handed over for
        court dunning, one paused because the client disputes it; two covered by the guarantee
        fund (advanced), one of them written off."""
        from dunning import services as dunning_services
        from guarantee import services as guarantee_services

        today = timezone.localdate()
        ages = [
            ("Website relaunch", 80),
            ("Photo editing", 60),
            ("Disputed layout", 54),
            ("Trade fair booth", 50),
            ("Brochure", 45),
            ("Catalogue photos", 30),
            ("Social media posts", 25),
        ]
        covered = {"Trade fair booth", "Catalogue photos"}  # jobs the client confirmed online
        overdue = {}
        for title, age in ages:
            if title in covered:
                invoice = invoice_services.invoice_draft_from_job(
                    job=self._confirmed_job(member, client, title, today - timedelta(days=age)),
                    member=member,
                )
            else:
                invoice = invoice_services.invoice_save_draft(
                    invoice=None,
                    member=member,
                    values={
                        "client": client,
                        "supply_date": today - timedelta(days=age + 5),
                        "payment_terms_days": 14,
                    },
                    lines=[
                        LineValues(title, Decimal("8"), "HUR", Decimal("75.00"), "S", Decimal("19"))
                    ],
                )
            invoice_services.invoice_submit(invoice=invoice, actor=member.user)
            overdue[title] = invoice_services.invoice_issue(
                invoice=invoice, actor=staff, on=today - timedelta(days=age)
            )
        for title in ("Website relaunch", "Photo editing"):
            dunning_services.dunning_confirm(
                invoice=overdue[title], step="final", actor=member.user
            )
        dunning_services.dunning_confirm(
            invoice=overdue["Website relaunch"], step="escalation", actor=member.user
        )
        start = today - timedelta(days=80)
        for offset in range(81):
            day = start + timedelta(days=offset)
            if day == today - timedelta(days=30):
                dunning_services.dunning_pause(
                    invoice=overdue["Disputed layout"],
                    actor=staff,
                    reason="The client says the layout was not delivered as agreed.",
                )
            dunning_services.dunning_run(cooperative=cooperative, on=day)
        dunning_services.reminders_send_pending()  # the letters, as a worker would
        # The fund advanced both covered invoices; one client went insolvent.
        guarantee_services.advances_run(cooperative=cooperative, on=today)
        guarantee_services.write_off(
            invoice=overdue["Trade fair booth"],
            actor=staff,
            reason="Client insolvent: insolvency proceedings opened.",
            block_client=False,
        )

    def _confirmed_job(self, member, client, title: str, done: date):
        job = invoicing_services.job_save(
            job=None,
            member=member,
            values={
                "client": client,
                "title": title,
                "deliverable": title,
                "period_start": done - timedelta(days=10),
                "period_end": done - timedelta(days=5),
                "place": client.city,
                "pricing": "fixed",
                "hours": None,
                "hourly_rate": None,
                "fixed_price": Decimal("900.00"),
                "vat_category": "S19",
                "vat_reason": "",
                "uses_client_equipment": False,
                "in_client_rota": False,
                "follows_client_instructions": False,
            },
        )
        invoicing_services.job_send_for_confirmation(job=job, actor=member.user)
        return invoicing_services.job_answer(
            job=job, accept=True, name="Demo client", reason="", ip="127.0.0.1"
        )

    def _bank(self, cooperative) -> None:
        """The cooperative's account and one statement: a payment by RF reference (10 € too much,
        refunded), a partial payment naming the invoice number, part of an applicant's shares by
        their reference, the bank's charges, and one nobody can place (for the staff queue)."""
        from banking import services as banking_services
        from banking.models import BankAccount, BankTransaction
        from banking.samples import Credit, camt053

        if BankAccount.objects.exists():
            return
        BankAccount.objects.create(
            cooperative=cooperative, name="Girokonto", iban=cooperative.iban, bic=cooperative.bic
        )
        issued = Invoice.objects.filter(
            status="issued", kind="invoice", due_date__gt=timezone.localdate()
        )
        full = issued.filter(client__name="Studio Lumière SARL").first()
        partly = issued.filter(client__name="Bezirksamt Pankow").first()
        today = timezone.localdate()
        entries = [
            Credit(
                Decimal("77.00"),
                today,
                "Unbekannt GmbH",
                "DE02100500000054540402",
                text="Rechnung Oktober",
            )
        ]
        if full:  # paid by reference, 10 € too much: the rest is refunded below
            entries.append(
                Credit(
                    full.gross_total + Decimal("10.00"),
                    today,
                    full.client.name,
                    "FR7630006000011234567890189",
                    reference=full.rf_reference,
                )
            )
        approved = Member.objects.filter(status=Member.Status.APPROVED).first()
        if approved:  # an approved applicant pays the first part of the shares
            entries.append(
                Credit(
                    Decimal("20.00"),
                    today,
                    approved.full_name,
                    "DE75512108001245126199",
                    text=f"Genossenschaftsanteil {approved.share_reference}",
                )
            )
        entries.append(
            Credit(
                Decimal("-9.90"),
                today,
                "Girokonto",
                "",
                text="Kontofuehrungsentgelt",
                code="ACMT/MDOP/CHRG",
            )
        )
        if partly:
            entries.append(
                Credit(
                    Decimal("300.00"),
                    today,
                    partly.client.name,
                    "DE12500105170648489890",
                    text=f"Abschlag {partly.number_text}",
                )
            )
        banking_services.statement_import(
            cooperative=cooperative,
            content=camt053(
                iban=cooperative.iban, statement_id=f"DEMO-{today:%Y%m%d}", entries=entries
            ),
            file_name="demo-camt053.xml",
            actor=None,
        )
        overpaid = BankTransaction.objects.filter(amount__gt=0, refunds__isnull=True)
        for payment in overpaid.filter(counterparty_name=full.client.name if full else ""):
            banking_services.refund_create(
                bank_transaction=payment,
                amount=Decimal("10.00"),
                name=payment.counterparty_name[:70],
                iban=payment.counterparty_iban,
                reason=f"Overpayment {full.number_text}",
                actor=None,
            )

    def _payroll(self, cooperative, *, operator) -> None:
        """A year of approved salaries and last month's draft (see the module docstring)."""
        from payroll import services as payroll_services
        from payroll.models import ContributionRates, PayrollRun

        with tenant_scope(cooperative):
            if PayrollRun.objects.exists():
                return
            PayrollSettings.objects.get_or_create(
                cooperative=cooperative,
                defaults={
                    "u1_liable": True,
                    "u2_rate": Decimal("0.24"),
                    "accident_rate": Decimal("0.60"),
                    "reserve": Decimal("500.00"),
                    "datev_consultant_number": "1001234",
                    "datev_client_number": str(10000 + cooperative.pk),
                    "lodas_wage_type_salary": "2000",
                    "lodas_wage_type_hours": "1",
                    "lodas_wage_type_expenses": "9600",
                },
            )
            self._insurers(cooperative)
            # Four eyes: Sabine prepares the month, Paul approves it.
            preparer = User.objects.get(email=f"staff@{cooperative.slug}.example")
            approver = User.objects.get(email=f"payroll@{cooperative.slug}.example")
            members = {
                local: Member.objects.filter(user__email=f"{local}@{cooperative.slug}.example")
                .select_related("user")
                .first()
                for local in INCOME
            }
            for local, values in EMPLOYMENT.items():
                if members[local] is not None:
                    member_services.employment_data_update(
                        member=members[local], values=values, actor=operator
                    )
            accounts = ledger_services.accounts_ensure(cooperative=cooperative)
            first_income = _months_back(HISTORY_MONTHS + 1 + 6)
            # Salaries only from the first year with contribution rates (and the BMF programme
            # of that year's wage tax): the platform ships 2026.
            first_payroll = (
                ContributionRates.objects.order_by("valid_from")
                .values_list("valid_from", flat=True)
                .first()
            ) or date.max
            for back in range(HISTORY_MONTHS + 1 + 6, 0, -1):
                month = _months_back(back)
                self._income(cooperative, members, accounts, month, first_income)
                if back > HISTORY_MONTHS + 1 or month < first_payroll:
                    continue
                run, _summary = payroll_services.payroll_run_compute(
                    cooperative=cooperative, month=month
                )
                if back == 1:
                    break  # last month stays a draft, for staff to submit and approve
                run = payroll_services.payroll_run_submit(run=run, actor=preparer)
                run = payroll_services.payroll_run_approve(run=run, actor=approver)
                if back == 2:
                    self._certified(run, approver)
            self._categories(cooperative, members["member2"])

    def _insurers(self, cooperative) -> None:
        from payroll.models import HealthInsurer, HealthInsurerRate

        for name, (number, additional, u1, u2) in INSURERS.items():
            insurer = HealthInsurer.objects.create(
                cooperative=cooperative, name=name, company_number=number
            )
            HealthInsurerRate.objects.create(
                cooperative=cooperative,
                insurer=insurer,
                valid_from=date(2026, 1, 1),
                additional_rate=additional,
                u1_rate=u1,
                u2_rate=u2,
            )

    def _categories(self, cooperative, member) -> None:
        """From now on members may choose a category; the second member takes the smallest
        (checked against budget and forecast) from the next payroll on."""
        from payroll import categories
        from payroll.models import SalaryCategory

        for name, gross in CATEGORIES.items():
            SalaryCategory.objects.create(cooperative=cooperative, name=name, gross=gross)
        PayrollSettings.objects.filter(cooperative=cooperative).update(salary_rule="both")
        if member is None:
            return
        offer = categories.salary_category_offer(member=member)
        affordable = [o.category for o in offer.options if o.sustainable]
        if affordable:
            categories.salary_category_choose(
                member=member, category=affordable[0], actor=member.user
            )

    def _expenses(self, cooperative) -> None:
        """Three claims of the first member: one approved (paid with the next salary), one
        waiting for staff, one rejected with a reason."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from expenses import services as expense_services
        from expenses.models import ExpenseClaim

        with tenant_scope(cooperative):
            if ExpenseClaim.objects.exists():
                return
            member = (
                Member.objects.filter(user__email=f"member@{cooperative.slug}.example")
                .select_related("user", "cooperative")
                .first()
            )
            if member is None:
                return
            staff = User.objects.get(email=f"staff@{cooperative.slug}.example")
            today = timezone.localdate()
            claims = []
            for supplier, category, what, gross, rate in (
                ("Deutsche Bahn", "travel", "Train to the client workshop", "119.00", "19"),
                ("Fachbuchhandlung Kiez", "training", "Handbook for the project", "42.80", "7"),
                ("Elektro Markt", "equipment", "Headphones", "89.99", "19"),
            ):
                claims.append(
                    expense_services.expense_submit(
                        member=member,
                        actor=member.user,
                        values=expense_services.ClaimInput(
                            category=category,
                            description=what,
                            supplier=supplier,
                            receipt_date=today - timedelta(days=5),
                            gross=Decimal(gross),
                            vat_rate=Decimal(rate),
                        ),
                        upload=SimpleUploadedFile("receipt.png", _receipt_png()),
                    )
                )
            expense_services.expense_approve(claim=claims[0], actor=staff)
            expense_services.expense_reject(
                claim=claims[2], actor=staff, reason="Private purchase, not for a job."
            )

    def _certified(self, run, actor) -> None:
        """The tax adviser's results for the latest approved month: equal to the shadow
        payroll but for a few cents of employer cost on the first member (shown on the run's
        hand-off page and in that member's budget statement)."""
        from payroll import handoff

        rows = ["Personalnummer;Brutto;Steuern;Netto;AG-Kosten"]
        for index, line in enumerate(
            run.lines.filter(gross__gt=0).select_related("member").order_by("member__member_number")
        ):
            cost = line.employer_cost + (Decimal("0.03") if index == 0 else 0)
            rows.append(f"{line.member.member_number};{line.gross};{line.taxes};{line.net};{cost}")
        handoff.certified_results_import(
            run=run, content="\r\n".join(rows).encode(), name="lodas-results.csv", actor=actor
        )

    def _income(self, cooperative, members, accounts, month: date, first: date) -> None:
        """Client payments into the budgets in `month`, the cooperative's fee taken off."""
        from ledger.models import AccountKind

        index = (month.year - first.year) * 12 + month.month - first.month
        for local, member in members.items():
            if member is None:
                continue
            revenue = Decimal(INCOME[local][index % len(INCOME[local])])
            rule = ledger_services.fee_rule_for(member=member)
            fee = (revenue * rule.percentage / 100).quantize(Decimal("0.01"))
            ledger_services.ledger_post(
                cooperative=cooperative,
                booking_date=month.replace(day=10),
                description=f"Client payments {month:%m/%Y} (demo history)",
                source_type="payment",
                source_id=f"demo-{member.pk}-{month:%Y%m}",
                idempotency_key=f"demo:income:{member.pk}:{month:%Y-%m}",
                lines=[
                    ledger_services.Line(accounts[AccountKind.BANK], revenue),
                    ledger_services.Line(accounts[AccountKind.FEE_INCOME], -fee),
                    ledger_services.Line(
                        ledger_services.account_member(member=member), fee - revenue
                    ),
                ],
                actor=None,
            )

    def _user(self, email: str, full_name: str, language: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = services.user_create(
                email=email, password=DEMO_PASSWORD, full_name=full_name, language=language
            )
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _member(self, cooperative, user, full_name: str, stage: str, *, staff) -> None:
        """Create the member and walk them through the real lifecycle to `stage`."""
        with tenant_scope(cooperative):
            if Member.objects.filter(user=user).exists():
                return
            first, last = full_name.split(" ", 1)
            nationality = {"applicant": "SY"}.get(stage, "DE")
            member = member_services.member_create(
                cooperative=cooperative,
                user=user,
                first_name=first,
                last_name=last,
                nationality=nationality,
                permit_type="Aufenthaltserlaubnis § 18" if nationality != "DE" else "",
                permit_expires_on=date(2027, 3, 31) if nationality != "DE" else None,
                **DETAILS,
            )
            if stage == "applicant":
                return
            member_services.application_approve(member=member, actor=staff)
            if stage == "approved":
                return
            paid_on = date(2024, 1, 15) if stage == "left" else _joined_on()
            # Demo history: the approval happened a few days before the payment.
            approved_at = timezone.make_aware(
                datetime.combine(paid_on - timedelta(days=5), time(10))
            )
            Member.objects.filter(pk=member.pk).update(decided_at=approved_at)
            member.refresh_from_db()
            member_services.share_payment_record(
                member=member,
                amount=member.share_amount_due,
                paid_on=paid_on,
                actor=staff,
                reference=member.share_reference,
            )
            member.refresh_from_db()
            if stage == "suspended":
                member_services.member_suspend(
                    member=member, actor=staff, reason="Demo: missing proof of insurance."
                )
            elif stage == "left":
                member_services.member_give_notice(
                    member=member, actor=staff, given_on=date(2024, 6, 1)
                )
                member_services.members_close_departures()
