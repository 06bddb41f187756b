"""Console page for self-hosted basemaps: upload an MBTiles or PMTiles file, show/hide it, make it
the default, delete it. Tile sets can be gigabytes: the request's declared size is checked before
any of its body is read (the CSRF check, which parses the form, runs only after that)."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import decorator_from_middleware
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.core.middleware import bad_request, body_problem
from testigo.geo import aerial
from testigo.geo import services as geo_services
from testigo.geo.models import Tileset

FORM_ALLOWANCE = 64 * 1024  # the text fields and multipart boundaries around the file


class TilesetForm(forms.Form):
    name_es = forms.CharField(label=gettext_lazy("Name (Spanish)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100, required=False)
    attribution = forms.CharField(label=gettext_lazy("Attribution"), max_length=200, required=False,
                                  help_text=gettext_lazy("Who made the imagery or map, shown in the map's corner."))
    file = forms.FileField(label=gettext_lazy("Tile set file"),
                           help_text=gettext_lazy("MBTiles (.mbtiles) or PMTiles version 3 (.pmtiles), raster or vector."))
    is_default = forms.BooleanField(label=gettext_lazy("Default basemap of every map"), required=False)


class AerialForm(forms.Form):
    """An aerial photo to tile into an overlay: a georeferenced GeoTIFF, or a JPEG/PNG and its corners."""

    name_es = forms.CharField(label=gettext_lazy("Name (Spanish)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100, required=False)
    captured_on = forms.DateField(label=gettext_lazy("Date of the imagery"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    attribution = forms.CharField(label=gettext_lazy("Attribution"), max_length=200, required=False,
                                  help_text=gettext_lazy("Who made the imagery or map, shown in the map's corner."))
    opacity = forms.IntegerField(label=gettext_lazy("Opacity (%)"), min_value=0, max_value=100, initial=80)
    file = forms.FileField(label=gettext_lazy("Image"),
                           help_text=gettext_lazy("A georeferenced GeoTIFF (.tif), or a JPEG or PNG with its corners below."))
    west = forms.FloatField(label=gettext_lazy("West longitude"), required=False, min_value=-180, max_value=180)
    south = forms.FloatField(label=gettext_lazy("South latitude"), required=False, min_value=-85.06, max_value=85.06)
    east = forms.FloatField(label=gettext_lazy("East longitude"), required=False, min_value=-180, max_value=180)
    north = forms.FloatField(label=gettext_lazy("North latitude"), required=False, min_value=-85.06, max_value=85.06)
    gcps = forms.CharField(
        label=gettext_lazy("Control points (for a photo that is not north-up)"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "0 0 -87.2210 14.1012\n1999 0 -87.2150 14.1040\n0 1499 -87.2232 14.0961"}),
        help_text=gettext_lazy("Instead of the corners: at least three points, one a line, as “pixel x, pixel y, longitude, "
                               "latitude” (pixels counted from the image's top-left corner). Spread them near the corners."))
    staff_only = forms.BooleanField(label=gettext_lazy("Staff only (not on the public pages)"), required=False)

    def clean(self):
        data = super().clean()
        corners = [data.get(k) for k in ("west", "south", "east", "north")]
        given = [c is not None for c in corners]
        if any(given) and not all(given):
            raise ValidationError(_("Give all four corners (west, south, east, north), or none for a GeoTIFF."))
        data["corners"] = corners if all(given) else None
        data["gcp_list"] = None
        if (data.get("gcps") or "").strip():
            if data["corners"]:
                raise ValidationError(_("Give either the corners or the control points, not both."))
            try:
                data["gcp_list"] = aerial.parse_gcps(data["gcps"])
            except ValidationError as exc:
                self.add_error("gcps", exc)
        return data


class TilesetEditForm(forms.Form):
    """What can be changed after the upload: the names and attribution; for an overlay also its date,
    default opacity and who sees it."""

    name_es = forms.CharField(label=gettext_lazy("Name (Spanish)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100, required=False)
    attribution = forms.CharField(label=gettext_lazy("Attribution"), max_length=200, required=False,
                                  help_text=gettext_lazy("Who made the imagery or map, shown in the map's corner."))
    captured_on = forms.DateField(label=gettext_lazy("Date of the imagery"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    opacity = forms.IntegerField(label=gettext_lazy("Opacity (%)"), min_value=0, max_value=100)
    staff_only = forms.BooleanField(label=gettext_lazy("Staff only (not on the public pages)"), required=False)

    OVERLAY_ONLY = ("captured_on", "opacity", "staff_only")

    def __init__(self, *args, tileset: Tileset, **kwargs):
        kwargs.setdefault("initial", {
            "name_es": tileset.name_es, "name_en": tileset.name_en, "attribution": tileset.attribution,
            "captured_on": tileset.captured_on, "opacity": round(tileset.opacity * 100), "staff_only": not tileset.is_public})
        super().__init__(*args, **kwargs)
        if tileset.role != Tileset.Role.OVERLAY:
            for name in self.OVERLAY_ONLY:
                del self.fields[name]

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        data["name_en"] = (data.get("name_en") or data["name_es"]).strip()
        data["name_es"] = data["name_es"].strip()
        data["attribution"] = (data.get("attribution") or "").strip()
        if "opacity" in data:
            data["opacity"] = data["opacity"] / 100
        if "staff_only" in data:
            data["is_public"] = not data.pop("staff_only")
        return data


def _too_large_message() -> str:
    return _("The file is larger than %(mb)d MB, the largest tile set this site accepts.") % {"mb": settings.MAX_TILESET_MB}


def refuse_oversized_before_reading(view):
    """Answer a POST whose Content-Length exceeds TESTIGO_MAX_TILESET_MB without reading its body."""
    inner = decorator_from_middleware(CsrfViewMiddleware)(view)

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > settings.MAX_TILESET_MB * 1024 * 1024 + FORM_ALLOWANCE:
                # Refused, nothing written: no CSRF check, which would read the whole body for its token.
                request._tileset_refusal = _too_large_message()
                return view(request, *args, **kwargs)
            problem = body_problem(request)
            if problem:
                return bad_request(problem)
        return inner(request, *args, **kwargs)

    wrapped.checks_own_body = True
    return wrapped


@refuse_oversized_before_reading
@staff_required(roles.MANAGE_LAYERS)
def tilesets(request):
    refusal = getattr(request, "_tileset_refusal", "")
    form = TilesetForm(None if refusal else (request.POST or None), None if refusal else (request.FILES or None))
    status = 200
    if refusal:
        form.is_bound = True  # show the error on the (empty) form, without touching the body
        form._errors = forms.utils.ErrorDict({"file": form.error_class([refusal])})
        status = 413
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            geo_services.install_tileset(actor=request.user, name_es=data["name_es"], name_en=data["name_en"],
                                         attribution=data["attribution"], upload=data["file"],
                                         is_default=data["is_default"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _("Tile set added to the maps."))
            return redirect("console:tilesets")
    return _page(request, form=form, status=status)


def _page(request, *, form=None, aerial_form=None, status=200):
    return render(request, "console/tilesets.html", {
        "form": form or TilesetForm(), "aerial_form": aerial_form or AerialForm(prefix="aerial"),
        "tilesets": Tileset.objects.all(), "max_mb": settings.MAX_TILESET_MB,
        "tiling": Tileset.objects.filter(status=Tileset.Status.TILING).exists()}, status=status)


@require_POST
@refuse_oversized_before_reading
@staff_required(roles.MANAGE_LAYERS)
def tileset_aerial(request):
    """Upload aerial imagery; the worker tiles it (the list shows its progress) and then shows it."""
    refusal = getattr(request, "_tileset_refusal", "")
    form = AerialForm(None if refusal else request.POST, None if refusal else request.FILES, prefix="aerial")
    if refusal:
        form.is_bound = True
        form._errors = forms.utils.ErrorDict({"file": form.error_class([refusal])})
        return _page(request, aerial_form=form, status=413)
    if form.is_valid():
        data = form.cleaned_data
        try:
            geo_services.start_overlay(actor=request.user, name_es=data["name_es"], name_en=data["name_en"],
                                       attribution=data["attribution"], upload=data["file"],
                                       corners=data["corners"], captured_on=data["captured_on"],
                                       opacity=data["opacity"] / 100, gcps=data["gcp_list"],
                                       is_public=not data["staff_only"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _("Imagery received: it is being tiled and appears on the maps when ready."))
            return redirect("console:tilesets")
    return _page(request, aerial_form=form, status=400)


@require_POST
@staff_required(roles.MANAGE_LAYERS)
def tileset_toggle(request, tileset_id: int):
    tileset = get_object_or_404(Tileset, pk=tileset_id)
    field = request.POST.get("field")
    if tileset.status != Tileset.Status.READY:
        field = None  # shown once tiled
    elif tileset.role == Tileset.Role.OVERLAY and field == "is_default":
        field = None  # an overlay is drawn over the basemap, never instead of it
    if field in {"is_active", "is_default"}:
        geo_services.update_tileset(tileset=tileset, actor=request.user, **{field: not getattr(tileset, field)})
    return redirect("console:tilesets")


@staff_required(roles.MANAGE_LAYERS)
def tileset_edit(request, tileset_id: int):
    """Edit a tile set after its upload (an overlay's title, date, attribution, opacity, visibility)."""
    tileset = get_object_or_404(Tileset, pk=tileset_id)
    form = TilesetEditForm(request.POST or None, tileset=tileset)
    if request.method == "POST" and form.is_valid():
        try:
            geo_services.update_tileset(tileset=tileset, actor=request.user, **form.changes())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("console:tilesets")
    return render(request, "console/tileset_edit.html", {"form": form, "tileset": tileset},
                  status=400 if request.method == "POST" else 200)


@require_POST
@staff_required(roles.MANAGE_LAYERS)
def tileset_delete(request, tileset_id: int):
    geo_services.delete_tileset(tileset=get_object_or_404(Tileset, pk=tileset_id), actor=request.user)
    messages.success(request, _("Tile set removed."))
    return redirect("console:tilesets")
