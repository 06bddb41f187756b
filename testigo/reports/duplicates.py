"""Duplicate candidates: when a report arrives, which earlier reports look like the same event.

Three clues, as moderators weigh them: the same area (metres apart when both have coordinates,
else the same place name or municipality), the same hours, and similar words (trigram
similarity on text folded to lower case without accents, as pg_trgm computes it, in pure Python
so SQLite and PostgreSQL agree), plus the same sender. A pair scoring at least
DUPLICATE_MIN_SCORE is stored with its reasons for staff to merge (one click, through
services.merge) or dismiss. Nothing is ever merged automatically.

Speed: the SQL reads one indexed window (received_at within DUPLICATE_HOURS of the report, on the
received_at index) and keeps only rows in the area's bounding box, with the same sender or place,
or with no location to compare; the text is compared on that handful of rows in Python, and no
more than WINDOW_ROWS are read (bench/bench_duplicates.py: target 20 ms per report at 1M).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.core import audit, roles
from testigo.geo.distance import degrees_box, haversine_m
from testigo.reports.models import DuplicateCandidate, Report

log = logging.getLogger(__name__)

# The most rows of the window compared with one report, newest first (the closest in time): a
# flood of SMS about one event must not make each new report cost seconds. Comparing the text costs
# ~60 µs a row (trigrams and similarity, uncached), so 100 rows stay within the 20 ms target.
WINDOW_ROWS = 100
# Weights of the score (they add up to 1): the words say most, the place next, the sender and the
# hours confirm. A same-sender, same-place pair with unrelated words scores about 0.55.
WEIGHTS = {"text": 0.5, "place": 0.25, "contact": 0.15, "time": 0.1}
# How much "the same place name", "the same municipality" or "no location to compare" counts
# against metres apart. Unknown is neutral (most SMS carry no location): two people texting nearly
# the same words within the hours are proposed (text 0.6 → score 0.53), unrelated words are not.
SAME_PLACE, SAME_MUNICIPALITY, UNKNOWN_PLACE = 0.8, 0.6, 0.5
FIELDS = ("id", "title", "description", "lat", "lon", "place_name", "admin2", "reporter_contact", "received_at")

_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile("[\u0300-\u036f]")  # the accents NFKD splits off Latin letters


def normalise(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces: "Balacera en la Col. Kénnedy!" and
    "balacera en la col kennedy" read the same. Letters of other scripts are kept."""
    folded = _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))
    return _NON_WORD.sub(" ", folded).strip()


