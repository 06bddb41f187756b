"""Spanish and English catalogues are complete, compiled, and cover every string in the code."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from testigo import i18n

PACKAGE = Path(i18n.__file__).resolve().parent


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_catalogue_is_complete_and_compiled(lang):
    po = PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.po"
    assert i18n.problems_in(po) == []


@pytest.mark.slow
def test_every_translatable_string_in_the_code_is_in_the_catalogues(tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("TESTIGO_REQUIRE_SERVICES") == "1":
            pytest.fail("xgettext (GNU gettext) is needed to extract strings; apt-get install gettext")
        pytest.skip("xgettext not installed (apt-get install gettext); extraction check skipped")
    copy = tmp_path / "testigo"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    for lang in i18n.LANGUAGES:
        (copy / "locale" / lang / "LC_MESSAGES" / "django.po").unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTIGO_")}
    env |= {"PYTHONPATH": str(tmp_path), "TESTIGO_DATA_DIR": str(tmp_path / "data"),
            "DJANGO_SETTINGS_MODULE": "testigo.settings"}
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "es", "--no-location",
                    "-i", "migrations/*"], cwd=copy, env=env, check=True, capture_output=True)
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/es/LC_MESSAGES/django.po"))}
    for lang in i18n.LANGUAGES:
        committed = {e.msgid for e in polib.pofile(str(PACKAGE / "locale" / lang / "LC_MESSAGES" / "django.po"))
                     if not e.obsolete}
        missing = sorted(fresh - committed)
        assert missing == [], f"{len(missing)} string(s) missing from {lang}: {missing[:10]} (make messages-extract)"


def test_a_plural_missing_one_of_the_languages_forms_is_reported(tmp_path):
    """Spanish has three plural forms (one, millions, other): a plural translated in two falls
    back to English for most counts ("and 5 more" on a Spanish page), so it is incomplete."""
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8",
                   "Plural-Forms": "nplurals=3; plural=n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;"}
    po.append(polib.POEntry(msgid="and %(n)s more", msgid_plural="and %(n)s more",
                            msgstr_plural={0: "y %(n)s más", 1: "y %(n)s más"}))
    path = tmp_path / "django.po"
    po.save(str(path))
    po.save_as_mofile(str(path.with_suffix(".mo")))
    assert any("untranslated plural" in p for p in i18n.problems_in(path))
    po[0].msgstr_plural[2] = "y %(n)s más"
    po.save(str(path))
    po.save_as_mofile(str(path.with_suffix(".mo")))
    assert i18n.problems_in(path) == []


def _catalogue(tmp_path, lang: str, entries: list[polib.POEntry]) -> Path:
    folder = tmp_path / lang / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8",
                   "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    for entry in entries:
        po.append(entry)
    po.save(str(folder / "django.po"))
    po.save_as_mofile(str(folder / "django.mo"))
    return folder / "django.po"


def test_a_translation_naming_a_placeholder_its_source_lacks_is_a_problem(tmp_path):
    # gettext's fuzzy guess for a new plural once showed "N reports" for "N recovery codes left"
    # and would raise KeyError for a placeholder the code does not pass.
    wrong = polib.POEntry(msgid="%(count)s recovery code left.", msgid_plural="%(count)s recovery codes left.",
                          msgstr_plural={0: "Queda %(counter)s código.", 1: "Quedan %(counter)s códigos."},
                          flags=["python-format"])
    right = polib.POEntry(msgid="%(n)s file", msgid_plural="%(n)s files",
                          msgstr_plural={0: "un archivo", 1: "%(n)s archivos"}, flags=["python-format"])
    problems = i18n.problems_in(_catalogue(tmp_path, "es", [wrong, right]))
    assert len(problems) == 1 and "counter" in problems[0]


def test_the_english_catalogue_holds_the_source_strings_themselves(tmp_path):
    guessed = polib.POEntry(msgid="bbox is out of range.", msgstr="Before sending")
    plural = polib.POEntry(msgid="%(n)s recipient", msgid_plural="%(n)s recipients",
                           msgstr_plural={0: "%(n)s report", 1: "%(n)s reports"}, flags=["python-format"])
    fine = polib.POEntry(msgid="Save", msgstr="Save")
    problems = i18n.problems_in(_catalogue(tmp_path, "en", [guessed, plural, fine]))
    assert len(problems) == 2 and all("English differs" in p for p in problems)
