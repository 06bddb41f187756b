"""The public map (home page)."""

from django.urls import path

from testigo.public import map_views

urlpatterns = [path("", map_views.home, name="home")]
