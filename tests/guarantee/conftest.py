"""Invoice set-up shared with the invoicing stories."""

from tests.invoicing.conftest import coop_a_ready, coop_b_ready  # noqa: F401
