"""Reports as the accountant meets them: asked for on a page or through the API, written by a
worker, checked against the ledger, downloaded; never another cooperative's."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from invoicing.models import Client
from ledger import services as ledger_services
from reports import jobs, tables, writers
from reports.models import ReportJob
from tenancy import jobs as background
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db

YEAR = {"date_from": "2026-01-01", "date_to": "2026-12-31"}


def _run(coop, user, report, fmt, params) -> ReportJob:
    with tenant_scope(coop):
        job = jobs.report_job_request(
            cooperative=coop, user=user, report=report, format=fmt, params=params
        )
    return jobs.report_job_run(cooperative=coop, job_id=job.pk)


def _budgets_job(coop, persona) -> ReportJob:
    return jobs.report_job_request(
        cooperative=coop,
        user=persona.user,
        report="budgets",
        format="csv",
        params={"as_of": "2026-06-30"},
    )


def _csv(job) -> list[list[str]]:
    with open(jobs.file_path(job), encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_every_report_of_the_demo_reconciles_with_the_ledger():
    call_command("seed_demo", stdout=StringIO())
    coop = Cooperative.objects.get(slug="smart-demo")
    user = User.objects.get(email="accountant@smart-demo.example")
    today = timezone.localdate().isoformat()
    cases = [
        ("open_items", "csv", {"as_of": today}),
        ("open_items", "xlsx", {"as_of": today}),
        ("open_items", "pdf", {"as_of": today}),
        ("budgets", "csv", {"as_of": today}),
        ("revenue", "xlsx", YEAR),
        ("ustva", "csv", YEAR),
        ("zm", "csv", YEAR),
    ]
    finished = {}
    for report, fmt, params in cases:
        job = _run(coop, user, report, fmt, params)
        assert job.status == ReportJob.Status.DONE, job.error
        assert job.checks and all(check["ok"] for check in job.checks), job.checks
        assert job.size == jobs.file_path(job).stat().st_size > 0
        finished[report, fmt] = job
    open_items = _csv(finished["open_items", "csv"])
    assert len(open_items) - 1 == finished["open_items", "csv"].rows_done > 0
    # Every demo dunning level shows, and the ageing follows the due date.
    levels = {row[13] for row in open_items[1:]}
    assert {"1", "2", "3"} <= levels
    with translation.override(finished["open_items", "csv"].language):
        for row in open_items[1:]:
            assert row[12] == tables.bucket_label(tables.ageing_bucket(int(row[11])))
    ustva = {row[0]: row for row in _csv(finished["ustva", "csv"])[1:]}
    zm = _csv(finished["zm", "csv"])[1:]
    assert sum(Decimal(row[5]) for row in zm) == Decimal(ustva["21"][3])
    assert ustva["81"][2] == str(int(Decimal(ustva["81"][3])))  # whole euros, cents dropped
    tax = Decimal(ustva["81"][4]) + Decimal(ustva["86"][4]) - Decimal(ustva["66"][4])
    assert Decimal(ustva["83"][4]) == tax
    with zipfile.ZipFile(jobs.file_path(finished["open_items", "xlsx"])) as book:
        assert "xl/worksheets/sheet2.xml" in book.namelist()  # the checks sheet


@pytest.mark.parametrize(
    "days,bucket",
    [(0, "not_due"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (90, "61-90"), (91, "90+")],
)
def test_ageing_buckets(days, bucket):
    assert tables.ageing_bucket(days) == bucket


def test_text_that_looks_like_a_formula_stays_text_in_csv_and_xlsx(coop_a, bob, tmp_path):
    with tenant_scope(coop_a):
        for name in ('=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)"):
            Client.objects.create(kind="business", name=name, invoice_email="x@example.org")
        table = tables.Table(
            "t",
            ["name", "amount"],
            iter([(c.name, Decimal("-1.50")) for c in Client.objects.all()]),
            4,
        )
        rows = list(table.rows)
    table.rows = iter(rows)
    writers.write_csv(table, tmp_path / "t.csv", lambda n: None)
    cells = list(
        csv.reader(io.StringIO((tmp_path / "t.csv").read_text("utf-8-sig")), delimiter=";")
    )[1:]
    assert all(cell[0].startswith("'") for cell in cells)
    assert all(cell[1] == "-1.50" for cell in cells)  # numbers stay numbers
    table.rows = iter(rows)
    writers.write_xlsx(table, tmp_path / "t.xlsx", lambda n: None)
    with zipfile.ZipFile(tmp_path / "t.xlsx") as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "-1.5" in sheet


def test_a_job_is_written_once_and_a_dead_worker_is_replaced(coop_a, bob):
    with tenant_scope(coop_a):
        job = _budgets_job(coop_a, bob)
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.RUNNING, heartbeat_at=timezone.now()
        )
    # Another worker is on it: a second delivery leaves it alone.
    assert jobs.report_job_run(cooperative=coop_a, job_id=job.pk) is None
    with tenant_scope(coop_a):
        ReportJob.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - background.STALE - timedelta(seconds=1)
        )
    # Its heartbeat stopped: the job is taken over and finished, then never written again.
    done = jobs.report_job_run(cooperative=coop_a, job_id=job.pk)
    assert done.status == "done" and done.attempt == 1
    assert jobs.report_job_run(cooperative=coop_a, job_id=job.pk) is None
    # The worker taken for dead reports late: its result does not count.
    stale = ReportJob(pk=job.pk, cooperative=coop_a, attempt=0, report="budgets", format="csv")
    assert jobs._finish(coop_a, stale, status=ReportJob.Status.FAILED, error="late") is None
    with tenant_scope(coop_a):
        assert ReportJob.objects.get(pk=job.pk).status == "done"


def test_a_job_whose_worker_keeps_dying_is_given_up(coop_a, bob):
    with tenant_scope(coop_a):
        job = _budgets_job(coop_a, bob)
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.RUNNING,
            attempt=background.MAX_ATTEMPTS,
            heartbeat_at=timezone.now() - background.STALE - timedelta(seconds=1),
        )
    assert jobs.report_job_run(cooperative=coop_a, job_id=job.pk) is None
    with tenant_scope(coop_a):
        job.refresh_from_db()
    assert job.status == "failed" and job.error


def test_the_sweeper_queues_lost_jobs_and_removes_old_ones(coop_a, bob, monkeypatch):
    from reports import tasks

    sent = []
    monkeypatch.setattr(tasks.report_job_run, "delay", lambda *args: sent.append(args))
    with tenant_scope(coop_a):
        lost = _budgets_job(coop_a, bob)
        fresh = _budgets_job(coop_a, bob)
        old = _budgets_job(coop_a, bob)
        ReportJob.objects.filter(pk=lost.pk).update(
            created_at=timezone.now() - timedelta(minutes=5)
        )
        ReportJob.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=8), status=ReportJob.Status.DONE
        )
    assert jobs.report_jobs_sweep() == 1
    assert sent == [(coop_a.pk, lost.pk)]
    with tenant_scope(coop_a):
        assert set(ReportJob.objects.values_list("pk", flat=True)) == {lost.pk, fresh.pk}


def test_pages_api_and_downloads_stay_in_the_cooperative(
    coop_a, coop_b, bob, sabine, erik, alice, login
):
    client = login(bob)
    home = client.get("/accountant/").content.decode()
    assert home.count('id="exports-heading"') == 1 and "/accountant/reports/" in home
    assert "<section" not in home.split("</title>")[0]
    response = client.post(
        "/accountant/reports/",
        {"report": "open_items", "format": "csv", "as_of": "2026-11-01"},
    )
    with tenant_scope(coop_a):
        job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/accountant/reports/{job.pk}/"
    waiting = client.get(f"/accountant/reports/{job.pk}/").content.decode()
    assert "data-refresh=" in waiting and "<progress" in waiting
    assert client.get(f"/accountant/reports/{job.pk}/download/").status_code == 404
    jobs.report_job_run(cooperative=coop_a, job_id=job.pk)
    page = client.get(f"/accountant/reports/{job.pk}/").content.decode()
    assert "http-equiv" not in page and f"/accountant/reports/{job.pk}/download/" in page
    download = client.get(f"/accountant/reports/{job.pk}/download/")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    api = client.get(f"/api/v1/reports/{job.pk}/").json()
    assert api["status"] == "done" and api["download"] == f"/api/v1/reports/{job.pk}/download/"
    assert client.get(api["download"]).status_code == 200
    # The other cooperative's accountant: exactly like a missing job, everywhere.
    other = login(erik)
    missing = job.pk + 1000
    for url in (
        "/accountant/reports/{}/",
        "/accountant/reports/{}/download/",
        "/api/v1/reports/{}/",
        "/api/v1/reports/{}/download/",
    ):
        foreign, absent = other.get(url.format(job.pk)), other.get(url.format(missing))
        assert foreign.status_code == absent.status_code == 404
        if url.startswith("/api/"):
            assert foreign.json() == absent.json()
    assert other.get("/api/v1/reports/").json() == []
    # Members have no business here.
    member = login(alice)
    assert member.get("/accountant/reports/").status_code == 403
    assert member.get(f"/api/v1/reports/{job.pk}/").status_code == 403


def test_bad_requests_get_clear_errors(coop_a, bob, login):
    client = login(bob)
    page = client.post(
        "/accountant/reports/",
        {"report": "ustva", "format": "csv", "date_from": "2026-03-01", "date_to": "2026-01-31"},
    )
    assert "The period ends before it starts." in page.content.decode()
    missing = client.post("/accountant/reports/", {"report": "zm", "format": "csv"})
    assert "This report needs a period." in missing.content.decode()
    api = client.post(
        "/api/v1/reports/",
        {"report": "datev", "format": "csv", **YEAR},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "report_format"
    created = client.post(
        "/api/v1/reports/",
        {"report": "ustva", "format": "pdf", **YEAR},
        content_type="application/json",
    )
    assert created.status_code == 202 and created.json()["status"] == "queued"
    with tenant_scope(coop_a):
        assert ReportJob.objects.count() == 1


def test_a_pdf_too_long_fails_with_a_message(coop_a, bob, alice, monkeypatch):
    monkeypatch.setattr(writers, "PDF_MAX_ROWS", 0)
    with tenant_scope(coop_a):
        ledger_services.account_member(member=alice.member)
    job = _run(coop_a, bob.user, "budgets", "pdf", {"as_of": "2026-06-30"})
    assert job.status == "failed"
    assert job.error == "1 line is too many for a PDF; choose CSV or XLSX."
    assert not jobs.file_path(job).exists()


def test_progress_is_read_from_the_cache_while_the_worker_writes(coop_a, bob):
    with tenant_scope(coop_a):
        job = _budgets_job(coop_a, bob)
        job.status = ReportJob.Status.RUNNING
    background.progress_report(job, done=3000, total=10000)
    assert jobs.progress_of(job) == (3000, 10000)
