"""A basemap that always draws (issue #22): country shapes are vendored with Testigo (world-atlas,
Natural Earth), small enough that the home page with the outline map stays within the page budget
(≤ 150 KB gzipped, ≤ 50 KB of JavaScript); TESTIGO_TILE_URL=none leaves the maps with the outline
map alone and the Content-Security-Policy with no tile origin."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from testigo.geo.basemaps import WORLD_ATLAS

ROOT = Path(__file__).resolve().parents[2]


def _load_tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location("vendor_basemap", ROOT / "tools" / "vendor_basemap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gz(path: str) -> int:
    return len(gzip.compress(Path(path).read_bytes(), 9))


def test_the_vendored_country_files_are_there_small_and_cover_the_region():
    world, region = finders.find(f"{WORLD_ATLAS}/countries-110m.json"), finders.find(f"{WORLD_ATLAS}/region-50m.json")
    assert finders.find(f"{WORLD_ATLAS}/LICENSE") and finders.find(f"{WORLD_ATLAS}/README")
    assert gz(world) + gz(region) <= 100 * 1024
    names = {g["properties"]["name"] for g in json.loads(Path(region).read_text())["objects"]["countries"]["geometries"]}
    assert {"Honduras", "Guatemala", "El Salvador", "Nicaragua", "Belize", "Costa Rica", "Panama"} <= names
    assert len(json.loads(Path(world).read_text())["objects"]["countries"]["geometries"]) > 170


@pytest.mark.django_db
def test_the_home_page_with_the_outline_map_stays_within_the_page_budget(client, settings):
    settings.TILE_URL = ""
    html = client.get("/").content
    config = json.loads(re.search(rb'<script id="basemap-config" type="application/json">(.*?)</script>', html, re.S)[1])
    assert config["tileUrl"] == "" and config["defaultKey"] == "outline"
    scripts = re.findall(rb'<script src="/static/([^"]+)"', html)
    styles = re.findall(rb'<link rel="stylesheet" href="/static/([^"]+)"', html)
    js = sum(gz(finders.find(s.decode())) for s in scripts)
    outline = sum(gz(finders.find(url.removeprefix("/static/"))) for url in config["fallback"].values())
    assert b"basemap.js" in b"".join(scripts) and js <= 50 * 1024
    assert js + sum(gz(finders.find(s.decode())) for s in styles) + len(gzip.compress(html)) + outline <= 150 * 1024


def test_cutting_a_region_keeps_its_countries_with_their_own_arcs():
    tool = _load_tool()
    # Two squares sharing an edge (arc 1, walked backwards by the second) and a third far away.
    topology = {"type": "Topology", "transform": {"scale": [1, 1], "translate": [0, 0]},
                "arcs": [[[0, 0], [0, 1], [1, 0], [0, -1]], [[1, 0], [-1, 0]], [[50, 50], [1, 0], [0, 1], [-1, -1]],
                         [[1, 0], [1, 0], [0, 1], [-1, 0]], [[2, 1], [-1, 0]]],
                "objects": {"countries": {"type": "GeometryCollection", "geometries": [
                    {"type": "Polygon", "arcs": [[2]], "id": "far"},
                    {"type": "Polygon", "arcs": [[0, 1]], "id": "a"},
                    {"type": "Polygon", "arcs": [[-2, 3, 4]], "id": "b"}]}}}
    cut = tool.cut_region(topology, (-1, -1, 3, 3))
    assert [g["id"] for g in cut["objects"]["countries"]["geometries"]] == ["a", "b"]
    assert len(cut["arcs"]) == 4 and topology["arcs"][2] not in cut["arcs"]
    kept = {g["id"]: g["arcs"] for g in cut["objects"]["countries"]["geometries"]}
    by_index = lambda i: cut["arcs"][i if i >= 0 else ~i]  # noqa: E731
    assert by_index(kept["b"][0][0]) == topology["arcs"][1] and kept["b"][0][0] < 0
    assert by_index(kept["b"][0][1]) == topology["arcs"][3]


@pytest.mark.parametrize(("value", "tile_url", "origin"), [
    ("none", "", None), ("NONE ", "", None),
    ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
])
def test_tile_url_none_means_no_tile_server_and_no_tile_origin_in_the_policy(tmp_path, value, tile_url, origin):
    code = ("import json; from django.conf import settings; "
            "print(json.dumps([settings.TILE_URL, settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))")
    env = {**os.environ, "TESTIGO_TILE_URL": value, "TESTIGO_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "testigo.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], env=env,
                         capture_output=True, text=True, check=True).stdout
    url, img_src = json.loads(out.strip().splitlines()[-1])
    assert url == tile_url
    assert img_src == ["'self'", "data:"] + ([origin] if origin else [])
