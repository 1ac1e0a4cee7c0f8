"""Sending tasks after commit, robustly."""

from __future__ import annotations

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send the task once the current transaction commits (at once outside a transaction).

    Robust: with the broker down the commit stands and the error is only logged. Whatever a
    task is sent for is a row committed with the action (an e-mail, a delivery, a reminder
    without its letter, a run still computing, a job), and that kind's periodic sweeper sends
    it again, so nothing is lost and the person who acted sees no error for it (R11)."""

    def send() -> None:
        task.delay(*args, **kwargs)

    # Django names the failing callback in its log line, and a partial has no name.
    send.__qualname__ = f"enqueue_on_commit({task.name})"
    transaction.on_commit(send, robust=True)
