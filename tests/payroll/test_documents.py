"""After approval: Alice gets her payslip in her language (once, however often it is asked
for), Bob the accountant the payroll journal and the salary transfer file; nobody sees another
cooperative's salaries, and nothing exists before approval."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from payroll import documents, services, tasks
from payroll.models import PayrollRun, Payslip
from tenancy.scope import tenant_scope
from tests.payroll.test_runs import SIX_MONTHS, _compute, _employ, _income

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _approved(coop, persona, preparer, approver, budget="3000.00") -> PayrollRun:
    _employ(persona)
    _income(persona, budget, SIX_MONTHS)
    run, _summary = _compute(coop)
    with tenant_scope(coop):
        run = services.payroll_run_submit(run=run, actor=preparer.user)
        return services.payroll_run_approve(run=run, actor=approver.user)


def test_alice_gets_her_payslip_in_her_language_once(
    coop_a, alice, sabine, stefan, django_capture_on_commit_callbacks, monkeypatch
):
    alice.user.language = "pl"
    alice.user.save(update_fields=["language"])
    queued = []
    monkeypatch.setattr(tasks.payslips_render, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        run = _approved(coop_a, alice, sabine, stefan)
    assert queued == [(coop_a.pk, run.pk)]  # approval queues the payslips after commit
    assert tasks.payslips_render(coop_a.pk, run.pk) == 0
    with tenant_scope(coop_a):
        slip = Payslip.objects.select_related("line").get()
        line = slip.line
        assert slip.language == "pl"
        text = _text(bytes(slip.content))
        # Polish labels around the German legal data, the amounts of the line.
        assert "Alice Adler" in text
        assert f"{line.net:,.2f}".replace(",", "\u00a0").replace(".", ",") in text
        assert "listopad 2026" in text.lower() or "Listopad 2026" in text
        again = documents.payslip_render(line=line)
        assert again.pk == slip.pk and Payslip.objects.count() == 1


def test_bob_downloads_the_journal_and_the_transfer_file_alice_her_payslips(
    coop_a, alice, sabine, stefan, bob, login, client, django_assert_max_num_queries
):
    run = _approved(coop_a, alice, sabine, stefan)
    with tenant_scope(coop_a):
        line = run.lines.get()
    accountant = login(bob)
    listing = accountant.get("/payroll/")
    assert listing.status_code == 200 and b"journal.csv" in listing.content
    csv = accountant.get(f"/payroll/{run.pk}/journal.csv")
    assert csv.status_code == 200 and csv["Content-Type"] == "text/csv"
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 3 and "Alice Adler" in rows[1]
    total = rows[2].split(",")
    assert total[1] == "Total" and Decimal(total[5]) == run.gross == line.gross
    assert Decimal(total[13]) == run.net and Decimal(total[16]) == run.employer_cost
    pdf = accountant.get(f"/payroll/{run.pk}/journal.pdf")
    assert "Adler" in _text(pdf.content)  # the name wraps in its narrow column
    sepa = accountant.get(f"/payroll/{run.pk}/salaries.xml")
    assert sepa.status_code == 200 and b"<Cd>SALA</Cd>" in sepa.content
    api = accountant.get("/api/v1/payroll/runs/").json()
    assert [r["id"] for r in api["results"]] == [run.pk]
    assert accountant.get(f"/api/v1/payroll/runs/{run.pk}/journal/csv/").content == csv.content
    assert accountant.get(f"/api/v1/payroll/runs/{run.pk}/transfer-file/").content == sepa.content
    client.logout()

    member = login(alice)
    with django_assert_max_num_queries(12):
        page = member.get("/salary/")
    assert page.status_code == 200 and str(line.net).encode() in page.content
    slip = member.get(f"/salary/{line.pk}/payslip.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    # The same payslip as a page, for reading on a phone.
    with django_assert_max_num_queries(12):
        html = member.get(f"/salary/{line.pk}/")
    assert html.status_code == 200 and f"/salary/{line.pk}/payslip.pdf".encode() in html.content
    for amount in (line.net, line.gross, line.wage_tax, line.budget_after):
        assert f"{amount:,.2f}".encode() in html.content, amount
    salaries = member.get("/api/v1/members/me/salaries/").json()["results"]
    assert [(s["id"], s["net"]) for s in salaries] == [(line.pk, str(line.net))]
    assert member.get(salaries[0]["payslip"]).content == slip.content
    # Members never get the journal or the transfer file.
    assert member.get(f"/payroll/{run.pk}/journal.csv").status_code in (403, 404)
    assert member.get("/api/v1/payroll/runs/").status_code == 403


def test_salaries_and_payroll_documents_stay_in_their_cooperative(
    coop_a, alice, sabine, stefan, carol, erik, login, client
):
    run = _approved(coop_a, alice, sabine, stefan)
    with tenant_scope(coop_a):
        line = run.lines.get()
    other_member = login(carol)
    assert other_member.get(f"/salary/{line.pk}/payslip.pdf").status_code == 404
    assert other_member.get(f"/salary/{line.pk}/").status_code == 404
    assert other_member.get(f"/api/v1/members/me/salaries/{line.pk}/payslip/").status_code == 404
    assert other_member.get("/api/v1/members/me/salaries/").json()["results"] == []
    client.logout()
    other_accountant = login(erik)
    for url in (
        f"/payroll/{run.pk}/journal.csv",
        f"/payroll/{run.pk}/salaries.xml",
        f"/api/v1/payroll/runs/{run.pk}/journal/pdf/",
        f"/api/v1/payroll/runs/{run.pk}/transfer-file/",
    ):
        assert other_accountant.get(url).status_code == 404, url
    assert other_accountant.get("/api/v1/payroll/runs/").json()["results"] == []


def test_nothing_before_approval(coop_a, alice, sabine, bob, login):
    _employ(alice)
    _income(alice, "3000.00", SIX_MONTHS)
    run, _summary = _compute(coop_a)
    with tenant_scope(coop_a):
        line = run.lines.get()
    accountant = login(bob)
    assert accountant.get(f"/payroll/{run.pk}/journal.csv").status_code == 404
    member = login(alice)
    assert member.get(f"/salary/{line.pk}/payslip.pdf").status_code == 404
    assert member.get(f"/salary/{line.pk}/").status_code == 404
    with tenant_scope(coop_a), pytest.raises(Exception, match="approved"):
        documents.payslips_render_missing(run=run)
