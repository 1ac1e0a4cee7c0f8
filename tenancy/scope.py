"""The tenant scope: which cooperative the current code acts for.

Two layers enforce isolation, and both read the same scope:

1. The application layer. Tenant-owned models use `TenantManager`, which refuses to build a query
   outside a scope (fail closed) and filters by the scope's cooperative inside one. This is the
   only layer on SQLite.
2. The database layer (PostgreSQL). Every table with a `cooperative_id` column has row-level
   security with a policy on the transaction-local setting `app.cooperative_id`. Entering a scope
   opens a transaction (or a savepoint) and sets it with `set_config(..., true)`, so a pooled
   connection can never carry a tenant into the next request or task (R4): the value dies with
   the transaction, and on leaving a nested scope the outer value is put back explicitly.

The scope lives in a `ContextVar`, which is per thread and per asyncio task, and is always reset in
`finally`. Middleware enters it for requests, `tenancy.tasks.TenantTask` for Celery tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)


class TenantScopeError(RuntimeError):
    """Tenant data was touched outside a tenant scope, or for another cooperative."""


@dataclass(frozen=True, slots=True)
class Scope:
    cooperative_id: int | None = None
    user_id: int | None = None
    system_reason: str | None = None

    @property
    def is_system(self) -> bool:
        return self.system_reason is not None


_current: ContextVar[Scope | None] = ContextVar("smartcoop_scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


def current_cooperative_id() -> int | None:
    scope = _current.get()
    return scope.cooperative_id if scope else None


def _db_values(scope: Scope | None) -> tuple[str, str]:
    if scope is None:
        return "", ""
    coop = "" if scope.cooperative_id is None else str(scope.cooperative_id)
    user = "" if scope.user_id is None else str(scope.user_id)
    return coop, user


def _apply_db_settings(scope: Scope | None, using: str) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    coop, user = _db_values(scope)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
            [settings.SMARTCOOP_RLS_SETTING, coop, settings.SMARTCOOP_RLS_USER_SETTING, user],
        )


def _restore_db_settings(outer: Scope | None, using: str) -> None:
    connection = connections[using]
    # Outside a transaction the local setting has already died with the commit or rollback.
    # In a broken outer transaction nothing can run, and its rollback discards the value anyway.
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    if connection.needs_rollback or connection.connection is None:
        return
    _apply_db_settings(outer, using)


@contextmanager
def _enter(scope: Scope, using: str = DEFAULT_DB_ALIAS) -> Iterator[Scope]:
    outer = _current.get()
    token = _current.set(scope)
    try:
        with transaction.atomic(using=using):
            _apply_db_settings(scope, using)
            yield scope
    finally:
        _current.reset(token)
        _restore_db_settings(outer, using)


def _cooperative_pk(cooperative: object) -> int:
    pk = getattr(cooperative, "pk", cooperative)
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise TypeError("tenant_scope() needs a Cooperative or its integer id")
    return pk


@contextmanager
def tenant_scope(cooperative: object, *, user_id: int | None = None) -> Iterator[Scope]:
    """Act for one cooperative: queries are filtered to it, writes are checked against it.

    Opens a transaction (a savepoint when nested); on_commit callbacks run while the scope is
    still set, outside the transaction.
    """
    outer = _current.get()
    if user_id is None and outer is not None:
        user_id = outer.user_id
    with _enter(Scope(cooperative_id=_cooperative_pk(cooperative), user_id=user_id)) as scope:
        yield scope


class RequestScope:
    """Handle of `request_scope()`: narrows the person's scope to one cooperative in place."""

    def __init__(self, user_id: int, using: str) -> None:
        self.user_id = user_id
        self.using = using

    def select_cooperative(self, cooperative_id: int) -> Scope:
        # Same transaction, no savepoint: the request's scope only ever narrows once, and the
        # value is reset with the ContextVar token of request_scope() in `finally`.
        scope = Scope(cooperative_id=_cooperative_pk(cooperative_id), user_id=self.user_id)
        _current.set(scope)
        _apply_db_settings(scope, self.using)
        return scope


@contextmanager
def request_scope(user_id: int, using: str = DEFAULT_DB_ALIAS) -> Iterator[RequestScope]:
    """The scope of one authenticated request: starts as a user scope (own memberships only) and
    is narrowed to the active cooperative once it is known, in one transaction."""
    with _enter(Scope(user_id=user_id), using):
        yield RequestScope(user_id, using)


@contextmanager
def system_scope(*, reason: str, actor_id: int | None = None) -> Iterator[Scope]:
    """Lift the application-level guard for a platform job, and leave an audit record.

    On PostgreSQL, row-level security still applies: the tenant setting is cleared, so tenant rows
    stay invisible unless the job enters `tenant_scope` for each cooperative in turn. This is
    deliberate (ADR 0004): no setting the application role can change may bypass RLS.
    """
    if not reason or not reason.strip():
        raise ValueError("system_scope() needs a reason for the audit log")
    from tenancy.models import SystemScopeEntry

    SystemScopeEntry.objects.create(reason=reason.strip()[:200], actor_id=actor_id)
    logger.info("system scope entered: %s", reason)
    with _enter(Scope(system_reason=reason, user_id=actor_id)) as scope:
        yield scope
