"""R5: numbers 1..N without gaps or duplicates, under concurrency and rollbacks (PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections, transaction

from invoicing.models import NumberCounter
from invoicing.numbering import number_format, number_next
from tenancy.scope import tenant_scope

WORKER = textwrap.dedent(
    """
    import random, sys
    import django
    django.setup()
    from django.db import transaction
    from invoicing.numbering import number_next
    from tenancy.models import Cooperative
    from tenancy.scope import tenant_scope

    coop = Cooperative.objects.get(slug="alpha")
    rng = random.Random(int(sys.argv[1]))
    kept = []
    for _ in range(int(sys.argv[2])):
        try:
            with tenant_scope(coop), transaction.atomic():
                number = number_next(cooperative=coop, series="RE", year=2026)
                if rng.random() < 0.1:
                    raise RuntimeError("simulated failure after the number was drawn")
            kept.append(number)
        except RuntimeError:
            pass
    print(" ".join(map(str, kept)))
    """
)


def _url(alias: str) -> str:
    db = connections[alias].settings_dict
    user = quote(db["USER"] or "")
    return f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db
def test_numbers_count_up_and_a_rollback_gives_the_number_back(coop_a):
    with tenant_scope(coop_a):
        with transaction.atomic():
            assert number_next(cooperative=coop_a, series="RE", year=2026) == 1
        with pytest.raises(RuntimeError), transaction.atomic():
            assert number_next(cooperative=coop_a, series="RE", year=2026) == 2
            raise RuntimeError
        with transaction.atomic():
            assert number_next(cooperative=coop_a, series="RE", year=2026) == 2
            assert number_next(cooperative=coop_a, series="GS", year=2026) == 1
            assert number_next(cooperative=coop_a, series="RE", year=2027) == 1
    assert number_format(series="RE", year=2026, number=42) == "RE-2026-00042"


@pytest.mark.django_db
def test_numbers_need_the_issuing_transaction(coop_a, monkeypatch):
    # Outside a transaction the row lock would end with the statement: refuse instead.
    monkeypatch.setattr(transaction.get_connection(), "in_atomic_block", False)
    with pytest.raises(RuntimeError, match="issuing transaction"):
        number_next(cooperative=coop_a, series="RE", year=2026)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_eight_processes_with_random_rollbacks_leave_no_gap(coop_a):
    per_process = int(os.environ.get("SMARTCOOP_R5_PER_PROCESS", "500"))
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=_url("default"),
        DATABASE_OWNER_URL=_url("owner"),
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(seed), str(per_process)],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in range(8)
    ]
    numbers = []
    for process in processes:
        out, _err = process.communicate(timeout=300)
        assert process.returncode == 0
        numbers += [int(n) for n in out.split()]
    assert len(numbers) == len(set(numbers)), "duplicates"
    assert sorted(numbers) == list(range(1, len(numbers) + 1)), "gaps"
    assert len(numbers) < 8 * per_process  # some were rolled back and given again
    with tenant_scope(coop_a):
        assert NumberCounter.objects.get(series="RE", year=2026).last_number == len(numbers)
