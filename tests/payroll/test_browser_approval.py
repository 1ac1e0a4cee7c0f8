"""In a real browser (Chromium, Selenium) against a live server: the demo cooperative's draft
payroll for last month is submitted by Sabine and approved by Paul in the Django admin; the
salary transfer file it writes is valid against the ISO and EPC schemas; Mira then finds her
payslip on her salary page."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.management import call_command
from django.test import Client
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


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=en"):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _sign_in(driver, base_url: str, email: str) -> None:
    """A signed-in session (with TOTP set up, as staff need) handed to the browser."""
    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    driver.get(base_url + "/accounts/login/")
    driver.delete_all_cookies()
    driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "path": "/"})


def _run_action(driver, base_url: str, run: PayrollRun, action: str) -> str:
    """Tick the run, choose the action, press Go; returns the level of the admin's message."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(f"{base_url}/admin/payroll/payrollrun/")
    driver.find_element(By.CSS_SELECTOR, f'input.action-select[value="{run.pk}"]').click()
    Select(driver.find_element(By.NAME, "action")).select_by_value(action)
    driver.find_element(By.CSS_SELECTOR, 'button[name="index"]').click()
    return driver.find_element(By.CSS_SELECTOR, "ul.messagelist li").get_attribute("class")


def test_the_demo_payroll_is_submitted_and_approved_in_the_admin(browser, live_server):
    call_command("seed_demo", stdout=StringIO())
    coop = Cooperative.objects.get(slug="smart-demo")
    for local in ("staff", "payroll"):
        TOTP.activate(User.objects.get(email=f"{local}@smart-demo.example"), generate_totp_secret())
    with tenant_scope(coop):
        run = PayrollRun.objects.get(status=PayrollRun.Status.DRAFT)
        assert run.lines_count == 2 and run.gross > 0

    _sign_in(browser, live_server.url, "staff@smart-demo.example")
    assert _run_action(browser, live_server.url, run, "submit") == "success"
    # Sabine cannot approve what she submitted: the admin says so and nothing changes.
    assert _run_action(browser, live_server.url, run, "approve") == "error"
    with tenant_scope(coop):
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.SUBMITTED

    _sign_in(browser, live_server.url, "payroll@smart-demo.example")
    assert _run_action(browser, live_server.url, run, "approve") == "success"
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

    from selenium.webdriver.common.by import By

    _sign_in(browser, live_server.url, "member@smart-demo.example")
    browser.get(f"{live_server.url}/salary/")
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert len(rows) >= 10  # the demo's history since January and the month just approved
    assert str(line.net).replace(".", ",") in rows[0].text or str(line.net) in rows[0].text
    link = rows[0].find_element(By.PARTIAL_LINK_TEXT, "PDF").get_attribute("href")
    assert link.endswith(f"/salary/{line.pk}/payslip.pdf")
