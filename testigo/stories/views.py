"""The public stories: an index and each story's page. Light pages with no script of their own
(the map is an inline SVG), under 150 KB; text rendered and sanitised on the server."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from testigo.core.paging import CappedPaginator
from testigo.public import sharing
from testigo.stories import selectors

INDEX_SIZE = 50


@require_GET
def story_index(request):
    # Pages of INDEX_SIZE, newest first, as the public report list pages (plain links, no script).
    page = CappedPaginator(selectors.public_stories().prefetch_related("tags"), INDEX_SIZE).get_page(
        request.GET.get("page"))
    pages = []
    for story in page.object_list:
        title, summary, _body = selectors.text_of(story, selectors.language_of(story))
        pages.append({"slug": story.slug, "title": title, "summary": summary, "published_at": story.published_at,
                      "tags": [t for t in story.tags.all() if t.is_active and not t.is_sensitive]})
    return render(request, "stories/index.html",
                  {"stories": pages, "page": page, "share": {"stories_feed": True}})


@require_GET
def story_page(request, slug: str):
    page = selectors.public_story(slug)
    if page is None:
        raise Http404
    return render(request, "stories/story.html", {"page": page, "share": sharing.for_story(page)})
