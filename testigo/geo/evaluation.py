"""Scoring place extraction against a labelled corpus of messages (tests/geo/corpus/sms_places_es.csv).

A message is *located* when extraction's leading candidate reaches LOCATE (what would set a
report's location). It is right "at colonia or municipality level" when the place found is the
expected one (same name, in the expected town or department), or is the expected place's own town
(a colonia expected, its municipality found: the report lands in the right municipality).

precision = right located / located; recall = right located / messages that name a place.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from testigo.geo import extraction, placenames
from testigo.geo.gazetteer import Gazetteer, Place


@dataclass
class Score:
    messages: int = 0
    naming_a_place: int = 0
    located: int = 0
    right: int = 0
    right_exact: int = 0
    mistakes: list[dict] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.located if self.located else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.naming_a_place if self.naming_a_place else 1.0


def read_corpus(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def is_right(place: Place, expected: str, expected_parent: str, gazetteer: Gazetteer) -> tuple[bool, bool]:
    """(right at colonia or municipality level, exactly the expected place). Names compare folded,
    through the gazetteer's aliases ("Islas de la Bahía" is GeoNames' "Bay Islands")."""
    def k(name: str) -> str:
        folded = placenames.key(name)
        return gazetteer.canonical.get(folded, folded)
    outer = {k(place.parent), k(place.admin1), k(place.name)}
    exact = k(place.name) == k(expected) and (not expected_parent or k(expected_parent) in outer)
    municipality = place.level == 2 and k(place.name) == k(expected_parent)
    return exact or municipality, exact


def evaluate(rows: Iterable[dict], gazetteer_for: Callable[[str], Gazetteer]) -> Score:
    score = Score()
    for row in rows:
        score.messages += 1
        expected = row.get("expected_place", "").strip()
        score.naming_a_place += bool(expected)
        gazetteer = gazetteer_for(row.get("country") or "")
        found = extraction.extract(row["text"], gazetteer, region=row.get("region", ""))
        lead = found[0] if found and found[0].confidence >= extraction.LOCATE else None
        if lead is None:
            if expected:
                score.mistakes.append({"id": row.get("id"), "text": row["text"], "expected": expected,
                                       "found": found[0].as_dict() if found else None})
            continue
        score.located += 1
        right, exact = is_right(lead.place, expected, row.get("expected_parent", ""), gazetteer) if expected else (False, False)
        score.right += right
        score.right_exact += exact
        if not right:
            score.mistakes.append({"id": row.get("id"), "text": row["text"], "expected": expected,
                                   "found": lead.as_dict()})
    return score
