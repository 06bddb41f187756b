"""Public pages: sign up for alerts (works without JavaScript) and confirm with the code we sent."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from testigo.alerts import subscriptions
from testigo.alerts.forms import ConfirmForm, SubscribeForm
from testigo.alerts.models import Zone
from testigo.alerts.text import keywords_for


def keyword_context() -> dict:
    """The keywords the page suggests, in the visitor's language (ALERTA/BAJA in Spanish)."""
    return {"keywords": keywords_for((get_language() or settings.LANGUAGE_CODE)[:2])}


def map_context() -> dict:
    return {"map_center": ",".join(str(v) for v in settings.MAP_CENTER), "tile_url": settings.TILE_URL}


SALT = "alerts.confirm"  # the confirm URL carries a signed id, so sign-ups cannot be enumerated


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sub = subscriptions.start(
                    scheme=data["scheme"], address=data["address"], language=data["language"],
                    zone_ids=form.zone_ids, categories=list(data["categories"]), lat=data["lat"], lon=data["lon"],
                    radius_km=data["radius_km"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("alerts:confirm", token=signing.dumps(sub.pk, salt=SALT))
    else:
        form = SubscribeForm(initial={"language": (get_language() or "es")[:2]})
    return render(request, "alerts/subscribe.html", {
        "form": form, "zone_names": Zone.objects.filter(is_active=True).values_list("name_es", flat=True),
        **map_context(), **keyword_context()},
        status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription_id = signing.loads(token, salt=SALT, max_age=60 * 60 * 24)
    except signing.BadSignature as exc:
        raise Http404 from exc
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscriptions.confirm(subscription_id=subscription_id, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            return render(request, "alerts/confirmed.html", keyword_context())
    return render(request, "alerts/confirm.html", {"form": form}, status=400 if form.errors else 200)
