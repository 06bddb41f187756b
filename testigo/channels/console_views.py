"""Thin staff views: reply to a citizen; list, add, edit and deactivate channels; register a WhatsApp
channel's approved templates; simulate a phone (admins)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from testigo.channels import selectors, services, simulate, wa_templates
from testigo.channels.models import Channel, MessageTemplate
from testigo.channels.types import all_types
from testigo.core import roles
from testigo.core.access import staff_required
from testigo.reports import selectors as report_selectors
from testigo.reports.models import Category, Report


@staff_required(roles.EDIT)
@require_POST
def reply(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        report = report_selectors.staff_report(request.user, reference)
    except Report.DoesNotExist as exc:
        raise Http404 from exc
    text = request.POST.get("text", "")
    next_url = request.POST.get("next", "")
    try:
        services.reply(report=report, actor=request.user, text=text)
    except ValidationError as exc:
        return render(request, "channels/reply_page.html", {
            "report": report, "error": " ".join(exc.messages), "text": text, "next": next_url,
            "info": selectors.segment_info(text)}, status=400)
    messages.success(request, _("Reply queued. Its delivery status shows next to it."))
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return redirect(next_url)
    return render(request, "channels/reply_page.html", {"report": report, "sent": True, "next": ""})


@staff_required(roles.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def channel_list(request: HttpRequest) -> HttpResponse:
    types = all_types()
    type_code = request.POST.get("type") or request.GET.get("type") or ""
    chosen = types.get(type_code)
    form = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    error = ""
    if request.method == "POST" and chosen is not None:
        config = {f.key: request.POST.get(f"config_{f.key}", "") for f in chosen.config_fields}
        try:
            channel = services.add_channel(actor=request.user, type_code=type_code, name=request.POST.get("name", ""),
                                           config=config, rate_per_second=_rate(request),
                                           transliterate=request.POST.get("transliterate") == "on")
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return _channel_created(request, channel=channel, channel_type=chosen, typed=config)
    channels = [{"channel": c, "url": _webhook_url(request, c),
                 "type_name": getattr(types.get(c.type), "name", c.type), "can_simulate": simulate.can_simulate(c)}
                for c in selectors.channels_for_admin(request.user)]
    return render(request, "channels/channel_list.html", {
        "channels": channels, "types": types.values(), "chosen": chosen, "form": form, "error": error,
        "config_rows": [(f, "" if f.secret else form.get(f"config_{f.key}", ""))
                        for f in (chosen.config_fields if chosen else [])],
    }, status=400 if error else 200)


def _channel_created(request: HttpRequest, *, channel: Channel, channel_type, typed: dict) -> HttpResponse:
    """The one page that shows the secrets generated for the fields the admin left empty: they must
    be typed into the gateway (the SMSSync phone, Telegram's setWebhook), and no page shows a
    stored secret afterwards. Rendered, not redirected to, so they never sit in a session."""
    generated = [(f.label, channel.config[f.key]) for f in channel_type.config_fields
                 if f.secret and not str(typed.get(f.key, "")).strip() and channel.config.get(f.key)]
    return render(request, "channels/channel_created.html", {
        "channel": channel, "type_name": channel_type.name, "url": _webhook_url(request, channel),
        "generated": generated})


def _webhook_url(request: HttpRequest, channel: Channel) -> str:
    """TESTIGO_CHANNEL_BASE_URL when the operator set it (the public address behind a proxy);
    otherwise the address this page was reached at, port included."""
    return selectors.webhook_url(channel, base_url=settings.CHANNEL_BASE_URL or request.build_absolute_uri("/"))


def _rate(request: HttpRequest) -> float:
    """The rate as the page shows it: pages localize numbers (`2,5` in Spanish), so the posted
    value is read with the active language's decimal separator (`2.5` is still accepted)."""
    try:
        return float(formats.sanitize_separators(request.POST.get("rate_per_second", "").strip() or "1"))
    except ValueError:
        return -1  # refused by the service with a clear message


def _chosen_category(request: HttpRequest) -> Category | None:
    value = request.POST.get("category", "")
    return Category.objects.filter(pk=value, is_active=True).first() if value.isdigit() else None


@staff_required(roles.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a channel's name, settings, rate and transliteration, or (de)activate it. Secret
    fields are never shown; left empty they keep their stored value."""
    channel = get_object_or_404(Channel, pk=pk)
    channel_type = all_types().get(channel.type)
    if channel_type is None:
        raise Http404
    error = ""
    if request.method == "POST":
        config = {f.key: request.POST.get(f"config_{f.key}", "") for f in channel_type.config_fields}
        try:
            services.update_channel(actor=request.user, channel=channel, name=request.POST.get("name", ""),
                                    config=config, rate_per_second=_rate(request),
                                    transliterate=request.POST.get("transliterate") == "on",
                                    is_active=request.POST.get("is_active") == "on",
                                    category=_chosen_category(request))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Channel saved."))
            return redirect("channels_console:channel_list")
        form = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    else:
        form = {"name": channel.name, "rate_per_second": channel.rate_per_second, "category": str(channel.category_id or ""),
                "transliterate": channel.transliterate, "is_active": channel.is_active,
                **{f"config_{f.key}": channel.config.get(f.key, "") for f in channel_type.config_fields}}
    return render(request, "channels/channel_edit.html", {
        "channel": channel, "type_name": channel_type.name, "url": _webhook_url(request, channel), "form": form,
        "error": error, "uses_templates": getattr(channel_type, "templates", False),
        "categories": Category.objects.filter(is_active=True).select_related("parent"),
        "config_rows": [(f, "" if f.secret else form.get(f"config_{f.key}", ""), bool(channel.config.get(f.key)))
                        for f in channel_type.config_fields],
    }, status=400 if error else 200)


DEMO_PHONE = "+50490000001"  # a number nobody owns (the demo's simulated citizens use +504 9000-00xx)


@staff_required(roles.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def simulate_message(request: HttpRequest, pk: int) -> HttpResponse:
    """Play a citizen's phone on one channel: what it sends goes through the real pipeline, and
    the page shows the phone's messages and the replies waiting in the outbox."""
    channel = get_object_or_404(Channel, pk=pk)
    if not simulate.can_simulate(channel):
        raise Http404
    address = (request.POST.get("phone") or request.GET.get("phone") or DEMO_PHONE).strip()
    text, error = "", ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            simulate.simulate_inbound(actor=request.user, channel=channel, address=address, text=text)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(f"{request.path}?{urlencode({'phone': address})}")
    return render(request, "channels/simulate.html", {
        "channel": channel, "phone": address, "text": text, "error": error,
        "thread": selectors.phone_thread(request.user, channel=channel, phone=simulate.plausible_phone(address)),
    }, status=400 if error else 200)


def _template_channel(pk: int) -> Channel:
    """A channel whose type sends approved templates (WhatsApp), or 404."""
    channel = get_object_or_404(Channel, pk=pk)
    if not getattr(all_types().get(channel.type), "templates", False):
        raise Http404
    return channel


def _template_fields(request: HttpRequest) -> dict:
    return {key: request.POST.get(key, "") for key in ("name", "language", "purpose", "body")}


@staff_required(roles.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A WhatsApp channel's approved templates, and the form to register one."""
    channel = _template_channel(pk)
    form, error = {"purpose": MessageTemplate.Purpose.ALERT}, ""
    if request.method == "POST":
        form = _template_fields(request)
        try:
            wa_templates.save_template(actor=request.user, channel=channel, **form)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Template registered."))
            return redirect("channels_console:templates", pk=channel.pk)
    templates = list(MessageTemplate.objects.filter(channel=channel).order_by("purpose", "name", "language"))
    missing = [label for value, label in MessageTemplate.Purpose.choices
               if not any(t.is_active and t.purpose == value for t in templates)]
    return render(request, "channels/templates.html", {
        "channel": channel, "error": error, "form": form, "purposes": MessageTemplate.Purpose.choices,
        "rows": [{"template": t, "parameters": wa_templates.parameter_count(t.body)} for t in templates],
        "missing": missing,
    }, status=400 if error else 200)


@staff_required(roles.MANAGE_CHANNELS)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int, template_pk: int) -> HttpResponse:
    """Correct a registered template, or (de)activate it."""
    channel = _template_channel(pk)
    template = get_object_or_404(MessageTemplate, pk=template_pk, channel=channel)
    error = ""
    if request.method == "POST":
        form = {**_template_fields(request), "is_active": request.POST.get("is_active") == "on"}
        try:
            wa_templates.save_template(actor=request.user, channel=channel, template=template, **form)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Template saved."))
            return redirect("channels_console:templates", pk=channel.pk)
    else:
        form = {"name": template.name, "language": template.language, "purpose": template.purpose,
                "body": template.body, "is_active": template.is_active}
    return render(request, "channels/template_edit.html", {
        "channel": channel, "template": template, "form": form, "error": error,
        "purposes": MessageTemplate.Purpose.choices}, status=400 if error else 200)
