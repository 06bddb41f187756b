"""Webhooks in the console (administrators): add one (its secret shown once), see each one's
delivery log, replay a delivery, enable, disable or delete. Thin: services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from testigo.core import roles
from testigo.core.access import staff_required
from testigo.webhooks import events, services
from testigo.webhooks.forms import WebhookForm
from testigo.webhooks.models import Delivery, Webhook

LOG_SIZE = 100


@never_cache
@staff_required(roles.MANAGE_CHANNELS)
def webhook_list(request):
    form = WebhookForm(request.POST or None)
    new = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhook, secret = services.create_webhook(actor=request.user, name=data["name"], url=data["url"],
                                                      event_names=data["events"], staff_level=data["staff_level"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            new = {"webhook": webhook, "secret": secret}
            form = WebhookForm()
    rows = [(w, [events.label(e) for e in w.events]) for w in Webhook.objects.all()]
    return render(request, "webhooks/list.html", {"form": form, "new": new, "webhooks": rows,
                                                  "disabled": services.disabled_automatically()})


@never_cache
@staff_required(roles.MANAGE_CHANNELS)
def webhook_detail(request, pk: int):
    webhook = get_object_or_404(Webhook, pk=pk)
    log = list(webhook.deliveries.order_by("-id")[:LOG_SIZE])
    for delivery in log:
        delivery.event_label = events.label(delivery.event)
    return render(request, "webhooks/detail.html", {
        "webhook": webhook, "log": log, "event_labels": [events.label(e) for e in webhook.events],
        "pending": webhook.deliveries.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]).count()})


@require_POST
@staff_required(roles.MANAGE_CHANNELS)
def webhook_action(request, pk: int, action: str):
    webhook = get_object_or_404(Webhook, pk=pk)
    if action == "enable":
        services.set_active(actor=request.user, webhook=webhook, active=True)
        messages.success(request, _("Webhook enabled: waiting deliveries will be sent."))
    elif action == "disable":
        services.set_active(actor=request.user, webhook=webhook, active=False)
        messages.success(request, _("Webhook disabled: new events wait until it is enabled again."))
    elif action == "delete":
        services.delete_webhook(actor=request.user, webhook=webhook)
        messages.success(request, _("Webhook deleted."))
        return redirect("webhooks_console:list")
    else:
        messages.error(request, _("Unknown action."))
    return redirect("webhooks_console:detail", pk=webhook.pk)


@require_POST
@staff_required(roles.MANAGE_CHANNELS)
def delivery_replay(request, pk: int, delivery_id: int):
    delivery = get_object_or_404(Delivery, pk=delivery_id, webhook_id=pk)
    services.replay(actor=request.user, delivery=delivery)
    messages.success(request, _("The delivery was queued again."))
    return redirect("webhooks_console:detail", pk=pk)
