"""Console pages of the map issue: staff map, custom layers, API tokens."""

from django.urls import path

from testigo.console import map_views, token_views

urlpatterns = [
    path("map/", map_views.staff_map, name="map"),
    path("layers/", map_views.layers, name="layers"),
    path("layers/<int:layer_id>/toggle/", map_views.layer_toggle, name="layer_toggle"),
    path("layers/<int:layer_id>/delete/", map_views.layer_delete, name="layer_delete"),
    path("tokens/", token_views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", token_views.token_revoke, name="token_revoke"),
]
