"""Promise: a row imported with a date but no time is a report whose time is unknown (shown as the
date alone, never "00:00"); a row with a time keeps it. CSV and XLSX, on both import paths
(rows converted here and in a forked child)."""

from __future__ import annotations

from datetime import datetime

import pytest

from testigo.reports.models import Report
from testigo.surveys import importing
from testigo.surveys.models import Import
from tests.surveys.conftest import write_xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CSV = ("Title,Date\n"
       "Day first,01/12/2025\n"
       "ISO day,2025-12-01\n"
       "With a time,01/12/2025 20:00\n"
       "Midnight typed,2025-12-01 00:00\n")
MAPPING = {"columns": {"Title": "title", "Date": "occurred_at"}, "date_order": "dmy"}


@pytest.fixture(params=["here", "forked"])
def run_import(request, monkeypatch, admin_user, django_capture_on_commit_callbacks):
    from testigo.core import forked

    if request.param == "forked" and not forked.available():
        pytest.skip("fork is not available on this system")
    monkeypatch.setattr(importing, "PARALLEL_MIN_BYTES", 0 if request.param == "forked" else 1 << 60)

    def run(data: bytes, name: str) -> Import:
        imp = importing.create_import(actor=admin_user, name=name, data=data)
        importing.set_mapping(actor=admin_user, imp=imp, mapping_json=MAPPING)
        with django_capture_on_commit_callbacks(execute=True):
            importing.start(actor=admin_user, imp=imp)
        return Import.objects.get(pk=imp.pk)

    return run


def _known() -> dict[str, bool]:
    return dict(Report.objects.values_list("title", "occurred_time_known"))


def test_csv_dates_without_a_time_are_date_only(run_import):
    imp = run_import(CSV.encode(), "datos.csv")
    assert imp.created_count == 4, imp.errors
    assert _known() == {"Day first": False, "ISO day": False, "With a time": True, "Midnight typed": True}


def test_xlsx_dates_without_a_time_are_date_only(run_import):
    data = write_xlsx({"Hoja": [["Title", "Date"], ["Day", datetime(2025, 12, 1)],
                                ["Evening", datetime(2025, 12, 1, 20, 0)]]})
    imp = run_import(data, "datos.xlsx")
    assert imp.created_count == 2, imp.errors
    assert _known() == {"Day": False, "Evening": True}
