"""Filling the admin areas of reports stored before they were assigned (`testigo places
assign-areas`, docs/geo.md "Admin areas"): the same rules as a new location (geo/areas.py)."""

from __future__ import annotations

from django.db import transaction

from testigo.core import audit, roles
from testigo.geo import admin_polygons, areas, gazetteer
from testigo.reports.models import Report

CHUNK = 1000


def assign_areas(*, force: bool = False) -> dict[str, int]:
    """Fill admin1/admin2 from the point where both are blank (or every located report with
    `force`, replacing typed areas), and the public areas from the public point everywhere.
    Chunks of CHUNK reports, each in its own transaction; returns what changed."""

    gaz, polygons = gazetteer.current(), admin_polygons.current()
    fields = ("id", "lat", "lon", "admin1", "admin2", "public_lat", "public_lon", "public_admin1", "public_admin2")
    done = {"reports": 0, "areas": 0, "public_areas": 0}
    last = 0
    while True:
        rows = list(Report.objects.filter(id__gt=last).order_by("id").only(*fields)[:CHUNK])
        if not rows:
            break
        last = rows[-1].id
        changed = []
        for r in rows:
            done["reports"] += 1
            before = (r.admin1, r.admin2, r.public_admin1, r.public_admin2)
            if r.lat is not None and (force or not (r.admin1 or r.admin2)):
                r.admin1, r.admin2 = areas.area_at(r.lat, r.lon, gaz=gaz, polygons=polygons)
            if r.public_lat is not None:
                r.public_admin1, r.public_admin2 = areas.area_at(r.public_lat, r.public_lon, gaz=gaz, polygons=polygons)
            else:
                r.public_admin1, r.public_admin2 = r.admin1, r.admin2
            if (r.admin1, r.admin2, r.public_admin1, r.public_admin2) != before:
                done["areas"] += (r.admin1, r.admin2) != before[:2]
                done["public_areas"] += (r.public_admin1, r.public_admin2) != before[2:]
                changed.append(r)
        with transaction.atomic():
            Report.objects.bulk_update(changed, ["admin1", "admin2", "public_admin1", "public_admin2"])
    audit.record(action="reports.areas_assigned", actor=roles.SYSTEM, object_type="reports.report",
                 data={**done, "force": force})
    return done
