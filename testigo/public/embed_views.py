"""The embeddable map widget (/embed/map/) and the page that writes its <iframe> code (/embed/).

The widget is rendered without the request (no context processor, no session, no messages, no
CSRF token), so it can set no cookie and name nobody; its language comes from its address. What
it may show and who may frame it: public/embed.py.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe

from testigo.core.context_processors import site_origin
from testigo.public import embed
from testigo.reports import selectors
from testigo.reports.filters import InvalidFilter
from testigo.reports.map_pages import map_config


def _ancestors_or_404() -> list[str]:
    ancestors = embed.frame_ancestors()
    if ancestors is None:
        raise Http404("the map widget is turned off (TESTIGO_EMBED_ORIGINS=none)")
    return ancestors


@require_safe
def embed_map(request):
    """The public map alone, to be framed by other sites: published public reports only, through the
    public map API; a bad filter is a 400 page saying what is wrong, in the widget's language."""
    ancestors = _ancestors_or_404()
    language = embed.language_of(request.GET)
    with translation.override(language):
        error, wanted = "", embed.WidgetFilters()
        try:
            wanted = embed.parse_widget_filters(request.GET)
        except InvalidFilter as exc:
            error = exc.message
        site = reverse("public:home")
        html = render_to_string("public/embed_map.html", {
            "SITE_NAME": settings.SITE_NAME, "error": error, "map_config": map_config(staff=False),
            "api_query": wanted.api_query(), "language": language,
            "site_url": f"{site}?{wanted.api_query()}" if wanted.api_query() else site,
        })
    response = HttpResponse(html, status=400 if error else 200)
    response["Content-Language"] = language
    return embed.frameable(response, ancestors)


@require_safe
def embed_builder(request):
    """"Embed this map": choose the widget's filters, size and language; copy its <iframe> code."""
    _ancestors_or_404()
    error, wanted = "", embed.WidgetFilters()
    try:
        wanted = embed.parse_widget_filters(request.GET)
    except InvalidFilter as exc:
        error = exc.message
    language = request.GET.get("lang") if request.GET.get("lang") in dict(settings.LANGUAGES) else ""
    height = int(request.GET["height"]) if request.GET.get("height") in {str(h) for h in embed.HEIGHTS} \
        else embed.DEFAULT_HEIGHT
    query = wanted.widget_query(language)
    path = reverse("public:embed_map") + (f"?{query}" if query else "")
    return render(request, "public/embed_builder.html", {
        "error": error, "wanted": wanted, "language": language, "height": height, "heights": embed.HEIGHTS,
        "category_tree": selectors.category_tree(), "preview_url": path,
        "widget_url": site_origin(request) + path, "day_choices": (7, 30, 90, 365),
    })
