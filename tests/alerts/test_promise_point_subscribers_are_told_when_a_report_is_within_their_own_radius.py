"""A person who asked for alerts "within N km of this point" is told about every report within N km
(plus the area of an area alert), and nobody else is: the same list as checking every subscription's
great-circle distance one by one, found by reading only the subscriptions near the report (issue #19).
Also across the antimeridian (Fiji, Kiribati...) and near the poles."""

from __future__ import annotations

import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from testigo.alerts import geometry, selectors
from testigo.alerts.models import AlertsState, Subscription
from testigo.channels.models import Contact

pytestmark = pytest.mark.django_db


def _sub(i: int, lat: float, lon: float, radius_m: int, **extra) -> Subscription:
    contact = Contact.objects.create(scheme="tel", address=f"+50488{i:06d}")
    fields = {"confirmed_at": timezone.now(), **extra}
    return Subscription.objects.create(contact=contact, lat=lat, lon=lon, radius_m=radius_m, **fields)


def _brute_force(lat: float, lon: float, reach_m: float) -> set[int]:
    """The definition: every active point subscription whose own radius (plus reach) covers the point."""
    return {s.pk for s in selectors.active_subscriptions().filter(radius_m__isnull=False)
            if geometry.haversine_m(lat, lon, s.lat, s.lon) <= s.radius_m + reach_m}


def _found(lat: float, lon: float, reach_m: float = 0) -> set[int]:
    found = selectors._matching(lat=lat, lon=lon, zone_ids=[], reach_m=reach_m, category_ids=None)
    assert len(found) == len({r.subscription_id for r in found})
    assert all(r.area_key == f"s{r.subscription_id}" for r in found)
    return {r.subscription_id for r in found}


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    dlat = rng.uniform(-km, km) / 111.2
    dlon = rng.uniform(-km, km) / (111.2 * max(math.cos(math.radians(lat)), 0.01))
    lon = lon + dlon
    lon = lon - 360 if lon > 180 else lon + 360 if lon < -180 else lon
    return max(-90.0, min(90.0, lat + dlat)), lon


def test_random_subscribers_get_exactly_the_reports_within_their_radius(settings):
    settings.ALERT_MAX_RADIUS_KM = 50
    rng = random.Random(19)
    centres = [(14.07, -87.19), (-17.8, 179.9), (-17.8, -179.95), (89.97, 10.0), (-89.98, -120.0), (64.1, -21.9)]
    now = timezone.now()
    for i in range(700):
        lat, lon = _near(rng, *rng.choice(centres), 60)
        radius = rng.choice([1, 250, 999, 1000, 1001, 2000, 4999, 5000, 7300, 10_000, 25_000, 50_000,
                             rng.randint(1, 50_000)])
        state = rng.random()
        extra = {"confirmed_at": None} if state < 0.05 else {"cancelled_at": now} if state < 0.1 else {}
        sub = _sub(i, lat, lon, radius, **extra)
        if 0.1 <= state < 0.15:
            Contact.objects.filter(pk=sub.contact_id).update(opted_out_at=now)
    _sub(9999, None, None, None)  # a zones-only subscription is never a point recipient
    checked = 0
    for _k in range(60):
        lat, lon = _near(rng, *rng.choice(centres), 55)
        for reach in (0, 500, 3_000):
            expected = _brute_force(lat, lon, reach)
            assert _found(lat, lon, reach) == expected, (lat, lon, reach)
            checked += len(expected)
    assert checked > 300  # the draw really put reports inside many circles


def test_a_subscriber_across_the_antimeridian_is_told(settings):
    fiji = _sub(1, -17.80, 179.99, 5_000)  # Taveuni side
    _sub(2, -17.80, 179.80, 5_000)         # ~24 km west: too far
    assert _found(-17.80, -179.99) == {fiji.pk}  # ~2 km east, across 180°
    assert _found(-17.80, -179.95, reach_m=3_000) == {fiji.pk}  # ~6 km away, an area of 3 km: 5 + 3 reach it
    assert _found(-17.80, -179.90, reach_m=3_000) == set()  # ~12 km away: too far


def test_a_subscriber_by_the_pole_is_told_of_a_report_on_the_other_side_of_it(settings):
    station = _sub(1, 89.995, 0.0, 2_000)
    assert _found(89.995, 180.0) == {station.pk}  # ~1.1 km away, over the pole
    assert _found(89.995, -90.0) == {station.pk}
    assert _found(89.90, 180.0) == set()


def test_exactly_on_the_radius_is_inside_and_a_metre_short_is_outside():
    lat, lon = 14.0723, -87.1921
    sub_lat, sub_lon = 14.0900, -87.1700
    d = geometry.haversine_m(lat, lon, sub_lat, sub_lon)
    inside = _sub(1, sub_lat, sub_lon, math.ceil(d))
    _sub(2, sub_lat, sub_lon, math.floor(d))
    assert _found(lat, lon) == {inside.pk}
    assert _found(lat, lon, reach_m=1) == _brute_force(lat, lon, 1) and len(_found(lat, lon, reach_m=1)) == 2


def test_categories_and_stops_still_decide_who_is_told(category):
    AlertsState.objects.get_or_create(pk=1)
    everything = _sub(1, 14.0723, -87.1921, 3_000)
    robbery = _sub(2, 14.0723, -87.1921, 3_000)
    robbery.categories.set([category])
    other = _sub(3, 14.0723, -87.1921, 3_000)
    other.categories.set([category.parent])  # a parent category covers its children
    stopped = _sub(4, 14.0723, -87.1921, 3_000)
    Contact.objects.filter(pk=stopped.contact_id).update(opted_out_at=timezone.now())
    told = {r.subscription_id for r in selectors.recipients_at(lat=14.08, lon=-87.19, category_ids={category.pk})}
    assert told == {everything.pk, robbery.pk, other.pk}
    told = {r.subscription_id for r in selectors.recipients_at(lat=14.08, lon=-87.19,
                                                                category_ids={category.parent_id})}
    assert told == {everything.pk, other.pk}


def test_a_report_reads_only_the_subscriptions_near_it(settings):
    """Many people with small circles around a city: one report must not fetch every one of them
    within the largest radius anyone could choose (50 km), only those whose own circle may reach it."""
    settings.ALERT_MAX_RADIUS_KM = 50
    rng = random.Random(4)
    for i in range(400):
        lat, lon = _near(rng, 14.07, -87.19, 40)
        _sub(i, lat, lon, rng.choice([1_000, 2_000]))
    for i in range(5):
        _sub(500 + i, *_near(rng, 14.07, -87.19, 0.5), 1_000)
    with CaptureQueriesContext(connection) as queries:
        found = _found(14.07, -87.19)
    [sql] = [q["sql"] for q in queries.captured_queries if "alerts_subscription" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) AS q")
        fetched = cursor.fetchone()[0]
    assert found == _brute_force(14.07, -87.19, 0) and len(found) >= 5
    assert fetched <= len(found) + 15, (fetched, len(found))
