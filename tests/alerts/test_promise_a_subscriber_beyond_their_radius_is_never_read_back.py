"""Issue #19, at 100,000 subscribers: a report's recipients statement used to hand back every
candidate of the radius bands around the report (a third more rows than recipients in a city),
each with its contact and categories looked up, and Python then computed the exact distance of
every one. The database now screens the candidates with plain arithmetic on the subscription's
own point and radius (bands.Screen): those surely beyond their radius are dropped before their
contact and categories are read, those surely within it come back marked (no exact distance
needed), and only a thin ring at the edge is decided by the exact great-circle distance, so the
recipients stay exactly those of the definition, to the metre at the edge."""

from __future__ import annotations

import math
import random

import pytest
from django.db import connection
from django.utils import timezone

from testigo.alerts import bands, geometry, selectors
from testigo.alerts.models import Subscription
from testigo.channels.models import Contact

pytestmark = pytest.mark.django_db

HERE = (14.0723, -87.1921)


def _destination(lat: float, lon: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` from (lat, lon) along `bearing_deg`, on the same sphere."""
    d = distance_m / geometry.EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180


def _subscribe(rows: list[tuple[float, float, int]]) -> list[Subscription]:
    now = timezone.now()
    start = Contact.objects.count()
    Contact.objects.bulk_create([Contact(scheme="tel", address=f"+50432{start + i:06d}") for i in range(len(rows))])
    contacts = list(Contact.objects.order_by("-pk").values_list("pk", flat=True)[:len(rows)])
    return Subscription.objects.bulk_create([Subscription(contact_id=pk, confirmed_at=now, lat=lat, lon=lon, radius_m=r)
                                             for pk, (lat, lon, r) in zip(contacts, rows, strict=True)])


def _brute_force(lat: float, lon: float, reach_m: float) -> set[int]:
    return {s.pk for s in selectors.active_subscriptions().filter(radius_m__isnull=False)
            if geometry.haversine_m(lat, lon, s.lat, s.lon) <= s.radius_m + reach_m}


def _rows(lat: float, lon: float, reach_m: float = 0) -> list[tuple]:
    sql, params = selectors._matching_query(lat=lat, lon=lon, zone_ids=[], reach_m=reach_m, category_ids=None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_subscribers_just_beyond_their_radius_are_dropped_by_the_database():
    """Every one of these is a candidate of its band lookup (same class, band and longitude range)
    but 3 % or more beyond its radius: none comes back. Those well within come back marked, with
    no latitude to compute a distance from."""
    rng = random.Random(7)
    outside = [(*_destination(*HERE, rng.uniform(0, 360), r * rng.uniform(1.03, 1.4)), r)
               for r in (1000, 2000, 5000, 10_000) for _i in range(25)]
    _subscribe(outside)
    assert _rows(*HERE) == []
    inside = _subscribe([(*_destination(*HERE, rng.uniform(0, 360), r * rng.uniform(0, 0.97)), r)
                         for r in (1000, 2000, 5000, 10_000) for _i in range(10)])
    rows = _rows(*HERE)
    assert {row[0] for row in rows} == {s.pk for s in inside}
    assert all(row[6] is None for row in rows)  # surely within: no exact distance computed


@pytest.mark.parametrize("reach_m", [0, 2_500])
def test_recipients_at_the_edge_are_exactly_the_definitions(settings, reach_m):
    """Random subscribers around a report, many placed right at their radius (plus the area's
    reach), within a millimetre, at the screen's 1 % margins, and around them: the statement's
    recipients are exactly those whose great-circle distance is at most their radius plus reach."""
    settings.ALERT_MAX_RADIUS_KM = 50
    rng = random.Random(19)
    rows = []
    for _i in range(600):
        radius = rng.choice([1, 2, 250, 999, 1000, 1001, 2000, 4999, 5000, 7300, 10_000, 50_000, 80_000,
                             rng.randint(1, 50_000)])
        edge = radius + reach_m
        distance = rng.choice([edge, edge - 0.001, edge + 0.001, edge * 0.99, edge * 0.99 - 1, edge * 1.01,
                               edge * 1.01 + 1, edge * 1.01 + 1.001, edge * rng.uniform(0, 1.2)])
        rows.append((*_destination(*HERE, rng.uniform(0, 360), max(0.0, distance)), radius))
    _subscribe(rows)
    found = selectors._matching(lat=HERE[0], lon=HERE[1], zone_ids=[], reach_m=reach_m, category_ids=None)
    expected = _brute_force(*HERE, reach_m)
    assert {r.subscription_id for r in found} == expected
    assert 150 < len(expected) < 550  # both sides of the edge are really drawn


@pytest.mark.parametrize("centre", [(64.1, -21.9), (-17.8, 179.9), (89.95, 0.0), (-33.45, -70.66)])
def test_far_north_antimeridian_and_poles_stay_exact(centre):
    """Away from the poles and the antimeridian the screen applies; near them every candidate is
    checked exactly as before. Either way, the definition's recipients."""
    rng = random.Random(3)
    rows = []
    for _i in range(300):
        radius = rng.choice([500, 1000, 5000, 20_000, 50_000])
        rows.append((*_destination(*centre, rng.uniform(0, 360), radius * rng.uniform(0.9, 1.1)), radius))
    _subscribe(rows)
    for reach in (0, 1000):
        found = selectors._matching(lat=centre[0], lon=centre[1], zone_ids=[], reach_m=reach, category_ids=None)
        assert {r.subscription_id for r in found} == _brute_force(*centre, reach)
    applies = bands.Screen.for_point(*centre, 0) is not None
    assert applies == (abs(centre[0]) < 80 and abs(centre[1]) < 179)
