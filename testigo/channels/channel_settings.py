"""Adding and changing channels (administrators, or the operator's CLI)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.channels import addresses
from testigo.channels.models import Channel
from testigo.channels.types import get as get_type
from testigo.core import audit, roles

AUTO_SECRETS = {"secret", "secret_token", "verify_token"}


def _clean_channel(*, channel_type, name: str, config: dict, rate_per_second: float) -> tuple[str, dict]:
    """Validate a channel's settings (shared by adding and editing); returns (name, config)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the channel a name."))
    if not rate_per_second or rate_per_second <= 0 or rate_per_second > 1000:
        raise ValidationError(_("The rate must be between 0 and 1000 messages per second."))
    config = {k: str(v).strip() for k, v in config.items() if str(v).strip()}
    missing = [str(f.label) for f in channel_type.config_fields if f.required and not config.get(f.key)]
    if missing:
        raise ValidationError(_("Missing settings: %(fields)s.") % {"fields": ", ".join(missing)})
    for field in channel_type.config_fields:
        if field.kind in {"url", "host"} and config.get(field.key):
            # Also checked at every connection (addresses.connect): DNS may answer differently later.
            addresses.validate(kind=field.kind, value=config[field.key], label=field.label)
    return name[:100], config


@transaction.atomic
def add_channel(*, actor, type_code: str, name: str, config: dict | None = None, rate_per_second: float = 1.0,
                transliterate: bool = False) -> Channel:
    """Create a channel (admins, or the operator's CLI when actor is None). Missing URL secrets are
    generated, since every webhook must carry one."""
    import secrets as _secrets

    roles.require(actor, roles.MANAGE_CHANNELS)
    channel_type = get_type(type_code)
    if channel_type is None:
        raise ValidationError(_("Unknown channel type: %(type)s.") % {"type": type_code})
    config = {k: str(v).strip() for k, v in (config or {}).items() if str(v).strip()}
    for field in channel_type.config_fields:
        if field.key in AUTO_SECRETS and not config.get(field.key):
            config[field.key] = _secrets.token_urlsafe(24)
    name, config = _clean_channel(channel_type=channel_type, name=name, config=config,
                                  rate_per_second=rate_per_second)
    channel = Channel.objects.create(type=type_code, name=name, config=config,
                                     rate_per_second=rate_per_second, transliterate=transliterate)
    audit.record(action="channels.added", actor=actor, obj=channel, data={"type": type_code, "name": name})
    return channel


UNCHANGED = object()


@transaction.atomic
def update_channel(*, actor, channel: Channel, name: str, config: dict, rate_per_second: float,
                   transliterate: bool, is_active: bool, category=UNCHANGED) -> Channel:
    """Change a channel's settings (admins). A secret left empty keeps its stored value: pages never
    show secrets, so an empty field means "unchanged". A deactivated channel refuses its webhook
    and sends nothing; what waits in its outbox leaves once it is active again. `category` (a
    Category or None) files every report opened through the channel; omitted, it stays as it is."""
    roles.require(actor, roles.MANAGE_CHANNELS)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    channel_type = get_type(channel.type)
    if channel_type is None:
        raise ValidationError(_("Unknown channel type: %(type)s.") % {"type": channel.type})
    merged = dict(channel.config)
    for field in channel_type.config_fields:
        value = str(config.get(field.key, "")).strip()
        if value or not field.secret:
            merged[field.key] = value
    name, merged = _clean_channel(channel_type=channel_type, name=name, config=merged,
                                  rate_per_second=rate_per_second)
    changed = sorted(k for k in set(merged) | set(channel.config) if merged.get(k) != channel.config.get(k))
    if category is not UNCHANGED and (category.pk if category else None) != channel.category_id:
        changed.append("category")
        channel.category = category
    was_active = channel.is_active
    channel.name, channel.config, channel.rate_per_second = name, merged, rate_per_second
    channel.transliterate, channel.is_active = transliterate, is_active
    channel.save(update_fields=["name", "config", "rate_per_second", "transliterate", "is_active", "category"])
    action = "channels.updated"
    if was_active != is_active:
        action = "channels.activated" if is_active else "channels.deactivated"
    # Which settings changed, never their values (secrets).
    audit.record(action=action, actor=actor, obj=channel, data={"name": name, "settings_changed": changed,
                                                                 "active": is_active, "category": channel.category_id})
    return channel
