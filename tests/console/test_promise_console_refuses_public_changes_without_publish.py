"""Promise: in the console too, only a role with the publish permission changes what the public
sees (issue #13: a volunteer's edit form turned a restricted published report public; archives
and merges changed the public map). The page shows why, and nothing changes.
"""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Media, Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted_published(published_report, admin_user):
    return services.update_report(report=published_report, actor=admin_user,
                                  visibility=Report.Visibility.RESTRICTED)


def _edit_data(report: Report, **overrides) -> dict:
    data = {"title": report.title, "description": report.description, "place_name": report.place_name,
            "admin1": report.admin1, "admin2": report.admin2, "lat": report.lat, "lon": report.lon,
            "precision_m": "", "occurred_at": "", "visibility": report.visibility,
            "categories": [c.pk for c in report.categories.all()]}
    return data | overrides


REFUSAL = "Only a role with the publish permission can change what the public sees"


def test_promise_volunteer_edit_form_cannot_make_a_report_public(client_as, restricted_published):
    volunteer = client_as(roles.VOLUNTEER)
    page = volunteer.get(f"/console/r/{restricted_published.reference}/")
    assert "needs the publish permission" in page.content.decode()  # the form says so up front
    response = volunteer.post(f"/console/r/{restricted_published.reference}/edit/",
                              _edit_data(restricted_published, visibility="public"))
    assert response.status_code == 403
    assert REFUSAL in response.content.decode()
    assert Report.objects.get(pk=restricted_published.pk).visibility == Report.Visibility.RESTRICTED


def test_promise_publisher_edit_form_can_make_a_report_public(client_as, restricted_published):
    moderator = client_as(roles.MODERATOR)
    response = moderator.post(f"/console/r/{restricted_published.reference}/edit/",
                              _edit_data(restricted_published, visibility="public"))
    assert response.status_code == 302
    assert Report.objects.get(pk=restricted_published.pk).visibility == Report.Visibility.PUBLIC


def test_promise_volunteer_cannot_archive_a_published_report_from_the_console(client_as, published_report):
    volunteer = client_as(roles.VOLUNTEER)
    page = volunteer.get(f"/console/r/{published_report.reference}/").content.decode()
    assert 'value="archived"' not in page and 'value="verified"' not in page  # no archive/unpublish button
    response = volunteer.post(f"/console/r/{published_report.reference}/status/", {"status": "archived"})
    assert response.status_code == 403 and REFUSAL in response.content.decode()
    assert Report.objects.get(pk=published_report.pk).status == Report.Status.PUBLISHED


def test_promise_volunteer_bulk_archive_skips_published_reports(client_as, published_report, report_factory):
    fresh = report_factory(title="Nuevo sin publicar")
    volunteer = client_as(roles.VOLUNTEER)
    response = volunteer.post("/console/bulk/", {"status": "archived",
                                                       "ref": [published_report.reference, fresh.reference]},
                              follow=True)
    assert published_report.reference in response.content.decode()  # named as refused
    assert Report.objects.get(pk=published_report.pk).status == Report.Status.PUBLISHED
    assert Report.objects.get(pk=fresh.pk).status == Report.Status.ARCHIVED


def test_promise_volunteer_cannot_merge_a_public_photo_onto_a_public_report(client_as, published_report,
                                                                             report_factory, admin_user, png_bytes):
    duplicate = report_factory(title="Duplicado restringido", photos=[("foto.png", png_bytes)])
    services.update_report(report=duplicate, actor=admin_user, visibility=Report.Visibility.RESTRICTED)
    services.set_media_public(media=duplicate.media.get(), actor=admin_user, is_public=True)
    volunteer = client_as(roles.VOLUNTEER)
    response = volunteer.post(f"/console/r/{duplicate.reference}/merge/",
                              {"into": published_report.reference})
    assert response.status_code == 403 and REFUSAL in response.content.decode()
    assert Report.objects.get(pk=duplicate.pk).merged_into_id is None
    assert Media.objects.get(is_public=True).report_id == duplicate.pk
