"""Promise: every number a person types is understood the Spanish way and the English way
("14,07" and "14.07"; "1.000" metres is a thousand), and a page shows its numbers so that
sending it back unchanged saves the same values (issue #14). The pages here speak Spanish, the
deployment's language.

Fields: the public report form (latitude, longitude, a survey's whole and decimal answers), alert
sign-up (latitude, longitude, km), the console's report editor (latitude, longitude, precision),
the alerts console (zone centre and radius; rule counts, metres and hours) and the inbox's
survey answer filters.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from testigo.alerts.models import AlertsState, Rule, Subscription, Zone
from testigo.core import roles
from testigo.core.numbers import parse_decimal, parse_whole
from testigo.reports.models import Report
from testigo.surveys import services as survey_services

pytestmark = pytest.mark.django_db

SURVEY = [{"name": "personas", "type": "integer", "label": {"es": "¿Cuántas personas?", "en": "How many?"}},
          {"name": "monto", "type": "decimal", "label": {"es": "Monto", "en": "Amount"}}]


@pytest.mark.parametrize("typed, value", [("14,07", 14.07), ("14.07", 14.07), (" -87,1921 ", -87.1921),
                                          ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("\u22121,5", -1.5)])
def test_decimals_with_a_comma_or_a_point(typed, value):
    assert parse_decimal(typed) == value


@pytest.mark.parametrize("typed, value", [("1000", 1000), ("1.000", 1000), ("1,000", 1000), ("24,0", 24)])
def test_whole_numbers_with_a_thousands_separator_or_a_zero_fraction(typed, value):
    assert parse_whole(typed) == value


@pytest.mark.parametrize("typed", ["1,2,3", "1e5", "nan", "inf", "catorce"])
def test_anything_else_is_refused_not_guessed(typed):
    with pytest.raises(ValueError):
        parse_decimal(typed)


def _report_form(category, **extra) -> dict:
    return {"title": "Asalto en la parada", "description": "Dos hombres armados asaltaron el bus de la ruta 5.",
            "category": str(category.pk), "occurred_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "occurred_time": "18:30", "place_name": "Colonia Kennedy", "reporter_name": "", "reporter_contact": "",
            **extra}


def test_public_report_form_reads_a_decimal_comma_in_the_location_and_survey_answers(client, category, admin_user):
    survey_services.create_survey(actor=admin_user, name_es="Robos", fields=SURVEY, form_id="robos",
                                  category=category)
    response = client.post("/report/", _report_form(category, lat="14,0723", lon="-87,1921",
                                                    survey__personas="1.000", survey__monto="2,5"))
    assert response.status_code == 302, response.content.decode()[:3000]
    report = Report.objects.get()
    assert (report.lat, report.lon) == (14.0723, -87.1921)
    assert report.custom_values["personas"] == 1000 and report.custom_values["monto"] == 2.5


def test_public_report_form_inputs_take_a_comma(client, category):
    html = client.get("/report/").content.decode()
    for name in ("lat", "lon"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)[0]
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag  # type=number refuses "14,07"


def test_alert_signup_reads_a_decimal_comma(client, settings, django_capture_on_commit_callbacks):
    AlertsState.objects.get_or_create(pk=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/alerts/", {"scheme": "mailto", "address": "ana@example.org", "lat": "14,07",
                                            "lon": "-87,19", "radius_km": "1,5", "language": "es"})
    assert response.status_code == 302, response.content.decode()[:3000]
    sub = Subscription.objects.get()
    assert (sub.lat, sub.lon, sub.radius_m) == (14.07, -87.19, 1500)


def _staff(make_user, role) -> Client:
    client = Client()
    client.force_login(make_user(role))
    return client


def _edit_fields(html: str) -> dict:
    form = html[html.index('action="edit/"') if 'action="edit/"' in html else 0:]
    values = {}
    for name in ("title", "description", "place_name", "admin1", "admin2", "lat", "lon", "precision_m",
                 "visibility", "occurred_at"):
        tag = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', form)
        assert tag, name
        value = re.search(r'value="([^"]*)"', tag[0])
        values[name] = value[1] if value else ""
    values["description"] = re.search(r'name="description"[^>]*>([^<]*)</textarea>', form)[1].strip()
    values["visibility"] = re.search(r'<option value="([^"]*)" selected', form)[1]
    return values


def test_console_report_editor_reads_a_comma_and_saves_unchanged_what_it_shows(make_user, report_factory):
    report = report_factory(precision_m=1500)
    moderator = _staff(make_user, roles.MODERATOR)
    url = f"/console/r/{report.reference}/"
    shown = _edit_fields(moderator.get(url).content.decode())
    assert shown["lat"] == "14,0723" and shown["lon"] == "-87,1921"  # the page's language
    response = moderator.post(url + "edit/", shown)
    assert response.status_code == 302, response.content.decode()[:3000]
    report.refresh_from_db()
    assert (report.lat, report.lon, report.precision_m) == (14.0723, -87.1921, 1500)
    response = moderator.post(url + "edit/", {**shown, "lat": "14,1", "lon": "-87.2", "precision_m": "2.000"})
    assert response.status_code == 302, response.content.decode()[:3000]
    report.refresh_from_db()
    assert (report.lat, report.lon, report.precision_m) == (14.1, -87.2, 2000)


def test_alerts_console_reads_a_comma_in_zones_and_thousands_in_rules(make_user, category):
    admin = _staff(make_user, roles.ADMIN)
    response = admin.post("/console/alerts/zones/", {"name_es": "Parque", "lat": "14,1", "lon": "-87,2",
                                                     "radius_m": "1.000"})
    assert response.status_code == 302, response.content.decode()[:3000]
    zone = Zone.objects.get()
    assert (zone.centre_lat, zone.centre_lon, zone.radius_m) == (14.1, -87.2, 1000)
    response = admin.post("/console/alerts/rules/", {"name": "R", "category": category.pk, "min_reports": "3",
                                                     "radius_m": "1.500", "hours": "24,0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = Rule.objects.get()
    assert (rule.min_reports, rule.radius_m, rule.hours) == (3, 1500, 24)


def test_inbox_survey_answer_filters_read_a_comma(make_user, report_factory, category, admin_user):
    survey = survey_services.create_survey(actor=admin_user, name_es="Robos", fields=SURVEY, form_id="robos",
                                           category=category)
    small = report_factory(title="Pequeño", custom_values={"_survey": survey.pk, "monto": 2.25, "personas": 900})
    big = report_factory(title="Grande", custom_values={"_survey": survey.pk, "monto": 2.75, "personas": 1100})
    moderator = _staff(make_user, roles.MODERATOR)
    for query in ("a-monto-min=2,5", "a-personas-min=1.000"):
        html = moderator.get(f"/console/?category={category.pk}&{query}").content.decode()
        assert big.reference in html and small.reference not in html, query
