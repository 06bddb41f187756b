"""Every located report carries its department (admin1) and municipality (admin2), filled from its
point when nobody typed them, or from the place its text names; lists, the map and the API filter
by them, and the public map counts published reports per area. What the public sees is the area of
the public (fuzzed) point of a published public report: a confidential report's area never shows."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from testigo.geo import areas
from testigo.geo.models import GazetteerPlace
from testigo.reports import placing, services
from testigo.reports.models import Report

CENTRAL = (14.0818, -87.2068)  # Tegucigalpa
NORTH = (15.5042, -88.0250)  # San Pedro Sula


@pytest.fixture
def municipalities(db, settings):
    settings.GAZETTEER_COUNTRIES = "HN"
    GazetteerPlace.objects.create(name="Distrito Central", kind="municipality", lat=CENTRAL[0], lon=CENTRAL[1],
                                  admin1="Francisco Morazan", country="HN", source="test")
    GazetteerPlace.objects.create(name="San Pedro Sula", kind="municipality", lat=NORTH[0], lon=NORTH[1],
                                  admin1="Cortes", country="HN", source="test")


def _published(report, admin_user):
    services.verify(report=report, actor=admin_user)
    return services.publish(report=report, actor=admin_user)


def test_a_point_is_placed_in_its_department_and_municipality(municipalities):
    assert areas.area_at(14.07, -87.19) == ("Francisco Morazan", "Distrito Central")
    assert areas.area_at(*NORTH) == ("Cortes", "San Pedro Sula")
    assert areas.area_at(0.0, 0.0) == ("", "")  # far from every town: no area, not the nearest one
    assert areas.area_at(None, None) == ("", "")


def test_a_new_or_moved_report_gets_the_areas_of_its_point(municipalities, report_factory, admin_user):
    report = report_factory(lat=14.07, lon=-87.19)
    assert (report.admin1, report.admin2) == ("Francisco Morazan", "Distrito Central")
    typed = report_factory(lat=14.07, lon=-87.19, admin1="Cortes", admin2="Choloma")
    assert (typed.admin1, typed.admin2) == ("Cortes", "Choloma")  # what a person typed stays
    moved = services.update_report(report=report, actor=admin_user, lat=NORTH[0], lon=NORTH[1])
    assert (moved.admin1, moved.admin2) == ("Cortes", "San Pedro Sula")
    assert Report.objects.filter(admin2="San Pedro Sula").count() == 1
    unplaced = report_factory(lat=None, lon=None)
    assert (unplaced.admin1, unplaced.admin2) == ("", "")


def test_a_report_placed_from_its_text_gets_the_area_the_place_names(municipalities, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="Inundación", description="inundación en San Pedro Sula, el agua subió")
    report.refresh_from_db()
    assert report.location_from_text
    assert (report.admin1, report.admin2) == ("Cortes", "San Pedro Sula")
    assert placing._areas_named({"kind": "department", "name": "Cortes", "admin1": ""}) == {"admin1": "Cortes",
                                                                                             "admin2": ""}


def test_public_areas_are_the_public_points_and_filters_use_them(municipalities, report_factory, admin_user, client):
    north = _published(report_factory(lat=NORTH[0], lon=NORTH[1]), admin_user)
    central = _published(report_factory(lat=14.07, lon=-87.19), admin_user)
    north.refresh_from_db()
    assert (north.public_admin1, north.public_admin2) == areas.area_at(north.public_lat, north.public_lon)
    assert north.public_admin1 == "Cortes"
    listed = client.get("/api/v1/reports?admin1=Cortes").json()["items"]
    assert [r["reference"] for r in listed] == [north.reference]
    assert listed[0]["admin1"] == "Cortes" and listed[0]["admin2"] == "San Pedro Sula"
    listed = client.get("/api/v1/reports?admin2=Distrito Central").json()["items"]
    assert [r["reference"] for r in listed] == [central.reference]
    clusters = client.get("/api/v1/map/clusters?bbox=-90,12,-83,17&zoom=3&admin1=Cortes").json()
    assert clusters["total"] == 1
    too_long = client.get("/api/v1/reports?admin1=" + "x" * 101)
    assert too_long.status_code == 400 and too_long.json()["code"] == "invalid_admin1"


def test_the_choropleth_counts_published_public_reports_per_area(municipalities, report_factory, admin_user, client):
    for _ in range(2):
        _published(report_factory(lat=NORTH[0], lon=NORTH[1]), admin_user)
    _published(report_factory(lat=14.07, lon=-87.19), admin_user)
    report_factory(lat=14.07, lon=-87.19)  # not published: never counted
    data = client.get("/api/v1/map/areas?level=admin1").json()
    assert data["level"] == "admin1" and data["total"] == 3
    assert [(i["name"], i["count"]) for i in data["items"]] == [("Cortes", 2), ("Francisco Morazan", 1)]
    assert all(i["lat"] is not None for i in data["items"])  # drawn at the department's centre
    data = client.get("/api/v1/map/areas?level=admin2&admin1=Cortes").json()
    assert [(i["name"], i["admin1"], i["count"]) for i in data["items"]] == [("San Pedro Sula", "Cortes", 2)]
    bad = client.get("/api/v1/map/areas?level=street")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_level"


def test_a_confidential_report_never_reveals_its_area_publicly(municipalities, report_factory, admin_user, client):
    secret = report_factory(lat=NORTH[0], lon=NORTH[1])
    services.update_report(report=secret, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    secret.refresh_from_db()
    Report.objects.filter(pk=secret.pk).update(status=Report.Status.PUBLISHED)  # even published by mistake
    assert secret.admin1 == "Cortes"  # staff still see and filter it
    assert client.get("/api/v1/reports?admin1=Cortes").json()["items"] == []
    assert client.get("/api/v1/map/areas?level=admin2").json() == {"level": "admin2", "total": 0, "items": []}
    assert client.get("/api/v1/map/clusters?bbox=-90,12,-83,17&zoom=3&admin1=Cortes").json()["total"] == 0
    page = client.get("/reports/?admin1=Cortes").content.decode()
    assert secret.reference not in page
    staff = services_staff_filter(admin_user, "Cortes")
    assert staff == [secret.pk]


def services_staff_filter(user, admin1: str) -> list[int]:
    from testigo.reports import selectors

    return list(selectors.staff_reports(user, selectors.ReportFilters(admin1=admin1)).values_list("id", flat=True))


def test_the_backfill_assigns_areas_to_reports_stored_before(municipalities, report_factory, admin_user):
    report = _published(report_factory(lat=NORTH[0], lon=NORTH[1]), admin_user)
    Report.objects.filter(pk=report.pk).update(admin1="", admin2="", public_admin1="", public_admin2="")
    call_command("places", "assign-areas")
    report.refresh_from_db()
    assert (report.admin1, report.admin2, report.public_admin1) == ("Cortes", "San Pedro Sula", "Cortes")
    from testigo.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="reports.areas_assigned").get().data["areas"] == 1


def test_imported_rows_get_the_areas_of_their_point_too(municipalities):
    from testigo.reports import bulk

    projection = bulk.projection_settings()
    row = bulk.report_row({"title": "t", "description": "d", "lat": NORTH[0], "lon": NORTH[1]}, projection=projection)
    assert (row["admin1"], row["admin2"], row["public_admin1"]) == ("Cortes", "San Pedro Sula", "Cortes")
    typed = bulk.report_row({"title": "t", "description": "d", "lat": NORTH[0], "lon": NORTH[1], "admin1": "Yoro"},
                            projection=projection)
    assert (typed["admin1"], typed["admin2"]) == ("Yoro", "")
