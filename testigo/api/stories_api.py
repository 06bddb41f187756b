"""/api/v1/stories…: the published stories, read only, for everyone (the public projection: a
story's text with its redactions, and its linked reports through the public report projection).
A draft or a story in review is never listed and answers 404, to staff too: staff read drafts in
the console."""

from __future__ import annotations

from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Query, Router, Schema

from testigo.api import params
from testigo.api.errors import ApiError, bad_param
from testigo.api.responses import PublicStoryDetail, StoryPage, with_errors
from testigo.stories import selectors

# Endpoint summaries stay English in the OpenAPI schema (gettext_noop); the docs page translates them.
router = Router(tags=["stories"])
ORDER = (F("published_at").desc(nulls_last=True), F("slug").desc())


class StoryListQuery(Schema):
    limit: str | None = None
    cursor: str | None = None
    lang: str | None = None


class StoryQuery(Schema):
    lang: str | None = None


def _language(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value not in selectors.LANGUAGES:
        raise bad_param("lang", _("lang must be es or en."))
    return value


def _tags(tags) -> list[str]:
    return [t.slug for t in tags if t.is_active and not t.is_sensitive]


def _summary(request, story, language: str | None) -> dict:
    shown = selectors.language_of(story, language)
    title, summary, _body = selectors.text_of(story, shown)
    return {"slug": story.slug, "language": shown, "title": title, "summary": summary,
            "published_at": story.published_at, "updated_at": story.updated_at, "tags": _tags(story.tags.all()),
            "url": request.build_absolute_uri(reverse("stories:story", args=[story.slug]))}


@router.get("/stories", response=with_errors({200: StoryPage}, 400), exclude_unset=True,
            summary=gettext_noop("Published stories (cursor-paginated)"))
def list_stories(request, query: Query[StoryListQuery]):
    limit = params.parse_limit(query.limit)
    language = _language(query.lang)
    qs = selectors.public_stories().prefetch_related("tags").order_by(*ORDER)
    after = params.decode_cursor(query.cursor, key_type=str)
    if after is not None:
        moment, slug = after
        if moment is None:  # published stories always have a date; kept total all the same
            qs = qs.filter(published_at__isnull=True, slug__lt=slug)
        else:
            qs = qs.filter(Q(published_at__lt=moment) | Q(published_at=moment, slug__lt=slug)
                           | Q(published_at__isnull=True))
    stories = list(qs[: limit + 1])
    next_cursor = None
    if len(stories) > limit:
        last = stories[limit - 1]
        next_cursor = params.encode_cursor(last.published_at, last.slug)
    return {"items": [_summary(request, story, language) for story in stories[:limit]], "next_cursor": next_cursor}


@router.get("/stories/{slug}", response=with_errors({200: PublicStoryDetail}, 400, 404), exclude_unset=True,
            summary=gettext_noop("One published story"))
def get_story(request, slug: str, query: Query[StoryQuery]):
    language = _language(query.lang)
    story = selectors.public_stories().filter(slug=slug).prefetch_related("tags").first()
    if story is None:
        raise ApiError(404, "not_found", _("Not found."))
    page = selectors.page(story, language=language)
    out = _summary(request, story, language)
    out.update(title=page.title, summary=page.summary, language=page.language, fallback=page.fallback,
               byline=page.byline, html=str(page.html))
    out["reports"] = [{"reference": row["reference"], "title": row["public_title"], "place_name": row["place_name"],
                       "lat": row["public_lat"], "lon": row["public_lon"],
                       "url": request.build_absolute_uri(row["url"])} for row in page.reports]
    return out
