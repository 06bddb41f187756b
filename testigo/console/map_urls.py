"""Console pages of the map: staff map, custom layers (API tokens: testigo/api/console_urls.py)."""

from django.urls import path

from testigo.console import map_views, tileset_views

urlpatterns = [
    path("map/", map_views.staff_map, name="map"),
    path("layers/", map_views.layers, name="layers"),
    path("layers/<int:layer_id>/toggle/", map_views.layer_toggle, name="layer_toggle"),
    path("layers/<int:layer_id>/delete/", map_views.layer_delete, name="layer_delete"),
    path("tilesets/", tileset_views.tilesets, name="tilesets"),
    path("tilesets/<int:tileset_id>/toggle/", tileset_views.tileset_toggle, name="tileset_toggle"),
    path("tilesets/<int:tileset_id>/delete/", tileset_views.tileset_delete, name="tileset_delete"),
]
