"""{% basemap_config %}: the #basemap-config JSON script read by static/testigo/basemap.js."""

from __future__ import annotations

from django import template
from django.utils.html import json_script

from testigo.geo.basemaps import basemap_config as _config

register = template.Library()


@register.simple_tag
def basemap_config():
    return json_script(_config(), "basemap-config")
