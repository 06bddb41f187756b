"""The staff map (all statuses, exact locations, through the same API with the session cookie)
and the console page for custom map layers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.geo import services as geo_services
from testigo.geo.files import clean_crs
from testigo.geo.models import Layer
from testigo.reports.map_pages import filter_context, map_config
from testigo.reports.models import Report


@staff_required()
def staff_map(request):
    ctx = filter_context(request)
    ctx.update(map_config=map_config(staff=True), statuses=Report.Status.choices)
    return render(request, "console/map.html", ctx)


class LayerForm(forms.Form):
    name_es = forms.CharField(label=gettext_lazy("Name (Spanish)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100, required=False)
    file = forms.FileField(label=gettext_lazy("Boundary file"),
                           help_text=gettext_lazy("GeoJSON, KML or KMZ, TopoJSON, zipped Shapefile (.zip) or GPX."))
    crs = forms.CharField(label=gettext_lazy("Coordinate system (EPSG code)"), required=False, max_length=20,
                          help_text=gettext_lazy("Only for files in metres that do not say their coordinate system, "
                                                 "e.g. 32616 for UTM zone 16N. Leave empty for longitude/latitude."))
    colour = forms.RegexField(label=gettext_lazy("Colour"), regex=r"^#[0-9a-fA-F]{6}$", initial="#2c7fb8",
                              widget=forms.TextInput(attrs={"type": "color"}))
    visible_by_default = forms.BooleanField(label=gettext_lazy("Shown when the map opens"), required=False)
    is_public = forms.BooleanField(label=gettext_lazy("Public (also on the public map)"), required=False,
                                   initial=True)


@staff_required(roles.MANAGE_LAYERS)
def layers(request):
    form = LayerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = upload.read(geo_services.MAX_LAYER_BYTES + 1)
            geo_services.create_layer(
                actor=request.user, name_es=form.cleaned_data["name_es"], name_en=form.cleaned_data["name_en"],
                filename=upload.name, data=data, colour=form.cleaned_data["colour"],
                visible_by_default=form.cleaned_data["visible_by_default"], is_public=form.cleaned_data["is_public"],
                crs=clean_crs(form.cleaned_data["crs"]))
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _("Layer added to the map."))
            return redirect("console:layers")
    return render(request, "console/layers.html", {"form": form, "layers": Layer.objects.defer("geojson")})


@require_POST
@staff_required(roles.MANAGE_LAYERS)
def layer_toggle(request, layer_id: int):
    layer = get_object_or_404(Layer.objects.defer("geojson"), pk=layer_id)
    field = request.POST.get("field")
    if field in {"visible_by_default", "is_public"}:
        geo_services.update_layer(layer=layer, actor=request.user, **{field: not getattr(layer, field)})
    return redirect("console:layers")


@require_POST
@staff_required(roles.MANAGE_LAYERS)
def layer_delete(request, layer_id: int):
    geo_services.delete_layer(layer=get_object_or_404(Layer.objects.defer("geojson"), pk=layer_id),
                              actor=request.user)
    messages.success(request, _("Layer removed."))
    return redirect("console:layers")
