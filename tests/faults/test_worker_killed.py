"""R10: a worker killed with `kill -9` at 20 random points of a payroll run and of a dunning run,
then the redelivered task (`acks_late`, `reject_on_worker_lost`) runs again in a fresh child: the
result equals a clean run's, with nothing twice.

The worker runs the prefork pool with one child and the killer hook (tests/faults/killer.py):
a clean run counts the SQL statements of all tasks it takes (the run and what it queues:
chunks, letters, e-mails); each faulted run kills the child right after a statement drawn at
random from that range. The seed is printed, so a failing point can be replayed
(SMARTCOOP_FAULT_SEED)."""

from __future__ import annotations

import os
import random
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.models import OutboundEmail
from dunning import tasks as dunning_tasks
from dunning.models import Reminder, ReminderLetter
from invoicing import invoice_services
from invoicing.models import Invoice
from payroll import tasks as payroll_tasks
from payroll.models import PayrollLine, PayrollRun
from smartcoop.celery import app
from tenancy.scope import tenant_scope
from tests.conftest import worker_start, worker_stop
from tests.invoicing.conftest import draft, line, make_client
from tests.payroll.test_runs import members_with_income

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
POINTS = int(os.environ.get("SMARTCOOP_FAULT_POINTS", 20))
SEED = int(os.environ.get("SMARTCOOP_FAULT_SEED") or time.time_ns() % 100_000)


class FaultWorker:
    def __init__(self, plan):
        self.plan = plan
        self.process = worker_start(
            pool="prefork",
            loglevel="CRITICAL",  # each kill logs a WorkerLostError: expected here
            SMARTCOOP_FAULT_PLAN=str(plan),
            SMARTCOOP_PAYROLL_CHUNK="3",
            CELERY_VISIBILITY_TIMEOUT="30",
            CELERY_TASK_SOFT_TIME_LIMIT="15",
            CELERY_TASK_TIME_LIMIT="20",
        )

    def count(self) -> None:
        self.plan.write_text("count 0")

    def counted(self) -> int:
        mode, number = self.plan.read_text().split()
        assert mode == "count"
        self.plan.unlink()
        return int(number)

    def kill_after(self, statements: int) -> None:
        self.plan.write_text(f"kill {statements}")

    def killed(self) -> bool:
        return not self.plan.exists()


def _wait(done, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.1)
    raise AssertionError(f"the worker did not finish {what} within {timeout:.0f} s")


def _truncate(*tables: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def _points(total: int) -> list[int]:
    rng = random.Random(SEED)
    return sorted(rng.sample(range(1, total + 1), min(POINTS, total)))


@pytest.fixture
def fault_worker(tmp_path, db):
    app.control.purge()
    worker = FaultWorker(tmp_path / "plan")
    try:
        yield worker
    finally:
        worker_stop(worker.process)


def _run_points(worker, *, name, reset, start, finished, snapshot):
    """A clean run twice (the second in a warm child counts the statements: a fresh child runs
    more, filling caches), then one run per kill point; each must equal the clean one."""
    for _warm_up in range(2):
        reset()
        worker.count()
        start()
        _wait(finished, f"the clean {name} run")
        _wait(lambda: worker.plan.read_text() != "count 0", "the count")
        time.sleep(0.3)  # the last task's postrun writes the count
        total = worker.counted()
    clean = snapshot()
    assert total > 10, total
    print(f"{name}: {total} statements, seed {SEED}")
    for point in _points(total):
        reset()
        worker.kill_after(point)
        start()
        _wait(lambda: worker.killed() and finished(), f"the {name} run killed at {point}")
        assert snapshot() == clean, f"{name} killed after statement {point} (seed {SEED})"


def test_a_payroll_run_killed_at_20_points_ends_as_a_clean_run(fault_worker, coop_a, alice):
    members_with_income(coop_a, alice, 9)

    def reset():
        _truncate("payroll_payrollline", "payroll_payrollrun")

    def start():
        payroll_tasks.payroll_run_compute.delay(coop_a.pk, "2026-11-01")

    def finished():
        with tenant_scope(coop_a):
            return PayrollRun.objects.filter(status=PayrollRun.Status.DRAFT).exists()

    def snapshot():
        with tenant_scope(coop_a):
            lines = PayrollLine.objects.order_by("member_id")
            return {
                "runs": list(
                    PayrollRun.objects.values_list("month", "lines_count", "gross", "net")
                ),
                "lines": list(
                    lines.values_list(
                        "member_id", "gross", "net", "employer_cost", "budget_after", "warnings"
                    )
                ),
            }

    _run_points(
        fault_worker, name="payroll", reset=reset, start=start, finished=finished, snapshot=snapshot
    )


def _issue_overdue(persona, staff, client, amount: str, days_ago: int) -> Invoice:
    on = timezone.localdate() - timedelta(days=days_ago)
    invoice = draft(persona, client, [line(quantity="1", price=amount)], supply_date=on)
    with tenant_scope(persona.cooperative):
        invoice_services.invoice_submit(invoice=invoice, actor=persona.user)
        return invoice_services.invoice_issue(
            invoice=Invoice.objects.get(pk=invoice.pk), actor=staff.user, on=on
        )


def test_a_dunning_run_killed_at_20_points_ends_as_a_clean_run(
    fault_worker, base_rates, coop_a_ready, alice, sabine
):
    business = make_client(alice)
    consumer = make_client(
        alice, kind="consumer", name="Petra Privat", vat_id="", invoice_email="petra@example.org"
    )
    for n in range(6):
        client = consumer if n % 3 == 0 else business
        _issue_overdue(alice, sabine, client, f"{300 + 125 * n}.00", days_ago=60 - 5 * n)

    def reset():
        _truncate(
            "dunning_reminderletter",
            "dunning_reminder",
            "core_outboundattachment",
            "core_outboundemail",
        )

    def start():
        dunning_tasks.dunning_run.delay(coop_a_ready.pk)

    def finished():
        with tenant_scope(coop_a_ready):
            reminders = Reminder.objects.count()
            letters = ReminderLetter.objects.count()
        pending = OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()
        return reminders and letters == reminders and not pending

    def snapshot():
        with tenant_scope(coop_a_ready):
            reminders = list(
                Reminder.objects.order_by("invoice__number", "level").values_list(
                    "invoice__number", "level", "dated", "open_amount", "interest", "fee", "total"
                )
            )
            letters = sorted(
                ReminderLetter.objects.values_list("reminder__invoice__number", flat=True)
            )
        mails = sorted(OutboundEmail.objects.values_list("to", "subject", "status"))
        return {"reminders": reminders, "letters": letters, "mails": mails}

    _run_points(
        fault_worker, name="dunning", reset=reset, start=start, finished=finished, snapshot=snapshot
    )
