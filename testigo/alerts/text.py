"""Names and message texts: folding names for lookups, closest matches, templates per language.

Alert SMS should fit one GSM-7 part (160 characters) where possible: the template's fixed words
are short, accents are transliterated for SMS, and only the report title is shortened to fit.
"""

from __future__ import annotations

import difflib
import unicodedata

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from testigo.channels import encoding, keywords

ALERT = "alert"  # the SMS keyword alerts registers with channels (AlertsConfig.ready)
ALERT_WORDS = {"ALERTA": "es", "ALERT": "en"}
SMS_SINGLE = 160


def fold(name: str) -> str:
    """Accent-, case- and spacing-insensitive form of a name ("Colonia  Kennedy" == "colonia kénnedy")."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())[:120]


def closest(wanted: str, names: dict[str, str], n: int = 5) -> list[str]:
    """Up to n display names whose folded form is closest to `wanted` (substring matches first)."""
    key = fold(wanted)
    contains = [display for folded, display in names.items() if key and key in folded]
    fuzzy = difflib.get_close_matches(key, list(names), n=n, cutoff=0.6)
    ordered = contains + [names[f] for f in fuzzy if names[f] not in contains]
    return ordered[:n]


# Hosts that mean "this machine": a link to them is useless on a resident's phone.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "testserver"})


def site_base() -> str:
    """The site's public absolute address ("https://host"), or "" when none is known.

    TESTIGO_ALERT_LINK_BASE, else TESTIGO_CHANNEL_BASE_URL, else https:// and the first concrete
    name in ALLOWED_HOSTS (not a wildcard, not this machine). A text message cannot follow a
    relative link, so with no public address alerts carry no link at all (docs/alerts.md)."""
    base = settings.ALERT_LINK_BASE or settings.CHANNEL_BASE_URL
    if base:
        return base.rstrip("/")
    for host in settings.ALLOWED_HOSTS:
        host = host.strip().lstrip(".")
        if host and "*" not in host and host.lower() not in LOCAL_HOSTS:
            return "https://" + host
    return ""


def keywords_for(language: str) -> dict[str, str]:
    """The keyword to suggest for subscribing ("alert") and stopping ("stop") in `language`:
    the first word registered for it (ALERTA and BAJA in Spanish)."""
    language = language if language in ALERT_WORDS.values() else "es"
    return {ALERT: keywords.words_for(ALERT, language)[0], keywords.STOP: keywords.words_for(keywords.STOP, language)[0]}


def link(path: str) -> str:
    """An absolute link to `path` on the public site, or "" (never a relative link)."""
    base = site_base()
    return base + path if base else ""


def report_link(reference: str) -> str:
    return link(reverse("public:report_detail", args=[reference]))


def _fill(template: str, **values) -> str:
    """Format, then drop the gaps an empty field leaves (no link, no title): no "  " or trailing space."""
    return " ".join(template.format(**values).split())


def fit_sms(template: str, title: str, scheme: str, **values) -> str:
    """Fill `template` ({title} and other fields); for SMS transliterate to GSM-7 and shorten the
    title so the whole text fits one part, when the fixed words leave room for it."""
    text = _fill(template, title=title, **values)
    if scheme != "tel":
        return text
    text = encoding.transliterate(text)
    if encoding.count(text).segments <= 1:
        return text
    # A one-character title keeps the space before it, which _fill would drop for an empty one.
    fixed = encoding.transliterate(_fill(template, title="-", **values))
    short = encoding.transliterate(" ".join(title.split()))
    room = SMS_SINGLE - (encoding.gsm7_septets(fixed) - 1) - 3  # 3 for "..."
    if room >= 12 and encoding.is_gsm7(fixed + short):
        while short and encoding.gsm7_septets(short) > room:
            short = short[:-1]
        return encoding.transliterate(_fill(template, title=short.rstrip() + "...", **values))
    return text  # the fixed words alone need more than one SMS, or the text cannot be GSM-7


def report_alert(*, language: str, scheme: str, category: str, title: str, reference: str) -> str:
    with translation.override(language):
        template = _("ALERT {site}: {category}. {title} {link}")
        # A report without a category still reads as a sentence ("ALERT Testigo: New report.").
        category = category.strip() or _("New report")
    return fit_sms(template, title.strip(), scheme, site=settings.SITE_NAME, category=category,
                   link=report_link(reference))


def rule_alert(*, language: str, scheme: str, count: int, category: str, hours: int, place: str,
               verified: bool = True) -> str:
    """A rule alert names a zone (or no place at all), never a report's place or position; it says
    so when the reports counted are not verified yet. A blank place reads "in your area"."""
    place = place.strip()
    with translation.override(language):
        if verified:
            template = (_("ALERT {site}: {count} reports of {category} in {hours} h near {title}. {link}") if place
                        else _("ALERT {site}: {count} reports of {category} in {hours} h in your area. {link}"))
        else:
            template = (_("ALERT {site}: {count} unverified reports of {category} in {hours} h near {title}. {link}")
                        if place else
                        _("ALERT {site}: {count} unverified reports of {category} in {hours} h in your area. {link}"))
    return fit_sms(template, place, scheme, site=settings.SITE_NAME, count=count, category=category,
                   hours=hours, link=link("/"))


def confirmation(*, language: str, code: str) -> str:
    with translation.override(language):
        return _("Your code to confirm alerts from %(site)s: %(code)s. If you did not ask for it, ignore this.") % {
            "site": settings.SITE_NAME, "code": code}
