"""Promise (issue #19): a broadcast to a zone holding more than 40,000 point-and-radius subscribers
works on SQLite, whose statements take at most 32,766 parameters (999 before 3.32; some builds
allow more, so the test sets the limit to 999): no list of subscription ids is ever written into
the SQL, however many people a broadcast reaches. Categories and STOP still decide who is told."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection
from django.utils import timezone

from testigo.alerts import selectors
from testigo.alerts.models import Subscription
from testigo.channels.models import Contact

pytestmark = pytest.mark.django_db

PEOPLE = 41_000


@pytest.fixture(autouse=True)
def few_sql_parameters():
    """On SQLite, at most 999 parameters per statement, as an old or strictly built SQLite allows."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    yield
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def _copies(model, template_pk: int, replace: dict[str, str], extra_from: str = "", where: str = "") -> None:
    """INSERT ... SELECT copies of one row, with `replace` giving SQL for some columns: the ORM's
    bulk_create takes a minute for 82,000 rows on a busy machine, the database a second."""
    q = connection.ops.quote_name
    columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    values = ", ".join(replace.get(c, f"t.{q(c)}") for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(c) for c in columns)}) SELECT {values} "
                       f"FROM {q(model._meta.db_table)} t {extra_from} WHERE t.id = %s {where}", [template_pk])


def _crowd(lat: float, lon: float) -> list[int]:
    """PEOPLE confirmed subscribers within 1 km of (lat, lon), each with a contact of their own."""
    template = Subscription.objects.create(contact=Contact.objects.create(scheme="tel", address="+5043-template"),
                                           lat=lat, lon=lon, radius_m=1000, confirmed_at=timezone.now())
    n = f"({' UNION ALL '.join(f'SELECT {d} AS d' for d in range(10))}) d{{}}"
    digits = " CROSS JOIN ".join(n.format(k) for k in range(5))
    number = " + ".join(f"d{k}.d * {10 ** k}" for k in range(5))
    _copies(Contact, template.contact_id, {"address": f"'+5043' || CAST(({number}) AS VARCHAR(10))"},
            f"CROSS JOIN {digits}", f"AND {number} < {PEOPLE - 1}")
    _copies(Subscription, template.pk, {"contact_id": "c.id"}, f"CROSS JOIN {connection.ops.quote_name(Contact._meta.db_table)} c",
            "AND c.address LIKE '+5043%%' AND c.id <> t.contact_id")
    contacts = list(Contact.objects.filter(address__startswith="+5043").values_list("pk", flat=True))
    assert len(contacts) == Subscription.objects.filter(radius_band=template.radius_band).count() == PEOPLE
    return contacts


def test_a_zone_broadcast_to_more_than_forty_thousand_point_subscribers(zones, subscribe, category):
    contacts = _crowd(14.0723, -87.1921)  # inside Colonia Kennedy
    outside = subscribe("+50499990001", lat=14.2, lon=-87.5, radius_m=1000)
    zone_member = subscribe("+50499990002", zones=[zones["kennedy"]])
    Contact.objects.filter(pk=contacts[0]).update(opted_out_at=timezone.now())
    found = selectors.broadcast_recipients(zone_ids=[zones["kennedy"].pk])
    told = {r.contact_id for r in found}
    assert len(found) == len(told) == PEOPLE  # 40,999 of the crowd and the zone's own subscriber
    assert zone_member.contact_id in told and outside.contact_id not in told and contacts[0] not in told


def test_categories_narrow_a_large_broadcast(zones, category):
    contacts = _crowd(14.0723, -87.1921)
    chooser = Subscription.objects.get(contact_id=contacts[1])
    chooser.categories.set([category])
    found = selectors.broadcast_recipients(zone_ids=[zones["kennedy"].pk], category_ids=[category.parent_id])
    assert len(found) == PEOPLE - 1 and chooser.contact_id not in {r.contact_id for r in found}
    everyone = selectors.broadcast_recipients(zone_ids=[], everyone=True, category_ids=[category.pk])
    assert len(everyone) == PEOPLE
