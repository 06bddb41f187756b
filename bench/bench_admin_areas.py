"""Admin areas and the places list (issue #23), on SQLite and then on PostgreSQL
(TESTIGO_BENCH_POSTGRES_URL):

- admin_areas.index_build: reading the 18 departments of Honduras (geoBoundaries HND ADM1,
  tests/geo/boundaries/) from the database into the in-memory index (geo/admin_polygons.py).
- admin_areas.lookups_per_s: point-in-polygon look-ups (which department holds a point) over
  random points in Honduras' box. admin_areas.area_at_per_s: the whole rule a new report runs
  (polygons, then the nearest town for what they leave open), index and gazetteer already read.
- admin_areas.choropleth_ms: /api/v1/map/areas.geojson's body for the 18 departments.
- places_upload.csv_50k: an administrator's CSV of 50,000 places uploaded into the database
  (gazetteer_services.import_places: read, checked, inserted in one transaction). Target ≤ 1 s.
  places_upload.csv_50k_again: the same file uploaded again (every row an update).

Prints JSON lines {"name","value","unit","target","n"} (load figures add `cpu_s`, this process's
own CPU time, which a busy shared machine does not inflate). TESTIGO_BENCH_QUICK=1: 20,000 look-ups
instead of 200,000; the upload stays at 50,000 rows (it is the target).
"""

from __future__ import annotations

import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # noqa: E402

HND_ADM1 = _seed.ROOT / "tests" / "geo" / "boundaries" / "hnd_adm1.geojson"
LOOKUPS = 20_000 if _seed.QUICK else 200_000
PLACES = 50_000
HONDURAS = (12.98, -89.36, 16.52, -83.13)  # south, west, north, east (mainland and Bay Islands)


def areas_figures(backend: str) -> None:
    from django.test.utils import override_settings

    from testigo.api import map_api
    from testigo.core import roles
    from testigo.geo import admin_polygons, areas, gazetteer, gazetteer_services

    with override_settings(GAZETTEER_COUNTRIES="HN"):
        gazetteer_services.import_admin_areas(actor=roles.SYSTEM, filename=HND_ADM1.name,
                                              data=HND_ADM1.read_bytes(), level="admin1")
        start, cpu = time.perf_counter(), time.process_time()
        index = admin_polygons.current()
        _seed.emit(f"admin_areas.index_build.{backend}", round((time.perf_counter() - start) * 1000, 1), "ms", None,
                   18, cpu_s=round(time.process_time() - cpu, 3))
        gaz = gazetteer.current()
        rng = random.Random(23)
        points = [(rng.uniform(HONDURAS[0], HONDURAS[2]), rng.uniform(HONDURAS[1], HONDURAS[3])) for _ in range(LOOKUPS)]
        start, cpu = time.perf_counter(), time.process_time()
        inside = sum(1 for lat, lon in points if index.find("admin1", lon, lat))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        _seed.emit(f"admin_areas.lookups_per_s.{backend}", round(LOOKUPS / elapsed), "1/s", None, LOOKUPS,
                   cpu_per_s=round(LOOKUPS / max(cpu, 1e-9)), inside=inside)
        start, cpu = time.perf_counter(), time.process_time()
        for lat, lon in points:
            areas.area_at(lat, lon, gaz=gaz, polygons=index)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        _seed.emit(f"admin_areas.area_at_per_s.{backend}", round(LOOKUPS / elapsed), "1/s", None, LOOKUPS,
                   cpu_per_s=round(LOOKUPS / max(cpu, 1e-9)))
        timings = []
        for _ in range(20):
            start = time.perf_counter()
            body = map_api._choropleth([("Cortés", "", 120), ("Francisco Morazán", "", 300)], "admin1")
            timings.append((time.perf_counter() - start) * 1000)
        _seed.emit(f"admin_areas.choropleth_ms.{backend}", round(sorted(timings)[10], 2), "ms", None, 18,
                   bytes=len(body))


def places_csv(n: int) -> bytes:
    rng = random.Random(5)
    syllables = ["ma", "ri", "lo", "pe", "sa", "ta", "gu", "co", "ne", "vi", "ra", "do", "chi", "que", "lan"]
    kinds = ["colonia", "barrio", "residencial", "aldea"]
    out = io.StringIO()
    out.write("name,lat,lon,kind,parent,department,alternate_names\n")
    for i in range(n):
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
        kind = kinds[i % len(kinds)]
        out.write(f"{kind.capitalize()} {word} {i},{13 + rng.random() * 3:.5f},{-89 + rng.random() * 5:.5f},{kind},"
                  f"Tegucigalpa,Francisco Morazan,{word} {i}\n")
    return out.getvalue().encode()


def upload_figures(backend: str) -> None:
    from testigo.core import roles
    from testigo.geo import gazetteer_services
    from testigo.geo.models import GazetteerPlace

    data = places_csv(PLACES)
    for name in ("csv_50k", "csv_50k_again"):
        start, cpu = time.perf_counter(), time.process_time()
        added, updated = gazetteer_services.import_places(actor=roles.SYSTEM, filename="places.csv", data=data)
        _seed.emit(f"places_upload.{name}.{backend}", round(time.perf_counter() - start, 3), "s", 1.0, PLACES,
                   cpu_s=round(time.process_time() - cpu, 3), added=added, updated=updated,
                   bytes=len(data), stored=GazetteerPlace.objects.count())


def run(backend: str) -> None:
    areas_figures(backend)
    upload_figures(backend)


if __name__ == "__main__":
    _seed.run_on_both("admin_areas", run, __file__)
