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
# Closer to a pole than this, a lookup reads every longitude of its bands (see _longitudes).
POLAR_LAT = 89.9


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
    reaches a pole or goes all the way round, or comes within POLAR_LAT of a pole (degrees_box
    takes its east-west width at 89.9° at most: beyond, it would be too narrow)."""
    if max_lat >= POLAR_LAT or min_lat <= -POLAR_LAT or max_lon - min_lon >= 360:
        return None
    if min_lon < -180:
        return [(min_lon + 360, 180.0), (-180.0, max_lon)]
    if max_lon > 180:
        return [(min_lon, 180.0), (-180.0, max_lon - 360)]
    return [(min_lon, max_lon)]


# The distance window (class radius plus an area alert's reach) up to which `Screen` applies: over
# 200 km the flat approximation's error, about (d / R)², stays below a thousandth, ten times
# inside the screen's 1 % margins.
SCREEN_MAX_M = 200_000
# The screen's relative margin: a candidate is dropped beyond 101 % of its radius (plus one
# metre) and told without the exact distance within 99 % (less one metre).
SCREEN_MARGIN = 0.01


class Screen:
    """Squared flat distances that the database computes on each candidate read by a band
    lookup, with plain arithmetic on its own columns, to tell three kinds of candidate apart:

    - surely outside its radius (plus `reach_m`): dropped in the database, so its contact and
      categories are never read and it is never handed to Python;
    - surely inside: told without computing the exact distance;
    - near the edge (a 1 % ring): the exact great-circle distance decides, as before.

    North-south metres are exact per degree; east-west metres per degree are taken at the
    candidate latitudes' widest (`outer`, for "surely outside": it never overestimates a distance)
    and narrowest parallel (`inner`, for "surely inside": it never underestimates one). Applies
    only away from the poles and the antimeridian and within SCREEN_MAX_M (`for_point` returns
    None elsewhere): there every candidate is checked exactly."""

    def __init__(self, lat: float, lon: float, reach_m: float, y: float, x_outer: float, x_inner: float) -> None:
        self.lat, self.lon, self.reach_m = lat, lon, reach_m
        self.y2, self.x2_outer, self.x2_inner = y * y, x_outer * x_outer, x_inner * x_inner

    @classmethod
    def for_point(cls, lat: float, lon: float, reach_m: float) -> Screen | None:
        window = RADIUS_CLASSES_M[-1] + reach_m
        if window > SCREEN_MAX_M:
            return None
        dlat = math.degrees(window / EARTH_RADIUS_M)
        min_lat, max_lat, min_lon, max_lon = degrees_box(lat, lon, window)
        if max_lat >= 89 or min_lat <= -89 or min_lon < -180 or max_lon > 180:
            return None
        y = math.radians(1) * EARTH_RADIUS_M  # metres per degree of latitude
        nearest_pole = min(90.0, abs(lat) + dlat)
        nearest_equator = max(0.0, abs(lat) - dlat)
        return cls(lat, lon, reach_m, y, y * math.cos(math.radians(nearest_pole)),
                   y * math.cos(math.radians(nearest_equator)))

    def sql(self) -> tuple[str, list, str, list]:
        """(condition keeping the candidates not surely outside, its parameters; expression true
        for the candidates surely inside, its parameters). Radii beyond the classes (the overflow
        key) are always kept and checked exactly."""
        dy, dx = "(s.lat - %s)", "(s.lon - %s)"
        flat = f"({dy} * {dy} * %s + {dx} * {dx} * %s)"
        reach = "(s.radius_m + %s)"
        keep = (f"(s.radius_band >= %s OR {flat} <= ({reach} * %s + 1) * ({reach} * %s + 1))")
        keep_params = [OVERFLOW_BAND, self.lat, self.lat, self.y2, self.lon, self.lon, self.x2_outer,
                       self.reach_m, 1 + SCREEN_MARGIN, self.reach_m, 1 + SCREEN_MARGIN]
        inner = (f"(s.radius_band < %s AND {flat} <= ({reach} * %s - 1) * ({reach} * %s - 1) "
                 f"AND {reach} * %s >= 1)")
        inner_params = [OVERFLOW_BAND, self.lat, self.lat, self.y2, self.lon, self.lon, self.x2_inner,
                        self.reach_m, 1 - SCREEN_MARGIN, self.reach_m, 1 - SCREEN_MARGIN, self.reach_m,
                        1 - SCREEN_MARGIN]
        return keep, keep_params, inner, inner_params
