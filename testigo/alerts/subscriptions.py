"""Writes to subscriptions: sign up on the web (confirmed by a code sent to the address), sign up
by keyword (ALERTA <zona>), confirm, cancel.

Why a code: so nobody can sign up someone else's phone. Codes are 6 digits, stored hashed, expire,
and failed attempts are throttled per address (CodeThrottle), so guessing is not practical.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from testigo.alerts import text as texts
from testigo.alerts.models import CodeThrottle, Subscription, Zone
from testigo.alerts.selectors import zone_names
from testigo.channels import contacts, outbox
from testigo.channels.models import Channel, Contact
from testigo.channels.selectors import default_channels
from testigo.core import audit

CODE_DIGITS = 6  # 1 in a million per guess; with CODE_MAX_FAILURES per lock period, guessing is hopeless
SCHEMES = {"tel", "telegram", "mailto"}
# Each sign-up sends a message to an address the visitor merely typed: without caps, the form
# could be used to flood someone's phone (and the NGO's SMS bill). Per address: 3 an hour and
# 6 a day is enough for a person who mistyped a code or two.
CODES_PER_HOUR = 3
CODES_PER_DAY = 6
# For every address together: TESTIGO_ALERT_CODES_PER_HOUR (settings). The count is of sign-ups
# stored, not of who asked: no IP address is ever stored for a public form.
DEFAULT_CODES_PER_HOUR_TOTAL = 200


def _hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def normalise_address(scheme: str, address: str) -> str:
    """The contact address in its stored form, or a ValidationError saying what is wrong."""
    address = (address or "").strip()
    if scheme not in SCHEMES or not address:
        raise ValidationError(_("Give a phone number, an e-mail address or a Telegram chat id."))
    if scheme == "mailto":
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(_("This e-mail address is not valid.")) from exc
    elif scheme == "telegram" and not address.lstrip("-").isdigit():
        raise ValidationError(_("A Telegram chat id is a number: write to our bot to get yours."))
    try:
        normal = contacts.normalise(scheme, address)
    except contacts.NotAnAddress:
        normal = ""
    if scheme == "tel" and not _valid_phone(normal):
        raise ValidationError(_("This phone number could not be understood. Include the country code, e.g. +504."))
    return normal


def _valid_phone(e164: str) -> bool:
    try:
        return e164.startswith("+") and phonenumbers.is_valid_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return False


@transaction.atomic
def start(*, scheme: str, address: str, language: str, zone_ids: list[int], categories: list,
          lat: float | None = None, lon: float | None = None, radius_km: float | None = None) -> Subscription:
    """Create an unconfirmed subscription and send its confirmation code to the address."""
    address = normalise_address(scheme, address)
    zones = list(Zone.objects.filter(pk__in=zone_ids or [], is_active=True))
    point = lat is not None and lon is not None and radius_km
    if not zones and not point:
        raise ValidationError(_("Choose at least one zone, or a point and a distance."))
    if point and not (0 < radius_km <= settings.ALERT_MAX_RADIUS_KM and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(_("The distance must be between 0 and %(km)d km.") % {"km": settings.ALERT_MAX_RADIUS_KM})
    channel = _channel_for(scheme)
    if scheme != "mailto" and channel is None:
        raise ValidationError(_("Alerts by this means are not available on this service."))
    contact = _contact_for_code(scheme, address, language)
    code = "".join(secrets.choice("0123456789") for _i in range(CODE_DIGITS))
    sub = Subscription.objects.create(
        contact=contact, channel=channel, language=language[:2] or "es", source="web",
        lat=lat if point else None, lon=lon if point else None, radius_m=int(radius_km * 1000) if point else None,
        code_hash=_hash(code), code_expires_at=timezone.now() + timedelta(minutes=settings.ALERT_CODE_TTL_MINUTES))
    sub.zones.set(zones)
    sub.categories.set(categories)
    _send_code(sub, contact, channel, code)
    return sub


def _contact_for_code(scheme: str, address: str, language: str) -> Contact:
    """The contact a code may be sent to now, locked until the transaction ends so that
    simultaneous sign-ups for one address are counted one after the other. Refuses (ValidationError,
    nothing written) an address that sent STOP, or one over a cap."""
    existing = Contact.objects.select_for_update().filter(scheme=scheme, address=address).first()
    if existing is not None and existing.opted_out_at is not None:
        # Only the person may lift their STOP, by writing to us (ALERTA <zona>) from that address.
        raise ValidationError(_("This address asked us to stop sending it messages, so we will not send it a "
                                "code. To sign up again, send ALERT and the name of your zone from it."))
    now = timezone.now()
    web = Subscription.objects.filter(source="web")
    if web.filter(created_at__gte=now - timedelta(hours=1)).count() >= _codes_per_hour_total():
        raise ValidationError(_("Too many sign-ups right now. Please try again in an hour."))
    if existing is not None:
        mine = web.filter(contact=existing)
        if mine.filter(created_at__gte=now - timedelta(hours=1)).count() >= CODES_PER_HOUR:
            raise ValidationError(_("We already sent several codes to this address. Try again in an hour."))
        if mine.filter(created_at__gte=now - timedelta(days=1)).count() >= CODES_PER_DAY:
            raise ValidationError(_("We already sent several codes to this address today. Try again tomorrow."))
        return existing
    contact, _created = Contact.objects.get_or_create(scheme=scheme, address=address,
                                                      defaults={"language": language[:2]})
    return contact


def _codes_per_hour_total() -> int:
    return int(getattr(settings, "ALERT_CODES_PER_HOUR", DEFAULT_CODES_PER_HOUR_TOTAL))


def _channel_for(scheme: str) -> Channel | None:
    pk = default_channels().get(scheme)
    return Channel.objects.filter(pk=pk).first() if pk else None


def _send_code(sub: Subscription, contact: Contact, channel: Channel | None, code: str) -> None:
    message = texts.confirmation(language=sub.language, code=code)
    if contact.scheme == "mailto" and channel is None:
        with translation.override(sub.language):
            subject = _("Confirm your alerts")
        transaction.on_commit(lambda: send_mail(subject, message, None, [contact.address], fail_silently=True))
        return
    # Never forced past a STOP: _contact_for_code refused such an address already.
    outbox.queue(channel=channel, contact=contact, text=message)


def confirm(*, subscription_id: int, code: str) -> Subscription:
    """Activate a subscription with its code. Failures are counted per address and lock it for a while."""
    sub = Subscription.objects.select_related("contact").filter(pk=subscription_id).first()
    if sub is None:
        raise ValidationError(_("This sign-up was not found. Start again."))
    throttle, _created = CodeThrottle.objects.get_or_create(address=sub.contact.urn[:300])
    now = timezone.now()
    if throttle.locked_until and throttle.locked_until > now:
        raise ValidationError(_("Too many wrong codes. Try again in %(m)d minutes.")
                              % {"m": settings.ALERT_CODE_LOCK_MINUTES})
    if sub.confirmed_at:
        return sub
    good = bool(sub.code_hash) and hmac.compare_digest(sub.code_hash, _hash((code or "").strip()))
    if not good or (sub.code_expires_at and sub.code_expires_at < now):
        with transaction.atomic():
            throttle.failures += 1
            if throttle.failures >= settings.ALERT_CODE_MAX_FAILURES:
                throttle.failures, throttle.locked_until = 0, now + timedelta(minutes=settings.ALERT_CODE_LOCK_MINUTES)
            throttle.save()
        raise ValidationError(_("This code is wrong or has expired."))
    with transaction.atomic():
        throttle.failures = 0
        throttle.save()
        sub.confirmed_at, sub.code_hash = now, ""
        sub.save(update_fields=["confirmed_at", "code_hash"])
        _reactivate(sub.contact)
        audit.record(action="alerts.subscribed", obj=sub, data={"source": "web", "scheme": sub.contact.scheme})
    return sub


def _reactivate(contact: Contact) -> None:
    """Confirming a sign-up is an explicit wish to hear from us again, even after an earlier STOP."""
    if contact.opted_out_at is not None:
        contact.opted_out_at = None
        contact.save(update_fields=["opted_out_at"])


def handle_alert_keyword(*, channel: Channel, contact: Contact, text: str, language: str) -> str:
    """`ALERTA <zona>` / `ALERT <zone>`: subscribe the sender to that zone (all categories) and
    return the reply. Unknown or ambiguous names get the closest zone names instead."""
    language = (language or "es")[:2]
    with translation.override(language):
        wanted = texts.fold(text)
        names = zone_names()
        if not wanted:
            suggestions = sorted(names.values())[:5]
            return _("Send ALERT and the name of your zone, e.g. ALERT %(zone)s.") % {
                "zone": suggestions[0] if suggestions else _("Centre")}
        if wanted not in names:
            matches = texts.closest(wanted, names)
            if len(matches) == 1 and texts.fold(matches[0]).startswith(wanted):
                wanted = texts.fold(matches[0])
            elif matches:
                return _("We did not find “%(name)s”. Did you mean: %(list)s? Send ALERT and the name.") % {
                    "name": text.strip()[:40], "list": ", ".join(matches)}
            else:
                return _("We did not find the zone “%(name)s”. Send ALERT and the name of a municipality or colonia.") % {
                    "name": text.strip()[:40]}
        zone = Zone.objects.filter(is_active=True).filter(key=wanted).first() or \
            next(z for z in Zone.objects.filter(is_active=True) if texts.fold(z.name_en) == wanted)
        _subscribe_by_keyword(channel=channel, contact=contact, zone=zone, language=language)
        return _("You will receive alerts for %(zone)s. Send STOP to stop all messages.") % {"zone": zone.name}


def on_alert_keyword(message, parsed) -> str:
    """The ALERT keyword's handler in channels' registry: the reply to an SMS `ALERTA <zona>`."""
    return handle_alert_keyword(channel=message.channel, contact=message.contact, text=parsed.rest,
                                language=contacts.language_of(message.contact))


@transaction.atomic
def _subscribe_by_keyword(*, channel: Channel, contact: Contact, zone: Zone, language: str) -> Subscription:
    # The message came from this address, so the address is proven: no code needed.
    sub = (Subscription.objects.filter(contact=contact, cancelled_at__isnull=True, source="keyword",
                                       lat__isnull=True).first()
           or Subscription.objects.create(contact=contact, channel=channel, language=language, source="keyword",
                                          confirmed_at=timezone.now()))
    sub.zones.add(zone)
    if sub.channel_id != channel.pk or sub.language != language:
        sub.channel, sub.language = channel, language
        sub.save(update_fields=["channel", "language"])
    _reactivate(contact)
    audit.record(action="alerts.subscribed", obj=sub, data={"source": "keyword", "zone": zone.pk})
    return sub


@transaction.atomic
def cancel(*, subscription: Subscription) -> None:
    """Stop one subscription (STOP/BAJA stops all of them through the contact's opt-out)."""
    subscription.cancelled_at = timezone.now()
    subscription.save(update_fields=["cancelled_at"])
    audit.record(action="alerts.unsubscribed", obj=subscription, data={})
