"""Reads with rules: who should receive an alert, previews of a broadcast, per-alert figures."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from testigo.alerts import geometry
from testigo.alerts.models import Alert, AlertDelivery, Subscription, Zone
from testigo.channels import encoding
from testigo.channels import selectors as channel_selectors
from testigo.channels.models import Channel, OutboundMessage
from testigo.core import roles
from testigo.reports.models import Category


@dataclass(frozen=True)
class Recipient:
    contact_id: int
    subscription_id: int
    channel_id: int | None
    scheme: str
    language: str
    area_key: str


def can_manage(user) -> bool:
    """Coordinators and admins run alerts (roles.MANAGE_ALERTS): zones, rules, broadcasts, approvals."""
    return roles.can(user, roles.MANAGE_ALERTS)


def active_subscriptions():
    """Confirmed, not cancelled, and the person has not sent STOP/BAJA on any channel."""
    return Subscription.objects.filter(confirmed_at__isnull=False, cancelled_at__isnull=True,
                                       contact__opted_out_at__isnull=True)


def _with_ancestors(category_ids: set[int]) -> set[int]:
    parents = dict(Category.objects.values_list("id", "parent_id"))
    out = set()
    for cid in category_ids:
        while cid is not None and cid not in out:
            out.add(cid)
            cid = parents.get(cid)
    return out


_FIELDS = ("id", "contact_id", "channel_id", "contact__scheme", "language")


def _rows_to_recipients(rows, area_of) -> list[Recipient]:
    return [Recipient(r["contact_id"], r["id"], r["channel_id"], r["contact__scheme"], r["language"], area_of(r))
            for r in rows]


def recipients_at(*, lat: float, lon: float, category_ids: set[int] | None) -> list[Recipient]:
    """Everyone whose zones contain (lat, lon), or whose point-and-radius covers it, and whose
    categories (none = all) include one of `category_ids` or their parents. May list a person twice
    (several subscriptions); dispatch keeps one message per person."""
    zone_ids = geometry.zone_index().containing(lat, lon)
    found: list[Recipient] = []
    if zone_ids:
        rows = active_subscriptions().filter(zones__in=zone_ids).values(*_FIELDS, "zones__id")
        found += _rows_to_recipients(rows, lambda r: f"z{r['zones__id']}")
    found += _point_recipients(lat, lon)
    if category_ids is None:
        return found
    return _filter_categories(found, _with_ancestors(category_ids))


def recipients_in_area(*, lat: float, lon: float, radius_m: int, category_ids: set[int] | None) -> list[Recipient]:
    """Everyone whose zones touch the disc of `radius_m` around (lat, lon), or whose own circle
    (point and radius) touches it. For alerts about an area rather than a point (rule alerts):
    who is told depends on the area alone, never on where inside it the reports are."""
    zone_ids = geometry.zone_index().intersecting(geometry.circle(lat, lon, radius_m))
    found: list[Recipient] = []
    if zone_ids:
        rows = active_subscriptions().filter(zones__in=zone_ids).values(*_FIELDS, "zones__id")
        found += _rows_to_recipients(rows, lambda r: f"z{r['zones__id']}")
    found += _point_recipients(lat, lon, reach_m=radius_m)
    if category_ids is None:
        return found
    return _filter_categories(found, _with_ancestors(category_ids))


# Radius classes (metres): a subscription with radius r is looked for in a box sized by the smallest
# class >= r, not by the largest radius anyone may choose. Each class is one range of the
# (lat, radius_m, lon) index, so a report reads a few dozen candidates instead of thousands.
RADIUS_CLASSES_M = (250, 500, 1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000)


def _radius_classes() -> list[tuple[int, int | None, int]]:
    """(exclusive lower bound, inclusive upper bound or None, box size) per class, up to the largest
    radius a subscriber may choose (settings.ALERT_MAX_RADIUS_KM). Radii above it (chosen before the
    setting was lowered) are looked for in that largest box, as they always were."""
    top = settings.ALERT_MAX_RADIUS_KM * 1000
    bounds = [c for c in RADIUS_CLASSES_M if c < top] + [top]
    return [(low, high, high) for low, high in zip([0, *bounds[:-1]], bounds, strict=True)] + [(top, None, top)]


def _box_sql(lat: float, lon: float, box_m: float) -> tuple[str, list[float]]:
    """SQL (and parameters) for rows whose point may lie within `box_m` of (lat, lon): a latitude band
    and a longitude range that wraps across the antimeridian, or every longitude when the circle
    reaches a pole."""
    min_lat, max_lat, min_lon, max_lon = geometry.degrees_box(lat, lon, box_m)
    band = "s.lat >= %s AND s.lat <= %s"
    if max_lat >= 90 or min_lat <= -90 or max_lon - min_lon >= 360:
        return band + " AND s.lon IS NOT NULL", [min_lat, max_lat]
    if min_lon < -180:
        return band + " AND (s.lon >= %s OR s.lon <= %s)", [min_lat, max_lat, min_lon + 360, max_lon]
    if max_lon > 180:
        return band + " AND (s.lon >= %s OR s.lon <= %s)", [min_lat, max_lat, min_lon, max_lon - 360]
    return band + " AND s.lon >= %s AND s.lon <= %s", [min_lat, max_lat, min_lon, max_lon]


def _point_sql() -> str:
    """The candidates' SELECT, with the conditions of active_subscriptions() spelled out: the ORM took
    longer to build the dozen-class query than the database to answer it."""
    sub, contact = Subscription._meta, Subscription._meta.get_field("contact").related_model._meta
    q = connection.ops.quote_name
    return (f"SELECT s.id, s.contact_id, s.channel_id, c.scheme, s.language, s.lat, s.lon, s.radius_m "
            f"FROM {q(sub.db_table)} s INNER JOIN {q(contact.db_table)} c ON c.id = s.contact_id "
            "WHERE s.confirmed_at IS NOT NULL AND s.cancelled_at IS NULL AND c.opted_out_at IS NULL AND ({})")


def _point_recipients(lat: float, lon: float, *, reach_m: float = 0) -> list[Recipient]:
    """Point-and-radius subscribers within their radius (plus `reach_m`) of (lat, lon).

    One index range per radius class, each sized by that class's largest radius (plus `reach_m`),
    then the exact great-circle distance (geometry.haversine_m) on the few candidates."""
    terms, params = [], []
    for low, high, box_m in _radius_classes():
        box, box_params = _box_sql(lat, lon, box_m + reach_m)
        if high is None:
            terms.append(f"(s.radius_m > %s AND {box})")
            params += [low, *box_params]
        else:
            terms.append(f"(s.radius_m > %s AND s.radius_m <= %s AND {box})")
            params += [low, high, *box_params]
    with connection.cursor() as cursor:
        cursor.execute(_point_sql().format(" OR ".join(terms)), params)
        rows = cursor.fetchall()
    # geometry.haversine_m inlined: a report in a city centre may have a thousand point subscribers.
    sin, cos, asin, radians = math.sin, math.cos, math.asin, math.radians
    p1, cos_p1, diameter = radians(lat), cos(radians(lat)), 2 * geometry.EARTH_RADIUS_M
    found = []
    for sub_id, contact_id, channel_id, scheme, language, s_lat, s_lon, radius_m in rows:
        p2 = radians(s_lat)
        a = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos(p2) * sin(radians(s_lon - lon) / 2) ** 2
        if diameter * asin(min(1.0, math.sqrt(a))) <= radius_m + reach_m:
            found.append(Recipient(contact_id, sub_id, channel_id, scheme, language, f"s{sub_id}"))
    return found


def place_of_area(*, lat: float, lon: float, radius_m: int) -> Zone | None:
    """The zone to name in an area alert: the one covering most of the area (of those covering it
    alike, the smallest). Chosen from the area alone, so naming it reveals nothing more."""
    overlaps = geometry.zone_index().overlaps(geometry.circle(lat, lon, radius_m))
    if not overlaps:
        return None
    _share, _own, best = min((-share, own, pk) for pk, share, own in overlaps)
    return Zone.objects.filter(pk=best).first()


def _filter_categories(found: list[Recipient], wanted: set[int]) -> list[Recipient]:
    if not found:
        return found
    chosen: dict[int, set[int]] = defaultdict(set)
    # Plain SQL in chunks: a report in a city centre has a thousand or more recipients, and the ORM
    # spends longer preparing such an IN list than the database takes to answer it.
    table = Subscription.categories.through._meta.db_table
    ids = sorted({r.subscription_id for r in found})
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            cursor.execute(f"SELECT subscription_id, category_id FROM {connection.ops.quote_name(table)} WHERE subscription_id IN "
                           f"({', '.join(['%s'] * len(chunk))})", chunk)
            for sub_id, cat_id in cursor.fetchall():
                chosen[sub_id].add(cat_id)
    return [r for r in found if not chosen.get(r.subscription_id) or chosen[r.subscription_id] & wanted]


def broadcast_recipients(*, zone_ids: list[int], category_ids: list[int] | None = None,
                         everyone: bool = False) -> list[Recipient]:
    """Subscribers of the zones (or of everything, with `everyone`), optionally only those who
    chose one of `category_ids` (or chose no category, i.e. all)."""
    qs = active_subscriptions()
    if not everyone:
        qs = qs.filter(Q(zones__in=zone_ids) | Q(pk__in=_point_subs_in_zones(zone_ids)))
    rows = qs.values(*_FIELDS).distinct()
    found = _rows_to_recipients(rows, lambda r: "")
    if category_ids:
        found = _filter_categories(found, _with_ancestors(set(category_ids)))
    return found


def _point_subs_in_zones(zone_ids: list[int]) -> list[int]:
    """Point-and-radius subscribers whose point lies inside one of the zones."""
    if not zone_ids:
        return []
    index = geometry.ZoneIndex(list(Zone.objects.filter(pk__in=zone_ids).values_list("pk", "geometry")))
    rows = list(active_subscriptions().filter(radius_m__isnull=False).values_list("id", "lat", "lon"))
    pairs = index.containing_many([(lat, lon) for _id, lat, lon in rows])
    return list({rows[i][0] for i, _zone in pairs})


def cost_per_segment(channel: Channel) -> float:
    costs = settings.ALERT_COSTS
    return float(costs.get(channel.name, costs.get(channel.type, 0)))


def preview(*, recipients: list[Recipient], texts: dict[str, str]) -> dict:
    """What a broadcast will cost: per channel the count, segments, encoding, cost and time to send."""
    defaults = channel_selectors.default_channels()
    active = {c.pk: c for c in Channel.objects.filter(is_active=True)}
    per_channel: dict[int, dict] = {}
    seen = set()
    for r in recipients:
        if r.contact_id in seen:
            continue
        seen.add(r.contact_id)
        channel_id = r.channel_id if r.channel_id in active else defaults.get(r.scheme)
        if channel_id is None:
            continue
        info = encoding.count(texts.get(r.language) or texts["es"])
        row = per_channel.setdefault(channel_id, {"channel": active[channel_id], "recipients": 0, "segments": 0,
                                                  "encodings": set()})
        row["recipients"] += 1
        row["segments"] += info.segments
        row["encodings"].add(info.encoding)
    for row in per_channel.values():
        channel = row["channel"]
        row["cost"] = round(row["segments"] * cost_per_segment(channel), 2)
        row["eta_seconds"] = math.ceil(row["recipients"] / (channel.rate_per_second or 1.0))
        row["encodings"] = ", ".join(sorted(row["encodings"]))
    return {"recipients": len(seen), "channels": list(per_channel.values()),
            "unreachable": len(seen) - sum(r["recipients"] for r in per_channel.values()),
            "cost": round(sum(r["cost"] for r in per_channel.values()), 2),
            "eta_seconds": max([r["eta_seconds"] for r in per_channel.values()], default=0),
            "texts": {lang: encoding.count(t) for lang, t in texts.items()}}


def in_cooldown(contact_ids: set[int], area_keys: set[str]) -> set[tuple[int, str]]:
    """(contact, area) pairs that got an alert within ALERT_COOLDOWN_MINUTES."""
    since = timezone.now() - timedelta(minutes=settings.ALERT_COOLDOWN_MINUTES)
    if not contact_ids or settings.ALERT_COOLDOWN_MINUTES <= 0:
        return set()
    rows = AlertDelivery.objects.filter(created_at__gte=since, area_key__in=area_keys).values_list(
        "contact_id", "area_key")
    return {(c, a) for c, a in rows if c in contact_ids}


def alert_stats(alert: Alert) -> dict:
    """Recipients, sent, delivered, failed and pending messages of one alert."""
    counts = dict(OutboundMessage.objects.filter(alert_delivery__alert=alert).values_list("status")
                  .annotate(n=Count("id")).values_list("status", "n"))
    S = OutboundMessage.Status
    return {"recipients": alert.deliveries.count(), "sent": counts.get(S.SENT, 0),
            "delivered": counts.get(S.DELIVERED, 0), "failed": counts.get(S.FAILED, 0),
            "pending": counts.get(S.QUEUED, 0) + counts.get(S.SENDING, 0)}


def failure_reasons(alert: Alert) -> list[tuple[str, int]]:
    """Why the alert's failed messages failed, in the reader's language, most frequent first:
    e.g. a WhatsApp channel with no approved alert template (channels.wa_templates)."""
    from testigo.channels import wa_templates

    rows = (OutboundMessage.objects.filter(alert_delivery__alert=alert, status=OutboundMessage.Status.FAILED)
            .values_list("error_code", "error", "channel__name").annotate(n=Count("id")))
    reasons: dict[str, int] = {}
    for code, error, channel_name, n in rows:
        text = wa_templates.reason(code, channel_name=channel_name, purpose="alert") or error
        reasons[text] = reasons.get(text, 0) + n
    return sorted(reasons.items(), key=lambda item: -item[1])


def zone_names() -> dict[str, str]:
    """Folded name -> display name, in both languages, for keyword lookups."""
    from testigo.alerts.text import fold

    names: dict[str, str] = {}
    for es, en in Zone.objects.filter(is_active=True).values_list("name_es", "name_en"):
        names[fold(es)] = es
        if en:
            names.setdefault(fold(en), en)
    return names
