"""Payroll stories need a second staff member: Stefan approves what Sabine submits."""

from __future__ import annotations

import pytest

from tenancy.models import Role
from tests.conftest import make_person


@pytest.fixture
def stefan(coop_a):
    return make_person(coop_a, "stefan@example.org", Role.STAFF, full_name="Stefan Sommer")
