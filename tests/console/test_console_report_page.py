"""The report page: edit, notes, workflow, merge, redaction, photos and the report's history."""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.core.models import AuditEvent
from testigo.reports import selectors, services
from testigo.reports.models import Report

pytestmark = pytest.mark.django_db


def edit_data(report, **overrides):
    data = {"title": report.title, "description": report.description, "place_name": report.place_name,
            "admin1": report.admin1, "admin2": report.admin2,
            "lat": report.lat, "lon": report.lon, "visibility": report.visibility,
            "categories": [c.id for c in report.categories.all()]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_edit_note_verify_publish_flow(mod_client, report_factory):
    report = report_factory()
    url = f"/console/r/{report.reference}/"
    response = mod_client.post(url + "edit/", edit_data(report, title="Asalto armado en la parada",
                                                       place_name="Colonia Kennedy"))
    assert response.status_code == 302 and response["Location"] == url
    response = mod_client.post(url + "note/", {"text": "Confirmado con la policía."}, follow=True)
    assert "Confirmado con la policía." in response.content.decode()
    mod_client.post(url + "status/", {"status": "verified"})
    response = mod_client.post(url + "status/", {"status": "published"}, follow=True)
    assert "The report is now “Published”." in messages_of(response)
    report.refresh_from_db()
    assert report.title == "Asalto armado en la parada" and report.status == Report.Status.PUBLISHED
    assert selectors.public_report(report.reference)["public_title"] == "Asalto armado en la parada"
    assert f'href="/r/{report.reference}/"' in response.content.decode()  # "view public page"
    actions = list(AuditEvent.objects.filter(object_id=str(report.pk)).order_by("seq").values_list("action", flat=True))
    assert actions == ["report.created", "report.edited", "report.note_added", "report.verified",
                       "report.published"]


def test_status_buttons_are_exactly_the_allowed_transitions(mod_client, report_factory):
    report = report_factory()
    response = mod_client.get(f"/console/r/{report.reference}/")
    offered = {value for value, _label in response.context["transitions"]}
    assert offered == set(services.TRANSITIONS[Report.Status.NEW])
    assert 'value="published"' not in response.content.decode()  # new reports cannot be published yet


def test_invalid_transition_gives_a_message_not_a_500(mod_client, report_factory):
    report = report_factory()
    response = mod_client.post(f"/console/r/{report.reference}/status/", {"status": "published"}, follow=True)
    assert response.status_code == 200
    assert "A report that is “New” cannot become “Published”." in messages_of(response)
    report.refresh_from_db()
    assert report.status == Report.Status.NEW
    response = mod_client.post(f"/console/r/{report.reference}/status/", {"status": "bogus"}, follow=True)
    assert response.status_code == 200 and "Unknown status." in messages_of(response)


def test_bad_edit_keeps_what_was_typed(mod_client, report_factory):
    report = report_factory()
    response = mod_client.post(f"/console/r/{report.reference}/edit/",
                               edit_data(report, title="Título nuevo escrito", lat="91"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Título nuevo escrito"' in html and "Please correct the errors below." in html
    report.refresh_from_db()
    assert report.title == "Asalto en la parada"


def test_edit_validation_error_from_the_service_is_a_message(mod_client, report_factory):
    report = report_factory()
    data = edit_data(report, title="Nuevo")
    data.pop("lon")  # latitude without longitude: the service refuses
    response = mod_client.post(f"/console/r/{report.reference}/edit/", data)
    assert response.status_code == 200
    assert "Give both latitude and longitude, or neither." in messages_of(response)
    assert 'value="Nuevo"' in response.content.decode()


def test_empty_note_is_refused(mod_client, report_factory):
    report = report_factory()
    response = mod_client.post(f"/console/r/{report.reference}/note/", {"text": "   "})
    assert response.status_code == 200 and report.notes.count() == 0


def test_merge_into_another_report(mod_client, report_factory, png_bytes):
    original, duplicate = report_factory(title="Original"), report_factory(title="Copia", photos=[("a.png", png_bytes)])
    response = mod_client.post(f"/console/r/{duplicate.reference}/merge/", {"into": original.reference.lower()})
    assert response["Location"] == f"/console/r/{original.reference}/"
    duplicate.refresh_from_db()
    assert duplicate.merged_into == original and duplicate.status == Report.Status.ARCHIVED
    assert original.media.count() == 1
    assert duplicate.reference in mod_client.get(f"/console/r/{original.reference}/").content.decode()


def test_merge_into_unknown_or_itself_is_a_form_error(mod_client, report_factory):
    report = report_factory()
    url = f"/console/r/{report.reference}/merge/"
    response = mod_client.post(url, {"into": "T-0000-0000"})
    assert response.status_code == 200 and "There is no report with that reference." in response.content.decode()
    response = mod_client.post(url, {"into": report.reference})
    assert "A report cannot be merged into itself." in response.content.decode()
    report.refresh_from_db()
    assert report.merged_into is None


def test_redaction_changes_the_public_text(mod_client, report_factory, admin_user):
    report = report_factory(description="Lo vio Juan Pérez desde su casa.")
    response = mod_client.post(f"/console/r/{report.reference}/redact/", {"phrases": "Juan Pérez\n\n"}, follow=True)
    assert "Lo vio [█] desde su casa." in response.content.decode()  # the preview
    services.verify(report=report, actor=admin_user)
    services.publish(report=report, actor=admin_user)
    public = selectors.public_report(report.reference)
    assert "Juan Pérez" not in public["public_description"]
    report.refresh_from_db()
    assert report.description == "Lo vio Juan Pérez desde su casa."  # staff keep the original


def test_photo_public_toggle(mod_client, report_factory, png_bytes):
    report = report_factory(photos=[("a.png", png_bytes)])
    media = report.media.get()
    mod_client.post(f"/console/r/{report.reference}/media/{media.pk}/public/", {"public": "1"})
    media.refresh_from_db()
    assert media.is_public
    mod_client.post(f"/console/r/{report.reference}/media/{media.pk}/public/", {"public": "0"})
    media.refresh_from_db()
    assert not media.is_public


def test_photo_of_another_report_cannot_be_toggled_through_this_one(mod_client, report_factory, png_bytes):
    report, other = report_factory(), report_factory(photos=[("a.png", png_bytes)])
    media = other.media.get()
    assert mod_client.post(f"/console/r/{report.reference}/media/{media.pk}/public/", {"public": "1"}).status_code == 404


def test_report_page_shows_its_own_audit_events(mod_client, report_factory):
    report, other = report_factory(), report_factory()
    services.add_note(report=other, actor=mod_client.user, text="otra")
    response = mod_client.get(f"/console/r/{report.reference}/")
    actions = [e.action for e in response.context["events"]]
    assert actions == ["report.created"]


def test_html_in_a_title_is_escaped_on_the_report_page(mod_client, report_factory):
    report = report_factory(title="<img src=x onerror=alert(1)>", description="<script>bad()</script>")
    html = mod_client.get(f"/console/r/{report.reference}/").content.decode()
    assert "<img src=x" not in html and "<script>bad" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_unknown_reference_is_404(mod_client):
    assert mod_client.get("/console/r/T-0000-0000/").status_code == 404


def test_confidential_option_is_refused_to_roles_without_it(client_as, report_factory):
    volunteer = client_as(roles.VOLUNTEER)
    report = report_factory()
    response = volunteer.post(f"/console/r/{report.reference}/edit/", edit_data(report, visibility="confidential"))
    assert response.status_code == 200  # not a choice for them: a form error
    report.refresh_from_db()
    assert report.visibility == Report.Visibility.PUBLIC


def test_exact_location_is_shown_as_text_and_map_data(mod_client, report_factory):
    report = report_factory()
    html = mod_client.get(f"/console/r/{report.reference}/").content.decode()
    assert "14.0723, -87.1921" in html
    assert 'data-lat="14.0723"' in html and "leaflet.js" in html


def test_saving_an_untouched_form_records_no_change(mod_client, report_factory):
    from datetime import UTC, datetime

    report = report_factory(description="Primera línea.\nSegunda línea.",
                            occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    data = edit_data(report, description="Primera línea.\r\nSegunda línea.",
                     occurred_at="2026-01-01T21:04")  # 03:04 UTC in Tegucigalpa (UTC-6), as the browser sends it
    mod_client.post(f"/console/r/{report.reference}/edit/", data)
    assert not AuditEvent.objects.filter(action="report.edited").exists()
