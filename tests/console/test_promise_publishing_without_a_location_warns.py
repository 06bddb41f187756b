"""A report published with no location is listed publicly but never appears on the map. Publishing
is not refused, but whoever publishes it is told so, and the console keeps saying it (on the
report page and in the inbox) for as long as it stays published without a location."""

from __future__ import annotations

import pytest
from django.test import Client

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

WARNING_ES = "Publicado, pero no tiene ubicación: no aparecerá en el mapa."


@pytest.fixture
def spanish_moderator(make_user) -> Client:
    client = Client()  # no language cookie: the deployment's Spanish
    client.force_login(make_user(roles.MODERATOR, username="ana"))
    return client


def _verified(report_factory, admin_user, **kwargs) -> Report:
    report = report_factory(**kwargs)
    return services.verify(report=report, actor=admin_user)


def test_promise_publishing_without_a_location_warns_and_the_report_page_keeps_saying_it(
        spanish_moderator, report_factory, admin_user):
    report = _verified(report_factory, admin_user, lat=None, lon=None)
    url = f"/console/r/{report.reference}/"
    response = spanish_moderator.post(url + "status/", {"status": "published"}, follow=True)
    assert Report.objects.get(pk=report.pk).status == Report.Status.PUBLISHED  # not blocked
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert any(tag == "warning" and text.startswith(WARNING_ES) for tag, text in shown), shown
    later = spanish_moderator.get(url).content.decode()
    assert 'id="no-location"' in later and "no aparece en el mapa" in later
    inbox = spanish_moderator.get("/console/").content.decode()
    assert "no está en el mapa" in inbox


def test_promise_bulk_publishing_names_the_reports_with_no_location(spanish_moderator, report_factory, admin_user):
    lost = _verified(report_factory, admin_user, lat=None, lon=None)
    located = _verified(report_factory, admin_user)
    response = spanish_moderator.post("/console/bulk/", {"status": "published", "ref": [lost.reference, located.reference]},
                                      follow=True)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and lost.reference in warnings[0] and located.reference not in warnings[0]


def test_a_located_report_publishes_without_warning_and_the_notice_goes_once_located(
        spanish_moderator, report_factory, admin_user):
    located = _verified(report_factory, admin_user)
    response = spanish_moderator.post(f"/console/r/{located.reference}/status/", {"status": "published"}, follow=True)
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert 'id="no-location"' not in response.content.decode()
    lost = services.publish(report=_verified(report_factory, admin_user, lat=None, lon=None), actor=admin_user)
    services.update_report(report=lost, actor=admin_user, lat=14.1, lon=-87.2)
    assert 'id="no-location"' not in spanish_moderator.get(f"/console/r/{lost.reference}/").content.decode()
