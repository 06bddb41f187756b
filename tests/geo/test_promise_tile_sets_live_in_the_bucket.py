"""Promise (issue #25): with TESTIGO_STORAGE_URL, tile sets are kept in the bucket (the "tiles"
storage) and served from a local copy made once per node; an aerial image waiting to be tiled is
held in the bucket too, so the worker that tiles it may run on another machine. Against a real
SeaweedFS server (tests/core/seaweed_kit.py)."""

from __future__ import annotations

import pytest

from testigo.geo.models import Tileset
from tests.core import seaweed_kit
from tests.geo import (
    test_promise_aerial_imagery_is_tiled_where_it_belongs_and_bad_images_refused as aerial_test,
)

seaweed, bucket = seaweed_kit.seaweed, seaweed_kit.bucket  # the fixtures of a real SeaweedFS
admin_client = aerial_test.admin_client

pytestmark = [pytest.mark.services]


@pytest.mark.django_db
def test_an_aerial_overlay_is_held_tiled_and_kept_in_the_bucket(seaweed, bucket, admin_client, settings, tmp_path,
                                                                django_capture_on_commit_callbacks, monkeypatch):
    from testigo.geo import services

    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    held_objects: list[str] = []
    real_fetch = services._fetch_held

    def fetch(source):  # what the worker is handed: a name in the bucket, never a path on the web node
        held_objects.append(source)
        assert source.startswith(services.HELD)
        assert f"{bucket}/media/{services.held_name(source)}" in seaweed.keys(f"{bucket}/")
        return real_fetch(source)

    monkeypatch.setattr(services, "_fetch_held", fetch)
    with django_capture_on_commit_callbacks(execute=True):
        response = aerial_test.upload(admin_client, aerial_test.geotiff(tmp_path))
    assert response.status_code == 302, response.content.decode()[:3000]
    tileset = Tileset.objects.get()
    assert tileset.status == "ready" and len(held_objects) == 1

    objects = seaweed.keys(f"{bucket}/")
    assert list(objects) == [f"{bucket}/media/{tileset.file.name}"]  # the MBTiles; the held image is gone
    assert objects[f"{bucket}/media/{tileset.file.name}"][:16] == b"SQLite format 3\x00"
    assert aerial_test.stored(settings) == []  # nothing in media/ or aerial/ on this node
    aerial_test._check_lines_up(tileset, tileset.max_zoom)  # served from this node's copy
    assert list((settings.DATA_DIR / "tile-cache").iterdir())
    assert seaweed_kit.anonymous_get(f"{seaweed.endpoint}/{seaweed_kit.BUCKET}/{bucket}/media/{tileset.file.name}") == 403

    services.delete_tileset(tileset=tileset, actor=tileset_admin(admin_client))
    assert seaweed.keys(f"{bucket}/") == {} and not list((settings.DATA_DIR / "tile-cache").iterdir())


def tileset_admin(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])
