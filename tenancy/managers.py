"""Fail-closed managers for tenant-owned models (R1)."""

from __future__ import annotations

from django.db import models

from tenancy.scope import TenantScopeError, current_scope


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of every tenant-owned model.

    Outside a scope it raises instead of returning every cooperative's rows; inside a tenant
    scope it filters by the scope's cooperative; a system scope sees all rows (SQLite) or what
    row-level security lets through (PostgreSQL).
    """

    def get_queryset(self) -> TenantQuerySet:
        scope = current_scope()
        queryset = super().get_queryset()
        if scope is not None and scope.is_system:
            return queryset
        if scope is None or scope.cooperative_id is None:
            raise TenantScopeError(
                f"{self.model._meta.label} was queried outside a tenant scope; "
                "use tenancy.scope.tenant_scope() or an access function"
            )
        return queryset.filter(cooperative_id=scope.cooperative_id)


class OwnMembershipManager(models.Manager):
    """Memberships of the person in the current scope, in any cooperative.

    Needed before a cooperative is chosen (login, cooperative switch, `me` endpoint). The
    PostgreSQL policy of the membership table allows exactly these rows via `app.user_id`.
    """

    def get_queryset(self) -> models.QuerySet:
        scope = current_scope()
        if scope is None or scope.user_id is None:
            raise TenantScopeError("memberships of a person need a scope with that person's id")
        return super().get_queryset().filter(user_id=scope.user_id)
