"""The invoicing and dunning set-up the fault stories share with those apps' stories."""

from tests.dunning.conftest import base_rates  # noqa: F401
from tests.invoicing.conftest import coop_a_ready  # noqa: F401
