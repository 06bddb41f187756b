"""Console pages of the gazetteer: the places administrators upload (CSV, GeoJSON, KML...), the
search the report editor uses, and accepting or dismissing the places a report's text suggests."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.geo import gazetteer, gazetteer_services, place_files
from testigo.geo.models import GazetteerPlace
from testigo.reports import placing, selectors
from testigo.reports.models import Report

SEARCH_LIMIT = 15


class PlacesForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("List of places"),
        help_text=gettext_lazy("A CSV with the columns name, lat, lon and optionally kind (colonia, barrio, "
                               "aldea, landmark…), parent (the town), department and alternate_names "
                               "(separated by |); or neighbourhood shapes as GeoJSON, KML/KMZ, TopoJSON or a zipped Shapefile."))


@staff_required(roles.MANAGE_LAYERS)
def places(request):
    form = PlacesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            added, updated = gazetteer_services.import_places(
                actor=request.user, filename=upload.name, data=upload.read(place_files.MAX_PLACES_BYTES + 1))
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, ngettext("%(n)d place added", "%(n)d places added", added) % {"n": added}
                             + " · " + ngettext("%(n)d updated", "%(n)d updated", updated) % {"n": updated})
            return redirect("console:places")
    sources = GazetteerPlace.objects.values("source").annotate(n=Count("id")).order_by("source")
    return render(request, "console/places.html", {
        "form": form, "sources": sources, "countries": ", ".join(gazetteer.countries()),
        "geonames_count": sum(1 for p in gazetteer.current().places if p.source == "geonames"),
    })


@require_POST
@staff_required(roles.MANAGE_LAYERS)
def places_delete_source(request):
    count = gazetteer_services.delete_source(actor=request.user, source=request.POST.get("source", ""))
    messages.success(request, ngettext("%(n)d place removed.", "%(n)d places removed.", count) % {"n": count})
    return redirect("console:places")


@require_GET
@staff_required()
def places_search(request):
    """JSON for the report editor's place search: {"items": [place, ...]}, gazetteer data only."""
    query = request.GET.get("q", "")[:100]
    found = gazetteer.current().search(query, limit=SEARCH_LIMIT)
    return JsonResponse({"items": [place.as_dict() for place in found]})


def _report(request, reference: str) -> Report:
    try:
        return selectors.staff_report(request.user, reference)
    except Report.DoesNotExist:
        raise Http404 from None


@require_POST
@staff_required(roles.EDIT)
def suggestion_accept(request, reference: str, index: int):
    report = _report(request, reference)
    try:
        placing.accept_suggestion(report=report, actor=request.user, index=index)
    except IndexError:
        messages.error(request, _("That suggestion is no longer there."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Location set from the place the text names."))
    return redirect("console:report", reference=report.reference)


@require_POST
@staff_required(roles.EDIT)
def suggestion_dismiss(request, reference: str):
    report = _report(request, reference)
    placing.dismiss_suggestions(report=report, actor=request.user)
    messages.success(request, _("Suggestions dismissed."))
    return redirect("console:report", reference=report.reference)
