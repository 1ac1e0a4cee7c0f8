from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GuaranteeConfig(AppConfig):
    name = "guarantee"
    verbose_name = _("Guarantee fund")
