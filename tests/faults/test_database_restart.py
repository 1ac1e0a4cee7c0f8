"""PostgreSQL restarted while a request waits on it: the request gets a clean, translated 503
with Retry-After (its transaction rolled back), and the retry, on a fresh connection, succeeds.

The restart is real (`pg_ctlcluster … restart -m fast` on the local cluster the tests use), so
the test needs root on a machine whose PostgreSQL runs on loopback, as in CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _

from tests.conftest import IN_CI

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "owner"]),
]
MESSAGE = (
    "The database is not reachable for a moment (for example during maintenance). "
    "Nothing from this request was saved; please try again in a few seconds."
)


def _cluster() -> list[str]:
    versions = (
        sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").exists() else []
    )
    host = connections["default"].settings_dict["HOST"]
    if not (shutil.which("pg_ctlcluster") and versions and os.geteuid() == 0) or host not in (
        "127.0.0.1",
        "localhost",
        "",
    ):
        reason = "needs root and the local PostgreSQL cluster (pg_ctlcluster)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].parent.name, "main"]


def _wait_for_waiting_requests(cursor, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        if cursor.fetchone()[0] >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the request never reached the database")


def _wait_until_up(timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError("PostgreSQL did not come back")


def test_a_request_during_a_postgresql_restart_gets_a_clean_error_and_the_retry_works(
    alice,
):
    cluster = _cluster()
    clients = {"page": Client(raise_request_exception=False), "api": Client()}
    clients["api"].raise_request_exception = False
    for client in clients.values():
        client.force_login(alice.user)
    paths = {"page": "/", "api": "/api/v1/invoices/"}
    assert clients["page"].get("/").status_code == 200
    result = {}

    def request(name):
        result[name] = clients[name].get(paths[name], HTTP_ACCEPT_LANGUAGE="de")
        connections.close_all()

    owner = connections["owner"]
    try:
        with owner.cursor() as cursor:
            # Every signed-in request reads its session first: hold it there.
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
            waiting = [threading.Thread(target=request, args=[name]) for name in paths]
            for thread in waiting:
                thread.start()
            _wait_for_waiting_requests(cursor, len(waiting))
            subprocess.run([*cluster, "restart", "-m", "fast"], check=True, timeout=120)
    finally:
        connections.close_all()
        _wait_until_up()
    for thread in waiting:
        thread.join(timeout=60)

    with translation.override("de"):
        expected = _(MESSAGE)
    assert expected != MESSAGE  # translated
    page = result["page"]
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert expected in page.content.decode()
    assert result["api"].status_code == 503
    assert result["api"].json()["error"] == {"code": "service_unavailable", "message": expected}

    retry = clients["page"].get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert retry.status_code == 200
