"""Promise (issue #18): when a file's dates cannot tell day from month, the mapping page asks — in
Spanish and in English — showing example rows read both ways, and will not save or run the import
until staff choose; when the dates settle it, the page says which order and why; a file mixing
both orders is refused, naming the two rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from testigo.reports.models import Report
from testigo.surveys.models import Import
from tests.conftest import speak_english

pytestmark = pytest.mark.django_db

UNDECIDABLE = "Título,Fecha\nRobo,03/04/2010\nAsalto,01/02/2010 10:30\nHurto,05/05/2010\nOtro,07/08/2010\n"
HAITI = Path(__file__).parent / "date_samples" / "haiti_2010_first_60.csv"
FORM = {"col_0": "title", "col_1": "occurred_at", "survey": "", "date_format": "", "unknown_categories": "reject"}


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def upload(client, data: bytes, name: str = "papel.csv") -> Import:
    response = client.post("/console/surveys/imports/", {"file": SimpleUploadedFile(name, data)})
    imp = Import.objects.latest("pk")
    assert response["Location"] == f"/console/surveys/imports/{imp.pk}/"
    return imp


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_page_asks_in_english_with_examples_read_both_ways(staff):
    speak_english(staff)
    imp = upload(staff, UNDECIDABLE.encode())
    page = text_of(staff.get(f"/console/surveys/imports/{imp.pk}/"))
    assert "How are the dates written?" in page
    assert "day/month/year" in page and "month/day/year" in page
    assert "2 03/04/2010 3 April 2010 4 March 2010" in page  # row, value, day first, month first
    assert "3 01/02/2010 10:30 1 February 2010 2 January 2010" in page
    assert "5 07/08/2010 7 August 2010 8 July 2010" in page
    assert "05/05/2010" not in page.split("How are the dates written?")[1].split("Unknown category")[0]


def test_the_page_asks_in_spanish(staff):
    imp = upload(staff, UNDECIDABLE.encode())
    page = text_of(staff.get(f"/console/surveys/imports/{imp.pk}/"))
    assert "¿Cómo están escritas las fechas?" in page
    assert "día/mes/año" in page and "mes/día/año" in page
    assert "2 03/04/2010 3 de abril de 2010 4 de marzo de 2010" in page


def test_without_a_choice_nothing_is_saved_or_run(staff, django_capture_on_commit_callbacks):
    speak_english(staff)
    imp = upload(staff, UNDECIDABLE.encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/console/surveys/imports/{imp.pk}/", {**FORM, "action": "run"})
    assert response.status_code == 200 and "Choose how the dates of this file are written." in text_of(response)
    imp.refresh_from_db()
    assert imp.status == Import.Status.DRAFT and "date_order" not in imp.mapping and Report.objects.count() == 0


@pytest.mark.parametrize("order, day, month", [("dmy", 3, 4), ("mdy", 4, 3)])
def test_the_choice_is_stored_and_read_for_every_row(staff, django_capture_on_commit_callbacks, order, day, month):
    from django.utils import timezone

    imp = upload(staff, UNDECIDABLE.encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/console/surveys/imports/{imp.pk}/", {**FORM, "date_order": order, "action": "run"})
    assert response.status_code == 302
    imp.refresh_from_db()
    assert imp.mapping["date_order"] == order and imp.created_count == 4, imp.errors
    robo = timezone.localtime(Report.objects.get(title="Robo").occurred_at)
    assert (robo.day, robo.month) == (day, month)


def test_a_file_the_dates_settle_is_not_asked_and_says_why(staff):
    speak_english(staff)
    imp = upload(staff, HAITI.read_bytes(), "Haiti.csv")
    page = text_of(staff.get(f"/console/surveys/imports/{imp.pk}/"))
    assert "How are the dates written?" not in page
    assert "Dates are read as day/month/year: row 3 has “28/06/2010 23:06”, which can only be read that way." in page
    form = {f"col_{i}": target for i, target in enumerate(
        ["", "title", "occurred_at", "place_name", "description", "category", "lat", "lon", "", ""])}
    response = staff.post(f"/console/surveys/imports/{imp.pk}/", {**form, "survey": "", "date_format": "",
                                                                   "unknown_categories": "keep", "action": "save"})
    assert response.status_code == 302
    imp.refresh_from_db()
    assert imp.mapping["date_order"] == "dmy"


def test_a_file_mixing_both_orders_is_refused_naming_both_rows(staff):
    speak_english(staff)
    imp = upload(staff, "Título,Fecha\nUno,03/04/2010\nDos,25/04/2010\nTres,04/26/2010\n".encode())
    page = text_of(staff.get(f"/console/surveys/imports/{imp.pk}/"))
    assert "row 3 has “25/04/2010” (day first) and row 4 has “04/26/2010” (month first)" in page
    response = staff.post(f"/console/surveys/imports/{imp.pk}/", {**FORM, "date_order": "dmy", "action": "save"})
    assert response.status_code == 200
    imp.refresh_from_db()
    assert "date_order" not in imp.mapping
