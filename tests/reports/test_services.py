import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image

from testigo.core.models import AuditEvent
from testigo.reports import selectors, services
from testigo.reports.models import Media, Report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (14.0, 4.0, 20.0), "W", (87.0, 11.0, 31.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_create_report_is_new_audited_and_has_an_unguessable_reference(report_factory):
    first, second = report_factory(), report_factory()
    assert first.status == Report.Status.NEW
    assert first.reference != second.reference
    assert first.reference.startswith("T-") and len(first.reference) == 11
    assert AuditEvent.objects.filter(action="report.created", object_id=str(first.pk)).exists()


def test_tile_key_and_public_projection_are_computed(report_factory):
    report = report_factory(lat=14.0723, lon=-87.1921)
    assert report.tile_key is not None and report.public_tile_key is not None
    assert (report.public_lat, report.public_lon) != (report.lat, report.lon)
    assert report.public_title == report.title


@pytest.mark.parametrize("lat,lon", [(91, 0), (-91, 0), (0, 181), (0, -181), (14.0, None)])
def test_coordinates_out_of_range_are_refused(report_factory, lat, lon):
    with pytest.raises(ValidationError):
        report_factory(lat=lat, lon=lon)
    assert not Report.objects.exists()


def test_future_dates_are_refused(report_factory):
    with pytest.raises(ValidationError):
        report_factory(occurred_at=timezone.now() + timedelta(days=1))


def test_photos_are_stored_without_exif_and_with_the_original_sha256(report_factory):
    import hashlib

    data = jpeg_with_gps()
    report = report_factory(photos=[("foto.jpg", data)])
    media = Media.objects.get(report=report)
    assert media.sha256 == hashlib.sha256(data).hexdigest()
    with media.file.open("rb") as handle:
        stored = handle.read()
    assert stored != data
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()
        assert image.getexif().get_ifd(0x8825) == {}


def test_file_that_is_not_what_its_extension_says_is_refused(report_factory):
    with pytest.raises(ValidationError, match="extension"):
        png = io.BytesIO()
        Image.new("RGB", (4, 4)).save(png, "PNG")
        report_factory(photos=[("foto.jpg", png.getvalue())])
    with pytest.raises(ValidationError):
        report_factory(photos=[("foto.jpg", b"<script>alert(1)</script>")])
    assert not Report.objects.exists()


def test_oversized_file_is_refused(report_factory, settings):
    settings.MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError, match="limit"):
        report_factory(photos=[("foto.jpg", b"\xff\xd8" + b"0" * (1024 * 1024 + 1))])


def test_status_workflow_refuses_publishing_an_unverified_report(report_factory, admin_user):
    report = report_factory()
    with pytest.raises(ValidationError):
        services.publish(report=report, actor=admin_user)
    services.verify(report=report, actor=admin_user)
    published = services.publish(report=report, actor=admin_user)
    assert published.status == Report.Status.PUBLISHED and published.published_at is not None


def test_every_transition_in_the_table_is_allowed_and_others_are_not(report_factory, admin_user):
    statuses = [s for s, _ in Report.Status.choices]
    for old in statuses:
        for new in statuses:
            report = report_factory()
            Report.objects.filter(pk=report.pk).update(status=old)
            if new in services.TRANSITIONS[old]:
                assert services.change_status(report=report, actor=admin_user, status=new).status == new
            else:
                with pytest.raises(ValidationError):
                    services.change_status(report=report, actor=admin_user, status=new)


def test_edit_records_old_and_new_values_in_the_audit_trail(report_factory, admin_user):
    report = report_factory()
    services.update_report(report=report, actor=admin_user, title="Título corregido")
    event = AuditEvent.objects.filter(action="report.edited").get()
    assert event.data["changes"]["title"] == ["Asalto en la parada", "Título corregido"]
    assert event.actor_name == admin_user.username


def test_redaction_hides_phrases_from_the_public_text_only(published_report, admin_user):
    services.update_report(report=published_report, actor=admin_user,
                           description="Don Carlos Pérez vio todo desde la casa azul.")
    services.redact(report=published_report, actor=admin_user, phrases=["carlos pérez", "casa azul"])
    public = selectors.public_report(published_report.reference)
    assert "Carlos" not in public["public_description"] and "azul" not in public["public_description"]
    assert services.REDACTED in public["public_description"]
    assert Report.objects.get(pk=published_report.pk).description.startswith("Don Carlos Pérez")


def test_merge_archives_the_duplicate_and_moves_its_photos(report_factory, admin_user):
    original = report_factory()
    duplicate = report_factory(photos=[("a.jpg", jpeg_with_gps())])
    target = services.merge(duplicate=duplicate, into=original, actor=admin_user)
    duplicate.refresh_from_db()
    assert target == original
    assert duplicate.merged_into == original and duplicate.status == Report.Status.ARCHIVED
    assert Media.objects.filter(report=original).count() == 1
    with pytest.raises(ValidationError):
        services.merge(duplicate=original, into=duplicate, actor=admin_user)
    with pytest.raises(ValidationError):
        services.merge(duplicate=original, into=original, actor=admin_user)


def test_note_must_not_be_empty(report_factory, admin_user):
    with pytest.raises(ValidationError):
        services.add_note(report=report_factory(), actor=admin_user, text="   ")
