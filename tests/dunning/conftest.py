"""Invoice set-up shared with the invoicing stories, and the statutory base rates."""

import importlib

import pytest

from tests.invoicing.conftest import coop_a_ready, coop_b_ready  # noqa: F401


@pytest.fixture(autouse=True)
def base_rates(db):
    """The rates the data migration seeds: a transactional test elsewhere ends by emptying
    every table, so they are put back for each dunning story."""
    from dunning.models import BaseRate

    seeded = importlib.import_module("dunning.migrations.0002_base_rates")
    for valid_from, rate, source in seeded.RATES:
        BaseRate.objects.get_or_create(
            valid_from=valid_from, defaults={"rate": rate, "source": source}
        )
