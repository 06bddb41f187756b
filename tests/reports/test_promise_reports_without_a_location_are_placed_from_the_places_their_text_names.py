"""A report that arrives without a location (SMS, web form, import) is read for place names by the
worker once committed: a confident reading places it with the place's size as its precision and
marks it "located from text"; a doubtful one is a suggestion a moderator accepts with one key.
A location a person gave is never overwritten, and the public never sees the suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from testigo.channels import inbound
from testigo.channels.types import base
from testigo.core import roles
from testigo.core.models import AuditEvent
from testigo.geo import gazetteer_services
from testigo.reports import placing, services
from testigo.reports.models import Report

PLACES = Path(__file__).resolve().parents[1] / "geo" / "corpus" / "places_hn.csv"


@pytest.fixture
def places(db, settings):
    settings.GAZETTEER_COUNTRIES = "HN"
    gazetteer_services.import_places(actor=roles.SYSTEM, filename="places_hn.csv", data=PLACES.read_bytes())


@pytest.fixture
def sms_channel(db):
    from testigo.channels import services as channel_services

    return channel_services.add_channel(actor=roles.SYSTEM, type_code="telegram", name="Bot",
                                        config={"bot_token": "1:x", "secret_token": "s"}, rate_per_second=1000.0)


def _sms(channel, text: str, provider_id: str = "m1", address: str = "555001"):
    message = inbound.receive(channel=channel, inbound=base.Inbound(
        provider_id=provider_id, scheme="telegram", address=address, text=text))
    message.refresh_from_db()
    return message


def test_an_sms_naming_a_colonia_is_placed_there_after_commit(places, sms_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _sms(sms_channel, "balacera en la col kennedy cerca del mercado")
    report = Report.objects.get(pk=message.report_id)
    assert report.location_from_text
    assert (round(report.lat, 3), round(report.lon, 3), report.precision_m) == (14.062, -87.179, 1000)
    assert report.public_lat is not None  # the public projection follows, fuzzed as always
    assert report.place_suggestions[0]["name"] == "Colonia Kennedy"
    assert report.place_suggestions[0]["matched"] == "col kennedy"
    assert report.place_name == ""  # the public never reads the place found in a field of its own
    event = AuditEvent.objects.filter(action="report.located_from_text").get()
    assert event.data["place"].startswith("Colonia Kennedy")


def test_a_town_is_placed_with_a_town_sized_precision(places, report_factory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="Inundación", description="inundacion en La Lima, el agua llego al bordo")
    report.refresh_from_db()
    assert report.location_from_text and report.precision_m == 5000


def test_a_location_a_person_gave_is_never_overwritten(places, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="Robo", description="robo en la col kennedy", lat=15.5, lon=-88.0,
                                         precision_m=30)
    report.refresh_from_db()
    assert (report.lat, report.lon, report.precision_m, report.location_from_text) == (15.5, -88.0, 30, False)
    assert report.place_suggestions == []
    # ...nor one set while the worker was reading: it checks again under the row lock.
    unplaced = services.create_report(title="Robo", description="robo en la col kennedy")
    services.update_report(report=unplaced, actor=roles.SYSTEM, lat=13.3, lon=-87.19)
    assert placing.locate_from_text(report_id=unplaced.pk) is None
    unplaced.refresh_from_db()
    assert (unplaced.lat, unplaced.location_from_text) == (13.3, False)


def test_a_doubtful_place_is_a_suggestion_a_moderator_accepts(places, moderator, client,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="Balacera", description="balacera en la colonia los pinos")
    report.refresh_from_db()
    assert report.lat is None and not report.location_from_text
    assert {s["parent"] for s in report.place_suggestions} <= {"Tegucigalpa", "Tocoa"}
    chosen = report.place_suggestions[0]
    client.force_login(moderator)
    page = client.get(reverse("console:report", args=[report.reference])).content.decode()
    assert 'id="place-accept"' in page and "Colonia Los Pinos" in page
    response = client.post(reverse("console:place_accept", args=[report.reference, 0]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.lat, report.lon) == (chosen["lat"], chosen["lon"])
    assert report.location_from_text and report.place_suggestions == [] and report.precision_m == 1000
    assert AuditEvent.objects.filter(action="report.place_suggestion_accepted").exists()


def test_moving_a_located_report_by_hand_clears_located_from_text(places, moderator,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="x", description="asalto en bo guamilito sps")
    report.refresh_from_db()
    assert report.location_from_text
    services.update_report(report=report, actor=moderator, title="Asalto")  # other edits keep the mark
    report.refresh_from_db()
    assert report.location_from_text
    services.update_report(report=report, actor=moderator, lat=15.51, lon=-88.03)
    report.refresh_from_db()
    assert not report.location_from_text


def test_a_message_without_a_place_is_left_alone(places, sms_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _sms(sms_channel, "hay cortes de luz desde ayer, gracias")
    report = Report.objects.get(pk=message.report_id)
    assert (report.lat, report.place_suggestions, report.location_from_text) == (None, [], False)


def test_the_channels_region_settles_a_shared_name(places, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="x", description="balacera en la colonia los pinos", place_region="Colón")
    report.refresh_from_db()
    assert report.location_from_text and report.place_suggestions[0]["parent"] == "Tocoa"


def test_tip_line_reports_are_not_placed_automatically(places, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="x", description="extorsion en la col kennedy", source="tipline")
    report.refresh_from_db()
    assert report.lat is None and report.place_suggestions == []


def test_the_public_sees_no_suggestion_and_no_place_it_was_not_given(places, admin_user, client,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.create_report(title="Robo", description="robo en la colonia los pinos y en la kennedy")
    services.publish(report=services.verify(report=Report.objects.get(pk=report.pk), actor=admin_user),
                     actor=admin_user)
    response = client.get(f"/api/v1/reports/{report.reference}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "place_suggestions" not in body and "confidence" not in body and "Tocoa" not in body


def test_a_later_message_of_the_conversation_that_names_the_place_places_the_report(
        places, sms_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _sms(sms_channel, "me asaltaron hace un rato, se llevaron el celular", provider_id="a")
    assert Report.objects.get(pk=first.report_id).lat is None
    with django_capture_on_commit_callbacks(execute=True):
        second = _sms(sms_channel, "fue en la col kennedy por el instituto", provider_id="b")
    assert second.report_id == first.report_id
    report = Report.objects.get(pk=first.report_id)
    assert report.location_from_text and report.place_suggestions[0]["name"] == "Colonia Kennedy"
