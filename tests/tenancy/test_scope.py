"""R1: tenant-owned models fail closed outside a tenant scope, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.apps import apps

from members.models import Member
from tenancy.models import Cooperative, SystemScopeEntry
from tenancy.scope import TenantScopeError, current_scope, system_scope, tenant_scope

pytestmark = pytest.mark.django_db


def tenant_models():
    return [
        model
        for model in apps.get_models()
        if any(
            getattr(field, "related_model", None) is Cooperative and field.name == "cooperative"
            for field in model._meta.fields
        )
    ]


def test_every_model_with_a_cooperative_is_scoped():
    # Story: a developer adds a model with a `cooperative` FK but forgets TenantModel. Every
    # such model must refuse to be queried without a scope; this lists the offenders.
    models = tenant_models()
    assert Member in models and len(models) >= 6  # members, memberships, settings + audit events
    unguarded = []
    for model in models:
        try:
            list(model._default_manager.all()[:1])
        except TenantScopeError:
            continue
        unguarded.append(model._meta.label)
    assert unguarded == []


def test_a_model_without_scoping_is_detected():
    # The check above must be able to fail: a plain manager on a tenant table slips through.
    from django.db import models

    plain = models.Manager()
    plain.model = Member
    plain.name = "plain"
    assert list(plain.all()[:1]) == []  # no exception: this is what the scan above catches


def test_scope_filters_to_its_cooperative(alice, carol):
    with tenant_scope(alice.cooperative):
        assert list(Member.objects.values_list("user__email", flat=True)) == [alice.email]
    with tenant_scope(carol.cooperative):
        assert list(Member.objects.values_list("user__email", flat=True)) == [carol.email]
    assert current_scope() is None


def test_writing_another_cooperatives_row_is_refused(alice, carol):
    with tenant_scope(carol.cooperative), pytest.raises(TenantScopeError):
        alice.member.first_name = "Mallory"
        alice.member.save()


def test_saving_outside_a_scope_is_refused(alice):
    alice.member.first_name = "Nobody"
    with pytest.raises(TenantScopeError):
        alice.member.save()


def test_nested_scopes_restore_the_outer_cooperative(alice, carol):
    with tenant_scope(alice.cooperative):
        with tenant_scope(carol.cooperative):
            assert Member.objects.get().user == carol.user
        assert Member.objects.get().user == alice.user


def test_system_scope_needs_a_reason_and_is_audited(alice):
    with pytest.raises(ValueError), system_scope(reason=" "):
        pass
    with system_scope(reason="count members for the platform status page"):
        assert current_scope().is_system
    entry = SystemScopeEntry.objects.get()
    assert entry.reason == "count members for the platform status page"
