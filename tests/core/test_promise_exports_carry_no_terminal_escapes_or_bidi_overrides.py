"""An SMS's terminal escape sequences and Unicode bidi overrides never reach an export (CSV,
GeoJSON, `testigo export`): they are removed where text leaves as a file, while the stored
report keeps the original for inspection (core/textsafe.py explains the choice)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command

from testigo.core import csvsafe
from testigo.core.textsafe import strip_controls

ESC = "\x1b"
HOSTILE_TITLE = f"Robo{ESC}[2J{ESC}[31m rojo{ESC}]0;pwned\x07 \u202eexe.txt\u202c \u2066x\u2069\x01\x9b1m\x7f"  # no NUL: PostgreSQL refuses it
CLEAN_TITLE = "Robo rojo exe.txt x1m"
DESCRIPTION = "línea 1\nlínea 2\tfin\r\nمرحبا\u200f"  # newlines, tab and an RTL mark are real text
FORBIDDEN = [ESC, "\u202e", "\u202c", "\u2066", "\u2069", "\x01", "\x9b", "\x7f", "\x07", "[2J", "pwned"]


@pytest.mark.parametrize(("text", "clean"), [
    (HOSTILE_TITLE, CLEAN_TITLE),
    (DESCRIPTION, DESCRIPTION),
    ("\u202a\u202b\u202d x \u2067\u2068", " x "),
    ("a\x00b\x08c\x1fd\x85e", "abcde"),
    (f"{ESC}Pa{ESC}\\b", "ab"),  # other ESC sequences lose the ESC and its byte
    ("Ordinary text, 12:34 — ñandú 🙂", "Ordinary text, 12:34 — ñandú 🙂"),
])
def test_strip_controls(text, clean):
    assert strip_controls(text) == clean


def test_csv_writer_removes_controls_before_the_formula_guard():
    out = io.StringIO()
    csvsafe.writer(out).writerow([f"\u202e=1+1{ESC}[2J", DESCRIPTION])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", DESCRIPTION]


@pytest.fixture
def hostile_report(db, report_factory, admin_user):
    from testigo.reports import services

    report = report_factory(title=HOSTILE_TITLE, description=DESCRIPTION)
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    report.refresh_from_db()
    assert report.title == HOSTILE_TITLE  # the stored original is kept for inspection
    return report


def _assert_clean(text: str) -> None:
    for forbidden in FORBIDDEN:
        assert forbidden not in text, repr(forbidden)


@pytest.mark.parametrize("options", [["--format", "csv"], ["--format", "csv", "--all"]])
def test_promise_csv_export_has_no_escapes_or_overrides(hostile_report, capsys, options):
    call_command("export", *options)
    text = capsys.readouterr().out
    _assert_clean(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["title"] == CLEAN_TITLE
    if "--all" in options:  # the public projection may redact the description; staff see it whole
        assert rows[0]["description"] == DESCRIPTION


@pytest.mark.parametrize("options", [["--format", "geojson"], ["--format", "geojson", "--all"]])
def test_promise_geojson_export_has_no_escapes_or_overrides(hostile_report, capsys, options):
    call_command("export", *options)
    text = capsys.readouterr().out
    data = json.loads(text)
    properties = data["features"][0]["properties"]
    _assert_clean(json.dumps(properties, ensure_ascii=False))
    assert properties["title"] == CLEAN_TITLE


def test_promise_survey_answers_in_an_export_are_cleaned(hostile_report):
    from testigo.reports import exporters
    from testigo.reports.models import Report

    export = exporters.Export(Report.objects.all(), public=False,
                              answers=[("answer", lambda values: f"{ESC}[2J\u202e=cmd")])
    header, row = list(csv.reader(io.StringIO("".join(export.csv()))))
    assert row[-1] == "'=cmd"
    feature = json.loads("".join(export.geojson()))["features"][0]
    assert feature["properties"]["answer"] == "=cmd"
