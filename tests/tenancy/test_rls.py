"""R3 and R4: PostgreSQL itself keeps cooperatives apart, whatever the application forgets."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, connections

from tenancy.scope import tenant_scope

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=["default", "owner"])]


def _tables_with_cooperative_id(cursor):
    cursor.execute(
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = current_schema()
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                      AND a.attname = 'cooperative_id' AND NOT a.attisdropped)
        ORDER BY 1
        """
    )
    return cursor.fetchall()


def test_every_tenant_table_has_forced_row_level_security():
    with connection.cursor() as cursor:
        tables = _tables_with_cooperative_id(cursor)
    assert {"members_member", "tenancy_membership", "members_memberevent"} <= {t[0] for t in tables}
    assert [t for t in tables if not (t[1] and t[2])] == []


def test_the_application_role_cannot_bypass_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
            "AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
    assert settings.DATABASES["default"]["USER"] != settings.DATABASES["owner"]["USER"]


def test_raw_sql_without_a_tenant_sees_no_rows(alice, carol):
    with connection.cursor() as cursor:
        for table, *_ in _tables_with_cooperative_id(cursor):
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            assert cursor.fetchone()[0] == 0, table


def test_raw_sql_inside_a_scope_sees_only_that_cooperative(alice, carol):
    with tenant_scope(alice.cooperative), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT cooperative_id FROM members_member")
        assert cursor.fetchall() == [(alice.cooperative.pk,)]
        # Even a forged write for the other cooperative is rejected by the policy.
        cursor.execute("SAVEPOINT forged")
        with pytest.raises(Exception, match="row-level security"):
            cursor.execute("UPDATE members_member SET cooperative_id = %s", [carol.cooperative.pk])
        cursor.execute("ROLLBACK TO SAVEPOINT forged")


def test_the_owner_role_is_also_bound_by_forced_policies(alice):
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_member")
        assert cursor.fetchone()[0] == 0


def test_own_memberships_elsewhere_are_readable_but_not_writable(alice, coop_b):
    from tests.conftest import make_person

    make_person(coop_b, alice.email, "member", full_name="Alice Adler")
    with tenant_scope(alice.cooperative, user_id=alice.user.pk), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tenancy_membership WHERE user_id = %s", [alice.user.pk]
        )
        assert cursor.fetchone()[0] == 2  # both cooperatives: needed to choose one
        cursor.execute("DELETE FROM tenancy_membership WHERE cooperative_id = %s", [coop_b.pk])
        assert cursor.rowcount == 0  # but only the active cooperative's rows can change
