"""Reads with rules: who should receive an alert, previews of a broadcast, per-alert figures."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from testigo.alerts import bands, geometry
from testigo.alerts.models import Alert, AlertDelivery, AlertsState, Subscription, Zone
from testigo.channels import encoding
from testigo.channels import selectors as channel_selectors
from testigo.channels.models import Channel, OutboundMessage
from testigo.core import roles
from testigo.reports import dashboard
from testigo.reports.models import Category


class Recipient(NamedTuple):
    """One subscription to tell (a tuple: a report in a city centre has a thousand of them)."""

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


def recipients_at(*, lat: float, lon: float, category_ids: set[int] | None) -> list[Recipient]:
    """Everyone whose zones contain (lat, lon), or whose point-and-radius covers it, and whose
    categories (none = all) include one of `category_ids` or their parents. May list a person twice
    (several subscriptions); dispatch keeps one message per person."""
    return _recipients(lambda index: index.containing(lat, lon), lat=lat, lon=lon, reach_m=0,
                       category_ids=category_ids)


def recipients_in_area(*, lat: float, lon: float, radius_m: int, category_ids: set[int] | None) -> list[Recipient]:
    """Everyone whose zones touch the disc of `radius_m` around (lat, lon), or whose own circle
    (point and radius) touches it. For alerts about an area rather than a point (rule alerts):
    who is told depends on the area alone, never on where inside it the reports are."""
    area = geometry.circle(lat, lon, radius_m)
    return _recipients(lambda index: index.intersecting(area), lat=lat, lon=lon, reach_m=radius_m,
                       category_ids=category_ids)


def _recipients(zones_of, *, lat: float, lon: float, reach_m: float, category_ids: set[int] | None) -> list[Recipient]:
    """_matching with the zones `zones_of(index)` picks from the zone index, in one round trip:
    the zones found with this process's cached index, and the statement also reads the zones'
    current token; only when the zones changed since (the token differs) is the index rebuilt
    and the statement run again. Nothing stale is ever used: the token is read with the rows."""
    cached = geometry.cached_zone_index()
    if cached is not None:
        token, index = cached
        found, current = _match(lat=lat, lon=lon, zone_ids=zones_of(index), reach_m=reach_m,
                                category_ids=category_ids, with_token=True)
        if current == token:
            return found
    return _matching(lat=lat, lon=lon, zone_ids=zones_of(geometry.zone_index()), reach_m=reach_m,
                     category_ids=category_ids)


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {"sub": q(Subscription._meta.db_table), "contact": q(Subscription._meta.get_field("contact").related_model._meta.db_table),
            "zones": q(Subscription.zones.through._meta.db_table),
            "categories": q(Subscription.categories.through._meta.db_table),
            "category": q(Category._meta.db_table)}


def _wanted_cte(category_ids: set[int]) -> tuple[str, list]:
    """`wanted_categories(id)`: the categories and all their ancestors (_with_ancestors in the
    database, inside the recipients' own query instead of one more round trip per report)."""
    table = _tables()["category"]
    return (f"WITH RECURSIVE wanted_categories(id) AS (SELECT id FROM {table} WHERE id IN "
            f"({', '.join(['%s'] * len(category_ids))}) UNION SELECT c.parent_id FROM {table} c "
            f"INNER JOIN wanted_categories w ON c.id = w.id WHERE c.parent_id IS NOT NULL) "), sorted(category_ids)


def _select(source: str, zone_column: str, where: str, wanted: set[int] | None, *,
            few: bool = False, lat_column: str = "s.lat") -> tuple[str, list]:
    """The recipients' SELECT with the conditions of active_subscriptions() spelled out, and the
    category choice checked by the database (no category chosen, or one of `wanted`). Plain SQL:
    the ORM took longer to build these queries than the database to answer them.

    `few`: the candidates are few (one report's): the contact (its scheme, NULL when the person
    sent STOP: the caller drops those rows) and the categories are then read per candidate row by
    correlated scalar subqueries (primary key; the links' (subscription, category)
    unique index), never joined or semi-joined. A join or EXISTS lets PostgreSQL's planner choose
    the order, and with missing or stale statistics (after a bulk sign-up, before autovacuum's
    ANALYZE) it read every contact and every category link for each report (0.9 s instead of
    1 ms at 10,000 subscribers); with statistics it still hashed the whole links table per report.
    Scalar subqueries are never pulled up, so the candidates come from the zones' or the radius
    bands' index whatever the statistics say. Broadcasts (`few` False) read most subscriptions:
    there a join and a hashed semi-join are the right plan."""
    t = _tables()
    if few:
        # The scheme of a contact who has not sent STOP, else NULL: such rows are dropped by the caller.
        scheme = f"(SELECT c.scheme FROM {t['contact']} c WHERE c.id = s.contact_id AND c.opted_out_at IS NULL)"
        # A tenth column, NULL: where _matching_query's last row carries the zones' token (typed
        # text here: PostgreSQL types a UNION's columns from its first branch).
        sql = (f"SELECT s.id, s.contact_id, s.channel_id, {scheme}, s.language, {zone_column}, "
               f"{lat_column}, s.lon, s.radius_m, CAST(NULL AS TEXT) FROM {source} "
               f"WHERE s.confirmed_at IS NOT NULL AND s.cancelled_at IS NULL AND ({where})")
    else:
        sql = (f"SELECT s.id, s.contact_id, s.channel_id, c.scheme, s.language, {zone_column}, s.lat, s.lon, "
               f"s.radius_m FROM {source} INNER JOIN {t['contact']} c ON c.id = s.contact_id "
               f"WHERE s.confirmed_at IS NOT NULL AND s.cancelled_at IS NULL AND c.opted_out_at IS NULL AND ({where})")
    if wanted is None:
        return sql, []
    links = f"FROM {t['categories']} k WHERE k.subscription_id = s.id"
    marks = ", ".join(["%s"] * len(wanted))
    if few:
        if not wanted:  # only those who chose no category
            return sql + f" AND (SELECT COUNT(*) {links}) = 0", []
        # MAX over the person's choices: none chosen -> NULL (all categories); one wanted -> 1; else 0.
        # The wanted ids and their ancestors are the statement's wanted_categories (_wanted_cte).
        return (sql + f" AND COALESCE((SELECT MAX(CASE WHEN k.category_id IN (SELECT id FROM wanted_categories) "
                      f"THEN 1 ELSE 0 END) {links}), 1) = 1"), []
    if not wanted:
        return sql + f" AND NOT EXISTS (SELECT 1 {links})", []
    return (sql + f" AND (NOT EXISTS (SELECT 1 {links}) OR EXISTS (SELECT 1 {links} AND k.category_id IN ({marks})))",
            sorted(wanted))


def _zone_select(zone_ids: list[int], wanted: set[int] | None, *, few: bool = False) -> tuple[str, list]:
    t = _tables()
    sql, params = _select(f"{t['zones']} z INNER JOIN {t['sub']} s ON s.id = z.subscription_id", "z.zone_id",
                          f"z.zone_id IN ({', '.join(['%s'] * len(zone_ids))})", wanted, few=few)
    return sql, [*zone_ids, *params]


def _point_select(lat: float, lon: float, reach_m: float, wanted: set[int] | None) -> tuple[str, list]:
    """Point-and-radius subscriptions that may be within their radius (plus `reach_m`) of (lat, lon):
    per radius class, the few latitude bands around it, each one index range of longitudes
    (bands.lookups). Of those candidates, the database drops the ones surely beyond their radius
    and marks the ones surely within it (bands.Screen: a NULL latitude), so their contact and
    categories are read, and the exact distance computed, only for those that may be told."""
    terms, params = [], []
    for keys, longitudes in bands.lookups(lat, lon, reach_m):
        if isinstance(keys, tuple):
            band, band_params = "s.radius_band >= %s AND s.radius_band <= %s", list(keys)
        else:
            band, band_params = f"s.radius_band IN ({', '.join(['%s'] * len(keys))})", keys
        if longitudes is None:
            terms.append(f"({band})")
            params += band_params
        for low, high in longitudes or ():
            terms.append(f"({band} AND s.lon >= %s AND s.lon <= %s)")
            params += [*band_params, low, high]
    where = " OR ".join(terms)
    screen = bands.Screen.for_point(lat, lon, reach_m)
    if screen is None:
        sql, extra = _select(f"{_tables()['sub']} s", "NULL", where, wanted, few=True)
        return sql, [*params, *extra]
    keep, keep_params, inner, inner_params = screen.sql()
    sql, extra = _select(f"{_tables()['sub']} s", "NULL", f"({where}) AND {keep}", wanted, few=True,
                         lat_column=f"CASE WHEN {inner} THEN NULL ELSE s.lat END")
    return sql, [*inner_params, *params, *keep_params, *extra]


def _matching_query(*, lat: float, lon: float, zone_ids: list[int], reach_m: float,
                    category_ids: set[int] | None, with_token: bool = False) -> tuple[str, list]:
    """_matching's one statement and its parameters. `with_token`: one more row, of NULLs but for
    its last column, the zones' current token (AlertsState.zones_token, as text)."""
    wanted = None if category_ids is None else set(category_ids)  # their ancestors: in the statement
    sql, params = _point_select(lat, lon, reach_m, wanted)
    if zone_ids:
        zone_sql, zone_params = _zone_select(zone_ids, wanted, few=True)
        sql, params = f"{zone_sql} UNION ALL {sql}", [*zone_params, *params]
    if with_token:
        q = connection.ops.quote_name
        state = AlertsState._meta
        token = (f"(SELECT CAST({q(state.get_field('zones_token').column)} AS TEXT) FROM {q(state.db_table)} "
                 f"ORDER BY {q(state.pk.column)} LIMIT 1)")
        # In the last column, which the recipients' rows leave NULL (_select, `few`).
        sql = f"{sql} UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {token}"
    if wanted:
        cte, cte_params = _wanted_cte(wanted)
        sql, params = cte + sql, [*cte_params, *params]
    return sql, params


def _matching(*, lat: float, lon: float, zone_ids: list[int], reach_m: float,
              category_ids: set[int] | None) -> list[Recipient]:
    """Subscribers of `zone_ids` and point-and-radius subscribers within their radius (plus
    `reach_m`) of (lat, lon), of `category_ids` or their ancestors (None: any), in one query; the
    exact great-circle distance (geometry.haversine_m, inlined) is checked here on the few candidates."""
    return _match(lat=lat, lon=lon, zone_ids=zone_ids, reach_m=reach_m, category_ids=category_ids)[0]


def _match(*, lat: float, lon: float, zone_ids: list[int], reach_m: float, category_ids: set[int] | None,
           with_token: bool = False) -> tuple[list[Recipient], object]:
    """_matching, and the zones' current token read by the same statement (`with_token`; else None)."""
    sql, params = _matching_query(lat=lat, lon=lon, zone_ids=zone_ids, reach_m=reach_m, category_ids=category_ids,
                                  with_token=with_token)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians
    p1, cos_p1, diameter = radians(lat), cos(radians(lat)), 2 * geometry.EARTH_RADIUS_M
    found, token = [], None
    for sub_id, contact_id, channel_id, scheme, language, zone_id, s_lat, s_lon, radius_m, zones_token in rows:
        if sub_id is None:  # the token's row
            token = AlertsState._meta.get_field("zones_token").to_python(zones_token)
            continue
        if scheme is None:  # the person sent STOP (_select, `few`)
            continue
        if zone_id is not None:
            found.append(Recipient(contact_id, sub_id, channel_id, scheme, language, f"z{zone_id}"))
            continue
        if s_lat is None:  # surely within its radius (bands.Screen)
            found.append(Recipient(contact_id, sub_id, channel_id, scheme, language, f"s{sub_id}"))
            continue
        p2 = radians(s_lat)
        a = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos(p2) * sin(radians(s_lon - lon) / 2) ** 2
        if diameter * asin(min(1.0, sqrt(a))) <= radius_m + reach_m:
            found.append(Recipient(contact_id, sub_id, channel_id, scheme, language, f"s{sub_id}"))
    return found, token


def place_of_area(*, lat: float, lon: float, radius_m: int) -> Zone | None:
    """The zone to name in an area alert: the one covering most of the area (of those covering it
    alike, the smallest). Chosen from the area alone, so naming it reveals nothing more."""
    overlaps = geometry.zone_index().overlaps(geometry.circle(lat, lon, radius_m))
    if not overlaps:
        return None
    _share, _own, best = min((-share, own, pk) for pk, share, own in overlaps)
    return Zone.objects.filter(pk=best).first()


# Zone ids per query of a broadcast: the SQL stays far below every backend's limit of parameters
# (SQLite's is 32,766) however many zones an alert names.
ZONES_PER_QUERY = 500


def broadcast_recipients(*, zone_ids: list[int], category_ids: list[int] | None = None,
                         everyone: bool = False) -> list[Recipient]:
    """Subscribers of the zones (or of everything, with `everyone`), optionally only those who
    chose one of `category_ids` (or chose no category, i.e. all); one per subscription.

    Never a list of subscription ids in the SQL: a broadcast may reach 100,000 people. Point
    subscribers are kept in Python when their point lies inside one of the zones."""
    wanted = _with_ancestors(set(category_ids)) if category_ids else None
    t = _tables()
    found: dict[int, Recipient] = {}
    with connection.cursor() as cursor:
        if everyone:
            cursor.execute(*_select(f"{t['sub']} s", "NULL", "1 = 1", wanted))
            rows = cursor.fetchall()
        else:
            rows = []
            for start in range(0, len(zone_ids), ZONES_PER_QUERY):
                cursor.execute(*_zone_select(list(zone_ids[start:start + ZONES_PER_QUERY]), wanted))
                rows += cursor.fetchall()
            rows += _points_in_zones(cursor, zone_ids, wanted)
    for sub_id, contact_id, channel_id, scheme, language, *_rest in rows:
        found.setdefault(sub_id, Recipient(contact_id, sub_id, channel_id, scheme, language, ""))
    return list(found.values())


def _points_in_zones(cursor, zone_ids: list[int], wanted: set[int] | None) -> list[tuple]:
    """Point-and-radius subscribers whose point lies inside one of the zones."""
    if not zone_ids:
        return []
    index = geometry.ZoneIndex(list(Zone.objects.filter(pk__in=zone_ids).values_list("pk", "geometry")))
    cursor.execute(*_select(f"{_tables()['sub']} s", "NULL", "s.radius_band IS NOT NULL", wanted))
    rows = cursor.fetchall()
    inside = {i for i, _zone in index.containing_many([(row[6], row[7]) for row in rows])}
    return [rows[i] for i in sorted(inside)]


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


def sent_in_period(period) -> tuple[int, int]:
    """(alerts sent, messages queued for them) in a dashboard period (reports/dashboard.py);
    alerts are not filtered by report."""
    start, stop = dashboard.bounds(period)
    sent = Alert.objects.filter(status=Alert.Status.SENT, sent_at__gte=start, sent_at__lt=stop)
    return sent.count(), AlertDelivery.objects.filter(alert__in=sent.values("id")).count()
