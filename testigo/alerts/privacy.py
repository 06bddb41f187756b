"""What an alert may reveal about where reports are: never more than the public map.

The promise: no alert, and nothing a subscriber can observe (who was told, what the text says,
where the alert is centred), locates a report more precisely than the public map does, and
confidential or restricted reports never trigger anything that reaches the public.

How threshold rules keep it:
- only reports of public visibility are counted (rule alerts reach the public, even as drafts
  a coordinator may approve);
- each counted report is reduced to the **coarse cell** containing its *public* (fuzzed) position,
  a square at least `cell_side_m()` wide; the true position is never read. Everything a rule
  does afterwards (counts, the alert's centre, its radius, who is told, the zone it names) is a
  function of the per-cell counts only, so it cannot say more than "some reports lie in this cell"
  — and the cell is computed from what the map already shows;
- an alert is centred on a cell centre and covers the whole neighbourhood counted, so a
  subscriber 100 m from the reports and one a kilometre away are told alike.
"""

from __future__ import annotations

import math

from django.conf import settings

from testigo.alerts.geometry import EARTH_RADIUS_M

# An unpublished report is not on the map at all: even where fuzzing is switched off
# (TESTIGO_FUZZ_RADIUS_M=0), no alert narrows a report down to less than a square this wide.
MIN_CELL_M = 1000
# A cell at least as wide as the fuzz disc (2 radii): the square an alert points at is never
# smaller than the area the map's fuzzed point leaves open.
FUZZ_RADII_PER_CELL = 2
# A rule counts the reports in the cells whose centres lie within this many cell widths of an
# occupied cell (its 8 neighbours at 1 and 1.41 widths): a cluster is never cut in two by a cell edge.
NEIGHBOURHOOD_CELLS = 1.5


def cell_side_m() -> float:
    """Width of the coarse cells rule alerts work on, in metres."""
    fuzz = getattr(settings, "FUZZ_RADIUS_M", 0) or 0
    return float(max(MIN_CELL_M, FUZZ_RADII_PER_CELL * fuzz))


def cell_centre(lat: float, lon: float, side_m: float) -> tuple[float, float]:
    """Centre of the grid cell containing (lat, lon): a function of the cell alone.

    Rows are `side_m` high; within a row, columns are at least `side_m` wide (their width in degrees
    uses the cosine of the row's pole-ward edge), so a cell is never smaller than side_m square."""
    dlat = math.degrees(side_m / EARTH_RADIUS_M)
    row = math.floor(lat / dlat)
    edge = max(abs(row * dlat), abs((row + 1) * dlat))
    dlon = dlat / max(math.cos(math.radians(min(edge, 89.0))), 0.01)
    col = math.floor(lon / dlon)
    return round((row + 0.5) * dlat, 7), round((col + 0.5) * dlon, 7)


def neighbourhood_m(rule_radius_m: float, side_m: float) -> float:
    """The radius a rule counts within: the rule's own, but never less than the cell's neighbours."""
    return max(float(rule_radius_m), NEIGHBOURHOOD_CELLS * side_m)


def alert_radius_m(rule_radius_m: float, side_m: float) -> int:
    """How far from an alert's centre the counted reports may be: the neighbourhood plus half a
    cell's diagonal. Subscribers are matched against this whole area, never against a point."""
    return math.ceil(neighbourhood_m(rule_radius_m, side_m) + side_m / math.sqrt(2))
