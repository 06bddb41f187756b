"""Security guides: advice for citizens on reporting safely and for staff on account security.

Each guide has a default text in Spanish and English that ships in the code
(core.guide_texts), so a fresh install has them. An administrator may replace the title or
body of a guide in either language from the console; a blank field means the default, so
"restore the default" blanks it. Bodies are Markdown, rendered and sanitised by core.markup.
Every edit and every restore is written to the audit trail.

The public site (public.guide_views) shows the citizen guides; the console shows all of them
to staff and lets administrators edit them (console.guide_views). Both read through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import unescape

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from testigo.core import audit, markup, roles
from testigo.core.guide_texts import DEFAULTS
from testigo.core.models import Guide

CITIZEN, STAFF = "citizen", "staff"
LANGUAGES = ("es", "en")
# The guides, in the order their index lists them: (slug, audience).
CATALOGUE: list[tuple[str, str]] = [
    ("reporting-safely", CITIZEN),
    ("photos-and-metadata", CITIZEN),
    ("messaging-apps", CITIZEN),
    ("sms", CITIZEN),
    ("tip-line", CITIZEN),
    ("shared-phones", CITIZEN),
    ("account-security", STAFF),
]
AUDIENCE = dict(CATALOGUE)
# Who may edit the guides: administrators, the role that runs the installation and decides staff
# account security (users, two-factor requirements). No new permission is needed for it.
EDIT_ACTION = roles.MANAGE_USERS
TITLE_MAX = 200
SUMMARY_CHARS = 200


@dataclass(frozen=True)
class GuidePage:
    """A guide as a reader sees it in one language."""

    slug: str
    audience: str
    language: str
    title: str
    body: str  # Markdown
    edited: bool  # this language's title or body differs from the shipped default

    @property
    def html(self) -> SafeString:
        return markup.render(self.body)

    @property
    def summary(self) -> str:
        """The first paragraph as plain text, shortened: what the guides' index says of it."""
        for block in self.body.split("\n\n"):
            block = block.strip()
            if block and not block.startswith(("#", "-", "*", ">", "<")) and not block[0].isdigit():
                text = unescape(strip_tags(markup.render(block))).strip()
                return Truncator(" ".join(text.split())).chars(SUMMARY_CHARS)
        return ""


def may_edit(user) -> bool:
    return roles.can(user, EDIT_ACTION)


def _language(language: str | None) -> str:
    language = (language or get_language() or "es")[:2]
    return language if language in LANGUAGES else "es"


def _check_slug(slug: str) -> None:
    if slug not in AUDIENCE:
        raise Guide.DoesNotExist(slug)


def default(slug: str, language: str) -> tuple[str, str]:
    """The shipped (title, body) of a guide in a language."""
    _check_slug(slug)
    return DEFAULTS[slug][_language(language)]


def guide(slug: str, language: str | None = None, *, row: Guide | None = None) -> GuidePage:
    """A guide in `language` (the active one by default): the administrator's text where there is
    one, the default otherwise. Raises Guide.DoesNotExist for an unknown slug."""
    _check_slug(slug)
    language = _language(language)
    if row is None:
        row = Guide.objects.filter(slug=slug).first()
    title, body = DEFAULTS[slug][language]
    own_title = getattr(row, f"title_{language}", "") if row else ""
    own_body = getattr(row, f"body_{language}", "") if row else ""
    return GuidePage(slug=slug, audience=AUDIENCE[slug], language=language, title=own_title or title,
                     body=own_body or body, edited=bool(own_title or own_body))


def guides(audience: str | None = None, language: str | None = None) -> list[GuidePage]:
    """Every guide (of one audience, if given) in catalogue order, read with one query."""
    rows = {row.slug: row for row in Guide.objects.all()}
    return [guide(slug, language, row=rows.get(slug) or Guide(slug=slug))
            for slug, who in CATALOGUE if audience is None or who == audience]


def save_guide(*, actor, slug: str, texts: dict[str, tuple[str, str]]) -> Guide:
    """Store an administrator's title and body per language ({"es": (title, body), ...}).

    A text equal to the default is stored blank, so it follows later improvements of the default.
    Audited with the languages changed. Raises PermissionDenied for anyone but an administrator
    and ValidationError (translated) for an over-long title or body; nothing is saved then."""
    roles.require(actor, EDIT_ACTION)
    _check_slug(slug)
    for language, (title, body) in texts.items():
        if language not in LANGUAGES:
            raise ValidationError(_("Unknown language."))
        if len(title) > TITLE_MAX:
            raise ValidationError(_("The title is too long (at most %(max)d characters).") % {"max": TITLE_MAX})
        if len(body) > markup.MAX_MARKDOWN_CHARS:
            raise ValidationError(_("The text is too long (at most %(max)d characters).")
                                  % {"max": markup.MAX_MARKDOWN_CHARS})
    with transaction.atomic():
        row, _created = Guide.objects.select_for_update().get_or_create(slug=slug)
        changed = []
        for language, (title, body) in texts.items():
            default_title, default_body = DEFAULTS[slug][language]
            # Browsers send a textarea's lines ended by CRLF: compared as typed, an untouched
            # default would be stored as an edit.
            title, body = " ".join(title.split()), body.replace("\r\n", "\n").replace("\r", "\n").strip()
            title = "" if title == default_title else title
            body = "" if body == default_body.strip() else body
            if (title, body) != (getattr(row, f"title_{language}"), getattr(row, f"body_{language}")):
                setattr(row, f"title_{language}", title)
                setattr(row, f"body_{language}", body)
                changed.append(language)
        if changed:
            row.updated_by = roles.person(actor)
            row.save()
            audit.record(action="guide.edited", actor=actor, obj=row, object_id=slug,
                         data={"languages": changed})
    return row


def restore_default(*, actor, slug: str, language: str) -> None:
    """Put back the shipped title and body of a guide in one language. Audited."""
    roles.require(actor, EDIT_ACTION)
    _check_slug(slug)
    if language not in LANGUAGES:
        raise ValidationError(_("Unknown language."))
    with transaction.atomic():
        row = Guide.objects.select_for_update().filter(slug=slug).first()
        if row is None or not (getattr(row, f"title_{language}") or getattr(row, f"body_{language}")):
            return
        setattr(row, f"title_{language}", "")
        setattr(row, f"body_{language}", "")
        row.updated_by = roles.person(actor)
        row.save()
        audit.record(action="guide.restored", actor=actor, obj=row, object_id=slug, data={"language": language})
