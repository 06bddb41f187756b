"""Promise: a report shows one date, in one format per language, in the deployment's time zone,
wherever it appears: the map list (JSON read by JavaScript), the list without JavaScript, the
report page, the console. A report whose time of day is unknown shows its date alone, never
"00:00" (issue #14).

The report happened at 20:00 on 1 December in Tegucigalpa: already 2 December in UTC.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

TEGUCIGALPA = ZoneInfo("America/Tegucigalpa")
EVENING = datetime(2025, 12, 1, 20, 0, tzinfo=TEGUCIGALPA)  # 2025-12-02 02:00 UTC
SHORT = {"es": "1 dic 2025, 20:00", "en": "1 Dec 2025, 20:00"}
LONG = {"es": "1 de diciembre de 2025, 20:00", "en": "1 December 2025, 20:00"}
SHORT_DAY = {"es": "1 dic 2025", "en": "1 Dec 2025"}
LONG_DAY = {"es": "1 de diciembre de 2025", "en": "1 December 2025"}


@pytest.fixture(autouse=True)
def _honduras(settings):
    settings.TIME_ZONE = "America/Tegucigalpa"


def _published(report_factory, admin_user, occurred_at) -> Report:
    report = report_factory(occurred_at=occurred_at)
    services.verify(report=report, actor=admin_user)
    return services.publish(report=report, actor=admin_user)


def _in(client, language: str):
    client.cookies["django_language"] = language
    return client


def _public_places(client, report, language: str) -> dict[str, str]:
    """What each public place says of the report, as text."""
    _in(client, language)
    api = {r["reference"]: r for r in client.get("/api/v1/reports", HTTP_ACCEPT_LANGUAGE=language).json()["items"]}
    clusters = client.get("/api/v1/map/clusters?bbox=-90,10,-80,20&zoom=18", HTTP_ACCEPT_LANGUAGE=language).json()
    point = next(p for p in clusters["points"] if p["reference"] == report.reference)
    return {"map list (JSON)": api[report.reference]["when"], "map popup (JSON)": point["when"],
            "list without JavaScript": client.get("/reports/").content.decode(),
            "map page's list without JavaScript": client.get("/").content.decode(),
            "report page": client.get(f"/r/{report.reference}/").content.decode()}


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_public_place_says_the_local_day_in_the_same_format(client, report_factory, admin_user, language):
    report = _published(report_factory, admin_user, EVENING)
    places = _public_places(client, report, language)
    assert places.pop("map list (JSON)") == SHORT[language]
    assert places.pop("map popup (JSON)") == SHORT[language]
    assert LONG[language] in places.pop("report page")
    for place, html in places.items():
        assert SHORT[language] in html, place
        assert "2025-12-02" not in html and "2 dic" not in html and "2 Dec" not in html, place


def test_the_console_says_the_same_as_the_public_pages(client_as_staff, report_factory):
    report = report_factory(occurred_at=EVENING)
    for language in ("es", "en"):
        _in(client_as_staff, language)
        page = client_as_staff.get(f"/console/r/{report.reference}/").content.decode()
        assert LONG[language] in page
        items = client_as_staff.get("/api/v1/reports", HTTP_ACCEPT_LANGUAGE=language).json()["items"]
        assert [r["when"] for r in items if r["reference"] == report.reference] == [SHORT[language]]


def test_a_report_without_a_time_shows_its_date_alone_never_midnight(client, client_as_staff, admin_user,
                                                                      category):
    response = client.post("/api/v1/reports", content_type="application/json", data={
        "title": "Balacera", "description": "Se escucharon disparos en la colonia.", "category": "robo",
        "occurred_date": "2025-12-01", "lat": 14.1, "lon": -87.2})
    assert response.status_code == 201, response.content
    report = Report.objects.get(reference=response.json()["reference"])
    assert report.occurred_time_known is False
    assert report.occurred_at.astimezone(TEGUCIGALPA).date() == date(2025, 12, 1)
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    for language in ("es", "en"):
        places = _public_places(client, report, language)
        assert places.pop("map list (JSON)") == SHORT_DAY[language]
        assert places.pop("map popup (JSON)") == SHORT_DAY[language]
        assert LONG_DAY[language] in places["report page"]
        for place, html in places.items():
            assert SHORT_DAY[language] in html or LONG_DAY[language] in html, place
            assert "00:00" not in html, place
        _in(client_as_staff, language)
        console = client_as_staff.get(f"/console/r/{report.reference}/").content.decode()
        assert LONG_DAY[language] in console and f"{LONG_DAY[language]}, 00:00" not in console


def test_a_tip_or_survey_date_without_a_time_is_date_only_and_a_typed_time_is_kept(report_factory):
    day_only = report_factory(occurred_at=date(2025, 12, 1))
    assert day_only.occurred_time_known is False
    midnight_typed = report_factory(occurred_at=datetime(2025, 12, 1, 0, 0, tzinfo=TEGUCIGALPA))
    assert midnight_typed.occurred_time_known is True
    services.update_report(report=day_only, actor=roles.SYSTEM, occurred_at=EVENING)
    day_only.refresh_from_db()
    assert day_only.occurred_time_known is True and day_only.occurred_at == EVENING


def test_a_date_only_report_moved_to_another_day_in_the_console_stays_date_only(client_as_staff, report_factory,
                                                                               category):
    report = report_factory(occurred_at=date(2025, 12, 1))
    url = f"/console/r/{report.reference}/edit/"
    # The console's date-and-time input always sends a time: 00:00 on such a report means none.
    data = {"title": report.title, "description": report.description, "place_name": report.place_name,
            "lat": "14.0723", "lon": "-87.1921", "visibility": "public", "categories": [category.pk],
            "occurred_at": "2025-11-30T00:00"}
    assert client_as_staff.post(url, data).status_code == 302
    report.refresh_from_db()
    assert report.occurred_time_known is False
    assert report.occurred_at.astimezone(TEGUCIGALPA).date() == date(2025, 11, 30)
    assert client_as_staff.post(url, {**data, "occurred_at": "2025-11-30T20:15"}).status_code == 302
    report.refresh_from_db()
    assert report.occurred_time_known is True and report.occurred_at.astimezone(TEGUCIGALPA).hour == 20


def test_existing_reports_stored_at_local_midnight_become_date_only(report_factory):
    migration = importlib.import_module("testigo.reports.migrations.0005_report_occurred_time_known")
    old_form = report_factory(occurred_at=datetime(2025, 12, 1, 0, 0, tzinfo=TEGUCIGALPA))
    evening = report_factory(occurred_at=EVENING)
    utc_midnight = report_factory(occurred_at=datetime(2025, 12, 2, 0, 0, tzinfo=ZoneInfo("UTC")))
    migration.mark_date_only(django_apps, None)
    known = dict(Report.objects.values_list("pk", "occurred_time_known"))
    assert known == {old_form.pk: False, evening.pk: True, utc_midnight.pk: True}


@pytest.fixture
def client_as_staff(make_user):
    from django.test import Client

    staff = Client()
    staff.force_login(make_user(roles.MODERATOR))
    return staff
