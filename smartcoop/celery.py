"""Celery application. Settings live in smartcoop/settings.py under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcoop.settings")

app = Celery("smartcoop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _preload(**kwargs) -> None:
    """Import what tasks need before the pool forks its children: a child that replaces a
    crashed or recycled one then starts warm (WeasyPrint alone takes a second to import)."""
    import weasyprint  # noqa: F401