@lru_cache(maxsize=20_000)
def trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after. Cached: the
    worker meets the same earlier reports again for each new report of the same hours."""
    return frozenset(padded[i:i + 3] for word in normalise(text).split() for padded in (f"  {word} ",)
                     for i in range(len(padded) - 2))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared trigrams over all trigrams (pg_trgm's similarity()), 0 when either side is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class Match:
    original_id: int
    score: float
    reasons: dict = field(default_factory=dict)


def _text(row: dict) -> str:
    return f"{row['title']} {row['description']}"


def _place(new: dict, old: dict, radius_m: float) -> tuple[float, dict]:
    """How much the two places agree (0-1) and why."""
    if new["lat"] is not None and old["lat"] is not None:
        metres = haversine_m(new["lat"], new["lon"], old["lat"], old["lon"])
        return max(0.0, 1 - metres / radius_m), {"distance_m": round(metres)}
    if new["place_name"] and normalise(new["place_name"]) == normalise(old["place_name"]):
        return SAME_PLACE, {"same_place": True}
    if new["admin2"] and normalise(new["admin2"]) == normalise(old["admin2"]):
        return SAME_MUNICIPALITY, {"same_municipality": True}
    return UNKNOWN_PLACE, {}


def score_pair(new: dict, old: dict, *, radius_m: float, hours: float, new_grams=None) -> Match:
    """The score of `old` as a duplicate of `new` (rows with FIELDS) and its reasons."""
    text = similarity(new_grams if new_grams is not None else trigrams(_text(new)), trigrams(_text(old)))
    place, reasons = _place(new, old, radius_m)
    contact = bool(new["reporter_contact"]) and new["reporter_contact"] == old["reporter_contact"]
    apart_h = abs((new["received_at"] - old["received_at"]).total_seconds()) / 3600
    timing = max(0.0, 1 - apart_h / hours)
    score = (WEIGHTS["text"] * text + WEIGHTS["place"] * place + WEIGHTS["contact"] * contact
             + WEIGHTS["time"] * timing)
    reasons.update({"text": round(text, 2), "hours": round(apart_h, 1)})
    if contact:
        reasons["same_contact"] = True
    return Match(original_id=old["id"], score=round(score, 3), reasons=reasons)


def _window(new: dict, *, radius_m: float, hours: float):
    """Earlier reports that may be the same event: same hours (the received_at index), and in the
    area's box, from the same sender, at the same place, or without a location to compare."""
    since, until = new["received_at"] - timedelta(hours=hours), new["received_at"]
    rows = Report.objects.filter(received_at__gte=since, received_at__lte=until, merged_into__isnull=True)
    rows = rows.exclude(pk=new["id"]).exclude(status=Report.Status.REJECTED)
    near = Q(lat__isnull=True)
    if new["lat"] is not None:
        min_lat, max_lat, min_lon, max_lon = degrees_box(new["lat"], new["lon"], radius_m)
        near |= Q(lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon)
    else:
        near |= Q(lat__isnull=False)  # no location on the new report: the text and sender decide
    if new["reporter_contact"]:
        near |= Q(reporter_contact=new["reporter_contact"])
    return rows.filter(near).order_by("-received_at").values(*FIELDS)[:WINDOW_ROWS]


def find(report: Report) -> list[Match]:
    """Likely duplicates of `report` among earlier reports, best first (nothing is stored)."""
    radius_m, hours = settings.DUPLICATE_RADIUS_M, settings.DUPLICATE_HOURS
    new = {name: getattr(report, name) for name in FIELDS}
    grams = trigrams(_text(new))
    found = [score_pair(new, old, radius_m=radius_m, hours=hours, new_grams=grams)
             for old in _window(new, radius_m=radius_m, hours=hours)]
    return sorted((m for m in found if m.score >= settings.DUPLICATE_MIN_SCORE), key=lambda m: -m.score)


def record(report_id: int) -> list[DuplicateCandidate]:
    """Find and store the candidates of one report (in the worker, after the report committed).
    A pair already decided by staff is left as they decided it."""
    report = Report.objects.filter(pk=report_id, merged_into__isnull=True).first()
    if report is None:  # deleted or already merged while the job waited
        return []
    stored = []
    for match in find(report):
        candidate, _created = DuplicateCandidate.objects.get_or_create(
            report=report, original_id=match.original_id,
            defaults={"score": match.score, "reasons": match.reasons})
        stored.append(candidate)
    return stored


def record_many(report_ids: list[int]) -> int:
    """record() for each report (an import's new rows); one failure is logged, not fatal."""
    total = 0
    for pk in report_ids:
        try:
            total += len(record(pk))
        except Exception:  # a duplicate check never loses an import: log and go on
            log.exception("duplicates: could not check report %s", pk)
    return total


def both_visible(pairs, user):
    """The pairs whose two reports this staff member may see (selectors.visible_to's rule, as a
    condition on the pair: no subquery over every report)."""
    roles.require(user, roles.VIEW)
    if roles.can(user, roles.VIEW_CONFIDENTIAL):
        return pairs
    confidential = Report.Visibility.CONFIDENTIAL
    return pairs.exclude(report__visibility=confidential).exclude(original__visibility=confidential)


def open_for(user, report: Report) -> list[DuplicateCandidate]:
    """Open candidates involving `report` (either side) whose other report this user may see."""
    pairs = DuplicateCandidate.objects.filter(decision=DuplicateCandidate.Decision.OPEN).filter(
        Q(report=report) | Q(original=report))
    return list(both_visible(pairs, user).select_related("report", "original").order_by("-score"))


