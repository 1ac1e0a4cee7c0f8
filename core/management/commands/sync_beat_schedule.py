"""Write settings.CELERY_BEAT_SCHEDULE (the one place periodic work is declared) into the
django-celery-beat tables, so staff see it in the admin before beat first starts. Idempotent;
`celery beat` does the same at start."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.schedulers import ModelEntry

from smartcoop.celery import app


class Command(BaseCommand):
    help = "Store the declared beat schedule in the database (safe to run again)."

    def handle(self, *args, **options):
        for name, fields in settings.CELERY_BEAT_SCHEDULE.items():
            ModelEntry.from_entry(name, app=app, **fields)
        self.stdout.write(f"periodic tasks={len(settings.CELERY_BEAT_SCHEDULE)}")
