"""Six shipped languages, complete: no untranslated or fuzzy entry, catalogues up to date."""

from __future__ import annotations

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalogue_is_complete(code):
    catalogue = _catalogue(code)
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    assert len(catalogue) > 50


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogue_matches_the_source(code):
    source = {(e.msgctxt, e.msgid) for e in _catalogue(code).translated_entries()}
    compiled = polib.mofile(str(LOCALE / code / "LC_MESSAGES" / "django.mo"))
    assert {(e.msgctxt, e.msgid) for e in compiled if e.msgid} == source


def test_catalogues_contain_every_string_in_the_code(tmp_path, settings, monkeypatch):
    # Extract afresh from a copy of the sources (makemessages writes into the `locale` folder
    # nearest to each file, so it must not see the real one) and compare: a new string nobody
    # translated, or a catalogue nobody regenerated, fails here.
    base = Path(settings.BASE_DIR)
    for folder in ("core", "tenancy", "members", "invoicing", "payroll", "ops", "smartcoop"):
        shutil.copytree(
            base / folder, tmp_path / folder, ignore=shutil.ignore_patterns("migrations")
        )
    shutil.copytree(base / "templates", tmp_path / "templates")
    (tmp_path / "locale").mkdir()
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("makemessages", locale=["de"], verbosity=0)
    fresh = polib.pofile(str(tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    shipped = {(e.msgctxt, e.msgid) for e in _catalogue("de")}
    missing = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in shipped)
    assert len(fresh) > 50 and missing == []


@pytest.mark.parametrize(
    "code,expected", [("de", "Übersicht"), ("en", "Overview"), ("ar", None), ("uk", None)]
)
def test_pages_are_translated_at_runtime(code, expected):
    with translation.override(code):
        text = translation.gettext("Overview")
    if expected:
        assert text == expected
    else:
        assert text != "Overview"


@pytest.mark.django_db
def test_arabic_pages_are_right_to_left(client, alice):
    alice.user.language = "ar"
    alice.user.save()
    client.force_login(alice.user)
    html = client.get("/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    with translation.override("ar"):
        assert f"<li>{translation.gettext('Member')}</li>" in html  # the role, translated


@pytest.mark.django_db
def test_the_language_switcher_remembers_the_choice(client, alice):
    client.force_login(alice.user)
    response = client.post("/language/", {"language": "tr", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    alice.user.refresh_from_db()
    assert alice.user.language == "tr"
    assert '<html lang="tr"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_an_unknown_language_is_a_clear_message_not_an_error(client):
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_the_sign_in_message_speaks_the_persons_language(client, alice):
    from tests.conftest import PASSWORD

    alice.user.language = "de"
    alice.user.save(update_fields=["language"])
    client.cookies["django_language"] = "en"  # the browser asks for English
    response = client.post(
        "/accounts/login/", {"login": alice.user.email, "password": PASSWORD}, follow=True
    )
    shown = [str(m) for m in response.context["messages"]]
    with translation.override("de"):
        expected = translation.gettext("Successfully signed in as %(name)s.") % {
            "name": alice.user.full_name
        }
    assert expected != "Successfully signed in as Alice Adler." and expected in shown
