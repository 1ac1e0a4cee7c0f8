"""Redis down while work is queued (R11): the action commits and its user sees no error; the
task is lost with the broker (Redis keeps nothing on disk), and once Redis is back the periodic
sweepers find the committed rows still waiting and a worker does the work, once.

The test runs its own redis-server on a free port so that it can kill it without disturbing the
rest of the suite, and points this process's Celery app and a worker at it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from core.models import OutboundEmail
from dunning import services as dunning_services
from dunning.models import Reminder
from invoicing.models import InvoiceDelivery
from payroll import services as payroll_services
from payroll.models import PayrollRun
from smartcoop.celery import app
from tenancy.scope import tenant_scope
from tests.conftest import worker_start, worker_stop
from tests.faults.test_worker_killed import _issue_overdue, _wait
from tests.invoicing.conftest import make_client
from tests.payroll.test_runs import SIX_MONTHS, _employ, _income

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data", "base_rates"),
]
SWEEPERS = [
    "invoicing.tasks.invoice_deliveries_retry_all",
    "dunning.tasks.reminders_send_pending_all",
    "payroll.tasks.payroll_runs_sweep",
    "core.tasks.email_outbox_flush",
]


class PrivateRedis:
    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _wait(self._answers, "starting redis", timeout=10)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def _use_broker(url: str) -> None:
    app.conf.broker_url = url
    app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis():
    server = PrivateRedis()
    server.start()
    before = app.conf.broker_url, app.conf.broker_write_url
    _use_broker(server.url)
    try:
        yield server
    finally:
        _use_broker(before[0])
        app.conf.broker_write_url = before[1]
        if server.process.poll() is None:
            server.kill()


def _five_minutes_later(cooperative, *tables: str) -> None:
    """The sweepers leave alone what is younger than a few minutes (a worker may be on it);
    age the waiting rows instead of waiting."""
    with tenant_scope(cooperative), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"UPDATE {table} SET created_at = created_at - interval '10 minutes'")


def test_work_queued_while_redis_is_down_is_done_once_it_is_back(
    redis, coop_a_ready, alice, sabine
):
    _employ(alice)
    _income(alice, "2600.00", SIX_MONTHS)
    client = make_client(alice)
    redis.kill()

    # Each action commits and returns; the task it queues is lost with the broker.
    started = time.monotonic()
    invoice = _issue_overdue(alice, sabine, client, "900.00", days_ago=40)
    with tenant_scope(coop_a_ready):
        result = dunning_services.dunning_run(cooperative=coop_a_ready, on=timezone.localdate())
        run = payroll_services.payroll_run_start(
            cooperative=coop_a_ready, month=date(2026, 11, 1), actor=sabine.user
        )
    assert result.reminders_created == 1
    assert time.monotonic() - started < 20  # no endless retries against a dead broker
    with tenant_scope(coop_a_ready):
        assert InvoiceDelivery.objects.get(invoice=invoice).email_id is None
        assert Reminder.objects.get(invoice=invoice).level == 1
        assert PayrollRun.objects.get(pk=run.pk).status == PayrollRun.Status.COMPUTING
    assert not OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).exists()

    # Redis comes back empty; beat's next round of sweepers finds the waiting rows.
    redis.start()
    _five_minutes_later(coop_a_ready, "invoicing_invoicedelivery", "payroll_payrollrun")
    worker = worker_start(REDIS_URL=redis.url)
    try:
        for name in SWEEPERS:
            app.send_task(name)

        def done() -> bool:
            with tenant_scope(coop_a_ready):
                delivered = InvoiceDelivery.objects.filter(email__isnull=False).count()
                letters = Reminder.objects.filter(letter__isnull=False).count()
                computed = PayrollRun.objects.get(pk=run.pk).status == PayrollRun.Status.DRAFT
            pending = OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).count()
            return delivered == 1 and letters == 1 and computed and pending == 0

        _wait(done, "the swept work", timeout=60)
    finally:
        worker_stop(worker)
    with tenant_scope(coop_a_ready):
        assert PayrollRun.objects.get(pk=run.pk).lines.count() == 1
        mails = list(OutboundEmail.objects.values_list("subject", flat=True))
    assert len(mails) == len(set(mails)), mails  # every e-mail once
