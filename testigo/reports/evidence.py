"""Evidence packages: one ZIP a lawyer or a human-rights commission can check without us.

For one report or a staff-chosen set (a future Story passes its linked reports to
`evidence_zip`), the package holds:

    README.txt                 what this is and how to check it (Spanish and English)
    reports/<reference>.json   the staff view of the report, with each file's two hashes
    reports/<reference>.html   the same, print-ready: inline CSS, no script, no external resource
    media/<reference>/<file>   the stored files, byte for byte (and a recording's original as
                               sent, `<kind>-<id>-original`, when TESTIGO_MEDIA_KEEP_ORIGINALS kept it
                               and the exporter holds the tip-line key it is sealed to; otherwise
                               the JSON lists it as sealed, with its sha256)
    audit/events.jsonl         every audit event about the reports, with its chain fields
    audit/verify.txt           `testigo audit-verify`, run while the package was made
    SHA256SUMS                 `sha256sum -c SHA256SUMS` checks every file above

The ZIP is written as it is sent (`EvidencePackage.stream()`): files are read CHUNK bytes at a
time into a zipfile over a sink the stream empties after every write, so a 2 GB video costs a
few hundred kilobytes of memory, never its size. Files already compressed (photos, audio,
video) are stored, text is deflated.

Who may: `roles.require_evidence_export` (administrators, coordinators); the reports are read
through `selectors.visible_to`, so confidential ones only for those allowed to see them. Tip-line
content never enters: a report made from a tip carries only what staff wrote into it, and the
tip's own events (object "tipline.tip") are not about the report. The export is audited on each
report ("report.evidence_exported", references only) before the first byte leaves.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from nacl.exceptions import CryptoError

from testigo.core import audit, dates, roles
from testigo.core.bilingual import in_language
from testigo.core.models import AuditEvent
from testigo.reports import selectors
from testigo.reports.models import Media, Report

# Bytes read from a stored file, and written to the archive, at a time.
CHUNK = 64 * 1024
# Most reports in one package: the console's inbox page holds 50; a case file rarely more.
MAX_REPORTS = 200
REPORT_TYPE = Report._meta.label_lower  # "reports.report"
# Files already compressed: deflating them again costs CPU and saves nothing.
STORED_KINDS = {Media.Kind.IMAGE, Media.Kind.AUDIO, Media.Kind.VIDEO}

# Packages of other subjects made by apps above this one, by name ("story": stories/apps.py fills
# it): callable(actor=, address=, with_contact=) -> (package, reports) or None when nothing is there.
PACKAGERS: dict[str, Callable] = {}


def chosen_reports(*, actor, references: Iterable[str]) -> list[Report]:
    """The reports named by `references` that `actor` may put in a package, in the order given.

    Raises ValidationError naming every reference that is unknown or not visible to the actor
    (both read the same, so a refusal says nothing of a confidential report), or when there are
    none or too many."""
    roles.require_evidence_export(actor)
    wanted = list(dict.fromkeys(r.strip().upper() for r in references if r and r.strip()))
    if not wanted:
        raise ValidationError(_("Give at least one report reference."))
    if len(wanted) > MAX_REPORTS:
        raise ValidationError(_("An evidence package holds at most %(max)d reports.") % {"max": MAX_REPORTS})
    found = {r.reference: r for r in selectors.visible_to(actor).filter(reference__in=wanted)}
    missing = [ref for ref in wanted if ref not in found]
    if missing:
        raise ValidationError(_not_found(missing))
    return [found[ref] for ref in wanted]


def _not_found(references: list[str]) -> str:
    return ngettext("There is no report you may see with this reference: %(refs)s",
                    "There are no reports you may see with these references: %(refs)s",
                    len(references)) % {"refs": ", ".join(references)}


@dataclass
class _Sink:
    """A write-only file for zipfile: what was written waits here until the stream takes it."""

    parts: list[bytes] = field(default_factory=list)

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


@dataclass
class EvidencePackage:
    """A package ready to stream; `stream()` may be iterated once."""

    reports: list[Report]
    actor_name: str
    language: str
    with_contact: bool
    generated_at: datetime
    filename: str
    sums: list[tuple[str, str]] = field(default_factory=list)  # (sha256, path), in archive order
    unseal: Callable[[bytes], bytes] | None = None  # opens sealed originals (recordings.original_opener)

    def stream(self) -> Iterator[bytes]:
        sink = _Sink()
        archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        yield from self._member(archive, sink, "README.txt", [self._readme().encode("utf-8")])
        for report in self.reports:
            media_rows = []
            for media in report.media.order_by("id"):
                if not media.file.storage.exists(media.file.name):
                    # Lost from storage (a restore without media, a disk error): said, not hidden.
                    media_rows.append(media_entry(media, path=None, stored_sha256=None))
                    continue
                path = f"media/{report.reference}/{media_name(media)}"
                yield from self._member(archive, sink, path, _file_chunks(media.file),
                                        stored=media.kind in STORED_KINDS, size=media.size)
                media_rows.append(media_entry(media, path=path, stored_sha256=self.sums[-1][0]))
                if media.original and media.original.storage.exists(media.original.name):
                    # Kept as sent (TESTIGO_MEDIA_KEEP_ORIGINALS), sealed to the tip-line key: opened
                    # only for an exporter holding it (`unseal`); its sha256 is `sha256_original`.
                    content = None
                    if self.unseal is not None:
                        try:
                            with media.original.open("rb") as handle:
                                content = self.unseal(handle.read())
                        except CryptoError:  # damaged, or sealed to a key no longer held
                            content = None
                    if content is None:
                        media_rows[-1]["original_sealed"] = True
                        media_rows[-1]["original_note"] = _("Original as sent: sealed: a tip-line key holder can "
                                                            "open it.")
                        continue
                    original = f"media/{report.reference}/{media.kind}-{media.pk}-original"
                    yield from self._member(archive, sink, original, [content], stored=True, size=len(content))
                    media_rows[-1]["original_file"] = f"../{original}"
            data = report_data(report, media_rows, with_contact=self.with_contact)
            text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
            yield from self._member(archive, sink, f"reports/{report.reference}.json", [text.encode("utf-8")])
            yield from self._member(archive, sink, f"reports/{report.reference}.html",
                                    [self._html(report, data).encode("utf-8")])
        lines = (json.dumps(event_entry(e), ensure_ascii=False, sort_keys=True) + "\n"
                 for e in report_events(self.reports))
        yield from self._member(archive, sink, "audit/events.jsonl", (line.encode("utf-8") for line in lines))
        verify_text = audit.verify_text(audit.verify())
        yield from self._member(archive, sink, "audit/verify.txt", [verify_text.encode("utf-8")])
        sums = "".join(f"{digest}  {path}\n" for digest, path in self.sums)
        yield from self._member(archive, sink, "SHA256SUMS", [sums.encode("utf-8")], hashed=False)
        archive.close()
        yield sink.drain()

    def _member(self, archive: zipfile.ZipFile, sink: _Sink, path: str, chunks: Iterable[bytes], *,
                stored: bool = False, size: int = 0, hashed: bool = True) -> Iterator[bytes]:
        info = zipfile.ZipInfo(path, date_time=timezone.localtime(self.generated_at).timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.file_size = size  # lets zipfile choose ZIP64 up front for a file past 4 GB
        info.external_attr = 0o644 << 16
        digest = hashlib.sha256()
        with archive.open(info, "w") as member:
            for chunk in chunks:
                for start in range(0, len(chunk), CHUNK):
                    piece = chunk[start:start + CHUNK]
                    digest.update(piece)
                    member.write(piece)
                    if sink.parts:
                        yield sink.drain()
        if hashed:
            self.sums.append((digest.hexdigest(), path))
        if sink.parts:
            yield sink.drain()

    def _readme(self) -> str:
        return render_to_string("evidence/README.txt", {
            "site_name": settings.SITE_NAME, "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "actor": self.actor_name, "references": [r.reference for r in self.reports],
            "with_contact": self.with_contact,
        })

    def _html(self, report: Report, data: dict) -> str:
        with translation.override(self.language):
            return render_to_string("evidence/report.html", {
                "r": data, "show": _shown(report, data), "site_name": settings.SITE_NAME,
                "actor": self.actor_name, "generated_at": dates.show(self.generated_at, style=dates.LONG),
                "language": self.language,
            })


def evidence_zip(*, reports: list[Report], actor, with_contact: bool = False,
                 language: str | None = None, unseal: Callable[[bytes], bytes] | None = None) -> EvidencePackage:
    """An evidence package of `reports` (one, a chosen set, or a future Story's linked reports)
    for `actor`, ready to stream. Checks the actor's role and that they may see each report,
    and records "report.evidence_exported" on each report before anything is sent.

    `with_contact` adds the reporters' names and contacts, only for roles that may carry
    contacts away (roles.may_take_contacts). `language`: the HTML pages' language (the active
    one by default: the requesting staff member's). `unseal`: opens recordings' sealed originals
    (recordings.original_opener(request): the exporter holds the tip-line key, unlocked); without
    it each is listed as sealed, with its sha256, and not included."""
    roles.require_evidence_export(actor)
    reports = list({r.pk: r for r in reports}.values())  # once each, in the order given
    if not reports:
        raise ValidationError(_("Give at least one report reference."))
    # Read again: the package holds what is stored now, whatever copies the caller kept.
    fresh = selectors.visible_to(actor).filter(pk__in=[r.pk for r in reports]).select_related("created_by",
                                                                                               "merged_into")
    visible = {r.pk: r for r in fresh}
    hidden = [r.reference for r in reports if r.pk not in visible]
    if hidden:
        raise ValidationError(_not_found(hidden))
    reports = [visible[r.pk] for r in reports]
    with_contact = with_contact and roles.may_take_contacts(actor)
    references = [r.reference for r in reports]
    with transaction.atomic():  # on every report, or on none
        for report in reports:
            audit.record(action="report.evidence_exported", actor=actor, obj=report,
                         data={"references": references, "with_contact": with_contact})
    now = timezone.now()
    name = references[0] if len(references) == 1 else f"{len(references)}"
    actor_name = getattr(actor, "username", "") or getattr(actor, "name", "")
    return EvidencePackage(reports=list(reports), actor_name=actor_name,
                           language=language or translation.get_language() or settings.LANGUAGE_CODE,
                           with_contact=with_contact, generated_at=now,
                           filename=f"evidence-{name}-{now:%Y%m%d-%H%M%S}.zip", unseal=unseal)


def _shown(report: Report, data: dict) -> dict:
    """What the HTML page shows in words, in the active language (the JSON keeps the codes)."""
    def when(iso_moment):
        return dates.show(datetime.fromisoformat(iso_moment), style=dates.LONG) if iso_moment else ""

    events = [{"seq": e.seq, "when": dates.show(e.at, style=dates.LONG), "by": e.actor_name or _("the system"),
               "what": _event_words(e), "hash": e.hash} for e in report_events([report])]
    return {
        "status": str(Report.Status(report.status).label),
        "visibility": str(Report.Visibility(report.visibility).label),
        "categories": [in_language(c["name_es"], c["name_en"]) for c in data["categories"]],
        "occurred": dates.show_occurred(report, style=dates.LONG), "received": when(data["received_at"]),
        "published": when(data["published_at"]),
        "latlon": f"{report.lat}, {report.lon}" if report.lat is not None else "",
        "answers": sorted((str(k), json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v))
                          for k, v in (report.custom_values or {}).items()),
        "notes": [{"when": when(n["at"]), "by": n["by"], "text": n["text"]} for n in data["notes"]],
        "events": events,
    }


def _event_words(event: AuditEvent) -> str:
    label = audit.action_label(event.action)
    data = event.data if isinstance(event.data, dict) else {}
    if {"from", "to"} <= data.keys() and {data["from"], data["to"]} <= set(Report.Status.values):
        return f"{label} ({Report.Status(data['from']).label} → {Report.Status(data['to']).label})"
    return label


# --- What goes in -------------------------------------------------------------------------------

def media_name(media: Media) -> str:
    return f"{media.kind}-{media.pk}{media.extension}"


def _file_chunks(fieldfile) -> Iterator[bytes]:
    with fieldfile.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def media_entry(media: Media, *, path: str | None, stored_sha256: str | None) -> dict:
    """One file as the JSON lists it; `path` None: the stored copy is missing from storage."""
    return {
        "file": f"../{path}" if path else None, "missing": path is None, "kind": media.kind, "content_type": media.content_type, "size": media.size,
        "sha256_original": media.sha256, "sha256_stored": stored_sha256,
        "metadata_removed": media.metadata_removed, "truncated": media.truncated, "is_public": media.is_public,
        "width": media.width, "height": media.height, "duration_s": media.duration_s, "name": media.name,
        "added_at": _iso(media.created_at),
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def report_data(report: Report, media_rows: list[dict], *, with_contact: bool) -> dict:
    """The staff view of one report as the package's JSON holds it."""
    categories = [{"slug": c.slug, "name_es": c.name_es, "name_en": c.name_en,
                   "parent": c.parent.slug if c.parent_id else None}
                  for c in report.categories.select_related("parent").order_by("position", "name_es")]
    data = {
        "reference": report.reference, "title": report.title, "description": report.description,
        "status": report.status, "visibility": report.visibility, "categories": categories,
        "occurred_at": _iso(report.occurred_at), "occurred_time_known": report.occurred_time_known,
        "received_at": _iso(report.received_at), "updated_at": _iso(report.updated_at),
        "published_at": _iso(report.published_at),
        "location": {"lat": report.lat, "lon": report.lon, "precision_m": report.precision_m,
                     "place_name": report.place_name, "admin1": report.admin1, "admin2": report.admin2},
        "source": report.source, "language": report.language, "custom_values": report.custom_values,
        "created_by": report.created_by.get_username() if report.created_by_id else None,
        "merged_into": report.merged_into.reference if report.merged_into_id else None,
        "duplicates": sorted(report.duplicates.values_list("reference", flat=True)),
        "public_version": {"title": report.public_title, "description": report.public_description,
                           "hidden_phrases": report.redactions},
        "status_history": status_history(report),
        "notes": [{"at": _iso(n.created_at), "by": n.author.get_username() if n.author_id else None,
                   "text": n.text} for n in report.notes.select_related("author")],
        "media": media_rows,
    }
    if with_contact:
        data["reporter"] = {"name": report.reporter_name, "contact": report.reporter_contact}
    return data


def status_history(report: Report) -> list[dict]:
    statuses = {f"report.{s}" for s in Report.Status.values}
    events = AuditEvent.objects.filter(object_type=REPORT_TYPE, object_id=str(report.pk), action__in=statuses)
    return [{"at": _iso(e.at), "from": e.data.get("from"), "to": e.data.get("to"), "by": e.actor_name or "system",
             "audit_seq": e.seq} for e in events.order_by("seq")]


def report_events(reports: list[Report]) -> Iterator[AuditEvent]:
    """Every audit event about the reports, and about the duplicates merged into them (their
    files moved here with their history), oldest first."""
    ids = {str(r.pk) for r in reports}
    ids |= {str(pk) for pk in Report.objects.filter(merged_into__in=reports).values_list("pk", flat=True)}
    qs = AuditEvent.objects.filter(object_type=REPORT_TYPE, object_id__in=sorted(ids)).order_by("seq")
    return qs.iterator(chunk_size=2000)


def event_entry(event: AuditEvent) -> dict:
    """An event with exactly the fields its hash covers (core/audit.py `_digest`), so anyone can
    recompute it: sha256 of the compact JSON list [seq, prev_hash, at, actor_name, action,
    object_type, object_id, data] with sorted keys."""
    return {"seq": event.seq, "prev_hash": event.prev_hash, "at": event.at.isoformat(),
            "actor_name": event.actor_name, "action": event.action, "object_type": event.object_type,
            "object_id": event.object_id, "data": event.data, "hash": event.hash}
