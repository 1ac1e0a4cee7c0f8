"""E-mail outbox (after commit, retried, never lost) and the beat schedule staff can see."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.mail import send_mail

from core import services, tasks
from core.models import OutboundEmail
from smartcoop.celery import app

pytestmark = pytest.mark.django_db


def test_django_mail_goes_into_the_outbox_and_is_sent_after_commit(
    django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "core.mail.OutboxEmailBackend"  # the test runner swaps in locmem
    with django_capture_on_commit_callbacks() as callbacks:
        send_mail("Willkommen", "Hallo", "coop@example.org", ["alice@example.org"])
    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmail.Status.PENDING and len(callbacks) == 1
    services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 1
    assert mail.outbox[0].subject == "Willkommen"
    # A duplicate delivery of the task sends nothing more.
    assert services.email_send(email_id=email.pk) is None
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_keeps_the_mail_and_counts_attempts(settings):
    settings.SMARTCOOP_EMAIL_DELIVERY_BACKEND = "tests.core.failing_mail.FailingBackend"
    email = services.email_enqueue(
        from_email="a@example.org", to=["b@example.org"], subject="s", body="b"
    )
    for _ in range(OutboundEmail.MAX_ATTEMPTS):
        services.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == OutboundEmail.MAX_ATTEMPTS
    assert "ConnectionRefusedError" in email.last_error


def test_the_flush_task_sends_what_is_pending():
    for i in range(3):
        services.email_enqueue(
            from_email="a@example.org", to=["b@example.org"], subject=str(i), body="b"
        )
    assert tasks.email_outbox_flush.apply().get() == 3
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 3
    assert tasks.email_outbox_flush.apply().get() == 0


def test_beat_schedule_is_stored_for_staff_to_see(settings, login, sabine):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("sync_beat_schedule", stdout=None)
    call_command("sync_beat_schedule", stdout=None)  # twice: still one row per entry
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names
    assert PeriodicTask.objects.count() == len(names)
    client = login(sabine)
    task = PeriodicTask.objects.get(name="email-outbox-retry")
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
    page = client.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    assert page.status_code == 200 and b'name="name"' not in page.content  # read-only
    assert (
        client.post(f"/admin/django_celery_beat/periodictask/{task.pk}/delete/").status_code == 403
    )


def test_every_periodic_task_is_registered():
    app.loader.import_default_modules()
    from django.conf import settings

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
