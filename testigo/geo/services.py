"""Writes to map layers: upload (GeoJSON, KML/KMZ, TopoJSON, Shapefile, GPX), edit, delete. Validated, transactional, audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.geo import files
from testigo.geo.models import Layer

MAX_LAYER_BYTES = 5 * 1024 * 1024  # a district map fits easily; the map must stay fast on a phone


def read_geo_file(*, filename: str, data: bytes, max_bytes: int, crs: str | None = None,
                  purpose: str = "zones") -> dict:
    """Decode an uploaded boundary file into a WGS84 FeatureCollection (see testigo.geo.files).
    Shared by map layers and alert zones, which each check the features they need."""
    return files.read_geo_file(filename, data, crs=crs, purpose=purpose, max_bytes=max_bytes)


def parse_layer_file(*, filename: str, data: bytes, crs: str | None = None) -> dict:
    """A GeoJSON FeatureCollection (WGS84) from an uploaded GeoJSON, KML/KMZ, TopoJSON, zipped
    Shapefile or GPX file; features without a geometry are left out."""
    collection = read_geo_file(filename=filename, data=data, max_bytes=MAX_LAYER_BYTES, crs=crs, purpose="layers")
    clean = [f for f in collection["features"] if f["geometry"] is not None]
    if not clean:
        raise ValidationError(_("The file contains no shapes."))
    return {"type": "FeatureCollection", "features": clean}


@transaction.atomic
def create_layer(*, actor, name_es: str, name_en: str, filename: str, data: bytes, colour: str = "#2c7fb8",
                 visible_by_default: bool = False, is_public: bool = True, crs: str | None = None) -> Layer:
    """Store an uploaded layer as WGS84 GeoJSON (other formats and coordinate systems converted
    server-side) and audit it. `crs`: the EPSG code chosen at upload, for files that do not say theirs."""
    roles.require(actor, roles.MANAGE_LAYERS)
    collection = parse_layer_file(filename=filename, data=data, crs=crs)
    layer = Layer(name_es=name_es.strip(), name_en=(name_en or name_es).strip(), geojson=collection,
                  feature_count=len(collection["features"]), colour=colour,
                  visible_by_default=visible_by_default, is_public=is_public)
    layer.full_clean()
    layer.save()
    audit.record(action="layer.created", actor=actor, obj=layer,
                 data={"name": layer.name_es, "features": layer.feature_count})
    return layer


@transaction.atomic
def update_layer(*, layer: Layer, actor, **changes) -> Layer:
    """Change a layer's name, colour or visibility flags."""
    roles.require(actor, roles.MANAGE_LAYERS)
    allowed = {"name_es", "name_en", "colour", "visible_by_default", "is_public", "position"}
    if set(changes) - allowed:
        raise ValueError(f"not editable: {sorted(set(changes) - allowed)}")
    for field, value in changes.items():
        setattr(layer, field, value)
    layer.full_clean()
    layer.save()
    audit.record(action="layer.edited", actor=actor, obj=layer, data={"fields": sorted(changes)})
    return layer


@transaction.atomic
def delete_layer(*, layer: Layer, actor) -> None:
    """Remove a layer from the map."""
    roles.require(actor, roles.MANAGE_LAYERS)
    audit.record(action="layer.deleted", actor=actor, obj=layer, data={"name": layer.name_es})
    layer.delete()


# --- Self-hosted tile sets (MBTiles / PMTiles) ------------------------------------------------------

def tileset_path(tileset) -> str:
    """A local path to the tile set's file: the storage's own when it is on disk; otherwise (an
    S3-like storage) a copy under the data directory, made once per machine, since SQLite and the
    PMTiles reader need a local file."""
    from django.conf import settings

    try:
        return tileset.file.path
    except NotImplementedError:
        local = settings.DATA_DIR / "tile-cache" / f"{tileset.pk}-{tileset.file.name.rsplit('/', 1)[-1]}"
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            partial = local.with_suffix(".part")
            with tileset.file.open("rb") as src, open(partial, "wb") as dst:
                for chunk in src.chunks():
                    dst.write(chunk)
            partial.rename(local)
        return str(local)


