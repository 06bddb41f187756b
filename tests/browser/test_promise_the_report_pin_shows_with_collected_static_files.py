"""The pin on the report form's map shows once static files are collected with hashed names (as
`testigo serve` and the demo serve them): no image request of the page fails."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from django.core.management import call_command

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"


def _collect(settings, root: Path) -> None:
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}}
    call_command("collectstatic", interactive=False, verbosity=0)


def test_the_pin_images_load_when_static_files_have_hashed_names(page, transactional_db, settings, tmp_path):
    root = tmp_path / "static"
    _collect(settings, root)

    def serve_collected(route):  # what WhiteNoise does in production: only the collected, renamed files
        file = root / urlsplit(route.request.url).path.removeprefix(settings.STATIC_URL)
        if file.is_file():
            route.fulfill(path=file, content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        else:
            route.fulfill(status=404, body="not collected")

    page.route(f"**{settings.STATIC_URL}**", serve_collected)
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto("/report/")
    assert page.locator("link[href*='leaflet.']").get_attribute("href") != "/static/vendor/leaflet-1.9.4/leaflet.css"
    map_box = page.locator("#pick-map")
    map_box.wait_for(state="visible")
    map_box.click(position={"x": 60, "y": 60})
    pin = page.locator("#pick-map img.leaflet-marker-icon")
    pin.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    assert pin.evaluate("img => img.complete && img.naturalWidth > 0"), pin.get_attribute("src")
    assert page.locator("#pick-map img.leaflet-marker-shadow").evaluate("img => img.naturalWidth > 0")
    assert not failed, failed
