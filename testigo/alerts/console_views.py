"""Staff pages for alerts at /console/alerts/: alerts with their figures, zones, rules, broadcasts.

Thin: parse the request, call a service or selector, render. Coordinators and admins only
(roles.MANAGE_ALERTS), checked here for a clear 403 and again in every service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from testigo.alerts import selectors, services, zones
from testigo.alerts.models import Alert, Rule, Zone
from testigo.alerts.views import map_context
from testigo.core import numbers, roles
from testigo.core.access import staff_required
from testigo.geo.files import clean_crs
from testigo.reports.models import Category

_staff = staff_required(roles.MANAGE_ALERTS)


def _float(value: str):
    # "14,07" and "14.07" alike (core/numbers.py): a Spanish keyboard types the first.
    try:
        return numbers.parse_decimal(value)
    except ValueError:
        return "bad"


def _metres(value: str):
    try:
        return numbers.parse_whole(value)
    except ValueError:
        return "bad"


def state_label(alert: Alert, stats: dict) -> str:
    """The alert's state as a coordinator needs it: "sent" only once nothing is left in the outbox."""
    if alert.status == Alert.Status.SENT and stats["pending"]:
        return capfirst(ngettext("sending (%(n)d pending)", "sending (%(n)d pending)", stats["pending"]) % {
            "n": stats["pending"]})
    return capfirst(alert.get_status_display())


@_staff
def alert_list(request):
    alerts = list(Alert.objects.select_related("rule", "report")[:100])
    rows = []
    for a in alerts:
        stats = selectors.alert_stats(a)
        rows.append({"alert": a, "stats": stats, "state": state_label(a, stats)})
    return render(request, "alerts/console_list.html", {"rows": rows})


@_staff
def alert_detail(request, pk: int):
    alert = get_object_or_404(Alert, pk=pk)
    preview = services.preview(alert=alert) if alert.status == Alert.Status.DRAFT else None
    stats = selectors.alert_stats(alert)
    return render(request, "alerts/console_detail.html", {
        "alert": alert, "stats": stats, "state": state_label(alert, stats), "preview": preview,
        "failures": selectors.failure_reasons(alert) if stats["failed"] else [],
        "zones": alert.zones.all(), "currency": settings.ALERT_CURRENCY})


@_staff
@require_POST
def alert_action(request, pk: int, action: str):
    alert = get_object_or_404(Alert, pk=pk)
    handlers = {"send": services.send_alert, "discard": services.discard_alert, "cancel": services.cancel_alert}
    if action not in handlers:
        raise Http404
    try:
        result = handlers[action](actor=request.user, alert=alert)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        done = {"send": _("Queued %(n)s messages."), "cancel": _("Withdrew %(n)s messages not yet sent."),
                "discard": _("Draft discarded.")}[action]
        messages.success(request, done % {"n": result} if "%(n)s" in done else done)
    return redirect("alerts_console:detail", pk=alert.pk)


@_staff
@require_http_methods(["GET", "POST"])
def broadcast_new(request):
    form = request.POST
    if request.method == "POST":
        try:
            alert = services.create_broadcast(
                actor=request.user, message_es=form.get("message_es", ""), message_en=form.get("message_en", ""),
                zone_ids=[int(z) for z in form.getlist("zones") if z.isdigit()],
                category_id=int(form["category"]) if form.get("category", "").isdigit() else None,
                everyone=form.get("everyone") == "on")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("alerts_console:detail", pk=alert.pk)
    return render(request, "alerts/console_broadcast.html", {
        "form": form, "zones": Zone.objects.filter(is_active=True), "chosen": form.getlist("zones"),
        "categories": Category.objects.filter(is_active=True)}, status=400 if request.method == "POST" else 200)


@_staff
@require_http_methods(["GET", "POST"])
def zone_list(request):
    form = request.POST
    status = 200
    if request.method == "POST":
        try:
            if request.FILES.get("file"):
                upload = request.FILES["file"]
                if upload.size > settings.ALERT_MAX_UPLOAD_MB * 1024 * 1024:
                    raise ValidationError(_("The file is too large (at most %(mb)d MB).")
                                          % {"mb": settings.ALERT_MAX_UPLOAD_MB})
                created, warnings = zones.import_zones(actor=request.user, filename=upload.name, data=upload.read(),
                                                       name_field=form.get("name_field") or "name",
                                                       crs=clean_crs(form.get("crs", "")))
                messages.success(request, _("Created %(n)d zones.") % {"n": len(created)})
                for warning in warnings[:20]:
                    messages.warning(request, warning)
            else:
                lat, lon, radius = _float(form.get("lat", "")), _float(form.get("lon", "")), _metres(form.get("radius_m", ""))
                if "bad" in (lat, lon, radius):
                    raise ValidationError(_("Latitude, longitude and radius must be numbers."))
                zones.create_zone(actor=request.user, name_es=form.get("name_es", ""), name_en=form.get("name_en", ""),
                                  geojson=form.get("geojson") or None, lat=lat, lon=lon, radius_m=radius)
                messages.success(request, _("Zone created."))
            return redirect("alerts_console:zones")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
    return render(request, "alerts/console_zones.html", {
        "zones": Zone.objects.all(), "form": form, **map_context()}, status=status)


@_staff
@require_http_methods(["GET"])
def zone_shapes(request):
    """Every zone as a GeoJSON FeatureCollection, for the zones page's map to draw with its name.

    Fetched by zone-draw.js rather than inlined in the page: uploaded boundaries can weigh
    megabytes, and the table and forms should not wait for them."""
    features = [{"type": "Feature", "geometry": z.geometry, "properties": {"id": z.pk, "name": z.name}}
                for z in Zone.objects.all()]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@_staff
@require_POST
def zone_delete(request, pk: int):
    zones.delete_zone(actor=request.user, zone=get_object_or_404(Zone, pk=pk))
    messages.success(request, _("Zone deleted."))
    return redirect("alerts_console:zones")


@_staff
@require_http_methods(["GET", "POST"])
def rule_list(request):
    form = request.POST
    status = 200
    if request.method == "POST":
        try:
            category = Category.objects.filter(pk=form.get("category") or 0).first()
            if category is None:
                raise ValidationError(_("Choose a category."))
            services.save_rule(
                actor=request.user, name=form.get("name", "").strip(), category=category,
                min_reports=_int(form.get("min_reports")), radius_m=_int(form.get("radius_m")),
                hours=_int(form.get("hours")), verified_only=form.get("verified_only") == "on",
                unusual_only=form.get("unusual_only") == "on",
                send_immediately=form.get("send_immediately") == "on",
                message_es=form.get("message_es", "").strip(), message_en=form.get("message_en", "").strip())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, _("Rule saved."))
            return redirect("alerts_console:rules")
    return render(request, "alerts/console_rules.html", {
        "rules": Rule.objects.select_related("category"), "form": form,
        "categories": Category.objects.filter(is_active=True)}, status=status)


def _int(value) -> int:
    try:
        number = numbers.parse_whole(value or "")  # "1.000" metres is a thousand (core/numbers.py)
    except ValueError:
        number = None
    if number is None:
        raise ValidationError(_("Counts, metres and hours must be whole numbers."))
    if number <= 0:
        raise ValidationError(_("Counts, metres and hours must be greater than zero."))
    return number
