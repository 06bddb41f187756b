"""Writes to the gazetteer's own places: an administrator's list (CSV, GeoJSON, KML...), one place
removed, the demo's list. Validated, transactional, audited; the same permission as map layers."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from testigo.core import audit, roles
from testigo.geo import place_files
from testigo.geo.gazetteer import countries
from testigo.geo.models import GazetteerPlace


@transaction.atomic
def import_places(*, actor, filename: str, data: bytes, source: str = "") -> tuple[int, int]:
    """Add (or update, by name + kind + town) the places of an uploaded file; returns (added, updated).
    A refused file (ValidationError naming the row) changes nothing."""
    roles.require(actor, roles.MANAGE_LAYERS)
    places = place_files.read_places(filename, data)
    country = (countries() or [""])[0]
    existing = {(p.name, p.kind, p.parent): p for p in GazetteerPlace.objects.all()}
    added, changed = [], []
    for item in places:
        row = existing.get((item["name"], item["kind"], item["parent"]))
        values = {**item, "country": country, "source": (source or filename)[:100]}
        if row is None:
            row = GazetteerPlace(**values)
            existing[(row.name, row.kind, row.parent)] = row
            added.append(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            if row not in added and row not in changed:
                changed.append(row)
    for row in added + changed:
        row.full_clean(validate_unique=False, validate_constraints=False)
    GazetteerPlace.objects.bulk_create(added, batch_size=1000)
    fields = ["lat", "lon", "admin1", "country", "alternate_names", "precision_m", "source"]
    GazetteerPlace.objects.bulk_update(changed, fields, batch_size=1000)
    if changed:  # bulk_update skips auto_now: touch them so every process rebuilds its index
        from django.utils import timezone

        GazetteerPlace.objects.filter(pk__in=[r.pk for r in changed]).update(updated_at=timezone.now())
    audit.record(action="gazetteer.imported", actor=actor, object_type="geo.gazetteerplace",
                 data={"file": filename[:200], "added": len(added), "updated": len(changed)})
    return len(added), len(changed)


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