def install_tileset(*, actor, name_es: str, name_en: str = "", attribution: str = "", upload,
                    is_default: bool = False):
    """Check an uploaded MBTiles/PMTiles file and make it a basemap served by Testigo. A file that is
    not a readable tile set is refused with a ValidationError (translated) and nothing is kept."""
    import tempfile

    from django.conf import settings
    from django.core.files import File

    from testigo.geo import tilesets
    from testigo.geo.models import Tileset

    roles.require(actor, roles.MANAGE_LAYERS)
    if upload.size > settings.MAX_TILESET_MB * 1024 * 1024:
        raise ValidationError(_("The file is larger than %(mb)d MB, the largest tile set this site accepts.")
                              % {"mb": settings.MAX_TILESET_MB})
    with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR, suffix=".tiles") as tmp:
        if hasattr(upload, "temporary_file_path"):
            path = upload.temporary_file_path()
        else:
            for chunk in upload.chunks():
                tmp.write(chunk)
            tmp.flush()
            path = tmp.name
        info = tilesets.inspect_file(path)
        upload.seek(0)
        with transaction.atomic():
            if is_default:
                Tileset.objects.filter(is_default=True).update(is_default=False)
            tileset = Tileset(name_es=(name_es or info.name or upload.name).strip()[:100], attribution=attribution.strip(),
                              kind=info.kind, tile_format=info.tile_format, min_zoom=info.min_zoom,
                              max_zoom=info.max_zoom, bounds=info.bounds, size=upload.size, is_default=is_default)
            tileset.name_en = (name_en or tileset.name_es).strip()
            tileset.file.save(f"{info.kind}.{info.kind}", File(upload), save=False)
            try:
                tileset.full_clean()
                tileset.save()
                audit.record(action="tileset.installed", actor=actor, obj=tileset,
                             data={"name": tileset.name_es, "kind": info.kind, "format": info.tile_format,
                                   "bytes": upload.size})
            except Exception:
                tileset.file.delete(save=False)  # nothing half-installed
                raise
    return tileset


@transaction.atomic
def update_tileset(*, tileset, actor, **changes):
    """Show or hide a tile set, make it the maps' default basemap, or edit what is said of it (an
    overlay's title, date, attribution, default opacity, and whether the public sees it or staff only).
    The audit trail keeps each changed field's old and new value."""
    from testigo.geo.models import Tileset

    roles.require(actor, roles.MANAGE_LAYERS)
    if set(changes) - EDITABLE_TILESET_FIELDS:
        raise ValueError(f"not editable: {sorted(changes)}")
    if changes.get("is_default"):
        Tileset.objects.filter(is_default=True).exclude(pk=tileset.pk).update(is_default=False)
    before = {field: getattr(tileset, field) for field in changes}
    for field, value in changes.items():
        setattr(tileset, field, value)
    tileset.full_clean()
    tileset.save()
    changed = {field: [_plain(before[field]), _plain(getattr(tileset, field))]
               for field in sorted(changes) if before[field] != getattr(tileset, field)}
    audit.record(action="tileset.edited", actor=actor, obj=tileset, data={"fields": sorted(changes), "changes": changed})
    return tileset


EDITABLE_TILESET_FIELDS = frozenset({"is_active", "is_default", "name_es", "name_en", "attribution", "captured_on",
                                     "opacity", "is_public"})


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def delete_tileset(*, tileset, actor) -> None:
    """Remove a tile set and its file."""
    from testigo.geo import tilesets

    roles.require(actor, roles.MANAGE_LAYERS)
    pk = tileset.pk  # delete() sets it to None; this node's local copy is named after it
    with transaction.atomic():
        audit.record(action="tileset.deleted", actor=actor, obj=tileset, data={"name": tileset.name_es})
        tileset.delete()
    from django.conf import settings

    if not tileset.file:  # an overlay still being tiled, or whose tiling failed: no file yet
        return
    try:
        tilesets.forget(tileset.file.path)
    except NotImplementedError:  # remote storage: this node's local copy goes too
        for copy in (settings.DATA_DIR / "tile-cache").glob(f"{pk}-*"):
            tilesets.forget(str(copy))
            copy.unlink(missing_ok=True)
    tileset.file.delete(save=False)


# --- Aerial imagery overlays (geo/aerial.py) ------------------------------------------------------

