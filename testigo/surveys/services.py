"""Every staff write on surveys and devices: keyword-only, validated, transactional, audited."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.reports.models import Category
from testigo.surveys import encryption, schema, xlsform
from testigo.surveys.models import Device, Survey

# 32 random bytes: a device token is a bearer credential typed once into ODK Collect.
TOKEN_BYTES = 32


def require_manager(user) -> None:
    if user is not None and not roles.can(user, roles.MANAGE_CATEGORIES):
        raise PermissionDenied(_("You do not have permission to do this."))


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
    require_manager(actor)
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
    require_manager(actor)
    allowed = {"name_es", "name_en", "category", "is_active", "title_field", "description_field", "occurred_field"}
    if set(changes) - allowed:
        raise ValueError(f"not editable: {sorted(set(changes) - allowed)}")
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    for key, value in changes.items():
        setattr(survey, key, value)
    if fields is not None:
        survey.fields = fields
    _check(survey.fields, survey.name_es)
    survey.version += 1
    _render_xform(survey)
    survey.save()
    audit.record(action="survey.edited", actor=actor, obj=survey,
                 data={"version": survey.version, "changed": sorted(changes) + (["fields"] if fields is not None else [])})
    return survey


def import_xlsform(*, actor, data: bytes, filename: str = "") -> Survey:
    """Create a survey from an uploaded XLSForm (.xlsx). Raises xlsform.XLSFormError listing
    every unsupported feature with its sheet, row and column."""
    require_manager(actor)
    parsed = xlsform.read_xlsform(data)
    title = parsed.title or filename.rsplit(".", 1)[0] or _("Imported survey")
    return create_survey(actor=actor, name_es=title, fields=parsed.fields, form_id=parsed.form_id or title)


@transaction.atomic
def enable_encryption(*, actor, survey: Survey, passphrase: str) -> Survey:
    """Make a survey encrypted: a new RSA key pair; the private key is kept wrapped by the
    passphrase (never stored). Phones must download the new form version."""
    require_manager(actor)
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
    require_manager(actor)
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the device a name."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    device = Device.objects.create(name=name[:100], token_hash=hash_token(token),
                                   created_by=actor if actor is not None and actor.is_authenticated else None)
    audit.record(action="survey.device_added", actor=actor, obj=device, data={"name": device.name})
    return device, token


@transaction.atomic
def revoke_device(*, actor, device: Device) -> Device:
    """Stop a phone's token from working; its past submissions stay."""
    require_manager(actor)
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
