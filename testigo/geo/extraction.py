"""Find the place a free text names: "balacera en la col kennedy cerca del mercado" -> Colonia Kennedy.

How it decides (docs/geo.md says the same for moderators):
1. The text is folded like every gazetteer name (placenames.words): no accents, lower case,
   "col"/"bo"/"res" spelled out; a word one letter away from a single place-name word is read as
   that word ("kenedy").
2. Scanning left to right, the longest run of words that is a place name (or an alias such as
   "sps") is a mention. Each mention gets a confidence from how it was written: after a kind word
   ("colonia kennedy", "aldea el puente") it is near certain; a distinctive name ("choloma",
   "la lima") is likely; a name that is also an ordinary word ("cortes", "gracias", "el puente")
   counts only with a kind word or capital letters, and even then stays a suggestion.
3. A name several places share is resolved by the other places the text names (Kennedy whose
   town or department is also named, or that lies within 30 km of another named place) and by
   the channel's region; when nothing decides, the mention stays a low-confidence suggestion.
4. The answer is the most specific confident mention (a colonia before its town, a town before
   its department), then the others, best first.

Confidence ≥ LOCATE sets a report's location; ≥ SUGGEST is shown to moderators to accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from testigo.geo import placenames
from testigo.geo.gazetteer import Gazetteer, Place, distance_m

LOCATE = 0.8    # at or above: the report is located from the text
SUGGEST = 0.4   # at or above: a suggestion for moderators
NEARBY_M = 30_000  # another named place this close supports a reading (same city or valley)
SAME_PLACE_M = 5_000  # two entries of one name this close are one place (GeoNames duplicates)
_WORD = re.compile(r"\w+")


@dataclass(slots=True)
class Candidate:
    place: Place
    confidence: float
    matched: str

    def as_dict(self) -> dict:
        return {**self.place.as_dict(), "confidence": round(self.confidence, 2), "matched": self.matched}


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    entries: list[int]
    confidence: float
    matched: str
    chosen: int = -1
    # An ordinary word ("tela", "cortes") written where a place goes ("en tela"): a place when
    # the text also names its department or a town nearby ("inundaciones en tela atlantida").
    word_in_place_position: bool = False


def _tokens(text: str, gazetteer: Gazetteer) -> tuple[list[str], list[str], list[bool], list[bool]]:
    """(words, original spellings, capitalised?, spelling-corrected?) for the text."""
    words, originals, capitals, corrected = [], [], [], []
    for raw in _WORD.findall(text):
        for word in placenames.words(raw):
            fixed = gazetteer.correction(word) if word not in placenames.COMMON_WORDS else None
            words.append(fixed or word)
            originals.append(raw)
            capitals.append(raw[:1].isupper() and not raw.isupper())
            corrected.append(fixed is not None)
    return words, originals, capitals, corrected


def _base_confidence(gazetteer: Gazetteer, name_words: list[str], table: str, before: str,
                     capitalised: bool, first: bool) -> float:
    name_key = " ".join(name_words)
    kind_before = before in placenames.KIND_WORDS.values()
    common = placenames.is_common(name_words)
    if table == "full" and name_words[0] in placenames.LOCAL_KINDS and len(name_words) > 1:
        return 0.95  # "colonia kennedy" as a whole name
    if name_key in gazetteer.aliased:
        return 0.9
    if common:
        if kind_before:
            return 0.85
        return 0.6 if capitalised and not first else 0.2
    if kind_before:
        return 0.95
    content = [w for w in name_words if w not in placenames.ARTICLES]
    if table == "core":
        return 0.85 if before in placenames.ARTICLES | placenames.PLACE_PREPOSITIONS | {""} else 0.7
    return 0.9 if len(content) > 1 else 0.85


def _mentions(text: str, gazetteer: Gazetteer) -> list[_Mention]:
    words, originals, capitals, corrected = _tokens(text, gazetteer)
    mentions, i = [], 0
    while i < len(words):
        found = None
        for length in range(min(gazetteer.longest, len(words) - i), 0, -1):
            name_key = " ".join(words[i:i + length])
            for table in ("full", "core"):
                if name_key in getattr(gazetteer, table):
                    found = (length, table, getattr(gazetteer, table)[name_key])
                    break
            if found:
                break
        if not found:
            i += 1
            continue
        length, table, entries = found
        before = words[i - 1] if i else ""
        confidence = _base_confidence(gazetteer, words[i:i + length], table, before, capitals[i], i == 0)
        if any(corrected[i:i + length]):
            confidence *= 0.95
        matched = " ".join(dict.fromkeys(originals[max(0, i - 1) if before in placenames.KIND_WORDS.values() else i:
                                                    i + length]))
        where = before if before not in placenames.ARTICLES or i < 2 else words[i - 2]  # "en (la) X"
        word_in_place = placenames.is_common(words[i:i + length]) and (
            before in placenames.PLACE_PREPOSITIONS or where in placenames.PLACE_PREPOSITIONS)
        mentions.append(_Mention(start=i, end=i + length, entries=list(entries), confidence=confidence,
                                 matched=matched, word_in_place_position=word_in_place))
        i += length
    return mentions


def _supports(gazetteer: Gazetteer, place: Place, other: Place) -> bool:
    """Does naming `other` make `place` the likelier reading (its town, its department, nearby)?"""
    outer = {placenames.key(place.parent), placenames.key(place.admin1)} - {""}
    if placenames.key(other.name) in outer and other.level < place.level:
        return True
    return other.level >= 2 and distance_m(place, other) <= NEARBY_M


def _in_region(place: Place, region: str) -> bool:
    return bool(region) and region in {placenames.key(place.admin1), placenames.key(place.parent),
                                      placenames.key(place.name)}


def _distinct(gazetteer: Gazetteer, indexes: list[int]) -> list[int]:
    """One entry per real place: GeoNames lists some towns twice a few km apart, and a department
    named like its capital town ("Choluteca") is read as the town."""
    places = gazetteer.places
    towns_admin1 = {placenames.key(places[i].admin1) for i in indexes if places[i].level >= 2}
    towns = {placenames.key(places[i].name) for i in indexes if places[i].kind == "town"}
    kept: list[int] = []
    for i in sorted(indexes, key=lambda i: (-places[i].level, places[i].kind != "town")):
        place = places[i]
        if place.kind == "department" and placenames.key(place.name) in towns_admin1:
            continue
        if place.kind in ("municipality", "department") and placenames.key(place.name) in towns:
            continue  # the area named after its main town: the town
        if any(distance_m(place, places[k]) <= SAME_PLACE_M for k in kept):
            continue
        kept.append(i)
    return kept


def _resolve(gazetteer: Gazetteer, mentions: list[_Mention], region: str) -> None:
    places = gazetteer.places
    for mention in mentions:
        entries = _distinct(gazetteer, mention.entries)
        others = [places[i] for m in mentions if m is not mention for i in m.entries if m.confidence >= SUGGEST]
        scores = {}
        for i in entries:
            scores[i] = (sum(1 for o in others if _supports(gazetteer, places[i], o))
                         + (0.5 if _in_region(places[i], region) else 0))
        best = max(scores.values())
        top = [i for i in entries if scores[i] == best]
        mention.chosen = top[0]
        if len(top) > 1:
            mention.confidence *= 0.5  # a name several places share, and nothing to choose by
        elif best > 0:
            mention.confidence = min(0.99, mention.confidence + 0.1 if len(entries) == 1 else
                                     max(mention.confidence, LOCATE))
            if mention.word_in_place_position and best >= 1:
                mention.confidence = max(mention.confidence, LOCATE)


def _far_from_confident_towns(gazetteer: Gazetteer, mentions: list[_Mention]) -> None:
    """A neighbourhood of one city while the text confidently names another city is doubtful."""
    places = gazetteer.places
    towns = [places[m.chosen] for m in mentions if places[m.chosen].level == 2 and m.confidence >= LOCATE]
    for mention in mentions:
        place = places[mention.chosen]
        if place.level >= 3 and towns and all(distance_m(place, town) > NEARBY_M for town in towns):
            mention.confidence = min(mention.confidence, 0.5)


def extract(text: str, gazetteer: Gazetteer, *, region: str = "") -> list[Candidate]:
    """The places `text` names, best first: the most specific confident one leads."""
    mentions = [m for m in _mentions(text or "", gazetteer) if m.entries]
    if not mentions:
        return []
    _resolve(gazetteer, mentions, placenames.key(region))
    _far_from_confident_towns(gazetteer, mentions)
    candidates = {}
    for mention in mentions:
        place = gazetteer.places[mention.chosen]
        previous = candidates.get(id(place))
        if previous is None or previous.confidence < mention.confidence:
            candidates[id(place)] = Candidate(place=place, confidence=mention.confidence, matched=mention.matched)
    return sorted(candidates.values(),
                  key=lambda c: (c.confidence >= LOCATE, c.confidence >= SUGGEST, c.place.level, c.confidence),
                  reverse=True)


def best(text: str, gazetteer: Gazetteer, *, region: str = "") -> Candidate | None:
    """The leading candidate at or above SUGGEST, or None."""
    found = extract(text, gazetteer, region=region)
    return found[0] if found and found[0].confidence >= SUGGEST else None
