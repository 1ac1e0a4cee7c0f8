"""A worker killed with SIGKILL in the middle of a month's run: `run_payroll` runs as its own
process on PostgreSQL and is killed while its second chunk waits for a row; the committed first
chunk stays, the rerun finishes the month, and the result equals a clean computation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from members.models import Member
from payroll import services
from payroll.models import PayrollLine, PayrollRun
from tenancy.scope import tenant_scope
from tests.payroll.test_runs import members_with_income

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
CHUNK = 5


def _url(alias: str) -> str:
    db = settings.DATABASES[alias]
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _waiting_backend(timeout: float = 60.0) -> int:
    """The pid of the run's connection once it waits for a lock (its second chunk)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_locks WHERE NOT granted LIMIT 1")
            row = cursor.fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("run_payroll never reached its second chunk")


def _lines():
    return sorted(
        PayrollLine.objects.values_list(
            "member_id", "gross", "net", "employer_cost", "budget_after", "warnings"
        )
    )


def test_a_run_killed_with_sigkill_resumes_to_the_clean_result(coop_a, alice, sabine):
    people = members_with_income(coop_a, alice, 11)
    with tenant_scope(coop_a):
        ids = sorted(Member.objects.values_list("pk", flat=True))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartcoop.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": _url("default"),
        "DATABASE_OWNER_URL": _url("owner"),
        "SMARTCOOP_PAYROLL_CHUNK": str(CHUNK),
    }
    command = [sys.executable, "manage.py", "run_payroll", "--cooperative", "alpha"]
    with tenant_scope(coop_a):
        # Hold a member of the second chunk: its line's insert waits for this row lock.
        Member.objects.select_for_update().get(pk=ids[CHUNK + 1])
        worker = subprocess.Popen(
            [*command, "--month", "2026-11"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            backend = _waiting_backend()
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        # The server notices a vanished client when it next talks to it; end it now.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    assert worker.returncode == -signal.SIGKILL
    with tenant_scope(coop_a):
        run = PayrollRun.objects.get()
        assert run.status == PayrollRun.Status.COMPUTING
        assert PayrollLine.objects.count() == CHUNK  # the first chunk was committed

    out = StringIO()
    call_command("run_payroll", cooperative="alpha", month="2026-11", stdout=out)
    with tenant_scope(coop_a):
        resumed = _lines()
        assert len(resumed) == len(people)
        run = PayrollRun.objects.get()
        _run, clean = services.payroll_run_recompute(run=run, actor=sabine.user)
        assert _lines() == resumed
    assert out.getvalue().strip() == clean.line()
