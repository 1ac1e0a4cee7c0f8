"""A request runs in one transaction: a failed request leaves nothing behind."""

from __future__ import annotations

import pytest

from tenancy.models import CooperativeSettings
from tenancy.scope import tenant_scope

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tenancy.rollback_urls")]


def _support_email(cooperative) -> str:
    with tenant_scope(cooperative):
        return CooperativeSettings.objects.get().support_email


def test_writes_of_a_failed_request_are_rolled_back(login, alice):
    assert login(alice).get("/deny/").status_code == 403
    assert _support_email(alice.cooperative) == ""


def test_writes_of_a_successful_request_are_kept(login, alice):
    assert login(alice).get("/ok/").status_code == 200
    assert _support_email(alice.cooperative) == "changed@example.org"
