"""R12: beat firing a periodic task twice in one period changes nothing the second time, and
the daily jobs neither run twice nor skip a day across the DST switches in Europe/Berlin.

Beat's schedules are intervals in UTC, while the jobs decide by the cooperative's local date:
86,400 s after 00:30 CEST on 25 October 2026 it is 23:30 CET on the same date (a second run on
one day), and 86,400 s after 23:30 CET on 28 March it is 00:30 CEST on the 30th (no run dated
the 29th). The tasks run eagerly here, fan-out included, with the clock moved by time-machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.conf import settings

from dunning.models import Reminder
from dunning.services import policy_for
from invoicing import invoice_services
from invoicing.models import Invoice
from payroll.models import PayrollRun
from smartcoop.celery import app
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope
from tests.invoicing.conftest import draft, line, make_client
from tests.payroll.test_runs import SIX_MONTHS, _employ, _income

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data", "base_rates"),
]


@pytest.fixture
def eager():
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(task_always_eager=before[0], task_eager_propagates=before[1])


def _rows() -> dict[str, int]:
    """Rows per model and cooperative: what a second firing must not add to."""
    counts = {}
    cooperatives = list(Cooperative.objects.values_list("pk", flat=True))
    for model in apps.get_models():
        if model._meta.app_label in ("sessions", "django_celery_beat", "admin"):
            continue
        for cooperative_id in cooperatives:
            with tenant_scope(cooperative_id):
                counts[f"{model._meta.label}@{cooperative_id}"] = model.objects.count()
    return counts


def _issue_on(persona, staff, client, day) -> Invoice:
    invoice = draft(persona, client, [line(quantity="3", price="250.00")], supply_date=day)
    with tenant_scope(persona.cooperative):
        invoice_services.invoice_submit(invoice=invoice, actor=persona.user)
        return invoice_services.invoice_issue(
            invoice=Invoice.objects.get(pk=invoice.pk), actor=staff.user, on=day
        )


def _fire(name: str) -> None:
    app.tasks[settings.CELERY_BEAT_SCHEDULE[name]["task"]].apply().get()


def test_every_periodic_task_fired_twice_in_its_period_has_one_effect(
    eager, coop_a_ready, alice, sabine
):
    _employ(alice)
    _income(alice, "2800.00", SIX_MONTHS)
    client = make_client(alice)
    _issue_on(alice, sabine, client, datetime.now(UTC).date() - timedelta(days=45))
    with tenant_scope(coop_a_ready):
        assert not Reminder.objects.exists()
    app.loader.import_default_modules()
    for name in settings.CELERY_BEAT_SCHEDULE:
        _fire(name)
        after_first = _rows()
        _fire(name)
        added = {k: v - after_first[k] for k, v in _rows().items() if v != after_first[k]}
        assert not added, f"{name} fired twice changed {added}"
    with tenant_scope(coop_a_ready):
        # The firings had work to do: the overdue invoice got its reminder, the month its run.
        assert Reminder.objects.count() == 1
        assert PayrollRun.objects.count() == 1


def _daily_jobs() -> None:
    _fire("dunning-daily")
    _fire("payroll-monthly-draft")


def _local(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M %Z")


def _first_reminder_due_on(day: date, alice, sabine) -> Invoice:
    """An invoice (14 days' terms) whose friendly reminder falls due on `day`."""
    with tenant_scope(alice.cooperative):
        due_day = day - timedelta(days=policy_for(cooperative=alice.cooperative).reminder_days)
    issued_on = due_day - timedelta(days=14)
    with time_machine.travel(datetime.combine(issued_on, datetime.min.time(), UTC), tick=False):
        invoice = _issue_on(alice, sabine, make_client(alice), issued_on)
    assert invoice.due_date == due_day
    return invoice


def test_daily_jobs_across_the_autumn_switch_run_once_per_day(eager, coop_a_ready, alice, sabine):
    # The first reminder falls due on Sunday 25 October, the day the clocks go back.
    _first_reminder_due_on(date(2026, 10, 25), alice, sabine)
    first = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    moments = [first + timedelta(days=n) for n in range(3)]
    assert [_local(m) for m in moments] == [
        "2026-10-25 00:30 CEST",
        "2026-10-25 23:30 CET",  # the same local day again
        "2026-10-26 23:30 CET",
    ]
    for moment in moments:
        with time_machine.travel(moment, tick=False):
            _daily_jobs()
    with tenant_scope(coop_a_ready):
        assert list(Reminder.objects.values_list("level", "dated")) == [(1, date(2026, 10, 25))]
        assert PayrollRun.objects.filter(month=date(2026, 10, 1)).count() == 1


def test_daily_jobs_across_the_spring_switch_miss_no_day(eager, coop_a_ready, alice, sabine):
    # The first reminder falls due on Sunday 29 March, a day without a run.
    invoice = _first_reminder_due_on(date(2026, 3, 29), alice, sabine)
    first = datetime(2026, 3, 27, 22, 30, tzinfo=UTC)
    moments = [first + timedelta(days=n) for n in range(3)]
    assert [_local(m) for m in moments] == [
        "2026-03-27 23:30 CET",
        "2026-03-28 23:30 CET",
        "2026-03-30 00:30 CEST",  # no run dated the 29th
    ]
    for moment in moments:
        with time_machine.travel(moment, tick=False):
            _daily_jobs()
    with tenant_scope(coop_a_ready):
        # The reminder due on the 29th comes with the next run, once.
        assert list(Reminder.objects.filter(invoice=invoice).values_list("level", "dated")) == [
            (1, date(2026, 3, 30))
        ]
