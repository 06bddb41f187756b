"""A new report, whatever door it came through, is compared with the earlier ones of the same
hours and area; likely duplicates are proposed to staff with a score and reasons, merged in one
click (nothing lost, audited) or dismissed, and never merged automatically."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from testigo.core.models import AuditEvent
from testigo.reports import bulk, duplicates
from testigo.reports.models import DuplicateCandidate, Report

KENNEDY = (14.0723, -87.1921)


@pytest.fixture
def arrive(report_factory, django_capture_on_commit_callbacks):
    """A report created as every door creates one, with the after-commit jobs run (the worker)."""
    def make(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return report_factory(**kwargs)
    return make


def test_text_is_compared_without_accents_case_or_punctuation():
    a = duplicates.trigrams("Balacera en la Col. Kénnedy, cerca del MERCADO!")
    b = duplicates.trigrams("balacera en la col kennedy cerca del mercado")
    assert duplicates.similarity(a, b) == 1.0
    assert duplicates.similarity(a, duplicates.trigrams("inundacion en La Lima")) < 0.2


def test_a_second_report_of_the_same_event_is_proposed_with_its_reasons(arrive):
    first = arrive(title="Balacera en la colonia Kennedy", description="Disparos cerca del mercado", lat=KENNEDY[0],
                   lon=KENNEDY[1], reporter_contact="+50411111111")
    second = arrive(title="balacera col kennedy", description="disparos cerca del mercado, hay heridos",
                    lat=KENNEDY[0] + 0.001, lon=KENNEDY[1], reporter_contact="+50422222222")
    pair = DuplicateCandidate.objects.get(report=second)
    assert pair.original == first
    assert pair.decision == DuplicateCandidate.Decision.OPEN
    assert 100 < pair.reasons["distance_m"] < 130
    assert pair.reasons["text"] > 0.4
    assert pair.score >= 0.5
    second.refresh_from_db()
    assert second.merged_into is None and second.status == Report.Status.NEW  # never merged by itself


def test_far_away_or_unrelated_reports_are_not_proposed(arrive):
    arrive(title="Balacera en la colonia Kennedy", description="Disparos cerca del mercado", lat=KENNEDY[0],
           lon=KENNEDY[1], reporter_contact="+50411111111")
    far = arrive(title="Balacera en la colonia Kennedy", description="Disparos cerca del mercado", lat=15.5,
                 lon=-88.0, reporter_contact="+50433333333")  # San Pedro Sula: same words, 200 km away
    other = arrive(title="Inundación", description="El río se desbordó en el bordo", lat=KENNEDY[0],
                   lon=KENNEDY[1], reporter_contact="+50444444444")
    assert not DuplicateCandidate.objects.filter(report__in=[far, other]).exists()


def test_the_same_sender_without_a_location_is_proposed(arrive):
    first = arrive(title="extorsion a pulperia", description="en barrio la granja", lat=None, lon=None,
                   place_name="", reporter_contact="+50455555555")
    again = arrive(title="extorsión pulpería barrio La Granja", description="otra vez vinieron", lat=None,
                   lon=None, place_name="", reporter_contact="+50455555555")
    pair = DuplicateCandidate.objects.get(report=again)
    assert pair.original == first and pair.reasons["same_contact"] is True


def test_reports_days_apart_are_not_compared(arrive):
    arrive(title="Balacera en la colonia Kennedy", description="Disparos", received_at=timezone.now() - timedelta(days=3))
    later = arrive(title="Balacera en la colonia Kennedy", description="Disparos")
    assert not DuplicateCandidate.objects.filter(report=later).exists()


def test_imported_reports_are_checked_after_the_import(arrive, django_capture_on_commit_callbacks):
    first = arrive(title="Robo de moto en la Kennedy", description="Dos hombres en moto", reporter_contact="")
    columns = bulk.ReportColumns()
    row = bulk.report_row({"title": "robo de moto en la kennedy", "description": "dos hombres en una moto",
                           "lat": KENNEDY[0], "lon": KENNEDY[1], "received_at": timezone.now(),
                           "reporter_contact": ""})
    with django_capture_on_commit_callbacks(execute=True):
        ids = bulk.insert_reports([columns.params(row, columns.stamp())], columns)
    assert DuplicateCandidate.objects.get(report_id=ids[0]).original == first


def test_one_click_merge_keeps_everything_and_is_audited(arrive, client, moderator):
    first = arrive(title="Balacera en la colonia Kennedy", description="Disparos cerca del mercado")
    second = arrive(title="Balacera colonia Kennedy", description="Disparos cerca del mercado, hay heridos")
    pair = DuplicateCandidate.objects.get(report=second)
    client.force_login(moderator)
    inbox = client.get(reverse("console:inbox")).content.decode()
    assert "possible-duplicate" in inbox
    page = client.get(reverse("console:report", args=[second.reference])).content.decode()
    assert 'id="duplicate-candidates"' in page and first.reference in page

    response = client.post(reverse("console:duplicate_merge", args=[second.reference, pair.pk]))
    assert response.status_code == 302
    second.refresh_from_db()
    pair.refresh_from_db()
    assert second.merged_into == first and second.status == Report.Status.ARCHIVED
    assert second.description == "Disparos cerca del mercado, hay heridos"  # its own text kept
    assert pair.decision == DuplicateCandidate.Decision.MERGED and pair.decided_by == moderator
    assert AuditEvent.objects.filter(action="report.merged", object_id=str(second.pk)).exists()
    assert AuditEvent.objects.filter(action="report.duplicate_merged").exists()
    assert "possible-duplicate" not in client.get(reverse("console:inbox")).content.decode()


def test_not_a_duplicate_closes_the_pair_for_good(arrive, client, moderator):
    arrive(title="Balacera en la colonia Kennedy", description="Disparos cerca del mercado")
    second = arrive(title="Balacera colonia Kennedy", description="Disparos cerca del mercado")
    pair = DuplicateCandidate.objects.get(report=second)
    client.force_login(moderator)
    client.post(reverse("console:duplicate_dismiss", args=[second.reference, pair.pk]))
    pair.refresh_from_db()
    assert pair.decision == DuplicateCandidate.Decision.DISMISSED
    duplicates.record(second.pk)  # checked again: the decision stands
    pair.refresh_from_db()
    assert pair.decision == DuplicateCandidate.Decision.DISMISSED
    second.refresh_from_db()
    assert second.merged_into is None


def test_a_pair_with_a_report_the_user_may_not_see_is_not_shown(arrive, client, make_user, category):
    from testigo.core import roles

    hidden = arrive(title="Balacera en la colonia Kennedy", description="Disparos cerca del mercado")
    Report.objects.filter(pk=hidden.pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    second = arrive(title="Balacera colonia Kennedy", description="Disparos cerca del mercado")
    pair = DuplicateCandidate.objects.get(report=second)
    viewer = make_user(roles.VOLUNTEER)  # edits reports, never sees confidential ones
    client.force_login(viewer)
    page = client.get(reverse("console:report", args=[second.reference])).content.decode()
    assert hidden.reference not in page
    assert "possible-duplicate" not in client.get(reverse("console:inbox")).content.decode()
    assert client.post(reverse("console:duplicate_merge", args=[second.reference, pair.pk])).status_code == 404


def _photo() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_merge_can_be_undone_and_gives_back_what_it_moved(arrive, client, moderator, category):
    from testigo.reports.models import Category

    fire = Category.objects.create(slug="incendio", name_es="Incendio", name_en="Fire")
    first = arrive(title="Balacera en la colonia Kennedy", description="Disparos cerca del mercado")
    second = arrive(title="Balacera colonia Kennedy", description="Disparos cerca del mercado",
                    categories=[category, fire], photos=[("foto.jpg", _photo())])
    pair = DuplicateCandidate.objects.get(report=second)
    client.force_login(moderator)
    client.post(reverse("console:duplicate_merge", args=[second.reference, pair.pk]))
    assert first.media.count() == 1 and fire in first.categories.all()

    page = client.get(reverse("console:report", args=[second.reference])).content.decode()
    assert 'id="unmerge-form"' in page
    client.post(reverse("console:report_unmerge", args=[second.reference]))
    second.refresh_from_db()
    pair.refresh_from_db()
    assert second.merged_into is None and second.status == Report.Status.IN_REVIEW
    assert second.media.count() == 1 and first.media.count() == 0
    assert fire not in first.categories.all() and category in first.categories.all()  # it had Robbery before
    assert pair.decision == DuplicateCandidate.Decision.DISMISSED
    assert AuditEvent.objects.filter(action="report.unmerged", object_id=str(second.pk)).exists()
