"""The small map of a story: its linked public reports' PUBLIC (fuzzed) points drawn as a
server-side SVG, numbered like the list of reports below it. No tiles, no script, no request to
another site: it shows on a phone with JavaScript off and costs a few hundred bytes per point."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 600, 320, 24
MIN_SPAN_DEG = 0.02  # about 2 km: a single report is not drawn at street scale


def svg(points: list[dict], *, label: str, outline: list[list[list[float]]] | None = None,
        overlays: list[tuple[str, list]] | None = None) -> SafeString:
    """points: dicts with public_lat, public_lon, number, title, url. Empty → empty string.
    outline: optional rings of [lon, lat] (country borders) drawn under the points, clipped by the frame;
    overlays: optional (colour, rings) pairs (the deployment's zones) drawn over the outline, under the points."""
    points = [p for p in points if p.get("public_lat") is not None and p.get("public_lon") is not None]
    if not points:
        return mark_safe("")
    lats = [p["public_lat"] for p in points]
    lons = [p["public_lon"] for p in points]
    mid_lat = (min(lats) + max(lats)) / 2
    x_scale_geo = math.cos(math.radians(mid_lat))  # equirectangular, true to scale at mid latitude
    span_x = max((max(lons) - min(lons)) * x_scale_geo, MIN_SPAN_DEG)
    span_y = max(max(lats) - min(lats), MIN_SPAN_DEG)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
    centre_x = (min(lons) + max(lons)) / 2 * x_scale_geo
    centre_y = mid_lat

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return WIDTH / 2 + (lon * x_scale_geo - centre_x) * scale, HEIGHT / 2 - (lat - centre_y) * scale

    bar_km = span_x * 111.32 / 4
    bar_px = (WIDTH - 2 * PAD) / 4 if span_x * scale >= (WIDTH - 2 * PAD) - 1 else bar_km / 111.32 * scale
    parts = [f'<svg class="story-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{escape(label)}">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#eef2f0"/>']
    def path(rings_lonlat) -> str:
        rings = []
        for ring in rings_lonlat:
            corners = []
            for lon, lat in ring:  # a vertex within a pixel of the last one adds nothing but bytes
                x, y = xy(lat, lon)
                if not corners or abs(x - corners[-1][0]) + abs(y - corners[-1][1]) >= 1:
                    corners.append((x, y))
            if len(corners) > 2 and any(-WIDTH <= x <= 2 * WIDTH and -HEIGHT <= y <= 2 * HEIGHT for x, y in corners):
                rings.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in corners) + "Z")
        return "".join(rings)

    if outline and (d := path(outline)):
        parts.append(f'<path class="outline" d="{d}" fill="#fbfbf8" stroke="#8a8a80" stroke-width="1" '
                     f'stroke-linejoin="round"/>')
    for colour, rings in overlays or ():
        if d := path(rings):
            parts.append(f'<path class="overlay" d="{d}" fill="{escape(colour)}" fill-opacity=".12" '
                         f'stroke="{escape(colour)}" stroke-width="1.5" fill-rule="evenodd"/>')
    for p in points:
        x, y = xy(p["public_lat"], p["public_lon"])
        parts.append(f'<a href="{escape(p["url"])}"><title>{p["number"]}. {escape(p["title"])}</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="#b3261e" fill-opacity=".85" stroke="#fff"/>'
                     f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" fill="#fff">'
                     f'{p["number"]}</text></a>')
    parts.append(f'<line x1="{PAD}" y1="{HEIGHT - 10}" x2="{PAD + bar_px:.1f}" y2="{HEIGHT - 10}" '
                 f'stroke="#333" stroke-width="2"/><text x="{PAD}" y="{HEIGHT - 14}" font-size="10" '
                 f'fill="#333">{bar_km:.1f} km</text></svg>')
    return mark_safe("".join(parts))  # noqa: S308 — numbers and escaped text only
