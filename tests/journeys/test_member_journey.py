"""The whole way a freelancer goes with the cooperative, in a real browser (headless Chromium)
against a live server on the demo data: Yusuf applies online, Sabine (staff) approves him, he
pays his share, adds a client and a job, the client confirms the job through the link in the
e-mail, Yusuf's invoice is approved and issued by Sabine, he downloads it, the client pays, the
month's payroll is computed, submitted by Sabine and approved by Paul, and Yusuf reads his
payslip. Bob, the accountant, exports the month. Every page on the way is checked with axe-core.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from banking.samples import Credit, camt053
from banking.services import payment_state
from invoicing.models import Invoice, Job
from members.models import Member
from payroll.models import PayrollLine, PayrollRun
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
DEMO_PASSWORD = "demo-Genossenschaft-2026"
PASSWORD = "Yusuf-sings-2026-loud"
CLIENT_IBAN = "DE75512108001245126199"


@pytest.fixture
def demo(tmp_path):
    """The demo cooperative; staff, payroll and the accountant with TOTP set up."""
    call_command("seed_demo", stdout=StringIO())
    coop = Cooperative.objects.get(slug="smart-demo")
    secrets = {}
    for local in ("staff", "payroll", "accountant"):
        secrets[local] = generate_totp_secret()
        TOTP.activate(User.objects.get(email=f"{local}@smart-demo.example"), secrets[local])
    return coop, secrets, tmp_path


def _statement(tmp_path, coop: Cooperative, name: str, *credits: Credit):
    path = tmp_path / f"{name}.xml"
    path.write_bytes(camt053(iban=coop.iban, statement_id=name, entries=list(credits)))
    return path


def _import_statement(browser, path) -> str:
    """Upload in the admin; the worker imports it while the page shows the progress."""
    browser.go("/admin/banking/bankstatement/import/")
    browser.axe()
    browser.submit("#content form", file=path)
    browser.wait_while_refreshing()
    browser.axe()
    return browser.text("#import-progress p")


def _run_action(browser, run: PayrollRun, action: str) -> None:
    browser.go("/admin/payroll/payrollrun/")
    browser.axe()
    browser.find(f'input.action-select[value="{run.pk}"]').click()
    browser.fill("#changelist-form", action=action)
    browser.press('#changelist-form button[name="index"]')
    assert "success" in browser.find("ul.messagelist li").get_attribute("class")


def test_a_freelancer_from_application_to_payslip(browser, demo, worker):
    coop, secrets, tmp_path = demo
    today = timezone.localdate()

    # --- Yusuf applies online (no account yet) --------------------------------------------
    browser.go("/join/smart-demo/")
    browser.axe()
    browser.submit(
        email="yusuf@example.org",
        password1=PASSWORD,
        password2=PASSWORD,
        first_name="Yusuf",
        last_name="Demir",
        date_of_birth=date(1990, 4, 12),
        street="Sonnenallee 12",
        postal_code="12045",
        city="Berlin",
        country="DE",
        nationality="TR",
        languages="Türkçe, Deutsch",
        profession="Sound engineer",
        activity_description="Live sound for concerts and theatre.",
        expected_monthly_volume="3000",
        shares="1",
        accept_statutes=True,
        accept_privacy=True,
    )
    assert "Yusuf Demir" in browser.text(".declaration")
    browser.axe()
    mail.outbox.clear()
    browser.press('main form button[name="action"][value="sign"]')
    assert "application has been received" in browser.messages()
    # He confirms his e-mail address through the link he was sent.
    (link,) = [
        found.group(0)
        for m in mail.outbox
        if "yusuf@example.org" in m.to
        and (found := re.search(r"https?://\S+/accounts/confirm-email/\S+", m.body))
    ]
    browser.go(urlsplit(link).path)
    browser.axe()
    browser.press()
    with tenant_scope(coop):
        member = Member.objects.get(user__email="yusuf@example.org")
        assert member.status == Member.Status.APPLICANT

    # --- Sabine approves the application in the admin ---------------------------------------
    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    browser.go("/admin/members/member/?status__exact=applicant")
    browser.axe()
    browser.find(f'input.action-select[value="{member.pk}"]').click()
    browser.fill("#changelist-form", action="approve")
    browser.press('#changelist-form button[name="index"]')
    assert "success" in browser.find("ul.messagelist li").get_attribute("class")

    # --- Yusuf signs in and finds how to pay his share --------------------------------------
    browser.as_("yusuf@example.org", PASSWORD)
    browser.go("/")
    browser.axe()
    reference = browser.text("main dl.facts code")
    assert reference

    # --- Sabine imports the bank statement with his share payment ----------------------------
    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    with tenant_scope(coop):
        share = Member.objects.get(pk=member.pk).share_amount_due
    statement = _statement(
        tmp_path,
        coop,
        "SHARE-1",
        Credit(Decimal(share), today, "Yusuf Demir", "DE02100100109307118603", text=reference),
    )
    # Sabine works in German: "1 neu, 0 bereits bekannt, 1 zugeordnet, 0 für die Warteschlange."
    assert re.match(r"1 \D+, 0 \D+, 1 \D+, 0 ", _import_statement(browser, statement))
    with tenant_scope(coop):
        member.refresh_from_db()
        assert member.status == Member.Status.ACTIVE and member.member_number

    # --- Yusuf enters his tax and insurance data; Sabine confirms them -----------------------
    browser.as_("yusuf@example.org", PASSWORD)
    browser.go("/profile/")
    browser.axe()
    browser.submit(
        tax_id="47036892816",
        social_insurance_number="65120490D019",
        health_insurer="AOK Nordost",
        health_insurer_additional_rate="3.50",
        tax_class="1",
        childless=True,
        iban="DE02100100109307118603",
        account_holder="Yusuf Demir",
        contract_hours="10",
    )
    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    browser.go("/admin/members/employmentdatachange/?status__exact=pending")
    browser.axe()
    browser.find("#result_list input.action-select").click()
    browser.fill("#changelist-form", action="confirm")
    browser.press('#changelist-form button[name="index"]')
    with tenant_scope(coop):
        assert member.employment.tax_class == 1

    # --- Yusuf adds a client and a job, and sends the job for confirmation ------------------
    browser.as_("yusuf@example.org", PASSWORD)
    browser.go("/clients/new/")
    browser.axe()
    browser.submit(
        kind="business",
        name="Kulturhaus Neukölln gGmbH",
        contact_person="Lea Sommer",
        street="Karl-Marx-Straße 141",
        postal_code="12043",
        city="Berlin",
        country="DE",
        invoice_email="rechnung@kulturhaus.example",
        language="de",
        payment_terms_days="14",
    )
    browser.go("/jobs/new/")
    browser.axe()
    client_value = browser.find('main form select[name="client"] option:last-child').get_attribute(
        "value"
    )
    browser.submit(
        client=client_value,
        title="Sound for the autumn festival season",
        deliverable="Front-of-house sound, rehearsals and twelve evenings",
        period_start=today - timedelta(days=20),
        period_end=today - timedelta(days=2),
        place="Berlin",
        pricing="hourly",
        hours="200",
        hourly_rate="75.00",
        vat_category="S19",
    )
    browser.axe()
    job_path = browser.path
    mail.outbox.clear()
    browser.press("main form[action$='/send/'] button")
    (message,) = [m for m in mail.outbox if "rechnung@kulturhaus.example" in m.to]
    confirm_link = re.search(r"https?://\S+/confirm/\S+", message.body).group(0)

    # --- The client confirms through the link (no account) ----------------------------------
    browser.as_guest()
    browser.go(urlsplit(confirm_link).path)
    browser.axe()
    browser.submit(button='[value="accept"]', name="Lea Sommer")
    with tenant_scope(coop):
        job = Job.objects.get(member=member)
        assert job.status == Job.Status.CONFIRMED and job.client_answer_name == "Lea Sommer"

    # --- Yusuf writes the invoice from the job and submits it --------------------------------
    browser.as_("yusuf@example.org", PASSWORD)
    browser.go(job_path)
    browser.press("main form[action$='/invoice/'] button")
    browser.axe()
    invoice_path = browser.path
    browser.press("main form[action$='/submit/'] button")
    assert "/invoices/" in browser.path
    with tenant_scope(coop):
        invoice = Invoice.objects.get(member=member)
        assert invoice.status == Invoice.Status.SUBMITTED
        assert invoice.net_total == Decimal("15000.00")

    # --- Sabine approves and issues it --------------------------------------------------------
    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    browser.go(invoice_path)
    browser.axe()
    browser.press("main form[action$='/issue/'] button")
    with tenant_scope(coop):
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.ISSUED and invoice.number

    # --- Yusuf downloads the PDF ------------------------------------------------------------
    browser.as_("yusuf@example.org", PASSWORD)
    browser.go(invoice_path)
    pdf_href = browser.link("/pdf/download/").get_attribute("href")
    head = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async r => done([r.status, r.headers.get('content-type'),"
        " new TextDecoder('latin1').decode((await r.arrayBuffer()).slice(0, 5))]));",
        pdf_href,
    )
    assert head == [200, "application/pdf", "%PDF-"]

    # --- The client pays; Sabine imports the statement ----------------------------------------
    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    statement = _statement(
        tmp_path,
        coop,
        "PAY-1",
        Credit(
            invoice.gross_total,
            today,
            "Kulturhaus Neukölln gGmbH",
            CLIENT_IBAN,
            text=f"Rechnung {invoice.number}",
        ),
    )
    assert re.match(r"1 \D+, 0 \D+, 1 \D+, 0 ", _import_statement(browser, statement))
    with tenant_scope(coop):
        invoice.refresh_from_db()
        assert payment_state(invoice)["state"] == "paid"
    browser.as_("yusuf@example.org", PASSWORD)
    browser.go("/invoices/")
    browser.axe()
    browser.go("/budget/")
    browser.axe()
    # This month's salary: the average rule counts only past months' income, so he chooses
    # the smallest salary category his budget sustains.
    browser.go("/salary/planner/")
    browser.axe()
    browser.go("/salary/category/")
    browser.axe()
    browser.find("main form input[name='category']").click()
    browser.press()
    assert "error-summary" not in browser.driver.page_source

    # --- Sabine computes the month's payroll; the page shows the progress -------------------
    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    browser.go("/payroll/")
    browser.axe()
    browser.submit(month=f"{today:%Y-%m}")
    browser.wait_while_refreshing()
    browser.axe()
    with tenant_scope(coop):
        run = PayrollRun.objects.get(month=today.replace(day=1))
        assert run.status == PayrollRun.Status.DRAFT
        line = PayrollLine.objects.get(run=run, member=member)
        assert line.gross > 0 and line.net > 0, line.warnings
    # She submits it in the admin; Paul approves it (four eyes).
    _run_action(browser, run, "submit")
    browser.as_("payroll@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["payroll"])
    _run_action(browser, run, "approve")
    with tenant_scope(coop):
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.APPROVED

    # --- Yusuf reads his payslip --------------------------------------------------------------
    browser.as_("yusuf@example.org", PASSWORD)
    browser.go("/salary/")
    browser.axe()
    assert browser.link(f"/salary/{line.pk}/payslip.pdf")
    browser.follow(f"/salary/{line.pk}/")
    browser.axe()
    assert browser.text(".payslip-summary .figure") == f"{line.net:,.2f} €"


def test_staff_and_the_accountant_on_their_pages(browser, demo, worker):
    """The guarantee fund, the dunning of the demo's overdue invoices, the cockpit and the
    accountant's export in the background, each page checked with axe-core."""
    coop, secrets, _tmp_path = demo
    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    for path in (
        "/guarantee/",
        "/cockpit/",
        "/admin/dunning/reminder/",
        "/admin/dunning/escalation/",
        "/admin/guarantee/advance/",
        "/admin/banking/banktransaction/?queue=unmatched",
    ):
        browser.go(path)
        browser.axe()
    # An overdue invoice's collection page: its reminders and the dunning controls.
    with tenant_scope(coop):
        overdue = Invoice.objects.filter(reminders__isnull=False).first()
    browser.go(f"/invoices/{overdue.pk}/collection/")
    browser.axe()
    assert browser.find_all("main table")

    # Bob exports the open items as XLSX; a worker writes it while the page shows progress.
    browser.as_("accountant@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["accountant"])
    browser.go("/accountant/")
    browser.axe()
    browser.go("/accountant/reports/")
    browser.axe()
    browser.submit(report="open_items", format="xlsx")
    browser.wait_while_refreshing()
    browser.axe()
    href = browser.link("/download/").get_attribute("href")
    head = browser.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(async r => done([r.status,"
        " new TextDecoder('latin1').decode((await r.arrayBuffer()).slice(0, 2))]));",
        href,
    )
    assert head == [200, "PK"]  # an XLSX file is a zip
    browser.go("/accountant/datev/")
    browser.axe()
