"""The public map (home page) and the self-hosted tiles its basemaps read."""

from django.urls import path

from testigo.public import map_views, tile_views

urlpatterns = [
    path("", map_views.home, name="home"),
    path("tiles/<int:tileset_id>/<int:z>/<int:x>/<int:y>.<str:ext>", tile_views.tile, name="tile"),
]