def _aerial_dir():
    from django.conf import settings

    folder = settings.DATA_DIR / "aerial"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def start_overlay(*, actor, name_es: str, name_en: str = "", attribution: str = "", upload, corners=None,
                  captured_on=None, opacity: float = 0.8, gcps=None, is_public: bool = True):
    """Keep an uploaded GeoTIFF (or JPEG/PNG with `corners` = west, south, east, north, or with `gcps`,
    at least 3 (pixel_x, pixel_y, lon, lat) control points for an image at any heading) and queue its
    tiling (tasks.tile_overlay). An image that cannot be placed on the map (no georeferencing, bad
    corners, not an image) is refused at once with a ValidationError and nothing is kept. Returns the
    overlay's Tileset, status "tiling" and hidden until its tiles are ready."""
    import uuid
    from pathlib import Path

    from django.conf import settings
    from django.utils.translation import get_language

    from testigo.geo import aerial
    from testigo.geo.models import Tileset

    roles.require(actor, roles.MANAGE_LAYERS)
    if upload.size > settings.MAX_TILESET_MB * 1024 * 1024:
        raise ValidationError(_("The file is larger than %(mb)d MB, the largest tile set this site accepts.")
                              % {"mb": settings.MAX_TILESET_MB})
    suffix = Path(upload.name or "").suffix.lower()[:8] if Path(upload.name or "").suffix.lower() in {
        ".tif", ".tiff", ".jpg", ".jpeg", ".png"} else ".img"
    held = _aerial_dir() / f"{uuid.uuid4().hex}{suffix}"
    with open(held, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    source = ""
    try:
        aerial.check_source(held, corners, gcps)
        source = _hold_for_worker(held)
        with transaction.atomic():
            tileset = Tileset(name_es=(name_es or upload.name).strip()[:100], attribution=attribution.strip(),
                              kind=Tileset.Kind.MBTILES, tile_format="png", role=Tileset.Role.OVERLAY,
                              captured_on=captured_on, opacity=opacity, status=Tileset.Status.TILING, progress=0,
                              is_active=False, is_public=is_public, size=upload.size)
            tileset.name_en = (name_en or tileset.name_es).strip()
            tileset.full_clean()
            tileset.save()
            audit.record(action="tileset.overlay_uploaded", actor=actor, obj=tileset,
                         data={"name": tileset.name_es, "bytes": upload.size, "corners": bool(corners),
                               "gcps": len(gcps or [])})
            from testigo.geo import tasks

            job = {"tileset_id": tileset.pk, "source": source, "corners": list(corners) if corners else None,
                   "language": get_language() or settings.LANGUAGE_CODE}
            if gcps:
                job["gcps"] = [list(p) for p in gcps]
            transaction.on_commit(lambda: tasks.tile_overlay(**job))
    except Exception:
        held.unlink(missing_ok=True)  # nothing half-installed
        if held_name(source):
            _tiles_storage().delete(held_name(source))
        raise
    return tileset


HELD = "storage:"  # a job's source kept in the tiles storage (a remote store), not on this machine
HELD_FOLDER = "aerial-held"


def _tiles_storage():
    from django.core.files.storage import storages

    return storages["tiles"]


def held_name(source: str | None) -> str:
    return source[len(HELD):] if source and source.startswith(HELD) else ""


def _hold_for_worker(held):
    """Where the worker finds the image: this machine's file when the tile sets are on disk; with a
    remote store (TESTIGO_STORAGE_URL) the image is put there, since the worker may run on another
    machine, and this machine's copy is removed."""
    from django.core.files import File

    from testigo.core import storage as stores

    storage = _tiles_storage()
    if stores.on_disk(storage) is not None:
        return str(held)
    with open(held, "rb") as handle:
        name = storage.save(f"{HELD_FOLDER}/{held.name}", File(handle))
    held.unlink(missing_ok=True)
    return HELD + name


def _fetch_held(source: str):
    """The local file the worker tiles (fetched from the tiles storage when it was held there)."""
    from pathlib import Path

    name = held_name(source)
    if not name:
        return Path(source)
    local = _aerial_dir() / name.rsplit("/", 1)[-1]
    with _tiles_storage().open(name, "rb") as src, open(local, "wb") as dst:
        for chunk in src.chunks():
            dst.write(chunk)
    return local


def tile_overlay(*, tileset_id: int, source: str, corners=None, language: str = "", gcps=None) -> bool:
    """The worker's part: tile the held image, store the MBTiles and show the overlay; on failure the
    overlay is marked failed with the reason (in the uploader's language) and no file is kept.
    The held image is removed either way."""
    import time
    from pathlib import Path

    from django.core.files import File
    from django.utils import translation

    from testigo.geo import aerial, tilesets
    from testigo.geo.models import Tileset

    tileset = Tileset.objects.filter(pk=tileset_id, status=Tileset.Status.TILING).first()
    if tileset is None:  # deleted while queued
        if held_name(source):
            _tiles_storage().delete(held_name(source))
        else:
            Path(source).unlink(missing_ok=True)
        return False
    held = _fetch_held(source)
    out = _aerial_dir() / f"{tileset_id}-{held.stem}.mbtiles"
    last = [0.0]

    def progress(percent: int) -> None:
        if time.monotonic() - last[0] > 1 or percent >= 100:
            last[0] = time.monotonic()
            Tileset.objects.filter(pk=tileset_id).update(progress=min(percent, 99))

    try:
        with translation.override(language or None):
            try:
                aerial.tile(held, out, corners=corners, gcps=gcps, name=tileset.name_es, progress=progress)
                info = tilesets.inspect_file(out)
            except ValidationError as exc:
                Tileset.objects.filter(pk=tileset_id).update(status=Tileset.Status.FAILED,
                                                             error=" ".join(exc.messages)[:300])
                return False
            except Exception:
                Tileset.objects.filter(pk=tileset_id).update(
                    status=Tileset.Status.FAILED, error=_("Tiling failed unexpectedly; see the server log.")[:300])
                raise
        with open(out, "rb") as fh:
            tileset.file.save("overlay.mbtiles", File(fh), save=False)
        try:
            # An UPDATE of a row still tiling: an overlay deleted meanwhile is not brought back.
            done = Tileset.objects.filter(pk=tileset_id, status=Tileset.Status.TILING).update(
                file=tileset.file.name, min_zoom=info.min_zoom, max_zoom=info.max_zoom, bounds=info.bounds,
                size=out.stat().st_size, status=Tileset.Status.READY, progress=100, error="", is_active=True)
        except Exception:
            tileset.file.delete(save=False)
            raise
        if not done:
            tileset.file.delete(save=False)
        return bool(done)
    finally:
        held.unlink(missing_ok=True)
        out.unlink(missing_ok=True)
        if held_name(source):
            _tiles_storage().delete(held_name(source))
