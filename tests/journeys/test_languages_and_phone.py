"""Mira's pages in a real browser: in all six languages (Arabic laid out right to left), on a
390 px wide phone, checked with axe-core each time. The screenshots land in the test artefacts
(`make screenshots` copies them into docs/screenshots for the README)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from payroll.models import PayrollLine
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
DEMO_PASSWORD = "demo-Genossenschaft-2026"
# The main navigation's first entry in each shipped language.
OVERVIEW = {
    "de": "Übersicht",
    "en": "Overview",
    "pl": "Przegląd",
    "uk": "Огляд",
    "tr": "Genel bakış",
    "ar": "نظرة عامة",
}

# Screenshot heights that reach the chart.
TALL = {"planner": 1750}


@pytest.fixture
def mira(browser):
    call_command("seed_demo", stdout=StringIO())
    coop = Cooperative.objects.get(slug="smart-demo")
    with tenant_scope(coop):
        line = (
            PayrollLine.objects.filter(
                member__user__email="member@smart-demo.example", run__status="approved", gross__gt=0
            )
            .order_by("-run__month")
            .first()
        )
    browser.as_("member@smart-demo.example", DEMO_PASSWORD)
    return line


def _pages(line) -> dict[str, str]:
    return {
        "dashboard": "/",
        "invoices": "/invoices/",
        "invoice-form": "/invoices/new/",
        "salary": "/salary/",
        "payslip": f"/salary/{line.pk}/",
        "planner": "/salary/planner/",
        "budget": "/budget/",
    }


def test_six_languages_arabic_right_to_left_and_a_phone(browser, mira):
    for code, overview in OVERVIEW.items():
        browser.go("/")
        browser.choose_language(code)
        html = browser.find("html")
        assert html.get_attribute("lang") == code
        assert browser.find("nav .nav li a").text == overview
        browser.axe()

    # Arabic: the whole page mirrors; the brand sits on the right, headings start on the right.
    assert browser.find("html").get_attribute("dir") == "rtl"
    width = browser.driver.execute_script("return document.documentElement.clientWidth")
    brand = browser.find(".brand").rect
    assert brand["x"] > width / 2
    heading = browser.find("main h1")
    main = browser.find("main")
    assert heading.rect["x"] + heading.rect["width"] >= main.rect["x"] + main.rect["width"] - 40
    for name, path in _pages(mira).items():
        browser.go(path)
        browser.axe()
        browser.shot(f"ar-{name}", height=TALL.get(name, 1300))

    browser.choose_language("de")
    assert browser.find("html").get_attribute("dir") == "ltr"
    for name, path in _pages(mira).items():
        browser.go(path)
        browser.axe()
        browser.shot(f"de-{name}", height=TALL.get(name, 1300))

    # On a 390 px phone: nothing scrolls sideways.
    browser.driver.set_window_size(390, 900)
    for name in ("dashboard", "invoice-form", "payslip", "salary", "budget"):
        browser.go(_pages(mira)[name])
        assert browser.overflows() == 0, f"{name} scrolls sideways on a phone"
        browser.axe()
        browser.shot(f"phone-de-{name}", width=390)
    browser.choose_language("ar")
    browser.go(_pages(mira)["payslip"])
    assert browser.overflows() == 0
    browser.shot("phone-ar-payslip", width=390)


def test_keyboard_only_sign_in_skip_link_and_error_summary(browser, alice):
    """Signing in, skipping the navigation and correcting a form without a mouse: the error
    summary takes the focus and links to each field."""
    from selenium.webdriver.common.keys import Keys

    browser.go("/accounts/login/")
    body = browser.find("body")
    body.send_keys(Keys.TAB)
    assert browser.driver.switch_to.active_element.get_attribute("class") == "skip-link"
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.driver.switch_to.active_element.get_attribute("id") == "main"
    field = browser.find("main input[name='login']")
    field.send_keys(alice.user.email, Keys.TAB, PASSWORD, Keys.ENTER)
    browser.wait_for(lambda: "/accounts/login/" not in browser.path)

    browser.go("/clients/new/")
    # Enter in a field submits the form, here empty.
    browser.find("main form [name='name']").send_keys(Keys.ENTER)
    browser.wait_for(lambda: browser.find_all("#error-summary"))
    focused = browser.driver.switch_to.active_element
    assert focused.get_attribute("id") == "error-summary"
    first_error = browser.find("#error-summary a")
    target = first_error.get_attribute("href").split("#")[1]
    first_error.send_keys(Keys.ENTER)
    assert browser.driver.switch_to.active_element.get_attribute("id") == target
    browser.axe()
