"""Places written in a message's text: coordinates and the map links phones share.

People who cannot send a pin (SMS, e-mail) paste what their map app gives them: a Google Maps,
OpenStreetMap, Apple Maps or Waze link, a `geo:` URI, "14.0723, -87.1921" or 14°04'20.3"N
87°11'31.6"W. `from_text` finds the first such place and says how precise it is, from the number
of decimals written (4 decimals ≈ 11 m). Short links (maps.app.goo.gl/…) hide their coordinates
behind a redirect and are left alone: following them would tell a third party about the report.
"""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, unquote, urlsplit

from testigo.channels.types.base import Location

METRES_PER_DEGREE = 111_320
NUMBER = r"[-+−]?\d{1,3}(?:[.,]\d+)?"
# Bare pairs need at least three decimals each: "3.5, 4.2" is more likely a price than a place.
BARE_PAIR = re.compile(r"(?<![\w.])([-+−]?\d{1,2}\.\d{3,})\s*[,;/ ]\s*([-+−]?\d{1,3}\.\d{3,})(?![\w.])")
GEO_URI = re.compile(r"\bgeo:([-+]?\d{1,2}(?:\.\d+)?),([-+]?\d{1,3}(?:\.\d+)?)(?:,[-\d.]+)?((?:;[^\s;]+)*)", re.I)
URL = re.compile(r"https?://[^\s<>\"']+", re.I)
AT_PAIR = re.compile(r"@([-+]?\d{1,2}\.\d+),([-+]?\d{1,3}\.\d+)")
DATA_PAIR = re.compile(r"!3d([-+]?\d{1,2}\.\d+)!4d([-+]?\d{1,3}\.\d+)")
PAIR_VALUE = re.compile(r"^\s*([-+]?\d{1,2}(?:\.\d+)?)\s*,\s*([-+]?\d{1,3}(?:\.\d+)?)\s*$")
OSM_HASH = re.compile(r"map=\d+(?:\.\d+)?/([-+]?\d{1,2}(?:\.\d+)?)/([-+]?\d{1,3}(?:\.\d+)?)")
DMS = re.compile(
    r"(\d{1,2})\s*°\s*(\d{1,2})\s*['′’]\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|”)?\s*([NSns])[\s,;]+"
    r"(\d{1,3})\s*°\s*(\d{1,2})\s*['′’]\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|”)?\s*([EWOewo])")
MAP_HOSTS = ("google.", "goo.gl", "openstreetmap.org", "osm.org", "apple.com", "waze.com", "bing.com", "here.com")
QUERY_KEYS = ("q", "query", "ll", "sll", "destination", "daddr", "center", "cp", "latlng", "to")


def _decimals(text: str) -> int:
    text = text.replace(",", ".")
    return len(text.split(".", 1)[1]) if "." in text else 0


def _precision(*texts: str) -> int:
    """Metres one unit of the last written decimal stands for (the coarser of the two)."""
    decimals = min(_decimals(t) for t in texts)
    return max(1, round(METRES_PER_DEGREE * 10 ** -decimals))


def _location(lat_text: str, lon_text: str, *, precision_m: int | None = None) -> Location | None:
    try:
        lat = float(lat_text.replace("−", "-").replace(",", "."))
        lon = float(lon_text.replace("−", "-").replace(",", "."))
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:
        return None  # "null island": a phone that had no fix
    return Location(lat=lat, lon=lon, precision_m=precision_m if precision_m is not None
                    else _precision(lat_text, lon_text))


def _from_url(url: str) -> Location | None:
    parts = urlsplit(url.rstrip(".,;)"))
    host = (parts.hostname or "").lower()
    if not any(mark in host for mark in MAP_HOSTS):
        return None
    path = unquote(parts.path)
    for pattern in (DATA_PAIR, AT_PAIR):  # a place's own pin before the view's centre
        match = pattern.search(path) or pattern.search(unquote(parts.query))
        if match:
            return _location(match.group(1), match.group(2))
    query = parse_qs(parts.query)
    if "mlat" in query and "mlon" in query:
        return _location(query["mlat"][0], query["mlon"][0])
    for key in QUERY_KEYS:
        for value in query.get(key, []):
            match = PAIR_VALUE.match(unquote(value).replace("~", ","))
            if match:
                return _location(match.group(1), match.group(2))
    match = OSM_HASH.search(parts.fragment) or OSM_HASH.search(parts.query)
    if match:
        return _location(match.group(1), match.group(2))
    return None


def _from_dms(match: re.Match) -> Location | None:
    def degrees(d: str, m: str, s: str, hemisphere: str, negative: str) -> float:
        value = int(d) + int(m) / 60 + float(s.replace(",", ".")) / 3600
        return -value if hemisphere.upper() in negative else value

    lat = degrees(*match.group(1, 2, 3, 4), "S")
    lon = degrees(*match.group(5, 6, 7, 8), "WO")
    seconds_decimals = min(_decimals(match.group(3)), _decimals(match.group(7)))
    precision = max(1, round(METRES_PER_DEGREE / 3600 * 10 ** -seconds_decimals))
    return _location(repr(lat), repr(lon), precision_m=precision)


def from_text(text: str) -> Location | None:
    """The first place written in `text`, or None."""
    if not text:
        return None
    for url in URL.findall(text):
        found = _from_url(url)
        if found:
            return found
    text = URL.sub(" ", text)  # numbers inside other links are not places
    match = GEO_URI.search(text)
    if match:
        uncertainty = re.search(r";u=(\d+(?:\.\d+)?)", match.group(3) or "")
        return _location(match.group(1), match.group(2),
                         precision_m=round(float(uncertainty.group(1))) if uncertainty else None)
    match = DMS.search(text)
    if match:
        found = _from_dms(match)
        if found:
            return found
    match = BARE_PAIR.search(text)
    if match:
        return _location(match.group(1), match.group(2))
    return None
