"""Promise: only a role with the publish permission changes what the public sees of a report.

Issue #13: a volunteer (edit, no publish) made a restricted published report public by editing its
visibility, archived published reports, and merged a restricted report whose photo then appeared
on a public one. Every write goes through `core.roles.require_public_change()`; these tests walk
each path at the service layer: the volunteer is refused and nothing changes, a moderator (who
may publish) succeeds, and edits the public never sees stay open to volunteers.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image

from testigo.core import roles
from testigo.reports import selectors, services
from testigo.reports.models import Category, Media, Report

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _public_view() -> dict:
    """Everything the public can read: published public reports (projection) and public photos."""
    rows = {r["reference"]: r for r in selectors.public_reports()}
    photos = {r: [p["id"] for p in selectors.public_report(r)["photos"]] for r in rows}
    categories = {r: [c.slug for c in selectors.public_report(r)["categories"]] for r in rows}
    return {"rows": rows, "photos": photos, "categories": categories}


@pytest.fixture
def volunteer(make_user):
    return make_user(roles.VOLUNTEER, "vol")


@pytest.fixture
def restricted_published(published_report, admin_user):
    return services.update_report(report=published_report, actor=admin_user,
                                  visibility=Report.Visibility.RESTRICTED)


def test_promise_volunteer_cannot_make_a_restricted_published_report_public(volunteer, restricted_published, english):
    before = _public_view()
    with pytest.raises(PermissionDenied) as refusal:
        services.update_report(report=restricted_published, actor=volunteer, visibility=Report.Visibility.PUBLIC)
    assert "publish permission" in str(refusal.value)
    restricted_published.refresh_from_db()
    assert restricted_published.visibility == Report.Visibility.RESTRICTED
    assert _public_view() == before


def test_promise_moderator_can_make_a_restricted_published_report_public(moderator, restricted_published):
    services.update_report(report=restricted_published, actor=moderator, visibility=Report.Visibility.PUBLIC)
    assert restricted_published.reference in _public_view()["rows"]


def test_promise_volunteer_cannot_edit_the_public_text_or_place_of_a_public_report(volunteer, published_report,
                                                                                   category):
    other = Category.objects.create(slug="extorsion", name_es="Extorsión", name_en="Extortion")
    before = _public_view()
    for change in ({"title": "Texto cambiado por voluntario"}, {"description": "Otra descripción pública."},
                   {"lat": 15.0, "lon": -86.0}, {"place_name": "Otro lugar"},
                   {"visibility": Report.Visibility.RESTRICTED}):
        with pytest.raises(PermissionDenied):
            services.update_report(report=published_report, actor=volunteer, **change)
    with pytest.raises(PermissionDenied):
        services.update_report(report=published_report, actor=volunteer, categories=[other])
    assert _public_view() == before


def test_volunteer_still_edits_what_the_public_does_not_see(volunteer, report_factory, restricted_published):
    fresh = report_factory()
    services.update_report(report=fresh, actor=volunteer, title="Título corregido",
                           visibility=Report.Visibility.RESTRICTED)
    # A published report the public cannot see: its text is not public, only its visibility is gated.
    services.update_report(report=restricted_published, actor=volunteer, title="Corregido en privado")
    services.update_report(report=restricted_published, actor=volunteer, precision_m=50)
    assert Report.objects.get(pk=restricted_published.pk).title == "Corregido en privado"


@pytest.mark.parametrize("target", [Report.Status.ARCHIVED, Report.Status.VERIFIED])
def test_promise_volunteer_cannot_archive_or_unpublish_a_published_report(volunteer, published_report, target):
    before = _public_view()
    with pytest.raises(PermissionDenied):
        services.change_status(report=published_report, actor=volunteer, status=target)
    published_report.refresh_from_db()
    assert published_report.status == Report.Status.PUBLISHED
    assert _public_view() == before


def test_promise_moderator_can_archive_a_published_report(moderator, published_report):
    services.change_status(report=published_report, actor=moderator, status=Report.Status.ARCHIVED)
    assert published_report.reference not in _public_view()["rows"]


def test_volunteer_still_archives_reports_that_were_never_public(volunteer, report_factory):
    report = report_factory()
    assert services.change_status(report=report, actor=volunteer, status=Report.Status.ARCHIVED).status == "archived"


@pytest.fixture
def restricted_with_public_photo(report_factory, admin_user):
    """A restricted report whose photo is marked public: invisible until it lands on a public one."""
    report = report_factory(title="Duplicado restringido", photos=[("foto.png", _png())])
    services.update_report(report=report, actor=admin_user, visibility=Report.Visibility.RESTRICTED)
    services.set_media_public(media=report.media.get(), actor=admin_user, is_public=True)
    return report


def test_promise_volunteer_cannot_merge_a_public_photo_onto_a_public_report(volunteer, published_report,
                                                                              restricted_with_public_photo):
    before = _public_view()
    with pytest.raises(PermissionDenied):
        services.merge(duplicate=restricted_with_public_photo, into=published_report, actor=volunteer)
    restricted_with_public_photo.refresh_from_db()
    assert restricted_with_public_photo.merged_into_id is None
    assert Media.objects.get(report=restricted_with_public_photo).is_public
    assert _public_view() == before


def test_promise_volunteer_cannot_merge_away_a_public_report(volunteer, published_report, report_factory):
    before = _public_view()
    with pytest.raises(PermissionDenied):
        services.merge(duplicate=published_report, into=report_factory(), actor=volunteer)
    assert Report.objects.get(pk=published_report.pk).status == Report.Status.PUBLISHED
    assert _public_view() == before


def test_promise_moderator_can_merge_a_public_photo_onto_a_public_report(moderator, published_report,
                                                                          restricted_with_public_photo):
    services.merge(duplicate=restricted_with_public_photo, into=published_report, actor=moderator)
    assert len(_public_view()["photos"][published_report.reference]) == 1


def test_volunteer_still_merges_reports_the_public_does_not_see(volunteer, report_factory,
                                                                restricted_with_public_photo):
    target = report_factory(title="Original sin publicar")
    assert services.merge(duplicate=restricted_with_public_photo, into=target, actor=volunteer) == target
    assert Report.objects.get(pk=restricted_with_public_photo.pk).merged_into_id == target.pk
