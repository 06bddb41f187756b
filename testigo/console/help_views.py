"""Settings: the help-services directory (docs/help-services.md)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from testigo.channels.selectors import phones_reachable_first
from testigo.console.admin_forms import HelpServiceForm
from testigo.core import roles
from testigo.core.access import staff_required
from testigo.reports import help_services
from testigo.reports.models import HelpService


@staff_required(roles.MANAGE_CATEGORIES)
def help_service_list(request):
    rows = HelpService.objects.order_by("-is_active", "kind", "name")
    return render(request, "console/help_services.html",
                  {"rows": rows, "no_sms_channel": not phones_reachable_first()})


@staff_required(roles.MANAGE_CATEGORIES)
def help_service_edit(request, service_id: int | None = None):
    service = get_object_or_404(HelpService, pk=service_id) if service_id else None
    form = HelpServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        fields = {f: form.cleaned_data[f] for f in HelpServiceForm.Meta.fields}
        try:
            service = help_services.save_service(actor=request.user, service=service, **fields)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Help service “%(name)s” saved.") % {"name": service.name})
            return redirect("console:help_services")
    return render(request, "console/help_service_form.html", {"form": form, "service": service})
