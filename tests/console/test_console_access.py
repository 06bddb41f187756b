"""Who may open which console page, and what each role sees."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from testigo.core import roles
from testigo.reports import services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db

PAGES = ["/console/", "/console/password/", "/console/categories/", "/console/categories/new/",
         "/console/users/", "/console/audit/"]
# Which roles may open each settings page (everyone with a role may open the inbox).
GATED = {
    "/console/categories/": {roles.ADMIN, roles.COORDINATOR},
    "/console/categories/new/": {roles.ADMIN, roles.COORDINATOR},
    "/console/users/": {roles.ADMIN},
    "/console/audit/": {roles.ADMIN, roles.COORDINATOR},
}


@pytest.mark.parametrize("url", PAGES + ["/console/r/T-AAAA-AAAA/", "/console/media/1/"])
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/?next=")


@pytest.mark.parametrize("url", PAGES)
def test_account_without_role_cannot_enter(client, url):
    user = get_user_model().objects.create_user(username="citizen", password="x")
    client.force_login(user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize("url", sorted(GATED))
def test_settings_pages_follow_the_role_matrix(client_as, role, url):
    expected = 200 if role in GATED[url] else 403
    assert client_as(role).get(url).status_code == expected


@pytest.mark.parametrize("role", roles.ROLES)
def test_navigation_shows_only_allowed_pages(client_as, role):
    html = client_as(role).get("/console/").content.decode()
    assert ('href="/console/users/"' in html) is (role == roles.ADMIN)
    assert ('href="/console/audit/"' in html) is (role in GATED["/console/audit/"])
    assert ('href="/console/categories/"' in html) is (role in GATED["/console/categories/"])


def test_analyst_cannot_edit_note_change_status_merge_or_redact(client_as, report_factory):
    analyst = client_as(roles.ANALYST)
    report, other = report_factory(), report_factory(title="Otro")
    base = f"/console/r/{report.reference}/"
    posts = {
        "edit/": {"title": "Cambiado", "description": "x", "visibility": "public"},
        "note/": {"text": "hola"},
        "status/": {"status": "verified"},
        "merge/": {"into": other.reference},
        "redact/": {"phrases": "Dos"},
    }
    for action, data in posts.items():
        assert analyst.post(base + action, data).status_code == 403, action
    report.refresh_from_db()
    assert report.title == "Asalto en la parada" and report.status == Report.Status.NEW
    assert report.notes.count() == 0 and report.merged_into is None and report.redactions == []


def test_analyst_sees_no_edit_forms(client_as, report_factory):
    report = report_factory()
    html = client_as(roles.ANALYST).get(f"/console/r/{report.reference}/").content.decode()
    assert 'id="edit-form"' not in html and 'name="status"' not in html and 'id="note-form"' not in html


def test_volunteer_cannot_publish_or_redact(client_as, report_factory, admin_user):
    volunteer = client_as(roles.VOLUNTEER)
    report = services.verify(report=report_factory(), actor=admin_user)
    assert volunteer.post(f"/console/r/{report.reference}/status/", {"status": "published"}).status_code == 403
    report.refresh_from_db()
    assert report.status == Report.Status.VERIFIED
    assert volunteer.post(f"/console/r/{report.reference}/redact/", {"phrases": "x"}).status_code == 403
    html = volunteer.get(f"/console/r/{report.reference}/").content.decode()
    assert 'value="published"' not in html and 'value="in_review"' in html


def test_volunteer_never_sees_confidential_reports_or_contacts(client_as, report_factory, admin_user):
    secret = report_factory(title="Informe confidencial")
    services.update_report(report=secret, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    normal = report_factory(title="Informe normal", reporter_contact="+504 5555-1234")
    volunteer = client_as(roles.VOLUNTEER)
    inbox = volunteer.get("/console/?q=Informe").content.decode()
    assert "Informe normal" in inbox and "Informe confidencial" not in inbox
    assert volunteer.get(f"/console/r/{secret.reference}/").status_code == 404
    page = volunteer.get(f"/console/r/{normal.reference}/").content.decode()
    assert "5555-1234" not in page and "María" not in page
    assert 'value="confidential"' not in page  # cannot make a report confidential either


def test_moderator_sees_contact_and_can_choose_confidential(mod_client, report_factory):
    report = report_factory(reporter_contact="+504 5555-1234")
    page = mod_client.get(f"/console/r/{report.reference}/").content.decode()
    assert "5555-1234" in page and 'value="confidential"' in page


def test_staff_media_served_only_to_those_who_see_the_report(client_as, report_factory, admin_user, png_bytes):
    report = report_factory(photos=[("a.png", png_bytes)])
    media = report.media.get()
    moderator = client_as(roles.MODERATOR)
    response = moderator.get(f"/console/media/{media.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == media.content_type
    services.update_report(report=report, actor=admin_user, visibility=Report.Visibility.CONFIDENTIAL)
    assert client_as(roles.VOLUNTEER).get(f"/console/media/{media.pk}/").status_code == 404
    citizen = Client()
    citizen.force_login(get_user_model().objects.create_user(username="c", password="x"))
    assert citizen.get(f"/console/media/{media.pk}/").status_code == 403
