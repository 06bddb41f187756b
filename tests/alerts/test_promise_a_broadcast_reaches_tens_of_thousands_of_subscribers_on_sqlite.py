"""Promise (issue #19): a broadcast to a zone holding more than 40,000 point-and-radius subscribers
works on SQLite, whose statements take at most 32,766 parameters: no list of subscription ids is
ever written into the SQL, however many people a broadcast reaches. Categories and STOP still
decide who is told."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from testigo.alerts import selectors
from testigo.alerts.models import Subscription
from testigo.channels.models import Contact

pytestmark = pytest.mark.django_db

PEOPLE = 41_000


def _crowd(zone_centre: tuple[float, float]) -> list[int]:
    Contact.objects.bulk_create([Contact(scheme="tel", address=f"+5043{i:07d}") for i in range(PEOPLE)],
                                batch_size=2000)
    contacts = list(Contact.objects.filter(address__startswith="+5043").values_list("pk", flat=True))
    lat, lon = zone_centre
    now = timezone.now()
    Subscription.objects.bulk_create(
        [Subscription(contact_id=pk, confirmed_at=now, lat=lat + (k % 100) * 1e-5, lon=lon + (k // 100 % 100) * 1e-5,
                      radius_m=1000) for k, pk in enumerate(contacts)], batch_size=2000)
    return contacts


def test_a_zone_broadcast_to_more_than_forty_thousand_point_subscribers(zones, subscribe, category):
    contacts = _crowd((14.0723, -87.1921))  # inside Colonia Kennedy
    outside = subscribe("+50499990001", lat=14.2, lon=-87.5, radius_m=1000)
    zone_member = subscribe("+50499990002", zones=[zones["kennedy"]])
    Contact.objects.filter(pk=contacts[0]).update(opted_out_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        found = selectors.broadcast_recipients(zone_ids=[zones["kennedy"].pk])
    told = {r.contact_id for r in found}
    assert len(found) == len(told) == PEOPLE  # 40,999 of the crowd and the zone's own subscriber
    assert zone_member.contact_id in told and outside.contact_id not in told and contacts[0] not in told
    assert max(q["sql"].count("%s") + q["sql"].count("?") for q in queries.captured_queries) < 1000 or all(
        len(q["sql"]) < 100_000 for q in queries.captured_queries)


def test_categories_narrow_a_large_broadcast(zones, category):
    contacts = _crowd((14.0723, -87.1921))
    chooser = Subscription.objects.get(contact_id=contacts[1])
    chooser.categories.set([category])
    found = selectors.broadcast_recipients(zone_ids=[zones["kennedy"].pk], category_ids=[category.parent_id])
    assert len(found) == PEOPLE - 1 and chooser.contact_id not in {r.contact_id for r in found}
    everyone = selectors.broadcast_recipients(zone_ids=[], everyone=True, category_ids=[category.pk])
    assert len(everyone) == PEOPLE
