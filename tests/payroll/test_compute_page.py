"""Sabine starts the month's payroll on the payroll page; a worker computes it while the page
shows the progress (and refreshes itself); she may leave and continue a computation a dead
worker left half-done. Bob (accountant) watches but cannot start; Dirk (another cooperative)
sees nothing of it."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from payroll import services, tasks
from payroll.models import PayrollRun
from tenancy.scope import tenant_scope
from tests.payroll.test_runs import SIX_MONTHS, _employ, _income

pytestmark = pytest.mark.django_db


def test_sabine_computes_a_month_in_the_background_and_sees_its_progress(
    coop_a,
    alice,
    sabine,
    bob,
    dirk,
    login,
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    month = timezone.localdate().replace(day=1)
    queued = []
    monkeypatch.setattr(tasks.payroll_run_compute, "delay", lambda *args: queued.append(args))
    staff = login(sabine)
    page = staff.get("/payroll/")
    assert page.status_code == 200 and f'value="{month:%Y-%m}"'.encode() in page.content

    with django_capture_on_commit_callbacks(execute=True):
        started = staff.post("/payroll/", {"month": f"{month:%Y-%m}"})
    assert started.status_code == 302
    assert queued == [(coop_a.pk, month.isoformat())]  # the worker computes, after commit
    waiting = staff.get("/payroll/")
    assert b"data-refresh=" in waiting.content and b"<progress" in waiting.content
    with tenant_scope(coop_a):
        run = PayrollRun.objects.get(month=month)
        assert run.status == PayrollRun.Status.COMPUTING
        assert services.payroll_run_progress(run=run) == (0, 1)

    # The worker (here in-process) computes it; asked again, the page has stopped refreshing.
    assert tasks.payroll_run_compute(coop_a.pk, month.isoformat()).startswith("lines=1 ")
    done = staff.get("/payroll/")
    assert b"data-refresh=" not in done.content
    again = staff.post("/payroll/", {"month": f"{month:%Y-%m}"})
    assert again.status_code == 200 and b"already been computed" in again.content
    # Computed again from the admin (after data was corrected): in the background as well.
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            "/admin/payroll/payrollrun/",
            {"action": "recompute", "_selected_action": [run.pk]},
        )
    assert queued[-1] == (coop_a.pk, month.isoformat())
    with tenant_scope(coop_a):
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.COMPUTING and not run.lines.exists()
    assert tasks.payroll_run_compute(coop_a.pk, month.isoformat()).startswith("lines=1 ")
    future = staff.post("/payroll/", {"month": f"{date(month.year + 1, 1, 1):%Y-%m}"})
    assert future.status_code == 200 and b"future" in future.content
    nonsense = staff.post("/payroll/", {"month": "13/2026"})
    assert nonsense.status_code == 200 and b"error-summary" in nonsense.content
    client.logout()

    accountant = login(bob)
    assert accountant.get("/payroll/").status_code == 200
    assert accountant.post("/payroll/", {"month": f"{month:%Y-%m}"}).status_code == 404
    client.logout()
    other = login(dirk)
    with tenant_scope(coop_a):
        assert PayrollRun.objects.filter(month=month).count() == 1
    listing = other.get("/payroll/")
    assert listing.status_code == 200
    assert f"/admin/payroll/payrollrun/{run.pk}/".encode() not in listing.content
    assert b"<progress" not in listing.content
