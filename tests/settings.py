"""Test settings: the production module with test-only conveniences, nothing else."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SMARTCOOP_VAR_DIR", os.path.join(tempfile.gettempdir(), "smartcoop-test"))
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"smartcoop-test-{os.getpid()}")

from smartcoop.settings import *  # noqa: F403
from smartcoop.settings import CACHES, REDIS_URL

# Fast hashing: tests create many accounts; production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SMARTCOOP_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Webhook tests receive on 127.0.0.1 over plain HTTP.
SMARTCOOP_WEBHOOK_ALLOW_HTTP = True
SMARTCOOP_WEBHOOK_ALLOW_PRIVATE = True
if REDIS_URL:
    # Tests clear the cache between cases (FLUSHDB): keep it in its own database, away from
    # the Celery broker's queues.
    CACHES["default"]["LOCATION"] = REDIS_URL.rsplit("/", 1)[0] + "/15"
    # The test run's worker process shares its parent's prefix: progress it reports is read by
    # the live server of the browser tests.
    CACHES["default"]["KEY_PREFIX"] = os.environ.get(
        "SMARTCOOP_TEST_CACHE_PREFIX", f"smartcoop-test-{os.getpid()}"
    )
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns about a missing root

if REDIS_URL:
    # Only the worker tests read task results; production keeps no business state there.
    CELERY_RESULT_BACKEND = REDIS_URL

if os.environ.get("SMARTCOOP_FAULT_PLAN"):
    # The fault tests' worker kills itself at a planned SQL statement (tests/faults/killer.py).
    CELERY_IMPORTS = ["tests.faults.killer"]
