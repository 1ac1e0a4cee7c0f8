"""In a real browser (Chromium, Selenium) against a live server: the demo cooperative's draft
payroll for last month is submitted by Sabine and approved by Paul in the Django admin; the
salary transfer file it writes is valid against the ISO and EPC schemas; Mira then finds her
payslip on her salary page."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from lxml import etree

from payroll.models import PayrollRun
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
XSD = Path("/work/shared/reference/xsd")


DEMO_PASSWORD = "demo-Genossenschaft-2026"


def _run_action(browser, run: PayrollRun, action: str) -> str:
    """Tick the run, choose the action, press Go; returns the level of the admin's message."""
    browser.go("/admin/payroll/payrollrun/")
    browser.find(f'input.action-select[value="{run.pk}"]').click()
    browser.fill("#changelist-form", action=action)
    browser.press('#changelist-form button[name="index"]')
    return browser.find("ul.messagelist li").get_attribute("class")


def test_the_demo_payroll_is_submitted_and_approved_in_the_admin(browser):
    call_command("seed_demo", stdout=StringIO())
    coop = Cooperative.objects.get(slug="smart-demo")
    secrets = {}
    for local in ("staff", "payroll"):
        secrets[local] = generate_totp_secret()
        TOTP.activate(User.objects.get(email=f"{local}@smart-demo.example"), secrets[local])
    with tenant_scope(coop):
        run = PayrollRun.objects.get(status=PayrollRun.Status.DRAFT)
        assert run.lines_count == 2 and run.gross > 0

    browser.as_("staff@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["staff"])
    assert _run_action(browser, run, "submit") == "success"
    # Sabine cannot approve what she submitted: the admin says so and nothing changes.
    assert _run_action(browser, run, "approve") == "error"
    with tenant_scope(coop):
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.SUBMITTED

    browser.as_("payroll@smart-demo.example", DEMO_PASSWORD, totp_secret=secrets["payroll"])
    assert _run_action(browser, run, "approve") == "success"
    with tenant_scope(coop):
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.APPROVED
        assert run.approved_by.email == "payroll@smart-demo.example"
        content = bytes(run.payment_file.content)
        line = run.lines.select_related("member").get(member__user__email__startswith="member@")
    for xsd in ("pain.001.001.09.xsd", "EPC132-08_2025_V1.0_pain.001.001.09.xsd"):
        etree.XMLSchema(etree.parse(str(XSD / xsd))).assertValid(etree.fromstring(content))
    # The run is locked now: computing the month again changes nothing.
    out = StringIO()
    call_command("run_payroll", cooperative="smart-demo", month=f"{run.month:%Y-%m}", stdout=out)
    assert out.getvalue().strip() == (
        f"lines=2 gross={run.gross} net={run.net} employer_cost={run.employer_cost} "
        f"warnings={run.warnings_count}"
    )

    browser.as_("member@smart-demo.example", DEMO_PASSWORD)
    browser.go("/salary/")
    rows = browser.find_all("main table tbody tr")
    assert len(rows) >= 10  # the demo's history since January and the month just approved
    assert str(line.net).replace(".", ",") in rows[0].text or str(line.net) in rows[0].text
    link = browser.link("/payslip.pdf").get_attribute("href")
    assert link.endswith(f"/salary/{line.pk}/payslip.pdf")
