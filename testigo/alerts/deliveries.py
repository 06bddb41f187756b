"""Who receives an alert, and putting it into the outbox for them (channels.outbox.queue_many).

Each person gets at most one message per alert (deduplicated here, and a unique constraint on
AlertDelivery), people who sent STOP are left out, and automatic alerts respect the cool-down.
Sending is the outbox's: its workers send at each channel's rate.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.utils import timezone

from testigo.alerts import selectors
from testigo.alerts.models import Alert, AlertDelivery, Subscription, Zone
from testigo.alerts.selectors import Recipient
from testigo.channels import outbox
from testigo.channels import selectors as channel_selectors
from testigo.channels.models import Channel
from testigo.channels.types import get as get_type

CANCELLED = "cancelled by a coordinator"


def choose(recipients: list[Recipient], *, cooldown: bool) -> list[Recipient]:
    """One recipient per person; with `cooldown`, skip areas a person heard about recently."""
    blocked = set()
    if cooldown:
        blocked = selectors.in_cooldown({r.contact_id for r in recipients}, {r.area_key for r in recipients})
    chosen: dict[int, Recipient] = {}
    for r in recipients:
        if r.contact_id not in chosen and (r.contact_id, r.area_key) not in blocked:
            chosen[r.contact_id] = r
    return list(chosen.values())


def queue_alert(*, alert: Alert, recipients: list[Recipient], text_for: Callable[[str, str], str],
                cooldown: bool, actor=None) -> int:
    """Queue `text_for(language, scheme)` to each chosen recipient; returns how many were queued.

    Must run inside the caller's transaction; sending starts after commit."""
    already = set(AlertDelivery.objects.filter(alert=alert).values_list("contact_id", flat=True))
    defaults = channel_selectors.default_channels()
    active = dict(Channel.objects.filter(is_active=True).values_list("pk", "type"))
    templated = {pk for pk, type_code in active.items() if getattr(get_type(type_code), "templates", False)}
    texts: dict[tuple[str, str], str] = {}
    routed, chosen = [], {}
    for r in choose(recipients, cooldown=cooldown):
        channel_id = r.channel_id if r.channel_id in active else defaults.get(r.scheme)
        if channel_id is None or r.contact_id in already:
            continue
        key = (r.language, r.scheme)
        if key not in texts:
            texts[key] = text_for(r.language, r.scheme)
        routed.append((r, channel_id))
        chosen[r.contact_id] = r
    # Only channels that send templates (WhatsApp) need to know how: SMS rows carry nothing extra.
    places = _places(alert, [r for r, channel_id in routed if channel_id in templated])
    messages = [outbox.Outgoing(channel_id=channel_id, contact_id=r.contact_id, text=texts[(r.language, r.scheme)],
                                template=template_for(r, places) if channel_id in templated else None)
                for r, channel_id in routed]
    queued = outbox.queue_many(messages=messages, report_id=alert.report_id,
                               actor_id=getattr(actor, "pk", None))
    _insert_deliveries(alert, [(chosen[contact_id], pk) for contact_id, pk in queued.items()])
    return len(queued)


def template_for(recipient: Recipient, places: dict[int, tuple[str, str]]) -> dict:
    """How the alert goes where only approved templates may (WhatsApp outside its 24-hour window,
    channels.wa_templates): as an alert template in the subscriber's language; a two-variable
    template also gets the name of the subscriber's zone the alert is about (none for a point and
    radius or a broadcast to everyone: the site's name is used)."""
    es, en = places.get(recipient.subscription_id, ("", ""))
    place = en if recipient.language == "en" and en else es
    spec = {"purpose": "alert", "language": recipient.language}
    return {**spec, "place": place} if place else spec


def _places(alert: Alert, recipients: list[Recipient]) -> dict[int, tuple[str, str]]:
    """{subscription id: (Spanish, English) name of the zone the alert reached them through}: the
    zone of their area key (report and rule alerts), else one of the broadcast's zones they chose."""
    zone_of = {r.subscription_id: int(r.area_key[1:]) for r in recipients
               if r.area_key.startswith("z") and r.area_key[1:].isdigit()}
    if not recipients:
        return {}
    broadcast_zones = set(alert.zones.values_list("pk", flat=True)) if alert.pk else set()
    if broadcast_zones:
        pending = [r.subscription_id for r in recipients if r.subscription_id not in zone_of]
        chosen = Subscription.zones.through.objects.filter(subscription_id__in=pending, zone_id__in=broadcast_zones)
        for subscription_id, zone_id in chosen.order_by("zone_id").values_list("subscription_id", "zone_id"):
            zone_of.setdefault(subscription_id, zone_id)
    names = {pk: (es, en) for pk, es, en in Zone.objects.filter(pk__in=set(zone_of.values()))
             .values_list("pk", "name_es", "name_en")}
    return {sub: names[zone] for sub, zone in zone_of.items() if zone in names}


def _insert_deliveries(alert: Alert, rows: list[tuple[Recipient, int]]) -> None:
    """One executemany: a broadcast to 100,000 people records 100,000 deliveries (see queue_many)."""
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(AlertDelivery._meta.db_table)
    sql = (f"INSERT INTO {table} (alert_id, contact_id, subscription_id, outbound_id, area_key, created_at) "
           "VALUES (%s, %s, %s, %s, %s, %s)")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(alert.pk, r.contact_id, r.subscription_id, pk, r.area_key, when) for r, pk in rows])


def cancel_pending(*, alert: Alert) -> int:
    """Withdraw the alert's messages that no worker has claimed yet; returns how many."""
    ids = AlertDelivery.objects.filter(alert=alert, outbound__isnull=False).values_list("outbound_id", flat=True)
    return outbox.withdraw(ids=ids, reason=CANCELLED)
