"""Promise (issue #18): the real Ushahidi Haiti 2010 export, written day first, is imported with
every day and month where the file put them — the Ushahidi preset no longer forces month first;
`testigo import` refuses a file whose dates cannot tell without --date-order; a column headed
"(UTC)" is read as UTC, not as the site's time zone."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from testigo.core import roles
from testigo.reports.models import Report
from testigo.surveys import dateorder, importing
from testigo.surveys.models import Import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HAITI = Path(__file__).parent / "date_samples" / "haiti_2010_first_60.csv"


def local(report: Report) -> datetime:
    return timezone.localtime(report.occurred_at).replace(tzinfo=None)


def by_serial() -> dict[str, Report]:
    # The Ushahidi preset takes Serial as the report's external id; any other mapping keeps it among
    # the unmapped columns.
    return {r.custom_values.get("_external_id") or r.custom_values["_import_extra"]["Serial"]: r
            for r in Report.objects.all()}


def test_the_haiti_export_is_read_day_first_from_its_own_dates(django_capture_on_commit_callbacks):
    imp = importing.create_import(actor=roles.SYSTEM, name="Haiti.csv", data=HAITI.read_bytes())
    assert imp.mapping["preset"] == "ushahidi" and "date_formats" not in imp.mapping
    settled = dateorder.settle(imp.mapping, Path(imp.file.path))  # what the mapping page and the CLI do
    assert settled["date_order"] == "dmy"
    importing.set_mapping(actor=roles.SYSTEM, imp=imp, mapping_json=settled)
    with django_capture_on_commit_callbacks(execute=True):
        importing.start(actor=roles.SYSTEM, imp=imp)
    imp = Import.objects.get(pk=imp.pk)
    assert (imp.created_count, imp.rejected_count) == (60, 0), imp.errors
    reports = by_serial()
    assert local(reports["4052"]) == datetime(2010, 7, 5, 17, 26)  # "05/07/2010 17:26": 5 July, not 7 May
    assert local(reports["4051"]) == datetime(2010, 6, 28, 23, 6)
    # Rows whose SMS carries its own ISO time ("Time: 2010-04-07 09:07:46") confirm the reading.
    for serial, iso in [("4004", "2010-04-07"), ("4003", "2010-04-12"), ("3996", "2010-03-12"),
                        ("3979", "2010-04-01")]:
        assert f"Time: {iso}" in reports[serial].description
        assert local(reports[serial]).date().isoformat() == iso


def test_the_cli_reads_the_haiti_export_without_being_told(tmp_path):
    out = io.StringIO()
    call_command("import", str(HAITI), stdout=out)
    assert "60 created, 0 already imported, 0 rejected" in out.getvalue()
    assert Import.objects.get().mapping["date_order"] == "dmy"
    assert local(by_serial()["4004"]) == datetime(2010, 4, 7, 9, 7)


UNDECIDABLE = "Título,Fecha\nRobo,03/04/2010\nAsalto,01/02/2010 10:30\nHurto,05/05/2010\n"


def test_the_cli_refuses_an_undecidable_file_without_date_order(tmp_path):
    data = tmp_path / "papel.csv"
    data.write_text(UNDECIDABLE, encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import", str(data), stdout=io.StringIO())
    message = str(refused.value)
    assert "--date-order dmy" in message and "--date-order mdy" in message
    assert "row 2: 03/04/2010 -> dmy 03 April 2010 | mdy March 04 2010" in message
    assert Report.objects.count() == 0


@pytest.mark.parametrize("order, day, month", [("dmy", 3, 4), ("mdy", 4, 3)])
def test_the_cli_reads_an_undecidable_file_in_the_order_given(tmp_path, order, day, month):
    data = tmp_path / "papel.csv"
    data.write_text(UNDECIDABLE, encoding="utf-8")
    out = io.StringIO()
    call_command("import", str(data), "--date-order", order, stdout=out)
    assert "3 created" in out.getvalue()
    robo = local(Report.objects.get(title="Robo"))
    assert (robo.day, robo.month) == (day, month)


def test_the_cli_refuses_a_file_mixing_both_orders(tmp_path):
    data = tmp_path / "mezcla.csv"
    data.write_text("Título,Fecha\nUno,25/04/2010\nDos,04/26/2010\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 2 has “25/04/2010”.*row 3 has “04/26/2010”"):
        call_command("import", str(data), "--date-order", "dmy", stdout=io.StringIO())


def test_the_cli_refuses_an_order_the_data_contradicts(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("Título,Fecha\nUno,25/04/2010\n", encoding="utf-8")
    with pytest.raises(CommandError, match="25/04/2010"):
        call_command("import", str(data), "--date-order", "mdy", stdout=io.StringIO())


@pytest.mark.parametrize("header", ["Post Date (UTC)", "Created (utc)", "Fecha (UTC)"])
def test_a_utc_column_is_read_as_utc(tmp_path, header):
    data = tmp_path / "u.csv"
    data.write_text(f"Title,{header}\nUno,2017-02-21 08:30:00\nDos,25/02/2017 08:30\n"
                    "Tres,2017-02-21T08:30:00+02:00\n", encoding="utf-8")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"columns": {"Title": "title", header: "occurred_at"}}))
    call_command("import", str(data), "--mapping", str(mapping), stdout=io.StringIO())
    assert Report.objects.get(title="Uno").occurred_at == datetime(2017, 2, 21, 8, 30, tzinfo=UTC)
    assert Report.objects.get(title="Dos").occurred_at == datetime(2017, 2, 25, 8, 30, tzinfo=UTC)
    assert Report.objects.get(title="Tres").occurred_at == datetime(2017, 2, 21, 6, 30, tzinfo=UTC)  # its own offset
