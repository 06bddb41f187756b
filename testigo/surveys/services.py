"""Every staff write on surveys and devices: keyword-only, validated, transactional, audited."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.reports.models import Category
from testigo.surveys import encryption, schema, xlsform
from testigo.surveys.models import Device, Survey, SurveyMediaFile, SurveyVersion

# 32 random bytes: a device token is a bearer credential typed once into ODK Collect.
TOKEN_BYTES = 32
# Form media: what ODK Collect can show or read, by extension (no HTML or SVG: they could run
# script if opened in a browser). The limit keeps phones on slow links able to fetch forms.
MEDIA_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".mp3", ".wav", ".m4a", ".ogg", ".amr",
                    ".aac", ".flac", ".opus", ".3ga", ".mp4", ".3gp", ".mov", ".webm", ".mkv", ".avi", ".csv", ".xml",
                    ".geojson", ".txt"}
MEDIA_MAX_BYTES = 10 * 1024 * 1024
MEDIA_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _unique_form_id(wanted: str, exclude_pk: int | None = None) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", slugify(wanted or "encuesta").replace("-", "_"))[:50] or "encuesta"
    if not base[0].isalpha():
        base = f"f_{base}"
    candidate, n = base, 1
    while Survey.objects.filter(form_id=candidate).exclude(pk=exclude_pk).exists():
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _render_xform(survey: Survey) -> None:
    """Regenerate the XForm served to ODK Collect (and its md5 for formList)."""
    from pyxform.errors import PyXFormError

    if not survey.fields:  # nothing to ask yet: not served until it has a field
        survey.xform = survey.xform_md5 = ""
        return
    try:
        survey.xform = xlsform.to_xform(fields=survey.fields, form_id=survey.form_id, title=survey.name_es,
                                        version=survey.version,
                                        public_key=survey.public_key if survey.encrypted else "")
    except PyXFormError as exc:
        raise ValidationError(_("The XLSForm converter reports: %(message)s") % {"message": str(exc)}) from None
    survey.xform_md5 = hashlib.md5(survey.xform.encode("utf-8")).hexdigest()


def _check(fields: list[dict], name_es: str) -> None:
    errors = schema.validate_fields(fields)
    if not name_es.strip():
        errors.insert(0, _("The survey needs a name."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_survey(*, actor, name_es: str, name_en: str = "", fields: list[dict] | None = None,
                  form_id: str = "", category: Category | None = None) -> Survey:
    """Create a survey; refuses invalid fields with every problem listed."""
    roles.require(actor, roles.MANAGE_SURVEYS)
    fields = fields or []
    _check(fields, name_es)
    survey = Survey(name_es=name_es.strip(), name_en=name_en.strip(), fields=fields,
                    form_id=_unique_form_id(form_id or name_es), category=category)
    _render_xform(survey)
    survey.save()
    audit.record(action="survey.created", actor=actor, obj=survey,
                 data={"form_id": survey.form_id, "fields": len(fields)})
    return survey


@transaction.atomic
def update_survey(*, actor, survey: Survey, fields: list[dict] | None = None, **changes) -> Survey:
    """Change a survey's fields or settings; bumps the version so phones fetch the new form."""
    roles.require(actor, roles.MANAGE_SURVEYS)
    allowed = {"name_es", "name_en", "category", "is_active", "title_field", "description_field", "occurred_field",
               "location_field", "category_field"}
    if set(changes) - allowed:
        raise ValueError(f"not editable: {sorted(set(changes) - allowed)}")
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    for key, value in changes.items():
        setattr(survey, key, value)
    if survey.from_xlsform:
        if fields is not None:
            raise ValidationError(_("This survey comes from an XLSForm: change the spreadsheet and upload it again "
                                    "with a new version."))
        if not survey.name_es.strip():
            raise ValidationError(_("The survey needs a name."))
        survey.save()
        audit.record(action="survey.edited", actor=actor, obj=survey, data={"changed": sorted(changes)})
        return survey
    if fields is not None:
        survey.fields = fields
    _check(survey.fields, survey.name_es)
    survey.version += 1
    _render_xform(survey)
    survey.save()
    audit.record(action="survey.edited", actor=actor, obj=survey,
                 data={"version": survey.version, "changed": sorted(changes) + (["fields"] if fields is not None else [])})
    return survey


