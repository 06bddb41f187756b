"""/tiles/<id>/<z>/<x>/<y>.<ext>: the tiles of a self-hosted tile set (MBTiles or PMTiles), served by
Testigo so that visitors' browsers ask no third party for the map's background.

Tiles never change for a given tile set (a new file is a new tile set with a new id), so they are
cached for a day, with an ETag for revalidation. A missing tile is an empty 204, not a 404: Leaflet
shows nothing there, and logs stay quiet about the sea around an island's imagery.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

from testigo.core.access import may_enter
from testigo.geo import services, tilesets
from testigo.geo.models import Tileset

CACHE_SECONDS = 86400
logger = logging.getLogger(__name__)


@require_GET
def tile(request, tileset_id: int, z: int, x: int, y: int, ext: str):
    tileset = Tileset.objects.filter(pk=tileset_id, is_active=True, status=Tileset.Status.READY).only(
        "pk", "kind", "tile_format", "file", "is_public").first()
    if tileset is None or ext != tileset.tile_format:
        raise Http404
    if not tileset.is_public and not may_enter(request.user):  # a staff-only overlay: as if it did not exist
        raise Http404
    try:
        data = tilesets.read_tile(path=services.tileset_path(tileset), kind=tileset.kind, z=z, x=x, y=y)
    except (OSError, sqlite3.DatabaseError, ValueError) as exc:  # file gone or damaged since its upload
        logger.warning("tile set %s unreadable: %s", tileset.pk, exc)
        data = None
    headers = {"Cache-Control": f"{'public' if tileset.is_public else 'private'}, max-age={CACHE_SECONDS}"}
    if not data:
        return HttpResponse(status=204, headers=headers)
    etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    headers["ETag"] = etag
    if etag in request.headers.get("If-None-Match", ""):
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(data, content_type=tilesets.FORMATS[tileset.tile_format], headers=headers)
