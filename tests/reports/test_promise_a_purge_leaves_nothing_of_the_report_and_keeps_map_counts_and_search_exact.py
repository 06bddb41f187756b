"""Promise: a purge policy deletes a report entirely: its row, notes, media rows and media files
on disk, its search index entries (public and staff); the map's counts stay exactly what a
rebuild gives; the reports it does not reach keep everything, including their files. The audit
event of the purge names the policy and the references, never the purged text, and the audit
chain still verifies."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from PIL import Image

from testigo.core import audit
from testigo.core.models import AuditEvent
from testigo.geo.models import ClusterCount
from testigo.reports import counts, retention, search, services
from testigo.reports.models import Media, Note, Report
from tests.reports.retention_kit import age, make_policy

pytestmark = pytest.mark.django_db

SECRET_WORDS = "Zumbayllu cordillera"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _pyramid() -> list[tuple]:
    return sorted((r.scope, r.level, r.category, r.part, r.cell, r.n, round(r.sum_lat, 6), round(r.sum_lon, 6),
                   r.sum_id) for r in ClusterCount.objects.all())


def _staff_index_ids(word: str) -> list[int]:
    """The staff index read directly (SQLite's FTS5 table): a stale entry would show here even
    though the row is gone. PostgreSQL's index is an expression over the row: nothing to go stale."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {search.TABLES['staff']} WHERE {search.TABLES['staff']} MATCH %s",
                       [f'"{word}"*'])
        return [row[0] for row in cursor.fetchall()]


def _published(report_factory, admin_user, **kwargs) -> Report:
    report = report_factory(photos=[("foto.png", png())], **kwargs)
    services.verify(report=report, actor=admin_user)
    services.add_note(report=report, actor=admin_user, text="Nota interna sobre el caso")
    return services.publish(report=report, actor=admin_user)


def test_a_purge_removes_rows_files_index_entries_and_keeps_counts_exact(report_factory, admin_user, category,
                                                                          django_capture_on_commit_callbacks):
    doomed = _published(report_factory, admin_user, title=f"Robo {SECRET_WORDS}",
                        description=f"Pasó en {SECRET_WORDS}", reporter_name="Rigoberta Menchú")
    kept = _published(report_factory, admin_user, lat=15.5, lon=-88.0)
    age(doomed, days=400)
    doomed_files = list(Media.objects.filter(report=doomed).values_list("file", flat=True))
    kept_files = list(Media.objects.filter(report=kept).values_list("file", flat=True))
    assert doomed_files and all(default_storage.exists(name) for name in doomed_files)
    assert list(search.apply(Report.objects.all(), "zumbayllu", public=False).values_list("pk", flat=True)) == [doomed.pk]
    assert _staff_index_ids("zumbayllu") == ([doomed.pk] if connection.vendor == "sqlite" else [])

    policy = make_policy(name="un año", days=365, statuses=[Report.Status.PUBLISHED])
    with django_capture_on_commit_callbacks(execute=True):  # files go once the batch commits
        outcome = retention.apply_policy(policy=policy, actor=admin_user)

    assert outcome.done == 1 and not outcome.failed
    assert not Report.objects.filter(pk=doomed.pk).exists()
    assert not Media.objects.filter(report_id=doomed.pk).exists() and not Note.objects.filter(report_id=doomed.pk).exists()
    assert not any(default_storage.exists(name) for name in doomed_files)
    assert all(default_storage.exists(name) for name in kept_files)
    assert _staff_index_ids("zumbayllu") == []
    for public in (True, False):
        assert not search.apply(Report.objects.all(), "zumbayllu", public=public).exists()
    kept_pyramid = _pyramid()
    counts.rebuild()
    assert kept_pyramid == _pyramid() and kept_pyramid  # what is left counts exactly `kept`
    assert sum(r.n for r in ClusterCount.objects.filter(scope=counts.STAFF, level=counts.TOP, category=0)) == 1

    event = AuditEvent.objects.get(action="retention.purged")
    assert event.data["references"] == [doomed.reference] and event.data["policy"] == policy.pk
    stored = json.dumps(event.data, ensure_ascii=False)
    for text in ("Zumbayllu", "Rigoberta", "Nota interna", "+504"):
        assert text not in stored
    assert audit.verify().ok


def test_a_file_still_used_by_another_report_is_kept(report_factory, admin_user, django_capture_on_commit_callbacks):
    doomed = _published(report_factory, admin_user)
    kept = report_factory()
    shared = Media.objects.get(report=doomed)
    Media.objects.create(report=kept, file=shared.file.name, content_type=shared.content_type,
                         extension=shared.extension, sha256=shared.sha256, size=shared.size)
    age(doomed, days=400)

    with django_capture_on_commit_callbacks(execute=True):
        retention.apply_policy(policy=make_policy(days=365, statuses=["published"]), actor=admin_user)

    assert not Report.objects.filter(pk=doomed.pk).exists()
    assert default_storage.exists(shared.file.name)


def test_a_purged_reports_survey_submission_and_its_attachments_go_too(report_factory, admin_user):
    from testigo.surveys import services as survey_services
    from testigo.surveys.models import Submission, SubmissionAttachment

    survey = survey_services.create_survey(actor=admin_user, name_es="Extorsión", form_id="extorsion")
    doomed, kept = age(report_factory(), days=400), report_factory()
    for report in (doomed, kept):
        submission = Submission.objects.create(survey=survey, instance_id=f"uuid:{report.reference}", report=report,
                                               xml=f"<data><nombre>{SECRET_WORDS}</nombre></data>".encode(),
                                               xml_sha256="0" * 64)
        SubmissionAttachment.objects.create(submission=submission, name="foto.jpg", data=b"jpeg", sha256="1" * 64)

    retention.apply_policy(policy=make_policy(days=365, statuses=["new"]), actor=admin_user)

    assert list(Submission.objects.values_list("report_id", flat=True)) == [kept.pk]
    assert SubmissionAttachment.objects.count() == 1
