"""Every count on the map can be read: no two markers (clusters or single reports) overlap on
screen, at any zoom, and their counts still add up to the reports in view.

The server groups reports by grid cell; reports gathered around a cell corner make four clusters
whose centres sit pixels apart (issue #14: "29" hidden under "70"). Here reports sit in the four
cells around a corner of the grid at every zoom tested, the worst case."""

from __future__ import annotations

import pytest

from testigo.geo.tiles import lonlat_to_tile, tile_to_lonlat

ZOOMS = [6, 9, 12, 15, 17]
QUADRANTS = {(1, 1): 9, (1, -1): 5, (-1, 1): 3, (-1, -1): 2}  # reports in each cell around the corner
EPS = 3e-5  # degrees from the corner: 3 px at zoom 17, far less below


@pytest.fixture
def corner_reports(settings, report_factory, admin_user):
    from testigo.reports import services

    settings.FUZZ_RADIUS_M = 0  # public positions equal the true ones: the corner stays a corner
    x, y = lonlat_to_tile(-87.19, 14.07, ZOOMS[0] + 2)  # cells at zoom z are tiles of level z + 2
    lon, lat = tile_to_lonlat(x, y, ZOOMS[0] + 2)  # a corner at this level is one at every deeper level
    n = 0
    for (dlat, dlon), count in QUADRANTS.items():
        for i in range(count):
            report = report_factory(title=f"Informe {n}", lat=lat + dlat * EPS * (1 + i / 10),
                                    lon=lon + dlon * EPS * (1 + i / 10))
            services.verify(report=report, actor=admin_user)
            services.publish(report=report, actor=admin_user)
            n += 1
    return lat, lon


def _overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("zoom", ZOOMS)
def test_no_two_markers_overlap_and_counts_add_up(page, corner_reports, zoom):
    lat, lon = corner_reports
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto(f"/#map={zoom}/{lat:.6f}/{lon:.6f}")
    page.wait_for_selector("#map[data-loaded] .tg-cluster, #map[data-loaded] .tg-point")
    assert page.get_attribute("#map", "data-zoom") == str(zoom)
    icons = page.locator("#map .tg-cluster, #map .tg-point")
    boxes = [icons.nth(i).bounding_box() for i in range(icons.count())]
    clashes = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if _overlaps(a, b)]
    assert not clashes
    counts = [int(t) for t in page.locator("#map .tg-cluster span").all_inner_texts()]
    assert sum(counts) + page.locator("#map .tg-point").count() == int(page.get_attribute("#map", "data-total"))
    assert int(page.get_attribute("#map", "data-total")) == sum(QUADRANTS.values())
