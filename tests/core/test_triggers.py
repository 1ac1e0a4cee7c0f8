"""The trigger helpers every pgtrigger/pghistory trigger calls: same answers as the libraries',
without a subtransaction per row (ADR 0028), and the tenant tables' dependency statistics."""

from __future__ import annotations

import pghistory
import pgtrigger
import pytest
from django.apps import apps
from django.db import connection

from invoicing.models import Client
from tenancy.scope import tenant_scope

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _source(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
        return cursor.fetchone()[0]


def test_helpers_read_their_settings_without_an_exception_block():
    # Re-created by pgtrigger whenever a migration installs a trigger; post_migrate replaces it.
    for name in ("_pgtrigger_should_ignore", "_pgh_attach_context"):
        source = _source(name)
        assert "EXCEPTION" not in source.upper() and "current_setting" in source


def _client_events(client: Client) -> list:
    return list(apps.get_model("invoicing", "ClientEvent").objects.filter(pgh_obj_id=client.pk))


def test_history_context_and_ignore_still_work(coop_a):
    with tenant_scope(coop_a):
        plain = Client.objects.create(
            cooperative=coop_a, kind="business", name="Plain GmbH", invoice_email="a@x.example"
        )
        with pghistory.context(reason="import"):
            tracked = Client.objects.create(
                cooperative=coop_a, kind="business", name="Ctx GmbH", invoice_email="b@x.example"
            )
        with pgtrigger.ignore("invoicing.Client:insert_insert"):
            ignored = Client.objects.create(
                cooperative=coop_a, kind="business", name="Quiet GmbH", invoice_email="c@x.example"
            )
        (event,) = _client_events(plain)
        assert event.pgh_context_id is None
        (event,) = _client_events(tracked)
        assert event.pgh_context.metadata["reason"] == "import"
        assert _client_events(ignored) == []


def test_tenant_tables_have_dependency_statistics():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_statistic_ext s
               JOIN pg_attribute a ON a.attrelid = s.stxrelid AND a.attnum = ANY(s.stxkeys)
               WHERE s.stxname = 'invoicing_invoice_tenant_deps'"""
        )
        columns = cursor.fetchone()[0]
    assert {"cooperative_id", "member_id", "client_id"} <= set(columns)
