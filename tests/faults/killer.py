"""Loaded by a test worker (CELERY_IMPORTS in tests/settings.py when SMARTCOOP_FAULT_PLAN is
set): the worker child SIGKILLs itself right after the N-th SQL statement of its tasks, as a
`kill -9` from outside would at that moment — between a statement and the next, after a COMMIT
but before the broker hears of it, half-way through a chunk.

The plan file holds what is left to count: `count N` only adds up the statements tasks run (a
clean run, to know how many there are); `kill N` kills after N more and deletes the file first,
so the redelivered task runs to its end. Counting spans tasks, so a kill can also land in the
tasks a run queues for later (letters, e-mails)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from celery.signals import task_postrun, task_prerun
from django.db import connection

PLAN = Path(os.environ.get("SMARTCOOP_FAULT_PLAN", "/nonexistent"))
_state: dict = {}


def _read() -> tuple[str, int] | None:
    try:
        mode, number = PLAN.read_text().split()
    except (FileNotFoundError, ValueError):
        return None
    return mode, int(number)


def _write(mode: str, number: int) -> None:
    partial = PLAN.with_suffix(".partial")
    partial.write_text(f"{mode} {number}")
    partial.replace(PLAN)


def _counting(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    mode, number = _state["plan"]
    number = number + 1 if mode == "count" else number - 1
    _state["plan"] = (mode, number)
    if mode == "kill" and number <= 0:
        PLAN.unlink(missing_ok=True)
        os.kill(os.getpid(), signal.SIGKILL)
    return result


@task_prerun.connect
def _arm(**kwargs) -> None:
    plan = _read()
    if plan is None:
        return
    _state["plan"] = plan
    connection.execute_wrappers.append(_counting)


@task_postrun.connect
def _disarm(**kwargs) -> None:
    if "plan" not in _state:
        return
    if _counting in connection.execute_wrappers:
        connection.execute_wrappers.remove(_counting)
    mode, number = _state.pop("plan")
    if PLAN.exists():
        _write(mode, number)


def _check_children_often() -> None:
    """The pool notices a dead child by a timer (every 5 s) when the exit itself goes unseen; a
    test that kills 40 children checks every 0.2 s instead."""
    from celery.concurrency.asynpool import AsynPool

    AsynPool.timers = property(lambda pool: {pool.maintain_pool: 0.2})


_check_children_often()
