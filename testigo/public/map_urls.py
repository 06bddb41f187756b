"""The public map (home page), its embeddable widget and the self-hosted tiles its basemaps read."""

from django.urls import path

from testigo.public import embed_views, map_views, tile_views

urlpatterns = [
    path("", map_views.home, name="home"),
    path("embed/", embed_views.embed_builder, name="embed_builder"),
    path("embed/map/", embed_views.embed_map, name="embed_map"),
    path("tiles/<int:tileset_id>/<int:z>/<int:x>/<int:y>.<str:ext>", tile_views.tile, name="tile"),
]
