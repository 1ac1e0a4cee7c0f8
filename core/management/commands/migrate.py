"""`migrate` that runs as the schema owner when one is configured (DATABASE_OWNER_URL).

The application role cannot create or alter tables by design (row-level security must not be
in the hands of the role that serves requests), so migrations must use the owner connection.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS


class Command(MigrateCommand):
    def handle(self, *args, **options):
        if options["database"] == DEFAULT_DB_ALIAS and "owner" in settings.DATABASES:
            options["database"] = "owner"
        return super().handle(*args, **options)