def import_xlsform(*, actor, data: bytes, filename: str = "", files: dict[str, bytes] | None = None,
                   version_of: str = "") -> Survey:
    """Publish an uploaded XLSForm (.xlsx or .xls) as pyxform converts it, as ODK Central does:
    a new form id creates a survey; the same form id with a new `version` publishes a new
    version of that survey (earlier submissions stay readable); the same version with different
    content is refused. `files` are form attachments (media, CSV choice lists) supplied with it.
    `version_of`: the form id the upload must be a new version of (a survey page's upload box).
    Raises xlsform.XLSFormError (every problem, translated) or ValidationError."""
    roles.require(actor, roles.MANAGE_SURVEYS)
    converted = xlsform.convert_xlsform(data, filename)
    if version_of and converted.form_id != version_of:
        raise ValidationError(_("This file is the form “%(found)s”, not a version of “%(wanted)s”: set form_id to "
                                "“%(wanted)s” in its settings sheet, or upload it from Surveys → Upload an XLSForm to "
                                "create a new survey.") % {"found": converted.form_id, "wanted": version_of})
    with transaction.atomic():
        survey = Survey.objects.select_for_update().filter(form_id=converted.form_id).first()
        if survey is None:
            survey = _create_from_xlsform(actor=actor, converted=converted, data=data, filename=filename)
        elif survey.xform != converted.xform:
            _publish_version(actor=actor, survey=survey, converted=converted, data=data, filename=filename)
        if converted.itemsets:  # select_one_external: pyxform writes the choices ODK Collect reads
            add_media_file(actor=actor, survey=survey, name="itemsets.csv", data=converted.itemsets.encode("utf-8"))
        for name, content in (files or {}).items():
            add_media_file(actor=actor, survey=survey, name=name, data=content)
    return survey


def _xlsform_state(converted, data: bytes, filename: str) -> dict:
    return {"xlsform": data, "xlsform_name": filename[:200], "xform": converted.xform,
            "xform_md5": hashlib.md5(converted.xform.encode("utf-8")).hexdigest(),
            "xform_version": converted.version[:100], "outline": converted.outline, "fields": converted.fields,
            "web_blockers": converted.blockers, "conversion_warnings": converted.warnings,
            "encrypted": bool(converted.outline.get("public_key")), "public_key": converted.outline.get("public_key", "")}


def _create_from_xlsform(*, actor, converted, data: bytes, filename: str) -> Survey:
    title = converted.title or filename.rsplit(".", 1)[0] or _("Imported survey")
    survey = Survey(origin=Survey.Origin.XLSFORM, form_id=converted.form_id, name_es=title[:200],
                    **_xlsform_state(converted, data, filename))
    survey.save()
    _keep_version(survey)
    audit.record(action="survey.created", actor=actor, obj=survey,
                 data={"form_id": survey.form_id, "version": survey.xform_version, "xlsform": filename,
                       "web_form": survey.web_form})
    return survey


def _publish_version(*, actor, survey: Survey, converted, data: bytes, filename: str) -> None:
    if not survey.from_xlsform:
        raise ValidationError(_("The form id “%(id)s” belongs to a survey built in the console. Change form_id in "
                                "the XLSForm's settings sheet.") % {"id": survey.form_id})
    if survey.versions.filter(version=converted.version[:100]).exists():
        raise ValidationError(_("Version “%(version)s” of the form “%(id)s” was already published with different "
                                "content. Change the version in the XLSForm's settings sheet to publish the new "
                                "one; submissions made with earlier versions stay readable.")
                              % {"version": converted.version or _("(none)"), "id": survey.form_id})
    for key, value in _xlsform_state(converted, data, filename).items():
        setattr(survey, key, value)
    survey.version += 1
    survey.save()
    _keep_version(survey)
    audit.record(action="survey.version_published", actor=actor, obj=survey,
                 data={"form_id": survey.form_id, "version": survey.xform_version, "xlsform": filename,
                       "web_form": survey.web_form})


def _keep_version(survey: Survey) -> None:
    SurveyVersion.objects.create(survey=survey, version=survey.xform_version, xlsform=survey.xlsform,
                                 xlsform_name=survey.xlsform_name, xform=survey.xform, outline=survey.outline)


@transaction.atomic
def enable_encryption(*, actor, survey: Survey, passphrase: str) -> Survey:
    """Make a survey encrypted: a new RSA key pair; the private key is kept wrapped by the
    passphrase (never stored). Phones must download the new form version."""
    roles.require(actor, roles.MANAGE_SURVEYS)
    if survey.from_xlsform:
        raise ValidationError(_("This survey comes from an XLSForm: set public_key in its settings sheet to encrypt "
                                "it, and upload it again with a new version."))
    public, private = encryption.new_key_pair()
    try:
        wrapped = encryption.wrap_private_key(private, passphrase)
    except encryption.DecryptionError as exc:
        raise ValidationError(str(exc)) from None
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    survey.encrypted, survey.public_key, survey.wrapped_private_key = True, public, wrapped
    survey.version += 1
    _render_xform(survey)
    survey.save()
    audit.record(action="survey.encryption_enabled", actor=actor, obj=survey,
                 data={"public_key_sha256": hashlib.sha256(public.encode()).hexdigest()})
    return survey


