"""Personas for every story.

Two cooperatives, Alpha (A) and Nordlicht (B). In A: Alice is a member, Sabine is staff, Bob is the
accountant. In B: Carol is a member, Dirk is staff, Erik is the accountant. Staff and accountants
have TOTP set up unless a test says otherwise (`sabine_without_mfa`).

Tests marked `postgres` or `worker` need PostgreSQL with row-level security, or a real Celery
worker with Redis; `browser` tests need Chromium and ChromeDriver. Without them they are skipped
locally, but with CI=true a missing service fails the run: CI must test what production runs on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.db import connection, connections

from members.models import Member
from members.services import member_create
from tenancy import services
from tenancy.models import Cooperative, Role, User
from tests.browser import Browser, chromium
from tests.browser import available as browser_available

PASSWORD = "correct horse battery staple 42"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _service_missing(item) -> str | None:
    needs_services = item.get_closest_marker("postgres") or item.get_closest_marker("worker")
    if needs_services and (connection.vendor != "postgresql" or "owner" not in settings.DATABASES):
        return "needs PostgreSQL with separate owner and application roles"
    if item.get_closest_marker("worker") and not settings.REDIS_URL:
        return "needs Redis (REDIS_URL) for a real Celery worker"
    if item.get_closest_marker("browser"):
        return browser_available()
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves its page behind (screenshot and HTML) for CI to keep."""
    report = yield
    browser = item.funcargs.get("browser") if report.failed else None
    if isinstance(browser, Browser):
        browser.keep_failure(item.nodeid)
    return report


@pytest.fixture(scope="session")
def _chromium():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def browser(_chromium, live_server) -> Browser:
    """Headless Chromium against the live server, with no cookies from an earlier test."""
    if _chromium.current_url.startswith("http"):
        _chromium.delete_all_cookies()
    _chromium.set_window_size(1280, 900)
    return Browser(_chromium, live_server.url)


def _url(alias: str) -> str:
    db = connections[alias].settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def worker_start(*, pool: str = "solo", loglevel: str = "WARNING", **env: str) -> subprocess.Popen:
    """A real Celery worker in its own process, on the tests' own queue."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=_url("default"),
        DATABASE_OWNER_URL=_url("owner"),
        CELERY_TASK_DEFAULT_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        SMARTCOOP_TEST_CACHE_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", ""),
        **env,
    )
    command = [sys.executable, "-m", "celery", "-A", "smartcoop", "worker", "--pool", pool]
    command += ["--concurrency", "1", "--loglevel", loglevel]
    command += ["--queues", settings.CELERY_TASK_DEFAULT_QUEUE]
    return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    """A real Celery worker for the module's tests (marked `worker`)."""
    process = worker_start()
    try:
        yield process
    finally:
        worker_stop(process)


def pytest_runtest_setup(item):
    reason = _service_missing(item)
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but the service is missing: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_keepdb, django_db_createdb
):
    """pytest-django's setup, plus the owner alias: the owner role creates and migrates the test
    database (the application role may not), and the application role then connects to it.

    The application role also gets TRUNCATE, a test-only grant, so it can empty tables between
    transactional tests.
    """
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    with_owner = "owner" in settings.DATABASES and bool(aliases)
    if with_owner:
        # Django always lets `default` create the test database; here the owner must.
        aliases = (aliases - {"default"}) | {"owner"}
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            keepdb=keepdb,
        )
        if with_owner:
            # The application role connects to the owner's test database with its own
            # credentials. Both the connection object and settings.DATABASES must name it:
            # a thread opens its connection from the settings, and a connection opened during
            # setup (e.g. by a post_migrate handler) still points at the real database.
            test_name = connections["owner"].settings_dict["NAME"]
            default = connections["default"]
            default.close()
            default.settings_dict["NAME"] = test_name
            settings.DATABASES["default"]["NAME"] = test_name
            if connections["owner"].vendor == "postgresql":
                app_role = settings.DATABASES["default"]["USER"]
                with connections["owner"].cursor() as cursor:
                    cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{app_role}"')
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            connections.close_all()
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and other cached state never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@dataclass
class Persona:
    user: User
    cooperative: Cooperative
    role: str
    member: Member | None = None
    totp_secret: str | None = None

    @property
    def email(self) -> str:
        return self.user.email


def make_cooperative(slug: str, legal_name: str, iban: str) -> Cooperative:
    return services.cooperative_create(
        slug=slug,
        legal_name=legal_name,
        street="Musterstraße 1",
        postal_code="10115",
        city="Berlin",
        iban=iban,
    )


def make_person(
    cooperative: Cooperative, email: str, role: str, *, full_name: str, mfa: bool = True
) -> Persona:
    user = User.objects.filter(email=email).first() or services.user_create(
        email=email, password=PASSWORD, full_name=full_name, language="en"
    )
    EmailAddress.objects.get_or_create(user=user, email=email, verified=True, primary=True)
    services.membership_grant(cooperative=cooperative, user=user, role=role)
    persona = Persona(user=user, cooperative=cooperative, role=role)
    if role == Role.MEMBER:
        first, last = full_name.split(" ", 1)
        persona.member = member_create(
            cooperative=cooperative,
            user=user,
            first_name=first,
            last_name=last,
            status=Member.Status.ACTIVE,
            joined_on=date(2026, 1, 1),
        )
    if mfa and role in (Role.STAFF, Role.ACCOUNTANT):
        persona.totp_secret = generate_totp_secret()
        TOTP.activate(user, persona.totp_secret)
    return persona


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests leave every table empty behind them, the operator's dated tables
    too; load them again the way their data migrations do (idempotent)."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps

    editor = SimpleNamespace(connection=SimpleNamespace(alias="default"))
    for module in ("payroll.migrations.0002_rates_2026", "dunning.migrations.0002_base_rates"):
        import_module(module).add(apps, editor)


@pytest.fixture
def coop_a(db) -> Cooperative:
    return make_cooperative("alpha", "Alpha eG", "DE89370400440532013000")


@pytest.fixture
def coop_b(db) -> Cooperative:
    return make_cooperative("nordlicht", "Nordlicht eG", "DE02120300000000202051")


@pytest.fixture
def alice(coop_a) -> Persona:
    return make_person(coop_a, "alice@example.org", Role.MEMBER, full_name="Alice Adler")


@pytest.fixture
def sabine(coop_a) -> Persona:
    return make_person(coop_a, "sabine@example.org", Role.STAFF, full_name="Sabine Stahl")


@pytest.fixture
def sabine_without_mfa(coop_a) -> Persona:
    return make_person(
        coop_a, "sabine@example.org", Role.STAFF, full_name="Sabine Stahl", mfa=False
    )


@pytest.fixture
def bob(coop_a) -> Persona:
    return make_person(coop_a, "bob@example.org", Role.ACCOUNTANT, full_name="Bob Berger")


@pytest.fixture
def carol(coop_b) -> Persona:
    return make_person(coop_b, "carol@example.org", Role.MEMBER, full_name="Carol Clausen")


@pytest.fixture
def dirk(coop_b) -> Persona:
    return make_person(coop_b, "dirk@example.org", Role.STAFF, full_name="Dirk Dahl")


@pytest.fixture
def erik(coop_b) -> Persona:
    return make_person(coop_b, "erik@example.org", Role.ACCOUNTANT, full_name="Erik Eck")


@pytest.fixture
def login(client):
    def _login(persona: Persona):
        client.force_login(persona.user)
        return client

    return _login
