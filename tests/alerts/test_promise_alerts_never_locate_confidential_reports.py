"""Promise: no alert, and nothing a subscriber can observe, locates a report more precisely than
the public map does; confidential and restricted reports never trigger anything that reaches the public.

The attack (issue #13): three confidential, never-published reports at a point T; a public
100 m subscription at T got an SMS while one 1 km away got nothing — the set of people told
pinpointed the reports.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from testigo.alerts import privacy, rules, services
from testigo.alerts.geometry import EARTH_RADIUS_M, haversine_m
from testigo.alerts.models import Alert, Rule
from testigo.reports import services as report_services
from testigo.reports.models import Report
from tests.conftest import examples

pytestmark = pytest.mark.django_db

T = (14.0723, -87.1921)  # inside Colonia Kennedy (tests/alerts/conftest.py)
KM_NORTH = (T[0] + math.degrees(1000 / EARTH_RADIUS_M), T[1])


def sent_to(provider) -> list[str]:
    return sorted(parse_qs(urlparse(c["url"]).query)["to"][0] for c in provider.calls)


@pytest.fixture
def rule(category):
    return Rule.objects.create(name="3 robos", category=category.parent, min_reports=3, radius_m=100, hours=24,
                               verified_only=False, send_immediately=True)


@pytest.fixture
def two_neighbours(subscribe):
    """A 100 m subscription at T, and one a kilometre away."""
    subscribe("+50499990001", lat=T[0], lon=T[1], radius_m=100)
    subscribe("+50499990002", lat=KM_NORTH[0], lon=KM_NORTH[1], radius_m=100)


@pytest.mark.parametrize("visibility", ["confidential", "restricted"])
def test_promise_confidential_reports_never_alert_anyone(
        zones, sms_channel, two_neighbours, rule, provider, report_factory, admin_user, run_on_commit, visibility):
    with run_on_commit():
        for _i in range(3):
            report = report_factory(lat=T[0], lon=T[1])
            report_services.update_report(report=report, actor=admin_user, visibility=visibility)
    assert rules.evaluate_all() == 0
    assert provider.calls == [] and not Alert.objects.exists()


@pytest.mark.parametrize("published", [False, True])
@pytest.mark.parametrize("offset_m", [0, 180, 420])
def test_promise_a_cluster_tells_the_subscriber_at_the_spot_and_one_a_kilometre_away_alike(
        zones, sms_channel, two_neighbours, rule, provider, report_factory, admin_user, run_on_commit,
        published, offset_m):
    where = (T[0], T[1] + math.degrees(offset_m / EARTH_RADIUS_M) / math.cos(math.radians(T[0])))
    with run_on_commit():
        for _i in range(3):
            report = report_factory(lat=where[0], lon=where[1])
            if published:
                report_services.verify(report=report, actor=admin_user)
                report_services.publish(report=report, actor=admin_user)
    alert = Alert.objects.get(kind=Alert.Kind.RULE)
    assert sent_to(provider) == ["+50499990001", "+50499990002"]
    # The text names the zone covering most of the area, never the reports' place name or coordinates.
    assert "Colonia Kennedy" in alert.message_es and "unverified reports" in alert.message_en
    assert "Kennedy, Tegucigalpa" not in alert.message_es and "14.07" not in alert.message_es


def _rule_alert_for(public_points, true_points, rule) -> tuple[tuple[float, float, int], list[int]] | None:
    """Run the rule on reports with the given public and true positions; (centre, radius), recipients."""
    with transaction.atomic():
        for (plat, plon), (lat, lon) in zip(public_points, true_points, strict=True):
            report = Report.objects.create(reference=report_services.new_reference(), title="t", description="d",
                                           received_at=timezone.now(), lat=lat, lon=lon, public_lat=plat, public_lon=plon)
            report.categories.set([rule.category])
        alerts = rules.evaluate(rule_id=rule.pk)
        found = None
        if alerts:
            alert = alerts[0]
            found = ((alert.lat, alert.lon, alert.radius_m),
                     sorted(r.contact_id for r in services.recipients_of(alert)))
        transaction.set_rollback(True)
    return found


metres = st.floats(min_value=-2000, max_value=2000)


def _moved(point, north_m, east_m):
    lat = point[0] + math.degrees(north_m / EARTH_RADIUS_M)
    return lat, point[1] + math.degrees(east_m / EARTH_RADIUS_M) / math.cos(math.radians(point[0]))


@hsettings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(public=st.tuples(metres, metres), true_moves=st.lists(st.tuples(metres, metres), min_size=3, max_size=3))
def test_promise_rule_alert_depends_on_the_public_cell_only(zones, subscribe, category, public, true_moves):
    """Property: the true positions are never read, and moving the public point anywhere within its
    coarse cell changes nothing a subscriber can see (centre, radius, who is told). The alert's area
    is never smaller than what the map leaves open: a radius of at least the fuzz disc plus a cell."""
    rule = Rule.objects.create(name="r", category=category, min_reports=3, radius_m=100, hours=24,
                               verified_only=False)
    subscribe("+50499990001", lat=T[0], lon=T[1], radius_m=100)
    subscribe("+50499990002", lat=KM_NORTH[0], lon=KM_NORTH[1], radius_m=100)
    side = privacy.cell_side_m()
    public_point = _moved(T, *public)
    centre = privacy.cell_centre(*public_point, side)
    same_cell = [_moved(centre, side * f, side * g) for f, g in ((0.45, -0.45), (-0.45, 0.45), (0, 0))]
    truths = [_moved(T, n, e) for n, e in true_moves]

    seen = _rule_alert_for([public_point] * 3, truths, rule)
    assert seen is not None
    assert seen == _rule_alert_for(same_cell, [T] * 3, rule)  # same cell, anywhere in it, any truth
    (lat, lon, radius), _who = seen
    fuzz = settings.FUZZ_RADIUS_M
    assert radius >= fuzz + side
    assert haversine_m(lat, lon, *public_point) <= radius  # the area covers where the map says


@given(lat=st.floats(min_value=-80, max_value=80), lon=st.floats(min_value=-179.9, max_value=179.9))
def test_promise_a_cell_is_at_least_a_fuzz_disc_wide_and_holds_its_points(lat, lon):
    side = privacy.cell_side_m()
    assert side >= 2 * settings.FUZZ_RADIUS_M and side >= privacy.MIN_CELL_M
    clat, clon = privacy.cell_centre(lat, lon, side)
    # The centre is a function of the cell: every point of it reduces to the same centre.
    assert privacy.cell_centre(clat, clon, side) == (clat, clon)
    # And the point lies in the cell around that centre: within half its diagonal.
    assert haversine_m(lat, lon, clat, clon) <= side * 0.75


def test_promise_drafts_from_before_the_upgrade_cannot_be_sent(category, zones):
    """A rule draft made the old way is centred on the reports' true position: the migration
    discards it and forgets its firing, so the rule fires again the new way."""
    import importlib

    from django.apps import apps

    from testigo.alerts.models import RuleFiring

    migration = importlib.import_module("testigo.alerts.migrations.0002_discard_rule_drafts_that_located_reports")
    rule = Rule.objects.create(name="r", category=category, min_reports=3, radius_m=100, hours=24)
    old = Alert.objects.create(kind=Alert.Kind.RULE, rule=rule, lat=T[0], lon=T[1], radius_m=100)
    sent = Alert.objects.create(kind=Alert.Kind.RULE, rule=rule, lat=T[0], lon=T[1], status=Alert.Status.SENT)
    RuleFiring.objects.create(rule=rule, lat=T[0], lon=T[1], report_count=3, alert=old, until=timezone.now())

    migration.discard_old_rule_drafts(apps, None)

    old.refresh_from_db()
    sent.refresh_from_db()
    assert old.status == Alert.Status.DISCARDED and sent.status == Alert.Status.SENT
    assert not RuleFiring.objects.exists()
