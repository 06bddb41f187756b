"""Writes to zones: import a file, draw one, a point with a radius, deactivate. Audited.

Every change increments AlertsState.zones_version in the same transaction, which tells every
process that its cached spatial index is out of date."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from shapely.geometry import mapping

from testigo.alerts import geometry
from testigo.alerts.models import AlertsState, Zone
from testigo.alerts.text import fold
from testigo.core import audit, roles, untrusted


def bump_version() -> None:
    """Tell every process (web and workers) that its cached zone index is out of date."""
    updated = AlertsState.objects.filter(pk=1).update(zones_version=F("zones_version") + 1, zones_token=uuid.uuid4())
    if not updated:
        AlertsState.objects.get_or_create(pk=1, defaults={"zones_version": 1})


def _check_names(names: list[str]) -> None:
    keys = [fold(n) for n in names]
    twice = sorted({n for n, k in zip(names, keys, strict=True) if keys.count(k) > 1})
    if twice:
        raise ValidationError(_("These names appear more than once in the file: %(names)s.")
                              % {"names": ", ".join(twice[:10])})
    taken = list(Zone.objects.filter(key__in=keys).values_list("name_es", flat=True))
    if taken:
        raise ValidationError(_("Zones with these names already exist: %(names)s. Rename them or delete the old ones.")
                              % {"names": ", ".join(sorted(taken)[:10])})


@transaction.atomic
def import_zones(*, actor, filename: str, data: bytes, name_field: str = "name",
                 crs: str | None = None) -> tuple[list[Zone], list[str]]:
    """Create one zone per named polygon in a boundary file (GeoJSON, KML/KMZ, TopoJSON, zipped
    Shapefile); all or nothing. `crs`: EPSG code chosen at upload, for files that do not name theirs.

    Returns (zones, warnings). Self-intersecting polygons are repaired (and warned about); shapes
    that are not areas are skipped with a warning; a name already in use refuses the whole file."""
    roles.require(actor, roles.MANAGE_ALERTS)
    shapes, warnings = geometry.read_upload(filename=filename, data=data, name_field=name_field or "name",
                                             crs=crs or None)
    _check_names([s.name for s in shapes])
    zones = Zone.objects.bulk_create([
        Zone(name_es=s.name, name_en=s.name_en, key=fold(s.name), geometry=mapping(s.geometry), created_by=roles.person(actor))
        for s in shapes])
    bump_version()
    audit.record(action="alerts.zones_imported", actor=actor, obj=None,
                 data={"file": filename[:200], "zones": len(zones), "warnings": len(warnings)})
    return list(Zone.objects.filter(key__in=[fold(s.name) for s in shapes])), warnings


@transaction.atomic
def create_zone(*, actor, name_es: str, name_en: str = "", geojson: str | dict | None = None,
                lat: float | None = None, lon: float | None = None, radius_m: float | None = None) -> Zone:
    """Create one zone drawn on the map (a GeoJSON polygon) or a point with a radius."""
    roles.require(actor, roles.MANAGE_ALERTS)
    name_es, name_en = (name_es or "").strip()[:120], (name_en or "").strip()[:120]
    if not name_es:
        raise ValidationError(_("Give the zone a name."))
    _check_names([name_es])
    if geojson:
        try:
            data = untrusted.loads(geojson) if isinstance(geojson, str) else geojson
            if data.get("type") == "Feature":
                data = data["geometry"]
        except (ValueError, AttributeError, KeyError, TypeError) as exc:
            raise ValidationError(_("The drawn shape could not be read.")) from exc
        geom, _repaired = geometry.clean_area(data)
        zone = Zone(name_es=name_es, name_en=name_en, key=fold(name_es), geometry=mapping(geom), created_by=roles.person(actor))
    elif lat is not None and lon is not None and radius_m:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError(_("The point is outside the map."))
        if not 0 < radius_m <= settings.ALERT_MAX_RADIUS_KM * 1000:
            raise ValidationError(_("The radius must be between 1 m and %(km)d km.") % {"km": settings.ALERT_MAX_RADIUS_KM})
        zone = Zone(name_es=name_es, name_en=name_en, key=fold(name_es), kind=Zone.Kind.CIRCLE,
                    geometry=mapping(geometry.circle(lat, lon, radius_m)), centre_lat=lat, centre_lon=lon,
                    radius_m=int(radius_m), created_by=roles.person(actor))
    else:
        raise ValidationError(_("Draw a polygon, or give a point and a radius."))
    zone.save()
    bump_version()
    audit.record(action="alerts.zone_created", actor=actor, obj=zone, data={"name": name_es, "kind": zone.kind})
    return zone


@transaction.atomic
def delete_zone(*, actor, zone: Zone) -> None:
    """Remove a zone; subscriptions to it simply stop covering it."""
    roles.require(actor, roles.MANAGE_ALERTS)
    audit.record(action="alerts.zone_deleted", actor=actor, obj=zone, data={"name": zone.name_es})
    zone.delete()
    bump_version()
