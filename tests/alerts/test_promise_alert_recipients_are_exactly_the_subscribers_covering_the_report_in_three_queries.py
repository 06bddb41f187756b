"""Promise (issue #19): the people told of a report are exactly the active subscribers whose zone
contains it or whose own point and radius covers it, in the categories they chose — the same list
as checking every subscription one by one — found with a bounded number of queries (three: the
zones' version, the categories, one for the subscribers), whatever their number.

Random data around Tegucigalpa, Fiji (across the antimeridian) and the poles; STOPped, cancelled and
unconfirmed subscribers; subscriptions added, stopped or cancelled between two reports are seen by
the next one (nothing is cached that could go stale)."""

from __future__ import annotations

import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from testigo.alerts import geometry, selectors
from testigo.alerts.models import Subscription, Zone
from testigo.alerts.zones import bump_version
from testigo.channels.models import Contact
from testigo.reports.models import Category

pytestmark = pytest.mark.django_db

CENTRES = [(14.07, -87.19), (-17.8, 179.95), (89.97, 10.0), (-89.98, -120.0)]


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    lat = max(-90.0, min(90.0, lat + rng.uniform(-km, km) / 111.2))
    lon += rng.uniform(-km, km) / (111.2 * max(math.cos(math.radians(lat)), 0.01))
    return lat, (lon + 180) % 360 - 180


def _square(lat: float, lon: float, half_deg: float) -> dict:
    w, e = max(-180.0, lon - half_deg), min(180.0, lon + half_deg)
    s, n = max(-90.0, lat - half_deg), min(90.0, lat + half_deg)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _world(rng: random.Random, categories: list[Category]) -> list[Zone]:
    zones = [Zone.objects.create(name_es=f"Zona {i}", key=f"zona {i}",
                                 geometry=_square(*_near(rng, *rng.choice(CENTRES), 30), rng.uniform(0.02, 0.3)))
             for i in range(12)]
    bump_version()
    for i in range(300):
        _subscriber(rng, i, zones, categories)
    return zones


def _subscriber(rng: random.Random, i: int, zones: list[Zone], categories: list[Category]) -> Subscription:
    contact = Contact.objects.create(scheme="tel", address=f"+50477{i:06d}")
    point = rng.random() < 0.6
    lat, lon = _near(rng, *rng.choice(CENTRES), 40)
    state = rng.random()
    sub = Subscription.objects.create(
        contact=contact, lat=lat if point else None, lon=lon if point else None,
        radius_m=rng.choice([250, 1000, 3000, 7300, 10_000, 50_000, 60_000]) if point else None,
        confirmed_at=None if state < 0.05 else timezone.now(), cancelled_at=timezone.now() if 0.05 <= state < 0.1 else None)
    if not point or rng.random() < 0.2:
        sub.zones.set(rng.sample(zones, rng.choice([1, 1, 2])))
    if rng.random() < 0.4:
        sub.categories.set(rng.sample(categories, rng.choice([1, 2])))
    if 0.1 <= state < 0.15:
        Contact.objects.filter(pk=contact.pk).update(opted_out_at=timezone.now())
    return sub


def _brute_force(lat: float, lon: float, wanted: set[int] | None) -> set[tuple[int, str]]:
    """The definition, one subscription at a time."""
    from shapely.geometry import Point, shape

    here, found = Point(lon, lat), set()
    for sub in selectors.active_subscriptions().prefetch_related("zones", "categories"):
        chosen = {c.pk for c in sub.categories.all()}
        if wanted is not None and chosen and not chosen & wanted:
            continue
        found |= {(sub.pk, f"z{z.pk}") for z in sub.zones.all() if z.is_active and shape(z.geometry).intersects(here)}
        if sub.radius_m is not None and geometry.haversine_m(lat, lon, sub.lat, sub.lon) <= sub.radius_m:
            found.add((sub.pk, f"s{sub.pk}"))
    return found


def _told(lat: float, lon: float, category_ids: set[int] | None) -> set[tuple[int, str]]:
    found = selectors.recipients_at(lat=lat, lon=lon, category_ids=category_ids)
    pairs = {(r.subscription_id, r.area_key) for r in found}
    assert len(pairs) == len(found)
    return pairs


@pytest.fixture
def categories(category) -> list[Category]:
    sibling = Category.objects.create(slug="otra", name_es="Otra", parent=category.parent)
    return [category, category.parent, sibling]


def test_recipients_are_exactly_the_covering_subscribers_in_their_categories(settings, categories):
    settings.ALERT_MAX_RADIUS_KM = 50
    rng = random.Random(1919)
    zones = _world(rng, categories)
    told = 0
    for k in range(90):
        lat, lon = _near(rng, *rng.choice(CENTRES), 35)
        choice = [None, {categories[0].pk}, {categories[2].pk}, {categories[1].pk}][k % 4]
        wanted = None if choice is None else selectors._with_ancestors(choice)
        expected = _brute_force(lat, lon, wanted)
        assert _told(lat, lon, choice) == expected, (lat, lon, choice)
        told += len(expected)
        if k % 15 == 14:  # people subscribe, stop and cancel between reports
            _subscriber(rng, 1000 + k, zones, categories)
            stopped = selectors.active_subscriptions().order_by("?").first()
            Contact.objects.filter(pk=stopped.contact_id).update(opted_out_at=timezone.now())
            selectors.active_subscriptions().filter(pk=selectors.active_subscriptions().order_by("?").first().pk
                                                    ).update(cancelled_at=timezone.now())
    assert told > 200  # the draw really put reports inside many zones and circles


def test_a_subscription_is_seen_by_the_very_next_report(zones, category):
    here = (14.0723, -87.1921)
    assert _told(*here, None) == set()
    contact = Contact.objects.create(scheme="tel", address="+50499990001")
    sub = Subscription.objects.create(contact=contact, lat=here[0], lon=here[1] + 0.01, radius_m=2000,
                                      confirmed_at=timezone.now())
    assert _told(*here, None) == {(sub.pk, f"s{sub.pk}")}
    sub.zones.set([zones["kennedy"]])
    assert _told(*here, None) == {(sub.pk, f"s{sub.pk}"), (sub.pk, f"z{zones['kennedy'].pk}")}
    sub.categories.set([category])
    assert _told(*here, {category.parent_id}) == set()
    Contact.objects.filter(pk=contact.pk).update(opted_out_at=timezone.now())
    assert _told(*here, None) == set()


def test_one_report_costs_three_queries_however_many_are_told(zones, category):
    here = (14.0723, -87.1921)
    for i in range(150):
        contact = Contact.objects.create(scheme="tel", address=f"+50466{i:06d}")
        sub = Subscription.objects.create(contact=contact, confirmed_at=timezone.now(),
                                          **({"lat": here[0], "lon": here[1], "radius_m": 1000} if i % 2 else {}))
        sub.zones.set([zones["kennedy"]] if i % 2 == 0 else [])
        sub.categories.set([category] if i % 3 == 0 else [])
    selectors.recipients_at(lat=here[0], lon=here[1], category_ids=None)  # the zone index, built once per process
    with CaptureQueriesContext(connection) as queries:
        found = selectors.recipients_at(lat=here[0], lon=here[1], category_ids={category.pk})
    assert len(found) == 150
    assert len(queries.captured_queries) <= 3, [q["sql"][:120] for q in queries.captured_queries]
