"""Benchmark: the cost of row-level security on a tenant-scoped query (P8).

Two identical tables are built as the owner role, one with the production policy (ENABLE + FORCE,
transaction-local setting), one without. The application role then runs the same tenant-scoped
point query against each, inside the same kind of transaction the request middleware opens, so
the only difference is the policy. Ratio = throughput with RLS / throughput without (goal ≥ 0.9).
"""

from __future__ import annotations

import random
import statistics
import time

from django.conf import settings
from django.db import connections

from tenancy.rls import POLICY_NAME, policy_sql

TABLES = ("bench_rls_plain", "bench_rls_secured")
COOPERATIVES = 10


def _setup(scale: int) -> None:
    app_role = settings.DATABASES["default"]["USER"]
    with connections["owner"].cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} (id bigint PRIMARY KEY, cooperative_id bigint NOT NULL, "
                "member_number integer NOT NULL, last_name text NOT NULL, "
                "amount numeric(14, 2) NOT NULL)"
            )
            cursor.execute(
                f"INSERT INTO {table} SELECT g, 1 + g %% %s, g, 'Name ' || g, (g %% 1000) / 7.0 "  # noqa: S608
                "FROM generate_series(1, %s) g",
                [COOPERATIVES, scale],
            )
            cursor.execute(f"CREATE INDEX ON {table} (cooperative_id, id)")
            cursor.execute(f'GRANT SELECT ON {table} TO "{app_role}"')
            cursor.execute(f"ANALYZE {table}")
        for statement in policy_sql("bench_rls_secured", None):
            cursor.execute(statement)


def _teardown() -> None:
    with connections["owner"].cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _run(table: str, ids: list[int]) -> float:
    connection = connections["default"]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for row_id in ids:
            cooperative = 1 + row_id % COOPERATIVES
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT set_config(%s, %s, true)",
                [settings.SMARTCOOP_RLS_SETTING, str(cooperative)],
            )
            cursor.execute(
                f"SELECT id, member_number, last_name, amount FROM {table} "  # noqa: S608
                "WHERE cooperative_id = %s AND id = %s",
                [cooperative, row_id],
            )
            assert len(cursor.fetchall()) == 1
            cursor.execute("COMMIT")
    return time.perf_counter() - started


def rls(*, scale: int, queries: int = 4000, rounds: int = 6) -> dict:
    if connections["default"].vendor != "postgresql" or "owner" not in settings.DATABASES:
        raise RuntimeError("bench rls needs PostgreSQL with DATABASE_URL and DATABASE_OWNER_URL")
    _setup(scale)
    try:
        rng = random.Random(20261121)  # noqa: S311 - reproducible sample, not security
        ids = [rng.randint(1, scale) for _ in range(queries)]
        connections["default"].ensure_connection()
        connections["default"].connection.autocommit = True
        _run(TABLES[0], ids[:200])  # warm-up: plans and caches for both tables
        _run(TABLES[1], ids[:200])
        plain, secured = [], []
        for round_no in range(rounds):
            # Interleaved, and in alternating order, so drift and cache effects hit both alike.
            order = (0, 1) if round_no % 2 == 0 else (1, 0)
            for which in order:
                (plain if which == 0 else secured).append(_run(TABLES[which], ids))
        floor_s = statistics.median(plain)
        app_s = statistics.median(secured)
    finally:
        _teardown()
    return {
        "floor_s": floor_s,
        "app_s": app_s,
        "ratio": floor_s / app_s,
        "queries": queries * 4,
        "policy": POLICY_NAME,
    }
