"""{% basemap_config %}: the #basemap-config JSON script read by static/testigo/basemap.js."""

from __future__ import annotations

from django import template
from django.utils.html import json_script

from testigo.geo.basemaps import basemap_config as _config

register = template.Library()


@register.simple_tag
def basemap_config(staff=False):
    """{% basemap_config staff=True %} on console pages: staff-only overlays are offered there too."""
    return json_script(_config(staff=bool(staff)), "basemap-config")
