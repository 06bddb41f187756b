"""Promise: an evidence package (issue #21) can be checked by whoever receives it, without us.
Every file in it matches SHA256SUMS (hashlib, and `sha256sum -c` itself when installed); each
media file carries the hash of the original upload and of the stored copy; every audit event
about the report is there with the fields its hash covers, so the hash recomputes; verify.txt is
`testigo audit-verify` run at that moment; the HTML page runs nothing and loads nothing from
elsewhere; and the JSON holds only what staff may see (no contact unless asked for)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import datetime

import pytest

from testigo.core import roles
from testigo.core.audit import _digest
from testigo.core.models import AuditHead
from testigo.reports import evidence, services
from testigo.reports.media import SanitisedFile
from testigo.reports.photos import add_media

pytestmark = pytest.mark.django_db


def png(colour=(200, 30, 30)) -> bytes:
    """A photo carrying its author's name, which sanitising strips (so the stored copy differs)."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Juana Pérez")
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def report(report_factory, admin_user):
    report = report_factory(photos=[("foto.png", png())])
    services.change_status(report=report, actor=admin_user, status="in_review")
    services.add_note(report=report, actor=admin_user, text="Llamar a la fiscalía.")
    return report


def package_of(reports, actor, **kwargs) -> zipfile.ZipFile:
    data = b"".join(evidence.evidence_zip(reports=reports, actor=actor, **kwargs).stream())
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def test_every_file_matches_sha256sums(report, admin_user, tmp_path):
    archive = package_of([report], admin_user)
    names = set(archive.namelist())
    ref = report.reference
    assert {"README.txt", f"reports/{ref}.json", f"reports/{ref}.html", "audit/events.jsonl",
            "audit/verify.txt", "SHA256SUMS"} <= names
    sums = dict(reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines())
    assert set(sums) == names - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    if shutil.which("sha256sum"):
        archive.extractall(tmp_path)
        result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count(": OK") == len(sums)
    readme = archive.read("README.txt").decode()
    assert "sha256sum -c SHA256SUMS" in readme and ref in readme and "admin-user" in readme
    assert "ESPAÑOL" in readme and "ENGLISH" in readme


def test_each_file_carries_the_original_and_the_stored_hash(report, admin_user):
    archive = package_of([report], admin_user)
    data = json.loads(archive.read(f"reports/{report.reference}.json"))
    (media,) = report.media.all()
    (entry,) = data["media"]
    stored = archive.read(entry["file"].removeprefix("../"))
    assert stored == media.file.open("rb").read()
    assert entry["sha256_original"] == media.sha256  # the upload, before its metadata was stripped
    assert entry["sha256_stored"] == hashlib.sha256(stored).hexdigest() != media.sha256


