"""R4: a reused connection or worker process never carries one cooperative into the next."""

from __future__ import annotations

import pytest
from django.db import connection

from members.tasks import members_close_departures

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _tenant_setting() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.cooperative_id', true)")
        return cursor.fetchone()[0]


def test_alternating_requests_on_one_connection(client, alice, carol, settings):
    settings.DATABASES["default"]["CONN_MAX_AGE"] = None  # keep the one connection open
    clients = {alice.member.pk: alice, carol.member.pk: carol}
    backend_pids = set()
    for i in range(1000):
        persona = (alice, carol)[i % 2]
        other = carol if persona is alice else alice
        client.force_login(persona.user)
        own = client.get(f"/api/v1/members/{persona.member.pk}/")
        assert own.status_code == 200 and own.json()["id"] == persona.member.pk
        if i % 10 == 0:
            # Every tenth request also probes the other cooperative's member: never visible.
            assert client.get(f"/api/v1/members/{other.member.pk}/").status_code == 404
        assert _tenant_setting() in (None, "")
        backend_pids.add(connection.connection.info.backend_pid)
    assert len(backend_pids) == 1
    assert len(clients) == 2


def test_alternating_tasks_in_one_process(alice, carol):
    for i in range(1000):
        cooperative = (alice.cooperative, carol.cooperative)[i % 2]
        assert members_close_departures.apply(args=[cooperative.pk]).get() == 0
        assert _tenant_setting() in (None, "")
