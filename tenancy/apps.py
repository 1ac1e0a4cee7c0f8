from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Tenancy")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from tenancy import rls

        post_migrate.connect(rls.secure_tables, dispatch_uid="tenancy.rls.secure_tables")

        from django.contrib.auth.signals import user_logged_in

        from tenancy.middleware import activate_user_language

        user_logged_in.connect(activate_user_language, dispatch_uid="tenancy.user_language")
