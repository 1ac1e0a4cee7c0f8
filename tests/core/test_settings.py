"""Settings fail closed: no secret key outside DEBUG, strict parsing, deploy check clean (R15)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int


def _run(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_asked_for():
    result = _run("import smartcoop.settings as s; print(s.DEBUG)", DJANGO_SECRET_KEY="x" * 50)
    assert result.stdout.strip() == "False"


def test_a_secret_key_is_required_outside_debug():
    result = _run("import smartcoop.settings")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("k" * 60)
    result = _run(
        "import smartcoop.settings as s; print(len(s.SECRET_KEY))",
        DJANGO_SECRET_KEY_FILE=str(secret),
    )
    assert result.stdout.strip() == "60"


def test_typos_in_boolean_variables_stop_the_process(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_NUMBER", "12a")
    with pytest.raises(ImproperlyConfigured):
        env_int("SOME_NUMBER", 1)


def test_check_deploy_is_clean_with_production_variables():
    result = _run(
        "import django, sys; from django.core.management import call_command; "
        "django.setup(); call_command('check', '--deploy', '--fail-level', 'WARNING')",
        DJANGO_SETTINGS_MODULE="smartcoop.settings",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="coop.example.org",
        DATABASE_URL="sqlite:////tmp/smartcoop-deploy-check.sqlite3",
    )
    assert result.returncode == 0, result.stderr
