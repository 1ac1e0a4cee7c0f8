"""Row-level security on PostgreSQL (R3).

After every `migrate`, every table in the schema that has a `cooperative_id` column gets
ENABLE + FORCE ROW LEVEL SECURITY and one policy on the transaction-local setting
`app.cooperative_id` (see tenancy/scope.py). Finding the tables by their column, not by a list,
means a new tenant model, an audit event table or a hand-written table cannot be forgotten.

The application role then gets plain DML grants. It owns nothing, so it can neither disable
the policies nor read around them; the owner role runs migrations only (ADR 0004).
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

POLICY_NAME = "smartcoop_tenant_isolation"
OWN_ROWS_POLICY_NAME = "smartcoop_own_rows"
OWNER_ALIAS = "owner"


def _tenant_setting() -> str:
    return f"nullif(current_setting('{settings.SMARTCOOP_RLS_SETTING}', true), '')::bigint"


def _user_setting() -> str:
    return f"nullif(current_setting('{settings.SMARTCOOP_RLS_USER_SETTING}', true), '')::bigint"


def user_visible_tables() -> dict[str, str]:
    """Tables whose policy also shows a person their own rows (e.g. memberships)."""
    return {
        model._meta.db_table: model.rls_user_column
        for model in apps.get_models()
        if getattr(model, "rls_user_column", None)
    }


def append_only_tables() -> list[str]:
    return [m._meta.db_table for m in apps.get_models() if getattr(m, "append_only", False)]


def tenant_tables(cursor) -> list[str]:
    cursor.execute(
        """
        SELECT c.table_name
        FROM information_schema.columns c
        JOIN information_schema.tables t
          ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = current_schema()
          AND c.column_name = 'cooperative_id'
          AND t.table_type = 'BASE TABLE'
        ORDER BY c.table_name
        """
    )
    return [row[0] for row in cursor.fetchall()]


def policy_sql(table: str, user_column: str | None) -> list[str]:
    quoted = f'"{table}"'
    # The setting sits in a sub-select, so the planner cannot look the cooperative up in the
    # column's statistics: it plans for a cooperative of average size. Looked up, a cooperative
    # missing from the statistics (new, or grown since the last ANALYZE) counts as one row, and
    # the planner then walks all its rows by the cooperative index instead of probing the
    # primary key or the parent's index — per row, so a batch of a thousand turns quadratic.
    tenant = f"cooperative_id = (SELECT {_tenant_setting()})"
    statements = [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY_NAME} ON {quoted}",
        f"DROP POLICY IF EXISTS {OWN_ROWS_POLICY_NAME} ON {quoted}",
        f"CREATE POLICY {POLICY_NAME} ON {quoted} USING ({tenant}) WITH CHECK ({tenant})",
    ]
    if user_column:
        # Permissive policies are OR-ed: a person may also *read* their own rows in every
        # cooperative (to choose one), but change them only inside that cooperative's scope.
        statements.append(
            f"CREATE POLICY {OWN_ROWS_POLICY_NAME} ON {quoted} FOR SELECT "
            f'USING ("{user_column}" = {_user_setting()})'
        )
    return statements


STATISTICS_SUFFIX = "_tenant_deps"


def statistics_sql(cursor, table: str) -> list[str]:
    """Functional-dependency statistics of the cooperative and the table's parent keys.

    Every query here filters by the cooperative (the policy, and the tenant manager) and most
    also by a parent: a member's invoices, a transaction's entries. Taken as independent, the
    two conditions multiply, and the planner expects a member with 20,000 invoices to have 169:
    it then sorts all of them to show twenty instead of reading twenty from the member's index.
    The parent fixes the cooperative; these statistics tell the planner so (after ANALYZE)."""
    cursor.execute(
        """
        SELECT DISTINCT a.attname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
        WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND array_length(c.conkey, 1) = 1
          AND a.attname <> 'cooperative_id'
        ORDER BY a.attname
        """,
        [_quote(table)],
    )
    # A statistics object covers at most eight columns.
    parents = [row[0] for row in cursor.fetchall()][:7]
    wanted = sorted(["cooperative_id", *parents]) if parents else []
    bare_name = f"{table[: 63 - len(STATISTICS_SUFFIX)]}{STATISTICS_SUFFIX}"
    cursor.execute(
        """
        SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_statistic_ext s
        JOIN pg_attribute a ON a.attrelid = s.stxrelid AND a.attnum = ANY(s.stxkeys)
        WHERE s.stxname = %s
        """,
        [bare_name],
    )
    existing = cursor.fetchone()[0] or []
    if existing == wanted:
        # Unchanged: keep it, and what ANALYZE has collected for it (a deploy must not wipe
        # the statistics of a big table until autovacuum comes round again).
        return []
    name = _quote(bare_name)
    statements = [f"DROP STATISTICS IF EXISTS {name}"]
    if parents:
        columns = ", ".join(_quote(c) for c in wanted)
        statements += [
            f"CREATE STATISTICS {name} (dependencies) ON {columns} FROM {_quote(table)}",
            f"ANALYZE {_quote(table)}",
        ]
    return statements


def _app_role() -> str | None:
    if OWNER_ALIAS not in settings.DATABASES:
        return None
    owner = settings.DATABASES[OWNER_ALIAS].get("USER")
    app = settings.DATABASES["default"].get("USER")
    return app if app and app != owner else None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_sql(role: str, schema: str) -> list[str]:
    ident, schema = _quote(role), _quote(schema)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {ident}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {ident}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {ident}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ident}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {ident}",
    ]


def secure_tables(sender, using: str, **kwargs) -> None:
    """post_migrate handler: (re)apply policies and grants once per migrate, as the owner."""
    if sender.name != "tenancy":
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if OWNER_ALIAS in settings.DATABASES and using != OWNER_ALIAS:
        # The application role (e.g. during a test flush) owns nothing and must not try.
        return
    user_columns = user_visible_tables()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for table in tenant_tables(cursor):
            for statement in policy_sql(table, user_columns.get(table)):
                cursor.execute(statement)
            for statement in statistics_sql(cursor, table):
                cursor.execute(statement)
        role = _app_role()
        if role:
            cursor.execute("SELECT current_schema()")
            for statement in grant_sql(role, cursor.fetchone()[0]):
                cursor.execute(statement)
            # Append-only tables (posted ledger rows): the application may only insert. The
            # triggers refuse changes too, but a trigger can be told to skip itself.
            for table in append_only_tables():
                cursor.execute(
                    f'REVOKE UPDATE, DELETE ON "{table}" FROM '
                    + '"'
                    + role.replace('"', '""')
                    + '"'
                )
