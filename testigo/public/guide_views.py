"""The public security guides: an index of the citizen guides and each guide's page.

Light pages with no script; the text is the administrator's or the shipped default
(core.guides), rendered from Markdown and sanitised on the server (core.markup).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from testigo.core import guides
from testigo.core.models import Guide


@require_GET
def guide_index(request):
    return render(request, "public/guides.html", {"guides": guides.guides(guides.CITIZEN)})


@require_GET
def guide_page(request, slug: str):
    try:
        page = guides.guide(slug)
    except Guide.DoesNotExist:
        raise Http404 from None
    if page.audience != guides.CITIZEN:  # the staff guide is read in the console
        raise Http404
    others = [g for g in guides.guides(guides.CITIZEN) if g.slug != slug]
    return render(request, "public/guide.html",
                  {"guide": page, "others": others, "onion_address": settings.ONION_ADDRESS})
