"""A burst of reports of one category in one place, beyond that place's usual rate, becomes a
hotspot (stored, shown to staff on a page and on the staff map's layer); the usual rate of a busy
place does not, and a hotspot ends when the burst does. Nothing of it reaches the public."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from testigo.reports import hotspots
from testigo.reports.models import Hotspot

KENNEDY = (14.0723, -87.1921)
CENTRO = (14.1050, -87.2040)  # about 4 km away


@pytest.fixture
def burst(report_factory):
    def make(n: int, where=KENNEDY, hours_ago: float = 1, **kwargs):
        now = timezone.now()
        return [report_factory(lat=where[0] + 0.0002 * i, lon=where[1], received_at=now - timedelta(hours=hours_ago),
                               title=f"Robo {i}", **kwargs) for i in range(n)]
    return make


def test_the_poisson_tail_and_the_scan_statistic():
    assert hotspots.poisson_tail(0, 2.0) == 1.0
    assert hotspots.poisson_tail(1, 2.0) == pytest.approx(1 - 2.718281828 ** -2, rel=1e-6)
    assert hotspots.poisson_tail(5, 0.01) == pytest.approx(8.3e-13, rel=0.01)
    assert hotspots.log_likelihood_ratio(2, 3.0) == 0.0
    assert hotspots.log_likelihood_ratio(6, 1.0) > hotspots.log_likelihood_ratio(4, 1.0)


def test_a_burst_in_a_quiet_place_is_a_hotspot_of_its_category_and_parent(burst, category):
    burst(5)
    found = hotspots.detect()
    by_category = {h.category_id: h for h in found}
    assert set(by_category) == {category.pk, category.parent_id}  # Robbery, and Crime above it
    spot = by_category[category.pk]
    assert spot.active and spot.observed == 5 and spot.expected < 1 and spot.p_value < 0.001
    assert abs(spot.lat - KENNEDY[0]) < 0.01 and abs(spot.lon - KENNEDY[1]) < 0.01


def test_the_usual_rate_of_a_busy_place_is_not_a_hotspot(burst, settings):
    for day in range(1, 28):  # five robberies a day at the Kennedy for four weeks
        burst(5, hours_ago=24 * day)
    burst(5)
    assert hotspots.detect() == []


def test_too_few_reports_are_not_a_hotspot(burst):
    burst(2)
    assert hotspots.detect() == []


def test_a_hotspot_lasts_while_the_burst_does_and_then_ends(burst):
    burst(4)
    first = hotspots.detect()[0]
    later = timezone.now() + timedelta(minutes=15)
    again = {h.pk: h for h in hotspots.detect(later)}
    assert first.pk in again and again[first.pk].first_seen == first.first_seen
    assert again[first.pk].last_seen == later
    assert hotspots.detect(timezone.now() + timedelta(hours=8)) == []
    first.refresh_from_db()
    assert not first.active


def test_staff_see_hotspots_on_a_page_and_the_map_layer_the_public_never(burst, client, moderator):
    burst(5)
    hotspots.detect()
    assert client.get(reverse("console:hotspots_geojson")).status_code in (302, 403)
    client.force_login(moderator)
    page = client.get(reverse("console:hotspots")).content.decode()
    assert 'id="hotspots-active"' in page and "Robo" in page
    layer = client.get(reverse("console:hotspots_geojson")).json()
    assert len(layer["features"]) == Hotspot.objects.filter(active=True).count() == 2
    assert 'data-hotspots="' in client.get(reverse("console:map")).content.decode()
    client.logout()
    assert "data-hotspots" not in client.get("/").content.decode()


def test_a_hotspot_of_confidential_reports_is_hidden_from_staff_who_may_not_see_them(burst, client, make_user,
                                                                                      moderator):
    from testigo.core import roles
    from testigo.reports.models import Report

    for report in burst(4):
        Report.objects.filter(pk=report.pk).update(visibility=Report.Visibility.CONFIDENTIAL)
    assert all(h.includes_confidential for h in hotspots.detect())
    client.force_login(make_user(roles.VOLUNTEER))
    assert client.get(reverse("console:hotspots_geojson")).json()["features"] == []
    assert 'id="hotspots-active"' not in client.get(reverse("console:hotspots")).content.decode()
    client.force_login(moderator)  # may see confidential reports
    assert len(client.get(reverse("console:hotspots_geojson")).json()["features"]) == 2
