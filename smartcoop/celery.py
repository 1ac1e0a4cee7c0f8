"""Celery application. Settings live in smartcoop/settings.py under the CELERY_ namespace."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcoop.settings")

app = Celery("smartcoop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
