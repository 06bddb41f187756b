"""Background jobs of the geo app (Huey): tiling aerial imagery overlays (services.tile_overlay)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from testigo.geo import services


@db_task()
def tile_overlay(*, tileset_id: int, source: str, corners=None, language: str = "", gcps=None) -> bool:
    """Tile one uploaded GeoTIFF (or JPEG/PNG with corners or control points) into an MBTiles overlay."""
    return services.tile_overlay(tileset_id=tileset_id, source=source, corners=corners, language=language, gcps=gcps)
