"""Receiving OpenRosa submissions: idempotent, edit-aware, attachments in any later POST.

Everything is written in one transaction before the phone is told "received" (201). The same
instanceID posted again is not duplicated (its new attachments are added); the same instanceID
with different XML is refused (409), as ODK Central does; a `deprecatedID` updates the report
made from the earlier submission instead of creating a new one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from defusedxml import ElementTree
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.reports import services as report_services
from testigo.reports.media import sanitise_image
from testigo.reports.models import Media
from testigo.surveys import answers, encryption, xform
from testigo.surveys.models import Device, RejectedInput, Submission, SubmissionAttachment, Survey


@dataclass
class Outcome:
    status: int  # HTTP status for the phone: 201, 400, 404, 409
    message: str
    submission: Submission | None = None


class Rejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node, name: str):
    return next((c for c in node if _local(c.tag) == name), None)


def read_instance(xml: bytes):
    """(root element, instanceID, deprecatedID) of a submission; Rejected if it is not one."""
    try:
        root = ElementTree.fromstring(xml)
    except Exception:  # defusedxml raises ParseError and its own entity/DTD errors
        raise Rejected(400, _("The submission is not well-formed XML.")) from None
    meta = _child(root, "meta")
    instance_id = deprecated_id = ""
    if meta is not None:
        node, old = _child(meta, "instanceID"), _child(meta, "deprecatedID")
        instance_id = (node.text or "").strip() if node is not None else ""
        deprecated_id = (old.text or "").strip() if old is not None else ""
    if not instance_id or len(instance_id) > 100:
        raise Rejected(400, _("The submission has no meta/instanceID."))
    return root, instance_id, deprecated_id


def raw_answers(survey: Survey, root) -> dict[str, str]:
    """The text of each question in the instance (groups are nested elements); refuses elements
    the survey does not have."""
    groups = {f["name"] for f in survey.fields if f["type"] == "begin_group"}
    known = {f["name"] for f in survey.fields if f["type"] != "end_group"} | {"meta"}
    raw: dict[str, str] = {}
    pending = list(root)
    while pending:
        node = pending.pop(0)
        name = _local(node.tag)
        if name not in known:
            raise Rejected(400, _("The submission does not match the form: unknown question “%(name)s”.")
                           % {"name": name})
        if name in groups:
            pending[:0] = list(node)
        elif name != "meta":
            raw[name] = node.text or ""
    return raw


def keep_rejected(*, reason: str, body: bytes, survey: Survey | None = None, device: Device | None = None) -> None:
    RejectedInput.objects.create(source="openrosa", reason=reason, survey=survey, device=device,
                                 body=bytes(body[: settings.SURVEY_REJECTED_KEEP_BYTES]))


def receive(*, survey_for, xml: bytes, files: dict[str, tuple[bytes, str]], device: Device | None,
            actor=None) -> Outcome:
    """Store one OpenRosa POST. `survey_for(form_id)` returns the survey a client may submit to
    (or None). `files` maps attachment names to (bytes, content type)."""
    survey = None
    try:
        root, instance_id, deprecated_id = read_instance(xml)
        survey = survey_for(root.get("id", ""))
        if survey is None:
            raise Rejected(404, _("There is no open form with the id “%(id)s”.") % {"id": root.get("id", "")})
        with transaction.atomic():
            return _store(survey=survey, root=root, xml=xml, files=files, device=device, actor=actor,
                          instance_id=instance_id, deprecated_id=deprecated_id)
    except IntegrityError:  # the same instance stored concurrently by another request
        exc = Rejected(409, _("This submission is being received on another connection."))
        keep_rejected(reason=exc.message, body=xml, survey=survey, device=device)
        return Outcome(exc.status, exc.message)
    except Rejected as exc:
        keep_rejected(reason=exc.message, body=xml, survey=survey, device=device)
        return Outcome(exc.status, exc.message)


def _store(*, survey, root, xml, files, device, actor, instance_id, deprecated_id) -> Outcome:
    digest = hashlib.sha256(xml).hexdigest()
    existing = Submission.objects.select_for_update().filter(instance_id=instance_id).first()
    if existing is not None:
        if existing.xml_sha256 != digest:
            raise Rejected(409, _("A different submission with this instanceID was already received."))
        _add_attachments(existing, files)
        return Outcome(201, _("Already received; attachments updated."), existing)
    encrypted = root.get("encrypted") == "yes"
    if encrypted != survey.encrypted:
        raise Rejected(400, _("The submission does not match the form: encryption differs."))
    submission = Submission(survey=survey, instance_id=instance_id, deprecated_id=deprecated_id, device=device,
                            xml=xml, xml_sha256=digest,
                            status=Submission.Status.ENCRYPTED if encrypted else Submission.Status.STORED)
    if not encrypted:
        apply_answers(submission=submission, root=root, actor=actor, save=False)
    submission.save()  # a concurrent twin makes this raise IntegrityError: receive() answers 409
    if files:
        _add_attachments(submission, files)
    return Outcome(201, _("Thank you: your submission was received."), submission)


def apply_answers(*, submission: Submission, root, actor=None, save: bool = True) -> None:
    """Create (or, for an edit, update) the report from a plaintext instance. `actor`: the staff
    user who sent or decrypted it, or None for a device token. An edit is made as that user, or
    as roles.FIELD_DEVICE: one that would change what the public sees of a published report needs
    the publish permission, so a device's edit of such a report is refused (and kept)."""
    survey = submission.survey
    if root.get("id", "") != survey.form_id:
        raise Rejected(400, _("The submission does not match the form."))
    submission.form_version = root.get("version", "")[:100]
    try:
        if survey.from_xlsform:
            # Any shape the form allows: ODK Collect checked the answers against the XForm.
            submission.data = xform.instance_answers(outline_for(survey, submission.form_version), root)
            values = answers.values_from_data(survey, submission.data)
            fields = answers.report_fields(survey, values,
                                           extra_description=repeat_summary(survey, submission.data))
        else:
            values = answers.clean_answers(survey, raw_answers(survey, root))
            submission.data = xform.instance_answers({}, root)
            fields = answers.report_fields(survey, values)
        earlier = _earlier(submission)
        if earlier is not None and earlier.report_id:
            editor = actor if actor is not None else roles.FIELD_DEVICE
            report = report_services.update_report(report=earlier.report, actor=editor, **fields)
            Submission.objects.filter(pk=earlier.pk).update(status=Submission.Status.SUPERSEDED)
        else:
            report = report_services.create_report(
                **fields, categories=answers.report_categories(survey, values), source="odk", actor=actor)
    except (answers.AnswerError, ValidationError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        raise Rejected(400, message) from None
    except PermissionDenied:
        raise Rejected(403, _("This edit would change a report the public can see: an editor with the publish "
                              "permission must review it in the console.")) from None
    submission.report = report
    if save:
        submission.save(update_fields=["report", "data", "form_version"])


def _photo_names(submission: Submission) -> set[str]:
    """The file names the instance gives as answers to photo questions (in repeats too)."""
    survey = submission.survey
    if not survey.from_xlsform:
        return answers.photo_names(survey, submission.report.custom_values)
    outline = outline_for(survey, submission.form_version)
    photos = {n["path"] for n in xform.walk(outline.get("nodes", []))
              if n["kind"] == "question" and n.get("mediatype", "").startswith("image/")}
    return set(xform.values_at(submission.data, photos))


def outline_for(survey: Survey, version: str) -> dict:
    """The outline of the form version the phone filled (an older one after a new upload)."""
    if version == survey.xform_version or not version:
        return survey.outline
    older = survey.versions.filter(version=version).values_list("outline", flat=True).first()
    return older or survey.outline


def repeat_summary(survey: Survey, data: dict) -> str:
    """"Label: n" for each repeat answered, so the report says what the repeats hold."""
    lines = []
    for node in xform.repeats(survey.outline.get("nodes", [])):
        rows = xform.value_at(data, node["path"])
        if isinstance(rows, list) and rows:
            label = xform.text_in(node.get("label") or {}, "es") or node["name"]
            lines.append(f"{label}: {len(rows)}")
    return "\n".join(lines)


def _earlier(submission: Submission) -> Submission | None:
    if not submission.deprecated_id:
        return None
    return (Submission.objects.select_for_update().filter(instance_id=submission.deprecated_id,
                                                          survey=submission.survey).first())


def _add_attachments(submission: Submission, files: dict[str, tuple[bytes, str]]) -> None:
    have = set(submission.attachments.values_list("name", flat=True))
    for name, (data, content_type) in files.items():
        if name in have:
            continue
        attachment = SubmissionAttachment.objects.create(
            submission=submission, name=name, content_type=content_type[:100], data=data,
            sha256=hashlib.sha256(data).hexdigest())
        attach_photo(submission, attachment)


def attach_photo(submission: Submission, attachment: SubmissionAttachment) -> None:
    """Add a photo answer to the report through the media sanitiser (EXIF and GPS removed)."""
    if submission.report_id is None or submission.status == Submission.Status.ENCRYPTED:
        return
    if attachment.name not in _photo_names(submission):
        return
    try:
        clean = sanitise_image(name=attachment.name, data=bytes(attachment.data))
    except ValidationError:
        return  # kept as a raw attachment for staff; not shown as a picture
    media = Media(report=submission.report, content_type=clean.content_type, extension=clean.extension,
                  sha256=clean.sha256, size=len(clean.content), width=clean.width, height=clean.height)
    media.file.save(f"x{clean.extension}", ContentFile(clean.content), save=False)
    media.save()
    attachment.media = media
    attachment.save(update_fields=["media"])
    audit.record(action="report.media_added", obj=submission.report,
                 data={"sha256": clean.sha256, "submission": submission.instance_id})


def decrypt_pending(*, survey: Survey, passphrase: str, actor) -> tuple[int, int]:
    """Decrypt every encrypted submission waiting for `survey` with the staff passphrase.
    Returns (decrypted, rejected); a tampered submission is marked rejected with the reason."""
    return decrypt_with_key(survey=survey, key=encryption.unwrap_private_key(survey.wrapped_private_key, passphrase),
                            actor=actor)


@transaction.atomic
def decrypt_with_key(*, survey: Survey, key, actor) -> tuple[int, int]:
    """Decrypt the waiting submissions with a private key (the staff's unwrapped one, or an uploaded
    XLSForm's own, given for this decryption only)."""
    done = failed = waiting = 0
    for submission in Submission.objects.select_for_update().filter(survey=survey,
                                                                     status=Submission.Status.ENCRYPTED):
        try:
            with transaction.atomic():
                _decrypt_one(submission, key, actor)
            done += 1
        except encryption.FileNotArrived:
            waiting += 1  # stays encrypted until its last attachment arrives
        except (encryption.DecryptionError, Rejected) as exc:
            Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.REJECTED, error=str(exc))
            failed += 1
    audit.record(action="survey.decrypted", actor=actor, obj=survey, data={"decrypted": done, "rejected": failed, "waiting": waiting})
    return done, failed


def _decrypt_one(submission: Submission, key, actor) -> None:
    manifest_root = ElementTree.fromstring(bytes(submission.xml))
    manifest = encryption.read_manifest(manifest_root)
    files = {a.name: bytes(a.data) for a in submission.attachments.all()}
    xml, media = encryption.decrypt_submission(key=key, manifest=manifest, files=files)
    root, instance_id, _deprecated = read_instance(xml)
    if instance_id != submission.instance_id:
        raise encryption.DecryptionError(_("The decrypted instanceID differs from the manifest's."))
    submission.status = Submission.Status.STORED
    apply_answers(submission=submission, root=root, actor=actor)
    submission.save(update_fields=["status"])
    for name, data in media.items():
        attachment = SubmissionAttachment.objects.create(submission=submission, name=name, data=data,
                                                         sha256=hashlib.sha256(data).hexdigest())
        attach_photo(submission, attachment)
