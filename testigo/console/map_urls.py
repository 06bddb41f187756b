"""Console pages of the map: staff map, custom layers, the gazetteer (API tokens: testigo/api/console_urls.py)."""

from django.urls import path

from testigo.console import map_views, place_views, tileset_views

urlpatterns = [
    path("map/", map_views.staff_map, name="map"),
    path("layers/", map_views.layers, name="layers"),
    path("layers/<int:layer_id>/toggle/", map_views.layer_toggle, name="layer_toggle"),
    path("layers/<int:layer_id>/delete/", map_views.layer_delete, name="layer_delete"),
    path("tilesets/", tileset_views.tilesets, name="tilesets"),
    path("tilesets/aerial/", tileset_views.tileset_aerial, name="tileset_aerial"),
    path("tilesets/<int:tileset_id>/toggle/", tileset_views.tileset_toggle, name="tileset_toggle"),
    path("tilesets/<int:tileset_id>/edit/", tileset_views.tileset_edit, name="tileset_edit"),
    path("tilesets/<int:tileset_id>/delete/", tileset_views.tileset_delete, name="tileset_delete"),
    path("places/", place_views.places, name="places"),
    path("places/search", place_views.places_search, name="places_search"),
    path("places/remove/", place_views.places_delete_source, name="places_delete_source"),
    path("places/areas/", place_views.admin_areas_upload, name="admin_areas_upload"),
    path("places/areas/remove/", place_views.admin_areas_delete, name="admin_areas_delete"),
    path("r/<str:reference>/place/<int:index>/accept/", place_views.suggestion_accept, name="place_accept"),
    path("r/<str:reference>/place/dismiss/", place_views.suggestion_dismiss, name="place_dismiss"),
]
