"""Payroll stories need a second staff member: Stefan approves what Sabine submits."""

from __future__ import annotations

import pytest

from tenancy.models import Role
from tests.conftest import make_person


@pytest.fixture
def stefan(coop_a):
    return make_person(coop_a, "stefan@example.org", Role.STAFF, full_name="Stefan Sommer")


@pytest.fixture
def reference_data(transactional_db):
    """Transactional tests leave every table empty behind them, the operator's dated tables
    too; load them again the way their data migrations do (idempotent)."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps

    editor = SimpleNamespace(connection=SimpleNamespace(alias="default"))
    for module in ("payroll.migrations.0002_rates_2026", "dunning.migrations.0002_base_rates"):
        import_module(module).add(apps, editor)