def flagged(report_ids: list[int], *, user=None) -> set[int]:
    """Which of these reports have an open candidate (the inbox's marker), one query. With `user`,
    only pairs whose both reports that user may see (a marker must not hint at a confidential one)."""
    pairs = DuplicateCandidate.objects.filter(decision=DuplicateCandidate.Decision.OPEN).filter(
        Q(report_id__in=report_ids) | Q(original_id__in=report_ids))
    if user is not None:
        pairs = both_visible(pairs, user)
    pairs = pairs.values_list("report_id", "original_id")
    wanted = set(report_ids)
    return {pk for pair in pairs for pk in pair if pk in wanted}


def reason_labels(reasons: dict) -> list[str]:
    """The reasons in words, in the reader's language."""
    out = []
    if "text" in reasons:
        out.append(_("text %(percent)s%% similar") % {"percent": round(reasons["text"] * 100)})
    if "distance_m" in reasons:
        out.append(_("%(metres)s m apart") % {"metres": reasons["distance_m"]})
    if reasons.get("same_place"):
        out.append(_("same place"))
    if reasons.get("same_municipality"):
        out.append(_("same municipality"))
    if reasons.get("same_contact"):
        out.append(_("same sender"))
    if "hours" in reasons:
        out.append(_("%(hours)s h apart") % {"hours": reasons["hours"]})
    return out


@transaction.atomic
def merge_candidate(*, candidate: DuplicateCandidate, actor) -> Report:
    """The one-click merge: the newer report becomes a duplicate of the older one through
    services.merge (archived, linked, its photos and categories moved, audited; its own text,
    messages and history stay on it). Returns the surviving report."""
    from testigo.reports import services

    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.decision != DuplicateCandidate.Decision.OPEN:
        raise ValidationError(_("This pair was already decided."))
    survivor = services.merge(duplicate=candidate.report, into=candidate.original, actor=actor)
    _decide(candidate, DuplicateCandidate.Decision.MERGED, actor)
    # The merged report's other open pairs are moot: it is no longer in the inbox on its own.
    DuplicateCandidate.objects.filter(decision=DuplicateCandidate.Decision.OPEN).filter(
        Q(report=candidate.report) | Q(original=candidate.report)).update(
        decision=DuplicateCandidate.Decision.DISMISSED, decided_at=timezone.now(), decided_by=roles.person(actor))
    return survivor


@transaction.atomic
def unmerge(*, report: Report, actor) -> Report:
    """Undo a merge (services.unmerge); a pair merged from here is marked "not a duplicate", so it
    is not proposed again."""
    from testigo.reports import services

    original_id = report.merged_into_id
    report = services.unmerge(duplicate=report, actor=actor)
    DuplicateCandidate.objects.filter(report=report, original_id=original_id,
                                      decision=DuplicateCandidate.Decision.MERGED).update(
        decision=DuplicateCandidate.Decision.DISMISSED, decided_at=timezone.now(), decided_by=roles.person(actor))
    return report


@transaction.atomic
def dismiss(*, candidate: DuplicateCandidate, actor) -> DuplicateCandidate:
    """"Not a duplicate": the pair is closed and never proposed again; audited on both reports."""
    roles.require(actor, roles.EDIT)
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.decision != DuplicateCandidate.Decision.OPEN:
        raise ValidationError(_("This pair was already decided."))
    _decide(candidate, DuplicateCandidate.Decision.DISMISSED, actor)
    return candidate


def _decide(candidate: DuplicateCandidate, decision: str, actor) -> None:
    candidate.decision, candidate.decided_at = decision, timezone.now()
    candidate.decided_by = roles.person(actor)
    candidate.save(update_fields=["decision", "decided_at", "decided_by"])
    data = {"report": candidate.report.reference, "original": candidate.original.reference,
            "score": candidate.score, "decision": decision}
    audit.record(action=f"report.duplicate_{decision}", actor=actor, obj=candidate.report, data=data)
