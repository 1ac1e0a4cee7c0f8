"""`seed_demo` prints one login line per account and can run again without duplicates."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from members.models import Member
from tenancy.models import Cooperative, User
from tenancy.scope import tenant_scope

pytestmark = pytest.mark.django_db

LINE = re.compile(r"^login: (\S+@\S+) (\S+) (member|staff|accountant|operator) (\S+)$")


def _seed() -> list[str]:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue().splitlines()


def test_seed_demo_prints_logins_that_work_and_is_idempotent():
    first = _seed()
    assert first and all(LINE.match(line) for line in first)
    slugs = {LINE.match(line).group(4) for line in first}
    assert {"smart-demo", "coop-nord"} <= slugs
    counts = (User.objects.count(), Cooperative.objects.count())
    assert _seed() == first
    assert (User.objects.count(), Cooperative.objects.count()) == counts
    for slug in ("smart-demo", "coop-nord"):
        with tenant_scope(Cooperative.objects.get(slug=slug)):
            statuses = sorted(Member.objects.values_list("status", flat=True))
            assert statuses == ["active", "active", "applicant", "approved", "left", "suspended"]

    email, password, _role, slug = LINE.match(first[-1]).groups()
    client = Client()
    response = client.post("/accounts/login/", {"login": email, "password": password}, follow=True)
    assert response.context["user"].email == email
    assert client.get("/api/v1/me/").json()["active_cooperative"] == slug
