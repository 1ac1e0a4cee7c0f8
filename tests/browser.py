"""A real browser for the journey tests: headless Chromium driven by Selenium, with the page
checked by axe-core and screenshots kept where CI keeps its artefacts.

People use the pages through forms, links and buttons, so the helpers do the same: `sign_in`
fills allauth's form (and the TOTP step staff must pass), `fill` types into labelled fields,
`press` clicks the button of a form. `axe` runs axe-core in the page and fails on any serious or
critical violation.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import date
from pathlib import Path

from django.conf import settings

AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(
    os.environ.get("SMARTCOOP_TEST_ARTIFACTS") or settings.BASE_DIR / "var" / "test-artifacts"
)
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    # The machine has no network beyond loopback: no background connections to refuse.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=en-GB",
    "--force-device-scale-factor=1",
)


def available() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "needs Chromium and ChromeDriver (make test installs them)"
    if not AXE.exists():
        return "needs axe-core from the npm registry (make test runs npm ci)"
    return None


def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )
    driver.set_window_size(1280, 900)
    driver.implicitly_wait(3)
    return driver


class Browser:
    def __init__(self, driver, base_url: str):
        self.driver = driver
        self.base_url = base_url
        self.checked: list[str] = []
        self.person: str | None = None
        self._sessions: dict[str, list[dict]] = {}

    # --- Navigation ----------------------------------------------------------------------

    def go(self, path: str) -> None:
        self.driver.get(self.base_url + path if path.startswith("/") else path)

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str = "main") -> str:
        return self.find(css).text

    def link(self, href_part: str):
        return self.find(f'main a[href*="{href_part}"]')

    def follow(self, href_part: str) -> None:
        self.link(href_part).click()

    # --- Forms -----------------------------------------------------------------------------

    def fill(self, form: str = "main form", **values) -> None:
        """Type into the named fields of a form; dates as `date`, choices by value, ticks as
        True/False."""
        from selenium.webdriver.support.ui import Select

        for name, value in values.items():
            field = self.find(f'{form} [name="{name}"]')
            kind = field.get_attribute("type")
            if field.tag_name == "select":
                Select(field).select_by_value(str(value))
            elif kind == "checkbox":
                if field.is_selected() != bool(value):
                    field.click()
            elif kind in ("date", "month") or isinstance(value, date):
                # The date picker's typing order depends on the browser's locale, not the page's.
                self.driver.execute_script(
                    "arguments[0].value = arguments[1];"
                    "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                    field,
                    value.isoformat() if isinstance(value, date) else str(value),
                )
            elif kind == "file":
                field.send_keys(str(value))
            else:
                field.clear()
                field.send_keys(str(value))

    def press(self, css: str = "main form button[type=submit]") -> None:
        """Click a button that submits a form, and wait for the next page: a click does not
        wait for the navigation it starts, and the next `go` would race it."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        page = self.find("html")
        self.find(css).click()

        def left(driver) -> bool:
            try:
                page.is_enabled()
            except WebDriverException:  # stale, or "node does not belong to the document"
                return True
            return False

        WebDriverWait(self.driver, 20).until(left)

    def submit(self, form: str = "main form", button: str = "", **values) -> None:
        self.fill(form, **values)
        self.press(f"{form} button[type=submit]{button}")

    def wait_for(self, condition, timeout: float = 20):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(
            lambda driver: condition()
        )

    def wait_while_refreshing(self, timeout: float = 60) -> None:
        """Pages of long work refresh their progress until it is done: wait for the end."""
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout, poll_frequency=0.5).until(
            lambda driver: not self.find_all("[data-refresh]")
        )

    def messages(self) -> str:
        return " ".join(m.text for m in self.find_all(".messages .message, ul.messagelist li"))

    # --- Accounts ----------------------------------------------------------------------------

    def sign_in(self, email: str, password: str, *, totp_secret: str | None = None) -> None:
        from allauth.mfa.totp.internal.auth import (
            format_hotp_value,
            hotp_value,
            yield_hotp_counters_from_time,
        )

        self.driver.delete_all_cookies()
        self.go("/accounts/login/")
        self.submit("main form", login=email, password=password)
        if totp_secret:
            # A code is good for its 30 s window only: never type one in the window's last
            # seconds.
            if 30 - time.time() % 30 < 3:
                time.sleep(30 - time.time() % 30 + 0.2)
            counter = next(iter(yield_hotp_counters_from_time()))
            self.submit("main form", code=format_hotp_value(hotp_value(totp_secret, counter)))
        assert "/accounts/login/" not in self.path, self.text()

    def as_(self, email: str, password: str, *, totp_secret: str | None = None) -> None:
        """Continue as `email`: in their own session if they signed in before (as if each
        person had their own computer; a TOTP code is good for one sign-in only)."""
        if self.person == email:
            return
        if self.person:
            self._sessions[self.person] = self.driver.get_cookies()
        if email in self._sessions:
            self.go("/accounts/login/")
            self.driver.delete_all_cookies()
            for cookie in self._sessions[email]:
                self.driver.add_cookie(cookie)
        else:
            self.sign_in(email, password, totp_secret=totp_secret)
        self.person = email

    def as_guest(self) -> None:
        if self.person:
            self._sessions[self.person] = self.driver.get_cookies()
        self.driver.delete_all_cookies()
        self.person = None

    def sign_out(self) -> None:
        self.go("/accounts/logout/")
        self.press("main form button[type=submit]")

    def choose_language(self, code: str) -> None:
        self.fill("form[action$='/language/']", language=code)
        self.press("form[action$='/language/'] button[type=submit]")

    # --- Checks --------------------------------------------------------------------------------

    def axe(self) -> list[dict]:
        """axe-core's serious and critical violations on the page, asserted to be none."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        violations = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e),"
            " nodes: []}]));"
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        self.checked.append(self.path)
        assert serious == [], f"{self.path}: {serious}"
        return violations

    def overflows(self) -> int:
        """How many pixels the page is wider than the window (0 when nothing scrolls sideways)."""
        return self.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    def shot(self, name: str, *, width: int | None = None, height: int | None = None) -> Path:
        """A screenshot into the artefacts folder: the top `height` pixels of the page, or the
        whole page, at `width` (or the window's width)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = width or self.driver.get_window_size()["width"]
        if height is None:
            self.driver.set_window_size(width, 900)
            height = min(
                self.driver.execute_script("return document.documentElement.scrollHeight"), 6000
            )
        self.driver.set_window_size(width, height)
        path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(width, 900)
        return path

    def keep_failure(self, test_name: str) -> None:
        """The page as it was when a test failed: screenshot and HTML, for CI to keep."""
        failures = ARTIFACTS / "failures"
        failures.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name)
        self.driver.save_screenshot(str(failures / f"{stem}.png"))
        (failures / f"{stem}.html").write_text(self.driver.page_source, encoding="utf-8")