@transaction.atomic
def add_device(*, actor, name: str) -> tuple[Device, str]:
    """Register a phone; returns the device and its token (shown once, only its hash is kept)."""
    roles.require(actor, roles.MANAGE_SURVEYS)
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the device a name."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    device = Device.objects.create(name=name[:100], token_hash=hash_token(token),
                                   created_by=roles.person(actor))
    audit.record(action="survey.device_added", actor=actor, obj=device, data={"name": device.name})
    return device, token


@transaction.atomic
def revoke_device(*, actor, device: Device) -> Device:
    """Stop a phone's token from working; its past submissions stay."""
    roles.require(actor, roles.MANAGE_SURVEYS)
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        audit.record(action="survey.device_revoked", actor=actor, obj=device, data={"name": device.name})
    return device


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def save_field(*, actor, survey: Survey, spec: dict, index: int | None = None) -> Survey:
    """Add a field (index None) or replace the field at `index`; a rename also renames the
    conditions that pointed at the old name."""
    fields = [dict(f) for f in survey.fields]
    if index is None:
        fields.append(spec)
    else:
        old_name = fields[index]["name"]
        fields[index] = spec
        for field in fields:
            if (field.get("relevant") or {}).get("field") == old_name and old_name != spec["name"]:
                field["relevant"] = {**field["relevant"], "field": spec["name"]}
    return update_survey(actor=actor, survey=survey, fields=fields)


def move_field(*, actor, survey: Survey, index: int, offset: int) -> Survey:
    """Move a field up (offset -1) or down (+1)."""
    fields = list(survey.fields)
    target = index + offset
    if not (0 <= index < len(fields) and 0 <= target < len(fields)):
        return survey
    fields[index], fields[target] = fields[target], fields[index]
    return update_survey(actor=actor, survey=survey, fields=fields)


def remove_field(*, actor, survey: Survey, index: int) -> Survey:
    """Remove a field; refused (ValidationError) while another field's condition depends on it.
    Answers already stored with reports are kept."""
    fields = [f for i, f in enumerate(survey.fields) if i != index]
    return update_survey(actor=actor, survey=survey, fields=fields)


@transaction.atomic
def add_media_file(*, actor, survey: Survey, name: str, data: bytes) -> SurveyMediaFile:
    """Attach a file the form refers to (jr://images/<name>, ...), or replace the one with that
    name. Bumps the form version so phones fetch the new manifest."""
    roles.require(actor, roles.MANAGE_SURVEYS)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if not MEDIA_NAME_RE.match(name) or ".." in name:
        raise ValidationError(_("“%(name)s” cannot be used as a form file name: use letters, digits, _ . - and no "
                                "spaces (the form refers to the file by this name).") % {"name": name})
    if extension not in MEDIA_EXTENSIONS:
        raise ValidationError(_("Files of type “%(ext)s” cannot be attached to a form. Allowed: %(allowed)s.")
                              % {"ext": extension or name, "allowed": " ".join(sorted(MEDIA_EXTENSIONS))})
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > MEDIA_MAX_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": MEDIA_MAX_BYTES // (1024 * 1024)})
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    media, _created = SurveyMediaFile.objects.update_or_create(
        survey=survey, name=name, defaults={"data": data, "md5": hashlib.md5(data).hexdigest(), "size": len(data),
                                            "content_type": content_type})
    _new_version(survey)
    audit.record(action="survey.media_added", actor=actor, obj=survey,
                 data={"name": name, "md5": media.md5, "size": media.size})
    return media


@transaction.atomic
def remove_media_file(*, actor, survey: Survey, name: str) -> None:
    roles.require(actor, roles.MANAGE_SURVEYS)
    deleted, _detail = SurveyMediaFile.objects.filter(survey=survey, name=name).delete()
    if deleted:
        _new_version(survey)
        audit.record(action="survey.media_removed", actor=actor, obj=survey, data={"name": name})


def _new_version(survey: Survey) -> None:
    # ODK Collect looks at the manifest again when the form's version and hash change. An
    # uploaded XLSForm is served as written: Collect compares the manifest's file hashes itself.
    if survey.from_xlsform:
        return
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    locked.version += 1
    _render_xform(locked)
    locked.save(update_fields=["version", "xform", "xform_md5", "updated_at"])
    survey.version, survey.xform, survey.xform_md5 = locked.version, locked.xform, locked.xform_md5
