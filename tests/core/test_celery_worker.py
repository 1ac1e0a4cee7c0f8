"""A real Celery worker (separate process, Redis broker, PostgreSQL with RLS) runs our tasks."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core import services as core_services
from core.models import OutboundEmail
from members import tasks as member_tasks
from members.models import Member
from tenancy.scope import tenant_scope

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_runs_a_tenant_task_inside_its_cooperative(worker, alice, carol):
    yesterday = timezone.localdate() - timedelta(days=1)
    for persona in (alice, carol):
        with tenant_scope(persona.cooperative):
            Member.objects.filter(pk=persona.member.pk).update(left_on=yesterday)
    result = member_tasks.members_close_departures.delay(alice.cooperative.pk)
    assert result.get(timeout=60) == 1
    with tenant_scope(alice.cooperative):
        assert Member.objects.get(pk=alice.member.pk).status == Member.Status.LEFT
    with tenant_scope(carol.cooperative):
        assert Member.objects.get(pk=carol.member.pk).status == Member.Status.ACTIVE
    # Running it again changes nothing (idempotent).
    assert member_tasks.members_close_departures.delay(alice.cooperative.pk).get(timeout=60) == 0


def test_alternating_tasks_on_one_worker_never_mix_cooperatives(worker, alice, carol):
    yesterday = timezone.localdate() - timedelta(days=1)
    with tenant_scope(carol.cooperative):
        Member.objects.filter(pk=carol.member.pk).update(left_on=yesterday)
    results = [
        member_tasks.members_close_departures.delay((alice, carol)[i % 2].cooperative.pk)
        for i in range(100)
    ]
    outcomes = [r.get(timeout=120) for r in results]
    # Only the first task for Nordlicht finds Carol; Alpha never has anyone to close.
    assert outcomes[1] == 1 and sum(outcomes) == 1


def test_an_e_mail_is_sent_by_the_worker_after_commit(worker, db):
    with transaction.atomic():
        email = core_services.email_enqueue(
            from_email="coop@example.org", to=["member@example.org"], subject="Hallo", body="…"
        )
        # Inside the transaction the worker cannot have seen it.
        assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.PENDING

    def sent():
        return OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.SENT

    assert _wait_for(sent)


def test_a_rolled_back_action_sends_no_e_mail(worker, db):
    with pytest.raises(RuntimeError), transaction.atomic():
        core_services.email_enqueue(
            from_email="coop@example.org", to=["member@example.org"], subject="Nie", body="…"
        )
        raise RuntimeError("the action failed")
    assert OutboundEmail.objects.count() == 0


def test_an_issued_invoice_reaches_the_client_through_the_worker(worker, alice, sabine):
    from invoicing.models import InvoiceDelivery
    from tests.invoicing.conftest import draft, issue, line, make_client, ready_to_issue

    ready_to_issue(alice.cooperative)
    client = make_client(alice)
    invoice = issue(alice, draft(alice, client, [line()]), sabine)

    def sent():
        with tenant_scope(alice.cooperative):
            delivery = InvoiceDelivery.objects.select_related("email").get(invoice=invoice)
            return delivery.email_id and delivery.email.status == OutboundEmail.Status.SENT

    assert _wait_for(sent, timeout=60)
    with tenant_scope(alice.cooperative):
        email = InvoiceDelivery.objects.get(invoice=invoice).email
    assert email.to == ["rechnung@atelier.example"]
    assert [a.filename for a in email.attachments.all()] == [f"{invoice.number_text}.zugferd.pdf"]


def test_a_report_asked_for_on_the_page_is_written_by_the_worker(worker, bob, erik, login):
    from reports import jobs
    from reports.models import ReportJob

    client = login(bob)
    response = client.post(
        "/accountant/reports/", {"report": "budgets", "format": "xlsx", "as_of": "2026-06-30"}
    )
    assert response.status_code == 302
    with tenant_scope(bob.cooperative):
        job = ReportJob.objects.get()

    def done():
        with tenant_scope(bob.cooperative):
            return ReportJob.objects.get(pk=job.pk).status == ReportJob.Status.DONE

    assert _wait_for(done, timeout=60)
    with tenant_scope(bob.cooperative):
        job.refresh_from_db()
    assert jobs.file_path(job).exists() and job.checks[0]["ok"]
    download = client.get(f"/accountant/reports/{job.pk}/download/")
    assert download.status_code == 200
    assert login(erik).get(f"/accountant/reports/{job.pk}/download/").status_code == 404
