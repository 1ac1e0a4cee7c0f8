from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: demo data and benchmarks. At the top of the dependency graph, so it may use
    every app; nothing imports it."""

    name = "ops"
    verbose_name = _("Operations")
