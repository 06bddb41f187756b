"""Issue #19 (import throughput): an import asks for the areas of every row's true and public
point, so areas.area_at computes distances inline and remembers public points' answers. The
answers must be exactly those of the nearest-town rule with gazetteer.distance_m, remembered or
not, and a remembered answer must never outlive the gazetteer it was read from."""

from __future__ import annotations

import random

from testigo.geo import areas, gazetteer
from testigo.geo.gazetteer import Gazetteer, Place


def _by_the_rule(lat: float, lon: float, gaz: Gazetteer) -> tuple[str, str]:
    """The documented rule, plainly: every area-naming place within MAX_DISTANCE_M, nearest first."""
    here = Place("", "town", lat, lon)
    near = sorted((gazetteer.distance_m(here, p), p.admin1[:100], (p.name if p.kind == "municipality" else p.parent)[:100])
                  for p in gaz.places if p.kind in areas.AREA_KINDS and p.admin1
                  and gazetteer.distance_m(here, p) <= areas.MAX_DISTANCE_M)
    if not near:
        return "", ""
    admin1 = near[0][1]
    return admin1, next((a2 for _d, a1, a2 in near if a2 and a1 == admin1), "")


def _towns(seed: int, n: int = 150) -> Gazetteer:
    rng = random.Random(seed)
    places = []
    for i in range(n):
        kind = rng.choice(["town", "town", "municipality", "village"])
        places.append(Place(f"Lugar {i}", kind, 13 + rng.random() * 3, -89 + rng.random() * 5,
                            parent=rng.choice(["", f"Municipio {i % 9}"]), admin1=rng.choice(["", f"Depto {i % 5}"])))
    return Gazetteer(places)


def test_the_same_areas_as_the_nearest_town_rule_remembered_or_not():
    gaz = _towns(1)
    rng = random.Random(2)
    points = [(12.8 + rng.random() * 3.4, -89.2 + rng.random() * 5.4) for _ in range(3000)]
    points += points[:500]  # asked again: the remembered answers
    expected = [_by_the_rule(lat, lon, gaz) for lat, lon in points]
    assert [areas.area_at(lat, lon, gaz=gaz, polygons=None) for lat, lon in points] == expected
    assert [areas.area_at(lat, lon, gaz=gaz, remember=True, polygons=None) for lat, lon in points] == expected
    assert sum(1 for a1, _a2 in expected if a1) > 1000  # most points are near a town: the rule was exercised
    assert areas.area_at(None, -87.0, gaz=gaz, remember=True, polygons=None) == ("", "")


def test_a_remembered_answer_does_not_outlive_its_gazetteer():
    point = (14.1, -87.2)
    first = Gazetteer([Place("Uno", "municipality", 14.1, -87.2, admin1="Norte")])
    second = Gazetteer([Place("Dos", "municipality", 14.1, -87.2, admin1="Sur")])  # places uploaded since
    assert areas.area_at(*point, gaz=first, remember=True, polygons=None) == ("Norte", "Uno")
    assert areas.area_at(*point, gaz=second, remember=True, polygons=None) == ("Sur", "Dos")
    assert areas.area_at(*point, gaz=first, remember=True, polygons=None) == ("Norte", "Uno")