def test_audit_events_are_all_there_and_each_hash_recomputes(report, admin_user):
    archive = package_of([report], admin_user)
    events = [json.loads(line) for line in archive.read("audit/events.jsonl").decode().splitlines()]
    actions = [e["action"] for e in events]
    assert {"report.created", "report.in_review", "report.note_added", "report.evidence_exported"} <= set(actions)
    assert actions[0] == "report.created" and [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert {e["object_id"] for e in events} == {str(report.pk)}
    for e in events:
        digest = _digest(seq=e["seq"], prev_hash=e["prev_hash"], at=datetime.fromisoformat(e["at"]),
                         actor_name=e["actor_name"], action=e["action"], object_type=e["object_type"],
                         object_id=e["object_id"], data=e["data"])
        assert digest == e["hash"]
        # the recipe README.txt gives, with nothing but hashlib and json
        body = json.dumps([e["seq"], e["prev_hash"], e["at"], e["actor_name"], e["action"], e["object_type"],
                           e["object_id"], e["data"]], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(body.encode()).hexdigest() == e["hash"]
    verify = archive.read("audit/verify.txt").decode()
    assert verify.startswith("audit trail intact:")
    assert AuditHead.objects.get().hash in verify


def test_the_html_page_runs_nothing_and_loads_nothing_from_elsewhere(report, admin_user):
    services.update_report(report=report, actor=admin_user,
                           description='Ver https://ejemplo.org <script>alert(1)</script> <img src="http://x/y.png">')
    html = package_of([report], admin_user).read(f"reports/{report.reference}.html").decode()
    assert "<script" not in html.lower()
    assert not re.search(r"\son\w+\s*=", html, re.I)  # no event handler attribute
    links = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html, re.I) + re.findall(r"url\(([^)]*)\)", html, re.I)
    assert links and all(link.startswith("../media/") for link in links), links
    assert "<style>" in html and "<link" not in html.lower()
    assert "&lt;script&gt;" in html  # the reporter's text is shown, as text


def test_the_html_page_speaks_the_requesting_staff_members_language(report, admin_user):
    english = package_of([report], admin_user, language="en").read(f"reports/{report.reference}.html").decode()
    spanish = package_of([report], admin_user, language="es").read(f"reports/{report.reference}.html").decode()
    assert 'lang="en"' in english and "What happened" in english
    assert 'lang="es"' in spanish and "What happened" not in spanish


# Every key the JSON may hold, each one a thing staff see on the report page.
STAFF_KEYS = {"reference", "title", "description", "status", "visibility", "categories", "occurred_at",
              "occurred_time_known", "received_at", "updated_at", "published_at", "location", "source", "language",
              "custom_values", "created_by", "merged_into", "duplicates", "public_version", "status_history",
              "notes", "media"}


def test_the_json_holds_only_what_staff_see_and_contacts_only_when_asked(report, admin_user):
    plain = json.loads(package_of([report], admin_user).read(f"reports/{report.reference}.json"))
    assert set(plain) == STAFF_KEYS
    text = json.dumps(plain, ensure_ascii=False)
    assert "María" not in text and "9999-0000" not in text
    assert "tile_key" not in text
    assert plain["status_history"][0]["to"] == "in_review"
    assert plain["notes"][0]["text"] == "Llamar a la fiscalía."
    with_contact = json.loads(package_of([report], admin_user, with_contact=True).read(f"reports/{report.reference}.json"))
    assert with_contact["reporter"] == {"name": "María", "contact": "+504 9999-0000"}


def test_tip_line_events_never_enter(report, admin_user):
    from testigo.core import audit

    # What tipline.to_report records: an event about the tip, naming the report it became.
    audit.record(action="tipline.to_report", actor=admin_user, object_type="tipline.tip", object_id="7",
                 data={"report": report.reference})
    events = package_of([report], admin_user).read("audit/events.jsonl").decode()
    assert "tipline" not in events


def test_a_set_of_reports_makes_one_package(report, report_factory, admin_user):
    other = report_factory(title="Balacera en la colonia")
    reports = evidence.chosen_reports(actor=admin_user, references=[other.reference.lower(), report.reference])
    assert reports == [other, report]
    names = package_of(reports, admin_user).namelist()
    assert f"reports/{other.reference}.json" in names and f"reports/{report.reference}.html" in names


def test_roles_that_may_not_are_refused_and_confidential_reports_stay_hidden(report, make_user, report_factory):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.exceptions import PermissionDenied, ValidationError

    for role in (roles.ANALYST, roles.MODERATOR, roles.VOLUNTEER):
        user = make_user(role)
        with pytest.raises(PermissionDenied):
            evidence.evidence_zip(reports=[report], actor=user)
        with pytest.raises(PermissionDenied):
            evidence.chosen_reports(actor=user, references=[report.reference])
    with pytest.raises(PermissionDenied):
        evidence.evidence_zip(reports=[report], actor=None)
    assert roles.may_export_evidence(make_user(roles.COORDINATOR))
    # Someone allowed to export evidence but not to see confidential reports: the confidential one
    # reads exactly like a reference that does not exist.
    secret = report_factory(title="Confidencial")
    type(secret).objects.filter(pk=secret.pk).update(visibility="confidential")
    user = get_user_model().objects.create_user(username="exporter", password="x" * 12)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_report", "export_reports", "view_audit"]))
    user = get_user_model().objects.get(pk=user.pk)
    with pytest.raises(ValidationError) as refused:
        evidence.chosen_reports(actor=user, references=[secret.reference])
    with pytest.raises(ValidationError):
        evidence.evidence_zip(reports=[secret], actor=user)
    assert secret.reference in str(refused.value) and "Confidencial" not in str(refused.value)


def test_the_export_is_audited_with_references_and_no_content(report, report_factory, admin_user):
    from testigo.core.models import AuditEvent

    other = report_factory()
    evidence.evidence_zip(reports=[report, other], actor=admin_user, with_contact=True)
    events = AuditEvent.objects.filter(action="report.evidence_exported").order_by("seq")
    assert [e.object_id for e in events] == [str(report.pk), str(other.pk)]
    for event in events:
        assert event.actor_name == "admin-user"
        assert event.data == {"references": [report.reference, other.reference], "with_contact": True}


def test_a_video_is_streamed_in_bounded_pieces(report, admin_user, tmp_path, monkeypatch):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg not installed")
    path = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=320x240:d=2:r=15",
                    "-f", "lavfi", "-i", "sine=f=440:d=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-shortest", str(path)], check=True)
    video = path.read_bytes()
    add_media(report=report, clean=SanitisedFile(content=video, extension=".mp4", content_type="video/mp4",
                                                 sha256=hashlib.sha256(b"the phone's original").hexdigest(),
                                                 width=320, height=240, kind="video", duration_s=2.0))
    monkeypatch.setattr(evidence, "CHUNK", 1024)
    read_sizes = []
    from django.core.files.storage import FileSystemStorage

    real_open = FileSystemStorage._open

    def spying_open(storage, name, mode="rb"):
        opened = real_open(storage, name, mode)
        raw = opened.file

        class Spy:
            def read(self, size=-1):
                read_sizes.append(size)
                return raw.read(size)

            def __getattr__(self, attr):
                return getattr(raw, attr)

        opened.file = Spy()
        return opened

    monkeypatch.setattr(FileSystemStorage, "_open", spying_open)
    pieces = list(evidence.evidence_zip(reports=[report], actor=admin_user).stream())
    assert len(video) > 20 * 1024 and len(pieces) > len(video) // 1024
    # The video leaves in pieces of the read size; the largest piece of all (a deflated text member
    # or the closing directory) stays a small fraction of the video, never the video itself.
    assert max(len(p) for p in pieces) < len(video) // 8
    assert read_sizes and all(0 < size <= 1024 for size in read_sizes)  # never a whole-file read()
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    (name,) = [n for n in archive.namelist() if n.endswith(".mp4")]
    assert archive.read(name) == video
    assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED


