"""Promise (issue #19): finding one report's recipients reads only the few candidate rows, through
indexes, whatever the database knows about its tables: right after thousands of people signed up
(no ANALYZE yet, as in a test database), PostgreSQL's planner once chose to read every contact
and every category link for each report — 0.9 s instead of 1 ms at 10,000 subscribers. The contact
and the categories are looked up per candidate by key, never joined, so no plan can start from them.

And one report costs one query in all: the recipients' statement also reads the wanted
categories' ancestors and the zones' current token (the process's zone index is used only when that
token is its own; a zone changed in between is seen by the very next report)."""

from __future__ import annotations

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

HERE = (14.0723, -87.1921)  # inside the `zones` fixture's Kennedy


@pytest.fixture
def crowd(zones, category) -> list[Subscription]:
    """2,000 confirmed subscribers around Tegucigalpa, written in bulk (no statistics follow),
    half of a zone, half within 1-10 km of a point; a fifth chose categories."""
    rng = random.Random(19)
    now = timezone.now()
    Contact.objects.bulk_create([Contact(scheme="tel", address=f"+50431{i:06d}") for i in range(2000)])
    contacts = list(Contact.objects.values_list("pk", flat=True))
    subs = Subscription.objects.bulk_create([
        Subscription(contact_id=pk, confirmed_at=now, **({} if i % 2 else {
            "lat": HERE[0] + rng.uniform(-0.2, 0.2), "lon": HERE[1] + rng.uniform(-0.2, 0.2),
            "radius_m": rng.choice([1000, 2000, 5000, 10_000])}))
        for i, pk in enumerate(contacts)])
    subs = list(Subscription.objects.order_by("pk"))
    Subscription.zones.through.objects.bulk_create([
        Subscription.zones.through(subscription_id=s.pk, zone_id=rng.choice(list(zones.values())).pk)
        for s in subs if s.lat is None])
    Subscription.categories.through.objects.bulk_create([
        Subscription.categories.through(subscription_id=s.pk, category_id=rng.choice([category.pk, category.parent_id]))
        for s in subs if rng.random() < 0.2])
    return subs


def _plan(category_ids: set[int] | None) -> str:
    sql, params = selectors._matching_query(lat=HERE[0], lon=HERE[1], zone_ids=geometry.zone_index().containing(*HERE),
                                            reach_m=0, category_ids=category_ids)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(row[-1] for row in cursor.fetchall())


@pytest.mark.parametrize("choice", ["none", "child", "nothing"])
def test_the_recipients_query_never_scans_subscribers_contacts_or_category_links(crowd, category, choice):
    category_ids = {"none": None, "child": {category.pk}, "nothing": set()}[choice]
    plan = _plan(category_ids)
    if connection.vendor == "postgresql":
        # Contacts and category links are looked up by key per candidate, never read whole. (The
        # subscriptions themselves PostgreSQL may read whole at this size, and rightly: a few pages.)
        scans = [line for line in plan.splitlines() if "Seq Scan" in line]
        assert not [line for line in scans if "channels_contact" in line or "alerts_subscription_categories" in line], plan
    else:
        # SQLite: "SCAN x" reads a whole table; "SEARCH x USING ..." goes through an index. Only the
        # wanted categories' few rows (the recursive CTE's work table) are read whole.
        scans = [line.split()[1] for line in plan.splitlines() if line.lstrip().startswith("SCAN ")]
        assert set(scans) <= {"wanted_categories", "w"}, plan


def test_one_report_costs_one_query_with_the_category_tree_and_zone_token_in_the_same_statement(crowd, category):
    selectors.recipients_at(lat=HERE[0], lon=HERE[1], category_ids=None)  # the zone index, once per process
    with CaptureQueriesContext(connection) as queries:
        found = selectors.recipients_at(lat=HERE[0], lon=HERE[1], category_ids={category.pk})
    assert len(queries.captured_queries) == 1, [q["sql"][:120] for q in queries.captured_queries]
    # The same people as the definition, one subscription at a time (the child's parent counts too).
    wanted = {category.pk, category.parent_id}
    expected = set()
    for sub in selectors.active_subscriptions().prefetch_related("zones", "categories"):
        chosen = {c.pk for c in sub.categories.all()}
        if chosen and not chosen & wanted:
            continue
        expected |= {(sub.pk, f"z{z.pk}") for z in sub.zones.all() if z.pk in geometry.zone_index().containing(*HERE)}
        if sub.radius_m and geometry.haversine_m(*HERE, sub.lat, sub.lon) <= sub.radius_m:
            expected.add((sub.pk, f"s{sub.pk}"))
    assert {(r.subscription_id, r.area_key) for r in found} == expected
    assert len(expected) > 50
    assert Category.objects.filter(pk__in=wanted).count() == 2


def test_a_zone_drawn_between_two_reports_is_seen_by_the_next_one(zones):
    contact = Contact.objects.create(scheme="tel", address="+50431999999")
    sub = Subscription.objects.create(contact=contact, confirmed_at=timezone.now())
    assert selectors.recipients_at(lat=HERE[0], lon=HERE[1], category_ids=None) == []  # index cached
    lat, lon = HERE
    square = {"type": "Polygon", "coordinates": [[[lon - 0.001, lat - 0.001], [lon + 0.001, lat - 0.001],
                                                   [lon + 0.001, lat + 0.001], [lon - 0.001, lat + 0.001],
                                                   [lon - 0.001, lat - 0.001]]]}
    zone = Zone.objects.create(name_es="Cuadra", key="cuadra", geometry=square)
    bump_version()
    sub.zones.set([zone])
    found = selectors.recipients_at(lat=HERE[0], lon=HERE[1], category_ids=None)
    assert [(r.subscription_id, r.area_key) for r in found] == [(sub.pk, f"z{zone.pk}")]
    Zone.objects.filter(pk=zone.pk).update(is_active=False)
    bump_version()
    assert selectors.recipients_at(lat=HERE[0], lon=HERE[1], category_ids=None) == []
