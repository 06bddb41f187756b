"""The public home page: the map of published reports, with a server-rendered list and filters
form so it stays useful with JavaScript off."""

from __future__ import annotations

from django.shortcuts import render

from testigo.geo.models import Layer
from testigo.public import sharing
from testigo.reports import exporters, selectors
from testigo.reports.map_pages import filter_context, map_config

RECENT = 20


def home(request):
    ctx = filter_context(request)
    recent = list(exporters.public_rows_from(list(selectors.public_reports(ctx["filters"], paged=True)[:RECENT])))
    ctx.update(recent=recent, map_config=map_config(staff=False),
               has_layers=Layer.objects.filter(is_public=True).exists(),
               share=sharing.for_filters(ctx["filters"]))
    return render(request, "public/home.html", ctx)