def test_the_command_writes_the_package_or_nothing(report, tmp_path):
    from django.core.management import CommandError, call_command

    target = tmp_path / "caso.zip"
    call_command("evidence_export", report.reference, "-o", str(target))
    archive = zipfile.ZipFile(target)
    assert f"reports/{report.reference}.json" in archive.namelist() and archive.testzip() is None
    assert "system" in archive.read("README.txt").decode()
    missing = tmp_path / "nada.zip"
    with pytest.raises(CommandError, match="T-0000-0000"):
        call_command("evidence_export", report.reference, "T-0000-0000", "-o", str(missing))
    assert list(tmp_path.glob("nada.zip*")) == []


def test_a_file_lost_from_storage_is_said_not_hidden(report, admin_user):
    (media,) = report.media.all()
    media.file.storage.delete(media.file.name)
    archive = package_of([report], admin_user)
    (entry,) = json.loads(archive.read(f"reports/{report.reference}.json"))["media"]
    assert entry["missing"] is True and entry["file"] is None and entry["sha256_original"] == media.sha256
    assert not [n for n in archive.namelist() if n.startswith("media/")]


def test_the_command_as_a_staff_member_obeys_their_role(report, make_user, tmp_path):
    from django.core.management import CommandError, call_command

    out = tmp_path / "out"
    out.mkdir()
    analyst = make_user(roles.ANALYST)
    with pytest.raises(CommandError):
        call_command("evidence_export", report.reference, "-o", str(out / "a.zip"), "--user", analyst.username)
    assert list(out.iterdir()) == []
    coordinator = make_user(roles.COORDINATOR)
    call_command("evidence_export", report.reference, "-o", str(out / "c.zip"), "--user", coordinator.username,
                 "--with-contact")
    data = json.loads(zipfile.ZipFile(out / "c.zip").read(f"reports/{report.reference}.json"))
    assert data["reporter"]["name"] == "María"
