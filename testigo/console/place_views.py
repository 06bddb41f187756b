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
from testigo.geo import admin_polygons, gazetteer, gazetteer_services, place_files
from testigo.geo.models import AdminArea, GazetteerPlace
from testigo.reports import placing, selectors
from testigo.reports.models import Report

SEARCH_LIMIT = 15


class PlacesForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("List of places"),
        help_text=gettext_lazy("A CSV with the columns name, lat, lon and optionally kind (colonia, barrio, "
                               "aldea, landmark…), parent (the town), department and alternate_names "
                               "(separated by |); or neighbourhood shapes as GeoJSON, KML/KMZ, TopoJSON or a zipped Shapefile."))


class AdminAreasForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Boundary file"),
        help_text=gettext_lazy("The polygons of your departments or municipalities: GeoJSON, KML/KMZ, TopoJSON, "
                               "a zipped Shapefile or a GeoPackage (e.g. geoBoundaries or OCHA COD files)."))
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=AdminArea.Level.choices)
    name_field = forms.CharField(
        label=gettext_lazy("Field with the names"), required=False, max_length=60,
        help_text=gettext_lazy("Leave empty to use shapeName, name, nombre, ADM1_ES… when the file has one; if "
                               "the file has none, the error lists its fields."))
    admin1_field = forms.CharField(
        label=gettext_lazy("Field with the department (municipalities only)"), required=False, max_length=60,
        help_text=gettext_lazy("Leave empty to take each municipality's department from the department polygons."))
    crs = forms.CharField(label=gettext_lazy("Coordinate system (EPSG code)"), required=False, max_length=20,
                          help_text=gettext_lazy("Only for a file in metres that does not name its own."))


def _places_page(request, form: PlacesForm, areas_form: AdminAreasForm):
    sources = GazetteerPlace.objects.values("source").annotate(n=Count("id")).order_by("source")
    area_sources = AdminArea.objects.values("level", "source").annotate(n=Count("id")).order_by("level", "source")
    return render(request, "console/places.html", {
        "form": form, "areas_form": areas_form, "sources": sources, "area_sources": area_sources,
        "countries": ", ".join(gazetteer.countries()),
        "geonames_count": sum(1 for p in gazetteer.current().places if p.source == "geonames"),
    })


@require_POST
@staff_required(roles.MANAGE_LAYERS)
def admin_areas_upload(request):
    """Upload department or municipality polygons (geo/admin_polygons.py)."""
    areas_form = AdminAreasForm(request.POST, request.FILES)
    if areas_form.is_valid():
        upload, data = areas_form.cleaned_data["file"], areas_form.cleaned_data
        try:
            added, updated = gazetteer_services.import_admin_areas(
                actor=request.user, filename=upload.name, data=upload.read(admin_polygons.MAX_BYTES + 1),
                level=data["level"], name_field=data["name_field"].strip(), admin1_field=data["admin1_field"].strip(),
                crs=data["crs"].strip() or None)
        except ValidationError as exc:
            areas_form.add_error("file", exc)
        else:
            messages.success(request, ngettext("%(n)d area added", "%(n)d areas added", added) % {"n": added}
                             + " · " + ngettext("%(n)d updated", "%(n)d updated", updated) % {"n": updated}
                             + " · " + _("Run “testigo places assign-areas” to place the reports already stored."))
            return redirect("console:places")
    return _places_page(request, PlacesForm(), areas_form)


@require_POST
@staff_required(roles.MANAGE_LAYERS)
def admin_areas_delete(request):
    count = gazetteer_services.delete_admin_areas(actor=request.user, level=request.POST.get("level", ""),
                                                  source=request.POST.get("source", ""))
    messages.success(request, ngettext("%(n)d area removed.", "%(n)d areas removed.", count) % {"n": count})
    return redirect("console:places")


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
    return _places_page(request, form, AdminAreasForm())


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
