"""Duplicate candidates on the staff report page (one-click merge, "not a duplicate") and the
hotspots page. Thin: each POST calls one reports.duplicates service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.reports import duplicates, hotspots, selectors
from testigo.reports.models import DuplicateCandidate, Report


def _candidate(request, reference: str, candidate_id: int) -> DuplicateCandidate:
    """The pair, only if this user may see both reports and `reference` is one of them."""
    pairs = DuplicateCandidate.objects.filter(pk=candidate_id).filter(
        Q(report__reference=reference) | Q(original__reference=reference))
    candidate = duplicates.both_visible(pairs, request.user).select_related("report", "original").first()
    if candidate is None:
        raise Http404
    return candidate


@require_POST
@staff_required(roles.EDIT)
def duplicate_merge(request, reference: str, candidate_id: int):
    candidate = _candidate(request, reference, candidate_id)
    try:
        survivor = duplicates.merge_candidate(candidate=candidate, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else (str(exc) or _("You do not have permission to do this."))
        messages.error(request, text)
        return redirect("console:report", reference=reference)
    messages.success(request, _("%(dup)s was merged into %(into)s.")
                     % {"dup": candidate.report.reference, "into": survivor.reference})
    return redirect("console:report", reference=survivor.reference)


@require_POST
@staff_required(roles.EDIT)
def report_unmerge(request, reference: str):
    try:
        report = selectors.staff_report(request.user, reference)
    except Report.DoesNotExist:
        raise Http404 from None
    try:
        duplicates.unmerge(report=report, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You do not have permission to do this."))
    else:
        messages.success(request, _("The merge was undone: this report stands on its own again."))
    return redirect("console:report", reference=reference)


@require_POST
@staff_required(roles.EDIT)
def duplicate_dismiss(request, reference: str, candidate_id: int):
    candidate = _candidate(request, reference, candidate_id)
    try:
        duplicates.dismiss(candidate=candidate, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as not a duplicate."))
    return redirect("console:report", reference=reference)


def report_candidates(user, report: Report) -> list[dict]:
    """The report page's section: each open pair as the other report, score and reasons."""
    out = []
    for pair in duplicates.open_for(user, report):
        other = pair.original if pair.report_id == report.pk else pair.report
        out.append({"pk": pair.pk, "other": other, "score": round(pair.score * 100),
                    "reasons": duplicates.reason_labels(pair.reasons),
                    "this_is_newer": pair.report_id == report.pk})
    return out


@staff_required()
def hotspot_list(request):
    """Active hotspots, most surprising first, and the last closed ones (staff only)."""
    visible = hotspots.visible_to(request.user)
    active = list(visible.filter(active=True).order_by("-score")[:200])
    closed = list(visible.filter(active=False).order_by("-last_seen")[:50])
    return render(request, "console/hotspots.html", {"active": active, "closed": closed})


@staff_required()
def hotspot_geojson(request):
    """The staff map's hotspot layer: the active hotspots' cell centres (GeoJSON)."""
    from django.http import JsonResponse

    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
                 "properties": {"category": h.category.name if h.category_id else "", "observed": h.observed,
                                "expected": h.expected, "score": h.score, "cell_m": h.cell_m,
                                "last_seen": h.last_seen.isoformat()}}
                for h in hotspots.visible_to(request.user).filter(active=True).order_by("-score")[:500]]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "private, no-store"
    return response
