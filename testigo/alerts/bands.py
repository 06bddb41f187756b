"""Where a point-and-radius subscription is looked for: its radius class and latitude band.

A subscription stores one integer, `Subscription.radius_band`: its radius class (the smallest of
RADIUS_CLASSES_M holding its radius) times BAND_STRIDE, plus the number of the latitude band of
that class's height holding its point. A report then reads, per class, only the two or three bands
around it, each one index range over longitude: a few dozen candidates per class instead of every
subscriber in a box sized by the largest radius anyone may choose.

The classes are constants, not settings: the stored value must not change meaning when
ALERT_MAX_RADIUS_KM is changed. Radii above the largest class share one key (OVERFLOW_BAND) and are
checked one by one; the sign-up forms do not offer them.
"""

from __future__ import annotations

import math

from testigo.alerts.geometry import EARTH_RADIUS_M, degrees_box

# Metres. A class's bands are as high as its largest radius, so a circle of that class around a
# point in band b lies within bands b - 1 .. b + 1.
RADIUS_CLASSES_M = (250, 500, 1_000, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 50_000)
# More than the number of bands of the lowest class (180° / 250 m ≈ 80,000).
BAND_STRIDE = 10_000_000
OVERFLOW_BAND = len(RADIUS_CLASSES_M) * BAND_STRIDE
# Beyond this many bands in one class (an area alert reaching far beyond the class's radius), the
# class is read as one range of bands rather than band by band.
MAX_BANDS_LISTED = 12


def _band_height(class_index: int) -> float:
    return math.degrees(RADIUS_CLASSES_M[class_index] / EARTH_RADIUS_M)


def _band(lat: float, class_index: int) -> int:
    return math.floor((lat + 90) / _band_height(class_index))


def radius_band(lat: float | None, radius_m: int | None) -> int | None:
    """The stored key of a subscription with its point at latitude `lat` (None for zone subscriptions)."""
    if lat is None or radius_m is None:
        return None
    for index, high in enumerate(RADIUS_CLASSES_M):
        if radius_m <= high:
            return index * BAND_STRIDE + _band(lat, index)
    return OVERFLOW_BAND


def lookups(lat: float, lon: float, reach_m: float = 0) -> list[tuple[list[int] | tuple[int, int], list[tuple[float, float]] | None]]:
    """Per radius class, what to read to find every subscription of that class whose circle (plus
    `reach_m`) may contain (lat, lon): (band keys, or an inclusive (first, last) range of keys;
    longitude ranges, or None for every longitude). The overflow class comes last, without ranges."""
    found = []
    for index, high in enumerate(RADIUS_CLASSES_M):
        min_lat, max_lat, min_lon, max_lon = degrees_box(lat, lon, high + reach_m)
        first, last = _band(max(min_lat, -90.0), index), _band(min(max_lat, 90.0), index)
        base = index * BAND_STRIDE
        keys = list(range(base + first, base + last + 1)) if last - first < MAX_BANDS_LISTED else (base + first, base + last)
        found.append((keys, _longitudes(min_lat, max_lat, min_lon, max_lon)))
    found.append(([OVERFLOW_BAND], None))
    return found


def _longitudes(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> list[tuple[float, float]] | None:
    """The longitude ranges of a box, split where it crosses the antimeridian; None when the box
    reaches a pole or goes all the way round."""
    if max_lat >= 90 or min_lat <= -90 or max_lon - min_lon >= 360:
        return None
    if min_lon < -180:
        return [(min_lon + 360, 180.0), (-180.0, max_lon)]
    if max_lon > 180:
        return [(min_lon, 180.0), (-180.0, max_lon - 360)]
    return [(min_lon, max_lon)]
