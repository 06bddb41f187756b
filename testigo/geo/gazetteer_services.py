"""Writes to the gazetteer's own places: an administrator's list (CSV, GeoJSON, KML...), one place
removed, the demo's list. Validated, transactional, audited; the same permission as map layers."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from testigo.core import audit, roles
from testigo.geo import place_files
from testigo.geo.gazetteer import countries
from testigo.geo.models import GazetteerPlace

COLUMNS = ("name", "kind", "lat", "lon", "parent", "admin1", "country", "alternate_names", "precision_m", "source",
           "updated_at")


@transaction.atomic
def import_places(*, actor, filename: str, data: bytes, source: str = "") -> tuple[int, int]:
    """Add (or update, by name + kind + town) the places of an uploaded file; returns (added, updated).
    A refused file (ValidationError naming the row) changes nothing.

    The rows are checked by the reader (place_files.py: every field's type, range and length, the
    kind against KINDS), so they are written with one executemany (COPY on PostgreSQL), an updated place being deleted
    and written again: 50,000 model instances through full_clean and bulk_create took 4.6 s of CPU,
    bulk_update of as many rows minutes (bench/bench_admin_areas.py, docs/decisions.md). Nothing
    points at a place's id."""
    roles.require(actor, roles.MANAGE_LAYERS)
    places = place_files.read_places(filename, data)
    country = (countries() or [""])[0]
    source = (source or filename)[:100]
    existing = {(name, kind, parent): pk for pk, name, kind, parent
                in GazetteerPlace.objects.order_by().values_list("id", "name", "kind", "parent").iterator(5000)}
    rows: dict[tuple[str, str, str], dict] = {}
    for item in places:  # the last row of a name wins, as it did
        rows[(item["name"], item["kind"], item["parent"])] = item
    replaced = [existing[key] for key in rows if key in existing]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = [(item["name"], item["kind"], item["lat"], item["lon"], item["parent"], item["admin1"], country,
               json.dumps(item["alternate_names"]), item["precision_m"], source, now) for item in rows.values()]
    table = connection.ops.quote_name(GazetteerPlace._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(replaced), 500):
            chunk = replaced[start:start + 500]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
        if connection.vendor == "postgresql":  # COPY: one stream instead of 50,000 statements
            with cursor.cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES "
                               f"({', '.join(['%s'] * len(COLUMNS))})", values)
    added, updated = len(values) - len(replaced), len(replaced)
    audit.record(action="gazetteer.imported", actor=actor, object_type="geo.gazetteerplace",
                 data={"file": filename[:200], "added": added, "updated": updated})
    return added, updated


@transaction.atomic
def delete_place(*, actor, place: GazetteerPlace) -> None:
    roles.require(actor, roles.MANAGE_LAYERS)
    audit.record(action="gazetteer.place_deleted", actor=actor, obj=place, data={"name": place.name})
    place.delete()


@transaction.atomic
def delete_source(*, actor, source: str) -> int:
    """Remove every place an upload added (e.g. to load a corrected version of the same list)."""
    roles.require(actor, roles.MANAGE_LAYERS)
    count, _ = GazetteerPlace.objects.filter(source=source).delete()
    audit.record(action="gazetteer.source_deleted", actor=actor, object_type="geo.gazetteerplace",
                 data={"source": source, "deleted": count})
    return count


def load_file(*, path: Path, source: str) -> tuple[int, int]:
    """Load a list shipped with Testigo (the demo's) as the system."""
    return import_places(actor=roles.SYSTEM, filename=path.name, data=path.read_bytes(), source=source)


@transaction.atomic
def import_admin_areas(*, actor, filename: str, data: bytes, level: str, name_field: str = "",
                       admin1_field: str = "", crs: str | None = None) -> tuple[int, int]:
    """Store the department (admin1) or municipality (admin2) polygons of an uploaded boundary file,
    simplified (geo/admin_polygons.py); returns (added, updated). An area already stored with the
    same level, department and name is replaced. A municipality whose department the file does not
    give takes the department polygon (or, without one, the nearest town's department) at a point
    inside it. A refused file changes nothing. Reports keep their areas until `testigo places
    assign-areas` is run (or they move)."""
    from shapely.geometry import shape

    from testigo.geo import admin_polygons, areas
    from testigo.geo.models import AdminArea

    roles.require(actor, roles.MANAGE_LAYERS)
    found = admin_polygons.read_areas(filename, data, level=level, name_field=name_field,
                                      admin1_field=admin1_field, crs=crs)
    if level == "admin2" and any(not item["admin1"] for item in found):
        for item in found:
            if not item["admin1"]:
                inside = shape(item["geometry"]).representative_point()
                item["admin1"] = areas.area_at(inside.y, inside.x)[0]
    existing = {(a.admin1, a.name): a for a in AdminArea.objects.filter(level=level)}
    added = updated = 0
    for item in found:
        row = existing.get((item["admin1"], item["name"]))
        if row is None:
            row = AdminArea(level=level)
            added += 1
        else:
            updated += 1
        for name, value in item.items():
            setattr(row, name, value)
        row.source = filename[:100]
        row.full_clean(validate_unique=False, validate_constraints=False)
        row.save()
        existing[(row.admin1, row.name)] = row
    audit.record(action="gazetteer.areas_imported", actor=actor, object_type="geo.adminarea",
                 data={"file": filename[:200], "level": level, "added": added, "updated": updated})
    return added, updated


@transaction.atomic
def delete_admin_areas(*, actor, level: str, source: str = "") -> int:
    """Remove the stored polygons of a level (only those one file added, when `source` is given)."""
    from testigo.geo.models import AdminArea

    roles.require(actor, roles.MANAGE_LAYERS)
    rows = AdminArea.objects.filter(level=level)
    if source:
        rows = rows.filter(source=source)
    count, _ = rows.delete()
    audit.record(action="gazetteer.areas_deleted", actor=actor, object_type="geo.adminarea",
                 data={"level": level, "source": source, "deleted": count})
    return count
